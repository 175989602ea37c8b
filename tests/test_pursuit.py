"""PursuitSelector: distinct rows at the budget, seeded clusters, pursuits worked out by hand, refused parameters."""

import numpy as np
import pytest

from gio_core.methods.pursuit import PursuitSelector, auto_pursuit_clusters
from gio_core.methods.registry import METHODS

from .selection_checks import assert_distinct_at_budget, assert_seed_decides


def _blobs(rng, n_each=150, d=4):
    centre = np.zeros(d)
    centre[0] = 6.0
    pool = np.vstack([rng.normal(0.0, 1.0, size=(n_each, d)) + 3.0, rng.normal(0.0, 1.0, size=(n_each, d)) + centre])
    target = rng.normal(0.0, 1.0, size=(40, d)) + centre
    return pool, target


@pytest.mark.parametrize("n_select", [1, 30, 150, 290], ids=["one", "one-pursuit-or-more", "blob-size", "most-rows"])
def test_distinct_rows_at_exactly_the_budget(rng, n_select):
    pool, target = _blobs(rng)
    selector = PursuitSelector(n_select=n_select, random_state=0).fit(pool, target)
    assert_distinct_at_budget(selector, n_select, pool.shape[0])


def test_a_budget_larger_than_the_pool_takes_every_row_once(rng):
    pool, target = _blobs(rng, n_each=10)
    selector = PursuitSelector(n_select=50, random_state=0).fit(pool, target)
    assert sorted(selector.selected_indices_.tolist()) == list(range(20))
    assert selector.stop_reason_ == "pool_exhausted"


def test_a_budget_beyond_one_pursuit_runs_several(rng):
    pool, target = _blobs(rng, d=4)
    selector = PursuitSelector(n_select=40, n_clusters=1, random_state=0).fit(pool, target)
    assert selector.n_pursuits_ >= 40 // 4  # one pursuit uses at most d = 4 rows


def test_same_seed_same_picks(rng):
    pool, target = _blobs(rng)
    first, again = assert_seed_decides(
        lambda seed: PursuitSelector(n_select=60, n_clusters=4, random_state=seed), (pool, target), 5
    )
    np.testing.assert_array_equal(first.cluster_labels_, again.cluster_labels_)


def test_the_pursuit_worked_out_by_hand():
    # the target rows sum to 2 e1 + e2; the pool holds e1, e2, e3 and a row pointing away from e1.
    # Two atoms explain the sum exactly, e1 with weight 2 first, then e2 with weight 1.
    pool = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [-1.0, 0.1, 0.0]])
    target = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    selector = PursuitSelector(n_select=2, n_clusters=1, k=1, random_state=0).fit(pool, target)
    assert selector.selected_indices_.tolist() == [0, 1]
    assert selector.n_pursuits_ == 1 and selector.n_filled_ == 0


def test_a_row_given_a_negative_weight_is_not_picked_by_the_pursuit():
    # target (1, 0) = a - b with a = (1, 1), b = (0, 1): the pursuit takes a, then b with weight -1, which
    # is set aside. c = (0, -1) explains nothing of the target, so the budget's second row is a fill.
    pool = np.array([[1.0, 1.0], [0.0, 1.0], [0.0, -1.0]])
    target = np.array([[1.0, 0.0], [1.0, 0.0]])
    selector = PursuitSelector(n_select=2, n_clusters=1, k=1, random_state=0).fit(pool, target)
    assert selector.selected_indices_[0] == 0
    assert selector.n_filled_ == 1
    assert len(set(selector.selected_indices_.tolist())) == 2


def test_cluster_budgets_follow_the_target_rows(rng):
    # two far-apart blobs, three quarters of the target in the first: budgets 6 and 2
    pool = np.vstack([rng.normal(0.0, 0.5, size=(50, 3)) + 10.0, rng.normal(0.0, 0.5, size=(50, 3)) - 10.0])
    target = np.vstack([rng.normal(0.0, 0.5, size=(30, 3)) + 10.0, rng.normal(0.0, 0.5, size=(10, 3)) - 10.0])
    selector = PursuitSelector(n_select=8, n_clusters=2, random_state=0).fit(pool, target)
    assert sorted(selector.cluster_budgets_.tolist()) == [2, 6]
    picks = selector.selected_indices_
    assert (picks < 50).sum() == 6 and (picks >= 50).sum() == 2


def test_auto_clusters_grow_with_the_pool():
    assert [auto_pursuit_clusters(n) for n in (1, 499, 500, 2_000, 60_000)] == [1, 1, 1, 4, 100]


def test_registered_in_methods():
    selector = METHODS["GTP-style pursuit"](9, 4)
    assert isinstance(selector, PursuitSelector)
    assert selector.n_select == 9 and selector.random_state == 4


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_clusters": 0}, ValueError, r"n_clusters must be at least 1; got 0"),
        ({"n_clusters": 2.5}, TypeError, r"n_clusters must be an integer; got 2.5"),
        ({"n_clusters": 500}, ValueError, r"n_clusters=500 is more than the pool's 40 rows; lower n_clusters"),
        ({"n_select": 0}, ValueError, r"n_select must be at least 1; got 0"),
        ({"k": 0}, ValueError, r"k must be at least 1; got 0"),
    ],
    ids=["clusters-zero", "clusters-float", "clusters-above-pool", "budget-zero", "k-zero"],
)
def test_bad_parameters_are_refused_with_a_message(rng, params, error, match):
    pool, target = _blobs(rng, n_each=20)
    with pytest.raises(error, match=match):
        PursuitSelector(**params).fit(pool, target)
