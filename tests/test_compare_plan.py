"""A comparison of a big pool runs each method on what fits its budgets: every row, a sample, GIO quantised, or
nothing with the reason."""

import sys

import numpy as np
import pytest

from gio_core.evaluate import compare_methods, plan_methods
from gio_core.scale import suggested_clusters

from .selection_checks import mapped_resident_bytes


def _mixture(rows=6_000, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (20, 8))
    labels = rng.integers(0, 20, rows)
    pool = (centres[labels] + rng.normal(0, 1, (rows, 8))).astype(np.float32)
    target_labels = rng.integers(0, 3, 120)
    target = centres[target_labels] + rng.normal(0, 1, (120, 8))
    return pool, labels, target, target_labels


def test_small_pools_run_every_method_on_every_row():
    plans = plan_methods(["Random", "TSDS", "GIO"], n_pool=5_000, n_target=100, dimensions=384, budget=100)
    assert [(plan.rows, plan.sampled, plan.n_clusters, plan.skip) for plan in plans] == [(5_000, False, None, None)] * 3


def test_a_million_rows_sample_the_costly_methods_and_quantise_gio():
    plans = {
        plan.name: plan
        for plan in plan_methods(
            ["TSDS", "GTP-style pursuit", "GIO", "Greedy k-NN KL"],
            n_pool=1_000_000,
            n_target=1_400,
            dimensions=384,
            budget=100,
            memory_budget_bytes=1 << 30,
        )
    }
    assert plans["TSDS"].sampled and plans["TSDS"].rows < 1_000_000
    assert plans["TSDS"].memory_bytes <= 1 << 30
    assert plans["GIO"].n_clusters == suggested_clusters(1_000_000)
    assert plans["Greedy k-NN KL"].rows * 1_400 <= 20_000_000


def test_a_tiny_memory_budget_leaves_methods_out_with_the_reason():
    (plan,) = plan_methods(
        ["TSDS"], n_pool=1_000_000, n_target=1_400, dimensions=384, budget=100, memory_budget_bytes=10 << 20
    )
    assert plan.skip is not None and "TSDS is left out" in plan.skip and "memory budget of 10 MB" in plan.skip


def test_sampled_and_quantised_methods_pick_real_pool_rows_and_say_what_they_ran_on(monkeypatch):
    # 60 clusters, so that K-means's training sample (64 rows a centroid) is smaller than this small pool
    monkeypatch.setattr("gio_core.evaluate.plan.suggested_clusters", lambda n_pool: 60)
    pool, labels, target, target_labels = _mixture()
    comparison = compare_methods(
        pool,
        target,
        methods=["GIO", "Nearest to target", "Random"],
        budget=50,
        pool_labels=labels,
        target_labels=target_labels,
        memory_budget_bytes=520_000,  # 6,000 x 8 values: too much for all rows of GIO or Nearest
        random_state=0,
    )
    gio, nearest, random = comparison.results
    assert gio.ran_on.startswith("K-means:") and nearest.ran_on.startswith("random sample of")
    for result in comparison.results:
        assert result.ok and result.n_selected == 50
        assert len(set(result.selected_indices.tolist())) == 50
        assert result.selected_indices.max() < len(pool)
    # the sample is a sample, yet the target's clusters are still what nearest-to-target takes
    assert nearest.metrics["precision"] == pytest.approx(1.0)
    assert random.metrics["precision"] < 0.5


def test_the_pool_is_not_copied_to_float64():
    pool, _, target, _ = _mixture(rows=3_000)
    comparison = compare_methods(pool, target, methods=["Random", "Nearest to target"], budget=20)
    assert all(result.ok for result in comparison.results)
    with pytest.raises(ValueError, match="NaN or inf"):
        bad = pool.copy()
        bad[2_999, 0] = np.nan
        compare_methods(bad, target, methods=["Random", "Nearest to target"], budget=20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_a_memory_mapped_pool_is_sampled_without_keeping_the_file_resident(tmp_path):
    pool, labels, target, target_labels = _mixture(rows=120_000)  # 3.8 MB of float32, many pages
    path = (tmp_path / "pool.npy").resolve()
    np.save(path, pool)
    mapped = np.load(path, mmap_mode="r")
    kwargs = dict(
        methods=["Random", "Nearest to target"],
        budget=50,
        pool_labels=labels,
        target_labels=target_labels,
        memory_budget_bytes=1_000_000,  # a sample of each: rows spread over the whole file
        random_state=0,
    )
    from_map = compare_methods(mapped, target, **kwargs)
    # the finiteness check and the samples were read window by window and handed back: the map does not hold
    # the file (indexing the map at rows spread over it kept every page)
    assert mapped_resident_bytes(path) < path.stat().st_size // 4
    assert all(result.ran_on.startswith("random sample of") for result in from_map.results)
    in_memory = compare_methods(pool, target, **kwargs)  # the same rows and scores as from an array in memory
    for left, right in zip(from_map.results, in_memory.results, strict=True):
        np.testing.assert_array_equal(left.selected_indices, right.selected_indices)
        assert left.metrics == pytest.approx(right.metrics)


def test_gio_gets_fewer_centroids_where_the_suggested_k_means_would_not_fit_the_memory_budget():
    # 100,000 x 64: GIO on every row needs about 67 MiB; K-means with the suggested 2,000 centroids trains on every
    # row (64 a centroid) and needs about 76 MiB; within 64 MiB GIO runs on fewer centroids instead of being left out
    (plan,) = plan_methods(
        ["GIO"], n_pool=100_000, n_target=300, dimensions=64, budget=100, memory_budget_bytes=64 << 20
    )
    assert plan.runs and plan.n_clusters is not None and 50 <= plan.n_clusters < suggested_clusters(100_000)
    assert plan.memory_bytes <= 64 << 20
    assert plan.ran_on(100_000) == f"K-means: {plan.n_clusters:,} centroids of all 100,000 rows"
    # with too little memory even for 50 centroids' sample GIO is left out with the reason
    (tiny,) = plan_methods(
        ["GIO"], n_pool=100_000, n_target=300, dimensions=64, budget=100, memory_budget_bytes=4 << 20
    )
    assert tiny.skip is not None and "GIO is left out" in tiny.skip
