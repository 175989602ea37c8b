"""K-means quantisation of pool and target, and explosion of chosen centroids back to their rows.

GIO at scale (Everaert & Potts 2024, section 3.3) runs on K-means centroids instead of rows. Here
faiss trains K-means on a uniform sample of the rows (seeded), then assigns every row in chunks, so
memory stays O(sample x d + K x d) even for memory-mapped inputs of many millions of rows.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numpy.typing import NDArray

from ._validation import check_int, check_random_state
from .largefiles import iter_row_chunks, take_rows

logger = logging.getLogger(__name__)

#: progress(stage, done, total): called while a long stage runs.
ProgressCallback = Callable[[str, int, int], None]

_ASSIGN_CHUNK_ROWS = 65_536

__all__ = ["Quantization", "quantize", "ProgressCallback"]


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
        seen: set[int] = set()
        parts = []
        for cluster in np.asarray(clusters, dtype=np.int64):
            if int(cluster) not in seen:
                seen.add(int(cluster))
                parts.append(self.members(int(cluster)))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


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
    import faiss

    n_rows, dimension = points.shape
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    if n_clusters > n_rows:
        raise ValueError(f"n_clusters={n_clusters} is larger than the {n_rows} rows of the {name}; "
                         f"use at most {n_rows} clusters, or turn quantisation off for data this small.")
    rng = check_random_state(random_state)
    seed = int(rng.integers(0, 2**31 - 1))
    sample_size = min(n_rows, n_clusters * max_points_per_centroid)

    started = time.perf_counter()
    if sample_size < n_rows:
        sample_rows = np.sort(rng.choice(n_rows, size=sample_size, replace=False))
        training = take_rows(points, sample_rows)
    else:
        training = np.concatenate([chunk for _, chunk in iter_row_chunks(points, _ASSIGN_CHUNK_ROWS)])
    if not np.isfinite(training).all():
        raise ValueError(f"{name} has {_count_nonfinite_rows(points)} row(s) with NaN or inf values; drop or "
                         "fill those rows first.")
    if progress:
        progress(f"training K-means on the {name}", 0, 1)
    kmeans = faiss.Kmeans(dimension, n_clusters, niter=n_iter, seed=seed, verbose=False,
                          max_points_per_centroid=max(max_points_per_centroid, 1), min_points_per_centroid=1)
    kmeans.train(training)
    del training
    trained = time.perf_counter()
    if progress:
        progress(f"training K-means on the {name}", 1, 1)

    labels = np.empty(n_rows, dtype=np.int64)
    bad_rows = 0
    for start, chunk in iter_row_chunks(points, _ASSIGN_CHUNK_ROWS):
        finite = np.isfinite(chunk).all(axis=1)
        if not finite.all():  # rows the training sample missed
            bad_rows += int((~finite).sum())
            chunk[~finite] = 0.0
        _, assigned = kmeans.index.search(chunk, 1)
        labels[start:start + chunk.shape[0]] = assigned[:, 0]
        if progress:
            progress(f"assigning {name} rows to clusters", min(start + _ASSIGN_CHUNK_ROWS, n_rows), n_rows)
    assigned_at = time.perf_counter()
    if bad_rows:
        raise ValueError(f"{name} has {bad_rows} row(s) with NaN or inf values; drop or fill those rows first.")

    counts = np.bincount(labels, minlength=n_clusters)
    kept = np.flatnonzero(counts)
    if kept.size < n_clusters:
        logger.info("%s: %d of %d clusters were empty and are dropped", name, n_clusters - kept.size, n_clusters)
        remap = np.full(n_clusters, -1, dtype=np.int64)
        remap[kept] = np.arange(kept.size)
        labels = remap[labels]
    return Quantization(
        centers=np.asarray(kmeans.centroids[kept], dtype=np.float64),
        labels=labels,
        counts=counts[kept].astype(np.int64),
        seconds={"train": trained - started, "assign": assigned_at - trained},
    )


def _count_nonfinite_rows(points) -> int:
    return sum(int((~np.isfinite(chunk)).any(axis=1).sum()) for _, chunk in iter_row_chunks(points, _ASSIGN_CHUNK_ROWS))
