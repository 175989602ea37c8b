"""Figures of a run: the trace, the map overlay, the map, the KL curve and the animation."""

import numpy as np
import pytest

from gio_core import GIOSelector
from gio_core.plots.animation import animated_run_figure
from gio_core.plots.curves import kl_figure
from gio_core.plots.maps import map_figure
from gio_core.plots.projection import MapPlacer, project
from gio_core.plots.style import label_colors
from gio_core.plots.trace import STOP_LABELS, RunTrace, map_overlay


def _run(pool, target, **params):
    selector = GIOSelector(random_state=0, **params)
    steps = list(selector.iter_fit(pool, target, record_path=True))
    trace = RunTrace.from_steps(
        steps,
        initial_kl=selector.initial_kl_,
        dimensions=pool.shape[1],
        stop_message=selector.stop_message_,
        cluster_centers=selector.cluster_centers_,
    )
    return selector, trace


@pytest.fixture
def data(rng):
    pool = rng.normal(size=(400, 2))
    target = rng.normal(size=(60, 2)) * 0.5 + 1.0
    labels = (pool[:, 0] > 0).astype(int)
    return pool, target, labels


@pytest.fixture
def run(data):
    pool, target, _ = data
    return _run(pool, target, max_iter=25)


def test_trace_replays_the_selection(run):
    selector, trace = run
    rows, rank = trace.picks_until(trace.n_steps - 1)
    np.testing.assert_array_equal(rows, selector.selected_indices_)
    np.testing.assert_array_equal(rank, np.arange(1, len(rows) + 1))
    assert trace.stop_reason == selector.stop_reason_
    # 'sequential_increase_tolerance' keeps the tolerated rises during the run and drops them at the end
    np.testing.assert_allclose(trace.kl[trace.kept][: len(selector.kl_curve_)], selector.kl_curve_)


def test_picks_until_grows_one_pick_per_kept_step(run):
    _, trace = run
    counts = [len(trace.picks_until(step)[0]) for step in range(trace.n_steps)]
    np.testing.assert_array_equal(counts, trace.n_selected)
    assert len(trace.picks_until(-1)[0]) == 0


def test_rolled_back_picks_leave_the_map_at_the_end(data):
    pool, target, _ = data
    selector, trace = _run(
        pool, target, max_iter=200, stop_criterion="sequential_increase_tolerance", max_sequential_increases=2
    )
    assert selector.stop_reason_ == "sequential_increase_tolerance"
    assert trace.n_selected.max() > len(selector.selected_indices_)  # picks were kept, then dropped
    rows, _ = trace.picks_until(trace.n_steps - 1)
    np.testing.assert_array_equal(rows, selector.selected_indices_)


def test_quantised_trace_explodes_clusters_like_the_engine(rng):
    pool = rng.normal(size=(600, 3))
    target = rng.normal(size=(80, 3)) + 0.5
    selector, trace = _run(pool, target, n_clusters=30, max_iter=10)
    assert trace.quantized
    rows, rank = trace.picks_until(trace.n_steps - 1)
    assert sorted(rows.tolist()) == sorted(selector.selected_indices_.tolist())
    assert len(np.unique(rank)) == len(selector.selected_clusters_)


def test_overlay_marks_v_and_the_row_it_snapped_to(data, run):
    pool, target, _ = data
    _, trace = run
    projection = project(pool, target)
    placer = MapPlacer(projection, pool, target)
    overlay = map_overlay(trace, 4, placer)
    np.testing.assert_allclose(overlay.v_xy, trace.v[4], rtol=1e-5)
    np.testing.assert_allclose(overlay.snapped_xy, pool[trace.candidate[4]], rtol=1e-5)
    assert overlay.path_xy is not None and len(overlay.path_xy) >= 2
    assert len(overlay.picks_xy) == trace.n_selected[4]
    assert overlay.caption.startswith(f"Step 5 of {trace.n_steps}: v snapped to pool row {trace.candidate[4]}")


def test_overlay_draws_at_most_max_drawn_picks_evenly_in_pick_order_and_says_so(data, run):
    pool, target, _ = data
    _, trace = run
    placer = MapPlacer(project(pool, target), pool, target)
    last = trace.n_steps - 1
    every = map_overlay(trace, last, placer)
    some = map_overlay(trace, last, placer, max_drawn=5)
    assert len(every.picks_rows) == every.n_picks_total > 5 and "drawn" not in every.caption
    assert len(some.picks_rows) == len(some.picks_xy) == len(some.picks_rank) == 5
    assert some.n_picks_total == every.n_picks_total
    # the first and the last pick are among them, in pick order, each at its own place on the map
    assert some.picks_rank[0] == every.picks_rank[0] and some.picks_rank[-1] == every.picks_rank[-1]
    assert np.all(np.diff(some.picks_rank) > 0)
    at = np.searchsorted(every.picks_rows, some.picks_rows, sorter=np.argsort(every.picks_rows))
    np.testing.assert_allclose(some.picks_xy, every.picks_xy[np.argsort(every.picks_rows)[at]])
    assert some.caption.endswith("(5 drawn on the map).")


def test_centroids_are_plain_dots_which_a_browser_without_a_gpu_draws_cheaply(rng):
    pool = rng.normal(size=(600, 3))
    target = rng.normal(size=(80, 3)) + 0.5
    _, trace = _run(pool, target, n_clusters=30, max_iter=10)
    projection = project(pool, target, method="pca")
    figure = map_figure(projection, map_overlay(trace, 3, MapPlacer(projection, pool, target)))
    centroids = next(item for item in figure.data if item.name == "pool centroids")
    assert len(centroids.x) == 30
    # any other symbol, or an outline, goes through WebGL glyph textures: 3-4x the cost in SwiftShader
    assert centroids.type == "scattergl" and centroids.marker.symbol == "circle" and centroids.marker.line.width == 0


def test_picks_are_dots_on_a_dark_ring_drawn_under_them(data, run):
    pool, target, _ = data
    _, trace = run
    projection = project(pool, target)
    figure = map_figure(projection, map_overlay(trace, 5, MapPlacer(projection, pool, target)))
    names = [item.name for item in figure.data]
    ring, picks = figure.data[names.index("picks (ring)")], figure.data[names.index("picks")]
    assert names.index("picks (ring)") == names.index("picks") - 1  # under the picks
    np.testing.assert_array_equal(ring.x, picks.x)
    np.testing.assert_array_equal(ring.y, picks.y)
    assert ring.hoverinfo == "skip" and ring.showlegend is False and ring.marker.size > picks.marker.size
    for dots in (ring, picks):  # no glyph textures: plain circles without an outline
        assert dots.type == "scattergl" and dots.marker.symbol == "circle" and dots.marker.line.width == 0


def test_overlay_of_the_rejected_last_step(data, run):
    pool, target, _ = data
    _, trace = run
    placer = MapPlacer(project(pool, target), pool, target)
    last = trace.n_steps - 1
    overlay = map_overlay(trace, 10_000, placer)  # clipped to the run
    assert overlay.step == last
    assert overlay.snapped_kept == bool(trace.kept[last])
    assert ("rejected" in overlay.caption) == (not trace.kept[last])


def test_overlay_before_the_first_step_is_empty(data, run):
    pool, target, _ = data
    _, trace = run
    overlay = map_overlay(trace, -1, MapPlacer(project(pool, target), pool, target))
    assert len(overlay.picks_xy) == 0 and overlay.v_xy is None


def test_map_figure_draws_pool_target_and_the_step(data, run):
    pool, target, _ = data
    _, trace = run
    projection = project(pool, target)
    placer = MapPlacer(projection, pool, target)
    figure = map_figure(projection, map_overlay(trace, 5, placer))
    names = [item.name for item in figure.data]
    assert names[:2] == ["pool", "target"]
    assert {"picks", "v (optimum)", "snapped to", "descent path of v"} <= set(names)
    assert len(figure.data[0].x) == 400 and len(figure.data[1].x) == 60
    picks = figure.data[names.index("picks")]
    np.testing.assert_array_equal(picks.marker.color, np.arange(1, 7))  # coloured by pick order
    assert figure.layout.yaxis.scaleanchor == "x"  # raw 2-D data keep their aspect


def test_map_figure_colours_target_and_picks_by_label(data, run):
    pool, target, labels = data
    _, trace = run
    projection = project(pool, target)
    overlay = map_overlay(trace, trace.n_steps - 1, MapPlacer(projection, pool, target))
    target_labels = np.ones(len(target), dtype=int)
    figure = map_figure(
        projection, overlay, target_labels=target_labels, pool_labels=labels, label_name="side", color_picks_by="label"
    )
    colors = label_colors(list(target_labels) + list(labels[overlay.picks_rows]))
    names = [item.name for item in figure.data]
    assert "target: side 1" in names
    picks = figure.data[names.index("picks")]
    assert list(picks.marker.color) == [colors[int(label)] for label in labels[overlay.picks_rows]]
    if 0 in set(labels[overlay.picks_rows].tolist()):
        assert "side 0 (not in target)" in names


def test_map_figure_notes_a_sampled_pool(rng):
    pool, target = rng.normal(size=(3_000, 3)), rng.normal(size=(30, 3))
    figure = map_figure(project(pool, target, method="pca", max_pool_rows=300))
    assert any("300 of 3,000 pool rows" in note.text for note in figure.layout.annotations)


def test_map_figure_refuses_an_unknown_colouring(data):
    pool, target, _ = data
    with pytest.raises(ValueError, match="color_picks_by='size' is not 'order' or 'label'"):
        map_figure(project(pool, target), color_picks_by="size")


def test_kl_figure_shows_kept_rejected_current_and_the_stop(run):
    _, trace = run
    figure = kl_figure(trace, current=3)
    by_name = {item.name: item for item in figure.data}
    start_point = 1 if np.isfinite(trace.initial_kl) else 0  # an empty start set has no KL to draw
    assert len(by_name["KL after each pick"].x) == int(trace.kept.sum()) + start_point
    assert len(by_name["rejected (KL rose)"].x) == int((~trace.kept & ~trace.reset).sum())
    assert list(by_name["this step"].x) == [4]
    assert figure.layout.annotations[0].text == STOP_LABELS[trace.stop_reason]


def test_kl_figure_of_no_steps_says_what_will_appear():
    trace = RunTrace.from_steps([], initial_kl=np.inf, dimensions=2)
    figure = kl_figure(trace)
    assert "appears here" in figure.layout.annotations[0].text


def test_animation_has_one_frame_per_step_and_ends_on_the_last(data, run):
    pool, target, _ = data
    _, trace = run
    projection = project(pool, target)
    figure = animated_run_figure(trace, projection, MapPlacer(projection, pool, target))
    assert len(figure.frames) == trace.n_steps
    assert figure.frames[-1].name == str(trace.n_steps)
    assert len(figure.layout.sliders[0].steps) == trace.n_steps
    assert [button.label for button in figure.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    # each frame replaces the same eleven overlay traces (six on the map, the picks' rings among them; five on the
    # curve)
    assert all(len(frame.data) == 11 and list(frame.traces) == list(figure.frames[0].traces) for frame in figure.frames)


def test_long_runs_are_animated_with_evenly_spaced_frames(data):
    pool, target, _ = data
    _, trace = _run(pool, target, max_iter=60, stop_criterion="data_size")
    projection = project(pool, target)
    figure = animated_run_figure(trace, projection, MapPlacer(projection, pool, target), max_frames=12)
    assert len(figure.frames) == 12
    assert figure.frames[0].name == "1" and figure.frames[-1].name == str(trace.n_steps)


def test_map_hover_shows_each_rows_content_on_pool_target_and_picks(data, run):
    pool, target, _ = data
    _, trace = run
    projection = project(pool, target)
    overlay = map_overlay(trace, trace.n_steps - 1, MapPlacer(projection, pool, target))
    pool_text = np.array([f"pool sentence {i}" for i in range(len(pool))], dtype=object)
    target_text = np.array([f"target sentence {i}" for i in range(len(target))], dtype=object)
    figure = map_figure(projection, overlay, pool_text=pool_text, target_text=target_text)
    by_name = {item.name: item for item in figure.data}
    assert list(by_name["pool"].text[:3]) == ["pool sentence 0", "pool sentence 1", "pool sentence 2"]
    assert list(by_name["target"].text) == list(target_text)
    assert list(by_name["picks"].text) == [f"pool sentence {row}" for row in overlay.picks_rows]
    for name in ("pool", "target", "picks"):
        assert "<br>%{text}<extra></extra>" in by_name[name].hovertemplate
    plain = map_figure(projection, overlay)
    assert all("%{text}" not in (item.hovertemplate or "") for item in plain.data)


def test_many_labels_put_the_legend_below_the_map_and_make_room_for_it(rng):
    pool, target = rng.normal(size=(200, 2)), rng.normal(size=(60, 2))
    projection = project(pool, target)
    few = map_figure(projection, target_labels=np.arange(60) % 3, height=500)
    many = map_figure(projection, target_labels=np.arange(60) % 12, height=500)
    assert few.layout.legend.yanchor == "bottom" and few.layout.height == 500  # above the plot
    assert many.layout.legend.yanchor == "top" and many.layout.legend.y < 0  # below it
    entries = sum(item.showlegend is not False for item in many.data)  # 12 target labels, pool, picks, v, …
    assert entries >= 13 and many.layout.height == 500 + 22 * -(-entries // 3)  # three to a row


def test_pool_map_takes_boxes_colours_labels_and_rings_the_chosen_rows(rng):
    from gio_core.plots.maps import pool_map_figure

    pool = rng.normal(size=(100, 2))
    projection = project(pool, pool[:1])
    labels = np.array(["a", "b"] * 50, dtype=object)
    figure = pool_map_figure(
        projection,
        labels=labels,
        label_name="kind",
        chosen=[0, 2, 4],
        pool_text=np.array([f"row {i}" for i in range(100)], dtype=object),
    )
    by_name = {item.name: item for item in figure.data}
    assert figure.layout.dragmode == "select"
    assert set(by_name) == {"pool: kind a", "pool: kind b", "chosen as target"}
    assert sorted(list(by_name["pool: kind a"].customdata) + list(by_name["pool: kind b"].customdata)) == list(
        range(100)
    )
    assert list(by_name["chosen as target"].customdata) == [0, 2, 4]
    assert by_name["pool: kind b"].text[0] == "row 1"
    assert len(pool_map_figure(projection).data) == 1


def test_map_hover_content_can_be_made_on_request_for_the_rows_drawn(data, run):
    pool, target, _ = data
    _, trace = run
    projection = project(pool, target)
    overlay = map_overlay(trace, trace.n_steps - 1, MapPlacer(projection, pool, target))
    asked = []

    def describe(rows):
        asked.append(list(rows))
        return [f"row {row}" for row in rows]

    figure = map_figure(projection, overlay, pool_text=describe)
    by_name = {item.name: item for item in figure.data}
    assert list(by_name["picks"].text) == [f"row {row}" for row in overlay.picks_rows]
    assert sorted(map(len, asked)) == sorted([len(projection.pool_rows), len(overlay.picks_rows)])
