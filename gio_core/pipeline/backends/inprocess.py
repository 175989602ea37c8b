"""The in-process backend: NumPy and faiss in this process, the pool read in chunks.

Every stage here is the engine's own function, the one :class:`gio_core.GIOSelector` runs on arrays:
:func:`gio_core.scale.quantize.read_sample`, :func:`gio_core.scale.assign.assign_in_chunks` and
:meth:`gio_core.scale.quantize.QuantisedInputs.explode`.
"""

from __future__ import annotations

import numpy as np

from ...io.export import shard_selection_table, write_selection_rows, write_selection_table
from ...io.shards import ParquetDataset
from ...scale.assign import assign_in_chunks
from ...scale.quantize import read_sample
from .base import Backend, Selection

__all__ = ["InProcessBackend"]


class InProcessBackend(Backend):
    """Every stage in this process: arrays, memory maps and Parquet shards are read in 64k-row chunks."""

    name = "inprocess"

    def read_rows(self, pool, rows):
        return read_sample(pool.matrix, rows)

    def assign(self, pool, centers, *, target_points=None, progress=None):
        # the vectors stay here: the explode stage measures only the rows of partly taken clusters
        return assign_in_chunks(pool.matrix, centers, progress=progress)

    def explode(self, pool, quantised, picks, *, quotas, seed):
        rows = quantised.explode(picks, quotas, seed=seed, matrix=pool.matrix)
        return Selection(rows=pool.file_rows(rows), clusters=np.asarray(quantised.pool.labels[rows], dtype=np.int64))

    def export(self, pool, selection: Selection, out, *, progress=None) -> int:
        if isinstance(pool.data, ParquetDataset):
            table = shard_selection_table(
                pool.data, selection.rows, cluster_labels=selection.clusters, progress=progress
            )
            return write_selection_table(table, out)
        return write_selection_rows(
            pool.data, selection.rows, out, cluster_labels=selection.clusters, progress=progress
        )
