"""2-D maps of pool and target: UMAP, PCA or the raw coordinates, seeded, sampled above 20,000 pool rows.

:func:`project` fits one map of pool ∪ target. Above ``max_pool_rows`` pool rows it draws a uniform
sample of the pool for the map (the engine still uses every row). :class:`MapPlacer` then puts any
other point on that map: the free point ``v`` of a GIO step, its gradient-descent path, K-means
centroids, or pool rows outside the sample.

Placement is exact for the linear maps (PCA, raw). UMAP has no exact inverse for new points, so a point
is placed at the inverse-distance-weighted mean of the map positions of its nearest fitted rows in the
original space; a point equal to a fitted row lands on it. This is the idea behind UMAP's own
``transform`` (new points are initialised from their neighbours) without the extra optimisation, and
costs a nearest-neighbour query rather than seconds per call.

UMAP is fitted on exact nearest neighbours from faiss (after PCA to at most 50 dimensions for wide
data) with a PCA initialisation and 200 epochs, which keeps a 10,000-row map under ten seconds on a
laptop once numba has compiled UMAP's kernels (the first fit in a process adds about ten seconds).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_choice, check_int, check_random_state
from ..io.largefiles import RowSource

logger = logging.getLogger(__name__)

__all__ = [
    "MAP_METHODS",
    "MAX_MAP_POOL_ROWS",
    "MapPlacer",
    "MapProjection",
    "map_sample",
    "project",
    "resolve_method",
    "warm_up_umap",
]

#: Methods :func:`project` takes. ``'auto'``: raw coordinates for 1-D/2-D data, PCA below
#: ``UMAP_MIN_ROWS`` rows, else UMAP.
MAP_METHODS: tuple[str, ...] = ("auto", "umap", "pca", "raw")

#: Pool rows drawn on a map at most; above this a uniform sample is drawn.
MAX_MAP_POOL_ROWS = 20_000

#: UMAP needs enough rows for a neighbourhood graph; smaller data get PCA.
UMAP_MIN_ROWS = 60

# PCA before UMAP for wide data: neighbours in 50 dimensions are nearly those in 768, at a tenth of the cost.
_UMAP_MAX_DIMENSIONS = 50
_UMAP_EPOCHS = 200
# PCA from the d x d scatter matrix up to this many dimensions (its eigendecomposition grows as d^3), a randomized
# SVD above
_PCA_COVARIANCE_MAX_DIMENSIONS = 1024

ProgressCallback = Callable[[str, int, int], object]


@dataclass(frozen=True)
class MapProjection:
    """A 2-D map of pool ∪ target.

    Attributes
    ----------
    pool_xy : ndarray of float32, shape (n_shown, 2)
        Map positions of the pool rows drawn (``pool_rows``).
    target_xy : ndarray of float32, shape (n_target, 2)
    pool_rows : ndarray of int64, shape (n_shown,)
        The pool rows drawn, ascending: all of them, or a uniform sample above ``max_pool_rows``.
    n_pool : int
        Pool rows in all.
    method : {'umap', 'pca', 'raw'}
        How the map was made.
    seconds : float
        Time to fit the map.
    linear : tuple of (mean, components) or None
        For PCA and raw maps: ``xy = (points - mean) @ components.T`` places any point exactly.
    axis_titles : tuple of str
        Axis names for a chart (``('UMAP 1', 'UMAP 2')``, ``('PC 1 (41%)', ...)``, ``('x', 'y')``).
    """

    pool_xy: NDArray[np.float32] = field(repr=False)
    target_xy: NDArray[np.float32] = field(repr=False)
    pool_rows: NDArray[np.int64] = field(repr=False)
    n_pool: int
    method: str
    seconds: float = 0.0
    linear: tuple | None = field(default=None, repr=False)
    axis_titles: tuple[str, str] = ("1", "2")

    @property
    def sampled(self) -> bool:
        """Whether the map shows a sample of the pool rather than every row."""
        return len(self.pool_rows) < self.n_pool

    @property
    def sample_note(self) -> str | None:
        """One line for a chart when the pool is sampled, else None."""
        if not self.sampled:
            return None
        return (
            f"Showing a uniform sample of {len(self.pool_rows):,} of {self.n_pool:,} pool rows; "
            "the selection uses all rows."
        )

    def shown_positions(self, rows: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.float32]]:
        """For pool ``rows``: which are drawn on the map, and the positions of those that are.

        Returns
        -------
        shown : ndarray of bool, shape (len(rows),)
        xy : ndarray of float32, shape (shown.sum(), 2)
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not self.sampled:
            return np.ones(len(rows), dtype=bool), self.pool_xy[rows]
        where = np.searchsorted(self.pool_rows, rows)
        where_clipped = np.minimum(where, len(self.pool_rows) - 1)
        shown = self.pool_rows[where_clipped] == rows
        return shown, self.pool_xy[where_clipped[shown]]


def map_sample(n_pool: int, *, max_pool_rows: int = MAX_MAP_POOL_ROWS, random_state=0) -> NDArray[np.int64]:
    """Pool rows to draw: all of them, or a uniform sample of ``max_pool_rows`` (ascending).

    Examples
    --------
    >>> len(map_sample(50_000, max_pool_rows=1_000))
    1000
    """
    n_pool = check_int(n_pool, "n_pool", minimum=1)
    max_pool_rows = check_int(max_pool_rows, "max_pool_rows", minimum=1)
    if n_pool <= max_pool_rows:
        return np.arange(n_pool, dtype=np.int64)
    rng = check_random_state(random_state)
    return np.sort(rng.choice(n_pool, size=max_pool_rows, replace=False)).astype(np.int64)


def resolve_method(method: str, n_rows: int, dimensions: int) -> str:
    """The method ``'auto'`` stands for with this data (other methods are returned as they are)."""
    check_choice(method, "method", MAP_METHODS)
    if method != "auto":
        return method
    if dimensions <= 2:
        return "raw"
    if n_rows < UMAP_MIN_ROWS:
        return "pca"
    return "umap"


def _indexable_rows(values: ArrayLike) -> NDArray | RowSource:
    """Rows that take an array of row numbers as an index: an array, a memory map or a row source as it is
    (only the rows asked for are read), anything else (a list of rows) as an array."""
    return values if isinstance(values, (np.ndarray, RowSource)) else np.asarray(values)


def project(
    pool: ArrayLike,
    target: ArrayLike,
    *,
    method: str = "auto",
    max_pool_rows: int = MAX_MAP_POOL_ROWS,
    random_state: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    progress: ProgressCallback | None = None,
) -> MapProjection:
    """Fit a 2-D map of pool ∪ target.

    Parameters
    ----------
    pool : array-like of shape (n_pool, d)
        Pool vectors (a memory map is fine: only the sampled rows are read).
    target : array-like of shape (n_target, d)
    method : {'auto', 'umap', 'pca', 'raw'}, default='auto'
        ``'raw'`` uses the first two coordinates (1-D data get y = 0); ``'auto'`` picks raw for 1-D/2-D
        data, PCA below ``UMAP_MIN_ROWS`` rows, else UMAP.
    max_pool_rows : int, default=20000
        Above this many pool rows, a uniform sample of this many is drawn.
    random_state : int, default=0
        Seeds the sample, PCA and UMAP; the same seed gives the same map.
    n_neighbors : int, default=15
        UMAP's neighbourhood size.
    min_dist : float, default=0.1
        UMAP's minimum distance between embedded points.
    progress : callable, optional
        ``progress(stage, done, total)`` with stages ``'sample'``, ``'neighbors'``, ``'layout'``.

    Returns
    -------
    MapProjection

    Raises
    ------
    ValueError
        Empty inputs, dimension mismatch, non-finite values, or an unknown method.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> projection = project(rng.normal(size=(100, 5)), rng.normal(size=(20, 5)), method="pca")
    >>> projection.pool_xy.shape, projection.target_xy.shape, projection.method
    ((100, 2), (20, 2), 'pca')
    """
    started = time.perf_counter()
    if not isinstance(random_state, (int, np.integer)) or isinstance(random_state, bool) or random_state < 0:
        raise TypeError(f"random_state must be a non-negative integer (maps are always seeded); got {random_state!r}.")
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=2)
    pool_values = _indexable_rows(pool)
    pool_shape = pool_values.shape
    if len(pool_shape) != 2 or pool_shape[0] == 0 or pool_shape[1] == 0:
        raise ValueError(f"pool must be a non-empty 2-D array (rows, dimensions); got shape {pool_shape}.")
    target = _finite(np.asarray(target, dtype=np.float32), "target")
    if target.ndim != 2 or target.shape[0] == 0 or target.shape[1] != pool_shape[1]:
        raise ValueError(
            f"target must be a non-empty 2-D array with the pool's {pool_shape[1]} dimensions; got "
            f"shape {target.shape}."
        )
    _report(progress, "sample", 0, 1)
    rows = map_sample(pool_shape[0], max_pool_rows=max_pool_rows, random_state=random_state)
    pool_sample = _finite(
        np.asarray(pool_values[rows] if len(rows) < pool_shape[0] else pool_values, dtype=np.float32), "pool"
    )
    _report(progress, "sample", 1, 1)
    points = np.vstack([pool_sample, target])
    method = resolve_method(method, len(points), points.shape[1])
    linear = None
    if method == "raw":
        mean = np.zeros(points.shape[1], dtype=np.float64)
        components = np.zeros((2, points.shape[1]), dtype=np.float64)
        components[0, 0] = 1.0
        if points.shape[1] > 1:
            components[1, 1] = 1.0
        linear = (mean, components)
        axis_titles = ("x", "y") if points.shape[1] > 1 else ("x", "")
    elif method == "pca":
        mean, components, explained = _pca(points, random_state)
        linear = (mean, components)
        axis_titles = (f"PC 1 ({explained[0]:.0%} of variance)", f"PC 2 ({explained[1]:.0%})")
    else:
        xy = _umap(points, n_neighbors=n_neighbors, min_dist=min_dist, random_state=random_state, progress=progress)
        axis_titles = ("UMAP 1", "UMAP 2")
    if linear is not None:
        xy = (points - linear[0]) @ linear[1].T
    xy = np.asarray(xy, dtype=np.float32)
    return MapProjection(
        pool_xy=xy[: len(rows)],
        target_xy=xy[len(rows) :],
        pool_rows=rows,
        n_pool=int(pool_shape[0]),
        method=method,
        seconds=time.perf_counter() - started,
        linear=linear,
        axis_titles=axis_titles,
    )


def _report(progress, stage, done, total):
    if progress is not None:
        progress(stage, done, total)


def _finite(matrix: NDArray, name: str) -> NDArray:
    if not np.isfinite(matrix).all():
        bad = int((~np.isfinite(matrix)).any(axis=1).sum()) if matrix.ndim == 2 else -1
        raise ValueError(
            f"{name} has {bad} row(s) with NaN or inf values; a map needs finite vectors, drop those rows first."
        )
    return matrix


def _pca(points: NDArray, random_state: int):
    """Mean, two components (zero-padded for 1-D data) and explained variance ratios."""
    mean = points.mean(axis=0, dtype=np.float64)
    centred = np.asarray(points, dtype=np.float64) - mean
    n_components = min(2, centred.shape[1], centred.shape[0])
    if centred.shape[1] <= 200 or centred.shape[0] <= 200:
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        components = vt[:n_components]
    elif centred.shape[1] <= _PCA_COVARIANCE_MAX_DIMENSIONS:
        # many more rows than dimensions: the top eigenvectors of the d x d scatter matrix are the exact top
        # components, at a fraction of a randomized SVD's passes over the rows (a 1M-row map's 7,000 x 384
        # sample: 0.06-0.23 s against 0.26-0.59 s, and the randomized SVD was off by 0.02 where the top
        # variances are close)
        scatter = centred.T @ centred
        eigenvalues, eigenvectors = np.linalg.eigh(scatter)
        top = np.argsort(eigenvalues)[::-1][:n_components]
        components = eigenvectors[:, top].T
        singular = np.sqrt(np.maximum(eigenvalues[top], 0.0))
    else:
        from sklearn.utils.extmath import randomized_svd

        _, singular, components = randomized_svd(centred, n_components, random_state=random_state)
    # a deterministic sign: the largest coordinate of each component is positive
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components = components * np.where(signs == 0, 1.0, signs)[:, None]
    total = float((centred**2).sum())
    variances = (singular[:n_components] ** 2) / total if total > 0 else np.zeros(n_components)
    padded = np.zeros((2, centred.shape[1]))
    padded[:n_components] = components
    explained = np.zeros(2)
    explained[:n_components] = variances
    return mean, padded, explained


def _exact_neighbors(points: NDArray[np.float32], n_neighbors: int):
    import faiss

    index = faiss.IndexFlatL2(points.shape[1])
    index.add(np.ascontiguousarray(points, dtype=np.float32))
    squared, indices = index.search(np.ascontiguousarray(points, dtype=np.float32), n_neighbors)
    return indices.astype(np.int64), np.sqrt(np.maximum(squared, 0.0)).astype(np.float32)


def _umap(points: NDArray, *, n_neighbors: int, min_dist: float, random_state: int, progress) -> NDArray:
    n_rows = points.shape[0]
    n_neighbors = min(n_neighbors, n_rows - 1)
    work = points
    if points.shape[1] > _UMAP_MAX_DIMENSIONS:
        mean = points.mean(axis=0, dtype=np.float64)
        from sklearn.utils.extmath import randomized_svd

        _, _, components = randomized_svd(
            np.asarray(points, dtype=np.float64) - mean, _UMAP_MAX_DIMENSIONS, random_state=random_state
        )
        work = ((points - mean) @ components.T).astype(np.float32)
    _report(progress, "neighbors", 0, 1)
    indices, distances = _exact_neighbors(work, n_neighbors)
    _report(progress, "neighbors", 1, 1)
    _report(progress, "layout", 0, 1)
    import umap

    with warnings.catch_warnings():
        # seeded UMAP runs single-threaded, and precomputed neighbours without a search index
        # disable transform(): both are expected here and say nothing to a user
        warnings.simplefilter("ignore")
        reducer = umap.UMAP(
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            init="pca",
            n_epochs=_UMAP_EPOCHS,
            random_state=random_state,
            precomputed_knn=(indices, distances, None),
        )
        xy = reducer.fit_transform(work)
    _report(progress, "layout", 1, 1)
    return xy


def warm_up_umap() -> float:
    """Import UMAP and compile its numba kernels on a tiny map; returns the seconds it took.

    The first UMAP fit in a process spends about ten seconds compiling; an app can call this in the
    background at start-up so a user's first map does not wait for it.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    project(rng.normal(size=(UMAP_MIN_ROWS * 2, 3)), rng.normal(size=(10, 3)), method="umap")
    return time.perf_counter() - started


class MapPlacer:
    """Put points of the original space on a :class:`MapProjection`.

    Parameters
    ----------
    projection : MapProjection
    pool : array-like of shape (n_pool, d)
        The pool the projection was fitted on (only the drawn rows are read, for UMAP maps).
    target : array-like of shape (n_target, d)
    n_neighbors : int, default=5
        Fitted rows that place a point on a UMAP map.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pool, target = rng.normal(size=(50, 3)), rng.normal(size=(10, 3))
    >>> placer = MapPlacer(project(pool, target, method="pca"), pool, target)
    >>> placer.place(pool[:2]).shape
    (2, 2)
    """

    def __init__(self, projection: MapProjection, pool: ArrayLike, target: ArrayLike, *, n_neighbors: int = 5):
        self.projection = projection
        self.pool = _indexable_rows(pool)
        self._index = None
        self._reference_xy = None
        self.n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
        if projection.linear is None:
            import faiss

            drawn = np.asarray(self.pool[projection.pool_rows] if projection.sampled else self.pool, dtype=np.float32)
            reference = np.ascontiguousarray(np.vstack([drawn, np.asarray(target, dtype=np.float32)]))
            self._index = faiss.IndexFlatL2(reference.shape[1])
            self._index.add(reference)
            self._reference_xy = np.vstack([projection.pool_xy, projection.target_xy]).astype(np.float64)

    def place(self, points: ArrayLike) -> NDArray[np.float32]:
        """Map positions of points of the original space, shape (m, 2)."""
        points = np.asarray(points, dtype=np.float64)
        if points.ndim == 1:
            points = points[None, :]
        if points.shape[0] == 0:
            return np.empty((0, 2), dtype=np.float32)
        if self.projection.linear is not None:
            mean, components = self.projection.linear
            return ((points - mean) @ components.T).astype(np.float32)
        assert self._index is not None and self._reference_xy is not None  # a UMAP map: set in __init__
        n_neighbors = min(self.n_neighbors, self._index.ntotal)
        squared, indices = self._index.search(np.ascontiguousarray(points, dtype=np.float32), n_neighbors)
        distances = np.sqrt(np.maximum(squared, 0.0)).astype(np.float64)
        weights = 1.0 / np.maximum(distances, 1e-12)
        exact = distances[:, 0] <= 1e-6
        weights[exact] = 0.0
        weights[exact, 0] = 1.0  # a point equal to a fitted row sits on it
        weights /= weights.sum(axis=1, keepdims=True)
        xy = np.einsum("mk,mkc->mc", weights, self._reference_xy[indices])
        return xy.astype(np.float32)

    def pool_positions(
        self, rows: ArrayLike, *, max_placed: int | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Map positions of pool rows: looked up when drawn, placed otherwise.

        Parameters
        ----------
        rows : array-like of int
        max_placed : int, optional
            Place at most this many rows that are not drawn (the rest are left out), so a quantised run
            that selects millions of rows stays cheap to draw.

        Returns
        -------
        kept : ndarray of int64
            Positions in ``rows`` of the rows returned (all, unless ``max_placed`` left some out).
        xy : ndarray of float32, shape (len(kept), 2)
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        shown, shown_xy = self.projection.shown_positions(rows)
        if shown.all():
            return np.arange(len(rows), dtype=np.int64), shown_xy
        hidden = np.flatnonzero(~shown)
        if max_placed is not None:
            hidden = hidden[:max_placed]
        hidden_xy = (
            self.place(np.asarray(self.pool[rows[hidden]], dtype=np.float32))
            if len(hidden)
            else np.empty((0, 2), dtype=np.float32)
        )
        kept = np.concatenate([np.flatnonzero(shown), hidden])
        xy = np.vstack([shown_xy, hidden_xy])
        order = np.argsort(kept, kind="stable")
        return kept[order], xy[order]
