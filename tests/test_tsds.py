"""TSDSSelector: distinct rows at the budget, seeded sampling, the transport solved by hand, refused parameters."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core.methods.registry import METHODS
from gio_core.methods.tsds import TSDSSelector

from .selection_checks import assert_distinct_at_budget, assert_seed_decides


def _blobs(rng, n_each=150):
    pool = np.vstack([rng.normal(0.0, 0.3, size=(n_each, 2)), rng.normal(4.0, 0.3, size=(n_each, 2))])
    target = rng.normal(4.0, 0.3, size=(40, 2))
    return pool, target


@pytest.mark.parametrize("n_select", [1, 25, 150, 280], ids=["one", "inside-support", "blob-size", "beyond-support"])
def test_distinct_rows_at_exactly_the_budget(rng, n_select):
    pool, target = _blobs(rng)
    selector = TSDSSelector(n_select=n_select, random_state=0).fit(pool, target)
    assert_distinct_at_budget(selector, n_select, pool.shape[0])
    assert selector.kl_curve_.shape == (n_select,)


def test_a_budget_larger_than_the_pool_takes_every_row_once(rng):
    pool, target = _blobs(rng, n_each=20)
    selector = TSDSSelector(n_select=100, random_state=0).fit(pool, target)
    assert sorted(selector.selected_indices_.tolist()) == list(range(40))
    assert selector.stop_reason_ == "pool_exhausted"


def test_picks_come_from_the_target_blob_while_its_support_lasts(rng):
    pool, target = _blobs(rng)
    selector = TSDSSelector(n_select=60, random_state=0).fit(pool, target)
    assert selector.support_size_ >= 60
    assert (selector.selected_indices_ >= 150).all()
    assert_allclose(selector.sampling_probabilities_.sum(), 1.0, rtol=1e-12)
    assert selector.sampling_probabilities_[:150].sum() == 0.0


def test_rows_beyond_the_support_are_filled_nearest_first():
    # the support is the three rows near 0; the fill then takes 1.0 before 3.0 before 9.0
    pool = np.array([[0.1], [0.2], [0.3], [9.0], [1.0], [3.0]])
    target = np.zeros((2, 1))
    selector = TSDSSelector(
        n_select=5, k=1, distance_scale=1.0, kernel_size=0.01, neighbor_share=1.0, random_state=0
    ).fit(pool, target)
    assert selector.support_size_ == 3
    assert sorted(selector.selected_indices_[:3].tolist()) == [0, 1, 2]
    assert selector.selected_indices_[3:].tolist() == [4, 5]


def test_same_seed_same_picks_other_seed_other_order(rng):
    pool, target = _blobs(rng)
    assert_seed_decides(lambda seed: TSDSSelector(n_select=40, random_state=seed), (pool, target), 7, 8)


def test_the_transport_solved_by_hand():
    # two target rows at 0 (M = 2); pool rows at distances 0.1, 0.2, 0.3 and 5; alpha = 0.5, C = 1, no
    # near-duplicates (rho = 1). Each row: 2 (lambda - 0.5 d_j) summed over the support = 1. Support of 3:
    # lambda = (1 + 2 (0.05 + 0.1 + 0.15)) / 6 = 0.26667 > 0.15, while 4 rows would need lambda > 2.5.
    # So p = 2 (lambda - cost) = (0.43333, 0.33333, 0.23333, 0).
    pool = np.array([[0.1], [0.2], [0.3], [5.0]])
    target = np.zeros((2, 1))
    selector = TSDSSelector(
        n_select=2, k=1, alpha=0.5, distance_scale=1.0, kernel_size=0.01, neighbor_share=1.0, random_state=0
    ).fit(pool, target)
    assert_allclose(selector.sampling_probabilities_, [13 / 30, 10 / 30, 7 / 30, 0.0], atol=1e-6)
    assert selector.support_size_ == 3 and selector.n_capped_ == 0


def test_near_duplicates_share_the_mass_of_one_row():
    # three near-duplicates at about 0.1 (density about 3 each) and one lone row at -0.1, all as far from the
    # target: without duplicates each would get 1/4; with them the lone row gets about 1/2, each duplicate 1/6
    pool = np.array([[0.1], [0.1001], [0.1002], [-0.1]])
    target = np.zeros((2, 1))
    selector = TSDSSelector(
        n_select=2, k=1, alpha=0.5, distance_scale=1.0, kernel_size=0.05, neighbor_share=1.0, random_state=0
    ).fit(pool, target)
    assert_allclose(selector.density_, [2.994, 2.996, 2.994, 1.0], atol=1e-3)
    assert_allclose(selector.sampling_probabilities_, [1 / 6, 1 / 6, 1 / 6, 1 / 2], atol=2e-3)


def test_alpha_near_one_sends_each_target_row_to_its_nearest_pool_row(rng):
    pool = rng.normal(size=(200, 3))
    target = rng.normal(size=(10, 3))
    selector = TSDSSelector(n_select=5, alpha=0.999999, random_state=0).fit(pool, target)
    nearest = np.argmin(((target[:, None, :] - pool[None, :, :]) ** 2).sum(axis=2), axis=1)
    assert set(np.flatnonzero(selector.sampling_probabilities_).tolist()) == set(nearest.tolist())


def test_the_neighbour_counts_are_capped_at_a_tenth_of_the_pool(rng):
    pool = rng.normal(size=(300, 2))
    target = rng.normal(size=(10, 2))
    selector = TSDSSelector(n_select=5, alpha=0.0, random_state=0).fit(pool, target)
    # alpha = 0 spreads each target row over every fetched neighbour: 30 = a tenth of 300
    reached = selector.sampling_probabilities_ > 0
    assert reached.sum() <= 10 * 30
    assert selector.n_capped_ == 10


def test_registered_in_methods():
    selector = METHODS["TSDS"](12, 3)
    assert isinstance(selector, TSDSSelector)
    assert selector.n_select == 12 and selector.random_state == 3


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"alpha": -0.1}, ValueError, r"alpha must be at least 0.0; got -0.1"),
        ({"alpha": 1.0}, ValueError, r"alpha must be below 1; got 1.0.*NearestToTargetSelector"),
        ({"alpha": 1.5}, ValueError, r"alpha must be at most 1.0; got 1.5"),
        ({"alpha": "half"}, TypeError, r"alpha must be a number; got 'half'"),
        ({"distance_scale": 0.0}, ValueError, r"distance_scale must be greater than 0.0; got 0.0"),
        ({"kernel_size": -1.0}, ValueError, r"kernel_size must be greater than 0.0; got -1.0"),
        ({"n_neighbors": 0}, ValueError, r"n_neighbors must be at least 1; got 0"),
        ({"n_neighbors": 2.5}, TypeError, r"n_neighbors must be an integer; got 2.5"),
        ({"n_density_neighbors": 0}, ValueError, r"n_density_neighbors must be at least 1; got 0"),
        ({"neighbor_share": 0.0}, ValueError, r"neighbor_share must be greater than 0.0; got 0.0"),
        ({"neighbor_share": 1.5}, ValueError, r"neighbor_share must be at most 1.0; got 1.5"),
        ({"n_select": 0}, ValueError, r"n_select must be at least 1; got 0"),
        ({"k": 0}, ValueError, r"k must be at least 1; got 0"),
    ],
    ids=[
        "alpha-negative",
        "alpha-one",
        "alpha-above-one",
        "alpha-text",
        "scale-zero",
        "kernel-negative",
        "neighbors-zero",
        "neighbors-float",
        "density-zero",
        "share-zero",
        "share-above-one",
        "budget-zero",
        "k-zero",
    ],
)
def test_bad_parameters_are_refused_with_a_message(rng, params, error, match):
    pool, target = _blobs(rng, n_each=20)
    with pytest.raises(error, match=match):
        TSDSSelector(**params).fit(pool, target)


def test_bad_data_is_refused_with_a_message(rng):
    pool, target = _blobs(rng, n_each=20)
    with pytest.raises(ValueError, match=r"pool has 2 dimensions but target has 3"):
        TSDSSelector().fit(pool, np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"target has 3 rows; k=5 needs at least k\+1=6 rows"):
        TSDSSelector().fit(pool, target[:3])


def test_fetching_neighbours_a_few_at_a_time_gives_the_plan_over_all_of_them(rng, monkeypatch):
    from gio_core.methods import tsds

    pool = rng.normal(size=(400, 3))
    target = rng.normal(size=(12, 3))
    params = dict(n_select=30, alpha=0.2, distance_scale=1.0, neighbor_share=1.0, random_state=0)
    monkeypatch.setattr(tsds, "_FIRST_FETCH", 400)
    at_once = TSDSSelector(**params).fit(pool, target)
    monkeypatch.setattr(tsds, "_FIRST_FETCH", 2)
    monkeypatch.setattr(tsds, "_FETCH_GROWTH", 2)
    bit_by_bit = TSDSSelector(**params).fit(pool, target)
    assert at_once.support_size_ > 2 * len(target)  # some rows needed more than the first fetch
    assert_allclose(bit_by_bit.sampling_probabilities_, at_once.sampling_probabilities_, rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(bit_by_bit.selected_indices_, at_once.selected_indices_)
