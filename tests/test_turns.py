"""Target rows take turns at the chosen clusters' rows (gio_core.scale.turns): the lists, the turns, the explosion."""

import numpy as np
import pytest

from gio_core import GIOSelector
from gio_core.scale import turns as turns_module
from gio_core.scale.explode import fill_quotas, nearest_target_distances, row_priority
from gio_core.scale.turns import (
    NearestLists,
    Rooms,
    list_depth,
    merge_lists,
    nearest_in_batch,
    quota_depth,
    take_turns,
    turns_in_batches,
)


def reference_turns(target: np.ndarray, rows: np.ndarray, vectors: np.ndarray, amount: int, seed: int) -> list[int]:
    """The rule written plainly: exact distances to every candidate, rounds of claims in a seeded order, a row
    claimed by several going to the first claimant, the others claiming again."""
    squared = ((target[:, None, :].astype(np.float64) - vectors[None, :, :].astype(np.float64)) ** 2).sum(axis=2)
    priority = row_priority(rows, seed)
    preference = [list(rows[np.lexsort((priority, squared[t]))]) for t in range(len(target))]
    order = list(np.random.default_rng(seed).permutation(len(target)))
    taken: set[int] = set()
    picked: list[int] = []
    while len(picked) < amount:
        claimants = order[: min(len(order), amount - len(picked))]
        this_round: list[tuple[int, int]] = []
        while claimants:
            claims = {t: next(row for row in preference[t] if row not in taken) for t in claimants}
            winners: dict[int, int] = {}
            for t in claimants:  # in the turn order: the first claimant of a row gets it
                winners.setdefault(claims[t], t)
            for row, t in winners.items():
                taken.add(int(row))
                this_round.append((order.index(t), int(row)))
            claimants = [t for t in claimants if winners[claims[t]] != t]
        picked.extend(row for _, row in sorted(this_round))
    return picked


def reference_turns_in_rooms(target, rows, vectors, amount, seed, group, capacity, depth) -> list[int]:
    """The rule with rooms, written plainly: each target row's ``depth`` nearest rows; a claim passes over taken
    rows and rows of full groups; a group's last places go to its first claimants in the turn order; a target
    row with nothing left in its list takes no more turns."""
    squared = ((target[:, None, :].astype(np.float64) - vectors[None, :, :].astype(np.float64)) ** 2).sum(axis=2)
    priority = row_priority(rows, seed)
    preference = [list(rows[np.lexsort((priority, squared[t]))][:depth]) for t in range(len(target))]
    group_of = dict(zip(rows.tolist(), group.tolist()))
    left = list(capacity)
    order = list(np.random.default_rng(seed).permutation(len(target)))
    active = list(order)
    taken: set[int] = set()
    picked: list[int] = []
    while len(picked) < amount and active:
        claimants = active[: amount - len(picked)]
        this_round: list[tuple[int, int]] = []
        while claimants:
            claims = {}
            for t in list(claimants):
                free = [row for row in preference[t] if row not in taken and left[group_of[row]] > 0]
                if free:
                    claims[t] = free[0]
                else:
                    claimants.remove(t)
                    active.remove(t)
            winners: dict[int, int] = {}
            for t in claimants:
                if claims[t] in winners or left[group_of[claims[t]]] <= 0:
                    continue
                winners[claims[t]] = t
                left[group_of[claims[t]]] -= 1
            for row, t in winners.items():
                taken.add(int(row))
                this_round.append((order.index(t), int(row)))
            claimants = [t for t in claimants if winners.get(claims[t]) != t]
        picked.extend(row for _, row in sorted(this_round))
    return picked


def searched_depths(monkeypatch, batches, target, amount, **kwargs):
    """turns_in_batches's rows, and the depth of each search it made (spying on merge_lists)."""
    depths = []
    original = turns_module.merge_lists

    def spy(parts, depth, n_target):
        depths.append(depth)
        return original(parts, depth, n_target)

    monkeypatch.setattr(turns_module, "merge_lists", spy)
    return turns_in_batches(batches, target, amount, **kwargs), depths


def batched(rows, vectors, size):
    return lambda: ((rows[start : start + size], vectors[start : start + size]) for start in range(0, len(rows), size))


@pytest.mark.parametrize("amount", [1, 7, 40, 119], ids=["one", "under-a-round", "several-rounds", "all-but-one"])
def test_turns_follow_the_rule(rng, amount):
    target = rng.normal(size=(9, 3)).astype(np.float32)
    vectors = rng.normal(size=(120, 3)).astype(np.float32)
    rows = np.sort(rng.choice(10_000, size=120, replace=False))
    taken = turns_in_batches(batched(rows, vectors, 50), target, amount, seed=4, n_candidates=len(rows))
    assert taken.tolist() == reference_turns(target, rows, vectors, amount, seed=4)


def test_turns_do_not_depend_on_batching_or_first_depth(rng):
    target = rng.normal(size=(30, 5)).astype(np.float32)
    vectors = rng.normal(size=(2000, 5)).astype(np.float32)
    rows = np.arange(5_000, 7_000)
    results = [
        turns_in_batches(batched(rows, vectors, size), target, 500, seed=1, n_candidates=len(rows))
        for size in (64, 333, 2000)
    ]
    assert all(np.array_equal(results[0], other) for other in results[1:])
    assert np.unique(results[0]).size == 500


def test_crowded_target_rows_search_deeper(rng, monkeypatch):
    """Every target row at one spot: the first lists run out after a few rounds and the search deepens."""
    target = np.zeros((6, 2), dtype=np.float32) + rng.normal(scale=1e-3, size=(6, 2)).astype(np.float32)
    vectors = rng.normal(size=(300, 2)).astype(np.float32)
    rows = np.arange(300)
    taken, depths = searched_depths(monkeypatch, batched(rows, vectors, 100), target, 150, seed=0, n_candidates=300)
    assert depths[0] == list_depth(150, 6) < depths[-1]
    assert taken.tolist() == reference_turns(target, rows, vectors, 150, seed=0)


def test_crowded_lists_are_searched_as_deep_as_the_rows_taken_suggest(rng, monkeypatch):
    """Ten target rows at one spot exhaust lists 208 deep after about 208 rows of 1,000; the next search goes as
    deep as that rate says (1,250), not one doubling at a time (416, 832, 1,500), and takes the same rows."""
    target = np.zeros((10, 3), dtype=np.float32) + rng.normal(scale=1e-3, size=(10, 3)).astype(np.float32)
    vectors = rng.normal(size=(1_500, 3)).astype(np.float32)
    rows = np.arange(1_500)
    taken, depths = searched_depths(monkeypatch, batched(rows, vectors, 400), target, 1_000, seed=3, n_candidates=1_500)
    assert depths[0] == list_depth(1_000, 10) == 208
    assert len(depths) == 2 and depths[1] > 1_000
    assert taken.tolist() == reference_turns(target, rows, vectors, 1_000, seed=3)


def test_nearest_in_batch_is_the_exact_nearest(rng):
    target = rng.normal(size=(4, 6)).astype(np.float32)
    vectors = rng.normal(size=(500, 6)).astype(np.float32)
    rows = np.arange(100, 600)
    lists = nearest_in_batch(target, rows, vectors, 10, seed=2)
    squared = ((target[:, None, :].astype(np.float64) - vectors[None].astype(np.float64)) ** 2).sum(axis=2)
    expected = rows[np.argsort(squared, axis=1)[:, :10]]
    assert np.array_equal(lists.rows, expected)
    np.testing.assert_allclose(lists.squared, np.sort(squared, axis=1)[:, :10], rtol=1e-12)


def test_exact_duplicates_are_settled_by_priority_whatever_the_batch(rng):
    """Forty copies of one vector lie at one distance from every target row; which of them a list keeps is the
    rows' priority, not the batch they came in."""
    target = rng.normal(size=(3, 4)).astype(np.float32)
    vectors = np.repeat(rng.normal(size=(1, 4)).astype(np.float32), 40, axis=0)
    rows = np.arange(40) * 7
    whole = nearest_in_batch(target, rows, vectors, 5, seed=9)
    halves = merge_lists(
        [
            nearest_in_batch(target, rows[:17], vectors[:17], 5, seed=9),
            nearest_in_batch(target, rows[17:], vectors[17:], 5, seed=9),
        ],
        5,
        3,
    )
    assert np.array_equal(whole.rows, halves.rows)
    lowest = rows[np.argsort(row_priority(rows, 9))[:5]]
    assert whole.rows[0].tolist() == lowest.tolist()


def test_take_turns_says_when_a_list_runs_out():
    lists = NearestLists(np.array([[1, 2], [1, 2]]), np.zeros((2, 2)), np.zeros((2, 2), dtype=np.uint64))
    assert take_turns(lists, 2, seed=0) is not None
    assert take_turns(lists, 3, seed=0) is None  # a third row lies past both lists


def test_turns_refuse_taking_every_candidate(rng):
    with pytest.raises(ValueError, match="amount=5 must lie in 0 … 4"):
        turns_in_batches(batched(np.arange(5), np.zeros((5, 2)), 5), np.zeros((3, 2)), 5, 0, n_candidates=5)


def test_a_budget_run_takes_the_rows_by_turns(two_blobs):
    """GIOSelector with a data-size budget: the rows are the target's turns over every row of the chosen
    clusters, grouped by cluster in pick order."""
    pool, target = two_blobs
    selector = GIOSelector(
        n_clusters=40,
        stop_criterion="data_size",
        max_data_size=0.2,
        max_iter=40,
        explode="target_turns",
        random_state=0,
    ).fit(pool, target)
    assert "take turns" in selector.stop_message_
    rows = selector.selected_indices_
    labels = selector.cluster_labels_
    chosen_clusters = list(dict.fromkeys(selector.selected_clusters_.tolist()))
    candidates = np.flatnonzero(np.isin(labels, chosen_clusters))
    assert 0 < rows.size == 240 < candidates.size
    expected = reference_turns(
        target.astype(np.float32), candidates, pool[candidates].astype(np.float32), 240, selector.result_.explode_seed
    )
    assert sorted(rows.tolist()) == sorted(expected)
    positions = [chosen_clusters.index(cluster) for cluster in labels[rows]]
    assert positions == sorted(positions)  # grouped by cluster in first-pick order
    turn = {row: position for position, row in enumerate(expected)}
    for cluster in chosen_clusters:  # and each cluster's rows in the order taken
        inside = [turn[row] for row in rows if labels[row] == cluster]
        assert inside == sorted(inside)


def test_too_many_list_entries_fall_back_to_the_quotas(two_blobs, monkeypatch):
    pool, target = two_blobs
    params = dict(
        n_clusters=40,
        stop_criterion="data_size",
        max_data_size=0.2,
        max_iter=40,
        explode="target_turns",
        random_state=0,
    )
    by_turns = GIOSelector(**params).fit(pool, target).selected_indices_
    monkeypatch.setattr(turns_module, "MAX_LIST_ENTRIES", 10)
    by_quotas = GIOSelector(**params).fit(pool, target)
    assert by_quotas.selected_indices_.size == 240
    assert not np.array_equal(np.sort(by_turns), np.sort(by_quotas.selected_indices_))
    # each chosen cluster gave exactly its quota (the budget shared by target mass)
    labels = by_quotas.cluster_labels_[by_quotas.selected_indices_]
    chosen = list(dict.fromkeys(by_quotas.selected_clusters_.tolist()))
    assert [int((labels == cluster).sum()) for cluster in chosen] == by_quotas.result_.row_quotas.tolist()
    # and a cluster giving part of its rows gives those nearest the target's rows
    distance = nearest_target_distances(pool, target)
    taken = np.isin(np.arange(len(pool)), by_quotas.selected_indices_)
    partial = 0
    for cluster in chosen:
        members = by_quotas.cluster_labels_ == cluster
        if taken[members].any() and not taken[members].all():
            partial += 1
            assert distance[members & taken].max() <= distance[members & ~taken].min()
    assert partial >= 5


@pytest.mark.parametrize("capacity", [[30, 5, 5], [2, 20, 18], [14, 13, 13]], ids=["one-big", "one-small", "even"])
def test_turns_in_rooms_follow_the_rule(rng, capacity):
    """With rooms no group gives more than its room, and the lists are searched once, quota_depth deep."""
    target = rng.normal(size=(8, 3)).astype(np.float32)
    vectors = rng.normal(size=(90, 3)).astype(np.float32)
    rows = np.sort(rng.choice(5_000, size=90, replace=False))
    group = rng.integers(0, 3, size=90)
    capacity = np.minimum(np.array(capacity), np.bincount(group, minlength=3))
    amount = int(capacity.sum())
    taken = turns_in_batches(
        batched(rows, vectors, 40), target, amount, seed=2, n_candidates=90, rooms=Rooms(rows, group, capacity)
    )
    depth = quota_depth(amount, 8)
    assert taken.tolist() == reference_turns_in_rooms(target, rows, vectors, amount, 2, group, capacity, depth)
    counts = np.bincount(group[np.searchsorted(rows, taken)], minlength=3)
    assert (counts <= capacity).all()


def test_fill_quotas_tops_each_cluster_up_nearest_first():
    members = [np.array([1, 2, 3, 4]), np.array([10, 11, 12])]
    distance = {1: 0.4, 2: 0.1, 3: 0.3, 4: 0.2, 10: 0.0, 11: 0.5, 12: 0.6}
    filled = fill_quotas(members, np.array([3, 1]), np.array([3]), 0, lambda rows: [distance[r] for r in rows])
    assert filled.tolist() == [3, 2, 4, 10]  # the turns' row first, then each cluster's nearest untaken rows
    with pytest.raises(AssertionError, match="more rows than its quota"):
        fill_quotas(members, np.array([0, 1]), np.array([3]), 0)


def test_share_turns_keeps_each_clusters_quota_and_takes_the_turns_rows(two_blobs):
    """explode='share_turns': each chosen cluster gives exactly its target_share quota; inside a cluster the
    rows differ from target_share's (claimed by the target's turns, not only nearest any target row)."""
    pool, target = two_blobs
    params = dict(n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40, random_state=0)
    share = GIOSelector(explode="target_share", **params).fit(pool, target)
    both = GIOSelector(explode="share_turns", **params).fit(pool, target)
    assert "shared among them" in both.stop_message_ and "claim first" in both.stop_message_
    assert np.array_equal(both.selected_clusters_, share.selected_clusters_)
    labels = both.cluster_labels_
    chosen = list(dict.fromkeys(both.selected_clusters_.tolist()))
    counts = [int((labels[both.selected_indices_] == cluster).sum()) for cluster in chosen]
    assert counts == [int((labels[share.selected_indices_] == cluster).sum()) for cluster in chosen]
    assert both.selected_indices_.size == 240 == np.unique(both.selected_indices_).size
    assert not np.array_equal(np.sort(both.selected_indices_), np.sort(share.selected_indices_))
    positions = [chosen.index(cluster) for cluster in labels[both.selected_indices_]]
    assert positions == sorted(positions)  # grouped by cluster in first-pick order
