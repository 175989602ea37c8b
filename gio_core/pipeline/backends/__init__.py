"""Execution backends for the row-level stages of the selection pipeline.

:class:`gio_core.pipeline.SelectionPipeline` runs read → vectors → quantise → select → explode → export → manifest once,
for every caller. The stages that touch every pool row (reading the K-means sample, assigning rows to
centroids, exploding the chosen clusters to rows, writing them) run on a backend; everything else
(training K-means, GIO on the centroids, the manifest) runs here, the same for all.

Like openTSNE's nearest-neighbour backends: one small interface (:class:`Backend`), one module per
backend, the heavy dependency imported only inside its module.

========== =========================================== ===================================
name       module                                      runs on
========== =========================================== ===================================
inprocess  :mod:`gio_core.pipeline.backends.inprocess` this process (NumPy + faiss)
spark      :mod:`gio_core.pipeline.backends.spark`     a Spark cluster (or ``local[N]``)
========== =========================================== ===================================
"""

from __future__ import annotations

from .base import Assignment, Backend, BackendUnavailable, Selection

__all__ = ["BACKENDS", "Assignment", "Backend", "BackendUnavailable", "Selection", "get_backend"]

#: Names accepted by :func:`get_backend` (and ``gio-studio select --engine``).
BACKENDS = ("inprocess", "spark")


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
    raise ValueError(f"engine must be one of {', '.join(repr(known) for known in BACKENDS)}; got {name!r}.")
