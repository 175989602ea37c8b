"""The PCA map of wide data (201-1,024 dimensions) from the scatter matrix: the exact top two components."""

import numpy as np
import pytest

from gio_core.plots.projection import project


@pytest.mark.parametrize("dimensions", [384, 1024], ids=["384-d", "1024-d"])
def test_wide_pca_map_is_the_exact_top_two_components_with_their_variance(rng, dimensions):
    # a flat spectrum (many equal clusters) where the top two variances are close: a randomized SVD was off there
    centres = rng.normal(size=(60, dimensions)) * 3
    pool = (centres[rng.integers(0, 60, 1_500)] + rng.normal(size=(1_500, dimensions))).astype(np.float32)
    target = pool[:100] + 0.1
    projection = project(pool, target, method="pca")
    points = np.vstack([pool, target]).astype(np.float64)
    centred = points - points.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    mean, components = projection.linear
    for found, exact in zip(components, vt[:2]):
        assert abs(float(found @ exact)) == pytest.approx(1.0, abs=1e-6)  # the same axis, up to its sign
        assert found[np.abs(found).argmax()] > 0  # the sign is fixed: the largest coordinate is positive
    np.testing.assert_allclose(projection.pool_xy, (pool - mean) @ components.T, rtol=1e-4, atol=1e-3)
    explained = singular[0] ** 2 / (singular**2).sum()
    assert f"{explained:.0%}" in projection.axis_titles[0]
