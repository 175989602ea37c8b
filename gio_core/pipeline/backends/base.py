"""The interface every execution backend implements, and the selection it hands back.

Row numbers are global (``gio_row``) throughout; ``pool`` below is the pipeline's
:class:`gio_core.pipeline.stages.PoolVectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...scale.assign import Assignment
from ...scale.quantize import QuantisedInputs

__all__ = ["Assignment", "Backend", "BackendUnavailable", "Selection"]


class BackendUnavailable(ValueError):
    """The backend cannot run here (a missing package or Java); the message says what to install."""


@dataclass(frozen=True)
class Selection:
    """The exploded selection: pool rows in pick order.

    Attributes
    ----------
    rows : ndarray of int64
        Global pool rows (``gio_row``) in pick order (``gio_rank`` - 1).
    clusters : ndarray of int64 or None
        Each row's cluster (an index into the quantisation's centres), when quantised.
    handle : object
        What the backend needs to export it (a Spark DataFrame, say); None in-process.
    """

    rows: NDArray[np.int64]
    clusters: NDArray[np.int64] | None
    handle: Any = None

    @property
    def n_rows(self) -> int:
        return int(self.rows.size)


class Backend:
    """The stages that touch every pool row: read the K-means sample, assign, explode, export."""

    name = "backend"

    def check_pool(self, pool) -> None:
        """Raise ``ValueError`` (one line) when this backend cannot read this pool; before any job runs."""

    def read_rows(self, pool, rows: NDArray[np.int64] | None) -> NDArray[np.float32]:
        """The vectors of the given rows (sorted; every row when None), in that order: the K-means sample."""
        raise NotImplementedError

    def assign(
        self, pool, centers: NDArray[np.float32], *, target_points: NDArray | None = None, progress=None
    ) -> Assignment:
        """Assign every pool row to its nearest centre (:func:`gio_core.scale.assign.assign_rows`). With
        ``target_points`` the explode stage will order rows by their distance to the target: a backend that
        cannot come back to the vectors later computes it now (:func:`gio_core.scale.assign.nearest_distances`)."""
        raise NotImplementedError

    def explode(
        self, pool, quantised: QuantisedInputs, picks: NDArray[np.int64], *, quotas: NDArray[np.int64] | None, seed: int
    ) -> Selection:
        """Rows of the chosen clusters (``picks``: distinct indices into ``quantised.pool``, in first-pick order), as
        :meth:`gio_core.scale.quantize.QuantisedInputs.explode` orders them: all rows in row order when ``quotas``
        is None; else each cluster's ``quotas[i]`` rows, a partly taken cluster's nearest
        ``quantised.target_points`` first (when set), then by :func:`gio_core.scale.explode.row_priority`."""
        raise NotImplementedError

    def export(self, pool, selection: Selection, out, *, progress=None) -> int:
        """Write the selected rows (the pool's columns untouched, then gio_rank, gio_row, gio_cluster) to ``out``
        (a path prepared by the pipeline, which renames it into place, or a binary stream). Returns the rows
        written."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend started."""
