"""GIOSelector's options beyond grad-info-opt: objective, step rule, trust region, snapping, v_init='cycle'."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core import PAPER_GIO_PARAMS, GIOSelector, knn_kl
from gio_core.gio.kl import AveragedKL
from gio_core.gio.neighbors import NearestUnused, kth_neighbor_distances
from gio_core.gio.objectives import SmoothKNNKL, SteeredAveragedKL


@pytest.fixture
def two_blobs(rng):
    """A pool of two blobs and a target drawn from the first one only."""
    near = rng.normal(0.0, 1.0, size=(150, 4))
    far = rng.normal(6.0, 1.0, size=(150, 4))
    return np.vstack([near, far]), rng.normal(0.0, 1.0, size=(60, 4))


def test_paper_params_reproduce_the_plain_averaged_objective(two_blobs):
    pool, target = two_blobs
    start = pool[:3]
    paper = GIOSelector(**PAPER_GIO_PARAMS, random_state=0).fit(pool, target, init=start)
    # the same run through the general descent (step rule 'plain', no trust region) is the same run
    steered = SteeredAveragedKL(target, k=5, step_rule="plain")
    plain = AveragedKL(target, k=5)
    for state in (steered, plain):
        state.add_points(start)
    v0 = target.mean(axis=0)
    assert_allclose(
        steered.descend(v0, n_steps=30, step_size=0.05),
        plain.descend(v0, n_steps=30, step_size=0.05),
        rtol=1e-12,
        atol=1e-12,
    )
    assert paper.stop_reason_ in ("increase", "max_iter")


@pytest.mark.parametrize("objective", ["averaged", "smooth"])
def test_trust_region_bounds_every_descent(two_blobs, objective):
    pool, target = two_blobs
    radius = 0.25
    median_radius = float(np.median(kth_neighbor_distances(target, target, 5, exclude_self=True)))
    steps = []
    selector = GIOSelector(
        objective=objective,
        step_rule="preconditioned",
        lr=0.5,
        trust_radius=radius,
        v_init="cycle",
        uniform_start_size=0,
        max_iter=15,
        stop_criterion="data_size",
        random_state=1,
    )
    for step in selector.iter_fit(pool, target, record_path=True):
        steps.append(step)
    assert len(steps) == 15
    for step in steps:
        travelled = np.linalg.norm(step.path - step.path[0], axis=1).max()
        assert travelled <= radius * median_radius * (1 + 1e-9)
    # without the region the same descents go farther
    free = GIOSelector(
        objective=objective,
        step_rule="preconditioned",
        lr=0.5,
        trust_radius=None,
        v_init="cycle",
        uniform_start_size=0,
        max_iter=15,
        stop_criterion="data_size",
        random_state=1,
    )
    longest = max(
        np.linalg.norm(step.path - step.path[0], axis=1).max() for step in free.iter_fit(pool, target, record_path=True)
    )
    assert longest > radius * median_radius * 1.5


def test_cycle_starts_each_descent_at_a_new_target_row(rng):
    target = rng.normal(size=(8, 2))
    pool = rng.normal(size=(200, 2))
    selector = GIOSelector(
        v_init="cycle", grad_desc_iter=0, uniform_start_size=0, max_iter=8, stop_criterion="data_size", random_state=3
    )
    starts = [step.path[0] for step in selector.iter_fit(pool, target, record_path=True)]
    # with no descent, v is the start row itself: eight steps visit all eight target rows once
    visited = {int(np.argmin(np.linalg.norm(target - start, axis=1))) for start in starts}
    assert visited == set(range(8))


def test_jump_draws_with_replacement(rng):
    target = rng.normal(size=(8, 2))
    pool = rng.normal(size=(200, 2))
    selector = GIOSelector(
        v_init="jump", grad_desc_iter=0, uniform_start_size=0, max_iter=40, stop_criterion="data_size", random_state=3
    )
    starts = [step.path[0] for step in selector.iter_fit(pool, target, record_path=True)]
    rows = [int(np.argmin(np.linalg.norm(target - start, axis=1))) for start in starts]
    counts = np.bincount(rows, minlength=8)
    assert counts.max() > 5  # 40 draws from 8 rows: a 'cycle' would give exactly 5 each


@pytest.mark.parametrize("objective", ["averaged", "smooth"])
def test_snapping_takes_the_best_of_the_nearest_rows(rng, objective):
    pool, target = rng.normal(size=(300, 3)), rng.normal(size=(40, 3))
    start = pool[:6]
    selector = GIOSelector(
        objective=objective,
        step_rule="preconditioned",
        lr=0.5,
        snap_candidates=5,
        v_init="mean",
        uniform_start_size=0,
        max_iter=1,
        stop_criterion="data_size",
        random_state=0,
    )
    step = next(iter(selector.iter_fit(pool, target, init=start)))
    lookup = NearestUnused(pool)
    closest = lookup.nearest_several(step.v, 5)
    assert step.candidate in closest
    # the chosen row gives the lowest estimate among the five nearest
    state = SmoothKNNKL(target, k=5) if objective == "smooth" else AveragedKL(target, k=5)
    state.add_points(start)
    values = [state.value_with(state.squared_distances_to(pool[row])) for row in closest]
    assert step.kl == pytest.approx(min(values), rel=1e-12)
    one = GIOSelector(
        objective=objective,
        step_rule="preconditioned",
        lr=0.5,
        snap_candidates=1,
        v_init="mean",
        uniform_start_size=0,
        max_iter=1,
        stop_criterion="data_size",
        random_state=0,
    )
    assert next(iter(one.iter_fit(pool, target, init=start))).candidate == closest[0]


def test_nearest_several_orders_by_distance_and_skips_used_rows():
    rows = np.array([[0.0], [3.0], [1.0], [2.0], [1.0]])
    lookup = NearestUnused(rows)
    assert lookup.nearest_several(np.array([0.9]), 3).tolist() == [2, 4, 0]
    lookup.use(2)
    assert lookup.nearest_several(np.array([0.9]), 3).tolist() == [4, 0, 3]
    assert lookup.nearest_several(np.array([0.9]), 10).tolist() == [4, 0, 3, 1]


def test_empty_uniform_start(two_blobs):
    pool, target = two_blobs
    selector = GIOSelector(
        uniform_start_size=0,
        objective="smooth",
        step_rule="preconditioned",
        lr=0.5,
        max_iter=10,
        stop_criterion="data_size",
        random_state=0,
    ).fit(pool, target)
    assert selector.result_.start_points.shape == (0, 4)
    assert np.isinf(selector.initial_kl_)
    # the standard estimate is undefined below k points, then finite
    assert np.isinf(selector.kl_curve_[:4]).all() and np.isfinite(selector.kl_curve_[4:]).all()


def test_smooth_objective_reports_the_standard_estimate(two_blobs):
    pool, target = two_blobs
    selector = GIOSelector(
        uniform_start_size=0,
        objective="smooth",
        step_rule="preconditioned",
        lr=0.5,
        max_iter=20,
        stop_criterion="data_size",
        random_state=0,
    ).fit(pool, target)
    picks = pool[selector.selected_indices_]
    assert selector.kl_curve_[-1] == pytest.approx(knn_kl(target, picks, k=5), rel=1e-9)


def test_smooth_objective_with_discard_is_refused():
    with pytest.raises(ValueError, match="set objective='averaged' or discard_nearest_for_xy=False"):
        GIOSelector(objective="smooth", discard_nearest_for_xy=True).config()


def test_empty_start_with_discard_is_refused(two_blobs):
    pool, target = two_blobs
    with pytest.raises(ValueError, match="needs a non-empty start set"):
        GIOSelector(**{**PAPER_GIO_PARAMS, "uniform_start_size": 0, "discard_nearest_for_xy": True}).fit(pool, target)


def test_options_are_keyword_only() -> None:
    """As scikit-learn's estimators: GIOSelector(5) would silently be k=5 today and something else tomorrow."""
    with pytest.raises(TypeError, match="positional argument"):
        GIOSelector(5)  # type: ignore[call-arg]  # positional on purpose: the test
    assert GIOSelector(k=3).get_params()["k"] == 3
