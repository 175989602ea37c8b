"""Exact nearest-neighbour queries with two backends: chunked NumPy (float64) and faiss (float32).

One small interface serves the estimators, the metrics and the baselines. NumPy is exact in float64
and is what the estimators use by default, so that results match the published implementation;
faiss is much faster on large inputs and is chosen by ``backend="auto"`` when the product of the
two row counts is large.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

Backend = Literal["auto", "numpy", "faiss"]

# Squared distances below this are clipped, as in grad-info-opt: a point at distance zero would
# otherwise send log-distances to -inf.
MIN_SQUARED_DISTANCE = 1e-10

# Above this many query x data pairs, "auto" hands the search to faiss.
_FAISS_PAIRS = 25_000_000
# Work in blocks of about this many distances so memory stays bounded.
_BLOCK_PAIRS = 4_000_000


def squared_norms(points: NDArray) -> NDArray[np.float64]:
    return np.einsum("ij,ij->i", points, points, dtype=np.float64)


def squared_distances(queries: NDArray, data: NDArray, data_norms: NDArray | None = None) -> NDArray:
    """Squared Euclidean distances, shape (len(queries), len(data)), clipped at ``MIN_SQUARED_DISTANCE``.

    Computed as ``|q|^2 - 2 q.x + |x|^2`` (one matrix product), the way grad-info-opt does.
    """
    if data_norms is None:
        data_norms = squared_norms(data)
    result = queries @ data.T
    result *= -2.0
    result += squared_norms(queries)[:, None]
    result += data_norms[None, :]
    np.maximum(result, MIN_SQUARED_DISTANCE, out=result)
    return result


def _block_rows(n_data: int) -> int:
    return max(1, _BLOCK_PAIRS // max(n_data, 1))


def _resolve_backend(backend: Backend, n_queries: int, n_data: int) -> str:
    if backend not in ("auto", "numpy", "faiss"):
        raise ValueError(f"backend={backend!r} is not one of 'auto', 'numpy', 'faiss'; pick one of those.")
    if backend == "auto":
        return "faiss" if n_queries * n_data > _FAISS_PAIRS else "numpy"
    return backend


def knn_squared_distances(
    queries: NDArray,
    data: NDArray,
    n_neighbors: int,
    *,
    exclude_self: bool = False,
    backend: Backend = "auto",
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Squared distances and indices of the ``n_neighbors`` nearest data rows of each query, nearest first.

    With ``exclude_self`` the queries are the data themselves and each row's first neighbour (itself)
    is dropped, as grad-info-opt does: the (n_neighbors + 1) nearest are found and the first removed.
    """
    extra = 1 if exclude_self else 0
    wanted = n_neighbors + extra
    if wanted > data.shape[0]:
        raise ValueError(
            f"asked for {n_neighbors} neighbours{' besides the point itself' if exclude_self else ''} "
            f"among {data.shape[0]} rows; lower k or add rows."
        )
    if _resolve_backend(backend, queries.shape[0], data.shape[0]) == "faiss":
        distances, indices = _faiss_knn(queries, data, wanted)
    else:
        distances, indices = _numpy_knn(queries, data, wanted)
    return distances[:, extra:], indices[:, extra:]


def _numpy_knn(queries: NDArray, data: NDArray, wanted: int) -> tuple[NDArray, NDArray]:
    data = np.asarray(data, dtype=np.float64)
    data_norms = squared_norms(data)
    n_queries = queries.shape[0]
    out_distances = np.empty((n_queries, wanted))
    out_indices = np.empty((n_queries, wanted), dtype=np.int64)
    block = _block_rows(data.shape[0])
    for start in range(0, n_queries, block):
        chunk = np.asarray(queries[start : start + block], dtype=np.float64)
        distances = squared_distances(chunk, data, data_norms)
        if wanted < distances.shape[1]:
            part = np.argpartition(distances, wanted - 1, axis=1)[:, :wanted]
        else:
            part = np.broadcast_to(np.arange(distances.shape[1]), distances.shape).copy()
        part_distances = np.take_along_axis(distances, part, axis=1)
        # stable sort on (distance, index) keeps ties in index order, like a stable argsort
        order = np.lexsort((part, part_distances), axis=1)
        out_indices[start : start + block] = np.take_along_axis(part, order, axis=1)
        out_distances[start : start + block] = np.take_along_axis(part_distances, order, axis=1)
    return out_distances, out_indices


def _faiss_knn(queries: NDArray, data: NDArray, wanted: int) -> tuple[NDArray, NDArray]:
    import faiss

    data32 = np.ascontiguousarray(data, dtype=np.float32)
    index = faiss.IndexFlatL2(data32.shape[1])
    index.add(data32)
    n_queries = queries.shape[0]
    out_distances = np.empty((n_queries, wanted))
    out_indices = np.empty((n_queries, wanted), dtype=np.int64)
    block = 65_536
    for start in range(0, n_queries, block):
        chunk = np.ascontiguousarray(queries[start : start + block], dtype=np.float32)
        distances, indices = index.search(chunk, wanted)
        out_distances[start : start + block] = distances
        out_indices[start : start + block] = indices
    np.maximum(out_distances, MIN_SQUARED_DISTANCE, out=out_distances)
    return out_distances, out_indices


def kth_neighbor_distances(
    queries: NDArray, data: NDArray, k: int, *, exclude_self: bool = False, backend: Backend = "auto"
) -> NDArray[np.float64]:
    """Distance from each query to its k-th nearest data row (self excluded on request), clipped below."""
    squared, _ = knn_squared_distances(queries, data, k, exclude_self=exclude_self, backend=backend)
    return np.sqrt(squared[:, -1])


class NearestUnused:
    """Nearest-row lookup over a fixed set of candidate rows, each of which can be used at most once.

    GIO snaps the optimised point ``v`` to the nearest pool row it has not picked yet. Distances are
    computed in one pass over the candidates (``|c|^2 - 2 c.v``; ``|v|^2`` is constant), so the
    candidates are never copied, and float32 pools stay float32.
    """

    def __init__(self, candidates: NDArray):
        self._candidates = candidates
        self._norms = squared_norms(candidates)
        self._available = np.ones(candidates.shape[0], dtype=bool)
        self._n_available = candidates.shape[0]

    @property
    def n_available(self) -> int:
        return self._n_available

    @property
    def available(self) -> NDArray[np.bool_]:
        return self._available

    def nearest(self, point: NDArray) -> int:
        """Index of the nearest available candidate; ties go to the lowest index."""
        if self._n_available == 0:
            raise LookupError("no candidate rows are left")
        products = self._candidates @ point.astype(self._candidates.dtype, copy=False)
        distances = self._norms - 2.0 * products
        distances[~self._available] = np.inf
        return int(np.argmin(distances))

    def nearest_several(self, point: NDArray, amount: int) -> NDArray[np.int64]:
        """Indices of the ``amount`` nearest available candidates, nearest first (ties: lowest index)."""
        if self._n_available == 0:
            raise LookupError("no candidate rows are left")
        amount = min(int(amount), self._n_available)
        products = self._candidates @ point.astype(self._candidates.dtype, copy=False)
        distances = np.asarray(self._norms - 2.0 * products, dtype=np.float64)
        distances[~self._available] = np.inf
        closest = (
            np.argpartition(distances, amount - 1)[:amount] if amount < distances.size else np.arange(distances.size)
        )
        return closest[np.lexsort((closest, distances[closest]))][:amount]

    def use(self, index: int) -> None:
        if self._available[index]:
            self._available[index] = False
            self._n_available -= 1

    def reset(self, available: NDArray[np.bool_] | None = None) -> None:
        """Make every candidate (or those flagged in ``available``) usable again."""
        self._available = np.ones_like(self._available) if available is None else available.copy()
        self._n_available = int(self._available.sum())
