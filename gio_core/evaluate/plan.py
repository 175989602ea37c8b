"""Which rows each method of a comparison runs on, so that a comparison of a big pool fits a memory and time budget.

A comparison runs every method on the same pool, but the methods do not cost the same: TSDS and the GTP-style
pursuit hold several float64 copies of the pool and take ~100 µs a row at 384 dimensions, Random needs
almost nothing, and exact greedy k-NN KL grows with pool x target rows. :func:`plan_methods` decides,
before anything runs, for each method:

- **all rows** when its working memory and its time fit the budgets;
- **a K-means quantisation of all rows** for GIO (the way the app's Select runs a big pool: the pool's
  centroids, :func:`gio_core.scale.suggested_clusters` of them, or fewer where K-means's training sample would not
  fit the memory budget; the budget shared among the chosen clusters);
- **a seeded random sample** of the pool for the other methods (the largest that fits; each method its own
  size, every sample the first rows of one seeded permutation, so a smaller sample lies inside a larger);
- **left out**, with a one-line reason, when even a sample would be too small to mean anything.

The cost models are per pool value (rows x dimensions), set above what ``benchmarks/compare_scale.py
--calibrate`` measured (a 100k x 384 float32 memory map, 100 picks, every method on every row, on a 2-core
machine); they are estimates, not limits the methods check, and have not been checked at 1M rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .._validation import check_float, check_int
from ..scale.sizing import suggested_clusters

__all__ = [
    "COST_MODELS",
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "DEFAULT_SECONDS_PER_METHOD",
    "GREEDY_KL_MAX_PAIRS",
    "MIN_SAMPLE_ROWS",
    "CostModel",
    "MethodPlan",
    "plan_methods",
    "quantised_gio",
]

#: Working memory a comparison may use for one method at a time (pool samples, the method's copies of them,
#: its distance tables), when the caller does not say: 1 GiB.
DEFAULT_MEMORY_BUDGET_BYTES = 1 << 30

#: Seconds a method may be expected to take on a quiet machine before it is given a sample instead of every row.
DEFAULT_SECONDS_PER_METHOD = 30.0

#: A method given fewer sample rows than this (or than ten times the budget) is left out instead: its result
#: would say little about the whole pool.
MIN_SAMPLE_ROWS = 2_000

#: Exact greedy k-NN KL keeps an ``n_pool x n_target`` table of log-distances up to this many entries.
GREEDY_KL_MAX_PAIRS = 20_000_000

_GIO_POINTS_PER_CENTROID = 64  # the K-means training sample (gio_core.scale.quantize.draw_training_rows)
#: The fewest centroids a plan gives GIO when the suggested count's K-means does not fit the memory budget (the
#: lower bound of :func:`gio_core.scale.suggested_clusters`).
_MIN_PLAN_CLUSTERS = 50


@dataclass(frozen=True)
class CostModel:
    """What a method costs per pool value (one row's one dimension).

    Attributes
    ----------
    bytes_per_value : float
        Working memory beyond the pool itself (a float64 copy is 8).
    microseconds_per_value : float
        Time at 100 picks on a quiet machine.
    per_pick : bool
        Time grows with the number of picks (each pick scans the pool).
    quantises : bool
        Past the budgets the method runs on a K-means quantisation of every row (GIO), not on a sample.
    """

    bytes_per_value: float
    microseconds_per_value: float
    per_pick: bool = False
    quantises: bool = False


#: Measured cost models by method name (a name that is not here gets :data:`_UNKNOWN`).
COST_MODELS: dict[str, CostModel] = {
    "Random": CostModel(14.0, 0.03),
    "k-center greedy": CostModel(14.0, 0.05, per_pick=True),
    "Nearest to target": CostModel(21.0, 0.06),
    "TSDS": CostModel(26.0, 0.30),
    "GTP-style pursuit": CostModel(30.0, 0.45, per_pick=True),
    "Greedy k-NN KL": CostModel(16.0, 0.10, per_pick=True),
    "GIO": CostModel(7.0, 0.06, per_pick=True, quantises=True),
}
_UNKNOWN = CostModel(32.0, 0.5, per_pick=True)


def _model(name: str) -> CostModel:
    if name in COST_MODELS:
        return COST_MODELS[name]
    if name.startswith("GIO"):  # GIO's variants ('GIO (paper)', 'GIO (v_init=…)') cost what GIO does
        return COST_MODELS["GIO"]
    return _UNKNOWN


@dataclass(frozen=True)
class MethodPlan:
    """How one method of a comparison is run.

    Attributes
    ----------
    name : str
    rows : int
        Pool rows the method reads: every row, or the size of its sample.
    sampled : bool
        ``rows`` are a seeded random sample of the pool (the first ``rows`` of one permutation).
    n_clusters : int or None
        GIO on a K-means quantisation of every row into this many clusters.
    skip : str or None
        Why the method is left out (one line); None when it runs.
    memory_bytes : int
        Estimated working memory.
    seconds : float
        Estimated time on a quiet machine.
    """

    name: str
    rows: int
    sampled: bool = False
    n_clusters: int | None = None
    skip: str | None = None
    memory_bytes: int = 0
    seconds: float = 0.0

    @property
    def runs(self) -> bool:
        return self.skip is None

    def ran_on(self, n_pool: int) -> str:
        """What the method ran on, in a few words for a table."""
        if self.skip is not None:
            return "left out"
        if self.n_clusters is not None:
            return f"K-means: {self.n_clusters:,} centroids of all {n_pool:,} rows"
        if self.sampled:
            return f"random sample of {self.rows:,} of {n_pool:,} rows"
        return f"all {n_pool:,} rows"


def _megabytes(size: float) -> str:
    return f"{size / 2**20:,.0f} MB"


def plan_methods(
    names: Sequence[str],
    *,
    n_pool: int,
    n_target: int,
    dimensions: int,
    budget: int,
    memory_budget_bytes: int | None = None,
    seconds_per_method: float | None = None,
) -> tuple[MethodPlan, ...]:
    """Decide what each method runs on: every row, GIO on a quantisation, a sample, or nothing (with the reason).

    Parameters
    ----------
    names : sequence of str
        The methods, in order.
    n_pool : int
        Pool rows.
    n_target : int
        Target rows the methods see (after the held-out split).
    dimensions : int
    budget : int
        Picks asked of every method.
    memory_budget_bytes : int, optional
        Working memory a method may use; default :data:`DEFAULT_MEMORY_BUDGET_BYTES`.
    seconds_per_method : float, optional
        Expected seconds a method may take before it is sampled; default :data:`DEFAULT_SECONDS_PER_METHOD`.

    Returns
    -------
    tuple of MethodPlan

    Examples
    --------
    >>> plans = plan_methods(["Random", "TSDS", "GIO"], n_pool=1_000_000, n_target=1_400, dimensions=384, budget=100)
    >>> [plan.ran_on(1_000_000) for plan in plans]  # doctest: +NORMALIZE_WHITESPACE
    ['random sample of 155,344 of 1,000,000 rows', 'random sample of 93,206 of 1,000,000 rows',
     'K-means: 2,000 centroids of all 1,000,000 rows']
    >>> plan_methods(["TSDS"], n_pool=5_000, n_target=100, dimensions=384, budget=100)[0].ran_on(5_000)
    'all 5,000 rows'
    """
    n_pool = check_int(n_pool, "n_pool", minimum=1)
    n_target = check_int(n_target, "n_target", minimum=1)
    dimensions = check_int(dimensions, "dimensions", minimum=1)
    budget = check_int(budget, "budget", minimum=1)
    memory = DEFAULT_MEMORY_BUDGET_BYTES if memory_budget_bytes is None else memory_budget_bytes
    memory = check_int(memory, "memory_budget_bytes", minimum=1)
    seconds = DEFAULT_SECONDS_PER_METHOD if seconds_per_method is None else seconds_per_method
    seconds = check_float(seconds, "seconds_per_method", minimum=0.0, exclusive_minimum=True)
    return tuple(_plan_one(name, n_pool, n_target, dimensions, budget, memory, seconds) for name in names)


def _plan_one(
    name: str, n_pool: int, n_target: int, dimensions: int, budget: int, memory: int, seconds: float
) -> MethodPlan:
    model = _model(name)
    picks = max(1.0, budget / 100) if model.per_pick else 1.0
    # a sampled method also holds its float32 sample (4 bytes a value) besides its own copies
    row_bytes = (model.bytes_per_value + 4.0) * dimensions
    row_seconds = model.microseconds_per_value * 1e-6 * dimensions * picks
    fits = math.floor(min(memory / row_bytes, seconds / row_seconds))
    if name == "Greedy k-NN KL":
        fits = min(fits, GREEDY_KL_MAX_PAIRS // n_target)
    if fits >= n_pool:
        return MethodPlan(
            name, n_pool, memory_bytes=int(model.bytes_per_value * dimensions * n_pool), seconds=n_pool * row_seconds
        )
    why = "memory" if memory / row_bytes <= seconds / row_seconds else "time"
    if model.quantises:
        clusters = suggested_clusters(n_pool)
        quantised_bytes = _quantised_bytes(n_pool, clusters, dimensions)
        if quantised_bytes > memory:
            # fewer centroids, so that K-means's training sample (64 rows a centroid) fits the budget; on a pool of
            # at most 64 K rows the sample is every row and costs more than GIO on all of them would
            fewer = (memory - n_pool * 24) // (_GIO_POINTS_PER_CENTROID * dimensions * 12)
            if fewer >= _MIN_PLAN_CLUSTERS:
                clusters = min(clusters, int(fewer))
                quantised_bytes = _quantised_bytes(n_pool, clusters, dimensions)
        assign_seconds = 11e-6 * n_pool * dimensions / 384  # the assignment rate measured at 384-d
        if quantised_bytes <= memory:
            return MethodPlan(
                name, n_pool, n_clusters=clusters, memory_bytes=int(quantised_bytes), seconds=assign_seconds
            )
        return MethodPlan(
            name,
            0,
            skip=f"{name} is left out: even quantised to {clusters:,} centroids it needs about "
            f"{_megabytes(quantised_bytes)}, more than the comparison's memory budget of {_megabytes(memory)}.",
        )
    smallest = max(MIN_SAMPLE_ROWS, 10 * budget)
    if fits < smallest:
        limit = f"the memory budget of {_megabytes(memory)}" if why == "memory" else f"{seconds:.0f} s a method"
        if name == "Greedy k-NN KL" and fits == GREEDY_KL_MAX_PAIRS // n_target:
            limit = f"its table of pool x {n_target:,} target rows (at most {GREEDY_KL_MAX_PAIRS:,} pairs)"
        return MethodPlan(
            name,
            0,
            skip=f"{name} is left out: within {limit} it could read only {max(fits, 0):,} of the "
            f"{n_pool:,} pool rows, fewer than the {smallest:,} a fair sample needs. "
            "Give the comparison more memory, a smaller budget or a smaller target.",
        )
    return MethodPlan(
        name,
        fits,
        sampled=True,
        memory_bytes=int(row_bytes * fits),
        seconds=fits * row_seconds,
    )


def _quantised_bytes(n_pool: int, clusters: int, dimensions: int) -> int:
    """GIO's working memory on K-means: the training sample (at most every row) in float32 and float64, plus each
    row's label and distance."""
    return min(n_pool, clusters * _GIO_POINTS_PER_CENTROID) * dimensions * 12 + n_pool * 24


def quantised_gio(estimator, plan: MethodPlan, n_pool: int, budget: int):
    """GIO as the app's Select runs a big pool: on ``plan.n_clusters`` centroids of every row, free to pick any of
    them, the budget shared among the chosen clusters by the target rows nearest each (the rows the target's turns
    claim first, ``explode='share_turns'``)."""
    assert plan.n_clusters is not None
    return estimator.set_params(
        n_clusters=plan.n_clusters,
        max_iter=plan.n_clusters,
        stop_criterion="data_size",
        max_data_size=min(1.0, (budget + 0.5) / n_pool),
        explode="share_turns",
    )
