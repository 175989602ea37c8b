"""Quantised GIO on mixtures with known centres: K-means keeps separated centres apart (k-means++ start),
and a quantised run picks the clusters near the target rather than far ones (``candidates='near_target'``)."""

from __future__ import annotations

import numpy as np
import pytest

from gio_core.gio import GIOSelector
from gio_core.gio.selector import clusters_near_target
from gio_core.scale.assign import assign_in_chunks
from gio_core.scale.quantize import seed_centroids, train_centroids


def _mixture(seed: int, *, n_centres=60, dim=48, n_rows=6_000, n_target_centres=6, n_target_rows=600):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_centres, dim)) * 2.0
    target_centres = rng.choice(n_centres, size=n_target_centres, replace=False)
    others = np.setdiff1d(np.arange(n_centres), target_centres)
    n_in = n_rows // 10
    of_row = np.concatenate([rng.choice(target_centres, n_in), rng.choice(others, n_rows - n_in)])
    pool = (centres[of_row] + rng.normal(size=(n_rows, dim))).astype(np.float32)
    target = (centres[rng.choice(target_centres, n_target_rows)] + rng.normal(size=(n_target_rows, dim))).astype(
        np.float32
    )
    return pool, target, of_row, target_centres


def _merged_share(labels, of_row, n_centres):
    table = np.zeros((labels.max() + 1, n_centres), dtype=np.int64)
    np.add.at(table, (labels, of_row), 1)
    sizes = table.sum(axis=1)
    held = ((table >= 0.1 * sizes[:, None]) & (table > 0)).sum(axis=1)
    return float((held[sizes > 0] >= 2).mean())


def test_kmeans_plus_plus_start_keeps_separated_centres_apart():
    # faiss's own start (random training rows) leaves some of 60 separated centres without a starting row, and
    # Lloyd's iterations never split the cluster they are merged into
    merged = {0: [], 8: []}
    for seed in range(4):
        pool, _, of_row, _ = _mixture(seed)
        for start in merged:
            centres = train_centroids(pool, 90, seed=seed, seeding_points_per_centroid=start)
            merged[start].append(_merged_share(assign_in_chunks(pool, centres).labels, of_row, 60))
    assert max(merged[8]) <= 1 / 90  # at most one merged cluster of 90
    assert sum(merged[8]) < sum(merged[0])


def test_seed_centroids_is_seeded_and_optional():
    pool, *_ = _mixture(0)
    first = seed_centroids(pool, 30, seed=5)
    assert first is not None and first.shape == (30, pool.shape[1]) and first.dtype == np.float32
    np.testing.assert_array_equal(first, seed_centroids(pool, 30, seed=5))
    assert not np.array_equal(first, seed_centroids(pool, 30, seed=6))
    assert seed_centroids(pool, 30, seed=5, points_per_centroid=0) is None
    assert seed_centroids(pool[:30], 30, seed=5) is None  # no more rows than clusters: faiss's own start


def test_clusters_near_target_widens_until_the_budget_fits():
    centers = np.array([[0.0], [1.0], [2.0], [10.0]])
    counts = np.array([4, 4, 4, 4])
    target = np.array([[0.1], [0.2]])
    assert clusters_near_target(centers, counts, target).tolist() == [0]
    assert clusters_near_target(centers, counts, target, min_rows=8).tolist() == [0, 1]
    assert clusters_near_target(centers, counts, target, min_clusters=3).tolist() == [0, 1, 2]
    assert clusters_near_target(centers, counts, target, min_rows=100, max_rank=2).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "counts, weights, expected",
    [
        ([10, 10, 10, 70], None, [0, 1, 2]),  # cluster 2: 1 of 10 target points for 10% of the pool rows, kept
        ([10, 10, 30, 50], None, [0, 1]),  # 1 of 10 for 30% of the rows: less than half as dense, left out
        ([10, 10, 30, 50], [1, 1, 1, 1, 1, 1, 1, 1, 1, 9], [0, 1, 2]),  # that point stands for 9 rows of 17
    ],
    ids=["dense-enough", "too-sparse", "weighted-centroid"],
)
def test_clusters_near_target_leave_out_clusters_where_the_target_is_sparse(counts, weights, expected):
    centers = np.array([[0.0], [1.0], [10.0], [20.0]])
    target = np.array([[0.1]] * 5 + [[0.9]] * 4 + [[9.9]])
    kept = clusters_near_target(centers, np.array(counts), target, target_weights=weights)
    assert kept.tolist() == expected
    # the rule gives way when the dense clusters cannot hold a budget, and can be turned off
    assert clusters_near_target(centers, np.array(counts), target, min_rows=25).tolist() == [0, 1, 2]
    assert clusters_near_target(centers, np.array(counts), target, min_density_ratio=0).tolist() == [0, 1, 2]


def _precision_recall(selected, of_row, target_centres):
    in_target = np.isin(of_row, target_centres)
    chosen = np.zeros(of_row.size, dtype=bool)
    chosen[selected] = True
    return float(in_target[chosen].mean()), float(chosen[in_target].mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_quantised_own_stop_takes_the_target_clusters(seed):
    pool, target, of_row, target_centres = _mixture(seed)
    selector = GIOSelector(n_clusters=90, random_state=seed).fit(pool, target)
    precision, recall = _precision_recall(selector.selected_indices_, of_row, target_centres)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, selector.stop_message_)
    assert selector.stop_reason_ in ("pool_exhausted", "sequential_increase_tolerance")


def test_every_centroid_as_candidate_is_still_offered():
    pool, target, *_ = _mixture(0)
    near = GIOSelector(n_clusters=90, random_state=0, max_iter=60).fit(pool, target)
    every = GIOSelector(n_clusters=90, random_state=0, max_iter=60, candidates="all").fit(pool, target)
    assert set(near.selected_clusters_.tolist()) != set(every.selected_clusters_.tolist())
    assert "nearest a target row" in near.stop_message_ or near.stop_reason_ != "pool_exhausted"
    with pytest.raises(ValueError, match="candidates"):
        GIOSelector(n_clusters=90, candidates="nearest").fit(pool, target)


def test_budget_run_is_in_target_and_covers_every_target_centre():
    pool, target, of_row, target_centres = _mixture(3)
    budget = int(0.9 * np.isin(of_row, target_centres).sum())
    selector = GIOSelector(
        n_clusters=90, random_state=3, stop_criterion="data_size", max_data_size=budget / pool.shape[0], max_iter=90
    ).fit(pool, target)
    selected = selector.selected_indices_
    precision, _ = _precision_recall(selected, of_row, target_centres)
    assert selected.size == budget
    assert precision >= 0.9
    for centre in target_centres:
        assert np.isin(selected, np.flatnonzero(of_row == centre)).sum() >= 0.5 * 0.9 * (of_row == centre).sum()
