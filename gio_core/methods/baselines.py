"""The obvious alternatives to GIO, with the same inputs, budget and result shape.

* :class:`RandomSelector`: a uniform random sample of the pool.
* :class:`KCenterGreedySelector`: the k-center greedy coreset (Sener & Savarese 2018): each pick is the pool
  row farthest from everything chosen so far. It ignores the target: diversity only.
* :class:`NearestToTargetSelector`: target rows in a random order, round-robin, each taking its nearest
  unused pool row.

Beside them: :class:`gio_core.methods.greedy_kl.GreedyKLSelector` (exact greedy k-NN KL), TSDS, the GTP-style
pursuit and, for raw text, DSIR (:mod:`gio_core.methods`).
"""

from __future__ import annotations

import math

import numpy as np

from ..gio.neighbors import (
    knn_squared_distances,
    squared_distances,
    squared_norms,
)
from .base import _BLOCK_PAIRS, BaseSelector

__all__ = ["KCenterGreedySelector", "NearestToTargetSelector", "RandomSelector"]


class RandomSelector(BaseSelector):
    """A uniform random sample of the pool, without replacement.

    Parameters
    ----------
    n_select : int, default=100
        Picks to make.
    k : int, default=5
        Neighbour rank for ``kl_curve_`` only.
    random_state : int, Generator or None, default=None

    Notes
    -----
    Ignores ``target`` and ``init`` (except for ``kl_curve_``).

    Examples
    --------
    >>> import numpy as np
    >>> pool = np.random.default_rng(0).normal(size=(50, 2))
    >>> RandomSelector(n_select=5, random_state=0).fit(pool, pool[:10]).selected_indices_.shape
    (5,)
    """

    def __init__(self, *, n_select: int = 100, k: int = 5, random_state=None):
        self.n_select = n_select
        self.k = k
        self.random_state = random_state

    def _select(self, pool, target, start, rng):
        amount = min(self.n_select, pool.shape[0])
        return list(rng.choice(pool.shape[0], size=amount, replace=False)), "data_size", self._budget_message()


class KCenterGreedySelector(BaseSelector):
    """k-center greedy coreset: each pick is the pool row farthest from the rows chosen so far.

    Parameters
    ----------
    n_select : int, default=100
    k : int, default=5
        Neighbour rank for ``kl_curve_`` only.
    random_state : int, Generator or None, default=None
        Chooses the first pick when there is no start set.

    Notes
    -----
    Sener & Savarese (2018). The distances start from ``init`` when it is given; otherwise the first
    pick is a random pool row. The target is not used: this is the diversity baseline.

    Examples
    --------
    >>> import numpy as np
    >>> pool = np.array([[0.0], [0.1], [5.0], [10.0]])
    >>> KCenterGreedySelector(n_select=3, k=1, random_state=0).fit(pool, pool, init=pool[:1]).selected_indices_
    array([3, 2, 1])
    """

    def __init__(self, *, n_select: int = 100, k: int = 5, random_state=None):
        self.n_select = n_select
        self.k = k
        self.random_state = random_state

    def _select(self, pool, target, start, rng):
        norms = squared_norms(pool)
        nearest = np.full(pool.shape[0], np.inf)
        if start.shape[0]:
            block = max(1, _BLOCK_PAIRS // pool.shape[0])
            for begin in range(0, start.shape[0], block):
                squared = squared_distances(start[begin : begin + block], pool, norms)
                np.minimum(nearest, squared.min(axis=0), out=nearest)
        picks: list[int] = []
        amount = min(self.n_select, pool.shape[0])
        while len(picks) < amount:
            pick = int(rng.integers(pool.shape[0])) if not picks and not start.shape[0] else int(np.argmax(nearest))
            picks.append(pick)
            np.minimum(nearest, squared_distances(pool[pick : pick + 1], pool, norms)[0], out=nearest)
            nearest[pick] = -np.inf  # never again, even among duplicates at distance 0
        return picks, "data_size", self._budget_message()


class NearestToTargetSelector(BaseSelector):
    """Target rows take turns, in a random order, picking their nearest unused pool row.

    Parameters
    ----------
    n_select : int, default=100
    k : int, default=5
        Neighbour rank for ``kl_curve_`` only.
    random_state : int, Generator or None, default=None
        The order of the target rows.

    Notes
    -----
    One round visits every target row once (in one random permutation); rounds repeat until the
    budget is reached. ``init`` is not used.

    Examples
    --------
    >>> import numpy as np
    >>> pool = np.array([[0.0], [0.2], [5.0], [5.1], [9.0]])
    >>> target = np.array([[0.1], [5.05], [0.0], [5.0], [0.05], [5.02]])
    >>> sorted(NearestToTargetSelector(n_select=4, k=2, random_state=0).fit(pool, target).selected_indices_.tolist())
    [0, 1, 2, 3]
    """

    def __init__(self, *, n_select: int = 100, k: int = 5, random_state=None):
        self.n_select = n_select
        self.k = k
        self.random_state = random_state

    def _select(self, pool, target, start, rng):
        amount = min(self.n_select, pool.shape[0])
        n_target = target.shape[0]
        order = rng.permutation(n_target)
        used = np.zeros(pool.shape[0], dtype=bool)
        depth = min(pool.shape[0], 2 * math.ceil(amount / n_target) + 8)
        _, neighbours = knn_squared_distances(target, pool, depth)
        cursor = np.zeros(n_target, dtype=np.int64)
        picks: list[int] = []
        while len(picks) < amount:
            for row in order:
                if len(picks) >= amount:
                    break
                while cursor[row] < depth and used[neighbours[row, cursor[row]]]:
                    cursor[row] += 1
                if cursor[row] == depth:
                    # this row's neighbours are all taken (target rows crowd the same pool rows): every target
                    # row's list, twice as deep, in one search, rather than a scan of the pool per pick
                    depth = min(pool.shape[0], 2 * depth)
                    _, neighbours = knn_squared_distances(target, pool, depth)
                    cursor[:] = 0
                    while used[neighbours[row, cursor[row]]]:
                        cursor[row] += 1
                pick = int(neighbours[row, cursor[row]])
                used[pick] = True
                picks.append(pick)
        return picks, "data_size", self._budget_message()
