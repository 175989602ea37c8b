"""Execution backends for the row-level stages of the selection pipeline.

:mod:`gio_core.pipeline` runs read → vectors → quantise → select → explode → export → manifest once,
for every caller. The stages that touch every pool row (reading the K-means sample, assigning rows to
centroids, exploding the chosen clusters to rows, writing them) run on a backend; everything else
(training K-means, GIO on the centroids, the manifest) runs here, the same for all.

Like openTSNE's nearest-neighbour backends: one small interface (:class:`Backend`), one module per
backend, the heavy dependency imported only inside its module.

========== =========================================== ===================================
name       module                                      runs on
========== =========================================== ===================================
inprocess  :mod:`gio_core.backends.inprocess`          this process (NumPy + faiss)
spark      :mod:`gio_core.backends.spark`              a Spark cluster (or ``local[N]``)
========== =========================================== ===================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BACKENDS", "Assignment", "Backend", "BackendUnavailable", "Selection", "get_backend"]

#: Names accepted by :func:`get_backend` (and ``gio-studio select --engine``).
BACKENDS = ("inprocess", "spark")


class BackendUnavailable(ValueError):
    """The backend cannot run here (a missing package or Java); the message says what to install."""


@dataclass(frozen=True)
class Assignment:
    """Every pool row's nearest centroid, as a backend holds it.

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


class Backend:
    """The interface every backend implements. Row numbers are global (``gio_row``) throughout.

    ``pool`` below is the pipeline's :class:`gio_core.pipeline.PoolVectors`.
    """

    name = "backend"

    def check_pool(self, pool) -> None:
        """Raise ``ValueError`` (one line) when this backend cannot read this pool; before any job runs."""

    def read_rows(self, pool, rows: NDArray[np.int64]) -> NDArray[np.float32]:
        """The vectors of the given rows (sorted), in that order: the K-means training sample."""
        raise NotImplementedError

    def assign(self, pool, centers: NDArray[np.float32], *, target_points: NDArray | None = None,
               progress=None) -> Assignment:
        """Assign every pool row to its nearest centre (faiss flat index). With ``target_points`` the explode
        stage will order rows by their distance to the target: a backend that cannot come back to the
        vectors later computes it now (:func:`gio_core.quantize.nearest_distances`)."""
        raise NotImplementedError

    def explode(self, pool, assignment: Assignment, *, raw_clusters: NDArray[np.int64], compact: NDArray[np.int64],
                quotas: NDArray[np.int64] | None, seed: int, target_points: NDArray | None = None) -> Selection:
        """Rows of the chosen clusters (``raw_clusters`` in first-pick order, ``compact`` their indices in the
        quantisation), as :func:`gio_core.explode.explode_rows` orders them: all rows in row order when
        ``quotas`` is None; else each cluster's ``quotas[i]`` rows, a cluster that gives only part of its
        rows ordered by distance to the nearest of ``target_points`` (when given), then by
        :func:`gio_core.explode.row_priority`, a whole cluster by priority."""
        raise NotImplementedError

    def export(self, pool, selection: Selection, out: str, *, progress=None) -> int:
        """Write the selected rows (the pool's columns untouched, then gio_rank, gio_row, gio_cluster) to ``out``
        (a path prepared by the pipeline; it renames it into place). Returns the rows written."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend started."""


def get_backend(name: str = "inprocess", **options) -> Backend:
    """A backend by name.

    Parameters
    ----------
    name : {'inprocess', 'spark'}
    **options
        Passed to the backend (Spark: ``master``, ``conf``, ``session``).

    Raises
    ------
    ValueError
        An unknown name.
    BackendUnavailable
        Its package (or Java) is missing.
    """
    if name == "inprocess":
        from .inprocess import InProcessBackend

        return InProcessBackend(**options)
    if name == "spark":
        from .spark import SparkBackend

        return SparkBackend(**options)
    raise ValueError(f"engine must be one of {', '.join(BACKENDS)}; got {name!r}.")
