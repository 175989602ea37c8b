"""GIO Studio's engine: Gradient Information Optimization in NumPy + faiss.

Public names only; see the README for the tour.
"""

from .gio.selector import (
    PAPER_GIO_PARAMS,
    STOP_CRITERIA,
    STOP_REASONS,
    V_INITS,
    GIOConfig,
    GIOResult,
    GIOSelector,
    GIOStep,
    select,
)
from .gio.kl import AveragedKL, averaged_knn_kl, averaged_knn_kl_gradient, knn_kl
from .pipeline.pipeline import SelectionPipeline, run_selection
from .scale.quantize import Quantization, quantize
from ._version import __version__

__all__ = [
    "AveragedKL",
    "PAPER_GIO_PARAMS",
    "GIOConfig",
    "GIOResult",
    "GIOSelector",
    "GIOStep",
    "Quantization",
    "STOP_CRITERIA",
    "SelectionPipeline",
    "STOP_REASONS",
    "V_INITS",
    "__version__",
    "averaged_knn_kl",
    "averaged_knn_kl_gradient",
    "knn_kl",
    "quantize",
    "run_selection",
    "select",
]
