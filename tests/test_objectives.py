"""The smooth standard k-NN KL objective: estimate, gradient by central differences, engine fit."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core import AveragedKL, knn_kl
from gio_core.gio.objectives import SmoothKNNKL


def _central_differences(function, point, step=1e-6):
    gradient = np.empty_like(point)
    for axis in range(point.size):
        offset = np.zeros_like(point)
        offset[axis] = step
        gradient[axis] = (function(point + offset) - function(point - offset)) / (2 * step)
    return gradient


@pytest.mark.parametrize("k", [1, 3, 5], ids=lambda k: f"k{k}")
def test_value_is_the_standard_estimator(rng, k):
    target, sample = rng.normal(size=(30, 3)), rng.normal(0.5, 1.0, size=(12, 3))
    objective = SmoothKNNKL(target, k=k)
    objective.add_points(sample[: k - 1])
    assert math.isinf(objective.value())
    objective.add_points(sample[k - 1 :])
    assert objective.size == 12
    assert_allclose(objective.value(), knn_kl(target, sample, k=k, backend="numpy"), rtol=1e-10)


def test_value_with_and_add_agree_with_the_estimator(rng):
    target, sample, extra = rng.normal(size=(30, 2)), rng.normal(size=(8, 2)), rng.normal(size=(5, 2))
    objective = SmoothKNNKL(target, k=3)
    objective.add_points(sample)
    before = objective.value()
    squared = np.stack([objective.squared_distances_to(point) for point in extra])
    each = [objective.value_with(row) for row in squared]
    assert objective.value() == before and objective.size == 8  # nothing changed
    assert_allclose(objective.values_with(squared), each, rtol=1e-12)
    for index, point in enumerate(extra):
        assert_allclose(each[index], knn_kl(target, np.vstack([sample, point]), k=3, backend="numpy"), rtol=1e-10)
    objective.add(squared[0])
    assert_allclose(objective.value(), each[0], rtol=1e-12)


def test_add_and_add_points_agree(rng):
    target, sample = rng.normal(size=(25, 3)), rng.normal(size=(9, 3))
    one_by_one, at_once = SmoothKNNKL(target, k=4), SmoothKNNKL(target, k=4)
    for point in sample:
        one_by_one.add(one_by_one.squared_distances_to(point))
    at_once.add_points(sample)
    assert_allclose(one_by_one.value(), at_once.value(), rtol=1e-12)
    assert_allclose(one_by_one._nearest, at_once._nearest, rtol=1e-12)


def test_values_with_caps_the_rank_on_small_samples():
    target = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    objective = SmoothKNNKL(target, k=3)
    # empty sample: the rank is 1, so the best single point minimises sum_i log |x_i - y|
    candidates = np.array([[2.5], [10.0]])
    squared = np.stack([objective.squared_distances_to(c) for c in candidates])
    scores = objective.values_with(squared)
    assert scores[0] < scores[1]
    assert math.isinf(objective.value_with(squared[0]))  # the estimator itself needs k rows


@pytest.mark.parametrize("k", [1, 2, 5], ids=lambda k: f"k{k}")
@pytest.mark.parametrize("n_sample", [0, 1, 7], ids=lambda n: f"m{n}")
@pytest.mark.parametrize("dimension", [1, 3, 12], ids=lambda d: f"d{d}")
@pytest.mark.parametrize("sharpness", [1.0, 4.0, 9.0], ids=lambda p: f"p{p:g}")
def test_gradient_matches_central_differences(rng, k, n_sample, dimension, sharpness):
    target = rng.normal(size=(30, dimension))
    objective = SmoothKNNKL(target, k=k, sharpness=sharpness)
    objective.add_points(rng.normal(size=(n_sample, dimension)))
    for _ in range(3):
        point = rng.normal(size=dimension)
        numeric = _central_differences(objective.relaxed_value, point)
        assert_allclose(objective.gradient(point), numeric, rtol=1e-5, atol=1e-7 * max(1.0, np.abs(numeric).max()))


def test_empty_sample_gradient_is_the_papers_up_to_a_constant(rng):
    target = rng.normal(size=(40, 3))
    smooth, averaged = SmoothKNNKL(target, k=5), AveragedKL(target, k=5)
    for point in rng.normal(size=(5, 3)):
        assert_allclose(smooth.gradient(point), averaged.gradient(point), rtol=1e-6)


def test_covered_target_rows_stop_pulling():
    # two target clusters; the sample already covers the left one well
    target = np.vstack([np.linspace(-0.5, 0.5, 10)[:, None] - 10.0, np.linspace(-0.5, 0.5, 10)[:, None] + 10.0])
    covered = SmoothKNNKL(target, k=2, sharpness=4.0)
    covered.add_points(target[:10] + 0.01)
    averaged = AveragedKL(target, k=2)
    averaged.add_points(target[:10] + 0.01)
    middle = np.array([0.0])
    # descent goes against the gradient: towards +10 (the uncovered cluster) for the smooth objective
    assert covered.gradient(middle)[0] < 0
    # the paper's gradient is blind to the sample: both clusters pull equally, so it is ~0 in the middle
    assert abs(averaged.gradient(middle)[0]) < 1e-3 * abs(covered.gradient(middle)[0])


def test_descent_lowers_the_relaxed_value(rng):
    target = rng.normal(size=(50, 2))
    objective = SmoothKNNKL(target, k=3, step_rule="plain")
    objective.add_points(rng.normal(size=(10, 2)))
    start = np.array([2.0, -2.0])
    path = []
    end = objective.descend(start, n_steps=30, step_size=0.01, path=path)
    assert len(path) == 31
    assert objective.relaxed_value(end) < objective.relaxed_value(start)


def test_preconditioned_step_is_the_fixed_point(rng):
    target = rng.normal(size=(20, 2))
    objective = SmoothKNNKL(target, k=3)
    objective.add_points(rng.normal(size=(6, 2)))
    start = np.array([1.0, 1.0])
    _, weights = objective._terms(objective.squared_distances_to(start))
    fixed_point = weights @ target / weights.sum()
    assert_allclose(objective.descend(start, n_steps=1, step_size=1.0), fixed_point, rtol=1e-12)
    assert_allclose(objective.descend(start, n_steps=1, step_size=0.5), (start + fixed_point) / 2, rtol=1e-12)


def test_trust_radius_keeps_the_descent_local(rng):
    target = rng.normal(size=(40, 3))
    objective = SmoothKNNKL(target, k=5, trust_radius=0.25)
    limit = 0.25 * np.median(np.sort(np.sqrt(((target[:, None] - target[None]) ** 2).sum(-1)), axis=1)[:, 5])
    start = target[0] + 3.0
    end = objective.descend(start, n_steps=50, step_size=1.0)
    assert np.linalg.norm(end - start) <= limit * (1 + 1e-9)
    free = SmoothKNNKL(target, k=5).descend(start, n_steps=50, step_size=1.0)
    assert np.linalg.norm(free - start) > limit


def test_drops_into_the_engine_run_loop(rng):
    from gio_core.gio.run import _Run
    from gio_core.gio.selector import GIOSelector

    pool, target = rng.normal(size=(80, 2)), rng.normal(size=(30, 2))
    config = GIOSelector(max_iter=15, stop_criterion="data_size", v_init="jump", lr=0.5, grad_desc_iter=5).config()
    run = _Run(
        pool,
        target,
        np.empty((0, 2)),
        config,
        np.random.default_rng(0),
        rows_per_candidate=None,
        row_budget=len(pool),
        excluded=None,
        record_path=False,
    )
    run.estimate = SmoothKNNKL(target, k=config.k)
    run.initial_kl = run.estimate.value()
    run.scale_factor = 1.0
    steps = list(run.steps())
    assert len(run.picks) == 15 and len(set(run.picks)) == 15
    assert all(math.isinf(value) for value in run.kl_curve[:4])
    assert_allclose(run.kl_curve[-1], knn_kl(target, pool[run.picks], k=5, backend="numpy"), rtol=1e-10)
    assert steps[-1].stop_reason == "max_iter"


@pytest.mark.parametrize(
    "options, match",
    [
        ({"discard_nearest_for_xy": True}, "discard_nearest_for_xy"),
        ({"sharpness": 0.0}, "sharpness"),
        ({"sharpness": float("inf")}, "sharpness"),
        ({"step_rule": "newton"}, "step_rule"),
        ({"trust_radius": -1.0}, "trust_radius"),
        ({"k": 30}, "k\\+1"),
    ],
    ids=["discard", "sharpness-zero", "sharpness-inf", "step-rule", "trust", "too-few-rows"],
)
def test_validation(rng, options, match):
    with pytest.raises(ValueError, match=match):
        SmoothKNNKL(rng.normal(size=(20, 2)), **options)
