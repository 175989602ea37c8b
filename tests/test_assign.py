"""Assigning rows to their nearest centroid (gio_core.scale.assign.assign_rows): a true nearest centroid, ties to
the lowest number, the same whatever the batch; near-ties past the first candidates settled exactly."""

import numpy as np
import pytest

from gio_core.scale.assign import assign_rows, centroid_index


def _exact(rows, centers):
    """Every row's squared float64 distance to every centroid (brute force)."""
    difference = rows.astype(np.float64)[:, None, :] - centers.astype(np.float64)[None, :, :]
    return (difference**2).sum(axis=2)


def _check_nearest(rows, centers, labels):
    exact = _exact(rows, centers)
    best = exact.min(axis=1)
    chosen = exact[np.arange(len(rows)), labels]
    np.testing.assert_allclose(chosen, best, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n_clusters", [1, 2, 3, 4, 5, 16, 17, 60])
def test_every_row_gets_a_nearest_centroid_and_batches_do_not_matter(rng, n_clusters):
    # rows near the midpoints between centroids: many near-ties that float32 cannot separate
    centers = rng.normal(size=(n_clusters, 48)).astype(np.float32) * 3
    first, second = rng.integers(0, n_clusters, size=(2, 3000))
    share = rng.uniform(0.499, 0.501, size=(3000, 1))
    rows = (share * centers[first] + (1 - share) * centers[second]).astype(np.float32)
    rows[:1000] = rng.normal(size=(1000, 48)).astype(np.float32) * 3
    index = centroid_index(centers)
    labels = assign_rows(index, rows)
    _check_nearest(rows, centers, labels)
    pieces = np.concatenate([assign_rows(index, part) for part in np.array_split(rows, 37)])
    one_by_one = np.array([assign_rows(index, rows[i : i + 1])[0] for i in range(0, 3000, 7)])
    np.testing.assert_array_equal(pieces, labels)
    np.testing.assert_array_equal(one_by_one, labels[::7])


@pytest.mark.parametrize("n_clusters", [3, 6, 20, 40])
def test_exact_ties_go_to_the_lowest_cluster_even_past_the_first_candidates(n_clusters):
    """A row equally far from every centroid (the centre of +-e_i on integer coordinates: every distance
    exact in float32 and float64) and rows tied between two: the lowest cluster number wins, however many
    centroids tie (past the first 4 and the 16 of the second search)."""
    dimension = (n_clusters + 1) // 2
    axes = np.eye(dimension, dtype=np.float32)
    centers = np.vstack([axes, -axes])[:n_clusters] * 2
    order = np.random.default_rng(1).permutation(n_clusters)  # tied centroids in no particular order
    centers = centers[order]
    rows = np.zeros((3, dimension), dtype=np.float32)
    rows[1] = centers[order.argsort()[0]] / 2  # halfway to one centroid: it is the only nearest
    rows[2] = (centers[0] + centers[1]) / 2 if n_clusters > 1 else 0
    labels = assign_rows(centroid_index(centers), rows)
    exact = _exact(rows, centers)
    expected = [int(np.flatnonzero(row == row.min())[0]) for row in exact]
    assert labels.tolist() == expected
    assert labels[0] == 0  # every centroid ties


def test_rows_with_nan_or_inf_get_minus_one_and_stay_as_given(rng):
    centers = rng.normal(size=(10, 8)).astype(np.float32)
    rows = rng.normal(size=(50, 8)).astype(np.float32)
    rows[3, 2], rows[9, 0], rows[20, 7] = np.nan, np.inf, -np.inf
    before = rows.copy()
    labels = assign_rows(centroid_index(centers), rows)
    assert labels[[3, 9, 20]].tolist() == [-1, -1, -1]
    np.testing.assert_array_equal(rows, before)
    kept = np.setdiff1d(np.arange(50), [3, 9, 20])
    _check_nearest(rows[kept], centers, labels[kept])


def test_huge_finite_values_are_not_taken_for_inf(rng):
    """Squared norms are summed in float64, where no float32 value overflows."""
    centers = np.array([[3e38, 0.0], [-3e38, 0.0]], dtype=np.float32)
    rows = np.array([[2.9e38, 1.0], [-2.9e38, 1.0]], dtype=np.float32)
    assert assign_rows(centroid_index(centers), rows).tolist() == [0, 1]
