"""Exact greedy minimisation of the standard k-NN estimate of KL(target || D u V): every step evaluates the
estimator for every unused pool row and keeps the best. This is the "naive" objective of Everaert & Potts
(2024), which GIO relaxes; it is exact, often the strongest, and costs O(n_pool x n_target) per step, so it
suits moderate (or quantised) pools.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .._validation import (
    check_choice,
)
from ..gio.neighbors import (
    kth_neighbor_distances,
    squared_distances,
    squared_norms,
)
from .base import _BLOCK_PAIRS, BaseSelector

__all__ = ["GreedyKLSelector"]

# GreedyKLSelector keeps the whole pool x target log-distance matrix up to this many entries.
_STORED_PAIRS = 20_000_000


class GreedyKLSelector(BaseSelector):
    """Exact greedy minimisation of the standard k-NN estimate of KL(target || D u V).

    Parameters
    ----------
    n_select : int, default=100
        Budget of picks.
    k : int, default=5
        Neighbour rank of the estimator.
    stop_criterion : {'data_size', 'increase'}, default='data_size'
        ``'data_size'`` picks ``n_select`` rows; ``'increase'`` also stops (without keeping it) at
        the first pick that would raise the estimate, once the sample has ``k`` rows.
    random_state : int, Generator or None, default=None
        Accepted for the common interface; the method is deterministic (ties go to the lowest
        pool index).

    Notes
    -----
    The estimator (Wang, Kulkarni & Verdú 2009) is
    ``d/n sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))``. Adding a row at distance ``r`` from
    target row ``i`` changes ``nu_k(i)`` to ``max(nu_{k-1}(i), min(nu_k(i), r))``, so the gain of
    every candidate follows from each target row's ``k`` nearest sample distances. While the sample
    has fewer than ``k`` rows the rank is capped at the sample size (the first pick minimises
    ``sum_i log |x_i - y|``). Gains are updated incrementally: after a pick only the target rows whose
    neighbours changed are re-scored, so a step costs O(n_pool x changed rows).

    This is the objective GIO's paper calls naive (Everaert & Potts 2024, section 3): exact and
    gradient-free, at O(n_pool x n_target) per step in the worst case.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pool = np.vstack([rng.normal(0, 1, size=(100, 2)), rng.normal(8, 1, size=(100, 2))])
    >>> target = rng.normal(8, 1, size=(40, 2))
    >>> picks = GreedyKLSelector(n_select=20).fit(pool, target).selected_indices_
    >>> bool((picks >= 100).all())
    True
    """

    def __init__(self, *, n_select: int = 100, k: int = 5, stop_criterion: str = "data_size", random_state=None):
        self.n_select = n_select
        self.k = k
        self.stop_criterion = stop_criterion
        self.random_state = random_state

    def _check_params(self) -> None:
        check_choice(self.stop_criterion, "stop_criterion", ("data_size", "increase"))

    def _select(self, pool, target, start, rng):
        k = self.k
        n_pool, n_target = pool.shape[0], target.shape[0]
        dimension = target.shape[1]
        amount = min(self.n_select, n_pool)
        target_norms = squared_norms(target)
        mean_log_rho = float(
            np.mean(np.log(kth_neighbor_distances(target, target, k, exclude_self=True, backend="numpy")))
        )
        # each target row's k smallest log-distances to the sample, ascending (inf where missing)
        nearest = np.full((n_target, k), np.inf)
        if start.shape[0]:
            squared = squared_distances(start, target, target_norms).T
            merged = np.sort(np.concatenate([nearest, 0.5 * np.log(squared)], axis=1), axis=1)
            nearest = np.ascontiguousarray(merged[:, :k])
        size = start.shape[0]

        stored = n_pool * n_target <= _STORED_PAIRS
        log_distances = 0.5 * np.log(squared_distances(pool, target, target_norms)) if stored else None

        def columns(rows: NDArray) -> NDArray:
            if stored:
                return log_distances[:, rows]
            out = np.empty((n_pool, rows.size))
            block = max(1, _BLOCK_PAIRS // max(rows.size, 1))
            for begin in range(0, n_pool, block):
                out[begin : begin + block] = 0.5 * np.log(
                    squared_distances(pool[begin : begin + block], target[rows], target_norms[rows])
                )
            return out

        def after(state: NDArray, logs: NDArray, rows: NDArray, size_now: int) -> NDArray:
            """The rank-capped k-th log-distance of ``rows`` once a point at ``logs`` joins ``state``."""
            rank = min(k, size_now + 1)  # rank after adding
            # logs has shape (n_pool, rows.size): one column per target row
            kth = state[rows, rank - 1]
            below = state[rows, rank - 2] if rank >= 2 else -np.inf
            return np.maximum(below, np.minimum(kth, logs))

        all_rows = np.arange(n_target)
        used = np.zeros(n_pool, dtype=bool)
        scores = np.zeros(n_pool)  # sum over target rows of the new k-th log-distance

        def rescore_all(size_now: int) -> None:
            scores[:] = 0.0
            block = max(1, _BLOCK_PAIRS // n_pool)
            for begin in range(0, n_target, block):
                rows = all_rows[begin : begin + block]
                scores[:] += after(nearest, columns(rows), rows, size_now).sum(axis=1)

        def value(size_now: int) -> float:
            if size_now < k:
                return math.inf
            kth = nearest[:, k - 1]
            return dimension * (float(np.mean(kth)) - mean_log_rho) + math.log(size_now / (n_target - 1))

        rescore_all(size)
        picks: list[int] = []
        while len(picks) < amount:
            masked = np.where(used, np.inf, scores)
            pick = int(np.argmin(masked))
            if self.stop_criterion == "increase" and size >= k:
                new_value = dimension * (masked[pick] / n_target - mean_log_rho) + math.log((size + 1) / (n_target - 1))
                old_value = value(size)
                if new_value > old_value:
                    return (
                        picks,
                        "increase",
                        (f"the KL would rise from {old_value:.6g} to {new_value:.6g}, so the selection stops here."),
                    )
            used[pick] = True
            picks.append(pick)
            squared = squared_distances(pool[pick : pick + 1], target, target_norms)[0]
            logs = 0.5 * np.log(squared)
            before = nearest.copy()
            merged = np.concatenate([nearest, logs[:, None]], axis=1)
            merged.sort(axis=1)
            nearest[:] = merged[:, :k]
            size += 1
            if size <= k:  # the rank still grows: every row's score changes
                rescore_all(size)
                continue
            changed = (
                np.flatnonzero((nearest[:, -2:] != before[:, -2:]).any(axis=1))
                if k >= 2
                else np.flatnonzero(nearest[:, -1] != before[:, -1])
            )
            if changed.size:
                logs_changed = columns(changed)
                scores += (
                    after(nearest, logs_changed, changed, size) - after(before, logs_changed, changed, size - 1)
                ).sum(axis=1)
        return picks, "data_size", self._budget_message()
