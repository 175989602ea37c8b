"""The in-process backend: NumPy and faiss in this process, the pool read in chunks."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ...scale.explode import explode_rows
from ...io.largefiles import iter_row_chunks, take_rows
from ...scale.quantize import assign_rows, centroid_index, nearest_distances
from . import Assignment, Backend, Selection

__all__ = ["InProcessBackend"]

_CHUNK_ROWS = 65_536


class InProcessBackend(Backend):
    """Every stage in this process: arrays, memory maps and Parquet shards are read in 64k-row chunks."""

    name = "inprocess"

    def read_rows(self, pool, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        return take_rows(pool.matrix, rows)

    def assign(self, pool, centers, *, target_points=None, progress=None) -> Assignment:
        index = centroid_index(centers)
        matrix = pool.matrix
        labels = np.empty(matrix.shape[0], dtype=np.int64)
        for start, chunk in iter_row_chunks(matrix, _CHUNK_ROWS):
            labels[start:start + chunk.shape[0]] = assign_rows(index, chunk)
            if progress:
                progress("assigning pool rows to clusters", min(start + _CHUNK_ROWS, matrix.shape[0]), matrix.shape[0])
        bad = labels < 0
        counts = np.bincount(labels[~bad], minlength=centers.shape[0]).astype(np.int64)
        return Assignment(counts=counts, labels=labels, nonfinite_rows=int(bad.sum()))

    def explode(self, pool, assignment, *, raw_clusters, compact, quotas, seed, target_points=None) -> Selection:
        labels = assignment.labels
        order = np.argsort(labels, kind="stable")
        starts = np.searchsorted(labels[order], np.arange(assignment.counts.size + 1))
        members = lambda cluster: order[starts[cluster]:starts[cluster + 1]]  # noqa: E731 - rows in row order
        distances_of = None
        if target_points is not None:  # the vectors are here: only the rows of partly taken clusters are measured
            target = centroid_index(target_points)
            distances_of = lambda rows: nearest_distances(target, take_rows(pool.matrix, rows))  # noqa: E731
        rows = explode_rows(members, raw_clusters, quotas, seed, distances_of=distances_of)
        lookup = np.full(assignment.counts.size, -1, dtype=np.int64)
        lookup[raw_clusters] = compact
        return Selection(rows=pool.file_rows(rows), clusters=lookup[labels[rows]])

    def export(self, pool, selection: Selection, out, *, progress=None) -> int:
        from ...io.shards import ParquetDataset
        from ...io.export import shard_selection_table, write_selection_rows, write_selection_table

        if isinstance(pool.data, ParquetDataset):
            table = shard_selection_table(pool.data, selection.rows, cluster_labels=selection.clusters,
                                          progress=progress)
            return write_selection_table(table, out)
        return write_selection_rows(pool.data, selection.rows, out, cluster_labels=selection.clusters,
                                    progress=progress)
