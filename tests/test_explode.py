"""From chosen centroids to rows: priorities, quotas, and the 'target_share' explosion in GIOSelector."""

import numpy as np
import pytest

from gio_core import PAPER_GIO_PARAMS, GIOSelector, Quantization
from gio_core.scale import quantize
from gio_core.scale.explode import allocate_rows, distinct_in_order, explode_rows, row_priority, target_shares


def test_row_priority_is_splitmix64():
    # SplitMix64's first two outputs from state 0 (Steele, Lea & Flood 2014): row 0 with seeds 0 and 1
    assert row_priority(np.array([0]), 0).tolist() == [0xE220A8397B1DCDAF]
    assert row_priority(np.array([0]), 1).tolist() == [0x6E789E6AA1B965F4]


def test_row_priority_depends_on_seed_and_row_only():
    rows = np.arange(1000)
    assert np.array_equal(row_priority(rows, 5)[500:], row_priority(rows[500:], 5))
    assert not np.array_equal(row_priority(rows, 5), row_priority(rows, 6))
    assert np.unique(row_priority(rows, 5)).size == 1000


@pytest.mark.parametrize(
    "sizes, shares, budget, expected",
    [
        ([10, 10, 10], [1, 1, 2], 8, [2, 2, 4]),
        ([10, 1, 10], [1, 1, 2], 9, [3, 1, 5]),  # the capped cluster's excess goes to the others
        ([10, 10], [1, 0], 15, [10, 5]),  # zero share: filled only once the rest is full
        ([3, 3], [1, 1], 100, [3, 3]),  # budget above what the clusters hold
        ([5, 5, 5], [1, 1, 1], 4, [2, 1, 1]),  # largest remainder, ties to the earlier cluster
        ([5, 5], [0, 0], 4, [2, 2]),  # no shares at all: by size
    ],
    ids=["proportional", "capped", "zero-share", "over-budget", "ties", "no-shares"],
)
def test_allocate_rows(sizes, shares, budget, expected):
    quotas = allocate_rows(np.array(sizes), np.array(shares, dtype=float), budget)
    assert quotas.tolist() == expected
    assert quotas.sum() == min(budget, sum(sizes))


@pytest.mark.parametrize(
    "shares, message",
    [([1.0], "one share per cluster"), ([1.0, -1.0], "non-negative"), ([1.0, np.nan], "finite")],
    ids=["length", "negative", "nan"],
)
def test_allocate_rows_refuses_bad_shares(shares, message):
    with pytest.raises(ValueError, match=message):
        allocate_rows(np.array([3, 3]), np.array(shares), 2)


def test_target_shares_by_nearest_chosen_centre():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    target = np.array([[1.0, 0.0], [2.0, 0.0], [9.0, 0.0]])
    np.testing.assert_allclose(target_shares(centers, target), [2.0, 1.0])
    np.testing.assert_allclose(target_shares(centers, target, np.array([1.0, 1.0, 5.0])), [2.0, 5.0])


def test_explode_rows_takes_lowest_priorities_in_cluster_order():
    members = {0: np.array([0, 1, 2, 3]), 1: np.array([4, 5, 6])}
    rows = explode_rows(members.get, np.array([1, 0, 1]), np.array([2, 1]), seed=3)
    by_priority = {c: m[np.argsort(row_priority(m, 3))] for c, m in members.items()}
    assert rows.tolist() == by_priority[1][:2].tolist() + by_priority[0][:1].tolist()
    assert explode_rows(members.get, np.array([1, 0]), None, seed=3).tolist() == [4, 5, 6, 0, 1, 2, 3]
    assert distinct_in_order(np.array([4, 2, 4, 1, 2])).tolist() == [4, 2, 1]


def test_target_share_spends_the_budget_by_target_mass(two_blobs):
    pool, target = two_blobs
    selector = GIOSelector(
        n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40, random_state=0
    ).fit(pool, target)
    rows = selector.selected_indices_
    assert rows.size == 240 == np.unique(rows).size  # exactly the budget, distinct rows
    # the target's 3:1 split (60 of the 240 rows on the right), as far as the chosen right clusters hold it;
    # 'all' takes whole clusters instead
    labels = selector.cluster_labels_
    chosen = np.unique(selector.selected_clusters_)
    held_right = sum(int((labels == c).sum()) for c in chosen if np.mean(np.flatnonzero(labels == c) >= 600) > 0.5)
    right = int((rows >= 600).sum())
    assert min(60, held_right) - 12 <= right <= 60 + 12
    assert selector.result_.row_quotas.sum() == 240
    assert np.isin(selector.cluster_labels_[rows], selector.selected_clusters_).all()
    assert "shared among" in selector.stop_message_


def test_target_share_is_stratified_on_self_selection(rng):
    pool = rng.normal(size=(3000, 8))
    selector = GIOSelector(
        n_clusters=30, stop_criterion="data_size", max_data_size=0.25, max_iter=30, random_state=1
    ).fit(pool, pool)
    labels = selector.cluster_labels_
    per_cluster = np.bincount(labels[selector.selected_indices_], minlength=30)
    expected = 0.25 * np.bincount(labels, minlength=30)
    chosen = np.isin(np.arange(30), selector.selected_clusters_)
    assert chosen.sum() >= 20  # the run goes on over centroids until the KL stops falling
    assert selector.selected_indices_.size == 750
    # every cluster gives about a quarter of its rows, as stratified random sampling would; 'all' would
    # take whole clusters and leave three quarters of them out
    assert np.abs(per_cluster[chosen] - expected[chosen]).max() <= 0.35 * expected[chosen].max()


def test_target_share_same_seed_same_rows(two_blobs):
    pool, target = two_blobs

    def make(seed):
        return (
            GIOSelector(n_clusters=40, stop_criterion="data_size", max_data_size=0.1, max_iter=40, random_state=seed)
            .fit(pool, target)
            .selected_indices_
        )

    assert np.array_equal(make(4), make(4))
    assert not np.array_equal(make(4), make(5))


def test_all_keeps_whole_clusters(two_blobs):
    pool, target = two_blobs
    selector = GIOSelector(
        n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40, explode="all", random_state=0
    ).fit(pool, target)
    counts = np.bincount(selector.cluster_labels_)
    assert selector.selected_indices_.size == counts[selector.selected_clusters_].sum() >= 240
    assert selector.result_.row_quotas is None
    assert PAPER_GIO_PARAMS["explode"] == "all"


def test_precomputed_quantization_without_labels_gives_quotas(two_blobs):
    pool, target = two_blobs
    quantization = quantize(pool, 40, random_state=0)
    params = dict(stop_criterion="data_size", max_data_size=0.2, max_iter=40, random_state=2)
    with_labels = GIOSelector(**params).fit(quantization, target)
    bare = Quantization(centers=quantization.centers, labels=None, counts=quantization.counts)
    without = GIOSelector(**params).fit(bare, target)
    assert without.selected_indices_ is None
    assert np.array_equal(without.result_.row_quotas, with_labels.result_.row_quotas)
    assert without.result_.explode_seed == with_labels.result_.explode_seed
    assert with_labels.selected_indices_.size == 240


def test_explode_is_validated():
    with pytest.raises(ValueError, match="explode"):
        GIOSelector(explode="some").config()


def test_explode_rows_takes_the_rows_nearest_the_target_first():
    members = {0: np.array([0, 1, 2, 3])}
    distance = {0: 3.0, 1: 0.5, 2: 2.0, 3: 0.5}
    rows = explode_rows(
        members.get,
        np.array([0]),
        np.array([3]),
        seed=9,
        distances_of=lambda rows: np.array([distance[int(r)] for r in rows]),
    )
    tied = sorted([1, 3], key=lambda r: int(row_priority(np.array([r]), 9)[0]))
    assert rows.tolist() == tied + [2]  # 0.5, 0.5 (ties by priority), then 2.0; the farthest row is left out


def test_nearest_target_distances_are_exact():
    from gio_core.scale.explode import nearest_target_distances

    target = np.array([[0.0, 0.0], [10.0, 0.0]])
    np.testing.assert_allclose(
        nearest_target_distances(np.array([[3.0, 4.0], [10.0, 1.0]]), target), [5.0, 1.0], rtol=1e-12
    )


def partly_taken(selector) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each chosen cluster that gave some but not all of its rows: its rows, and which of them were taken."""
    chosen = set(selector.selected_indices_.tolist())
    found = []
    for cluster in np.unique(selector.selected_clusters_):
        members = np.flatnonzero(selector.cluster_labels_ == cluster)
        taken = np.array([row in chosen for row in members])
        if taken.any() and not taken.all():
            found.append((members, taken))
    return found


def test_target_share_fills_each_quota_with_the_rows_nearest_the_target(two_blobs):
    from gio_core.scale.explode import nearest_target_distances

    pool, target = two_blobs
    selector = GIOSelector(
        n_clusters=40,
        stop_criterion="data_size",
        max_data_size=0.2,
        max_iter=40,
        random_state=0,
        explode="target_share",
    ).fit(pool, target)
    # GIO ran on the target's centroids (it has more rows than K), but the rows are ordered by the target's own
    # rows (pool x target pairs within ORDER_BY_TARGET_ROWS_PAIRS), as the pipeline and Spark order them
    assert selector.result_.target_quantization is not None
    distance = nearest_target_distances(pool, target)
    partial = partly_taken(selector)
    for members, taken in partial:
        assert distance[members[taken]].max() <= distance[members[~taken]].min()
    assert len(partial) >= 5


def test_past_the_pair_limit_rows_are_ordered_by_the_target_centroids(two_blobs, monkeypatch):
    import importlib

    from gio_core.scale.explode import nearest_target_distances

    quantize_module = importlib.import_module("gio_core.scale.quantize")  # the module, not the function beside it

    pool, target = two_blobs
    monkeypatch.setattr(quantize_module, "ORDER_BY_TARGET_ROWS_PAIRS", len(pool) * len(target) - 1)
    selector = GIOSelector(
        n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40, random_state=0
    ).fit(pool, target)
    distance = nearest_target_distances(pool, selector.result_.target_quantization.centers)
    partial = partly_taken(selector)
    for members, taken in partial:
        assert distance[members[taken]].max() <= distance[members[~taken]].min()
    assert len(partial) >= 5


def test_a_target_that_is_the_pool_gives_each_cluster_a_seeded_random_share(two_blobs):
    """Self-selection: every row is a target row, so inside a cluster the seeded priority alone decides (a
    stratified random sample), not the distance to a centroid, which kept only each cluster's central rows."""
    pool, _ = two_blobs
    selector = GIOSelector(
        n_clusters=20,
        stop_criterion="data_size",
        max_data_size=0.25,
        max_iter=20,
        random_state=0,
        explode="target_share",
    ).fit(pool, pool)
    seed = selector.result_.explode_seed
    partial = partly_taken(selector)
    for members, taken in partial:
        priority = row_priority(members, seed)
        assert priority[taken].max() < priority[~taken].min()
    assert len(partial) >= 5


def test_target_rows_beside_a_target_quantization_share_by_rows(two_blobs):
    pool, target = two_blobs
    pool_quantization = quantize(pool, 40, random_state=0)
    target_quantization = quantize(target, 10, random_state=0)
    # every centroid a candidate: with candidates='near_target' the rows also widen which centroids may be picked
    params = dict(stop_criterion="data_size", max_data_size=0.2, max_iter=40, random_state=2, candidates="all")
    by_rows = GIOSelector(**params).fit(pool_quantization, target_quantization, target_rows=target)
    by_centroids = GIOSelector(**params).fit(pool_quantization, target_quantization)
    assert np.array_equal(by_rows.selected_clusters_, by_centroids.selected_clusters_)
    assert by_rows.result_.row_quotas.sum() == by_centroids.result_.row_quotas.sum() == 240
    assert not np.array_equal(by_rows.result_.row_quotas, by_centroids.result_.row_quotas)
    with pytest.raises(ValueError, match="target_rows"):
        GIOSelector(**params).fit(pool_quantization, target_quantization, target_rows=target[:, :2])


def test_steps_name_no_rows_when_the_rows_live_elsewhere(two_blobs):
    pool, target = two_blobs
    quantization = quantize(pool, 40, random_state=0)
    bare = Quantization(centers=quantization.centers, labels=None, counts=quantization.counts)
    steps = list(GIOSelector(max_iter=5, stop_criterion="data_size", random_state=0).iter_fit(bare, target))
    assert any(step.kept for step in steps)
    assert all(step.rows.size == 0 for step in steps)  # not the cluster numbers, which are not pool rows
