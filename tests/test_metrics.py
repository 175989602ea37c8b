"""Selection metrics: hand-worked cases, agreement with the estimators, validation."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core import knn_kl
from gio_core.evaluate.metrics import (
    METRIC_DIRECTIONS,
    classifier_accuracy,
    coverage,
    evaluate_selection,
    in_target_precision,
    mmd2,
)
from gio_core.gio.kl import kl_curve


@pytest.mark.parametrize("k", [1, 3, 5], ids=lambda k: f"k{k}")
@pytest.mark.parametrize("with_init", [False, True], ids=["no-init", "init"])
def test_kl_curve_equals_the_estimator_after_every_pick(rng, k, with_init):
    target = rng.normal(size=(40, 3))
    picks = rng.normal(0.3, 1.2, size=(25, 3))
    init = rng.normal(size=(2, 3)) if with_init else None
    curve = kl_curve(target, picks, k=k, init=init)
    start = init if with_init else np.empty((0, 3))
    for j in range(len(picks)):
        sample = np.vstack([start, picks[: j + 1]])
        if sample.shape[0] < k:
            assert math.isnan(curve[j])
        else:
            assert_allclose(curve[j], knn_kl(target, sample, k=k, backend="numpy"), rtol=1e-10, atol=1e-10)


def test_kl_curve_handles_duplicates_and_blocks(rng, monkeypatch):
    import gio_core.evaluate.metrics as metrics

    monkeypatch.setattr(metrics, "_BLOCK_PAIRS", 50)  # force several blocks
    target = rng.normal(size=(20, 2))
    picks = np.vstack([target[:5], target[:5], rng.normal(size=(10, 2))])
    curve = kl_curve(target, picks, k=2)
    assert_allclose(curve[-1], knn_kl(target, picks, k=2, backend="numpy"), rtol=1e-10)


def test_kl_curve_by_hand():
    target = np.array([[0.0], [1.0], [2.0], [3.0]])
    # k=1: rho = 1 for every row. After one pick at 0: nu = 1e-5 (clipped), 1, 2, 3; m = 1
    curve = kl_curve(target, np.array([[0.0], [3.0]]), k=1)
    first = np.mean(np.log([1e-5, 1.0, 2.0, 3.0])) + math.log(1 / 3)
    second = np.mean(np.log([1e-5, 1.0, 1.0, 1e-5])) + math.log(2 / 3)
    assert_allclose(curve, [first, second], rtol=1e-9)


def test_mmd2_by_hand():
    x = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [2.0]])
    bandwidth = 1.0
    kernel = lambda a, b: math.exp(-((a - b) ** 2) / 2.0)  # noqa: E731
    within_x = kernel(0, 1)  # mean over the 2 off-diagonal pairs, which are equal
    within_y = kernel(0, 2)
    between = (kernel(0, 0) + kernel(0, 2) + kernel(1, 0) + kernel(1, 2)) / 4
    assert_allclose(mmd2(x, y, bandwidth=bandwidth), within_x + within_y - 2 * between, rtol=1e-9)  # 1e-10 clip


def test_mmd2_median_heuristic_is_the_default(rng):
    x, y = rng.normal(size=(30, 2)), rng.normal(1.0, 1.0, size=(20, 2))
    both = np.vstack([x, y])
    distances = np.sqrt(((both[:, None, :] - both[None, :, :]) ** 2).sum(-1))
    median = np.median(distances[np.triu_indices(len(both), k=1)])
    assert_allclose(mmd2(x, y), mmd2(x, y, bandwidth=median), rtol=1e-12)


def test_mmd2_tells_same_from_shifted(rng):
    same = mmd2(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)))
    shifted = mmd2(rng.normal(size=(300, 2)), rng.normal(1.5, 1.0, size=(300, 2)))
    assert abs(same) < 0.01
    assert shifted > 0.2
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(15, 3))
    assert_allclose(mmd2(x, y, bandwidth=1.3), mmd2(y, x, bandwidth=1.3), rtol=1e-12)


def test_mmd2_blocks_agree(rng, monkeypatch):
    import gio_core.evaluate.metrics as metrics

    x, y = rng.normal(size=(30, 2)), rng.normal(size=(25, 2))
    whole = mmd2(x, y, bandwidth=0.8)
    monkeypatch.setattr(metrics, "_BLOCK_PAIRS", 60)
    assert_allclose(mmd2(x, y, bandwidth=0.8), whole, rtol=1e-12)


def test_coverage_by_hand():
    target = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    # k=2 radii (distance to the 2nd nearest other row): 2, 1, 2, 2, 1, 2
    assert coverage(target, np.array([[1.0]]), k=2) == 0.5
    assert coverage(target, np.array([[1.0], [11.0]]), k=2) == 1.0
    assert coverage(target, np.array([[3.5]]), k=2) == 1 / 6  # only row 2 (1.5 <= 2)
    assert coverage(target, np.array([[5.0]]), k=2) == 0.0
    assert coverage(target, np.empty((0, 1)), k=2) == 0.0


def test_in_target_precision():
    assert in_target_precision([0, 1, 7, 1], [0, 1, 2]) == 0.75
    assert in_target_precision(np.array([True, False, True, True]), True) == 0.75
    assert in_target_precision(["cat", "dog"], ["dog"]) == 0.5
    assert math.isnan(in_target_precision([], [1]))


def test_classifier_accuracy_separable_and_single_class():
    x = np.array([[0.0, 0.0], [0.1, 0.2], [3.0, 3.0], [3.1, 2.9]])
    assert classifier_accuracy(x, [0, 0, 1, 1], np.array([[0.05, 0.1], [3.0, 3.1]]), [0, 1]) == 1.0
    # one class in the training picks: predicts it everywhere
    assert classifier_accuracy(x[:2], [4, 4], x, [4, 4, 1, 1]) == 0.5


def test_classifier_accuracy_is_deterministic(rng):
    x, y = rng.normal(size=(60, 4)), rng.integers(0, 3, size=60)
    first = classifier_accuracy(x[:40], y[:40], x[40:], y[40:], random_state=1)
    assert classifier_accuracy(x[:40], y[:40], x[40:], y[40:], random_state=1) == first


def test_evaluate_selection_with_labels(rng):
    pool = np.vstack([rng.normal(0, 1, size=(50, 2)), rng.normal(6, 1, size=(50, 2))])
    labels = np.repeat([0, 1], 50)
    heldout = rng.normal(6, 1, size=(30, 2))
    heldout_labels = np.ones(30, dtype=int)
    picks = np.array([50, 51, 52, 53, 54, 0, 1])
    result = evaluate_selection(pool, picks, heldout, k=3, pool_labels=labels, target_labels=heldout_labels)
    assert set(result) == {"n_selected", "kl", "mmd2", "coverage", "precision", "accuracy"}
    assert result["n_selected"] == 7
    assert_allclose(result["precision"], 5 / 7)
    assert_allclose(result["kl"], knn_kl(heldout, pool[picks], k=3))


def test_evaluate_selection_prefers_good_flags_for_precision(rng):
    pool, heldout = rng.normal(size=(40, 2)), rng.normal(size=(20, 2))
    good = np.arange(40) % 4 == 0
    result = evaluate_selection(
        pool, np.arange(8), heldout, good_flags=good, pool_labels=np.zeros(40, int), target_labels=np.zeros(20, int)
    )
    assert result["precision"] == 0.25  # rows 0 and 4 of the first 8
    assert result["accuracy"] == 1.0


def test_evaluate_selection_small_selections(rng):
    pool, heldout = rng.normal(size=(40, 2)), rng.normal(size=(20, 2))
    result = evaluate_selection(pool, np.array([3]), heldout, k=5)
    assert math.isnan(result["kl"]) and math.isnan(result["mmd2"])
    assert 0.0 <= result["coverage"] <= 1.0


def test_metric_directions_cover_every_metric(rng):
    pool, heldout = rng.normal(size=(40, 2)), rng.normal(size=(20, 2))
    result = evaluate_selection(
        pool, np.arange(10), heldout, pool_labels=np.arange(40) % 2, target_labels=np.arange(20) % 2
    )
    assert set(result) - {"n_selected"} == set(METRIC_DIRECTIONS)
    assert set(METRIC_DIRECTIONS.values()) == {"lower", "higher"}


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: kl_curve(x, np.ones((3, 3))), ValueError, "dimensions"),
        (lambda x: kl_curve(x[:3], x[:2], k=5), ValueError, "k\\+1"),
        (lambda x: mmd2(x, x[:1]), ValueError, "at least 2 rows"),
        (lambda x: mmd2(x, x, bandwidth=0.0), ValueError, "positive"),
        (lambda x: mmd2(x, x, bandwidth="wide"), TypeError, "bandwidth"),  # type: ignore[arg-type]  # the wrong type is the test
        (lambda x: coverage(x, np.ones((2, 5))), ValueError, "dimensions"),
        (lambda x: in_target_precision([1], []), ValueError, "empty"),
        (lambda x: classifier_accuracy(x, [0, 1], x, [0] * len(x)), ValueError, "train_y"),
        (lambda x: classifier_accuracy(x, [0, 1] * 5, x, [0]), ValueError, "test_y"),
        (lambda x: evaluate_selection(x, np.array([0, 99]), x), ValueError, "selected_indices"),
        (lambda x: evaluate_selection(x, np.array([0.5]), x), TypeError, "integers"),
        (lambda x: evaluate_selection(x, np.arange(3), x, pool_labels=[1, 2]), ValueError, "pool_labels"),
        (lambda x: evaluate_selection(x, np.arange(3), x, good_flags=[True]), ValueError, "good_flags"),
    ],
    ids=[
        "curve-dims",
        "curve-k",
        "mmd-rows",
        "mmd-bandwidth",
        "mmd-bandwidth-type",
        "coverage-dims",
        "precision-empty",
        "train-labels",
        "test-labels",
        "index-range",
        "index-type",
        "label-length",
        "flag-length",
    ],
)
def test_validation(rng, call, error, match):
    x = rng.normal(size=(10, 2))
    with pytest.raises(error, match=match):
        call(x)
