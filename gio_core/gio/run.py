"""One GIO run over fixed candidates (pool rows, or pool centroids when quantised): descend on ``v``, snap it to
an unused candidate, add it, apply the stopping rule; the start set; the objective the descent lowers.
:meth:`_Run.steps` is the generator behind :meth:`gio_core.GIOSelector.iter_fit`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from .._validation import (
    as_points,
)
from .config import GIOConfig, GIOStep
from .kl import AveragedKL
from .neighbors import NearestUnused, squared_distances
from .objectives import SmoothKNNKL, SteeredAveragedKL

logger = logging.getLogger(__name__)


class _Run:
    """One GIO run over fixed candidate rows; :meth:`steps` is the generator behind ``iter_fit``."""

    def __init__(
        self,
        candidates: NDArray,
        target: NDArray,
        start: NDArray,
        config: GIOConfig,
        rng: np.random.Generator,
        *,
        rows_per_candidate: NDArray | None,
        row_budget: int,
        excluded: NDArray | None,
        record_path: bool,
        target_rows: NDArray | None = None,
        near_target_only: bool = False,
    ):
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
        self.near_target_only = near_target_only  # excluded holds the centroids near no target point
        self.max_picks = config.pick_limit(candidates.shape[0] if rows_per_candidate is not None else None)
        self.shares_budget = config.orders_rows_by_target and rows_per_candidate is not None
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
        squared = squared_distances(
            np.asarray(self.candidates[closest], dtype=np.float64), self.estimate.target, self.estimate._target_norms
        )
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
            logger.warning(
                "scale_factor='auto' is undefined here (|v0|=%g, |grad|=%g); using 1.0", v_norm, gradient_norm
            )
            return 1.0
        return v_norm / gradient_norm

    def _stop(self, reason: str, message: str) -> None:
        self.stop_reason, self.stop_message = reason, message

    def _budget_reached(self) -> bool:
        config = self.config
        if len(self.picks) >= self.max_picks:
            if config.max_iter is None:
                self._stop(
                    "max_iter",
                    f"reached the default of {self.max_picks} picks (100, or a fifth of the centroids when "
                    f"quantised); raise it (max_iter={2 * self.max_picks}, say) to go on.",
                )
            else:
                self._stop("max_iter", f"reached max_iter={config.max_iter} picks.")
            return True
        if self.criterion == "data_size" and self.rows_selected >= self.row_budget:
            self._stop(
                "data_size",
                f"reached the data-size budget of {self.row_budget} rows (max_data_size={config.max_data_size:g}).",
            )
            return True
        if self.lookup.n_available == 0:
            if self.near_target_only:
                self._stop(
                    "pool_exhausted",
                    "every cluster nearest a target row has been picked (candidates='near_target'; "
                    "candidates='all' lets GIO go on to the others).",
                )
            else:
                self._stop("pool_exhausted", "every pool row has been picked.")
            return True
        return False

    def _rule_fires(self, kl: float, previous: float) -> str | None:
        config = self.config
        if self.criterion in ("increase", "max_resets", "sequential_increase_tolerance") and kl > previous:
            return f"the KL rose from {previous:.6g} to {kl:.6g}"
        if self.criterion == "min_difference" and previous - kl < config.min_difference:
            return (
                f"the KL fell by {previous - kl:.3g} (from {previous:.6g} to {kl:.6g}), less than "
                f"min_difference={config.min_difference:g}"
            )
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
                v = self.estimate.descend(v, n_steps=n_descent, step_size=config.lr * self.scale_factor, path=path)
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
                    self._stop(
                        "sequential_increase_tolerance",
                        f"{increases_in_a_row} KL increases in a row (max_sequential_increases="
                        f"{config.max_sequential_increases}); the selection is returned as it stood at "
                        f"its lowest KL, {best[0]:.6g}, with {kept_count} picks.",
                    )
                    del self.picks[kept_count:]
                    del self.kl_curve[kept_count:]
                    yield GIOStep(
                        step_number,
                        v,
                        candidate,
                        kl,
                        False,
                        len(self.picks),
                        path=path_array,
                        stop_reason=self.stop_reason,
                    )
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
                    yield GIOStep(step_number, v, candidate, kl, False, len(self.picks), reset=True, path=path_array)
                    continue
                reason = self.criterion
                extra = f" after {resets} pool resets" if config.resets_allowed else ""
                self._stop(reason, f"{fired}{extra}, so the last pick was dropped.")
                yield GIOStep(
                    step_number, v, candidate, kl, False, len(self.picks), path=path_array, stop_reason=reason
                )
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
            yield GIOStep(
                step_number, v, candidate, kl, True, len(self.picks), path=path_array, stop_reason=self.stop_reason
            )
            if stop_now:
                return
            if config.v_init == "mean":
                v = self.target_mean.copy()
            elif config.v_init in ("jump", "cycle"):
                v = self._random_target_row()


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
        return SmoothKNNKL(
            target, k=config.k, sharpness=config.sharpness, step_rule=config.step_rule, trust_radius=config.trust_radius
        )
    if config.step_rule == "plain" and config.trust_radius is None:
        return AveragedKL(target, k=config.k, discard_nearest_for_xy=config.discard_nearest_for_xy)
    return SteeredAveragedKL(
        target,
        k=config.k,
        discard_nearest_for_xy=config.discard_nearest_for_xy,
        step_rule=config.step_rule,
        trust_radius=config.trust_radius,
    )


def _start_set(init, candidates: NDArray, config: GIOConfig, rng: np.random.Generator, *, dimension: int):
    """The start set D and the candidate rows it already uses."""
    if init is not None:
        start = as_points(init, "init", dimension)
        if start.shape[0] == 0 and config.discard_nearest_for_xy:
            raise ValueError(
                "discard_nearest_for_xy=True needs a non-empty start set; pass init rows or set "
                "discard_nearest_for_xy=False."
            )
        return start, None
    if config.random_init_pct > 0:
        amount = int(config.random_init_pct * candidates.shape[0])
        if amount == 0:
            raise ValueError(
                f"random_init_pct={config.random_init_pct:g} of {candidates.shape[0]} pool rows "
                "is 0 rows; raise random_init_pct or pass init."
            )
        if amount >= candidates.shape[0]:
            raise ValueError(
                f"random_init_pct={config.random_init_pct:g} uses all {candidates.shape[0]} pool "
                "rows as the start set, leaving nothing to select; lower it."
            )
        chosen = np.sort(rng.choice(candidates.shape[0], size=amount, replace=False))
        return np.asarray(candidates[chosen], dtype=np.float64), chosen
    if config.uniform_start_size == 0:
        if config.discard_nearest_for_xy:
            raise ValueError(
                "discard_nearest_for_xy=True needs a non-empty start set; raise uniform_start_size, "
                "pass init rows or set discard_nearest_for_xy=False."
            )
        return np.zeros((0, dimension)), None
    start = rng.uniform(config.uniform_low, config.uniform_high, size=(config.uniform_start_size, dimension))
    if config.normalize:
        norms = np.linalg.norm(start, axis=1, keepdims=True)
        start = np.divide(start, norms, out=start, where=norms > 0)
    return start, None
