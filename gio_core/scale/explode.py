"""From chosen K-means centroids back to pool rows.

GIO at scale (Everaert & Potts 2024, section 3.3) runs on centroids; its picks must then become rows.
The paper takes **every** row of each chosen cluster (``explode='all'``). With a row budget that is a
poor match for the target: a budget of 25% of the rows buys a quarter of the clusters at full density
and nothing of the other three quarters (on Fashion-MNIST self-selection that lost 2 points of accuracy
to random rows; README "Real data"). ``explode='target_share'`` (ours) instead spends the budget over
**all** chosen clusters in proportion to the target mass each one stands for: every target row (or
target centroid, weighted by its rows) is given to its nearest chosen centroid, and a cluster's quota of
rows is the budget times its share, capped at its size, the excess passed on to the others.

Which rows of a cluster fill its quota: those nearest the target (:func:`nearest_target_distances`, each
row's distance to its nearest target row, or target centroid when only those are at hand), ties broken
by :func:`row_priority`, a seeded hash of the row's global number. Nearest first is what the k-NN
estimate of KL(target || selection) rewards (each target row's k-th nearest selected row comes closer),
and it keeps rows of a mixed cluster that the target does not hold out of the quota (measured on
Fashion-MNIST, README "Real data"); when the target is the pool itself every distance is 0 and the hash
alone decides, which is stratified random sampling. Both keys are functions of the row alone, so the
in-process engine and a distributed one (Spark: a window over the cluster ordered by the two keys)
choose the very same rows.

``explode='share_turns'`` keeps those quotas but chooses a partly taken cluster's rows by the target's rows
taking turns (:mod:`gio_core.scale.turns`): each target row, in a seeded order, claims its nearest untaken row
of the chosen clusters whose cluster still has room, round after round; lists one search deep
(:func:`gio_core.scale.turns.quota_depth`); what the claims leave of a quota is filled nearest the target first
(:func:`fill_quotas`). So every target row gets rows near it, as nearest-to-target matching gives, while the
centroids, not single rows, decide how much each cluster gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..io.largefiles import take_rows
from .assign import assign_rows, centroid_index, nearest_distances

__all__ = [
    "EXPLODE_MODES",
    "Rooms",
    "allocate_rows",
    "budget_quotas",
    "distances_to_target",
    "distinct_in_order",
    "explode_rows",
    "fill_quotas",
    "nearest_target_distances",
    "row_priority",
    "target_shares",
]

#: ``'all'``: every row of a chosen cluster (the paper); ``'target_share'``: the row budget shared by target mass;
#: ``'target_turns'``: the row budget filled by the target's rows taking turns (:mod:`gio_core.scale.turns`);
#: ``'share_turns'``: the target-share quotas, each filled first by the rows the target's turns claim.
EXPLODE_MODES = ("all", "target_share", "target_turns", "share_turns")

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def row_priority(rows: NDArray, seed: int) -> NDArray[np.uint64]:
    """A seeded pseudo-random priority per global row number (SplitMix64 of ``row + seed * golden``).

    Parameters
    ----------
    rows : ndarray of int
        Global row numbers (0-based, in the pool's file order).
    seed : int
        Non-negative; the run's explode seed.

    Returns
    -------
    ndarray of uint64
        The same for the same (row, seed) on every machine and engine.

    Examples
    --------
    >>> bool(row_priority(np.array([0, 1]), 7)[0] == row_priority(np.array([0]), 7)[0])
    True
    """
    with np.errstate(over="ignore"):
        value = np.asarray(rows, dtype=np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        value = (value + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        value = ((value ^ (value >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        value = ((value ^ (value >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return value ^ (value >> np.uint64(31))


def nearest_target_distances(vectors: NDArray, target_points: NDArray) -> NDArray[np.float64]:
    """Each row's Euclidean distance to its nearest target point, in float64.

    The nearest point is found with exact handling of float32 near-ties and the distance computed in
    float64 (:func:`gio_core.scale.assign.nearest_distances`, what both engines use), so the value does not
    depend on how rows were batched.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    target_points : ndarray of shape (n_target, d)

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    if len(vectors) == 0:
        return np.empty(0)
    return nearest_distances(centroid_index(np.asarray(target_points)), vectors)


def target_shares(
    chosen_centers: NDArray, target_points: NDArray, target_weights: NDArray | None = None
) -> NDArray[np.float64]:
    """Target mass nearest to each chosen centroid.

    Parameters
    ----------
    chosen_centers : ndarray of shape (n_chosen, d)
    target_points : ndarray of shape (n_target, d)
        Target rows, or target centroids.
    target_weights : ndarray of shape (n_target,), optional
        Rows behind each target point (its cluster size when quantised); default 1 each.

    Returns
    -------
    ndarray of shape (n_chosen,)
        Sum of the weights of the target points whose nearest chosen centroid is this one.
    """
    nearest = assign_rows(centroid_index(np.asarray(chosen_centers)), target_points)
    weights = np.ones(len(target_points)) if target_weights is None else np.asarray(target_weights, dtype=np.float64)
    return np.bincount(nearest, weights=weights, minlength=len(chosen_centers)).astype(np.float64)


def allocate_rows(cluster_sizes: NDArray, shares: NDArray, row_budget: int) -> NDArray[np.int64]:
    """Split ``row_budget`` rows over clusters in proportion to ``shares``, capped at each cluster's size.

    Water-filling: a cluster whose proportional quota exceeds its size keeps all its rows and the
    excess is shared among the rest; fractions are rounded by largest remainder (ties to the earlier
    cluster), so the quotas add up to ``min(row_budget, sum(cluster_sizes))`` exactly.

    Parameters
    ----------
    cluster_sizes : ndarray of int, shape (n,)
    shares : ndarray of float, shape (n,)
        Non-negative; clusters with share 0 get rows only once every other cluster is full.
    row_budget : int

    Returns
    -------
    ndarray of int64, shape (n,)

    Examples
    --------
    >>> allocate_rows(np.array([10, 2, 10]), np.array([1.0, 1.0, 2.0]), 8).tolist()
    [2, 2, 4]
    >>> allocate_rows(np.array([10, 1, 10]), np.array([1.0, 1.0, 2.0]), 9).tolist()
    [3, 1, 5]
    """
    sizes = np.asarray(cluster_sizes, dtype=np.int64)
    weights = np.asarray(shares, dtype=np.float64)
    if sizes.shape != weights.shape:
        raise ValueError(
            f"cluster_sizes has {sizes.shape} entries and shares {weights.shape}; pass one share per cluster."
        )
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise ValueError("shares must be finite and non-negative.")
    budget = int(min(max(int(row_budget), 0), int(sizes.sum())))
    quotas = np.zeros(sizes.shape, dtype=np.int64)
    if budget == 0:
        return quotas
    if weights.sum() == 0:
        weights = sizes.astype(np.float64)
    open_clusters = weights > 0
    remaining = budget
    while remaining > 0 and open_clusters.any():
        room = sizes - quotas
        ideal = np.zeros(sizes.shape)
        ideal[open_clusters] = remaining * weights[open_clusters] / weights[open_clusters].sum()
        full = open_clusters & (ideal >= room)
        if full.any():  # these take all they can; share the rest again
            quotas[full] += room[full]
            remaining -= int(room[full].sum())
            open_clusters &= ~full
            continue
        whole = np.floor(ideal).astype(np.int64)
        quotas += whole
        remaining -= int(whole.sum())
        if remaining > 0:
            fraction = np.where(open_clusters & (quotas < sizes), ideal - whole, -1.0)
            order = np.argsort(-fraction, kind="stable")[:remaining]
            quotas[order] += 1
            remaining = 0
    if remaining > 0:  # every cluster with a share is full: fill the zero-share clusters in size order
        for cluster in np.argsort(-(sizes - quotas), kind="stable"):
            take = min(remaining, int(sizes[cluster] - quotas[cluster]))
            quotas[cluster] += take
            remaining -= take
            if remaining == 0:
                break
    return quotas


def explode_rows(
    members_of,
    clusters: NDArray,
    quotas: NDArray | None,
    seed: int,
    *,
    distances_of=None,
    turns_of: Callable[..., NDArray[np.int64] | None] | None = None,
    keep_quotas: bool = False,
) -> NDArray[np.int64]:
    """Rows of the chosen clusters, in the clusters' order; with quotas, the budget's rows nearest the target.

    Parameters
    ----------
    members_of : callable
        ``members_of(cluster)`` gives the global row numbers of one cluster.
    clusters : ndarray of int
        Chosen clusters in pick order (a repeat counts once).
    quotas : ndarray of int or None
        Rows to take from each distinct cluster, in first-pick order (``None``: all, as ``explode='all'``).
    seed : int
        Seed of :func:`row_priority` (and of the turns' order).
    distances_of : callable, optional
        ``distances_of(rows)`` gives each row's distance to the target (:func:`nearest_target_distances`);
        without it the priority alone orders a cluster.
    turns_of : callable, optional
        ``turns_of(rows, amount)``: the ``amount`` rows of ``rows`` that the target's rows take by turns
        (:func:`gio_core.scale.turns.turns_in_batches`), in the order taken, or None when that search is too
        big. With it, the budget (``quotas.sum()``) is filled that way from every row of the chosen clusters,
        whatever each cluster's quota; ``distances_of`` and the quotas are the fallback.
    keep_quotas : bool, default=False
        With ``turns_of`` (``explode='share_turns'``): each cluster gives its quota, the rows its target's turns
        claim first (``turns_of(rows, amount, rooms)``), the rest nearest the target (:func:`fill_quotas`).

    Returns
    -------
    ndarray of int64
        Grouped by cluster in first-pick order. Within a cluster, with turns: in the order taken; with
        quotas: nearest the target first, ties by priority; without: increasing order.
    """
    chosen = distinct_in_order(clusters)
    members = [np.asarray(members_of(int(cluster)), dtype=np.int64) for cluster in chosen]
    if quotas is None:
        return np.concatenate(members) if members else np.empty(0, dtype=np.int64)
    amount = int(np.sum(quotas))
    if turns_of is not None and members and amount < sum(rows.size for rows in members):
        if keep_quotas:
            every = np.concatenate(members)
            group = np.repeat(np.arange(len(members)), [rows.size for rows in members])
            by_row = np.argsort(every, kind="stable")
            rooms = Rooms(every[by_row], group[by_row], np.asarray(quotas, dtype=np.int64))
            taken = turns_of(every, amount, rooms)
            if taken is not None:
                taken = fill_quotas(members, quotas, np.asarray(taken, dtype=np.int64), seed, distances_of)
        else:
            taken = turns_of(np.concatenate(members), amount)
        if taken is not None:
            return _grouped(members, np.asarray(taken, dtype=np.int64))
    # only clusters that give part of their rows need an order by distance
    partial = [int(quotas[position]) < rows.size for position, rows in enumerate(members)]
    parts = _first_rows(members, quotas, seed, distances_of, by_distance=partial)
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _first_rows(
    parts: list[NDArray[np.int64]],
    counts: NDArray,
    seed: int,
    distances_of: Callable[[NDArray[np.int64]], NDArray] | None,
    *,
    by_distance: list[bool],
) -> list[NDArray[np.int64]]:
    """Each part's first ``counts[i]`` rows: a part flagged in ``by_distance`` nearest the target first (the
    distances of every flagged part in one ``distances_of`` call), ties and the other parts by
    :func:`row_priority`."""
    flagged = [position for position, flag in enumerate(by_distance) if flag]
    distances: dict[int, NDArray] = {}
    if distances_of is not None and flagged:
        every = np.asarray(distances_of(np.concatenate([parts[position] for position in flagged])), dtype=np.float64)
        bounds = np.cumsum([0] + [parts[position].size for position in flagged])
        distances = {position: every[bounds[i] : bounds[i + 1]] for i, position in enumerate(flagged)}
    chosen = []
    for position, rows in enumerate(parts):
        if int(counts[position]) <= 0:
            chosen.append(rows[:0])
            continue
        priority = row_priority(rows, seed)
        if position in distances:
            order = np.lexsort((priority, distances[position]))
        else:
            order = np.argsort(priority, kind="stable")
        chosen.append(rows[order[: int(counts[position])]])
    return chosen


def fill_quotas(
    members: list[NDArray[np.int64]],
    quotas: NDArray,
    taken: NDArray[np.int64],
    seed: int,
    distances_of: Callable[[NDArray[np.int64]], NDArray] | None = None,
) -> NDArray[np.int64]:
    """``taken`` (rows the target's turns claimed, no cluster past its quota), then what each cluster's quota
    still lacks: its untaken rows nearest the target first (``distances_of``), ties by :func:`row_priority`.

    Parameters
    ----------
    members : list of ndarray of int64
        Each chosen cluster's rows, in cluster order.
    quotas : ndarray of int
        Rows each cluster gives.
    taken : ndarray of int64
        Rows taken already, each of some cluster of ``members``.
    seed : int
    distances_of : callable, optional
        ``distances_of(rows)``: each row's distance to the target (without it the priority alone orders).

    Returns
    -------
    ndarray of int64
        ``taken``, then the clusters' fill rows in cluster order.

    Examples
    --------
    >>> fill_quotas([np.array([1, 2, 3]), np.array([7, 8])], np.array([2, 1]), np.array([8, 3]), seed=0,
    ...             distances_of=lambda rows: rows.astype(float)).tolist()
    [8, 3, 1]
    """
    sizes = np.array([rows.size for rows in members], dtype=np.int64)
    untaken = ~np.isin(np.concatenate(members), taken)  # one search over every cluster's rows
    rest = [rows[keep] for rows, keep in zip(members, np.split(untaken, np.cumsum(sizes)[:-1]))]
    need = np.asarray(quotas, dtype=np.int64) - (sizes - np.array([left.size for left in rest], dtype=np.int64))
    if (need < 0).any():
        raise AssertionError("a cluster gave more rows than its quota; please report this.")
    return np.concatenate([taken, *_first_rows(rest, need, seed, distances_of, by_distance=list(need > 0))])


@dataclass(frozen=True)
class Rooms:
    """How many rows each group of candidates (a chosen cluster) may give at most.

    Attributes
    ----------
    rows : ndarray of int64
        Every candidate row, increasing.
    group : ndarray of int64
        Each row's group, ``0 … n_groups - 1``.
    capacity : ndarray of int64, shape (n_groups,)
        Rows each group may give.
    """

    rows: NDArray[np.int64]
    group: NDArray[np.int64]
    capacity: NDArray[np.int64]

    def of(self, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """The groups of some candidate rows."""
        return self.group[np.searchsorted(self.rows, rows)]


def _grouped(members: list[NDArray[np.int64]], taken: NDArray[np.int64]) -> NDArray[np.int64]:
    """The taken rows grouped by cluster (``members`` in cluster order), each cluster's in the order taken."""
    by_row = np.argsort(taken, kind="stable")
    sorted_taken = taken[by_row]
    parts = []
    for rows in members:
        at = np.minimum(np.searchsorted(sorted_taken, rows), max(sorted_taken.size - 1, 0))
        hit = sorted_taken[at] == rows if sorted_taken.size else np.zeros(rows.size, dtype=bool)
        turn = by_row[at[hit]]
        parts.append(rows[hit][np.argsort(turn, kind="stable")])
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def distinct_in_order(clusters: NDArray) -> NDArray[np.int64]:
    """Each cluster once, at its first pick (picks repeat after pool resets)."""
    clusters = np.asarray(clusters, dtype=np.int64)
    _, first = np.unique(clusters, return_index=True)
    return clusters[np.sort(first)]


def distances_to_target(matrix, target_points: NDArray) -> Callable[[NDArray], NDArray[np.float64]]:
    """``distances_of(rows)`` for :func:`explode_rows`: each given row of ``matrix``'s distance to its nearest
    target point (one index over the points, the rows read when asked)."""
    index = centroid_index(np.asarray(target_points))
    return lambda rows: nearest_distances(index, take_rows(matrix, rows)) if len(rows) else np.empty(0)


def budget_quotas(
    chosen_centers: NDArray,
    chosen_counts: NDArray,
    target_points: NDArray,
    target_weights: NDArray | None,
    row_budget: int,
) -> NDArray[np.int64]:
    """``explode='target_share'``: a row budget shared over the chosen clusters by the target mass nearest each.

    Parameters
    ----------
    chosen_centers : ndarray of shape (n_chosen, d)
        The distinct chosen centroids, in first-pick order.
    chosen_counts : ndarray of int, shape (n_chosen,)
        Their clusters' sizes.
    target_points : ndarray of shape (n_target, d)
        Target rows (each weighs 1) or, with ``target_weights``, target centroids (each weighs its rows, a
        coarser split).
    target_weights : ndarray of shape (n_target,) or None
    row_budget : int

    Returns
    -------
    ndarray of int64, shape (n_chosen,)
        Rows to take from each chosen cluster (:func:`allocate_rows`).
    """
    shares = target_shares(chosen_centers, target_points, target_weights)
    return allocate_rows(chosen_counts, shares, row_budget)
