"""k-nearest-neighbour estimates of KL(p_target || p_sample) and the gradient GIO descends.

Two estimators live here:

* :func:`knn_kl`, the standard estimator of Wang, Kulkarni & Verdú (2009), for evaluation;
* :func:`averaged_knn_kl`, the rank-averaged variant GIO optimises (Everaert & Potts, ICLR 2024,
  appendix): the k-th neighbour distance into the sample is replaced by the mean over every rank, so
  that moving one sample point always changes the estimate and its gradient is never zero.

:class:`AveragedKL` keeps the running sums of the averaged estimator, so that adding one point costs
O(n_target x d) instead of recomputing the whole target x sample matrix, and runs the gradient
descent on a free point.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_matrix, as_points, check_int, check_same_dimension, check_target_rows
from .neighbors import MIN_SQUARED_DISTANCE, Backend, kth_neighbor_distances, squared_distances, squared_norms

#: Added to every distance before its logarithm, as in grad-info-opt.
EPS = 1e-8

#: The gradient descent works in float32 (as grad-info-opt, which runs JAX in float32) once the target
#: matrix is larger than this in float64: each step reads the whole matrix twice, and at paper scale
#: (1,500 x 768) halving it keeps it in cache. The estimate itself is always computed in float64.
FLOAT32_DESCENT_BYTES = 2 * 2**20

__all__ = [
    "EPS",
    "AveragedKL",
    "augmented_target",
    "averaged_knn_kl",
    "averaged_knn_kl_gradient",
    "format_kl",
    "kl_curve",
    "knn_kl",
]


def format_kl(value: float, digits: int = 4) -> str:
    """A KL value for people: ``'194.2'``, or ``'undefined'`` while it is infinite (fewer than k rows to measure).

    >>> format_kl(194.23), format_kl(float("inf"))
    ('194.2', 'undefined')
    """
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return "undefined"
    return f"{value:.{digits}g}"


def _rank_log_term(k: int, n_target: int, n_sample: int) -> float:
    """mean over l = 1..m of log(k m / (l (n - 1))), in closed form."""
    m = n_sample
    return math.log(k * m / (n_target - 1)) - math.lgamma(m + 1) / m


def _log_distances(squared: NDArray) -> NDArray:
    return np.log(np.sqrt(squared) + EPS)


class AveragedKL:
    """Running state of the rank-averaged k-NN estimate of KL(target || sample).

    Parameters
    ----------
    target : ndarray of shape (n_target, d)
        The target sample X. Must have at least ``k + 1`` rows.
    k : int, default=5
        Neighbour rank used for the target's own density (the distance from each target row to its
        k-th nearest other target row).
    discard_nearest_for_xy : bool, default=False
        Leave out, for each target row, its nearest sample point in the averaged term.

    Notes
    -----
    With ``m`` sample points ``y_j`` and target rows ``x_i`` (n of them, d dimensions), the estimate is

        d * mean_ij log(nu_ij + eps) - d * mean_i log(rho_i + eps) + mean_l log(k m / (l (n - 1)))

    where ``nu_ij = |x_i - y_j|`` and ``rho_i`` is the k-th neighbour distance of ``x_i`` within the
    target (squared distances clipped below at 1e-10, eps = 1e-8). Only the first term depends on
    the sample, and it is a sum over sample points: adding a point adds one column of n logs.
    """

    def __init__(self, target: NDArray[np.floating], *, k: int = 5, discard_nearest_for_xy: bool = False):
        self.target = np.ascontiguousarray(target, dtype=np.float64)
        self.k = k
        self.discard_nearest_for_xy = bool(discard_nearest_for_xy)
        self.n_target, self.dimension = self.target.shape
        self._target_norms = squared_norms(self.target)
        rho = kth_neighbor_distances(self.target, self.target, k, exclude_self=True, backend="numpy")
        self._rho = rho  # each target row's k-th neighbour distance (a trust region is measured in them)
        self._mean_log_rho = float(np.mean(np.log(rho + EPS)))
        self.size = 0
        self._log_sum = 0.0
        # for discard_nearest_for_xy: each target row's squared distance to its nearest sample point
        self._nearest_squared = np.full(self.n_target, np.inf)
        self._augmented: NDArray | None = None

    # -- evaluation -------------------------------------------------------------------------------

    def squared_distances_to(self, point: NDArray) -> NDArray[np.float64]:
        """Clipped squared distances from every target row to ``point``, shape (n_target,)."""
        return squared_distances(point[None, :].astype(np.float64), self.target, self._target_norms)[0]

    def _value(self, size: int, log_sum: float, nearest_squared: NDArray) -> float:
        columns = size - 1 if self.discard_nearest_for_xy else size
        if columns <= 0:
            return math.inf
        if self.discard_nearest_for_xy:
            log_sum = log_sum - float(_log_distances(nearest_squared).sum())
        mean_log_nu = log_sum / (self.n_target * columns)
        return self.dimension * (mean_log_nu - self._mean_log_rho) + _rank_log_term(self.k, self.n_target, size)

    def value(self) -> float:
        """The current estimate; ``inf`` while the sample is too small to define it."""
        return self._value(self.size, self._log_sum, self._nearest_squared)

    def value_with(self, squared: NDArray) -> float:
        """The estimate if a point with these squared target distances were added (nothing changes)."""
        return self._value(
            self.size + 1,
            self._log_sum + float(_log_distances(squared).sum()),
            np.minimum(self._nearest_squared, squared),
        )

    def add(self, squared: NDArray) -> None:
        """Add a point, given by its squared target distances (from :meth:`squared_distances_to`)."""
        self._log_sum += float(_log_distances(squared).sum())
        np.minimum(self._nearest_squared, squared, out=self._nearest_squared)
        self.size += 1

    def add_points(self, points: NDArray) -> None:
        """Add many points at once, in blocks so memory stays O(block x n_target)."""
        block = max(1, 2_000_000 // max(self.n_target, 1))
        for start in range(0, points.shape[0], block):
            chunk = np.asarray(points[start : start + block], dtype=np.float64)
            squared = squared_distances(chunk, self.target, self._target_norms)
            self._log_sum += float(_log_distances(squared).sum())
            np.minimum(self._nearest_squared, squared.min(axis=0), out=self._nearest_squared)
            self.size += chunk.shape[0]

    # -- gradient -----------------------------------------------------------------------------------

    def _gradient_scale(self) -> float:
        """d / (n_target x columns) for a sample that has one free point appended."""
        columns = self.size if self.discard_nearest_for_xy else self.size + 1
        if columns <= 0:
            return 0.0
        return self.dimension / (self.n_target * columns)

    def _weights(self, squared: NDArray) -> NDArray:
        # d/dv log(sqrt(s) + eps) = (v - x) / (r (r + eps)); zero where the clip at 1e-10 is active,
        # and zero for target rows whose nearest sample point v is (that term is discarded).
        distances = np.sqrt(squared)
        weights = 1.0 / (distances * (distances + EPS))
        weights[squared <= MIN_SQUARED_DISTANCE] = 0.0
        if self.discard_nearest_for_xy:
            weights[squared < self._nearest_squared] = 0.0
        return weights

    def gradient(self, point: NDArray) -> NDArray[np.float64]:
        """Gradient of the estimate with respect to one free point appended to the sample."""
        point = np.asarray(point, dtype=np.float64)
        weights = self._weights(self.squared_distances_to(point))
        return self._gradient_scale() * (point * weights.sum() - weights @ self.target)

    def descend(
        self, start: NDArray, *, n_steps: int, step_size: float, path: list | None = None
    ) -> NDArray[np.float64]:
        """Plain gradient descent on the free point: ``v <- v - step_size * gradient(v)``.

        ``path``, when given, receives a copy of ``v`` before the first step and after every step.
        """
        point = np.array(start, dtype=np.float64)
        if path is not None:
            path.append(point.copy())
        scale = step_size * self._gradient_scale()
        dimension = self.dimension
        # One matrix [X | |x|^2 | 1] serves both products of a step: its product with
        # [-2v, 1, |v|^2] gives the squared distances, and the weights times it give
        # (sum_i w_i x_i, ., sum_i w_i). Fewer NumPy calls per step matters on small inputs.
        augmented = self._augmented_target()
        dtype = augmented.dtype
        query = np.empty(dimension + 2, dtype=dtype)
        query[dimension] = 1.0
        distances = np.empty(self.n_target, dtype=dtype)
        weights = np.empty(self.n_target, dtype=dtype)
        for _ in range(n_steps):
            np.multiply(point, -2.0, out=query[:dimension])
            query[dimension + 1] = point @ point
            squared = augmented @ query
            clipped = squared.min() <= MIN_SQUARED_DISTANCE
            if clipped:
                active = squared > MIN_SQUARED_DISTANCE
                np.maximum(squared, MIN_SQUARED_DISTANCE, out=squared)
            np.sqrt(squared, out=distances)
            np.add(distances, EPS, out=weights)
            weights *= distances
            np.reciprocal(weights, out=weights)
            if clipped:
                weights *= active
            if self.discard_nearest_for_xy:
                weights[squared < self._nearest_squared] = 0.0
            sums = (weights @ augmented).astype(np.float64, copy=False)
            point = point - scale * (point * sums[dimension + 1] - sums[:dimension])
            if path is not None:
                path.append(point.copy())
        return point

    def _augmented_target(self) -> NDArray:
        if self._augmented is None:
            self._augmented = augmented_target(self.target, self._target_norms)
        return self._augmented


def augmented_target(target: NDArray, target_norms: NDArray) -> NDArray:
    """``[X | |x|^2 | 1]``: one matrix serves both products of a descent step (see :meth:`AveragedKL.descend`).

    float32 once it is larger than :data:`FLOAT32_DESCENT_BYTES` in float64 (each step reads
    it twice; at paper scale float32 keeps it in cache), float64 below.
    """
    n_target, dimension = target.shape
    augmented = np.empty((n_target, dimension + 2))
    augmented[:, :dimension] = target
    augmented[:, dimension] = target_norms
    augmented[:, dimension + 1] = 1.0
    if augmented.nbytes > FLOAT32_DESCENT_BYTES:
        augmented = augmented.astype(np.float32)
    return augmented


def _check_estimator_inputs(target: ArrayLike, sample: ArrayLike, k: int) -> tuple[NDArray, NDArray, int]:
    target = as_matrix(target, "target")
    sample = as_matrix(sample, "sample")
    check_same_dimension(target, "target", sample, "sample")
    k = check_int(k, "k", minimum=1)
    check_target_rows(target, k)
    return target, sample, k


def averaged_knn_kl(target: ArrayLike, sample: ArrayLike, *, k: int = 5, discard_nearest_for_xy: bool = False) -> float:
    """Rank-averaged k-NN estimate of KL(p_target || p_sample), as GIO computes it.

    Parameters
    ----------
    target : array-like of shape (n_target, d)
        Sample of the target distribution X; at least ``k + 1`` rows.
    sample : array-like of shape (n_sample, d)
        Sample of the candidate distribution (D union V). At least 2 rows with
        ``discard_nearest_for_xy``.
    k : int, default=5
        Neighbour rank for the target's own density.
    discard_nearest_for_xy : bool, default=False
        For each target row, leave its nearest sample point out of the average.

    Returns
    -------
    float
        The estimate (in nats). It can be negative: it is a biased estimator.

    Raises
    ------
    ValueError
        Dimensions differ, too few target rows for ``k``, NaN or inf values, empty input.
    TypeError
        Non-numeric input or a non-integer ``k``.

    Notes
    -----
    Wang, Kulkarni & Verdú (2009) estimate KL with the ratio of k-th neighbour distances; Everaert &
    Potts (2024) average the sample term over every neighbour rank l = 1..m so its gradient with
    respect to a sample point is never zero. This function reproduces grad-info-opt 0.1.2's
    ``GIOKL.calculate_statistical_distance`` (eps = 1e-8, squared distances clipped at 1e-10), in
    float64.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(50, 2)), rng.normal(size=(20, 2))
    >>> round(averaged_knn_kl(x, y, k=5), 3)  # doctest: +SKIP
    0.395
    """
    target, sample, k = _check_estimator_inputs(target, sample, k)
    if discard_nearest_for_xy and sample.shape[0] < 2:
        raise ValueError(
            f"sample has {sample.shape[0]} row; discard_nearest_for_xy=True needs at least 2 "
            "rows. Add sample rows or set discard_nearest_for_xy=False."
        )
    state = AveragedKL(target, k=k, discard_nearest_for_xy=discard_nearest_for_xy)
    state.add_points(sample)
    return state.value()


def averaged_knn_kl_gradient(
    target: ArrayLike,
    sample: ArrayLike,
    point: ArrayLike,
    *,
    k: int = 5,
    discard_nearest_for_xy: bool = False,
) -> NDArray[np.float64]:
    """Gradient of ``averaged_knn_kl(target, sample + [point])`` with respect to ``point``.

    Parameters
    ----------
    target : array-like of shape (n_target, d)
    sample : array-like of shape (n_sample, d)
        The points already in the sample (may have 0 rows without ``discard_nearest_for_xy``).
    point : array-like of shape (d,)
        The free point appended to the sample.
    k : int, default=5
    discard_nearest_for_xy : bool, default=False

    Returns
    -------
    ndarray of shape (d,)

    Notes
    -----
    Without ``discard_nearest_for_xy`` the gradient is
    ``d / (n (m + 1)) * sum_i (v - x_i) / (|v - x_i| (|v - x_i| + eps))``: it pulls ``v`` towards
    every target row and depends on the sample only through its size ``m`` (Everaert & Potts 2024).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> averaged_knn_kl_gradient(x, x[:1], [0.5, 0.5], k=1).round(6)
    array([0., 0.])
    """
    target = as_matrix(target, "target")
    k = check_int(k, "k", minimum=1)
    check_target_rows(target, k)
    sample = as_points(sample, "sample", target.shape[1])
    point = np.asarray(point, dtype=np.float64)
    if point.shape != (target.shape[1],):
        raise ValueError(f"point has shape {point.shape}; pass one vector of shape ({target.shape[1]},).")
    if discard_nearest_for_xy and sample.shape[0] < 1:
        raise ValueError("discard_nearest_for_xy=True needs at least 1 sample row besides the point.")
    state = AveragedKL(target, k=k, discard_nearest_for_xy=discard_nearest_for_xy)
    state.add_points(sample)
    return state.gradient(point)


def knn_kl(target: ArrayLike, sample: ArrayLike, *, k: int = 5, backend: Backend = "auto") -> float:
    """Standard k-NN estimate of KL(p_target || p_sample) (Wang, Kulkarni & Verdú 2009).

    Parameters
    ----------
    target : array-like of shape (n_target, d)
        At least ``k + 1`` rows.
    sample : array-like of shape (n_sample, d)
        At least ``k`` rows.
    k : int, default=5
        Neighbour rank.
    backend : {"auto", "numpy", "faiss"}, default="auto"
        Exact float64 NumPy, or faiss (float32) for large inputs.

    Returns
    -------
    float
        ``d/n * sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))``, where ``rho_k(i)`` is the distance
        from target row i to its k-th nearest other target row and ``nu_k(i)`` to its k-th nearest
        sample row. Consistent as n and m grow.

    Raises
    ------
    ValueError
        Dimensions differ, too few rows for ``k``, NaN or inf values.

    Notes
    -----
    Distances are clipped below at 1e-5 (squared 1e-10), so duplicated points give a large finite
    value instead of -inf.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p, q = rng.normal(size=(2000, 1)), rng.normal(1.0, 1.0, size=(2000, 1))
    >>> abs(knn_kl(p, q) - 0.5) < 0.15  # closed form: (mu_p - mu_q)^2 / 2
    True
    """
    target, sample, k = _check_estimator_inputs(target, sample, k)
    if sample.shape[0] < k:
        raise ValueError(f"sample has {sample.shape[0]} rows; k={k} needs at least k rows. Lower k or add sample rows.")
    n, d = target.shape
    m = sample.shape[0]
    rho = kth_neighbor_distances(target, target, k, exclude_self=True, backend=backend)
    nu = kth_neighbor_distances(target, sample, k, backend=backend)
    return float(d * np.mean(np.log(nu) - np.log(rho)) + math.log(m / (n - 1)))


#: Pairs held in memory at once by :func:`kl_curve`.
_CURVE_BLOCK_PAIRS = 4_000_000


def _insert_column(nearest: NDArray, squared: NDArray) -> None:
    """Merge one new squared distance per target row into the sorted k smallest (in place)."""
    closer = squared < nearest[:, -1]
    if not closer.any():
        return
    rows = nearest[closer]
    rows[:, -1] = squared[closer]
    rows.sort(axis=1)
    nearest[closer] = rows


def _insert_rows(nearest: NDArray, points: NDArray, target: NDArray, norms: NDArray) -> None:
    if points.shape[0] == 0:
        return
    k = nearest.shape[1]
    block = max(1, _CURVE_BLOCK_PAIRS // max(target.shape[0], 1))
    for begin in range(0, points.shape[0], block):
        squared = squared_distances(points[begin : begin + block], target, norms).T
        merged = np.concatenate([nearest, squared], axis=1)
        merged.sort(axis=1)
        nearest[:] = merged[:, :k]


def kl_curve(
    target: ArrayLike,
    selected_in_pick_order: ArrayLike,
    *,
    k: int = 5,
    init: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Standard k-NN estimate of KL(target || init u picks so far) after each pick.

    Parameters
    ----------
    target : array-like of shape (n_target, d)
        The (held-out) target sample; at least ``k + 1`` rows.
    selected_in_pick_order : array-like of shape (n_picks, d)
        The selected rows themselves (not indices), in the order they were picked.
    k : int, default=5
        Neighbour rank of the estimator.
    init : array-like of shape (n0, d), optional
        A start set that is part of the sample before the first pick.

    Returns
    -------
    ndarray of shape (n_picks,)
        Entry ``j`` is ``knn_kl(target, vstack([init, picks[:j + 1]]), k=k)``; ``nan`` while the
        sample has fewer than ``k`` rows (the estimator is undefined there).

    Raises
    ------
    ValueError
        Dimensions differ, too few target rows for ``k``, NaN or inf values.

    Notes
    -----
    Incremental: each target row keeps its ``k`` nearest sample distances, and a pick updates them
    with one row of distances, so the whole curve costs O(n_picks x n_target x (d + k)) instead of
    recomputing the estimator after every pick.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> target, picks = rng.normal(size=(40, 2)), rng.normal(size=(10, 2))
    >>> curve = kl_curve(target, picks, k=3)
    >>> bool(np.isnan(curve[1])), bool(np.isclose(curve[-1], knn_kl(target, picks, k=3)))
    (True, True)
    """
    target = as_matrix(target, "target")
    k = check_int(k, "k", minimum=1)
    check_target_rows(target, k)
    dimension = target.shape[1]
    picks = as_points(selected_in_pick_order, "selected_in_pick_order", dimension)
    start = np.empty((0, dimension)) if init is None else as_points(init, "init", dimension)
    n_target = target.shape[0]
    rho = kth_neighbor_distances(target, target, k, exclude_self=True, backend="numpy")
    mean_log_rho = float(np.mean(np.log(rho)))
    nearest = np.full((n_target, k), np.inf)  # each target row's k smallest squared distances, sorted
    norms = squared_norms(target)
    _insert_rows(nearest, start, target, norms)
    size = start.shape[0]
    curve = np.full(picks.shape[0], np.nan)
    block = max(1, _CURVE_BLOCK_PAIRS // max(n_target, 1))
    for begin in range(0, picks.shape[0], block):
        squared_block = squared_distances(picks[begin : begin + block], target, norms)
        for offset, squared in enumerate(squared_block):
            _insert_column(nearest, squared)
            size += 1
            if size >= k:
                mean_log_nu = 0.5 * float(np.mean(np.log(nearest[:, -1])))
                curve[begin + offset] = dimension * (mean_log_nu - mean_log_rho) + math.log(size / (n_target - 1))
    return curve
