"""What every selection method beside GIO shares: :class:`BaseSelector` (validation, ``fit(pool, target,
init=None)`` returning ``self``, the fitted attributes and the KL curve, as :class:`gio_core.GIOSelector` has
them) and :func:`gumbel_order` (draws without replacement, seeded).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator

from .._validation import (
    as_matrix,
    as_points,
    check_int,
    check_random_state,
    check_same_dimension,
    check_target_rows,
)
from ..gio.kl import kl_curve as _kl_curve

__all__ = ["BaseSelector", "gumbel_order"]

# Pairs held in memory at once when scanning the pool.
_BLOCK_PAIRS = 4_000_000


def gumbel_order(log_weights: NDArray, amount: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Positions of ``amount`` draws without replacement, probability proportional to ``exp(log_weights)``.

    The Gumbel top-k trick: the ``amount`` largest ``log_weights + Gumbel noise``, in decreasing key
    order, are distributed as successive draws without replacement.
    """
    keys = log_weights + rng.gumbel(size=log_weights.shape[0])
    if amount < keys.shape[0]:
        top = np.argpartition(-keys, amount - 1)[:amount]
    else:
        top = np.arange(keys.shape[0])
    return top[np.argsort(-keys[top], kind="stable")].astype(np.int64)


class BaseSelector(BaseEstimator):
    """Validation, the fitted attributes and the KL curve shared by the baselines."""

    def _select(
        self, pool: NDArray, target: NDArray, start: NDArray, rng: np.random.Generator
    ) -> tuple[list[int], str, str]:
        raise NotImplementedError

    def fit(self, pool: ArrayLike, target: ArrayLike, init: ArrayLike | None = None) -> BaseSelector:
        """Select up to ``n_select`` pool rows for ``target``.

        Parameters
        ----------
        pool : array-like of shape (n_pool, d)
            The candidates.
        target : array-like of shape (n_target, d)
            The target sample; at least ``k + 1`` rows.
        init : array-like of shape (n0, d), optional
            A start set D the selection adds to (never selected itself). Methods that do not use it
            say so.

        Returns
        -------
        self
        """
        n_select = check_int(self.n_select, "n_select", minimum=1)
        k = check_int(self.k, "k", minimum=1)
        pool = as_matrix(pool, "pool")
        target = as_matrix(target, "target")
        check_same_dimension(pool, "pool", target, "target")
        check_target_rows(target, k)
        start = np.empty((0, pool.shape[1])) if init is None else as_points(init, "init", pool.shape[1])
        rng = check_random_state(self.random_state)
        self._check_params()
        picks, reason, message = self._select(pool, target, start, rng)
        if reason == "data_size" and len(picks) < n_select:
            reason, message = "pool_exhausted", "every pool row has been picked."
        self.selected_indices_ = np.asarray(picks, dtype=np.int64)
        # the curve costs O(picks x target rows) (minutes at 15,000 picks and 60,000 target rows), more
        # than most selections: it is measured when first read
        self._curve_inputs: tuple[NDArray, NDArray, int, NDArray] | tuple[()] = (
            target,
            pool[self.selected_indices_],
            k,
            start,
        )
        self._curve: NDArray[np.float64] | None = None
        self.initial_kl_ = (
            float(_kl_curve(target, start[-1:], k=k, init=start[:-1])[-1]) if start.shape[0] >= k else math.inf
        )
        self.stop_reason_ = reason
        self.stop_message_ = message
        return self

    @property
    def kl_curve_(self) -> NDArray[np.float64]:
        """Standard k-NN KL(target || init u picks so far) after each pick, measured when first read."""
        if getattr(self, "_curve_inputs", None) is None:
            raise AttributeError("kl_curve_ exists once the selector is fitted; call fit first.")
        if self._curve is None:
            assert self._curve_inputs, "the setter sets a curve"
            target, picked, k, start = self._curve_inputs
            self._curve = _kl_curve(target, picked, k=k, init=start)
        return self._curve

    @kl_curve_.setter
    def kl_curve_(self, curve) -> None:  # a subclass that measures its own curve (DSIR)
        self._curve_inputs, self._curve = (), np.asarray(curve, dtype=np.float64)

    def _check_params(self) -> None:
        pass

    def _budget_message(self) -> str:
        return f"reached the budget of n_select={self.n_select} picks."
