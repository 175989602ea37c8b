"""Every parameter of a GIO run (:class:`GIOConfig`, validated when made), grad-info-opt 0.1.2's values
(:data:`PAPER_GIO_PARAMS`), the stopping rules, and what a run yields (:class:`GIOStep`) and returns
(:class:`GIOResult`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import NDArray

from .._validation import (
    check_choice,
    check_float,
    check_int,
)
from ..scale.explode import (
    EXPLODE_MODES,
)
from ..scale.quantize import Quantization
from ..scale.sizing import suggested_max_picks
from .objectives import OBJECTIVES, STEP_RULES

__all__ = [
    "CANDIDATE_RULES",
    "PAPER_GIO_PARAMS",
    "STOP_CRITERIA",
    "STOP_REASONS",
    "V_INITS",
    "GIOConfig",
    "GIOResult",
    "GIOStep",
]

STOP_CRITERIA = ("increase", "max_resets", "min_difference", "sequential_increase_tolerance", "min_kl", "data_size")
V_INITS = ("mean", "prev_opt", "jump", "cycle")
#: Which centroids a quantised run may pick: those nearest the target (ours) or every one (the paper).
CANDIDATE_RULES = ("near_target", "all")
#: Why a run ended: the value of ``stop_reason_``.
STOP_REASONS = STOP_CRITERIA + ("max_iter", "pool_exhausted", "interrupted")
#: grad-info-opt 0.1.2's value of every GIOSelector parameter it has (``GIOKL.fit`` and ``GIOKL.__init__``),
#: with the options it lacks switched off: ``GIOSelector(**PAPER_GIO_PARAMS)`` is the paper's GIO.
PAPER_GIO_PARAMS: dict = dict(
    k=5,
    max_iter=100,
    stop_criterion="increase",
    min_difference=0.0,
    resets_allowed=False,
    max_resets=2,
    max_data_size=1.0,
    min_kl=0.0,
    max_sequential_increases=3,
    random_init_pct=0.0,
    random_restart_prob=0.0,
    scale_factor="auto",
    v_init="mean",
    grad_desc_iter=50,
    discard_nearest_for_xy=False,
    lr=0.01,
    uniform_low=-1.0,
    uniform_high=1.0,
    uniform_start_size=20,
    normalize=True,
    objective="averaged",
    step_rule="plain",
    sharpness=4.0,
    trust_radius=None,
    snap_candidates=1,
    explode="all",
    candidates="all",
)


@dataclass(frozen=True)
class GIOConfig:
    """Every parameter of a GIO run, validated on construction. See :class:`GIOSelector`."""

    k: int = 5
    max_iter: int | None = None
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
    explode: str = "share_turns"
    candidates: str = "near_target"
    n_clusters: int | None = None

    def __post_init__(self):
        check_int(self.k, "k", minimum=1)
        if self.max_iter is not None:
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
                raise ValueError(
                    f"scale_factor={self.scale_factor!r} is not understood; pass 'auto' or a positive number."
                )
        else:
            check_float(self.scale_factor, "scale_factor", minimum=0.0, exclusive_minimum=True)
        check_choice(self.v_init, "v_init", V_INITS)
        check_int(self.grad_desc_iter, "grad_desc_iter", minimum=0)
        _check_bool(self.discard_nearest_for_xy, "discard_nearest_for_xy")
        check_float(self.lr, "lr", minimum=0.0, exclusive_minimum=True)
        check_float(self.uniform_low, "uniform_low")
        check_float(self.uniform_high, "uniform_high")
        if not self.uniform_low < self.uniform_high:
            raise ValueError(
                f"uniform_low={self.uniform_low} must be below uniform_high={self.uniform_high}; swap or widen them."
            )
        check_int(self.uniform_start_size, "uniform_start_size", minimum=0)
        _check_bool(self.normalize, "normalize")
        check_choice(self.objective, "objective", OBJECTIVES)
        check_choice(self.step_rule, "step_rule", STEP_RULES)
        check_float(self.sharpness, "sharpness", minimum=0.0, exclusive_minimum=True)
        if self.trust_radius is not None:
            check_float(self.trust_radius, "trust_radius", minimum=0.0, exclusive_minimum=True)
        check_int(self.snap_candidates, "snap_candidates", minimum=1)
        check_choice(self.explode, "explode", EXPLODE_MODES)
        check_choice(self.candidates, "candidates", CANDIDATE_RULES)
        if self.objective == "smooth" and self.discard_nearest_for_xy:
            raise ValueError(
                "discard_nearest_for_xy=True belongs to the rank-averaged estimator; set "
                "objective='averaged' or discard_nearest_for_xy=False."
            )
        if self.n_clusters is not None:
            check_int(self.n_clusters, "n_clusters", minimum=1)
        if self.stop_criterion == "max_resets" and not self.resets_allowed:
            raise ValueError(
                "stop_criterion='max_resets' stops after max_resets resets, so it needs "
                "resets_allowed=True; set resets_allowed=True or pick another stop_criterion."
            )

    def to_dict(self) -> dict:
        return asdict(self)

    def expected_picks(self, n_pool_rows: int) -> int:
        """The most picks a run on a pool of ``n_pool_rows`` rows can make (where a progress bar ends): at most
        ``max_iter``, one per centroid when quantised, the data-size budget's rows when not."""
        picks = self.pick_limit(self.n_clusters)
        if self.n_clusters:
            picks = min(picks, int(self.n_clusters))
        elif self.stop_criterion == "data_size":
            picks = min(picks, int(self.max_data_size * n_pool_rows))
        return max(1, min(picks, int(n_pool_rows)))

    def pick_limit(self, n_centroids: int | None) -> int:
        """The most picks: ``max_iter``, or when None :func:`gio_core.scale.suggested_max_picks` of the run's
        centroids (``n_centroids``; None when the pool is not quantised)."""
        if self.max_iter is not None:
            return int(self.max_iter)
        return suggested_max_picks(n_centroids)

    @property
    def orders_rows_by_target(self) -> bool:
        """Whether a quantised run takes part of the chosen clusters' rows, chosen by the target: a data-size
        budget (``stop_criterion='data_size'``) shared by target mass (``explode='target_share'``), filled by
        the target's turns (``explode='target_turns'``), or both (``'share_turns'``)."""
        return self.explode in ("target_share", "target_turns", "share_turns") and self.stop_criterion == "data_size"

    @property
    def fills_by_turns(self) -> bool:
        """Whether a data-size budget is filled by the target's rows taking turns (``explode='target_turns'``, or
        within each cluster's quota, ``'share_turns'``)."""
        return self.explode in ("target_turns", "share_turns") and self.stop_criterion == "data_size"

    @property
    def turns_keep_quotas(self) -> bool:
        """Whether the target's turns keep each chosen cluster to its quota (``explode='share_turns'``)."""
        return self.explode == "share_turns" and self.stop_criterion == "data_size"


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
        cluster, in first-pick order (see :mod:`gio_core.scale.explode`); None when every row of a chosen
        cluster is taken.
    explode_seed : int or None
        Seed of :func:`gio_core.scale.explode.row_priority` that chose the rows within clusters.
    """

    selected_indices: NDArray[np.int64] | None
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
