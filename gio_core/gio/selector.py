"""Gradient Information Optimization (Everaert & Potts, ICLR 2024): the selector.

Each step runs gradient descent on a free point ``v`` to lower the rank-averaged k-NN estimate of
KL(target || D u V), snaps ``v`` to the nearest unused pool row, adds that row, and applies the
stopping rule. With ``n_clusters`` the pool and the target are first quantised with K-means and GIO
runs on the centroids; each chosen centroid is then exploded to its member rows.

The parameter names are those of grad-info-opt 0.1.2's ``GIOKL.fit`` and ``GIOKL.__init__``. The
differences from that implementation (all of them fixes) are listed in the README and in
:class:`GIOSelector`'s Notes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable, Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator

from .._validation import (
    as_matrix,
    as_points,
    check_choice,
    check_float,
    check_int,
    check_random_state,
    check_same_dimension,
    check_target_rows,
)
from ..scale.explode import (
    EXPLODE_MODES,
    allocate_rows,
    distinct_in_order,
    explode_rows,
    nearest_target_distances,
    target_shares,
)
from .kl import AveragedKL
from .objectives import OBJECTIVES, STEP_RULES, SmoothKNNKL, SteeredAveragedKL
from ..io.largefiles import is_row_source, take_rows
from .neighbors import NearestUnused, squared_distances
from ..scale.quantize import ProgressCallback, Quantization, quantize

logger = logging.getLogger(__name__)

STOP_CRITERIA = ("increase", "max_resets", "min_difference", "sequential_increase_tolerance", "min_kl", "data_size")
V_INITS = ("mean", "prev_opt", "jump", "cycle")

#: Why a run ended: the value of ``stop_reason_``.
STOP_REASONS = STOP_CRITERIA + ("max_iter", "pool_exhausted", "interrupted")

#: grad-info-opt 0.1.2's value of every GIOSelector parameter it has (``GIOKL.fit`` and ``GIOKL.__init__``),
#: with the options it lacks switched off: ``GIOSelector(**PAPER_GIO_PARAMS)`` is the paper's GIO.
PAPER_GIO_PARAMS: dict = dict(
    k=5, max_iter=100, stop_criterion="increase", min_difference=0.0, resets_allowed=False, max_resets=2,
    max_data_size=1.0, min_kl=0.0, max_sequential_increases=3, random_init_pct=0.0, random_restart_prob=0.0,
    scale_factor="auto", v_init="mean", grad_desc_iter=50, discard_nearest_for_xy=False, lr=0.01,
    uniform_low=-1.0, uniform_high=1.0, uniform_start_size=20, normalize=True,
    objective="averaged", step_rule="plain", sharpness=4.0, trust_radius=None, snap_candidates=1, explode="all",
)

__all__ = ["PAPER_GIO_PARAMS", "GIOConfig", "GIOResult", "GIOSelector", "GIOStep", "STOP_CRITERIA", "STOP_REASONS", "V_INITS",
           "select"]


@dataclass(frozen=True)
class GIOConfig:
    """Every parameter of a GIO run, validated on construction. See :class:`GIOSelector`."""

    k: int = 5
    max_iter: int = 100
    stop_criterion: str = "sequential_increase_tolerance"
    min_difference: float = 0.0
    resets_allowed: bool = False
    max_resets: int = 2
    max_data_size: float = 1.0
    min_kl: float = 0.0
    max_sequential_increases: int = 3
    random_init_pct: float = 0.0
    random_restart_prob: float = 0.0
    scale_factor: float | str = "auto"
    v_init: str = "cycle"
    grad_desc_iter: int = 20
    discard_nearest_for_xy: bool = False
    lr: float = 0.5
    uniform_low: float = -1.0
    uniform_high: float = 1.0
    uniform_start_size: int = 0
    normalize: bool = True
    objective: str = "smooth"
    step_rule: str = "preconditioned"
    sharpness: float = 4.0
    trust_radius: float | None = 0.25
    snap_candidates: int = 5
    explode: str = "target_share"
    n_clusters: int | None = None

    def __post_init__(self):
        check_int(self.k, "k", minimum=1)
        check_int(self.max_iter, "max_iter", minimum=0)
        check_choice(self.stop_criterion, "stop_criterion", STOP_CRITERIA)
        check_float(self.min_difference, "min_difference")
        _check_bool(self.resets_allowed, "resets_allowed")
        check_int(self.max_resets, "max_resets", minimum=0)
        check_float(self.max_data_size, "max_data_size", minimum=0.0, maximum=1.0, exclusive_minimum=True)
        check_float(self.min_kl, "min_kl")
        check_int(self.max_sequential_increases, "max_sequential_increases", minimum=1)
        check_float(self.random_init_pct, "random_init_pct", minimum=0.0, maximum=1.0)
        check_float(self.random_restart_prob, "random_restart_prob", minimum=0.0, maximum=1.0)
        if isinstance(self.scale_factor, str):
            if self.scale_factor != "auto":
                raise ValueError(f"scale_factor={self.scale_factor!r} is not understood; pass 'auto' or a "
                                 "positive number.")
        else:
            check_float(self.scale_factor, "scale_factor", minimum=0.0, exclusive_minimum=True)
        check_choice(self.v_init, "v_init", V_INITS)
        check_int(self.grad_desc_iter, "grad_desc_iter", minimum=0)
        _check_bool(self.discard_nearest_for_xy, "discard_nearest_for_xy")
        check_float(self.lr, "lr", minimum=0.0, exclusive_minimum=True)
        check_float(self.uniform_low, "uniform_low")
        check_float(self.uniform_high, "uniform_high")
        if not self.uniform_low < self.uniform_high:
            raise ValueError(f"uniform_low={self.uniform_low} must be below uniform_high={self.uniform_high}; "
                             "swap or widen them.")
        check_int(self.uniform_start_size, "uniform_start_size", minimum=0)
        _check_bool(self.normalize, "normalize")
        check_choice(self.objective, "objective", OBJECTIVES)
        check_choice(self.step_rule, "step_rule", STEP_RULES)
        check_float(self.sharpness, "sharpness", minimum=0.0, exclusive_minimum=True)
        if self.trust_radius is not None:
            check_float(self.trust_radius, "trust_radius", minimum=0.0, exclusive_minimum=True)
        check_int(self.snap_candidates, "snap_candidates", minimum=1)
        check_choice(self.explode, "explode", EXPLODE_MODES)
        if self.objective == "smooth" and self.discard_nearest_for_xy:
            raise ValueError("discard_nearest_for_xy=True belongs to the rank-averaged estimator; set "
                             "objective='averaged' or discard_nearest_for_xy=False.")
        if self.n_clusters is not None:
            check_int(self.n_clusters, "n_clusters", minimum=1)
        if self.stop_criterion == "max_resets" and not self.resets_allowed:
            raise ValueError("stop_criterion='max_resets' stops after max_resets resets, so it needs "
                             "resets_allowed=True; set resets_allowed=True or pick another stop_criterion.")

    def to_dict(self) -> dict:
        return asdict(self)


def _check_bool(value, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}.")


@dataclass(frozen=True)
class GIOStep:
    """One step of a run, as :meth:`GIOSelector.iter_fit` yields it.

    Attributes
    ----------
    step : int
        Step number, from 0; every gradient descent counts, kept or not.
    v : ndarray of shape (d,)
        The free point after gradient descent.
    candidate : int
        The row it snapped to: a pool row, or a pool centroid when quantised.
    kl : float
        KL(target || D u V) with that row added.
    kept : bool
        Whether the row joined the selection.
    n_selected : int
        Picks in the selection after this step.
    reset : bool
        The pick was dropped and the pool made whole again (``resets_allowed``).
    rows : ndarray of int
        Pool rows this step added (the cluster's members when quantised); empty when not kept.
    path : ndarray of shape (n_descent_steps + 1, d) or None
        The gradient-descent path of ``v``, when asked for.
    stop_reason : str or None
        Set on the last step of a run.
    """

    step: int
    v: NDArray[np.float64]
    candidate: int
    kl: float
    kept: bool
    n_selected: int
    reset: bool = False
    rows: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    path: NDArray[np.float64] | None = None
    stop_reason: str | None = None


@dataclass(frozen=True)
class GIOResult:
    """Everything a finished run returns; :class:`GIOSelector` exposes it as ``result_``.

    Attributes
    ----------
    selected_indices : ndarray of int or None
        Pool rows in pick order (grouped by cluster, in pick order, when quantised); None when the
        pool came as a :class:`Quantization` without labels.
    selected_candidates : ndarray of int
        The picks themselves: pool rows, or pool centroids when quantised (may repeat after resets).
    kl_curve : ndarray of float
        KL after each kept pick.
    initial_kl : float
        KL of the start set alone (``inf`` for an empty start set).
    stop_reason : str
        One of :data:`STOP_REASONS`.
    stop_message : str
        The same in a sentence for people.
    n_steps : int
        Gradient descents run, kept or not.
    scale_factor : float
        The gradient scale used (resolved when ``'auto'``).
    start_points : ndarray of shape (n0, d)
        The start set D.
    pool_quantization, target_quantization : Quantization or None
        Cluster centres and assignments, when quantised.
    seconds : dict
        Wall time per stage.
    row_quotas : ndarray of int or None
        With ``explode='target_share'`` and a data-size budget: rows taken from each distinct chosen
        cluster, in first-pick order (see :mod:`gio_core.explode`); None when every row of a chosen
        cluster is taken.
    explode_seed : int or None
        Seed of :func:`gio_core.explode.row_priority` that chose the rows within clusters.
    """

    selected_indices: NDArray[np.int64]
    selected_candidates: NDArray[np.int64]
    kl_curve: NDArray[np.float64]
    initial_kl: float
    stop_reason: str
    stop_message: str
    n_steps: int
    scale_factor: float
    start_points: NDArray[np.float64]
    pool_quantization: Quantization | None = None
    target_quantization: Quantization | None = None
    seconds: dict = field(default_factory=dict)
    row_quotas: NDArray[np.int64] | None = None
    explode_seed: int | None = None

    def __post_init__(self):
        if self.stop_reason not in STOP_REASONS:
            raise ValueError(f"stop_reason={self.stop_reason!r} is not one of {STOP_REASONS}")
        if len(self.kl_curve) > len(self.selected_candidates):
            raise ValueError("kl_curve cannot be longer than the picks")

    @property
    def final_kl(self) -> float:
        return float(self.kl_curve[-1]) if len(self.kl_curve) else self.initial_kl


class _Run:
    """One GIO run over fixed candidate rows; :meth:`steps` is the generator behind ``iter_fit``."""

    def __init__(self, candidates: NDArray, target: NDArray, start: NDArray, config: GIOConfig,
                 rng: np.random.Generator, *, rows_per_candidate: NDArray | None, row_budget: int | None,
                 excluded: NDArray | None, record_path: bool, target_rows: NDArray | None = None, pool_rows=None):
        self.config = config
        self.rng = rng
        self.candidates = candidates
        self.target = target
        self.start = start
        self.record_path = record_path
        self.rows_per_candidate = rows_per_candidate
        self.row_budget = row_budget
        # explode='target_share' spends a data-size budget after the run, over every chosen cluster, so the
        # run over centroids stops where its KL stops falling, not where the chosen clusters' rows reach it
        self.target_rows = target_rows  # the unquantised target, when there is one
        self.pool_rows = pool_rows  # the pool's vectors, when this process has them
        self.shares_budget = (config.explode == "target_share" and config.stop_criterion == "data_size"
                              and rows_per_candidate is not None)
        self.criterion = "sequential_increase_tolerance" if self.shares_budget else config.stop_criterion
        self.estimate = _objective(target, config)
        self.estimate.add_points(start)
        self.initial_kl = self.estimate.value()
        self.lookup = NearestUnused(candidates)
        self.fresh = np.ones(candidates.shape[0], dtype=bool)
        if excluded is not None and excluded.size:
            self.fresh[excluded] = False
            self.lookup.reset(self.fresh)
        self.target_mean = target.mean(axis=0)
        self._cycle: list[int] = []
        self.first_v = self._first_v()
        self.scale_factor = self._resolve_scale()
        self.picks: list[int] = []
        self.kl_curve: list[float] = []
        self.n_steps = 0
        self.stop_reason: str | None = None
        self.stop_message = ""
        self.rows_selected = 0

    def _first_v(self) -> NDArray:
        if self.config.v_init in ("jump", "cycle"):
            return self._random_target_row()
        return self.target_mean.copy()

    def _random_target_row(self) -> NDArray:
        """A random target row: drawn with replacement ('jump'), or visiting each once per round ('cycle')."""
        n_target = self.target.shape[0]
        if self.config.v_init == "cycle":
            if not self._cycle:
                self._cycle = list(self.rng.permutation(n_target))
            return self.target[self._cycle.pop()].copy()
        return self.target[self.rng.integers(n_target)].copy()

    def _snap(self, v: NDArray) -> int:
        """The pool row v snaps to: the nearest unused one, or the best of the ``snap_candidates`` nearest."""
        if self.config.snap_candidates == 1:
            return self.lookup.nearest(v)
        closest = self.lookup.nearest_several(v, self.config.snap_candidates)
        if closest.size == 1:
            return int(closest[0])
        squared = squared_distances(np.asarray(self.candidates[closest], dtype=np.float64), self.estimate.target,
                                    self.estimate._target_norms)
        if hasattr(self.estimate, "values_with"):
            values = self.estimate.values_with(squared)
        else:
            values = np.array([self.estimate.value_with(row) for row in squared])
        return int(closest[int(np.argmin(values))])  # ties go to the nearest row

    def _resolve_scale(self) -> float:
        if self.config.step_rule == "preconditioned":
            return 1.0  # lr is then the fraction of the way to the fixed point
        if self.config.scale_factor != "auto":
            return float(self.config.scale_factor)
        # grad-info-opt: |v0| / |grad(v0)|, so the first step moves v by about lr x |v0|
        gradient_norm = float(np.linalg.norm(self.estimate.gradient(self.first_v)))
        v_norm = float(np.linalg.norm(self.first_v))
        if gradient_norm == 0.0 or v_norm == 0.0:
            logger.warning("scale_factor='auto' is undefined here (|v0|=%g, |grad|=%g); using 1.0",
                           v_norm, gradient_norm)
            return 1.0
        return v_norm / gradient_norm

    def _stop(self, reason: str, message: str) -> None:
        self.stop_reason, self.stop_message = reason, message

    def _budget_reached(self) -> bool:
        config = self.config
        if len(self.picks) >= config.max_iter:
            self._stop("max_iter", f"reached max_iter={config.max_iter} picks.")
            return True
        if self.criterion == "data_size" and self.rows_selected >= self.row_budget:
            self._stop("data_size", f"reached the data-size budget of {self.row_budget} rows "
                                    f"(max_data_size={config.max_data_size:g}).")
            return True
        if self.lookup.n_available == 0:
            self._stop("pool_exhausted", "every pool row has been picked.")
            return True
        return False

    def _rule_fires(self, kl: float, previous: float) -> str | None:
        config = self.config
        if self.criterion in ("increase", "max_resets", "sequential_increase_tolerance") and kl > previous:
            return f"the KL rose from {previous:.6g} to {kl:.6g}"
        if self.criterion == "min_difference" and previous - kl < config.min_difference:
            return (f"the KL fell by {previous - kl:.3g} (from {previous:.6g} to {kl:.6g}), less than "
                    f"min_difference={config.min_difference:g}")
        return None

    def steps(self) -> Iterator[GIOStep]:
        config, rng = self.config, self.rng
        v = self.first_v
        previous = self.initial_kl
        long_descent = True  # grad-info-opt runs 3 x grad_desc_iter on the first step and after a reset
        resets = 0
        increases_in_a_row = 0
        best = (previous, 0)  # lowest KL so far and the pick count it had
        while not self._budget_reached():
            if not long_descent and config.random_restart_prob > 0:
                long_descent = rng.random() < config.random_restart_prob
            n_descent = config.grad_desc_iter * (3 if long_descent else 1)
            path: list | None = [] if self.record_path else None
            with _one_blas_thread():
                v = self.estimate.descend(v, n_steps=n_descent, step_size=config.lr * self.scale_factor,
                                          path=path)
            candidate = self._snap(v)
            self.lookup.use(candidate)
            squared = self.estimate.squared_distances_to(self.candidates[candidate])
            kl = self.estimate.value_with(squared)
            step_number = self.n_steps
            self.n_steps += 1
            path_array = np.asarray(path) if path is not None else None
            fired = self._rule_fires(kl, previous)

            if fired and self.criterion == "sequential_increase_tolerance":
                increases_in_a_row += 1
                if increases_in_a_row >= config.max_sequential_increases:
                    kept_count = best[1]
                    self._stop("sequential_increase_tolerance",
                               f"{increases_in_a_row} KL increases in a row (max_sequential_increases="
                               f"{config.max_sequential_increases}); the selection is returned as it stood at "
                               f"its lowest KL, {best[0]:.6g}, with {kept_count} picks.")
                    del self.picks[kept_count:]
                    del self.kl_curve[kept_count:]
                    yield GIOStep(step_number, v, candidate, kl, False, len(self.picks), path=path_array,
                                  stop_reason=self.stop_reason)
                    return
                fired = None  # tolerated: the pick is kept for now
            elif self.criterion == "sequential_increase_tolerance":
                increases_in_a_row = 0

            if fired:
                if config.resets_allowed and resets < config.max_resets:
                    resets += 1
                    self.lookup.reset(self.fresh)
                    long_descent = True
                    if config.v_init == "prev_opt":
                        v = self.target_mean.copy()
                    logger.info("step %d: %s; pool reset %d of %d", step_number, fired, resets, config.max_resets)
                    yield GIOStep(step_number, v, candidate, kl, False, len(self.picks), reset=True,
                                  path=path_array)
                    continue
                reason = self.criterion
                extra = f" after {resets} pool resets" if config.resets_allowed else ""
                self._stop(reason, f"{fired}{extra}, so the last pick was dropped.")
                yield GIOStep(step_number, v, candidate, kl, False, len(self.picks), path=path_array,
                              stop_reason=reason)
                return

            self.estimate.add(squared)
            self.picks.append(candidate)
            self.kl_curve.append(kl)
            added_rows = self.rows_per_candidate[candidate] if self.rows_per_candidate is not None else 1
            self.rows_selected += added_rows
            if kl < best[0]:
                best = (kl, len(self.picks))
            previous = kl
            long_descent = False
            if config.stop_criterion == "min_kl" and kl < config.min_kl:
                self._stop("min_kl", f"the KL fell to {kl:.6g}, below min_kl={config.min_kl:g}.")
            stop_now = self.stop_reason is not None or self._budget_reached()
            yield GIOStep(step_number, v, candidate, kl, True, len(self.picks), path=path_array,
                          stop_reason=self.stop_reason)
            if stop_now:
                return
            if config.v_init == "mean":
                v = self.target_mean.copy()
            elif config.v_init in ("jump", "cycle"):
                v = self._random_target_row()


class GIOSelector(BaseEstimator):
    """Select pool rows whose union with a start set best matches a target sample (GIO).

    The defaults are those the quality study chose (``benchmarks/gio_variants.py``, README "Defaults");
    ``GIOSelector(**PAPER_GIO_PARAMS)`` is the paper's GIO with every parameter at grad-info-opt
    0.1.2's value.

    Parameters
    ----------
    k : int, default=5
        Neighbour rank of the k-NN KL estimator.
    max_iter : int, default=100
        At most this many picks (GIO steps that keep a row).
    stop_criterion : {'increase', 'min_difference', 'min_kl', 'data_size', \
'sequential_increase_tolerance', 'max_resets'}, default='sequential_increase_tolerance'
        When to stop: the KL rises; it falls by less than ``min_difference``; it falls below
        ``min_kl``; the selection reaches ``max_data_size`` of the pool; ``max_sequential_increases``
        rises in a row (the selection at its lowest KL is returned); or a rise after ``max_resets``
        pool resets. grad-info-opt's default is ``'increase'``.
    min_difference : float, default=0.0
        Threshold of ``'min_difference'``.
    resets_allowed : bool, default=False
        When the rule fires, make the whole pool available again (duplicates become possible) instead
        of stopping, up to ``max_resets`` times.
    max_resets : int, default=2
    max_data_size : float, default=1.0
        Fraction of pool rows for ``'data_size'``.
    min_kl : float, default=0.0
        Threshold of ``'min_kl'``.
    max_sequential_increases : int, default=3
        Threshold of ``'sequential_increase_tolerance'``.
    random_init_pct : float, default=0.0
        Without ``init``, start from this fraction of the pool chosen at random (instead of the
        uniform start). Those rows are not picked again.
    random_restart_prob : float, default=0.0
        Chance that a step runs three times as many gradient steps.
    scale_factor : float or 'auto', default='auto'
        Multiplies the gradient with ``step_rule='plain'``; ``'auto'`` is ``|v0| / |grad(v0)|`` as in
        grad-info-opt. Unused by ``'preconditioned'`` steps, which are scale-free.
    v_init : {'mean', 'prev_opt', 'jump', 'cycle'}, default='cycle'
        Where each gradient descent starts: the target mean, the previous optimum, a random target
        row, or a random target row visiting every row once per round ('cycle', ours).
        grad-info-opt's default is ``'mean'``.
    grad_desc_iter : int, default=20
        Gradient steps per pick (three times as many on the first). grad-info-opt's default is 50.
    discard_nearest_for_xy : bool, default=False
        Estimator variant that leaves out each target row's nearest sample point (``objective='averaged'``).
    lr : float, default=0.5
        Learning rate: with ``'plain'`` steps, the step is ``lr x scale_factor x gradient``
        (grad-info-opt's default lr is 0.01); with ``'preconditioned'`` steps, the fraction of the way
        to the fixed point.
    uniform_low, uniform_high : float, default=-1.0, 1.0
        Range of the uniform start set (used when neither ``init`` nor ``random_init_pct`` is given).
    uniform_start_size : int, default=0
        Points in the uniform start set; 0 starts from an empty set. grad-info-opt's default is 20.
    normalize : bool, default=True
        Scale each uniform start point to unit length.
    objective : {'smooth', 'averaged'}, default='smooth'
        What the descent lowers. ``'averaged'``: the paper's rank-averaged k-NN estimate, whose
        gradient ignores the points already chosen. ``'smooth'`` (ours): a smooth relaxation of the
        standard k-NN estimate, whose gradient stops pulling towards target rows that the selection
        already covers (:class:`gio_core.objectives.SmoothKNNKL`). The KL reported and used by the
        stopping rules is the objective's own estimate (the standard estimator for ``'smooth'``,
        ``inf`` while the selection has fewer than ``k`` rows).
    step_rule : {'preconditioned', 'plain'}, default='preconditioned'
        ``'plain'``: ``v <- v - lr x scale x gradient`` (the paper). ``'preconditioned'`` (ours): a
        step of ``lr`` towards the fixed point of the gradient (a Weiszfeld step), independent of the
        data's units.
    sharpness : float, default=4.0
        Exponent of the soft minimum in ``objective='smooth'``.
    trust_radius : float or None, default=0.25
        Keep each descent within this many median target k-NN radii of its start (None: no limit).
    snap_candidates : int, default=5
        Snap ``v`` to the best, by the objective's estimate, of this many nearest unused pool rows
        (1: the nearest row, as the paper).
    explode : {'target_share', 'all'}, default='target_share'
        How chosen centroids become rows when quantised. ``'all'``: every row of each chosen cluster
        (the paper; ``'data_size'`` then stops once the chosen clusters hold the budget).
        ``'target_share'`` (ours): with ``stop_criterion='data_size'`` the run over centroids stops
        where its KL stops falling (``max_sequential_increases`` rises in a row, ``max_iter``, or no
        centroid left), and the budget of ``max_data_size`` x pool rows is then shared among all
        chosen clusters by the target rows nearest each; a cluster gives its rows nearest the target,
        ties broken by a seeded hash (:mod:`gio_core.explode`). Other stopping rules take every row,
        as ``'all'``.
    n_clusters : int or None, default=None
        Quantise pool and target with K-means into this many clusters and run on the centroids.
    random_state : int, Generator or None, default=None
        Seeds every random choice; the same seed gives bit-identical results.

    Attributes
    ----------
    selected_indices_ : ndarray of int
        Pool rows in pick order (grouped by cluster when quantised).
    kl_curve_ : ndarray of float
        KL after each kept pick.
    initial_kl_ : float
    stop_reason_ : str
        Why the run ended (see :data:`STOP_REASONS`); ``stop_message_`` says it in a sentence.
    selected_clusters_ : ndarray of int or None
        Chosen pool centroids in pick order, when quantised.
    cluster_labels_ : ndarray of int or None
        Cluster of each pool row, when quantised.
    cluster_centers_ : ndarray or None
        Pool centroids, when quantised.
    result_ : GIOResult

    Notes
    -----
    Everaert & Potts, "GIO: Gradient Information Optimization for Training Dataset Selection",
    ICLR 2024. Differences from grad-info-opt 0.1.2: ``max_iter`` keeps at most ``max_iter`` picks
    (not ``max_iter + 1``); ``'data_size'`` keeps ``int(max_data_size x pool rows)`` (not one more);
    ``'min_kl'`` keeps the pick that reached the floor; ``'sequential_increase_tolerance'`` and
    ``'max_resets'`` work (they never fired there); a run stops cleanly when the pool runs out; all
    randomness comes from ``random_state``; computation is in float64.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pool, target = rng.normal(size=(300, 2)), rng.normal(size=(100, 2))
    >>> selector = GIOSelector(random_state=0).fit(pool, target)
    >>> selector.stop_reason_
    'sequential_increase_tolerance'
    >>> paper = GIOSelector(**PAPER_GIO_PARAMS, random_state=0).fit(pool, target, init=pool[:5])
    >>> paper.stop_reason_ in ("increase", "max_iter")
    True
    """

    def __init__(self, k: int = 5, max_iter: int = 100, stop_criterion: str = "sequential_increase_tolerance",
                 min_difference: float = 0.0, resets_allowed: bool = False, max_resets: int = 2,
                 max_data_size: float = 1.0, min_kl: float = 0.0, max_sequential_increases: int = 3,
                 random_init_pct: float = 0.0, random_restart_prob: float = 0.0,
                 scale_factor: float | str = "auto", v_init: str = "cycle", grad_desc_iter: int = 20,
                 discard_nearest_for_xy: bool = False, lr: float = 0.5, uniform_low: float = -1.0,
                 uniform_high: float = 1.0, uniform_start_size: int = 0, normalize: bool = True,
                 objective: str = "smooth", step_rule: str = "preconditioned", sharpness: float = 4.0,
                 trust_radius: float | None = 0.25, snap_candidates: int = 5, explode: str = "target_share",
                 n_clusters: int | None = None, random_state=None):
        self.k = k
        self.max_iter = max_iter
        self.stop_criterion = stop_criterion
        self.min_difference = min_difference
        self.resets_allowed = resets_allowed
        self.max_resets = max_resets
        self.max_data_size = max_data_size
        self.min_kl = min_kl
        self.max_sequential_increases = max_sequential_increases
        self.random_init_pct = random_init_pct
        self.random_restart_prob = random_restart_prob
        self.scale_factor = scale_factor
        self.v_init = v_init
        self.grad_desc_iter = grad_desc_iter
        self.discard_nearest_for_xy = discard_nearest_for_xy
        self.lr = lr
        self.uniform_low = uniform_low
        self.uniform_high = uniform_high
        self.uniform_start_size = uniform_start_size
        self.normalize = normalize
        self.objective = objective
        self.step_rule = step_rule
        self.sharpness = sharpness
        self.trust_radius = trust_radius
        self.snap_candidates = snap_candidates
        self.explode = explode
        self.n_clusters = n_clusters
        self.random_state = random_state

    def config(self) -> GIOConfig:
        """The validated parameters (raises ``ValueError``/``TypeError`` on bad ones)."""
        names = {f.name for f in fields(GIOConfig)}
        return GIOConfig(**{name: value for name, value in self.get_params().items() if name in names})

    def fit(self, pool: ArrayLike, target: ArrayLike, init: ArrayLike | None = None, *,
            callback: Callable[[GIOStep], object] | None = None,
            progress: ProgressCallback | None = None, target_rows: ArrayLike | None = None) -> "GIOSelector":
        """Run GIO to the stopping rule.

        Parameters
        ----------
        pool : array-like of shape (n_pool, d), RowSource or Quantization
            The candidates G. Float arrays and memory maps are used without a copy; a
            :class:`gio_core.largefiles.RowSource` is read in chunks when quantised. A
            :class:`Quantization` is a pool quantised already (``n_clusters`` is then not used); its
            ``labels`` may be None when the rows live elsewhere (a Spark engine), and
            ``selected_indices_`` is then None: explode with ``result_.row_quotas``.
        target : array-like of shape (n_target, d), or Quantization
            The target sample X; at least ``k + 1`` rows (centroids when quantised).
        init : array-like of shape (n0, d), optional
            The start set D (never part of the selection). Zero rows is an empty start. Without it,
            ``random_init_pct`` or the uniform start applies, as in the paper.
        callback : callable, optional
            Called with each :class:`GIOStep`.
        progress : callable, optional
            ``progress(stage, done, total)`` during quantisation.
        target_rows : array-like of shape (n_target, d), optional
            With ``target`` given as a :class:`Quantization`: the target rows behind it, so that
            ``explode='target_share'`` shares the budget by rows (without them, by centroids weighted
            by their counts, a coarser split).

        Returns
        -------
        self
        """
        for step in self.iter_fit(pool, target, init, progress=progress, target_rows=target_rows):
            if callback is not None:
                callback(step)
        return self

    def iter_fit(self, pool: ArrayLike, target: ArrayLike, init: ArrayLike | None = None, *,
                 record_path: bool = False, progress: ProgressCallback | None = None,
                 target_rows: ArrayLike | None = None) -> Iterator[GIOStep]:
        """Run GIO step by step: a generator of :class:`GIOStep`.

        The fitted attributes are set when the generator finishes, or, if it is closed early (a
        Stop button), with the picks so far and ``stop_reason_ == 'interrupted'``.

        Parameters
        ----------
        pool, target, init, progress, target_rows
            As in :meth:`fit`.
        record_path : bool, default=False
            Attach each step's gradient-descent path of ``v``.

        Yields
        ------
        GIOStep
        """
        config = self.config()
        started = time.perf_counter()
        rng = check_random_state(self.random_state)
        seconds: dict = {}
        if isinstance(pool, Quantization):  # quantised elsewhere (the pipeline's stage, a Spark engine)
            pool_quantization, target_quantization, target_points = _given_quantizations(pool, target, config)
            if target_quantization is None:
                target_rows = target_points
            elif target_rows is not None:
                target_rows = as_matrix(target_rows, "target_rows")
                check_same_dimension(target_rows, "target_rows", target_points, "target")
            pool_rows = None  # the vectors live elsewhere: whoever explodes orders rows by distance there
            candidates = pool_quantization.centers
            rows_per_candidate = pool_quantization.counts
            n_pool_rows = int(pool_quantization.counts.sum())
        else:
            (pool_quantization, target_quantization, candidates, target_points, rows_per_candidate, pool_rows,
             target_rows) = self._quantize(pool, target, config, rng, progress, seconds)
            n_pool_rows = pool_rows.shape[0]
        row_budget = int(config.max_data_size * n_pool_rows)

        start, excluded = _start_set(init, candidates, config, rng, dimension=candidates.shape[1])
        run = _Run(candidates, target_points, start, config, rng, rows_per_candidate=rows_per_candidate,
                   row_budget=row_budget, excluded=excluded, record_path=record_path, target_rows=target_rows,
                   pool_rows=pool_rows)
        seconds["prepare"] = time.perf_counter() - started
        selection_started = time.perf_counter()
        finished = False
        try:
            for step in run.steps():
                if step.kept:
                    step = replace(step, rows=_rows_of_pick(step.candidate, run.picks[:-1], pool_quantization))
                yield step
            finished = True
        finally:
            if not finished:
                run._stop("interrupted", "stopped before the end of the run.")
            seconds["select"] = time.perf_counter() - selection_started
            self._store(run, pool_quantization, target_quantization, seconds)

    @staticmethod
    def _quantize(pool, target, config: GIOConfig, rng, progress, seconds: dict):
        """Check the inputs and, with ``n_clusters``, quantise them: the candidates and target GIO runs on,
        and the checked pool and target rows."""
        pool_matrix, target_matrix = _check_data(pool, target, config, quantized=config.n_clusters is not None)
        pool_quantization = target_quantization = None
        if config.n_clusters is not None:
            pool_quantization = quantize(pool_matrix, config.n_clusters, random_state=rng, name="pool",
                                         progress=progress)
            seconds["quantize_pool"] = sum(pool_quantization.seconds.values())
            candidates = pool_quantization.centers
            if target_matrix.shape[0] > config.n_clusters:
                target_quantization = quantize(target_matrix, config.n_clusters, random_state=rng,
                                               name="target", progress=progress)
                seconds["quantize_target"] = sum(target_quantization.seconds.values())
                target_points = target_quantization.centers
            else:
                target_points = np.asarray(target_matrix, dtype=np.float64)
            check_target_rows(target_points, config.k, "target (after quantisation)")
            rows_per_candidate = pool_quantization.counts
        else:
            candidates = pool_matrix
            target_points = np.asarray(target_matrix, dtype=np.float64)
            rows_per_candidate = None
        return (pool_quantization, target_quantization, candidates, target_points, rows_per_candidate, pool_matrix,
                target_matrix)

    def _store(self, run: _Run, pool_quantization, target_quantization, seconds: dict) -> None:
        picks = np.asarray(run.picks, dtype=np.int64)
        quotas, explode_seed, message = None, None, run.stop_message
        if pool_quantization is not None:
            explode_seed = int(run.rng.integers(0, 2**62))
            if run.shares_budget and picks.size:
                quotas, message = _shared_quotas(run, pool_quantization, target_quantization, picks)
            rows = (explode_rows(pool_quantization.members, picks, quotas, explode_seed,
                                 distances_of=_distances_to_target(run))
                    if pool_quantization.labels is not None else None)
        else:
            rows = picks
        self.result_ = GIOResult(
            selected_indices=rows,
            selected_candidates=picks,
            kl_curve=np.asarray(run.kl_curve, dtype=np.float64),
            initial_kl=float(run.initial_kl),
            stop_reason=run.stop_reason or "interrupted",
            stop_message=message,
            n_steps=run.n_steps,
            scale_factor=float(run.scale_factor),
            start_points=run.start,
            pool_quantization=pool_quantization,
            target_quantization=target_quantization,
            seconds=seconds,
            row_quotas=quotas,
            explode_seed=explode_seed,
        )
        self.selected_indices_ = self.result_.selected_indices
        self.kl_curve_ = self.result_.kl_curve
        self.initial_kl_ = self.result_.initial_kl
        self.stop_reason_ = self.result_.stop_reason
        self.stop_message_ = self.result_.stop_message
        self.n_steps_ = self.result_.n_steps
        self.scale_factor_ = self.result_.scale_factor
        quantized = pool_quantization is not None
        self.selected_clusters_ = picks if quantized else None
        self.cluster_labels_ = pool_quantization.labels if quantized else None
        self.cluster_centers_ = pool_quantization.centers if quantized else None


_blas_controller = None


def _one_blas_thread():
    """Run the descent's matrix-vector products on one BLAS thread.

    Each step is two products with the target matrix (well under a millisecond at paper scale on one
    thread). Two BLAS threads buy little there and, when anything else runs on the machine (the app's
    UMAP, a second run, another process), their spin-waits make each product 10-40 times slower
    (measured: 0.2 ms on one thread, 2-9 ms on two under load).
    """
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


def _objective(target: NDArray, config: GIOConfig):
    """The estimate a run descends and reports, with its descent rule."""
    if config.objective == "smooth":
        return SmoothKNNKL(target, k=config.k, sharpness=config.sharpness, step_rule=config.step_rule,
                           trust_radius=config.trust_radius)
    if config.step_rule == "plain" and config.trust_radius is None:
        return AveragedKL(target, k=config.k, discard_nearest_for_xy=config.discard_nearest_for_xy)
    return SteeredAveragedKL(target, k=config.k, discard_nearest_for_xy=config.discard_nearest_for_xy,
                             step_rule=config.step_rule, trust_radius=config.trust_radius)


def _shared_quotas(run: _Run, pool_quantization: Quantization, target_quantization: Quantization | None,
                   picks: NDArray) -> tuple[NDArray, str]:
    """explode='target_share': the data-size budget shared over the chosen clusters by target mass."""
    chosen = distinct_in_order(picks)
    # each target row goes to its nearest chosen centroid; with only target centroids at hand (quantised
    # elsewhere), each centroid carries its rows, a coarser split
    if run.target_rows is not None:
        shares = target_shares(pool_quantization.centers[chosen], run.target_rows)
    else:
        shares = target_shares(pool_quantization.centers[chosen], run.target, target_quantization.counts)
    quotas = allocate_rows(pool_quantization.counts[chosen], shares, run.row_budget)
    held = int(pool_quantization.counts[chosen].sum())
    message = f"{run.stop_message} The budget of {run.row_budget:,} rows is shared among the {chosen.size} chosen "\
              "clusters by the target mass nearest each."
    if held < run.row_budget:
        message += f" They hold only {held:,} rows, all taken; raise max_iter or lower max_data_size to fill it."
    return quotas, message


def _distances_to_target(run: _Run):
    """Each pool row's distance to the target, for ordering rows within a cluster (None without pool vectors)."""
    if run.pool_rows is None or not run.shares_budget:
        return None
    target = run.target_rows if run.target_rows is not None else run.target
    return lambda rows: nearest_target_distances(take_rows(run.pool_rows, rows), target)


def _given_quantizations(pool: Quantization, target, config: GIOConfig):
    """Check a precomputed pool quantisation and the target beside it (rows or a Quantization)."""
    if isinstance(target, Quantization):
        target_quantization, target_points = target, target.centers
    else:
        target_quantization, target_points = None, as_matrix(target, "target")
    check_same_dimension(pool.centers, "pool centroids", target_points, "target")
    check_target_rows(target_points, config.k, "target (after quantisation)")
    return pool, target_quantization, np.asarray(target_points, dtype=np.float64)


def _rows_of_pick(candidate: int, earlier_picks: list[int], quantization: Quantization | None) -> NDArray:
    if quantization is None:
        return np.array([candidate], dtype=np.int64)
    if quantization.labels is None:  # the rows live elsewhere (a Spark engine): this process cannot name them
        return np.empty(0, dtype=np.int64)
    if candidate in earlier_picks:  # picked again after a pool reset: its rows are already in
        return np.empty(0, dtype=np.int64)
    return quantization.members(candidate)


def _check_data(pool: ArrayLike, target: ArrayLike, config: GIOConfig, *, quantized: bool):
    if is_row_source(pool) and not quantized:
        pool = np.asarray(pool)  # an unquantised run needs every row in memory
    if is_row_source(pool) or _is_float_matrix(pool):
        # large float pools, memory maps and row sources are used as they are, never copied to float64;
        # when quantised, K-means checks for NaN/inf on its single pass over the rows
        pool_matrix = pool
        if not quantized:
            _check_finite_in_chunks(pool_matrix, "pool")
    else:
        pool_matrix = as_matrix(pool, "pool")
    target_matrix = as_matrix(target, "target")
    check_same_dimension(pool_matrix, "pool", target_matrix, "target")
    if not quantized or target_matrix.shape[0] <= (config.n_clusters or 0):
        check_target_rows(target_matrix, config.k)
    if quantized and config.n_clusters > pool_matrix.shape[0]:
        raise ValueError(f"n_clusters={config.n_clusters} is larger than the {pool_matrix.shape[0]} pool rows; "
                         f"use at most {pool_matrix.shape[0]} clusters, or turn quantisation off.")
    return pool_matrix, target_matrix


def _is_float_matrix(values) -> bool:
    return isinstance(values, np.ndarray) and values.ndim == 2 and values.dtype in (np.float32, np.float64) \
        and values.shape[0] > 0 and values.shape[1] > 0


def _check_finite_in_chunks(matrix: NDArray, name: str, chunk_rows: int = 262_144) -> None:
    bad_rows = 0
    for start in range(0, matrix.shape[0], chunk_rows):
        bad_rows += int((~np.isfinite(matrix[start:start + chunk_rows])).any(axis=1).sum())
    if bad_rows:
        raise ValueError(f"{name} has {bad_rows} row(s) with NaN or inf values; drop or fill those rows first.")


def _start_set(init, candidates: NDArray, config: GIOConfig, rng: np.random.Generator, *, dimension: int):
    """The start set D and the candidate rows it already uses."""
    if init is not None:
        start = as_points(init, "init", dimension)
        if start.shape[0] == 0 and config.discard_nearest_for_xy:
            raise ValueError("discard_nearest_for_xy=True needs a non-empty start set; pass init rows or set "
                             "discard_nearest_for_xy=False.")
        return start, None
    if config.random_init_pct > 0:
        amount = int(config.random_init_pct * candidates.shape[0])
        if amount == 0:
            raise ValueError(f"random_init_pct={config.random_init_pct:g} of {candidates.shape[0]} pool rows "
                             "is 0 rows; raise random_init_pct or pass init.")
        if amount >= candidates.shape[0]:
            raise ValueError(f"random_init_pct={config.random_init_pct:g} uses all {candidates.shape[0]} pool "
                             "rows as the start set, leaving nothing to select; lower it.")
        chosen = np.sort(rng.choice(candidates.shape[0], size=amount, replace=False))
        return np.asarray(candidates[chosen], dtype=np.float64), chosen
    if config.uniform_start_size == 0:
        if config.discard_nearest_for_xy:
            raise ValueError("discard_nearest_for_xy=True needs a non-empty start set; raise uniform_start_size, "
                             "pass init rows or set discard_nearest_for_xy=False.")
        return np.zeros((0, dimension)), None
    start = rng.uniform(config.uniform_low, config.uniform_high, size=(config.uniform_start_size, dimension))
    if config.normalize:
        norms = np.linalg.norm(start, axis=1, keepdims=True)
        start = np.divide(start, norms, out=start, where=norms > 0)
    return start, None


def select(pool: ArrayLike, target: ArrayLike, init: ArrayLike | None = None, **params) -> GIOResult:
    """Run GIO and return its :class:`GIOResult`; ``params`` are :class:`GIOSelector`'s.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> result = select(rng.normal(size=(200, 2)), rng.normal(size=(50, 2)), init=np.zeros((0, 2)),
    ...                 random_state=0)
    >>> len(result.selected_indices) == len(result.kl_curve)
    True
    """
    return GIOSelector(**params).fit(pool, target, init).result_
