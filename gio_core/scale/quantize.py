"""K-means quantisation of pool and target, and explosion of chosen centroids back to their rows.

GIO at scale (Everaert & Potts 2024, section 3.3) runs on K-means centroids instead of rows. Here
faiss trains K-means on a uniform sample of the rows (seeded), then assigns every row in chunks, so
memory stays O(sample x d + K x d) even for memory-mapped inputs of many millions of rows.

:func:`quantize` is three steps every execution backend shares (:mod:`gio_core.backends`):
:func:`draw_training_rows` (the sample, by global row number and seed), :func:`train_centroids` (faiss
K-means, on the driver) and :func:`assign_rows` (a faiss flat index, per chunk or per Spark batch),
then :func:`compact_quantization` drops empty clusters.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.typing import NDArray

from .._validation import check_int, check_random_state
from .explode import explode_rows
from ..io.largefiles import iter_row_chunks, take_rows

logger = logging.getLogger(__name__)

#: progress(stage, done, total): called while a long stage runs.
ProgressCallback = Callable[[str, int, int], None]

_ASSIGN_CHUNK_ROWS = 65_536

__all__ = ["CentroidIndex", "ProgressCallback", "Quantization", "assign_rows", "centroid_index", "compact_quantization",
           "draw_training_rows", "nearest_distances", "quantize", "raw_cluster_numbers", "train_centroids"]


@dataclass(frozen=True)
class Quantization:
    """The result of :func:`quantize`.

    Attributes
    ----------
    centers : ndarray of shape (n_centers, d)
        Centroids of the non-empty clusters, float64.
    labels : ndarray of shape (n_rows,) or None
        For each row, the index of its cluster in ``centers``; None when the rows live elsewhere
        (a distributed engine assigned them), which leaves ``members`` unavailable.
    counts : ndarray of shape (n_centers,)
        Rows per cluster (all at least 1).
    seconds : dict
        Time spent training and assigning.
    """

    centers: NDArray[np.float64]
    labels: NDArray[np.int64] | None
    counts: NDArray[np.int64]
    seconds: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.centers.ndim != 2 or (self.labels is not None and self.labels.ndim != 1):
            raise ValueError("labels must be 1-D and centers 2-D")
        if self.counts.shape[0] != self.centers.shape[0]:
            raise ValueError("counts must have one entry per center")
        if self.labels is None:
            return
        order = np.argsort(self.labels, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(self.counts)])
        object.__setattr__(self, "_order", order)
        object.__setattr__(self, "_offsets", offsets)

    @property
    def n_centers(self) -> int:
        return self.centers.shape[0]

    def members(self, cluster: int) -> NDArray[np.int64]:
        """Row indices of one cluster, in increasing order."""
        if self.labels is None:
            raise ValueError("this quantisation has no row labels (its rows were assigned elsewhere); explode "
                             "the chosen clusters where the rows are.")
        return self._order[self._offsets[cluster]:self._offsets[cluster + 1]]

    def explode(self, clusters: NDArray) -> NDArray[np.int64]:
        """Rows of the given clusters, grouped in the clusters' order; a cluster given twice counts once."""
        return explode_rows(self.members, clusters, None, seed=0)  # no quotas: every row, no seed needed


def quantize(
    points: NDArray,
    n_clusters: int,
    *,
    random_state=None,
    n_iter: int = 20,
    max_points_per_centroid: int = 64,
    name: str = "pool",
    progress: ProgressCallback | None = None,
) -> Quantization:
    """Quantise rows with faiss K-means: train on a seeded sample, assign every row in chunks.

    Parameters
    ----------
    points : ndarray of shape (n_rows, d) or RowSource
        Any float array, a read-only memory map or a :class:`gio_core.largefiles.RowSource`; it is
        read in chunks, never copied whole.
    n_clusters : int
        Number of centroids K; at most ``n_rows``.
    random_state : int, Generator or None
        Seeds the training sample and faiss.
    n_iter : int, default=20
        K-means iterations.
    max_points_per_centroid : int, default=64
        Training uses at most ``K x max_points_per_centroid`` rows, drawn uniformly without replacement.
    name : str, default="pool"
        Used in error messages and progress stages.
    progress : callable, optional
        ``progress(stage, done, total)``.

    Returns
    -------
    Quantization
        Empty clusters are dropped, so ``n_centers`` can be below ``n_clusters``.

    Raises
    ------
    ValueError
        ``n_clusters`` larger than the number of rows; rows with NaN or inf (found while assigning).

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.random.default_rng(0).normal(size=(500, 4))
    >>> q = quantize(rows, 10, random_state=0)
    >>> q.centers.shape, int(q.counts.sum())
    ((10, 4), 500)
    """
    n_rows = points.shape[0]
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    check_cluster_count(n_clusters, n_rows, name)
    rng = check_random_state(random_state)
    faiss_seed, sample_rows = draw_training_rows(n_rows, n_clusters, rng,
                                                 max_points_per_centroid=max_points_per_centroid)

    started = time.perf_counter()
    if sample_rows is not None:
        training = take_rows(points, sample_rows)
    else:
        training = np.concatenate([chunk for _, chunk in iter_row_chunks(points, _ASSIGN_CHUNK_ROWS)])
    if not np.isfinite(training).all():
        raise ValueError(nonfinite_message(name, _count_nonfinite_rows(points)))
    if progress:
        progress(f"training K-means on the {name}", 0, 1)
    centers = train_centroids(training, n_clusters, seed=faiss_seed, n_iter=n_iter,
                              max_points_per_centroid=max_points_per_centroid)
    del training
    trained = time.perf_counter()
    if progress:
        progress(f"training K-means on the {name}", 1, 1)

    index = centroid_index(centers)
    labels = np.empty(n_rows, dtype=np.int64)
    for start, chunk in iter_row_chunks(points, _ASSIGN_CHUNK_ROWS):
        labels[start:start + chunk.shape[0]] = assign_rows(index, chunk)
        if progress:
            progress(f"assigning {name} rows to clusters", min(start + _ASSIGN_CHUNK_ROWS, n_rows), n_rows)
    assigned_at = time.perf_counter()
    bad_rows = int((labels < 0).sum())
    if bad_rows:
        raise ValueError(nonfinite_message(name, bad_rows))
    counts = np.bincount(labels, minlength=n_clusters)
    return compact_quantization(centers, counts, labels, name=name,
                                seconds={"train": trained - started, "assign": assigned_at - trained})


def check_cluster_count(n_clusters: int, n_rows: int, name: str = "pool") -> None:
    """Raise ``ValueError`` when there are fewer rows than clusters."""
    if n_clusters > n_rows:
        raise ValueError(f"n_clusters={n_clusters} is larger than the {n_rows} rows of the {name}; "
                         f"use at most {n_rows} clusters, or turn quantisation off for data this small.")


def nonfinite_message(name: str, bad_rows: int) -> str:
    """The one-line error for rows with NaN or inf, the same from every engine."""
    return f"{name} has {bad_rows} row(s) with NaN or inf values; drop or fill those rows first."


def draw_training_rows(n_rows: int, n_clusters: int, random_state=None, *,
                       max_points_per_centroid: int = 64) -> tuple[int, NDArray[np.int64] | None]:
    """The K-means training sample as global row numbers, and the seed faiss trains with.

    Every engine draws the sample here, from the row count alone, so a distributed engine and the
    in-process one train on the very same rows.

    Parameters
    ----------
    n_rows : int
        Rows of the input, numbered 0 … n_rows-1 in file order.
    n_clusters : int
    random_state : int, Generator or None
        Consumed in a fixed order: first the faiss seed, then the sample.
    max_points_per_centroid : int, default=64
        The sample holds at most ``n_clusters x max_points_per_centroid`` rows.

    Returns
    -------
    faiss_seed : int
    rows : ndarray of int64 (sorted) or None
        None when every row is used for training.

    Examples
    --------
    >>> seed, rows = draw_training_rows(1000, 2, 0, max_points_per_centroid=5)
    >>> rows.size, bool((rows[1:] > rows[:-1]).all())
    (10, True)
    """
    rng = check_random_state(random_state)
    faiss_seed = int(rng.integers(0, 2**31 - 1))
    sample_size = min(n_rows, n_clusters * max_points_per_centroid)
    if sample_size >= n_rows:
        return faiss_seed, None
    return faiss_seed, np.sort(rng.choice(n_rows, size=sample_size, replace=False)).astype(np.int64)


def train_centroids(training: NDArray, n_clusters: int, *, seed: int, n_iter: int = 20,
                    max_points_per_centroid: int = 64) -> NDArray[np.float32]:
    """faiss K-means on the training rows (all finite), on this machine.

    Parameters
    ----------
    training : ndarray of shape (n_sample, d)
        The rows :func:`draw_training_rows` named, in increasing row order.
    n_clusters : int
    seed : int
        faiss's seed (from :func:`draw_training_rows`).
    n_iter : int, default=20
    max_points_per_centroid : int, default=64

    Returns
    -------
    ndarray of float32, shape (n_clusters, d)
    """
    import faiss

    training = np.ascontiguousarray(training, dtype=np.float32)
    kmeans = faiss.Kmeans(training.shape[1], n_clusters, niter=n_iter, seed=int(seed), verbose=False,
                          max_points_per_centroid=max(max_points_per_centroid, 1), min_points_per_centroid=1)
    kmeans.train(training)
    return np.array(kmeans.centroids, dtype=np.float32)


class CentroidIndex:
    """Centroids ready for :func:`assign_rows`: a faiss flat (exact L2) index and the float64 centres.

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, d)
    """

    def __init__(self, centers: NDArray):
        import faiss

        self.centers32 = np.ascontiguousarray(centers, dtype=np.float32)
        self.centers64 = self.centers32.astype(np.float64)
        self.norm_max = float((self.centers64 ** 2).sum(axis=1).max()) if len(self.centers64) else 0.0
        self.index = faiss.IndexFlatL2(self.centers32.shape[1])
        self.index.add(self.centers32)

    @property
    def n_clusters(self) -> int:
        return self.centers32.shape[0]


def centroid_index(centers: NDArray) -> CentroidIndex:
    """The centroids as a :class:`CentroidIndex`, for :func:`assign_rows`."""
    return CentroidIndex(centers)


#: Candidates faiss returns per row at first; rows whose float32 distances cannot tell them apart are settled
#: exactly, after a second search for more candidates when the first ones all lie that close.
_FIRST_CANDIDATES = 4
#: Candidates of that second search (past them, every centroid).
_CANDIDATES = 16
#: Relative error allowed for faiss's float32 ||x||^2 + ||c||^2 - 2 x.c (about 4x the worst case for d = 384).
_RELATIVE_ERROR = 1e-4
#: Row-centroid pairs measured exactly at a time.
_PAIRS_PER_BLOCK = 2048


def assign_rows(index: CentroidIndex, chunk: NDArray) -> NDArray[np.int64]:
    """The nearest centroid of each row, the same whatever the batch, thread count or machine; -1 for NaN/inf.

    faiss computes distances as ``||x||^2 + ||c||^2 - 2 x.c`` in float32 with BLAS, whose rounding depends
    on how a batch is blocked and threaded: one row in 10^5 of a 1M x 384 pool with K = 1500 changed
    cluster between 65,536-row chunks in process and Spark's 10,000-row batches on single-threaded
    executors. So the rows whose best candidates lie within the float32 error of each other are settled
    by exact float64 distances to those candidates, ties going to the lower cluster number: the result
    depends on the row and the centroids only. faiss returns the 4 nearest candidates (a third of the rows
    of such a pool have a near tie, mostly of 2 or 3 centroids); a row whose 4 all lie within the error
    is searched again for 16, and one whose 16 all do is compared with every centroid.

    Parameters
    ----------
    index : CentroidIndex
        From :func:`centroid_index`.
    chunk : ndarray of shape (n, d)
        Rows (float32 preferred); never modified.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    chunk = np.ascontiguousarray(chunk, dtype=np.float32)
    # squared norms in float64 cannot overflow from float32 values: they are NaN/inf exactly for the rows
    # holding a NaN or inf, so one pass gives both the error window and the rows to leave out
    norms = np.einsum("ij,ij->i", chunk, chunk, dtype=np.float64)
    finite = np.isfinite(norms)
    if not finite.all():
        chunk = chunk.copy()  # the caller's rows stay as they were
        chunk[~finite] = 0.0
        norms[~finite] = 0.0
    first = min(_FIRST_CANDIDATES, index.n_clusters)
    distances, labels = index.index.search(chunk, first)
    nearest = labels[:, 0].astype(np.int64)
    if first > 1:
        window = 2.0 * _RELATIVE_ERROR * (norms + index.norm_max)
        unsure = np.flatnonzero(distances[:, 1] - distances[:, 0] <= window)
        if unsure.size:
            close = distances[unsure]
            wide = close[:, -1] <= close[:, 0] + window[unsure]  # every first candidate within the error
            if index.n_clusters > first and wide.any():
                rows = unsure[wide]
                more_distances, more_labels = index.index.search(np.ascontiguousarray(chunk[rows]),
                                                                 min(_CANDIDATES, index.n_clusters))
                nearest[rows] = _exact_nearest(index, chunk[rows], more_labels.astype(np.int64), more_distances,
                                               window[rows])
                unsure = unsure[~wide]
            if unsure.size:
                nearest[unsure] = _exact_nearest(index, chunk[unsure], labels[unsure].astype(np.int64),
                                                 distances[unsure], window[unsure])
    nearest[~finite] = -1
    return nearest


def nearest_distances(index: CentroidIndex, chunk: NDArray) -> NDArray[np.float64]:
    """Each row's Euclidean distance to its nearest point of ``index``, in float64.

    The nearest point is found by :func:`assign_rows` (exact near-ties) and the distance to it computed
    in float64, so the value depends on the row and the points only, not on batching or threads: the
    key :mod:`gio_core.explode` orders a cluster's rows by, the same on every engine.

    Parameters
    ----------
    index : CentroidIndex
        Over the target points.
    chunk : ndarray of shape (n, d)

    Returns
    -------
    ndarray of float64, shape (n,)
        ``nan`` for a row with NaN or inf.
    """
    rows = np.ascontiguousarray(chunk, dtype=np.float32)
    nearest = assign_rows(index, rows)
    found = nearest >= 0
    distances = np.full(rows.shape[0], np.nan)
    difference = rows[found].astype(np.float64) - index.centers64[nearest[found]]
    distances[found] = np.sqrt(np.einsum("ij,ij->i", difference, difference))
    return distances


def _exact_nearest(index: CentroidIndex, rows: NDArray, labels: NDArray, distances: NDArray,
                   window: NDArray) -> NDArray[np.int64]:
    """Exact float64 nearest among the candidates float32 cannot separate (all centroids when they all tie).

    Only the candidates within the window of the best are measured (two or three per row, mostly), each
    pair summed the same way whatever the batch.
    """
    inside = distances <= distances[:, :1] + window[:, None]
    row_of, slot = np.nonzero(inside)
    centre_of = labels[row_of, slot]
    exact = np.full(inside.shape, np.inf)
    squared = np.empty(row_of.size)
    for start in range(0, row_of.size, _PAIRS_PER_BLOCK):  # a few MB at a time, in cache
        pairs = slice(start, start + _PAIRS_PER_BLOCK)
        # float32 to float64 is exact, so this is the float64 difference of the two points
        difference = np.subtract(rows[row_of[pairs]], index.centers32[centre_of[pairs]], dtype=np.float64)
        squared[pairs] = np.einsum("ij,ij->i", difference, difference)
    exact[row_of, slot] = squared
    best = exact.min(axis=1)
    result = np.where(exact == best[:, None], labels, np.iinfo(np.int64).max).min(axis=1)
    for position in np.flatnonzero(inside[:, -1]):  # the window reaches past the candidates: every centroid
        difference = index.centers64 - rows[position].astype(np.float64)
        every = np.einsum("ij,ij->i", difference, difference)
        result[position] = int(np.flatnonzero(every == every.min())[0])
    return result


def compact_quantization(centers: NDArray, counts: NDArray, labels: NDArray | None = None, *, name: str = "pool",
                         seconds: dict | None = None) -> Quantization:
    """A :class:`Quantization` from raw centroids and counts: empty clusters dropped, labels renumbered.

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, d)
    counts : ndarray of int, shape (n_clusters,)
        Rows assigned to each raw cluster.
    labels : ndarray of int, optional
        Raw cluster per row; None when the rows live elsewhere.
    name : str, default="pool"
    seconds : dict, optional

    Returns
    -------
    Quantization
        ``kept_clusters(q)`` gives the raw number of each of its clusters.
    """
    counts = np.asarray(counts, dtype=np.int64)
    kept = np.flatnonzero(counts)
    if kept.size < counts.size:
        logger.info("%s: %d of %d clusters were empty and are dropped", name, counts.size - kept.size, counts.size)
        if labels is not None:
            remap = np.full(counts.size, -1, dtype=np.int64)
            remap[kept] = np.arange(kept.size)
            labels = remap[labels]
    return Quantization(centers=np.asarray(np.asarray(centers)[kept], dtype=np.float64), labels=labels,
                        counts=counts[kept], seconds=dict(seconds or {}))


def _count_nonfinite_rows(points) -> int:
    return sum(int((~np.isfinite(chunk)).any(axis=1).sum()) for _, chunk in iter_row_chunks(points, _ASSIGN_CHUNK_ROWS))


def raw_cluster_numbers(counts: NDArray) -> NDArray[np.int64]:
    """For each cluster of :func:`compact_quantization`'s result, its raw number (the non-empty ones, in order)."""
    return np.flatnonzero(np.asarray(counts)).astype(np.int64)
