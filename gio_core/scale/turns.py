"""Target rows take turns: which rows of the chosen clusters a row budget takes (``explode='share_turns'``, the
default, and ``'target_turns'``).

With a data-size budget (``stop_criterion='data_size'``) GIO picks clusters, and the budget is then filled from
their rows. The target's rows take turns, in a seeded random order, each taking its nearest row of the chosen
clusters that no one has taken yet, round after round: nearest-to-target matching, confined to the clusters GIO
chose, so every target row gets rows near it.

- ``'share_turns'`` (the default): each chosen cluster keeps its ``'target_share'`` quota
  (:class:`gio_core.scale.explode.Rooms`): a claim on a row of a full cluster is passed over; the lists are
  searched once, :func:`quota_depth` deep, a target row whose list runs out takes no more turns, and what the
  turns leave of a quota is filled nearest the target (:func:`gio_core.scale.explode.fill_quotas`).
- ``'target_turns'``: no quotas; the turns go on until the budget is spent, the lists searched deeper
  (:func:`next_depth`) whenever one runs out.

Measured (``benchmarks/real_data.py``, ``benchmarks/quantised_quality.py``, README "Quality at scale"): on
Fashion-MNIST target shift over ten seeds ``'share_turns'`` beats ``'target_share'`` on all six groups (+0.3 to
+1.7 points) and ``'target_turns'`` on five; on overlapping mixtures
``'target_turns'`` keeps fewer rows in the target (0.91-0.96 against 0.97-0.99 with 50 target centres, 0.51-0.53
against 0.69-0.74 in 128-d), as a target row's single nearest rows include other centres' rows more often than a
centroid's share does, while ``'share_turns'`` keeps what the share keeps (0.95-0.99 and 0.70-0.74).

The lists the target rows take from are found batch by batch (:func:`nearest_in_batch`: faiss proposes, exact
float64 distances decide, ties go by :func:`gio_core.scale.explode.row_priority`) and merged
(:func:`merge_lists`), so an engine that holds the rows in batches on executors (Spark) builds the same lists
as this process does, and :func:`take_turns` takes the same rows from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .assign import _RELATIVE_ERROR
from .explode import Rooms, row_priority

__all__ = [
    "NearestLists",
    "Rooms",
    "list_depth",
    "merge_lists",
    "nearest_in_batch",
    "next_depth",
    "quota_depth",
    "take_turns",
    "turns_in_batches",
]

#: Candidates faiss proposes per target row beyond the list's depth, so that float32 near-ties at the cut are
#: settled by exact distances.
_MARGIN = 8

#: Row-target pairs measured exactly at a time (a few MB).
_PAIRS_PER_BLOCK = 4096

_NO_PRIORITY = np.iinfo(np.uint64).max


@dataclass(frozen=True)
class NearestLists:
    """Each target row's nearest candidate rows, nearest first (exact squared distance, then row priority).

    Attributes
    ----------
    rows : ndarray of int64, shape (n_target, depth)
        Global row numbers; -1 past the end of a list shorter than ``depth``.
    squared : ndarray of float64, shape (n_target, depth)
        Exact squared distances; inf past the end.
    priority : ndarray of uint64, shape (n_target, depth)
        :func:`gio_core.scale.explode.row_priority` of each row, the tie-break.
    """

    rows: NDArray[np.int64]
    squared: NDArray[np.float64]
    priority: NDArray[np.uint64]

    @property
    def depth(self) -> int:
        return int(self.rows.shape[1])

    @classmethod
    def empty(cls, n_target: int) -> NearestLists:
        return cls(
            np.empty((n_target, 0), dtype=np.int64),
            np.empty((n_target, 0), dtype=np.float64),
            np.empty((n_target, 0), dtype=np.uint64),
        )


def list_depth(amount: int, n_target: int) -> int:
    """How deep each target row's list is first searched: twice its fair share of ``amount``, plus 8.

    Examples
    --------
    >>> list_depth(6000, 1000), list_depth(10, 1000)
    (20, 10)
    """
    return 2 * math.ceil(amount / max(n_target, 1)) + 8


def _sorted(rows: NDArray, squared: NDArray, priority: NDArray, depth: int) -> NearestLists:
    """Each target row's entries ordered by (squared distance, priority), the first ``depth`` kept.

    Two stable sorts along each row (by priority, then by distance) give that order; one sort of every entry
    by (row, distance, priority) took twenty times as long on lists thousands deep.
    """
    by_priority = np.argsort(priority, axis=1, kind="stable")
    by_distance = np.argsort(np.take_along_axis(squared, by_priority, axis=1), axis=1, kind="stable")
    order = np.take_along_axis(by_priority, by_distance[:, :depth], axis=1)
    return NearestLists(
        np.take_along_axis(rows, order, axis=1),
        np.take_along_axis(squared, order, axis=1),
        np.take_along_axis(priority, order, axis=1),
    )


def _exact_squared(target: NDArray[np.float32], vectors: NDArray[np.float32], found: NDArray) -> NDArray[np.float64]:
    """Exact float64 squared distances of target row i to ``vectors[found[i, j]]``, each pair summed the same
    way whatever the batch."""
    n_target, width = found.shape
    owner = np.repeat(np.arange(n_target), width)
    flat = found.ravel()
    squared = np.empty(flat.size)
    for start in range(0, flat.size, _PAIRS_PER_BLOCK):
        pairs = slice(start, start + _PAIRS_PER_BLOCK)
        # float32 to float64 is exact, so this is the float64 difference of the two points
        difference = np.subtract(vectors[flat[pairs]], target[owner[pairs]], dtype=np.float64)
        squared[pairs] = np.einsum("ij,ij->i", difference, difference)
    return squared.reshape(n_target, width)


def nearest_in_batch(target: NDArray, rows: NDArray[np.int64], vectors: NDArray, depth: int, seed: int) -> NearestLists:
    """Each target row's ``depth`` nearest of one batch of candidate rows.

    faiss proposes ``depth`` + 8 candidates in float32; their exact float64 distances order them, ties by the
    rows' priority. A target row whose last proposal lies within float32's error of its ``depth``-th is
    proposed more candidates (4 times as many past ``depth``, again while the cut is unclear, up to the whole
    batch), so the lists depend on the rows and the target alone, not on how the rows were batched.

    Parameters
    ----------
    target : ndarray of shape (n_target, d)
    rows : ndarray of int64, shape (n,)
        Global row numbers of the batch.
    vectors : ndarray of shape (n, d)
        Their vectors.
    depth : int
    seed : int
        Seed of the priority.

    Returns
    -------
    NearestLists
        Of depth ``min(depth, n)``.
    """
    import faiss

    target32 = np.ascontiguousarray(target, dtype=np.float32)
    vectors32 = np.ascontiguousarray(vectors, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64)
    n_target, n = target32.shape[0], rows.size
    depth = min(int(depth), n)
    if depth == 0:
        return NearestLists.empty(n_target)
    every_row = np.broadcast_to(np.arange(n), (n_target, n))
    proposed = min(n, depth + _MARGIN)
    if proposed == n:  # every row of the batch is a candidate of every target row
        return _measured(target32, vectors32, rows, every_row, depth, seed)
    index = faiss.IndexFlatL2(vectors32.shape[1])
    index.add(vectors32)
    norms = np.einsum("ij,ij->i", target32, target32, dtype=np.float64)
    window = (
        2.0 * _RELATIVE_ERROR * (norms + float(np.einsum("ij,ij->i", vectors32, vectors32, dtype=np.float64).max()))
    )
    rows_out = np.empty((n_target, depth), dtype=np.int64)
    squared_out = np.empty((n_target, depth))
    priority_out = np.empty((n_target, depth), dtype=np.uint64)
    waiting = np.arange(n_target)
    while waiting.size:
        if proposed == n:  # the cut is not clear even among most rows: every row of the batch is a candidate
            found = every_row[: waiting.size]
            clear = np.ones(waiting.size, dtype=bool)
        else:
            distances, found = index.search(target32[waiting], proposed)
            clear = distances[:, -1] > distances[:, depth - 1] + window[waiting]
        done = waiting[clear]
        if done.size:
            lists = _measured(target32[done], vectors32, rows, found[clear], depth, seed)
            rows_out[done], squared_out[done], priority_out[done] = lists.rows, lists.squared, lists.priority
        waiting = waiting[~clear]
        proposed = min(n, depth + 4 * (proposed - depth))
    return NearestLists(rows_out, squared_out, priority_out)


def _measured(
    target32: NDArray, vectors32: NDArray, rows: NDArray[np.int64], found: NDArray, depth: int, seed: int
) -> NearestLists:
    """Lists from the candidates ``found`` (positions in the batch, per target row), measured exactly."""
    global_rows = rows[found]
    return _sorted(global_rows, _exact_squared(target32, vectors32, found), row_priority(global_rows, seed), depth)


def merge_lists(parts: Iterable[NearestLists], depth: int, n_target: int) -> NearestLists:
    """The ``depth`` nearest of each target row over several batches' lists (a row lies in one batch only),
    merged one batch at a time."""
    merged = NearestLists.empty(n_target)
    for part in parts:
        if not part.depth:
            continue
        merged = _sorted(
            np.concatenate([merged.rows, part.rows], axis=1),
            np.concatenate([merged.squared, part.squared], axis=1),
            np.concatenate([merged.priority, part.priority], axis=1),
            depth,
        )
    return merged


def take_turns(lists: NearestLists, amount: int, seed: int, rooms: Rooms | None = None) -> NDArray[np.int64] | None:
    """Target rows take turns at their nearest untaken row until ``amount`` rows are taken.

    The target rows go in one seeded random order, every round. In a round each target row claims its nearest
    untaken row; a row claimed by several goes to the first of them in the order, and the others claim again
    until each has one (in the last round only the first target rows in the order that the budget still
    allows take part).

    Parameters
    ----------
    lists : NearestLists
        Every target row's nearest candidates (:func:`nearest_in_batch`, :func:`merge_lists`).
    amount : int
        Rows to take; at most the number of candidate rows.
    seed : int
        Seeds the order of the target rows.
    rooms : Rooms, optional
        Most rows each group (chosen cluster) may give: a claim on a row of a full group is passed over like
        a taken row, and a group's last places go to its first claimants in the turn order.

    Returns
    -------
    ndarray of int64 or None
        The rows taken, in the order they were taken; None when some target row ran out of its list before
        ``amount`` rows were taken (search deeper and call again: the rows taken then do not depend on the
        depth).

    Examples
    --------
    >>> lists = NearestLists(
    ...     np.array([[10, 11, 12], [10, 12, 11]]), np.zeros((2, 3)), np.zeros((2, 3), dtype=np.uint64)
    ... )
    >>> sorted(take_turns(lists, 3, seed=0).tolist())
    [10, 11, 12]
    """
    return _turns(lists, amount, seed, rooms)[0]


def _turns(
    lists: NearestLists, amount: int, seed: int, rooms: Rooms | None = None, *, partial: bool = False
) -> tuple[NDArray[np.int64] | None, int]:
    """:func:`take_turns`, and how many rows were taken before a list ran out (``amount`` when none did).

    With ``partial``, a target row whose list runs out takes no further turns, and the rows taken until every
    list ran out (or ``amount`` were taken) are returned.
    """
    n_target, depth = lists.rows.shape
    if amount <= 0:
        return np.empty(0, dtype=np.int64), 0
    order = np.random.default_rng(seed).permutation(n_target)
    ranked = lists.rows[order]
    present = ranked >= 0
    names, compact = np.unique(ranked[present], return_inverse=True)
    choices = np.full((n_target, depth + 1), -1, dtype=np.int64)  # a -1 past every list's end
    choices[:, :depth][present] = compact
    taken = np.zeros(names.size, dtype=bool)
    if rooms is not None:
        group = rooms.of(names)
        left = rooms.capacity.astype(np.int64)
        full = left[group] <= 0
    cursor = np.zeros(n_target, dtype=np.int64)
    active = np.ones(n_target, dtype=bool)
    picked: list[NDArray[np.int64]] = []
    remaining = int(amount)
    while remaining > 0:
        claimants = np.flatnonzero(active)[:remaining]  # positions in the turn order
        if not claimants.size:
            break
        claimed_by = np.empty(0, dtype=np.int64)
        claimed = np.empty(0, dtype=np.int64)
        while claimants.size:
            while True:  # move each claimant past the rows taken already
                choice = choices[claimants, np.minimum(cursor[claimants], depth)]
                ran_out = choice < 0
                if ran_out.any():
                    if not partial:
                        return None, amount - remaining + int(claimed.size)
                    active[claimants[ran_out]] = False
                    claimants, choice = claimants[~ran_out], choice[~ran_out]
                    if not claimants.size:
                        break
                behind = taken[choice] if rooms is None else taken[choice] | full[choice]
                if not behind.any():
                    break
                cursor[claimants[behind]] += 1
            if not claimants.size:
                break
            names_claimed, first = np.unique(choice, return_index=True)
            if rooms is not None:  # a group's last places go to its first claimants in the turn order
                groups_claimed = group[names_claimed]
                by_group = np.lexsort((first, groups_claimed))
                sorted_groups = groups_claimed[by_group]
                rank = np.arange(by_group.size) - np.searchsorted(sorted_groups, sorted_groups)
                within = np.empty(by_group.size, dtype=bool)
                within[by_group] = rank < left[sorted_groups]
                names_claimed, first = names_claimed[within], first[within]
                np.subtract.at(left, group[names_claimed], 1)
                full = left[group] <= 0
            winners = claimants[first]
            taken[names_claimed] = True
            cursor[winners] += 1
            claimed_by = np.concatenate([claimed_by, winners])
            claimed = np.concatenate([claimed, names_claimed])
            losers = np.ones(claimants.size, dtype=bool)
            losers[first] = False
            claimants = claimants[losers]
        picked.append(claimed[np.argsort(claimed_by, kind="stable")])
        remaining -= int(claimed.size)
    return names[np.concatenate(picked)] if picked else np.empty(0, dtype=np.int64), int(amount) - remaining


#: Most list entries (target rows x depth) a search may hold (half a GB of row numbers); a run that would need
#: more takes the rows of each cluster nearest the target instead (:func:`turns_in_batches` returns None).
MAX_LIST_ENTRIES = 1 << 26


def turns_in_batches(
    batches: Callable[[], Iterable[tuple[NDArray[np.int64], NDArray]]] | None,
    target: NDArray,
    amount: int,
    seed: int,
    *,
    n_candidates: int,
    lists_of: Callable[[int], NearestLists] | None = None,
    rooms: Rooms | None = None,
) -> NDArray[np.int64] | None:
    """:func:`take_turns` over candidate rows given in batches, searching deeper until no list runs out.

    Parameters
    ----------
    batches : callable or None
        ``batches()`` yields ``(rows, vectors)`` of every candidate row (called again for a deeper search).
    target : ndarray of shape (n_target, d)
    amount : int
        Rows to take; fewer than ``n_candidates``.
    seed : int
    n_candidates : int
        Candidate rows in all.
    lists_of : callable, optional
        ``lists_of(depth)`` builds the merged lists some other way (a distributed engine); default: from
        ``batches`` in this process.
    rooms : Rooms, optional
        Each chosen cluster's quota (``explode='share_turns'``): the lists are searched once,
        :func:`quota_depth` deep, no cluster gives more than its quota, and a target row whose list runs out
        takes no more turns; the rows taken may then fall short of ``amount`` (the caller fills each cluster's
        quota, :func:`gio_core.scale.explode.fill_quotas`).

    Returns
    -------
    ndarray of int64 or None
        The rows taken, in the order taken; None when the lists would pass :data:`MAX_LIST_ENTRIES` (target
        rows crowding the same few candidates; without ``rooms``).
    """
    n_target = int(np.asarray(target).shape[0])
    if not 0 <= amount < n_candidates:
        raise ValueError(f"amount={amount} must lie in 0 … {n_candidates - 1} (the candidate rows less one).")
    if amount == 0:
        return np.empty(0, dtype=np.int64)
    deepest = min(n_candidates, MAX_LIST_ENTRIES // max(n_target, 1))
    depth = min(list_depth(amount, n_target), n_candidates)
    if rooms is not None:  # one search, the lists as deep as quota_depth says; what they leave, the caller fills
        depth = min(deepest, quota_depth(amount, n_target))
        lists = lists_of(depth) if lists_of is not None else _lists_in_process(batches, target, depth, seed)
        return _turns(lists, amount, seed, rooms, partial=True)[0]
    while depth <= deepest:
        lists = lists_of(depth) if lists_of is not None else _lists_in_process(batches, target, depth, seed)
        taken, reached = _turns(lists, amount, seed)
        if taken is not None:
            return taken
        if depth == n_candidates:
            raise AssertionError("every list holds every candidate, yet one ran out; please report this.")
        if depth == deepest:
            break
        depth = min(deepest, next_depth(depth, reached, amount))
    return None


def _lists_in_process(batches, target: NDArray, depth: int, seed: int) -> NearestLists:
    assert batches is not None, "give batches or lists_of"
    return merge_lists(
        (nearest_in_batch(target, rows, vectors, depth, seed) for rows, vectors in batches()),
        depth,
        int(np.asarray(target).shape[0]),
    )


def quota_depth(amount: int, n_target: int) -> int:
    """How deep each target row's list is searched when the chosen clusters keep their quotas
    (``explode='share_turns'``): twice :func:`list_depth`, in one search.

    Examples
    --------
    >>> quota_depth(6000, 1000)
    40
    """
    return 2 * list_depth(amount, n_target)


def next_depth(depth: int, reached: int, amount: int) -> int:
    """The next depth to search when lists ``depth`` deep ran out after ``reached`` of ``amount`` rows: where
    target rows crowd one place, the depth a list needs grows with the rows taken, so it is extrapolated
    (a quarter more, for safety), and at least doubled.

    Examples
    --------
    >>> next_depth(100, 500, 6000), next_depth(100, 5900, 6000)
    (1500, 200)
    """
    return max(2 * depth, math.ceil(1.25 * depth * amount / max(reached, 1)))
