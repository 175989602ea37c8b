"""Method comparison: the held-out split, running methods on the same inputs, the metric table, the winners."""

import math

import numpy as np
import pytest

from gio_core.evaluate.comparison import (
    DEFAULT_METHODS,
    GREEDY_KL_MAX_PAIRS,
    GREEDY_KL_SLOW_PAIRS,
    MethodCost,
    best_methods,
    compare_methods,
    default_budget,
    method_cost,
    split_sizes,
    split_target,
)
from gio_core.evaluate.metrics import evaluate_selection
from gio_core.gio.kl import kl_curve
from gio_core.methods.baselines import NearestToTargetSelector, RandomSelector
from gio_core.methods.registry import METHODS
from gio_core.plots.compare_figures import kl_curves_figure, method_colors, selection_maps_figure
from gio_core.plots.projection import MapPlacer, project


@pytest.fixture
def two_clusters(rng):
    """Pool: 150 rows near 0 (label 'a') and 150 near 6 (label 'b'); target: 60 rows near 6 (label 'b')."""
    pool = np.vstack([rng.normal(0.0, 1.0, size=(150, 2)), rng.normal(6.0, 1.0, size=(150, 2))])
    pool_labels = np.array(["a"] * 150 + ["b"] * 150, dtype=object)
    target = rng.normal(6.0, 1.0, size=(60, 2))
    target_labels = np.array(["b"] * 60, dtype=object)
    return pool, target, pool_labels, target_labels


class _Recorder:
    """A registry entry that remembers what it was given and picks the first rows."""

    def __init__(self):
        self.calls = []

    def __call__(self, budget, random_state):
        recorder = self

        class _Picker:
            def fit(self, pool, target):
                recorder.calls.append((budget, random_state, np.array(target)))
                self.selected_indices_ = np.arange(budget)
                self.stop_reason_ = "data_size"
                self.stop_message_ = "done."
                return self

        return _Picker()


def _failing(budget, random_state):
    class _Broken:
        def fit(self, pool, target):
            raise ValueError("this method cannot run here; try another.")

    return _Broken()


# ---------------------------------------------------------------------------------------------- split


@pytest.mark.parametrize(
    "n_target, share, expected",
    [
        (200, 0.3, (140, 60)),
        (12, 0.1, (6, 6)),  # raised to k+1 held out
        (13, 0.9, (6, 7)),  # lowered so the methods keep k+1
        (100, 0.5, (50, 50)),
    ],
    ids=["usual", "at-least-k+1-heldout", "at-least-k+1-seen", "half"],
)
def test_split_sizes_by_hand(n_target, share, expected):
    assert split_sizes(n_target, heldout_share=share, k=5) == expected


def test_split_target_partitions_the_rows_and_follows_the_seed():
    seen, heldout = split_target(50, heldout_share=0.3, random_state=3)
    assert len(seen) == 35 and len(heldout) == 15
    assert not set(seen) & set(heldout)
    np.testing.assert_array_equal(np.sort(np.concatenate([seen, heldout])), np.arange(50))
    again = split_target(50, heldout_share=0.3, random_state=3)
    np.testing.assert_array_equal(again[1], heldout)
    assert not np.array_equal(split_target(50, heldout_share=0.3, random_state=4)[1], heldout)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n_target=11), ValueError, r"The target has 11 rows.*at least 12 target rows"),
        (dict(n_target=20, k=10), ValueError, r"The target has 20 rows.*at least 22 target rows"),
        (dict(n_target=100, heldout_share=0.0), ValueError, "heldout_share must be greater than 0"),
        (dict(n_target=100, heldout_share=1.0), ValueError, "heldout_share must be below 1"),
        (dict(n_target=100, heldout_share="half"), TypeError, "heldout_share must be a number"),
    ],
    ids=["too-few-rows", "too-few-for-k", "share-zero", "share-one", "share-text"],
)
def test_split_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        split_sizes(**kwargs)
    with pytest.raises(error, match=match):
        split_target(**kwargs)


# ---------------------------------------------------------------------------------------------- winners


def test_best_methods_by_hand():
    metrics = {
        "A": {"kl": 0.5, "mmd2": 0.01, "coverage": 0.9},
        "B": {"kl": 0.2, "mmd2": 0.02, "coverage": 0.9},
        "C": {"kl": math.nan, "mmd2": 0.03, "coverage": 0.4},
    }
    assert best_methods(metrics) == {"kl": ("B",), "mmd2": ("A",), "coverage": ("A", "B")}


def test_best_methods_ignores_nan_and_reports_missing_metrics_as_empty():
    metrics = {"A": {"kl": math.nan, "precision": 0.5}, "B": {"kl": math.nan, "precision": 0.75}}
    assert best_methods(metrics, ["kl", "precision"]) == {"kl": (), "precision": ("B",)}


def test_best_methods_treats_values_a_rounding_error_apart_as_a_tie():
    assert best_methods({"A": {"accuracy": 0.1 + 0.2}, "B": {"accuracy": 0.3}})["accuracy"] == ("A", "B")


def test_best_methods_rejects_a_metric_without_direction():
    with pytest.raises(ValueError, match="metric 'seconds' has no known direction"):
        best_methods({"A": {"seconds": 1.0}}, ["seconds"])


# ---------------------------------------------------------------------------------------------- costs


@pytest.mark.parametrize(
    "n_pool, n_target, level",
    [
        (2_000, 140, "ok"),
        (GREEDY_KL_SLOW_PAIRS // 100, 100, "ok"),
        (GREEDY_KL_SLOW_PAIRS // 100 + 1, 100, "slow"),
        (GREEDY_KL_MAX_PAIRS // 100, 100, "slow"),
        (GREEDY_KL_MAX_PAIRS // 100 + 1, 100, "too_large"),
    ],
    ids=["demo", "at-slow-limit", "past-slow-limit", "at-max", "past-max"],
)
def test_greedy_kl_cost_levels(n_pool, n_target, level):
    cost = method_cost("Greedy k-NN KL", n_pool, n_target)
    assert cost.level == level
    assert cost.runnable == (level != "too_large")
    if level != "ok":
        assert f"{n_pool:,} pool x {n_target:,} target rows" in cost.message


def test_other_methods_are_always_affordable():
    assert all(method_cost(name, 10_000_000, 10_000).level == "ok" for name in METHODS if name != "Greedy k-NN KL")


def test_method_cost_validates_its_level():
    with pytest.raises(ValueError, match="level='huge' is not one of"):
        MethodCost("huge")


@pytest.mark.parametrize(
    "n_pool, budget",
    [(2_000, 100), (200, 100), (199, 99), (50, 25), (1, 1)],
    ids=["large", "200", "199", "small", "one"],
)
def test_default_budget(n_pool, budget):
    assert default_budget(n_pool) == budget


# ---------------------------------------------------------------------------------------------- comparison


def test_methods_see_only_the_seen_rows_and_all_get_the_same_budget_and_seed(two_clusters):
    pool, target, _, _ = two_clusters
    first, second = _Recorder(), _Recorder()
    comparison = compare_methods(
        pool, target, methods=["first", "second"], budget=7, random_state=1, registry={"first": first, "second": second}
    )
    ((budget_a, seed_a, seen_a),) = first.calls
    ((budget_b, seed_b, seen_b),) = second.calls
    assert budget_a == budget_b == 7 and seed_a == seed_b == comparison.seed
    np.testing.assert_array_equal(seen_a, target[comparison.seen_rows])
    np.testing.assert_array_equal(seen_b, target[comparison.seen_rows])
    heldout = {tuple(row) for row in target[comparison.heldout_rows]}
    assert not heldout & {tuple(row) for row in seen_a}
    assert len(comparison.seen_rows) + len(comparison.heldout_rows) == len(target)


def test_a_text_method_gets_the_texts_of_the_seen_target_rows_only(two_clusters):
    pool, target, _, _ = two_clusters
    given = []

    def text_method(budget, random_state, *, pool_texts, target_texts):
        given.append((pool_texts, target_texts))
        return _Recorder()(budget, random_state)

    pool_texts = [f"pool {row}" for row in range(len(pool))]
    target_texts = [f"target {row}" for row in range(len(target))]
    comparison = compare_methods(
        pool,
        target,
        methods=["Random", "reads text"],
        budget=5,
        pool_texts=pool_texts,
        target_texts=target_texts,
        text_registry={"reads text": text_method},
    )
    ((pool_given, target_given),) = given
    assert pool_given == pool_texts
    assert target_given == [f"target {row}" for row in comparison.seen_rows]
    assert comparison.result("reads text").n_selected == 5


def test_dsir_runs_next_to_the_vector_methods_and_picks_the_target_texts(two_clusters):
    pool, target, _, _ = two_clusters
    pool_texts = ["the cat sat on the mat"] * 150 + ["stocks fell on weak earnings"] * 150
    target_texts = ["stocks fell again on earnings"] * 60
    comparison = compare_methods(
        pool, target, methods=["Random", "DSIR"], budget=20, pool_texts=pool_texts, target_texts=target_texts
    )
    picks = comparison.result("DSIR").selected_indices
    assert comparison.result("DSIR").ok and len(set(picks.tolist())) == 20
    assert (picks >= 150).all()


def test_every_method_has_a_one_line_summary():
    from gio_core.evaluate.comparison import METHOD_SUMMARIES
    from gio_core.methods.dsir import TEXT_METHODS

    assert set(METHOD_SUMMARIES) == set(METHODS) | set(TEXT_METHODS)
    assert all(summary and "\n" not in summary for summary in METHOD_SUMMARIES.values())


def test_metrics_and_curves_are_those_of_the_held_out_rows(two_clusters):
    pool, target, pool_labels, target_labels = two_clusters
    comparison = compare_methods(
        pool,
        target,
        methods=["Random", "Nearest to target"],
        budget=30,
        pool_labels=pool_labels,
        target_labels=target_labels,
        random_state=0,
    )
    heldout = target[comparison.heldout_rows]
    for result in comparison.results:
        assert result.ok and result.n_selected == 30 and len(set(result.selected_indices)) == 30
        expected = evaluate_selection(
            pool,
            result.selected_indices,
            heldout,
            k=5,
            pool_labels=pool_labels,
            target_labels=target_labels[comparison.heldout_rows],
            random_state=0,
        )
        for metric in ("kl", "mmd2", "coverage", "precision"):
            np.testing.assert_allclose(result.metrics[metric], expected[metric], rtol=1e-12)
        np.testing.assert_allclose(
            result.heldout_kl_curve, kl_curve(heldout, pool[result.selected_indices], k=5), rtol=1e-12
        )
        np.testing.assert_allclose(result.heldout_kl_curve[-1], result.metrics["kl"], rtol=1e-9)


def test_the_method_that_matches_the_target_wins(two_clusters):
    pool, target, pool_labels, target_labels = two_clusters
    comparison = compare_methods(
        pool,
        target,
        methods=["Random", "Nearest to target"],
        budget=40,
        pool_labels=pool_labels,
        target_labels=target_labels,
        random_state=0,
    )
    best = comparison.best()
    assert best["kl"] == ("Nearest to target",) and best["mmd2"] == ("Nearest to target",)
    assert best["precision"] == ("Nearest to target",)
    assert comparison.result("Nearest to target").metrics["precision"] == 1.0
    assert comparison.result("Random").metrics["precision"] < 0.8
    assert comparison.wins()["Nearest to target"] >= 3


def test_accuracy_is_left_out_with_a_note_when_the_held_out_target_has_one_label(two_clusters):
    pool, target, pool_labels, target_labels = two_clusters
    comparison = compare_methods(
        pool,
        target,
        methods=["Random", "Nearest to target"],
        budget=20,
        pool_labels=pool_labels,
        target_labels=target_labels,
    )
    assert comparison.metric_names == ("kl", "mmd2", "coverage", "precision")
    assert any("Accuracy is left out" in note for note in comparison.notes)


def test_accuracy_is_reported_with_two_target_labels(rng):
    pool = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2)), rng.normal((0, 12), 1, (100, 2))])
    pool_labels = np.repeat([0, 1, 2], 100)
    target = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(6, 1, (30, 2))])
    target_labels = np.repeat([0, 1], 30)
    comparison = compare_methods(
        pool,
        target,
        methods=["Random", "Nearest to target"],
        budget=40,
        pool_labels=pool_labels,
        target_labels=target_labels,
        random_state=2,
    )
    assert comparison.metric_names == ("kl", "mmd2", "coverage", "precision", "accuracy")
    assert comparison.result("Nearest to target").metrics["accuracy"] > 0.9
    assert not comparison.notes


def test_object_labels_with_missing_values_are_compared_as_text(two_clusters):
    pool, target, pool_labels, target_labels = two_clusters
    pool_labels = pool_labels.copy()
    pool_labels[:10] = None
    pool_labels[10:20] = math.nan
    pool_labels[20:30] = 3
    comparison = compare_methods(
        pool,
        target,
        methods=["Random", "k-center greedy"],
        budget=50,
        pool_labels=pool_labels,
        target_labels=target_labels,
    )
    assert all(result.ok for result in comparison.results)
    assert 0.0 <= comparison.result("Random").metrics["precision"] <= 1.0


def test_the_same_seed_gives_the_same_comparison_and_methods_do_not_affect_each_other(two_clusters):
    pool, target, _, _ = two_clusters
    both = compare_methods(pool, target, methods=["k-center greedy", "Random"], budget=15, random_state=5)
    again = compare_methods(pool, target, methods=["k-center greedy", "Random"], budget=15, random_state=5)
    alone = compare_methods(pool, target, methods=["Random"], budget=15, random_state=5)
    np.testing.assert_array_equal(both.result("Random").selected_indices, again.result("Random").selected_indices)
    np.testing.assert_array_equal(both.result("Random").selected_indices, alone.result("Random").selected_indices)
    np.testing.assert_array_equal(both.heldout_rows, again.heldout_rows)
    other = compare_methods(pool, target, methods=["Random"], budget=15, random_state=6)
    assert not np.array_equal(other.result("Random").selected_indices, alone.result("Random").selected_indices)


def test_random_is_the_registry_method_with_the_comparison_seed(two_clusters):
    pool, target, _, _ = two_clusters
    comparison = compare_methods(pool, target, methods=["Random", "Nearest to target"], budget=12, random_state=0)
    seen = target[comparison.seen_rows]
    expected = RandomSelector(n_select=12, random_state=comparison.seed).fit(pool, seen).selected_indices_
    np.testing.assert_array_equal(comparison.result("Random").selected_indices, expected)
    expected = NearestToTargetSelector(n_select=12, random_state=comparison.seed).fit(pool, seen).selected_indices_
    np.testing.assert_array_equal(comparison.result("Nearest to target").selected_indices, expected)


def test_a_failing_method_is_reported_and_the_others_still_run(two_clusters):
    pool, target, _, _ = two_clusters
    comparison = compare_methods(
        pool,
        target,
        methods=["broken", "Random", "Nearest to target"],
        budget=10,
        registry={**METHODS, "broken": _failing},
    )
    broken = comparison.result("broken")
    assert not broken.ok and broken.error == "this method cannot run here; try another."
    assert broken.n_selected == 0
    assert [result.name for result in comparison.succeeded] == ["Random", "Nearest to target"]
    table = comparison.table()
    assert math.isnan(table.loc["broken", "kl"]) and table.loc["broken", "picks"] == 0
    assert all("broken" not in names for names in comparison.best().values())
    assert comparison.wins()["broken"] == 0


def test_progress_is_reported_before_each_method(two_clusters):
    pool, target, _, _ = two_clusters
    calls = []
    compare_methods(
        pool,
        target,
        methods=["Random", "k-center greedy"],
        budget=5,
        progress=lambda name, done, total: calls.append((name, done, total)),
    )
    assert calls == [("Random", 0, 2), ("k-center greedy", 1, 2)]


def test_table_has_one_row_per_method_and_the_metric_columns(two_clusters):
    pool, target, _, _ = two_clusters
    comparison = compare_methods(pool, target, methods=["Random", "k-center greedy"], budget=25)
    table = comparison.table()
    assert list(table.index) == ["Random", "k-center greedy"]
    assert list(table.columns) == ["kl", "mmd2", "coverage", "picks", "seconds"]
    assert (table["picks"] == 25).all() and (table["seconds"] >= 0).all()
    with pytest.raises(KeyError, match="'GIO' is not in this comparison"):
        comparison.result("GIO")


def test_a_budget_below_k_leaves_kl_undefined_with_a_note(two_clusters):
    pool, target, _, _ = two_clusters
    comparison = compare_methods(pool, target, methods=["Random", "k-center greedy"], budget=3)
    assert math.isnan(comparison.result("Random").metrics["kl"])
    assert comparison.best()["kl"] == ()
    assert any("KL needs at least k=5 picks" in note for note in comparison.notes)


def test_default_methods_run_with_the_engine_defaults(two_clusters):
    pool, target, _, _ = two_clusters
    comparison = compare_methods(pool, target, budget=20, random_state=0)
    assert comparison.names == DEFAULT_METHODS and "GIO" in comparison.names
    for result in comparison.results:
        assert result.ok, result.error
        assert 1 <= result.n_selected <= 20
        assert result.selected_indices.min() >= 0 and result.selected_indices.max() < len(pool)
    assert all(comparison.result(name).n_selected == 20 for name in DEFAULT_METHODS if name != "GIO")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(methods=[]), ValueError, "methods is empty"),
        (dict(methods="Random"), TypeError, "methods must be a list of method names"),
        (dict(methods=["Random", "Magic"]), ValueError, "unknown method\\(s\\) 'Magic'; choose from Random"),
        (dict(methods=["Random", "Random"]), ValueError, "methods names 'Random' more than once"),
        (dict(budget=301), ValueError, "budget=301 is more than the 300 pool rows"),
        (dict(budget=0), ValueError, "budget must be at least 1"),
        (dict(budget=2.5), TypeError, "budget must be an integer"),
        (dict(pool_labels=np.zeros(5)), ValueError, "pool_labels has 5 entries but there are 300 rows"),
        (dict(target_labels=np.zeros(5)), ValueError, "target_labels has 5 entries but there are 60 rows"),
        (dict(heldout_share=1.5), ValueError, "heldout_share must be at most 1.0"),
        (dict(random_state="seed"), TypeError, "random_state must be None"),
        (
            dict(methods=["Random", "DSIR"]),
            ValueError,
            "DSIR reads raw text, not vectors; pass pool_texts and target_texts",
        ),
        (
            dict(methods=["Random", "DSIR"], pool_texts=["a"] * 5, target_texts=["a"] * 60),
            ValueError,
            "pool_texts has 5 texts but there are 300 rows",
        ),
        (
            dict(methods=["Random", "DSIR"], pool_texts=["a"] * 300, target_texts=["a"] * 6),
            ValueError,
            "target_texts has 6 texts but there are 60 rows",
        ),
    ],
    ids=[
        "no-methods",
        "one-string",
        "unknown",
        "repeated",
        "budget-too-big",
        "budget-zero",
        "budget-float",
        "pool-labels",
        "target-labels",
        "share",
        "seed",
        "text-method-without-texts",
        "pool-texts-length",
        "target-texts-length",
    ],
)
def test_compare_validation(two_clusters, kwargs, error, match):
    pool, target, _, _ = two_clusters
    arguments = {"methods": ["Random", "k-center greedy"], "budget": 10, **kwargs}
    with pytest.raises(error, match=match):
        compare_methods(pool, target, **arguments)


@pytest.mark.parametrize(
    "pool, target, error, match",
    [
        (np.zeros((50, 2)), np.zeros((30, 3)), ValueError, "pool has 2 dimensions but target has 3"),
        (np.zeros((50, 2)), np.zeros((8, 2)), ValueError, "The target has 8 rows.*at least 12"),
        (np.array([["a", "b"]]), np.zeros((30, 2)), TypeError, "pool has dtype"),
    ],
    ids=["dimensions", "tiny-target", "text-pool"],
)
def test_compare_validates_the_data(pool, target, error, match):
    with pytest.raises(error, match=match):
        compare_methods(pool, target, methods=["Random", "k-center greedy"], budget=5)


# ---------------------------------------------------------------------------------------------- figures


def test_method_colors_are_distinct_and_stable():
    names = list(METHODS)
    colors = method_colors(names)
    assert len(set(colors.values())) == len(names)
    assert method_colors(names[:2]) == {name: colors[name] for name in names[:2]}


def test_kl_curves_figure_draws_one_line_per_method_without_the_undefined_start():
    curves = {"A": np.array([np.nan, np.nan, 2.0, 1.0, 0.5]), "B": np.array([np.nan, np.nan, 3.0, 2.5, 2.0])}
    figure = kl_curves_figure(curves)
    lines = [trace for trace in figure.data if trace.mode == "lines"]
    assert [trace.name for trace in lines] == ["A", "B"]
    np.testing.assert_array_equal(lines[0].x, [3, 4, 5])
    np.testing.assert_allclose(lines[0].y, [2.0, 1.0, 0.5], rtol=0)
    finals = [trace for trace in figure.data if trace.mode == "markers"]
    assert [float(trace.y[0]) for trace in finals] == [0.5, 2.0]


def test_kl_curves_figure_says_when_there_is_no_kl_yet():
    figure = kl_curves_figure({"A": np.array([np.nan, np.nan])})
    assert "needs k picks" in figure.layout.annotations[0].text


def test_selection_maps_figure_has_a_panel_per_method_and_marks_off_target_picks(two_clusters):
    pool, target, pool_labels, target_labels = two_clusters
    placer = MapPlacer(project(pool, target, method="raw"), pool, target)
    selections = {"near": np.arange(150, 160), "far": np.arange(0, 10), "mixed": np.array([0, 1, 150, 151, 152])}
    figure = selection_maps_figure(
        placer,
        selections,
        heldout_rows=np.arange(10),
        pool_labels=pool_labels,
        target_labels=target_labels,
        label_name="cluster",
        columns=2,
    )
    assert [annotation.text for annotation in figure.layout.annotations[:3]] == ["near", "far", "mixed"]
    picks = {trace.name: len(trace.x) for trace in figure.data if trace.name and trace.name.endswith(": picks")}
    assert picks == {"near: picks": 10, "far: picks": 0, "mixed: picks": 3}
    off_target = [len(trace.x) for trace in figure.data if trace.name == "picks with a cluster not in the target"]
    assert off_target == [0, 10, 2]
    held_out = [trace for trace in figure.data if trace.name == "target (held out for scoring)"]
    assert len(held_out) == 3 and len(held_out[0].x) == 10


def test_selection_maps_figure_validation(two_clusters):
    pool, target, _, _ = two_clusters
    placer = MapPlacer(project(pool, target, method="raw"), pool, target)
    with pytest.raises(ValueError, match="selections is empty"):
        selection_maps_figure(placer, {})
    with pytest.raises(ValueError, match="columns must be at least 1"):
        selection_maps_figure(placer, {"A": [0]}, columns=0)
