"""2-D maps: raw, PCA and UMAP, seeded sampling, and placing new points on a map."""

import numpy as np
import pytest

from gio_core.plots.projection import MAX_MAP_POOL_ROWS, UMAP_MIN_ROWS, MapPlacer, map_sample, project, resolve_method


@pytest.fixture
def blobs(rng):
    """Two well-separated 6-D blobs in the pool, the target in the first."""
    pool = np.vstack([rng.normal(size=(150, 6)), rng.normal(size=(150, 6)) + 12.0])
    target = rng.normal(size=(40, 6))
    return pool, target


def test_map_sample_keeps_every_row_up_to_the_limit():
    np.testing.assert_array_equal(map_sample(10, max_pool_rows=10), np.arange(10))


def test_map_sample_draws_a_sorted_uniform_sample_seeded():
    rows = map_sample(100_000, max_pool_rows=1_000, random_state=1)
    assert len(rows) == len(np.unique(rows)) == 1_000
    assert np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, map_sample(100_000, max_pool_rows=1_000, random_state=1))
    assert not np.array_equal(rows, map_sample(100_000, max_pool_rows=1_000, random_state=2))
    # uniform: each decile of the pool gets about a tenth of the sample
    counts = np.bincount(rows // 10_000, minlength=10)
    assert counts.min() > 60 and counts.max() < 140


def test_default_sample_limit_is_twenty_thousand():
    assert MAX_MAP_POOL_ROWS == 20_000


@pytest.mark.parametrize(
    "method, rows, dims, expected",
    [
        ("auto", 1000, 2, "raw"),
        ("auto", 1000, 1, "raw"),
        ("auto", UMAP_MIN_ROWS - 1, 10, "pca"),
        ("auto", UMAP_MIN_ROWS, 10, "umap"),
        ("pca", 1000, 2, "pca"),
        ("umap", 10, 10, "umap"),
    ],
    ids=["2d-raw", "1d-raw", "tiny-pca", "umap", "forced-pca", "forced-umap"],
)
def test_resolve_method(method, rows, dims, expected):
    assert resolve_method(method, rows, dims) == expected


def test_raw_map_is_the_data_itself(rng):
    pool, target = rng.normal(size=(30, 2)), rng.normal(size=(8, 2))
    projection = project(pool, target)
    assert projection.method == "raw" and projection.axis_titles == ("x", "y")
    np.testing.assert_allclose(projection.pool_xy, pool, rtol=1e-6)
    np.testing.assert_allclose(projection.target_xy, target, rtol=1e-6)


def test_raw_map_of_one_dimension_puts_points_on_a_line(rng):
    projection = project(rng.normal(size=(30, 1)), rng.normal(size=(8, 1)))
    np.testing.assert_array_equal(projection.pool_xy[:, 1], 0.0)


def test_pca_map_matches_the_top_two_components(rng):
    pool = rng.normal(size=(200, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1])
    target = rng.normal(size=(50, 5))
    projection = project(pool, target, method="pca")
    points = np.vstack([pool, target])
    centred = points - points.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:2].T
    xy = np.vstack([projection.pool_xy, projection.target_xy])
    for column in range(2):  # components are defined up to sign
        sign = np.sign(xy[:, column] @ expected[:, column])
        np.testing.assert_allclose(xy[:, column], sign * expected[:, column], atol=1e-4)
    explained = singular[0] ** 2 / (singular**2).sum()
    assert f"{explained:.0%}" in projection.axis_titles[0]


def test_pca_map_is_deterministic(blobs):
    first = project(*blobs, method="pca")
    second = project(*blobs, method="pca")
    np.testing.assert_array_equal(first.pool_xy, second.pool_xy)


@pytest.mark.slow
def test_umap_map_is_seeded_and_keeps_clusters_apart(blobs):
    pool, target = blobs
    first = project(pool, target, method="umap", random_state=0)
    second = project(pool, target, method="umap", random_state=0)
    assert first.method == "umap" and first.axis_titles == ("UMAP 1", "UMAP 2")
    np.testing.assert_array_equal(first.pool_xy, second.pool_xy)
    near, far = first.pool_xy[:150], first.pool_xy[150:]
    gap = np.linalg.norm(near.mean(axis=0) - far.mean(axis=0))
    assert gap > 3 * max(near.std(axis=0).max(), far.std(axis=0).max())
    # the target was drawn from the first blob, and the map shows it there
    target_centre = first.target_xy.mean(axis=0)
    assert np.linalg.norm(target_centre - near.mean(axis=0)) < np.linalg.norm(target_centre - far.mean(axis=0))


def test_large_pool_is_sampled_and_says_so(rng):
    pool, target = rng.normal(size=(5_000, 3)), rng.normal(size=(20, 3))
    projection = project(pool, target, method="pca", max_pool_rows=500, random_state=0)
    assert projection.sampled and len(projection.pool_rows) == 500 and projection.n_pool == 5_000
    assert projection.pool_xy.shape == (500, 2) and projection.target_xy.shape == (20, 2)
    assert "500 of 5,000 pool rows" in projection.sample_note
    np.testing.assert_array_equal(projection.pool_rows, map_sample(5_000, max_pool_rows=500, random_state=0))


def test_a_pool_given_as_a_list_is_sampled_and_placed_like_an_array(rng):
    pool, target = rng.normal(size=(600, 3)), rng.normal(size=(20, 3))
    from_list = project(pool.tolist(), target, method="pca", max_pool_rows=100, random_state=0)
    from_array = project(pool, target, method="pca", max_pool_rows=100, random_state=0)
    assert from_list.sampled
    np.testing.assert_array_equal(from_list.pool_rows, from_array.pool_rows)
    np.testing.assert_allclose(from_list.pool_xy, from_array.pool_xy)
    hidden = np.setdiff1d(np.arange(600), from_list.pool_rows)[:3]
    _, xy = MapPlacer(_fake_umap(from_list), pool.tolist(), target).pool_positions(hidden)
    _, expected = MapPlacer(_fake_umap(from_array), pool, target).pool_positions(hidden)
    np.testing.assert_allclose(xy, expected)


def test_unsampled_map_has_no_note(rng):
    assert project(rng.normal(size=(10, 2)), rng.normal(size=(6, 2))).sample_note is None


def test_shown_positions_finds_drawn_rows_only(rng):
    pool, target = rng.normal(size=(1_000, 3)), rng.normal(size=(20, 3))
    projection = project(pool, target, method="pca", max_pool_rows=100)
    drawn, hidden = projection.pool_rows[5], np.setdiff1d(np.arange(1_000), projection.pool_rows)[0]
    shown, xy = projection.shown_positions([drawn, hidden])
    np.testing.assert_array_equal(shown, [True, False])
    np.testing.assert_array_equal(xy, projection.pool_xy[[5]])


def test_linear_placer_is_exact(rng):
    pool, target = rng.normal(size=(300, 4)), rng.normal(size=(30, 4))
    projection = project(pool, target, method="pca", max_pool_rows=100)
    placer = MapPlacer(projection, pool, target)
    np.testing.assert_allclose(placer.place(target), projection.target_xy, atol=1e-5)
    kept, xy = placer.pool_positions(np.arange(300))
    np.testing.assert_array_equal(kept, np.arange(300))
    np.testing.assert_allclose(xy[projection.pool_rows], projection.pool_xy, atol=1e-5)


def _fake_umap(projection):
    """The same map treated as non-linear, so the nearest-neighbour placement is used."""
    from dataclasses import replace

    return replace(projection, method="umap", linear=None)


def test_neighbour_placer_puts_fitted_rows_on_themselves(blobs):
    pool, target = blobs
    projection = _fake_umap(project(pool, target, method="pca"))
    placer = MapPlacer(projection, pool, target)
    np.testing.assert_allclose(placer.place(pool[:10]), projection.pool_xy[:10], atol=1e-5)
    np.testing.assert_allclose(placer.place(target[:3]), projection.target_xy[:3], atol=1e-5)


def test_neighbour_placer_puts_a_new_point_among_its_neighbours(blobs):
    pool, target = blobs
    projection = _fake_umap(project(pool, target, method="pca"))
    placer = MapPlacer(projection, pool, target, n_neighbors=5)
    point = pool[150:].mean(axis=0)  # the middle of the far blob
    xy = placer.place(point)[0]
    far = projection.pool_xy[150:]
    assert far[:, 0].min() <= xy[0] <= far[:, 0].max()
    assert far[:, 1].min() <= xy[1] <= far[:, 1].max()


def test_pool_positions_places_rows_off_the_sample_up_to_a_limit(rng):
    pool, target = rng.normal(size=(2_000, 3)), rng.normal(size=(20, 3))
    projection = _fake_umap(project(pool, target, method="pca", max_pool_rows=200))
    placer = MapPlacer(projection, pool, target)
    hidden = np.setdiff1d(np.arange(2_000), projection.pool_rows)[:30]
    rows = np.concatenate([projection.pool_rows[:5], hidden])
    kept, xy = placer.pool_positions(rows)
    np.testing.assert_array_equal(kept, np.arange(35))
    assert np.isfinite(xy).all()
    kept, xy = placer.pool_positions(rows, max_placed=10)
    assert len(kept) == 15 and xy.shape == (15, 2)


@pytest.mark.parametrize(
    "pool, target, message",
    [
        (np.zeros((0, 2)), np.zeros((5, 2)), "pool must be a non-empty 2-D array"),
        (np.zeros((5, 2)), np.zeros((5, 3)), "target must be a non-empty 2-D array with the pool's 2 dimensions"),
        (np.full((5, 2), np.nan), np.zeros((5, 2)), "pool has 5 row.s. with NaN or inf"),
    ],
    ids=["empty-pool", "dimension-mismatch", "nan"],
)
def test_bad_inputs_are_refused(pool, target, message):
    with pytest.raises(ValueError, match=message):
        project(pool, target)


def test_unknown_method_and_unseeded_maps_are_refused(rng):
    pool, target = rng.normal(size=(10, 2)), rng.normal(size=(6, 2))
    with pytest.raises(ValueError, match="method='tsne' is not one of"):
        project(pool, target, method="tsne")
    with pytest.raises(TypeError, match="random_state must be a non-negative integer"):
        project(pool, target, random_state=None)
