"""The GIO algorithm: the estimator, its run loop, the k-NN KL estimators, the objectives its descent lowers,
and the nearest-neighbour searches under them.

``selector``    :class:`GIOSelector` (scikit-learn style) and :func:`select`
``config``      :class:`GIOConfig` (every parameter, validated), :data:`PAPER_GIO_PARAMS`, the step and result types
``run``         one run's loop: descend on v, snap to a row, add it, apply the stopping rule
``kl``          the k-NN estimators of KL(target || sample) and the paper's rank-averaged one, with gradients
``objectives``  the smooth objective and the steered descent rules
``neighbors``   exact nearest-neighbour searches (NumPy or faiss)
"""

from .config import PAPER_GIO_PARAMS, STOP_CRITERIA, STOP_REASONS, V_INITS, GIOConfig, GIOResult, GIOStep
from .kl import AveragedKL, averaged_knn_kl, averaged_knn_kl_gradient, format_kl, kl_curve, knn_kl
from .objectives import OBJECTIVES, STEP_RULES
from .selector import GIOSelector, select

__all__ = [
    "OBJECTIVES",
    "PAPER_GIO_PARAMS",
    "STEP_RULES",
    "STOP_CRITERIA",
    "STOP_REASONS",
    "V_INITS",
    "AveragedKL",
    "GIOConfig",
    "GIOResult",
    "GIOSelector",
    "GIOStep",
    "averaged_knn_kl",
    "averaged_knn_kl_gradient",
    "format_kl",
    "kl_curve",
    "knn_kl",
    "select",
]
