"""Objectives GIO can descend besides the paper's rank-averaged estimator.

:class:`SmoothKNNKL` relaxes the *standard* k-NN estimate of KL(target || sample) (Wang, Kulkarni
& Verdú 2009) instead of the rank-averaged one. Its gradient depends on the points already chosen:
target rows that the sample already covers stop pulling, so the free point is drawn towards the
target regions the selection still misses. The rank-averaged gradient of the paper depends on the
sample only through its size (every pick is pulled towards the same place), which is why the paper's
relaxation spends its picks around one spot of the target.

The class has the interface of :class:`gio_core.gio.kl.AveragedKL` (``size``, ``add_points``,
``squared_distances_to``, ``value``, ``value_with``, ``add``, ``gradient``, ``descend``), so the
engine's run loop can use either; it adds :meth:`SmoothKNNKL.values_with` to score many candidate
rows at once (for snapping ``v`` to the best of its nearest pool rows) and
:meth:`SmoothKNNKL.relaxed_value`, the smooth function whose gradient :meth:`SmoothKNNKL.gradient` is.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .kl import AveragedKL, augmented_target
from .neighbors import MIN_SQUARED_DISTANCE, knn_squared_distances, squared_distances, squared_norms

__all__ = ["OBJECTIVES", "STEP_RULES", "SmoothKNNKL", "SteeredAveragedKL", "augmented_target", "steered_descent"]

#: What GIO can descend: the paper's rank-averaged estimate, or the smooth standard estimate.
OBJECTIVES = ("averaged", "smooth")

#: How :meth:`SmoothKNNKL.descend` turns the gradient into a step.
STEP_RULES = ("preconditioned", "plain")

_BLOCK_PAIRS = 4_000_000


def _sigmoid(values: NDArray) -> NDArray:
    # exp of a non-positive number only, so no overflow warnings for large |values|
    out = np.empty_like(values)
    positive = values >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-values[positive]))
    exp_values = np.exp(values[~positive])
    out[~positive] = exp_values / (1.0 + exp_values)
    return out


class SmoothKNNKL:
    """Running state of the standard k-NN estimate of KL(target || sample) and its smooth relaxation.

    Parameters
    ----------
    target : ndarray of shape (n_target, d)
        The target sample X; at least ``k + 1`` rows.
    k : int, default=5
        Neighbour rank of the estimator.
    discard_nearest_for_xy : bool, default=False
        Only ``False`` is meaningful here (the option belongs to the rank-averaged estimator); kept so
        the engine can build either objective with the same call.
    sharpness : float, default=4.0
        ``p`` of the soft minimum below: larger is closer to the exact (piecewise) estimator, smaller
        lets target rows beyond the current k-th neighbour pull harder.
    step_rule : {'preconditioned', 'plain'}, default='preconditioned'
        ``'plain'``: ``v <- v - step_size * gradient``, as the paper. ``'preconditioned'``:
        ``v <- v - step_size * gradient / h``, where ``h = d/n sum_i w_i`` is the gradient's own
        scale (see Notes); ``step_size=1`` is then a full fixed-point (Weiszfeld) step, and the step
        is the same whatever the units or origin of the data.
    trust_radius : float or None, default=None
        Keep ``v`` within this many median target k-NN radii of where the descent started (None: no
        limit). In high dimensions the relaxation's optimum is a weighted mean of many target rows,
        off the data; a trust region keeps the descent local.

    Notes
    -----
    With ``m`` sample points, target row ``i`` has ``k``-th and ``(k-1)``-th nearest sample distances
    ``nu_i`` and ``mu_i``; the standard estimate is
    ``d/n sum_i log(nu_i / rho_i) + log(m / (n - 1))`` (``rho_i``: k-th neighbour distance within the
    target). Adding a point at distance ``r_i`` makes the k-th distance ``max(mu_i, min(nu_i, r_i))``.
    The relaxation replaces the minimum and maximum by smooth ones with exponent ``p``:

        s_i = (nu_i^-p + r_i^-p)^(-1/p),   t_i = (mu_i^p + s_i^p)^(1/p),
        F(v) = d/n sum_i log t_i(v)

    and its gradient is ``d/n sum_i w_i (v - x_i)`` with
    ``w_i = sigmoid(p log(nu_i / r_i)) * sigmoid(p log(s_i / mu_i)) / r_i^2``. The first factor
    switches off target rows that already have ``k`` sample points nearer than ``v``; the second
    switches off rows that ``v`` cannot improve further (it is already nearer than their
    ``(k-1)``-th point), which also removes the 1/r pull of a target row on a ``v`` sitting on it.
    A missing ``nu_i`` (fewer than ``k`` points) counts as infinitely far (the factor is 1) and a
    missing ``mu_i`` as no floor (the factor is 1): with an empty sample the gradient is the paper's
    rank-averaged one up to a constant.

    ``value`` is the standard estimate, ``inf`` while the sample has fewer than ``k`` rows (it is
    undefined there, and ``inf`` keeps an ``'increase'`` stopping rule from firing before it is).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> objective = SmoothKNNKL(rng.normal(size=(50, 2)), k=3)
    >>> objective.add_points(rng.normal(size=(10, 2)))
    >>> objective.gradient(np.zeros(2)).shape
    (2,)
    """

    def __init__(
        self,
        target: NDArray[np.float64],
        *,
        k: int = 5,
        discard_nearest_for_xy: bool = False,
        sharpness: float = 4.0,
        step_rule: str = "preconditioned",
        trust_radius: float | None = None,
    ):
        if discard_nearest_for_xy:
            raise ValueError(
                "discard_nearest_for_xy=True belongs to the rank-averaged estimator; the smooth "
                "standard-estimator objective has no such option. Set it to False."
            )
        if not (
            isinstance(sharpness, (int, float))
            and not isinstance(sharpness, bool)
            and sharpness > 0
            and math.isfinite(sharpness)
        ):
            raise ValueError(f"sharpness must be a positive number; got {sharpness!r}.")
        if step_rule not in STEP_RULES:
            raise ValueError(f"step_rule={step_rule!r} is not one of {STEP_RULES}; pick one of those.")
        self.target = np.ascontiguousarray(target, dtype=np.float64)
        self.k = int(k)
        self.discard_nearest_for_xy = False
        self.sharpness = float(sharpness)
        self.step_rule = step_rule
        self.n_target, self.dimension = self.target.shape
        if self.n_target < self.k + 1:
            raise ValueError(
                f"target has {self.n_target} rows; k={self.k} needs at least k+1={self.k + 1} rows. "
                "Lower k or add target rows."
            )
        self._target_norms = squared_norms(self.target)
        rho_squared, _ = knn_squared_distances(self.target, self.target, self.k, exclude_self=True, backend="numpy")
        # mean log rho at every rank 1..k, so candidates can be scored with a capped rank
        self._mean_log_rho = 0.5 * np.log(rho_squared).mean(axis=0)
        self.trust_radius = trust_radius
        # the descent never takes v farther than this from where it started
        self._max_distance = _trust_distance(np.sqrt(rho_squared[:, -1]), trust_radius)
        self._augmented: NDArray | None = None
        self.size = 0
        # each target row's k smallest squared distances to the sample, ascending; inf where missing
        self._nearest = np.full((self.n_target, self.k), np.inf)

    # -- the estimate -------------------------------------------------------------------------------

    def squared_distances_to(self, point: NDArray) -> NDArray[np.float64]:
        """Clipped squared distances from every target row to ``point``, shape (n_target,)."""
        return squared_distances(np.asarray(point, dtype=np.float64)[None, :], self.target, self._target_norms)[0]

    def _estimate(self, kth_squared: NDArray, size: int, rank: int) -> float:
        mean_log_nu = 0.5 * float(np.mean(np.log(kth_squared)))
        return self.dimension * (mean_log_nu - float(self._mean_log_rho[rank - 1])) + math.log(
            size / (self.n_target - 1)
        )

    def value(self) -> float:
        """The standard estimate of KL(target || sample); ``inf`` with fewer than ``k`` sample rows."""
        if self.size < self.k:
            return math.inf
        return self._estimate(self._nearest[:, -1], self.size, self.k)

    def value_with(self, squared: NDArray) -> float:
        """The estimate if a point with these squared target distances were added (nothing changes)."""
        if self.size + 1 < self.k:
            return math.inf
        return float(self.values_with(np.asarray(squared)[None, :])[0])

    def values_with(self, squared_rows: NDArray) -> NDArray[np.float64]:
        """Score each of several candidate points, given as rows of squared target distances.

        Returns the estimate after adding each candidate alone, shape (n_candidates,). While the
        sample would still have fewer than ``k`` rows, the rank is capped at the sample size (both
        for the sample and the target term), so candidates can be compared even then.
        """
        squared_rows = np.atleast_2d(np.asarray(squared_rows, dtype=np.float64))
        rank = min(self.k, self.size + 1)
        kth = self._nearest[:, rank - 1]
        below = self._nearest[:, rank - 2] if rank >= 2 else np.zeros(self.n_target)
        new_kth = np.maximum(below[None, :], np.minimum(kth[None, :], squared_rows))
        mean_log_nu = 0.5 * np.log(new_kth).mean(axis=1)
        return self.dimension * (mean_log_nu - float(self._mean_log_rho[rank - 1])) + math.log(
            (self.size + 1) / (self.n_target - 1)
        )

    def add(self, squared: NDArray) -> None:
        """Add a point, given by its squared target distances (from :meth:`squared_distances_to`)."""
        squared = np.asarray(squared, dtype=np.float64)
        closer = squared < self._nearest[:, -1]
        if closer.any():
            rows = self._nearest[closer]
            rows[:, -1] = squared[closer]
            rows.sort(axis=1)
            self._nearest[closer] = rows
        self.size += 1

    def add_points(self, points: NDArray) -> None:
        """Add many points at once, in blocks so memory stays O(block x n_target)."""
        points = np.asarray(points)
        block = max(1, _BLOCK_PAIRS // max(self.n_target, 1))
        for start in range(0, points.shape[0], block):
            chunk = np.asarray(points[start : start + block], dtype=np.float64)
            squared = squared_distances(chunk, self.target, self._target_norms).T
            merged = np.concatenate([self._nearest, squared], axis=1)
            merged.sort(axis=1)
            self._nearest = np.ascontiguousarray(merged[:, : self.k])
            self.size += chunk.shape[0]

    # -- the relaxation -----------------------------------------------------------------------------

    def _log_neighbours(self) -> tuple[NDArray, NDArray]:
        """log nu_i and log mu_i (the k-th and (k-1)-th distances); +inf where missing."""
        log_nu = 0.5 * np.log(self._nearest[:, -1])
        log_mu = 0.5 * np.log(self._nearest[:, -2]) if self.k >= 2 else np.full(self.n_target, -np.inf)
        return log_nu, log_mu

    def _terms(self, squared: NDArray) -> tuple[NDArray, NDArray]:
        """Per target row: log t_i (the smoothed new k-th distance) and the gradient weight w_i."""
        p = self.sharpness
        log_r = 0.5 * np.log(squared)
        log_nu, log_mu = self._log_neighbours()
        with np.errstate(invalid="ignore"):
            has_nu = np.isfinite(log_nu)
            log_s = np.where(has_nu, -np.logaddexp(-p * np.where(has_nu, log_nu, 0.0), -p * log_r) / p, log_r)
            gate_nu = np.where(has_nu, _sigmoid(p * (np.where(has_nu, log_nu, 0.0) - log_r)), 1.0)
            floor = np.isfinite(log_mu)  # -inf (k=1) and +inf (missing) both mean: no floor
            safe_mu = np.where(floor, log_mu, 0.0)
            log_t = np.where(floor, np.logaddexp(p * safe_mu, p * log_s) / p, log_s)
            gate_mu = np.where(floor, _sigmoid(p * (log_s - safe_mu)), 1.0)
        weights = gate_nu * gate_mu / squared
        weights[squared <= MIN_SQUARED_DISTANCE] = 0.0  # the clip is active: no gradient, as in AveragedKL
        return log_t, weights

    def relaxed_value(self, point: NDArray) -> float:
        """The smooth function ``F(v) = d/n sum_i log t_i(v)`` that :meth:`gradient` differentiates."""
        log_t, _ = self._terms(self.squared_distances_to(point))
        return self.dimension * float(np.mean(log_t))

    def gradient(self, point: NDArray) -> NDArray[np.float64]:
        """Gradient of :meth:`relaxed_value` with respect to the free point."""
        point = np.asarray(point, dtype=np.float64)
        _, weights = self._terms(self.squared_distances_to(point))
        return (self.dimension / self.n_target) * (point * weights.sum() - weights @ self.target)

    def descend(
        self, start: NDArray, *, n_steps: int, step_size: float, path: list | None = None
    ) -> NDArray[np.float64]:
        """Gradient descent on the free point, by :attr:`step_rule`, within the trust region.

        ``path``, when given, receives a copy of ``v`` before the first step and after every step.
        With ``'preconditioned'`` the step is ``step_size`` times the way to the fixed point
        ``sum_i w_i x_i / sum_i w_i``; the descent stops early once no target row pulls.
        """
        if self._augmented is None:
            self._augmented = augmented_target(self.target, self._target_norms)
        return steered_descent(
            lambda squared: self._terms(squared)[1],
            self._augmented,
            start,
            n_steps=n_steps,
            step_size=step_size,
            step_rule=self.step_rule,
            gradient_scale=self.dimension / self.n_target,
            max_distance=self._max_distance,
            path=path,
        )


class SteeredAveragedKL(AveragedKL):
    """The paper's rank-averaged objective, descended with a step rule and a trust region.

    The estimate, its incremental state and its gradient are :class:`gio_core.gio.kl.AveragedKL`'s; only
    :meth:`descend` differs. With ``step_rule='plain'`` and ``trust_radius=None`` it is the paper's
    descent (use :class:`AveragedKL` itself then: its loop is faster).

    Parameters
    ----------
    target : ndarray of shape (n_target, d)
    k : int, default=5
    discard_nearest_for_xy : bool, default=False
    step_rule : {'preconditioned', 'plain'}, default='preconditioned'
        As in :class:`SmoothKNNKL`.
    trust_radius : float or None, default=None
        As in :class:`SmoothKNNKL`: in median target k-NN radii.
    """

    def __init__(
        self,
        target: NDArray[np.float64],
        *,
        k: int = 5,
        discard_nearest_for_xy: bool = False,
        step_rule: str = "preconditioned",
        trust_radius: float | None = None,
    ):
        super().__init__(target, k=k, discard_nearest_for_xy=discard_nearest_for_xy)
        if step_rule not in STEP_RULES:
            raise ValueError(f"step_rule={step_rule!r} is not one of {STEP_RULES}; pick one of those.")
        self.step_rule = step_rule
        self._max_distance = _trust_distance(self._rho, trust_radius)

    def descend(
        self, start: NDArray, *, n_steps: int, step_size: float, path: list | None = None
    ) -> NDArray[np.float64]:
        """Descent by :attr:`step_rule` within the trust region; ``path`` as in :class:`AveragedKL`."""
        return steered_descent(
            self._weights,
            self._augmented_target(),
            start,
            n_steps=n_steps,
            step_size=step_size,
            step_rule=self.step_rule,
            gradient_scale=self._gradient_scale(),
            max_distance=self._max_distance,
            path=path,
        )


def _trust_distance(kth_distances: NDArray, trust_radius: float | None) -> float:
    """``trust_radius`` median k-NN radii of the target (``kth_distances``), as a distance (inf for None)."""
    if trust_radius is None:
        return math.inf
    if not (isinstance(trust_radius, (int, float)) and not isinstance(trust_radius, bool) and trust_radius > 0):
        raise ValueError(f"trust_radius must be a positive number or None; got {trust_radius!r}.")
    return float(trust_radius) * float(np.median(kth_distances))


def steered_descent(
    weights_of: Callable[[NDArray], NDArray],
    augmented: NDArray,
    start: NDArray,
    *,
    n_steps: int,
    step_size: float,
    step_rule: str,
    gradient_scale: float,
    max_distance: float = math.inf,
    path: list | None = None,
) -> NDArray[np.float64]:
    """Descend a free point whose gradient is ``gradient_scale * sum_i w_i (v - x_i)``.

    Parameters
    ----------
    weights_of : callable
        Squared distances from the target rows to ``v``, shape (n_target,) -> weights ``w_i``.
    augmented : ndarray of shape (n_target, d + 2)
        :func:`augmented_target` of the target: its product with ``[-2v, 1, |v|^2]`` gives the squared
        distances, and the weights times it give ``(sum_i w_i x_i, ., sum_i w_i)``.
    start : ndarray of shape (d,)
    n_steps : int
    step_size : float
        ``'plain'``: the learning rate times the gradient scale of the run. ``'preconditioned'``: the
        fraction of the way to the fixed point ``sum_i w_i x_i / sum_i w_i`` (1 is a Weiszfeld step).
    step_rule : {'preconditioned', 'plain'}
    gradient_scale : float
        The constant in front of the gradient (used by ``'plain'`` only).
    max_distance : float, default=inf
        ``v`` is kept within this distance of ``start`` (projected after each step).
    path : list, optional
        Receives a copy of ``v`` before the first step and after every step.

    Returns
    -------
    ndarray of shape (d,)
    """
    start = np.asarray(start, dtype=np.float64)
    point = start.copy()
    if path is not None:
        path.append(point.copy())
    dimension = augmented.shape[1] - 2
    query = np.empty(dimension + 2, dtype=augmented.dtype)
    query[dimension] = 1.0
    for _ in range(n_steps):
        np.multiply(point, -2.0, out=query[:dimension])
        query[dimension + 1] = point @ point
        squared = np.asarray(augmented @ query, dtype=np.float64)
        np.maximum(squared, MIN_SQUARED_DISTANCE, out=squared)
        weights = weights_of(squared)
        sums = np.asarray(weights.astype(augmented.dtype, copy=False) @ augmented, dtype=np.float64)
        total = float(sums[dimension + 1])
        if step_rule == "preconditioned":
            if total <= 0.0:
                break
            point = point + step_size * (sums[:dimension] / total - point)
        else:
            point = point - step_size * gradient_scale * (point * total - sums[:dimension])
        if max_distance < math.inf:
            offset = point - start
            length = float(np.linalg.norm(offset))
            if length > max_distance:
                point = start + offset * (max_distance / length)
        if path is not None:
            path.append(point.copy())
    return point
