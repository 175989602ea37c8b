"""GIO Studio's engine: Gradient Information Optimization in NumPy + faiss.

Public names only; see the README for the tour.
"""

from importlib.metadata import PackageNotFoundError, version

from .gio import (PAPER_GIO_PARAMS, STOP_CRITERIA, STOP_REASONS, V_INITS, GIOConfig, GIOResult, GIOSelector, GIOStep,
                  select)
from .kl import AveragedKL, averaged_knn_kl, averaged_knn_kl_gradient, knn_kl
from .pipeline import SelectionPipeline, run_selection
from .quantize import Quantization, quantize

try:
    __version__ = version("gio-studio")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

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
