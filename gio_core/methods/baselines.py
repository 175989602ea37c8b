"""The obvious alternatives to GIO, with the same inputs, budget and result shape.

* :class:`RandomSelector`: a uniform random sample of the pool.
* :class:`KCenterGreedySelector`: the k-center greedy coreset (Sener & Savarese 2018): each pick is
  the pool row farthest from everything chosen so far. It ignores the target: diversity only.
* :class:`NearestToTargetSelector`: target rows in a random order, round-robin, each taking its
  nearest unused pool row.
* :class:`GreedyKLSelector`: exact greedy minimisation of the standard k-NN estimate of
  KL(target || D u V): every step evaluates the estimator for every unused pool row and keeps the
  best. This is the "naive" objective of Everaert & Potts (2024), which GIO relaxes; it is exact,
  often the strongest, and costs O(n_pool x n_target) per step, so it suits moderate (or quantised)
  pools.

Beside them, in their own modules: :class:`gio_core.tsds.TSDSSelector` (TSDS, optimal transport with
a density-aware diversity term), :class:`gio_core.pursuit.PursuitSelector` (a GTP-style pursuit of the
target's summed vector) and, for raw text only, :class:`gio_core.dsir.DSIRSelector` (DSIR, hashed
n-gram importance resampling; registered in :data:`gio_core.dsir.TEXT_METHODS`, not here, since it
needs the texts).

Each is a scikit-learn style estimator: ``fit(pool, target, init=None)`` returns ``self`` and sets
``selected_indices_`` (pool rows in pick order), ``kl_curve_`` (the standard k-NN KL to ``target``
after each pick, ``nan`` while fewer than ``k`` rows), ``initial_kl_``, ``stop_reason_`` and
``stop_message_``, as :class:`gio_core.GIOSelector` does.

:data:`METHODS` maps a display name to a factory ``(n_select, random_state) -> estimator`` for every
method, GIO and its variants included, so a page or a benchmark can run them all on one budget.
"""

from __future__ import annotations

import logging
import math
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator

from .._validation import (
    as_matrix,
    as_points,
    check_choice,
    check_int,
    check_random_state,
    check_same_dimension,
    check_target_rows,
)
from ..gio.selector import PAPER_GIO_PARAMS, GIOSelector
from ..evaluate.metrics import kl_curve as _kl_curve
from ..gio.neighbors import (
    NearestUnused,
    knn_squared_distances,
    kth_neighbor_distances,
    squared_distances,
    squared_norms,
)

logger = logging.getLogger(__name__)

__all__ = [
    "METHODS",
    "PAPER_GIO_PARAMS",
    "GreedyKLSelector",
    "KCenterGreedySelector",
    "NearestToTargetSelector",
    "RandomSelector",
]

# Pairs held in memory at once when scanning the pool.
_BLOCK_PAIRS = 4_000_000
# GreedyKLSelector keeps the whole pool x target log-distance matrix up to this many entries.
_STORED_PAIRS = 20_000_000


def _gumbel_order(log_weights: NDArray, amount: int, rng: np.random.Generator) -> NDArray[np.int64]:
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


class _BaseSelector(BaseEstimator):
    """Validation, the fitted attributes and the KL curve shared by the baselines."""

    def _select(self, pool: NDArray, target: NDArray, start: NDArray, rng: np.random.Generator
                ) -> tuple[list[int], str, str]:
        raise NotImplementedError

    def fit(self, pool: ArrayLike, target: ArrayLike, init: ArrayLike | None = None) -> "_BaseSelector":
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
        self._curve_inputs = (target, pool[self.selected_indices_], k, start)
        self._curve = None
        self.initial_kl_ = (float(_kl_curve(target, start[-1:], k=k, init=start[:-1])[-1])
                            if start.shape[0] >= k else math.inf)
        self.stop_reason_ = reason
        self.stop_message_ = message
        return self

    @property
    def kl_curve_(self) -> NDArray[np.float64]:
        """Standard k-NN KL(target || init u picks so far) after each pick, measured when first read."""
        if getattr(self, "_curve_inputs", None) is None:
            raise AttributeError("kl_curve_ exists once the selector is fitted; call fit first.")
        if self._curve is None:
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


class RandomSelector(_BaseSelector):
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


class KCenterGreedySelector(_BaseSelector):
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
                squared = squared_distances(start[begin:begin + block], pool, norms)
                np.minimum(nearest, squared.min(axis=0), out=nearest)
        picks: list[int] = []
        amount = min(self.n_select, pool.shape[0])
        while len(picks) < amount:
            pick = int(rng.integers(pool.shape[0])) if not picks and not start.shape[0] else int(np.argmax(nearest))
            picks.append(pick)
            np.minimum(nearest, squared_distances(pool[pick:pick + 1], pool, norms)[0], out=nearest)
            nearest[pick] = -np.inf  # never again, even among duplicates at distance 0
        return picks, "data_size", self._budget_message()


class NearestToTargetSelector(_BaseSelector):
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
        lookup: NearestUnused | None = None
        while len(picks) < amount:
            for row in order:
                if len(picks) >= amount:
                    break
                while cursor[row] < depth and used[neighbours[row, cursor[row]]]:
                    cursor[row] += 1
                if cursor[row] < depth:
                    pick = int(neighbours[row, cursor[row]])
                else:  # this row's precomputed neighbours are all taken: scan the unused rows
                    if lookup is None:
                        lookup = NearestUnused(pool)
                        lookup.reset(~used)
                    pick = lookup.nearest(target[row])
                used[pick] = True
                if lookup is not None:
                    lookup.use(pick)
                picks.append(pick)
        return picks, "data_size", self._budget_message()


class GreedyKLSelector(_BaseSelector):
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
        mean_log_rho = float(np.mean(np.log(kth_neighbor_distances(target, target, k, exclude_self=True,
                                                                   backend="numpy"))))
        # each target row's k smallest log-distances to the sample, ascending (inf where missing)
        nearest = np.full((n_target, k), np.inf)
        if start.shape[0]:
            squared = squared_distances(start, target, target_norms).T
            merged = np.sort(np.concatenate([nearest, 0.5 * np.log(squared)], axis=1), axis=1)
            nearest = np.ascontiguousarray(merged[:, :k])
        size = start.shape[0]

        stored = n_pool * n_target <= _STORED_PAIRS
        log_distances = (0.5 * np.log(squared_distances(pool, target, target_norms)) if stored else None)

        def columns(rows: NDArray) -> NDArray:
            if stored:
                return log_distances[:, rows]
            out = np.empty((n_pool, rows.size))
            block = max(1, _BLOCK_PAIRS // max(rows.size, 1))
            for begin in range(0, n_pool, block):
                out[begin:begin + block] = 0.5 * np.log(
                    squared_distances(pool[begin:begin + block], target[rows], target_norms[rows]))
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
                rows = all_rows[begin:begin + block]
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
                    return picks, "increase", (f"the KL would rise from {old_value:.6g} to {new_value:.6g}, so "
                                               "the selection stops here.")
            used[pick] = True
            picks.append(pick)
            squared = squared_distances(pool[pick:pick + 1], target, target_norms)[0]
            logs = 0.5 * np.log(squared)
            before = nearest.copy()
            merged = np.concatenate([nearest, logs[:, None]], axis=1)
            merged.sort(axis=1)
            nearest[:] = merged[:, :k]
            size += 1
            if size <= k:  # the rank still grows: every row's score changes
                rescore_all(size)
                continue
            changed = np.flatnonzero((nearest[:, -2:] != before[:, -2:]).any(axis=1)) if k >= 2 else \
                np.flatnonzero(nearest[:, -1] != before[:, -1])
            if changed.size:
                logs_changed = columns(changed)
                scores += (after(nearest, logs_changed, changed, size)
                           - after(before, logs_changed, changed, size - 1)).sum(axis=1)
        return picks, "data_size", self._budget_message()


# --------------------------------------------------------------------------------------------------
# the registry

Factory = Callable[[int, object], object]


def _gio(**overrides) -> Factory:
    def make(n_select: int, random_state=None) -> GIOSelector:
        return GIOSelector(**{**overrides, "max_iter": n_select, "stop_criterion": "data_size",
                              "max_data_size": 1.0, "random_state": random_state})
    return make


def _baseline(cls) -> Factory:
    def make(n_select: int, random_state=None):
        return cls(n_select=n_select, random_state=random_state)
    return make


def _beside(module: str, name: str) -> Factory:
    """A baseline defined in a module beside this one, which imports this one (so imported when made)."""
    def make(n_select: int, random_state=None):
        import importlib

        cls = getattr(importlib.import_module(f".{module}", __package__), name)
        return cls(n_select=n_select, random_state=random_state)
    return make


def _methods() -> dict[str, Factory]:
    methods: dict[str, Factory] = {
        "Random": _baseline(RandomSelector),
        "k-center greedy": _baseline(KCenterGreedySelector),
        "Nearest to target": _baseline(NearestToTargetSelector),
        "Greedy k-NN KL": _baseline(GreedyKLSelector),
        "TSDS": _beside("tsds", "TSDSSelector"),
        "GTP-style pursuit": _beside("pursuit", "PursuitSelector"),
        "GIO": _gio(),
    }
    default_v_init = GIOSelector().get_params()["v_init"]
    from ..gio.selector import V_INITS

    for v_init in V_INITS:
        if v_init != default_v_init:
            methods[f"GIO (v_init={v_init})"] = _gio(v_init=v_init)
    defaults = GIOSelector().get_params()
    if any(defaults.get(name) != value for name, value in PAPER_GIO_PARAMS.items()):
        methods["GIO (paper)"] = _gio(**{name: value for name, value in PAPER_GIO_PARAMS.items() if name in defaults})
    return methods


#: display name -> factory(n_select, random_state) returning an estimator with ``fit(pool, target, init)``.
#: Every entry works on plain vectors (DSIR, which needs raw text, is in :data:`gio_core.dsir.TEXT_METHODS`).
#: GIO runs with ``max_iter=n_select``, ``stop_criterion='data_size'`` and ``max_data_size=1.0``, so
#: every method gets the same budget; its defaults otherwise. ``'GIO (paper)'`` (present when the
#: defaults differ from grad-info-opt's) pins every parameter at grad-info-opt 0.1.2's value.
METHODS: dict[str, Factory] = _methods()
