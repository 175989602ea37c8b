"""Every row to its nearest centroid, the same on any batch, thread count, machine or engine.

:func:`assign_rows` is the one assignment both execution engines run (a chunk in process, a Spark batch on an
executor): faiss finds candidates in float32, and rows whose candidates float32 cannot tell apart are
settled with exact float64 distances. :func:`assign_in_chunks` runs it over a whole pool in this process;
:func:`nearest_distances` gives each row's exact distance to its nearest point of an index (the key rows are
ordered by inside a cluster, :mod:`gio_core.scale.explode`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..io.largefiles import iter_row_chunks

__all__ = [
    "Assignment",
    "CentroidIndex",
    "assign_in_chunks",
    "assign_rows",
    "centroid_index",
    "count_nonfinite_rows",
    "nearest_distances",
]

#: Rows assigned at a time in this process.
CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class Assignment:
    """Every pool row's nearest centroid, as an engine holds it.

    Attributes
    ----------
    counts : ndarray of int64, shape (n_clusters,)
        Rows per raw cluster (empty clusters included).
    labels : ndarray of int64 or None
        Raw cluster per row when the rows are in this process; None when they live on executors.
    nonfinite_rows : int
        Rows with NaN or inf (assigned to no cluster).
    """

    counts: NDArray[np.int64]
    labels: NDArray[np.int64] | None
    nonfinite_rows: int = 0


def assign_in_chunks(
    points, centers: NDArray, *, progress: Callable[[str, int, int], object] | None = None, name: str = "pool"
) -> Assignment:
    """Assign every row of ``points`` (an array, memory map or row source) to its nearest centre, chunk by chunk.

    Parameters
    ----------
    points : ndarray of shape (n_rows, d), memory map or RowSource
        Read in chunks of :data:`CHUNK_ROWS`, never copied whole.
    centers : ndarray of shape (n_clusters, d)
    progress : callable, optional
        ``progress(stage, done, total)`` after each chunk.
    name : str, default='pool'
        Names the rows in the progress stage.

    Returns
    -------
    Assignment
        Rows with NaN or inf get label -1 and are counted in ``nonfinite_rows``.
    """
    index = centroid_index(centers)
    n_rows = points.shape[0]
    labels = np.empty(n_rows, dtype=np.int64)
    for start, chunk in iter_row_chunks(points, CHUNK_ROWS):
        labels[start : start + chunk.shape[0]] = assign_rows(index, chunk)
        if progress:
            progress(f"assigning {name} rows to clusters", min(start + CHUNK_ROWS, n_rows), n_rows)
    bad = labels < 0
    counts = np.bincount(labels[~bad], minlength=index.n_clusters).astype(np.int64)
    return Assignment(counts=counts, labels=labels, nonfinite_rows=int(bad.sum()))


def count_nonfinite_rows(points) -> int:
    """Rows of ``points`` holding a NaN or inf, counted chunk by chunk."""
    return sum(int((~np.isfinite(chunk)).any(axis=1).sum()) for _, chunk in iter_row_chunks(points, CHUNK_ROWS))


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
        self.norm_max = float((self.centers64**2).sum(axis=1).max()) if len(self.centers64) else 0.0
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
                more_distances, more_labels = index.index.search(
                    np.ascontiguousarray(chunk[rows]), min(_CANDIDATES, index.n_clusters)
                )
                nearest[rows] = _exact_nearest(
                    index, chunk[rows], more_labels.astype(np.int64), more_distances, window[rows]
                )
                unsure = unsure[~wide]
            if unsure.size:
                nearest[unsure] = _exact_nearest(
                    index, chunk[unsure], labels[unsure].astype(np.int64), distances[unsure], window[unsure]
                )
    nearest[~finite] = -1
    return nearest


def nearest_distances(index: CentroidIndex, chunk: NDArray) -> NDArray[np.float64]:
    """Each row's Euclidean distance to its nearest point of ``index``, in float64.

    The nearest point is found by :func:`assign_rows` (exact near-ties) and the distance to it computed
    in float64, so the value depends on the row and the points only, not on batching or threads: the
    key :mod:`gio_core.scale.explode` orders a cluster's rows by, the same on every engine.

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


def _exact_nearest(
    index: CentroidIndex, rows: NDArray, labels: NDArray, distances: NDArray, window: NDArray
) -> NDArray[np.int64]:
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
