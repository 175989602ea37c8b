"""Baseline selectors: their defining property, brute-force checks, determinism, the registry."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core import PAPER_GIO_PARAMS, GIOSelector
from gio_core.gio.kl import kl_curve
from gio_core.gio.neighbors import kth_neighbor_distances
from gio_core.methods import METHODS, GreedyKLSelector, KCenterGreedySelector, NearestToTargetSelector, RandomSelector

SELECTORS = [RandomSelector, KCenterGreedySelector, NearestToTargetSelector, GreedyKLSelector]
IDS = [cls.__name__ for cls in SELECTORS]


@pytest.fixture
def data(rng):
    pool = np.vstack([rng.normal(0, 1, size=(60, 3)), rng.normal(4, 1, size=(60, 3))])
    target = rng.normal(4, 1, size=(30, 3))
    return pool, target


@pytest.mark.parametrize("cls", SELECTORS, ids=IDS)
def test_result_shape_and_determinism(cls, data):
    pool, target = data
    first = cls(n_select=20, random_state=3).fit(pool, target)
    second = cls(n_select=20, random_state=3).fit(pool, target)
    np.testing.assert_array_equal(first.selected_indices_, second.selected_indices_)
    picks = first.selected_indices_
    assert picks.dtype == np.int64 and picks.shape == (20,)
    assert len(np.unique(picks)) == 20 and picks.min() >= 0 and picks.max() < len(pool)
    assert first.stop_reason_ == "data_size" and first.stop_message_
    assert_allclose(first.kl_curve_, kl_curve(target, pool[picks], k=5), equal_nan=True)
    assert math.isinf(first.initial_kl_)


@pytest.mark.parametrize("cls", SELECTORS, ids=IDS)
def test_budget_larger_than_pool(cls, rng):
    pool, target = rng.normal(size=(12, 2)), rng.normal(size=(10, 2))
    selector = cls(n_select=50, random_state=0).fit(pool, target)
    assert sorted(selector.selected_indices_) == list(range(12))
    assert selector.stop_reason_ == "pool_exhausted"


def test_random_depends_on_the_seed(data):
    pool, target = data
    first = RandomSelector(n_select=20, random_state=0).fit(pool, target).selected_indices_
    other = RandomSelector(n_select=20, random_state=1).fit(pool, target).selected_indices_
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("with_init", [False, True], ids=["no-init", "init"])
def test_k_center_picks_the_farthest_row(data, with_init):
    pool, target = data
    init = pool[:2] if with_init else None
    picks = KCenterGreedySelector(n_select=15, random_state=0).fit(pool, target, init=init).selected_indices_
    chosen = list(pool[:2]) if with_init else [pool[picks[0]]]
    for position, pick in enumerate(picks):
        if position == 0 and not with_init:
            continue
        nearest = kth_neighbor_distances(pool, np.asarray(chosen), 1)
        nearest[picks[:position]] = -np.inf
        assert_allclose(nearest[pick], nearest.max(), rtol=1e-12)
        chosen.append(pool[pick])


def test_nearest_to_target_takes_each_rows_neighbour(rng):
    target = rng.normal(size=(15, 4))
    near_copies = target + rng.normal(0, 1e-3, size=target.shape)
    pool = np.vstack([rng.normal(0, 1, size=(40, 4)), near_copies])
    picks = NearestToTargetSelector(n_select=15, k=3, random_state=0).fit(pool, target).selected_indices_
    assert sorted(picks) == list(range(40, 55))


def test_nearest_to_target_beyond_its_neighbour_lists(rng):
    # many rounds: more picks than the precomputed neighbour depth covers for some rows
    pool, target = rng.normal(size=(80, 2)), rng.normal(size=(6, 2))
    picks = NearestToTargetSelector(n_select=70, k=2, random_state=0).fit(pool, target).selected_indices_
    assert len(np.unique(picks)) == 70


def _brute_force_scores(pool, target, start, chosen, k):
    """Mean rank-capped k-th log-distance after adding each unused candidate."""
    scores = {}
    for candidate in range(len(pool)):
        if candidate in chosen:
            continue
        sample = np.vstack([start, pool[chosen + [candidate]]])
        rank = min(k, len(sample))
        scores[candidate] = float(np.mean(np.log(kth_neighbor_distances(target, sample, rank, backend="numpy"))))
    return scores


@pytest.mark.parametrize("k", [1, 3], ids=["k1", "k3"])
@pytest.mark.parametrize("with_init", [False, True], ids=["no-init", "init"])
def test_greedy_kl_takes_the_best_candidate_every_step(rng, k, with_init):
    pool, target = rng.normal(size=(40, 3)), rng.normal(0.5, 1.0, size=(20, 3))
    start = rng.normal(size=(2, 3)) if with_init else np.empty((0, 3))
    picks = GreedyKLSelector(n_select=12, k=k).fit(pool, target, init=start if with_init else None).selected_indices_
    chosen: list[int] = []
    for pick in picks:
        scores = _brute_force_scores(pool, target, start, chosen, k)
        assert scores[int(pick)] <= min(scores.values()) + 1e-9
        chosen.append(int(pick))


def test_greedy_kl_without_the_stored_matrix_agrees(rng, monkeypatch):
    import gio_core.methods.greedy_kl as greedy_kl

    pool, target = rng.normal(size=(50, 3)), rng.normal(size=(20, 3))
    stored = GreedyKLSelector(n_select=15, k=3).fit(pool, target).selected_indices_
    monkeypatch.setattr(greedy_kl, "_STORED_PAIRS", 0)
    monkeypatch.setattr(greedy_kl, "_BLOCK_PAIRS", 100)
    np.testing.assert_array_equal(GreedyKLSelector(n_select=15, k=3).fit(pool, target).selected_indices_, stored)


def test_greedy_kl_increase_rule_stops_at_the_minimum(rng):
    pool, target = rng.normal(size=(60, 2)), rng.normal(size=(25, 2))
    selector = GreedyKLSelector(n_select=60, k=3, stop_criterion="increase").fit(pool, target)
    assert selector.stop_reason_ == "increase"
    curve = selector.kl_curve_[2:]  # defined from the k-th pick on
    assert np.all(np.diff(curve) <= 1e-12)
    # the best remaining candidate would raise the estimate
    picks = list(selector.selected_indices_)
    best = min(kl_curve(target, pool[picks + [c]], k=3)[-1] for c in range(60) if c not in picks)
    assert best > curve[-1]


def test_greedy_kl_prefers_the_target_region(data):
    pool, target = data
    picks = GreedyKLSelector(n_select=30).fit(pool, target).selected_indices_
    assert np.mean(picks >= 60) >= 0.9


def test_registry_runs_every_method(data):
    pool, target = data
    required = {"Random", "k-center greedy", "Nearest to target", "Greedy k-NN KL", "GIO"}
    assert required <= set(METHODS)
    assert any(name.startswith("GIO (v_init=") for name in METHODS)
    for name, make in METHODS.items():
        estimator = make(12, 0)
        estimator.fit(pool, target, np.zeros((0, 3)))
        picks = estimator.selected_indices_
        assert len(picks) == 12, name
        # GIO reaches max_iter=n_select (its data_size budget is the whole pool) at the same count
        assert estimator.stop_reason_ in ("data_size", "max_iter"), name
        np.testing.assert_array_equal(make(12, 0).fit(pool, target, np.zeros((0, 3))).selected_indices_, picks)


def test_registry_gio_uses_the_budget_and_the_defaults():
    estimator = METHODS["GIO"](40, 7)
    assert isinstance(estimator, GIOSelector)
    params = estimator.get_params()
    assert (params["max_iter"], params["stop_criterion"], params["max_data_size"], params["random_state"]) == (
        40,
        "data_size",
        1.0,
        7,
    )
    defaults = GIOSelector().get_params()
    assert all(
        params[name] == defaults[name]
        for name in defaults
        if name not in ("max_iter", "stop_criterion", "max_data_size", "random_state")
    )
    assert set(PAPER_GIO_PARAMS) <= set(defaults)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: RandomSelector(n_select=0), ValueError, "n_select"),
        (lambda: RandomSelector(n_select=2.5), TypeError, "n_select"),  # type: ignore[arg-type]  # the wrong type is the test
        (lambda: KCenterGreedySelector(n_select=5, k=0), ValueError, "k must be"),
        (lambda: GreedyKLSelector(n_select=5, stop_criterion="never"), ValueError, "stop_criterion"),
        (lambda: NearestToTargetSelector(n_select=5, random_state=-1), ValueError, "random_state"),
    ],
    ids=["zero-budget", "float-budget", "k-zero", "bad-stop", "bad-seed"],
)
def test_parameter_validation(data, make, error, match):
    pool, target = data
    with pytest.raises(error, match=match):
        make().fit(pool, target)


@pytest.mark.parametrize("cls", SELECTORS, ids=IDS)
def test_data_validation(cls, rng):
    with pytest.raises(ValueError, match="dimensions"):
        cls(n_select=3).fit(rng.normal(size=(10, 2)), rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match="k\\+1"):
        cls(n_select=3).fit(rng.normal(size=(10, 2)), rng.normal(size=(4, 2)))
    with pytest.raises(ValueError, match="init"):
        cls(n_select=3).fit(rng.normal(size=(10, 2)), rng.normal(size=(10, 2)), init=np.ones((2, 3)))


def test_kl_curve_is_measured_when_first_read(rng, monkeypatch):
    import gio_core.methods.base as base
    from gio_core.gio.kl import kl_curve

    calls = []
    monkeypatch.setattr(base, "_kl_curve", lambda *args, **kwargs: calls.append(1) or kl_curve(*args, **kwargs))
    pool, target = rng.normal(size=(200, 3)), rng.normal(size=(50, 3))
    selector = RandomSelector(n_select=20, random_state=0).fit(pool, target)
    assert calls == []  # fit alone does not pay for the curve
    np.testing.assert_allclose(selector.kl_curve_, kl_curve(target, pool[selector.selected_indices_], k=5), rtol=1e-12)
    assert selector.kl_curve_ is selector.kl_curve_
    assert calls == [1]  # measured once
    with pytest.raises(AttributeError, match="call fit first"):
        _ = RandomSelector().kl_curve_


def test_nearest_to_target_deepens_its_lists_with_the_same_picks_as_a_full_scan():
    # 40 target rows crowd one spot, so each one's precomputed neighbours run out many times over
    rng = np.random.default_rng(7)
    pool = rng.normal(size=(600, 6))
    target = rng.normal(scale=0.05, size=(40, 6))
    picks = NearestToTargetSelector(n_select=450, random_state=3).fit(pool, target).selected_indices_
    order = np.random.default_rng(3).permutation(40)
    used = np.zeros(600, dtype=bool)
    expected: list[int] = []
    while len(expected) < 450:
        for row in order:
            if len(expected) == 450:
                break
            distances = ((pool - target[row]) ** 2).sum(axis=1)
            distances[used] = np.inf
            expected.append(int(np.argmin(distances)))
            used[expected[-1]] = True
    assert picks.tolist() == expected
