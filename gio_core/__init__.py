"""GIO Studio's engine: Gradient Information Optimization in NumPy + faiss.

Public names only; see the README for the tour. The engine is laid out by concern, each folder importing only
the ones below it::

    cli.py, spark_submit.py      the gio-studio command (top)
    pipeline/                    read → vectors → quantise → select → explode → export → manifest; backends/
    evaluate/                    metrics, method comparison, the run report
    plots/                       maps of pool and target, the figures drawn on them
    methods/                     the other selection methods (baselines, TSDS, pursuit, DSIR)
    gio/                         GIOSelector, its run loop, the k-NN KL estimators, objectives, neighbours
    scale/                       K-means quantisation, assignment, explosion back to rows
    io/                          files in and out: readers, vectors, shards, export, manifest, demos
    _validation.py, _version.py  checks and the version (bottom)
"""

from ._version import __version__
from .gio import (
    PAPER_GIO_PARAMS,
    STOP_CRITERIA,
    STOP_REASONS,
    V_INITS,
    AveragedKL,
    GIOConfig,
    GIOResult,
    GIOSelector,
    GIOStep,
    averaged_knn_kl,
    averaged_knn_kl_gradient,
    knn_kl,
    select,
)
from .pipeline import SelectionPipeline, StageEvent, run_selection
from .scale import Quantization, quantize

#: Names imported on first use (each pulls in its layer: pandas and pyarrow readers, scikit-learn metrics, ...).
_FROM_IO = ("DataError", "prepare_vectors", "read_data", "write_selection")
_FROM_METHODS = ("METHODS",)
_FROM_EVALUATE = ("compare_methods", "evaluate_selection")

__all__ = [
    "METHODS",
    "PAPER_GIO_PARAMS",
    "STOP_CRITERIA",
    "STOP_REASONS",
    "V_INITS",
    "AveragedKL",
    "DataError",
    "GIOConfig",
    "GIOResult",
    "GIOSelector",
    "GIOStep",
    "Quantization",
    "SelectionPipeline",
    "StageEvent",
    "__version__",
    "averaged_knn_kl",
    "averaged_knn_kl_gradient",
    "compare_methods",
    "evaluate_selection",
    "knn_kl",
    "prepare_vectors",
    "quantize",
    "read_data",
    "run_selection",
    "select",
    "write_selection",
]


def __getattr__(name: str):
    if name in _FROM_IO:
        from . import io

        return getattr(io, name)
    if name in _FROM_METHODS:
        from . import methods

        return getattr(methods, name)
    if name in _FROM_EVALUATE:
        from . import evaluate

        return getattr(evaluate, name)
    raise AttributeError(f"module 'gio_core' has no attribute {name!r}")
