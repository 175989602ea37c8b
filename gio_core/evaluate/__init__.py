"""How good a selection is: metrics against held-out target rows, every method compared on one budget, and the
self-contained HTML run report.

``metrics``     KL, MMD², coverage, precision, classifier accuracy (:func:`evaluate_selection`)
``comparison``  :func:`compare_methods`: methods on the same pool, target and budget, scored on held-out rows
``plan``        :func:`plan_methods`: what each method of a comparison runs on (all rows, a sample, K-means)
``report``      :func:`run_report_html`: the run's animated map, KL curve, parameters and summary in one file
"""

from .comparison import (
    DEFAULT_METHODS,
    METHOD_SUMMARIES,
    Comparison,
    MethodResult,
    compare_methods,
    default_budget,
    method_cost,
    split_sizes,
)
from .metrics import METRIC_DIRECTIONS, evaluate_selection
from .plan import DEFAULT_MEMORY_BUDGET_BYTES, MethodPlan, plan_methods
from .report import first_defined_kl, run_report_html, run_summary

__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "DEFAULT_METHODS",
    "METHOD_SUMMARIES",
    "METRIC_DIRECTIONS",
    "Comparison",
    "MethodPlan",
    "MethodResult",
    "compare_methods",
    "default_budget",
    "evaluate_selection",
    "first_defined_kl",
    "method_cost",
    "plan_methods",
    "run_report_html",
    "run_summary",
    "split_sizes",
]
