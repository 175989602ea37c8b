"""The k-NN KL estimators: hand-worked cases, gradients, consistency, parity with grad-info-opt."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core import AveragedKL, averaged_knn_kl, averaged_knn_kl_gradient, knn_kl
from gio_core.gio.kl import EPS

from .conftest import load_reference

# values for the validation cases below (only their shapes and finiteness matter)
_VALUES = np.random.default_rng(0)


def _log(distance):
    return math.log(distance + EPS)


def test_averaged_kl_by_hand():
    # target 0,1,2,3 on a line; k=1 so every rho is 1; one sample point at 0.5
    target = np.array([[0.0], [1.0], [2.0], [3.0]])
    sample = np.array([[0.5]])
    mean_log_nu = (_log(0.5) + _log(0.5) + _log(1.5) + _log(2.5)) / 4
    expected = 1 * (mean_log_nu - _log(1.0)) + math.log(1 * 1 / (1 * 3))
    assert_allclose(averaged_knn_kl(target, sample, k=1), expected, rtol=1e-12)


def test_averaged_kl_by_hand_two_points_discarding_nearest():
    target = np.array([[0.0], [1.0], [2.0], [3.0]])
    sample = np.array([[0.5], [3.0]])
    # each target row drops its nearest sample point: row 0 keeps 3.0, row 1 keeps 3.0 (0.5 nearer),
    # row 2 keeps 0.5 (3.0 is at distance 1 < 1.5), row 3 keeps 0.5 (3.0 itself is at distance 0)
    kept = [3.0, 2.0, 1.5, 2.5]
    mean_log_nu = sum(_log(value) for value in kept) / 4
    rank_term = (math.log(1 * 2 / (1 * 3)) + math.log(1 * 2 / (2 * 3))) / 2
    expected = mean_log_nu - _log(1.0) + rank_term
    assert_allclose(averaged_knn_kl(target, sample, k=1, discard_nearest_for_xy=True), expected, rtol=1e-12)


def test_standard_kl_by_hand():
    target = np.array([[0.0], [1.0], [2.0], [3.0]])
    sample = np.array([[0.0], [10.0]])
    # k=1: rho = 1 for every row; nu = distance to the nearest sample point: 0 (clipped to 1e-5), 1, 2, 3
    nu = [1e-5, 1.0, 2.0, 3.0]
    expected = np.mean([math.log(value) for value in nu]) + math.log(2 / 3)
    assert_allclose(knn_kl(target, sample, k=1), expected, rtol=1e-9)


@pytest.mark.parametrize("case_index", range(5), ids=lambda index: f"case{index}")
def test_estimator_and_gradient_match_reference(case_index):
    case = load_reference("estimator")["cases"][case_index]
    x, y = np.array(case["x"]), np.array(case["y"])
    options = dict(k=case["k"], discard_nearest_for_xy=case["discard_nearest_for_xy"])
    assert_allclose(averaged_knn_kl(x, y, **options), case["kl"], rtol=1e-5)
    gradient = averaged_knn_kl_gradient(x, y, case["v"], **options)
    assert_allclose(gradient, case["grad_v"], rtol=1e-5, atol=1e-5 * np.abs(case["grad_v"]).max())


@pytest.mark.parametrize("discard", [False, True], ids=["all-pairs", "discard-nearest"])
@pytest.mark.parametrize("dimension", [1, 3, 12], ids=lambda d: f"d{d}")
def test_gradient_matches_central_differences(rng, discard, dimension):
    target = rng.normal(size=(40, dimension))
    sample = rng.normal(0.5, 1.2, size=(15, dimension))
    point = rng.normal(size=dimension)
    analytic = averaged_knn_kl_gradient(target, sample, point, k=3, discard_nearest_for_xy=discard)
    step = 1e-6
    numeric = np.empty(dimension)
    for axis in range(dimension):
        shift = np.zeros(dimension)
        shift[axis] = step
        upper = averaged_knn_kl(target, np.vstack([sample, point + shift]), k=3, discard_nearest_for_xy=discard)
        lower = averaged_knn_kl(target, np.vstack([sample, point - shift]), k=3, discard_nearest_for_xy=discard)
        numeric[axis] = (upper - lower) / (2 * step)
    assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_gradient_independent_of_chosen_points_up_to_their_count(rng):
    target = rng.normal(size=(30, 2))
    point = np.array([0.3, -0.2])
    near = averaged_knn_kl_gradient(target, rng.normal(size=(10, 2)), point)
    far = averaged_knn_kl_gradient(target, rng.normal(50.0, 1.0, size=(10, 2)), point)
    assert_allclose(near, far, rtol=1e-12)
    fewer = averaged_knn_kl_gradient(target, rng.normal(size=(4, 2)), point)
    assert_allclose(fewer * 5 / 11, near, rtol=1e-12)  # scales as 1 / (m + 1)


def test_gradient_pulls_towards_the_target():
    target = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5], [0.2, 0.7]])
    gradient = averaged_knn_kl_gradient(target, target[:2], np.array([5.0, 5.0]), k=2)
    assert gradient[0] > 0 and gradient[1] > 0  # descending moves v back towards the target


@pytest.mark.parametrize("discard", [False, True], ids=["all-pairs", "discard-nearest"])
def test_incremental_state_matches_batch(rng, discard):
    target = rng.normal(size=(60, 5))
    sample = rng.normal(size=(25, 5))
    state = AveragedKL(target, k=4, discard_nearest_for_xy=discard)
    state.add_points(sample[:3])
    for row in sample[3:]:
        squared = state.squared_distances_to(row)
        before = state.value()
        preview = state.value_with(squared)
        assert state.value() == before  # value_with changes nothing
        state.add(squared)
        assert state.value() == preview
    assert_allclose(state.value(), averaged_knn_kl(target, sample, k=4, discard_nearest_for_xy=discard), rtol=1e-12)
    assert state.size == 25


def test_empty_sample_has_infinite_estimate(rng):
    state = AveragedKL(rng.normal(size=(10, 2)), k=2)
    assert state.value() == math.inf
    assert np.all(np.isfinite(state.gradient(np.zeros(2))))


def _gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    dimension = len(mean_p)
    inverse_q = np.linalg.inv(cov_q)
    difference = mean_q - mean_p
    return 0.5 * (
        np.trace(inverse_q @ cov_p)
        + difference @ inverse_q @ difference
        - dimension
        + math.log(np.linalg.det(cov_q) / np.linalg.det(cov_p))
    )


@pytest.mark.parametrize("dimension", [1, 2, 4], ids=lambda d: f"d{d}")
def test_standard_estimator_converges_to_closed_form(dimension):
    mean_p, cov_p = np.zeros(dimension), np.eye(dimension)
    mean_q = np.full(dimension, 0.7)
    cov_q = np.diag(np.linspace(1.0, 2.0, dimension))
    truth = _gaussian_kl(mean_p, cov_p, mean_q, cov_q)
    spreads = []
    for size in (300, 20_000):
        generator = np.random.default_rng(size + dimension)
        estimates = [
            knn_kl(
                generator.multivariate_normal(mean_p, cov_p, size),
                generator.multivariate_normal(mean_q, cov_q, size),
                k=5,
            )
            for _ in range(4)
        ]
        spreads.append(np.std(estimates))
    assert abs(np.mean(estimates) - truth) < 0.05 * truth + 0.01  # close at the larger size
    assert spreads[1] < spreads[0]  # and less scattered than at the smaller one


def test_standard_estimator_backends_agree(rng):
    target, sample = rng.normal(size=(400, 8)), rng.normal(0.3, 1.0, size=(500, 8))
    assert_allclose(knn_kl(target, sample, backend="numpy"), knn_kl(target, sample, backend="faiss"), rtol=1e-4)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: averaged_knn_kl(np.zeros((10, 2)), np.zeros((5, 3))),
            ValueError,
            "target has 2 dimensions but sample has 3",
        ),
        (
            lambda: averaged_knn_kl(_VALUES.random((3, 2)), np.zeros((5, 2)), k=5),
            ValueError,
            r"target has 3 rows; k=5 needs at least k\+1=6 rows",
        ),
        (
            lambda: averaged_knn_kl(np.full((10, 2), np.nan), np.zeros((5, 2))),
            ValueError,
            "target has 10 row\\(s\\) with NaN or inf",
        ),
        (
            lambda: averaged_knn_kl(_VALUES.random((10, 2)), np.array([[0.0, np.inf]])),
            ValueError,
            "sample has 1 row\\(s\\) with NaN or inf",
        ),
        (lambda: averaged_knn_kl(_VALUES.random((10, 2)), np.zeros((0, 2))), ValueError, "sample is empty"),
        (
            lambda: averaged_knn_kl(_VALUES.random((10, 2)), np.zeros((1, 2)), discard_nearest_for_xy=True),
            ValueError,
            "needs at least 2 rows",
        ),
        (lambda: averaged_knn_kl(_VALUES.random((10, 2)), np.zeros((4, 2)), k=0), ValueError, "k must be at least 1"),
        (lambda: averaged_knn_kl(_VALUES.random((10, 2)), np.zeros((4, 2)), k=2.5), TypeError, "k must be an integer"),  # type: ignore[arg-type]  # the wrong type is the test
        (lambda: averaged_knn_kl([["a", "b"]] * 10, np.zeros((4, 2))), TypeError, "target has dtype"),
        (lambda: averaged_knn_kl(_VALUES.random(10), np.zeros((4, 1))), ValueError, "target is 1-D"),
        (lambda: averaged_knn_kl("pool.csv", np.zeros((4, 1))), TypeError, "not a file name"),
        (
            lambda: knn_kl(_VALUES.random((10, 2)), np.zeros((2, 2)), k=3),
            ValueError,
            "sample has 2 rows; k=3 needs at least k rows",
        ),
        (
            lambda: averaged_knn_kl_gradient(_VALUES.random((10, 2)), np.zeros((3, 2)), [0.0, 0.0, 1.0]),
            ValueError,
            r"point has shape \(3,\)",
        ),
        (
            lambda: knn_kl(_VALUES.random((10, 2)), _VALUES.random((10, 2)), backend="gpu"),  # type: ignore[arg-type]  # the bad value is the test
            ValueError,
            "backend='gpu' is not one of",
        ),
    ],
    ids=[
        "dimension-mismatch",
        "too-few-target-rows",
        "nan-target",
        "inf-sample",
        "empty-sample",
        "discard-needs-two",
        "k-zero",
        "k-float",
        "strings",
        "one-dimensional",
        "file-name",
        "knn-too-few",
        "point-shape",
        "backend",
    ],
)
def test_validation_messages(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_large_targets_descend_in_float32_close_to_float64(monkeypatch):
    from gio_core.gio import kl as kl_module

    rng = np.random.default_rng(5)
    target = rng.normal(size=(1_500, 200))  # 2.4 MiB as float64 augmented: above the float32 threshold
    sample = rng.normal(size=(10, 200))
    fast = AveragedKL(target, k=5)
    fast.add_points(sample)
    assert fast._augmented_target().dtype == np.float32
    monkeypatch.setattr(kl_module, "FLOAT32_DESCENT_BYTES", 2**62)
    exact = AveragedKL(target, k=5)
    exact.add_points(sample)
    assert exact._augmented_target().dtype == np.float64
    start = target.mean(axis=0)
    step = 0.5 * np.linalg.norm(start) / np.linalg.norm(exact.gradient(start))
    ours, reference = (state.descend(start, n_steps=20, step_size=step) for state in (fast, exact))
    # float32 rounding only: the paths agree to about 1e-5 of their length
    assert np.linalg.norm(ours - reference) <= 1e-4 * np.linalg.norm(reference)
    assert np.linalg.norm(ours - start) > 0.1 * np.linalg.norm(start)  # and they did move
