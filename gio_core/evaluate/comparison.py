"""Compare selection methods on the same pool, target and budget, scored on held-out target rows.

:func:`compare_methods` splits the target once into the rows the methods see and rows kept back for
scoring, runs every chosen method of :data:`gio_core.methods.METHODS` (GIO with the engine's
defaults, and the baselines) with the same budget and seed, and scores each selection with
:func:`gio_core.evaluate.metrics.evaluate_selection` against the held-out rows. The result, a
:class:`Comparison`, holds each method's picks, its KL curve on the held-out rows, its metrics and
its time, and says which method each metric favours.

:func:`method_cost` tells, before running, whether a method is affordable on a pool: exact greedy
k-NN KL scores every unused pool row against every target row at each pick, so it is refused past
:data:`GREEDY_KL_MAX_PAIRS` pool x target pairs.

Methods that read raw text (:data:`gio_core.methods.dsir.TEXT_METHODS`, DSIR) run when the comparison is
given the texts (``pool_texts``, ``target_texts``); they see only the texts of the target rows the
other methods see. :data:`METHOD_SUMMARIES` says in one line what each method optimises.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .._validation import as_matrix, as_pool_matrix, check_float, check_int, check_random_state, check_same_dimension
from ..gio.kl import kl_curve
from ..io.largefiles import release_pages, take_rows
from ..methods.dsir import TEXT_METHODS
from ..methods.registry import METHODS
from .metrics import METRIC_DIRECTIONS, evaluate_selection
from .plan import GREEDY_KL_MAX_PAIRS, MethodPlan, plan_methods, quantised_gio

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_METHODS",
    "GREEDY_KL_MAX_PAIRS",
    "GREEDY_KL_SLOW_PAIRS",
    "METHOD_SUMMARIES",
    "Comparison",
    "MethodCost",
    "MethodResult",
    "best_methods",
    "compare_methods",
    "default_budget",
    "method_cost",
    "split_sizes",
    "split_target",
]

#: Methods a comparison runs when none are named: GIO, TSDS, the GTP-style pursuit and the four simple
#: baselines (those present in METHODS).
DEFAULT_METHODS: tuple[str, ...] = tuple(
    name
    for name in ("GIO", "TSDS", "GTP-style pursuit", "Greedy k-NN KL", "Nearest to target", "k-center greedy", "Random")
    if name in METHODS
)

#: One line per method on what it optimises (every name of METHODS and TEXT_METHODS).
METHOD_SUMMARIES: dict[str, str] = {
    "Random": "Nothing: a uniform sample of the pool, the floor every method should beat.",
    "k-center greedy": "Diversity only: each pick is the pool row farthest from the picks so far; ignores the target.",
    "Nearest to target": "Closeness: target rows take turns taking their nearest unused pool row.",
    "Greedy k-NN KL": "The k-NN estimate of KL(target ‖ picks), exactly and greedily, one pick at a time (GIO's "
    "unrelaxed objective).",
    "TSDS": "Optimal-transport alignment of the target with a distribution over the pool, plus a diversity term "
    "that down-weights near-duplicates; rows are sampled from that distribution (Liu et al. 2024).",
    "GTP-style pursuit": "A sparse non-negative sum of pool rows that points like the target's summed vector, "
    "found by orthogonal matching pursuit per K-means cluster (after Deng et al. 2024).",
    "GIO": "KL(target ‖ picks) by gradient descent in the vector space, each step snapped to a pool row, with "
    "this tool's defaults.",
    "GIO (paper)": "The same KL, with grad-info-opt 0.1.2's parameters (Everaert & Potts 2024).",
    "DSIR": "Likelihood ratio of each pool text under hashed n-gram models of the target and the pool; rows "
    "resampled by it (Xie et al. 2023). Text only.",
}
METHOD_SUMMARIES.update(
    {
        name: f"GIO's KL, each descent starting at v_init='{name[len('GIO (v_init=') : -1]}' instead of the default."
        for name in METHODS
        if name.startswith("GIO (v_init=")
    }
)

#: Above this many pool x seen-target pairs exact greedy k-NN KL takes several seconds (measured:
#: 100,000 x 140 pairs, 100 picks, about 6 s on one core).
GREEDY_KL_SLOW_PAIRS = 5_000_000
# GREEDY_KL_MAX_PAIRS (from .plan): above this many pairs it can no longer keep its distance matrix and
# recomputes a column block per pick: minutes (100,000 x 700 pairs, 100 picks: about 75 s).

_GREEDY_KL = "Greedy k-NN KL"
# Values this close count as a tie for "best".
_TIE_RTOL = 1e-9
_TIE_ATOL = 1e-12

ProgressCallback = Callable[[str, int, int], object]


@dataclass(frozen=True)
class MethodCost:
    """Whether a method is affordable on a data set.

    Attributes
    ----------
    level : {'ok', 'slow', 'too_large'}
        ``'slow'``: runs, but takes a while; ``'too_large'``: should not be run.
    message : str
        Why, in a sentence (empty when ``'ok'``).
    """

    level: str
    message: str = ""

    def __post_init__(self):
        if self.level not in ("ok", "slow", "too_large"):
            raise ValueError(f"level={self.level!r} is not one of 'ok', 'slow', 'too_large'; pick one of those.")

    @property
    def runnable(self) -> bool:
        return self.level != "too_large"


def method_cost(name: str, n_pool: int, n_target: int) -> MethodCost:
    """How expensive ``name`` is on ``n_pool`` pool rows and ``n_target`` target rows the method sees.

    Parameters
    ----------
    name : str
        A key of :data:`gio_core.methods.METHODS`.
    n_pool : int
        Pool rows.
    n_target : int
        Target rows the method is given (after the held-out split).

    Returns
    -------
    MethodCost

    Notes
    -----
    Only exact greedy k-NN KL is limited: each pick re-scores the pool against the target rows whose
    neighbours changed, over an ``n_pool x n_target`` matrix of log-distances kept in memory up to
    :data:`GREEDY_KL_MAX_PAIRS` entries and recomputed per pick beyond it. The other methods cost
    O(n_pool) per pick (GIO, k-center greedy) or less.

    Examples
    --------
    >>> method_cost("Greedy k-NN KL", 2_000, 140).level
    'ok'
    >>> method_cost("Greedy k-NN KL", 1_000_000, 140).runnable
    False
    """
    n_pool = check_int(n_pool, "n_pool", minimum=0)
    n_target = check_int(n_target, "n_target", minimum=0)
    if name != _GREEDY_KL:
        return MethodCost("ok")
    pairs = n_pool * n_target
    detail = (
        f"it scores every unused pool row against every target row at each pick "
        f"({n_pool:,} pool x {n_target:,} target rows = {pairs:,} pairs)"
    )
    if pairs > GREEDY_KL_MAX_PAIRS:
        return MethodCost(
            "too_large",
            f"{name} is left out: {detail}, more than the {GREEDY_KL_MAX_PAIRS:,} it can "
            "keep in memory, so it would take minutes. Use a smaller pool or target sample.",
        )
    if pairs > GREEDY_KL_SLOW_PAIRS:
        return MethodCost("slow", f"{name} may take a while: {detail}.")
    return MethodCost("ok")


def default_budget(n_pool: int) -> int:
    """Picks per method when the user has not chosen: 100, or half the pool when it is smaller than 200 rows.

    Examples
    --------
    >>> default_budget(2_000), default_budget(50), default_budget(1)
    (100, 25, 1)
    """
    n_pool = check_int(n_pool, "n_pool", minimum=1)
    return max(1, min(100, n_pool // 2))


def split_sizes(n_target: int, *, heldout_share: float = 0.3, k: int = 5) -> tuple[int, int]:
    """How many target rows the methods see and how many are held out, as :func:`split_target` splits.

    Parameters
    ----------
    n_target : int
        Target rows.
    heldout_share : float, default=0.3
        Share of rows held out, in (0, 1); rounded to the nearest row, then moved so that both parts
        keep at least ``k + 1`` rows.
    k : int, default=5
        Neighbour rank of the methods and the metrics: each part needs ``k + 1`` rows.

    Returns
    -------
    n_seen, n_heldout : int

    Raises
    ------
    ValueError
        Fewer than ``2 (k + 1)`` rows, or a share outside (0, 1).

    Examples
    --------
    >>> split_sizes(200), split_sizes(12, heldout_share=0.1)
    ((140, 60), (6, 6))
    """
    n_target = check_int(n_target, "n_target", minimum=0)
    k = check_int(k, "k", minimum=1)
    heldout_share = check_float(heldout_share, "heldout_share", minimum=0.0, maximum=1.0, exclusive_minimum=True)
    if heldout_share >= 1.0:
        raise ValueError(f"heldout_share must be below 1; got {heldout_share}. Keep some target rows for the methods.")
    needed = 2 * (k + 1)
    if n_target < needed:
        raise ValueError(
            f"The target has {n_target} rows; comparing methods holds some out for scoring, and with "
            f"k={k} both the rows the methods see and the held-out rows need k+1={k + 1}, so at least "
            f"{needed} target rows. Add target rows."
        )
    n_heldout = round(heldout_share * n_target)
    n_heldout = min(max(n_heldout, k + 1), n_target - (k + 1))
    return n_target - n_heldout, n_heldout


def split_target(
    n_target: int, *, heldout_share: float = 0.3, k: int = 5, random_state=None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Split target rows into the rows the methods see and the rows kept back for scoring.

    Parameters
    ----------
    n_target : int
        Target rows.
    heldout_share : float, default=0.3
        Share of rows held out, in (0, 1); rounded to the nearest row, then moved so that both parts
        keep at least ``k + 1`` rows (see :func:`split_sizes`).
    k : int, default=5
        Neighbour rank of the methods and the metrics: each part needs ``k + 1`` rows.
    random_state : int, Generator or None, default=None

    Returns
    -------
    seen_rows : ndarray of int64
        Target rows given to the methods, ascending.
    heldout_rows : ndarray of int64
        Target rows used only to score, ascending.

    Raises
    ------
    ValueError
        Fewer than ``2 (k + 1)`` rows, or a share outside (0, 1).

    Examples
    --------
    >>> seen, heldout = split_target(200, heldout_share=0.3, random_state=0)
    >>> len(seen), len(heldout)
    (140, 60)
    """
    _, n_heldout = split_sizes(n_target, heldout_share=heldout_share, k=k)
    order = check_random_state(random_state).permutation(n_target)
    return np.sort(order[n_heldout:]).astype(np.int64), np.sort(order[:n_heldout]).astype(np.int64)


@dataclass(frozen=True)
class MethodResult:
    """One method's run in a comparison.

    Attributes
    ----------
    name : str
    selected_indices : ndarray of int64
        Pool rows in pick order (empty when the method failed).
    heldout_kl_curve : ndarray of float64
        KL(held-out target || picks so far) after each pick; ``nan`` while fewer than ``k`` picks.
    metrics : mapping
        :func:`gio_core.evaluate.metrics.evaluate_selection`'s numbers that the comparison reports.
    seconds : float
        Time the method took to select (not to score).
    stop_reason, stop_message : str or None
        Why the method stopped, as the estimator says.
    error : str or None
        Why the method failed, when it did.
    skipped : str or None
        Why the method was left out before it ran (the comparison's memory or time budget), when it was.
    ran_on : str
        What the method read: every pool row, a sample of them, or GIO's K-means quantisation of them.
    """

    name: str
    selected_indices: NDArray[np.int64] = field(repr=False)
    heldout_kl_curve: NDArray[np.float64] = field(repr=False)
    metrics: Mapping[str, float]
    seconds: float = 0.0
    stop_reason: str | None = None
    stop_message: str | None = None
    error: str | None = None
    skipped: str | None = None
    ran_on: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None

    @property
    def n_selected(self) -> int:
        return len(self.selected_indices)


@dataclass(frozen=True)
class Comparison:
    """Every method's result on one pool, target split, budget and seed.

    Attributes
    ----------
    results : tuple of MethodResult
        In the order the methods were asked for.
    budget : int
        Picks asked of each method.
    k : int
        Neighbour rank of the KL and coverage metrics.
    seen_rows, heldout_rows : ndarray of int64
        Target rows given to the methods and target rows kept for scoring.
    metric_names : tuple of str
        Metrics reported, keys of :data:`gio_core.evaluate.metrics.METRIC_DIRECTIONS`, in its order.
    seed : int
        The seed every method received.
    notes : tuple of str
        Sentences about what was left out and why.
    plans : tuple of MethodPlan
        What each method was given to run on (:func:`gio_core.evaluate.plan.plan_methods`).
    """

    results: tuple[MethodResult, ...]
    budget: int
    k: int
    seen_rows: NDArray[np.int64] = field(repr=False)
    heldout_rows: NDArray[np.int64] = field(repr=False)
    metric_names: tuple[str, ...]
    seed: int
    notes: tuple[str, ...] = ()
    plans: tuple[MethodPlan, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(result.name for result in self.results)

    @property
    def succeeded(self) -> tuple[MethodResult, ...]:
        return tuple(result for result in self.results if result.ok)

    def result(self, name: str) -> MethodResult:
        """The result of method ``name``."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"{name!r} is not in this comparison; it holds {', '.join(self.names)}.")

    def table(self) -> pd.DataFrame:
        """One row per method: every reported metric, then ``picks`` and ``seconds``.

        Failed methods have ``nan`` metrics. The index is the method name.
        """
        rows = []
        for result in self.results:
            row = {name: float(result.metrics.get(name, math.nan)) for name in self.metric_names}
            row["picks"] = result.n_selected
            row["seconds"] = result.seconds
            rows.append(row)
        frame = pd.DataFrame(
            rows, index=pd.Index(self.names, name="method"), columns=[*self.metric_names, "picks", "seconds"]
        )
        return frame.astype({"picks": np.int64})

    def best(self) -> dict[str, tuple[str, ...]]:
        """Metric -> the method(s) it favours (ties share), from :func:`best_methods`."""
        return best_methods({result.name: result.metrics for result in self.succeeded}, self.metric_names)

    def wins(self) -> dict[str, int]:
        """Method -> how many metrics favour it (a shared best counts for each)."""
        counts = dict.fromkeys(self.names, 0)
        for names in self.best().values():
            for name in names:
                counts[name] += 1
        return counts


def best_methods(
    metrics: Mapping[str, Mapping[str, float]],
    metric_names: Sequence[str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Which method each metric favours, by the direction in :data:`gio_core.evaluate.metrics.METRIC_DIRECTIONS`.

    Parameters
    ----------
    metrics : mapping of str to mapping of str to float
        Method name -> metric name -> value.
    metric_names : sequence of str, optional
        Metrics to judge; default every metric in ``METRIC_DIRECTIONS`` that some method has.

    Returns
    -------
    dict
        Metric name -> names of the methods with the best value, in the order of ``metrics``.
        Values within a relative 1e-9 of the best tie. ``nan`` values never win; a metric that
        every method lacks maps to an empty tuple.

    Raises
    ------
    ValueError
        A metric name without a known direction.

    Examples
    --------
    >>> best_methods({"A": {"kl": 0.5, "coverage": 0.9}, "B": {"kl": 0.2, "coverage": 0.9}})
    {'kl': ('B',), 'coverage': ('A', 'B')}
    """
    if metric_names is None:
        present = {name for values in metrics.values() for name in values}
        metric_names = [name for name in METRIC_DIRECTIONS if name in present]
    winners: dict[str, tuple[str, ...]] = {}
    for metric in metric_names:
        if metric not in METRIC_DIRECTIONS:
            raise ValueError(f"metric {metric!r} has no known direction; use one of {', '.join(METRIC_DIRECTIONS)}.")
        values = {method: float(values.get(metric, math.nan)) for method, values in metrics.items()}
        finite = {method: value for method, value in values.items() if not math.isnan(value)}
        if not finite:
            winners[metric] = ()
            continue
        best = (min if METRIC_DIRECTIONS[metric] == "lower" else max)(finite.values())
        winners[metric] = tuple(
            method
            for method, value in finite.items()
            if math.isclose(value, best, rel_tol=_TIE_RTOL, abs_tol=_TIE_ATOL)
        )
    return winners


def _label_array(values: ArrayLike | None, name: str, n_rows: int) -> NDArray | None:
    """Labels as a 1-D array; mixed or object labels become text so they sort and compare."""
    if values is None:
        return None
    array = np.asarray(values).ravel()
    if array.shape[0] != n_rows:
        raise ValueError(f"{name} has {array.shape[0]} entries but there are {n_rows} rows; give one label per row.")
    if array.dtype == object:
        array = np.array(
            [
                "missing" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
                for value in array.tolist()
            ],
            dtype=object,
        )
    return array


def _check_methods(methods: Sequence[str], registry: Mapping) -> tuple[str, ...]:
    if isinstance(methods, str):
        raise TypeError(f"methods must be a list of method names; got the string {methods!r}. Wrap it in a list.")
    names = tuple(methods)
    if not names:
        raise ValueError(f"methods is empty; choose at least one of {', '.join(registry)}.")
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(map(repr, unknown))}; choose from {', '.join(registry)}.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"methods names {', '.join(map(repr, repeated))} more than once; list each method once.")
    return names


def compare_methods(
    pool: ArrayLike,
    target: ArrayLike,
    *,
    methods: Sequence[str] = DEFAULT_METHODS,
    budget: int = 100,
    heldout_share: float = 0.3,
    k: int = 5,
    pool_labels: ArrayLike | None = None,
    target_labels: ArrayLike | None = None,
    random_state=0,
    progress: ProgressCallback | None = None,
    registry: Mapping[str, Callable] | None = None,
    pool_texts: Sequence[str] | None = None,
    target_texts: Sequence[str] | None = None,
    text_registry: Mapping[str, Callable] | None = None,
    memory_budget_bytes: int | None = None,
    seconds_per_method: float | None = None,
) -> Comparison:
    """Run several selection methods on the same inputs and score them on held-out target rows.

    Parameters
    ----------
    pool : array-like of shape (n_pool, d)
        The candidates.
    target : array-like of shape (n_target, d)
        The target sample; at least ``2 (k + 1)`` rows (part of it is held out).
    methods : sequence of str, default=DEFAULT_METHODS
        Keys of ``registry``, each once.
    budget : int, default=100
        Picks asked of every method; at most ``n_pool``.
    heldout_share : float, default=0.3
        Share of target rows kept back for scoring (see :func:`split_target`).
    k : int, default=5
        Neighbour rank of the KL and coverage metrics (the methods keep their own defaults).
    pool_labels : array-like of shape (n_pool,), optional
        A label per pool row (a class, or a good/bad flag). With ``target_labels``, adds
        ``precision`` (share of picks whose label occurs in the held-out target) and ``accuracy``
        (a classifier trained on the picks, scored on the held-out target rows).
    target_labels : array-like of shape (n_target,), optional
        A label per target row.
    random_state : int, Generator or None, default=0
        Seeds the split and every method (each method gets the same seed, so adding or removing one
        does not change the others). The same seed gives the same comparison.
    progress : callable, optional
        ``progress(method, done, total)`` before each method runs (``done`` methods have finished),
        for a progress bar.
    registry : mapping, optional
        Method name -> factory ``(budget, random_state) -> estimator`` with ``fit(pool, target)``
        setting ``selected_indices_``; default :data:`gio_core.methods.METHODS`.
    pool_texts : sequence of str of length n_pool, optional
        The text of every pool row (the text column the vectors were embedded from). Needed by the
        methods of ``text_registry`` only.
    target_texts : sequence of str of length n_target, optional
        The text of every target row; a text method is given only those of the rows it may see.
    text_registry : mapping, optional
        Method name -> factory ``(budget, random_state, *, pool_texts, target_texts)`` for methods
        that read text; default :data:`gio_core.methods.dsir.TEXT_METHODS`.
    memory_budget_bytes : int, optional
        Working memory one method may use; a method that would need more runs on a seeded sample of the pool
        (GIO on a K-means quantisation of every row) or is left out with the reason. Default
        :data:`gio_core.evaluate.plan.DEFAULT_MEMORY_BUDGET_BYTES`.
    seconds_per_method : float, optional
        Expected seconds a method may take on every row before it is given a sample instead; default
        :data:`gio_core.evaluate.plan.DEFAULT_SECONDS_PER_METHOD`.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        Shapes, too few target rows for the split, a budget larger than the pool, unknown or
        repeated methods, label arrays of the wrong length, a text method without texts or texts of
        the wrong length.
    TypeError
        Non-numeric data, ``methods`` given as one string.

    Notes
    -----
    A method that fails (its own validation, memory) does not stop the others: its result carries
    the message in ``error`` and no metrics. What each method runs on is decided first, by
    :func:`gio_core.evaluate.plan.plan_methods`, from the pool's size and the budgets; ``ran_on`` says it, and
    every method is scored on the same held-out rows of the whole pool's target. The pool is not copied: a
    float32 array or memory map is read where it is, a method's sample taken from it. Accuracy is left out (with a note) when the held-out
    target rows share one label, since a classifier is not tested by one class. The metrics are
    those of the GIO paper's evaluation (Everaert & Potts 2024): KL to the target distribution,
    estimated on rows the methods did not see, plus MMD², coverage and label-based scores.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pool = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(6, 1, (300, 2))])
    >>> target = rng.normal(6, 1, (60, 2))
    >>> comparison = compare_methods(pool, target, methods=["Random", "Nearest to target"], budget=40)
    >>> comparison.best()["kl"]
    ('Nearest to target',)
    """
    registry = METHODS if registry is None else registry
    text_registry = TEXT_METHODS if text_registry is None else text_registry
    names = _check_methods(methods, {**registry, **text_registry})
    pool = as_pool_matrix(pool, release=release_pages)
    target = as_matrix(target, "target")
    reads_text = [name for name in names if name not in registry]
    pool_text_list: list[str] = []  # the texts, when a method reads them
    target_text_list: list[str] = []
    if reads_text:
        if pool_texts is None or target_texts is None:
            raise ValueError(
                f"{', '.join(reads_text)} reads raw text, not vectors; pass pool_texts and target_texts "
                "(the text column the vectors came from), or leave it out of methods."
            )
        pool_text_list, target_text_list = list(pool_texts), list(target_texts)
        for name, texts, rows in (
            ("pool_texts", pool_text_list, pool.shape[0]),
            ("target_texts", target_text_list, target.shape[0]),
        ):
            if len(texts) != rows:
                raise ValueError(
                    f"{name} has {len(texts):,} texts but there are {rows:,} rows; give one text per "
                    "row, in the same order as the vectors."
                )
    check_same_dimension(pool, "pool", target, "target")
    budget = check_int(budget, "budget", minimum=1)
    if budget > pool.shape[0]:
        raise ValueError(
            f"budget={budget} is more than the {pool.shape[0]:,} pool rows; lower the budget to at most "
            f"{pool.shape[0]:,}."
        )
    k = check_int(k, "k", minimum=1)
    pool_labels = _label_array(pool_labels, "pool_labels", pool.shape[0])
    target_labels = _label_array(target_labels, "target_labels", target.shape[0])
    rng = check_random_state(random_state)
    seen_rows, heldout_rows = split_target(target.shape[0], heldout_share=heldout_share, k=k, random_state=rng)
    seed = int(rng.integers(2**31 - 1))
    seen, heldout = target[seen_rows], target[heldout_rows]

    notes: list[str] = []
    labelled = pool_labels is not None and target_labels is not None
    heldout_labels, drop_accuracy = None, False
    if pool_labels is not None and target_labels is not None:
        heldout_labels = target_labels[heldout_rows]
        drop_accuracy = np.unique(heldout_labels).size < 2
    if heldout_labels is not None and drop_accuracy:
        notes.append(
            f"Accuracy is left out: every held-out target row has the same label "
            f"({heldout_labels[0]!s}), so a classifier trained on the picks is not tested by it; "
            "precision says how many picks carry that label."
        )
    if budget < k:
        notes.append(f"KL needs at least k={k} picks; with a budget of {budget} it is not defined.")

    vector_plans = plan_methods(
        [name for name in names if name in registry],
        n_pool=pool.shape[0],
        n_target=len(seen_rows),
        dimensions=pool.shape[1],
        budget=budget,
        memory_budget_bytes=memory_budget_bytes,
        seconds_per_method=seconds_per_method,
    )
    by_name = {plan.name: plan for plan in vector_plans}
    plans = tuple(by_name.get(name, MethodPlan(name, pool.shape[0])) for name in names)
    sample_order = (
        np.random.default_rng([seed, 1]).permutation(pool.shape[0]) if any(plan.sampled for plan in plans) else None
    )
    results = []
    for done, (name, plan) in enumerate(zip(names, plans, strict=True)):
        if progress is not None:
            progress(name, done, len(names))
        if plan.skip is not None:
            results.append(_skipped(name, plan.skip))
            continue
        if name in registry:
            factory = registry[name]
        else:  # a text method sees the texts of the seen target rows only
            factory = partial(
                _text_factory, text_registry[name], pool_text_list, [target_text_list[row] for row in seen_rows]
            )
        results.append(
            _run_one(
                name,
                factory,
                pool,
                seen,
                heldout,
                budget=budget,
                k=k,
                seed=seed,
                pool_labels=pool_labels if labelled else None,
                heldout_labels=heldout_labels,
                drop_accuracy=drop_accuracy,
                plan=plan,
                sample_rows=None if sample_order is None or not plan.sampled else np.sort(sample_order[: plan.rows]),
            )
        )
    reported = [metric for metric in METRIC_DIRECTIONS if any(metric in result.metrics for result in results)]
    return Comparison(
        results=tuple(results),
        budget=budget,
        k=k,
        seen_rows=seen_rows,
        heldout_rows=heldout_rows,
        metric_names=tuple(reported),
        seed=seed,
        notes=tuple(notes),
        plans=plans,
    )


def _text_factory(factory: Callable, pool_texts: list[str], seen_texts: list[str], budget: int, seed: int):
    return factory(budget, seed, pool_texts=pool_texts, target_texts=seen_texts)


def _skipped(name: str, reason: str) -> MethodResult:
    return MethodResult(
        name, np.empty(0, dtype=np.int64), np.empty(0), MappingProxyType({}), skipped=reason, ran_on="left out"
    )


def _run_one(
    name: str,
    factory: Callable,
    pool: NDArray,
    seen: NDArray,
    heldout: NDArray,
    *,
    budget: int,
    k: int,
    seed: int,
    pool_labels: NDArray | None,
    heldout_labels: NDArray | None,
    drop_accuracy: bool,
    plan: MethodPlan,
    sample_rows: NDArray[np.int64] | None,
) -> MethodResult:
    empty = np.empty(0, dtype=np.int64)
    ran_on = plan.ran_on(pool.shape[0])
    started = time.perf_counter()
    try:
        estimator = factory(budget, seed)
        if plan.n_clusters is not None:
            estimator = quantised_gio(estimator, plan, pool.shape[0], budget)
        # a sample of a memory-mapped pool is read window by window, each window's pages released: indexing the
        # map at rows spread over the whole file kept all of it resident (1.5 GB more at 1M x 384)
        rows = pool if sample_rows is None else take_rows(pool, sample_rows, dtype=pool.dtype)
        estimator = estimator.fit(rows, seen)
        del rows
    except (ValueError, TypeError, MemoryError, RuntimeError, FloatingPointError) as problem:
        if isinstance(problem, RuntimeError):
            logger.exception("%s failed", name)
        return MethodResult(
            name,
            empty,
            np.empty(0),
            MappingProxyType({}),
            time.perf_counter() - started,
            error=" ".join(str(problem).split()) or type(problem).__name__,
            ran_on=ran_on,
        )
    seconds = time.perf_counter() - started
    picks = np.asarray(estimator.selected_indices_, dtype=np.int64)[:budget]
    if sample_rows is not None:
        picks = sample_rows[picks]
    selected = take_rows(pool, picks, dtype=np.float64)  # only the picked rows, never the whole pool
    metrics = evaluate_selection(
        selected,
        np.arange(len(picks)),
        heldout,
        k=k,
        pool_labels=None if pool_labels is None else pool_labels[picks],
        target_labels=heldout_labels,
        random_state=0,
    )
    metrics.pop("n_selected", None)
    if drop_accuracy:
        metrics.pop("accuracy", None)
    curve = kl_curve(heldout, selected, k=k) if len(picks) else np.empty(0)
    return MethodResult(
        name,
        picks,
        curve,
        MappingProxyType(metrics),
        seconds,
        stop_reason=getattr(estimator, "stop_reason_", None),
        stop_message=getattr(estimator, "stop_message_", None),
        ran_on=ran_on,
    )
