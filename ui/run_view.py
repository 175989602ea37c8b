"""Running GIO live, replaying it step by step, and the downloads.

The live run goes through the same pipeline as the CLI (:class:`gio_core.SelectionPipeline`, from the
session's cached vectors: quantise, then :meth:`~gio_core.SelectionPipeline.iter_select` step by step,
then explode) and redraws the map, the KL curve and the progress bar at most every
``APP_SETTINGS['redraw_seconds']`` (four times a second), and at once when the first finite KL arrives.
The live speed paces the first steps so a person can follow them: 'Slow' for the whole run, 'Normal'
for its first ``_NORMAL_PACED_SECONDS`` (then as fast as the engine goes, so a long run still finishes
in seconds), 'Max' not at all. The Stop button works through Streamlit's rerun: clicking it interrupts
the script at its next redraw, the generator is closed, and the selector keeps the picks so far
(``stop_reason_ == 'interrupted'``). After a run, a step slider and Play replay every step.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import threading
import time

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from gio_core.evaluate import first_defined_kl, run_report_html, run_summary
from gio_core.gio import format_kl
from gio_core.plots import STOP_LABELS, RunTrace, kl_figure, map_figure, map_overlay

from . import rows, session
from .controls import ViewSettings
from .defaults import APP_SETTINGS, LIVE_SPEEDS
from .maps import MapState, map_status
from .state import Dataset, RunRecord, RunSettings, current_run, execute, new_run

logger = logging.getLogger(__name__)

RUN_LABEL = "Run selection"
CSV_LABEL = "Download selected rows (CSV)"
REPORT_LABEL = "Download run report (HTML)"
MANIFEST_LABEL = "Download run manifest (JSON)"

_PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
# The map between runs takes clicks, boxes and lassos: the rows chosen are shown below it.
_SELECT_CONFIG = {"displaylogo": False}
_PLAY_SECONDS = 10.0  # a replay lasts about this long at most
# 'Normal' shows the start of a run step by step, then lets it finish at engine speed: a digits run of
# 220 picks took 8.5 s paced all the way (40 steps/s), against 0.8 s for the engine (benchmarks/app_latency.py).
_NORMAL_PACED_SECONDS = 2.5
_PLAY_FPS = 6.0
# Charts redrawn into one placeholder need distinct element ids within a script run.
_chart_ids = itertools.count()


class _Slots:
    """Placeholders the live run and the replay draw into."""

    def __init__(self):
        self.progress = st.empty()
        map_column, curve_column = st.columns([3, 2], gap="medium")
        with map_column:
            self.map = st.empty()
            self.caption = st.empty()
            self.chosen = st.container()
        with curve_column:
            self.curve = st.empty()
            self.summary = st.container()


def _draw(
    slots: _Slots,
    trace: RunTrace,
    step: int,
    dataset: Dataset,
    view: ViewSettings,
    map_state: MapState,
    *,
    expected_steps: int | None = None,
    centroids_xy=None,
    select_key: str | None = None,
) -> None:
    """Draw one step; with ``select_key`` the map takes clicks, boxes and lassos and shows the rows chosen."""
    content = rows.row_content(dataset)
    overlay = map_overlay(
        trace, step, map_state.placer, centroids_xy=centroids_xy, max_drawn=int(APP_SETTINGS["max_picks_on_map"])
    )
    figure = map_figure(
        map_state.projection,
        overlay,
        target_labels=dataset.target_labels,
        pool_labels=dataset.pool_labels,
        label_name=dataset.label_column,
        color_picks_by=view.color_picks_by,
        max_rank=int(trace.n_selected.max()) if trace.n_steps else None,
        uirevision=map_state.key,
        height=540,
        pool_text=content.pool_hover,
        target_text=content.target_hover,
    )
    if select_key is None:
        slots.map.plotly_chart(figure, config=_PLOTLY_CONFIG, width="stretch", key=f"map_chart_{next(_chart_ids)}")
    else:
        event = slots.map.plotly_chart(
            figure,
            config=_SELECT_CONFIG,
            width="stretch",
            key=select_key,
            on_select="rerun",
            selection_mode=("points", "box", "lasso"),
        )
        with slots.chosen:
            rows.selected_on_map(dataset, event, figure)
    slots.caption.caption(overlay.caption)
    slots.curve.plotly_chart(
        kl_figure(trace, current=step if trace.n_steps else None, expected_steps=expected_steps, height=440),
        config=_PLOTLY_CONFIG,
        width="stretch",
        key=f"kl_chart_{next(_chart_ids)}",
    )


def _centroids_xy(record: RunRecord, trace: RunTrace, map_state: MapState):
    """The pool centroids' map positions, placed once per run and map (2,000 centroids on a UMAP map: a 0.2 s
    search that every move of the Step slider repeated)."""
    if trace.cluster_centers is None:
        return None
    key = ("centroids_xy", map_state.key)
    if key not in record.view_memo:
        record.view_memo[key] = map_state.placer.place(trace.cluster_centers)
    return record.view_memo[key]


class _Ticker:
    """The progress bar's text with the seconds since the run started, redrawn every second from a helper thread
    while a stage gives no counts of its own (faiss trains K-means in one call: 25-55 s at a million rows)."""

    def __init__(self, bar, started: float):
        self.bar, self.started = bar, started
        self.fraction, self.text = 0.0, "Starting"
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="gio-progress", daemon=True)
        add_script_run_ctx(self._thread, get_script_run_ctx())

    def __enter__(self) -> _Ticker:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._done.set()
        self._thread.join(timeout=2)

    def show(self, fraction: float, text: str) -> None:
        with self._lock:
            self.fraction, self.text = min(max(fraction, 0.0), 1.0), text
            self._draw()

    def _draw(self) -> None:
        self.bar.progress(self.fraction, text=f"{self.text} · {time.perf_counter() - self.started:,.0f} s")

    def _tick(self) -> None:
        while not self._done.wait(1.0):
            with self._lock:
                try:
                    self._draw()
                except Exception:  # the page went away (Stop, another page): the run itself says what happened
                    return


def _live_run(
    slots: _Slots,
    stop_slot,
    dataset: Dataset,
    settings: RunSettings,
    view: ViewSettings,
    map_state: MapState,
    *,
    clicked_at: float | None = None,
) -> RunRecord:
    record = new_run(dataset.key, settings, dataset.dimensions)
    if clicked_at is not None:  # the time shown is the whole run, from the click (reading the files included)
        record.started = clicked_at
    stop_slot.button(
        "Stop", key=f"stop_{record.run_id}", icon=":material/stop:", help="Stop the run and keep the picks so far."
    )
    pace = LIVE_SPEEDS.get(view.live_speed)
    paced_seconds = _NORMAL_PACED_SECONDS if view.live_speed == "Normal" else math.inf
    # each redraw sends the whole map, which a browser takes about 0.1 s per 1,000 points to draw: a big pool's
    # map is redrawn less often (0.5 s at the 5,000 points drawn at most), so the run is not held up by drawing
    points = min(dataset.n_pool, int(APP_SETTINGS["max_pool_rows_on_map"]))
    redraw = max(float(APP_SETTINGS["redraw_seconds"]), points * 1e-4)
    # the map stays on screen while K-means trains (it used to be blank until the first pick)
    _draw(
        slots, RunTrace.from_steps([], initial_kl=math.inf, dimensions=dataset.dimensions), -1, dataset, view, map_state
    )
    ticker = _Ticker(slots.progress.progress(0.0, text="Starting…"), record.started)

    def stage_progress(event) -> None:
        """The pipeline's progress events (reading, K-means: the sample, training, assigning the rows) on the bar."""
        if event.kind != "progress":
            return
        counted = f": {event.done:,} of {event.total:,}" if event.total > 1 else "…"  # 0 of 1: a stage just started
        ticker.show(event.fraction or 0.0, f"{event.detail[:1].upper()}{event.detail[1:]}{counted}")

    budget = settings.config.expected_picks(dataset.n_pool)
    started = time.perf_counter()
    # The first draw waits for the first finite KL (an empty start has none for its first k picks) or
    # for one redraw interval: in a browser each redraw costs a few hundred ms, and a draw of a
    # curve-less step delayed the first KL point by as much.
    shown = {"last_draw": started, "curve": False}  # when the map was last drawn; whether a finite KL is on it

    def show(step) -> None:
        if pace and time.perf_counter() - started < paced_seconds:
            wait = started + len(record.steps) / pace - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        now = time.perf_counter()
        first_point = not shown["curve"] and math.isfinite(step.kl)
        if now - shown["last_draw"] >= redraw or step.stop_reason is not None or first_point:
            shown["last_draw"] = now
            shown["curve"] = shown["curve"] or math.isfinite(step.kl)
            trace = record.trace()
            ticker.show(
                step.n_selected / budget,
                f"GIO step {step.step + 1} · {step.n_selected:,} picks · KL {format_kl(step.kl)}",
            )
            _draw(slots, trace, trace.n_steps - 1, dataset, view, map_state, expected_steps=budget)

    with ticker:
        execute(record, dataset, on_step=show, on_event=stage_progress)
    stop_slot.empty()
    slots.progress.empty()
    return record


def _replay(slots: _Slots, record: RunRecord, dataset: Dataset, view: ViewSettings, map_state: MapState) -> None:
    trace = record.trace()
    centroids_xy = _centroids_xy(record, trace, map_state)
    if trace.n_steps == 0:
        _draw(
            slots,
            trace,
            -1,
            dataset,
            view,
            map_state,
            centroids_xy=centroids_xy,
            select_key=f"map_select_{record.run_id}",
        )
        return
    key = f"replay_{record.run_id}"
    left, right = st.columns([1, 8], vertical_alignment="bottom")
    play = left.button(
        "Play",
        key=f"play_{record.run_id}",
        icon=":material/replay:",
        help="Replay the run from the step shown (or from the start when at the end).",
    )
    step = session.slider(
        right,
        "Step",
        key,
        default=trace.n_steps,
        min_value=1,
        max_value=trace.n_steps,
        help="Show the map and the KL curve as they were after this step.",
    )
    if play:
        first = 0 if step >= trace.n_steps else step - 1
        stride = max(1, math.ceil((trace.n_steps - first) / (_PLAY_SECONDS * _PLAY_FPS)))
        frames = list(range(first, trace.n_steps, stride))
        if frames[-1] != trace.n_steps - 1:
            frames.append(trace.n_steps - 1)
        for index in frames:
            shown = time.perf_counter()
            _draw(slots, trace, index, dataset, view, map_state, centroids_xy=centroids_xy)
            time.sleep(max(0.0, 1.0 / _PLAY_FPS - (time.perf_counter() - shown)))
        session.set_value(key, trace.n_steps)
        st.rerun()
    _draw(
        slots,
        trace,
        step - 1,
        dataset,
        view,
        map_state,
        centroids_xy=centroids_xy,
        select_key=f"map_select_{record.run_id}",
    )
    if record.finished:
        rows.show_picks(dataset, trace, step - 1, key=str(record.run_id), k=int(record.settings.params.get("k", 5)))


def _summary(slots: _Slots, record: RunRecord, dataset: Dataset) -> None:
    trace = record.trace()
    summary = run_summary(trace, n_pool=dataset.n_pool, seconds=record.seconds)
    with slots.summary:
        columns = st.columns(3)
        columns[0].metric("Picks", summary["Picks"], help=summary["Rows selected"])
        # three metrics share the curve's column: short values, so none is cut to "-0.10…"
        first = first_defined_kl(trace)
        if math.isfinite(trace.initial_kl) or first is None:
            columns[1].metric("KL start", _short(summary["KL of the start set"]), help=summary["KL of the start set"])
        else:  # an empty start has no KL until k picks: show the first value the curve has
            columns[1].metric(
                f"KL at pick {first[0]}",
                _short(f"{first[1]:.6g}"),
                help=f"{first[1]:.6g}. With an empty start set the k-NN KL is undefined (∞) until the "
                f"selection holds k = {record.settings.params['k']} rows.",
            )
        columns[2].metric("KL final", _short(summary["KL after the last pick"]), help=summary["KL after the last pick"])
        reason = STOP_LABELS.get(record.stop_reason or "", record.stop_reason or "")
        message = f"**{reason[:1].upper() + reason[1:]}**" + (f": {record.stop_message}" if record.stop_message else "")
        st.markdown(f"{message}  \n{summary['Rows selected']} rows selected in {record.seconds:.2f} s.")
        hint = early_stop_hint(record)
        if hint:
            st.caption(hint)
        if dataset.pool_labels is not None and dataset.label_column and len(record.selected_indices):
            _label_breakdown(record, dataset)


#: Stopping rules that end a run on the KL's own course (not on a budget or a count a person set).
_KL_RULES = ("increase", "min_difference", "sequential_increase_tolerance")
#: A run that stops on its own within this many picks of the k it needs for a KL gets a hint.
_FEW_PICKS_OVER_K = 15


def early_stop_hint(record: RunRecord) -> str | None:
    """What to do when a run ended before the target was covered: Maximum picks ended it with the KL still
    falling; every cluster near the target was taken; or the KL's own rule ended it after only a few picks (the
    pool has little like the target left, or the small-sample estimate stopped falling)."""
    curve = [step.kl for step in record.steps if step.kept and math.isfinite(step.kl)]
    if record.stop_reason == "max_iter" and len(curve) >= 2 and curve[-1] < curve[max(0, len(curve) - 6)]:
        return (
            "The KL was still falling when **Maximum picks** ended the run: raise it to let GIO go on "
            "(or choose **Stopping rule → Stop at a budget** for a set number of rows)."
        )
    if record.stop_reason == "pool_exhausted" and record.stop_message and "nearest a target row" in record.stop_message:
        return (
            "Every cluster nearest a target row was taken: those hold the pool's rows like the target. For a set "
            "number of rows, choose **Stopping rule → Stop at a budget** (the allowed clusters widen to hold it)."
        )
    if record.stop_reason not in _KL_RULES:
        return None
    rows = len(record.selected_indices)
    if rows > int(record.settings.params.get("k", 5)) + _FEW_PICKS_OVER_K:
        return None
    return (
        f"Only {rows:,} rows: the KL stopped falling early, so the pool has few more rows "
        "that bring it closer to the target. For a set number of rows anyway, choose **Stopping rule → Stop at "
        "a budget** and set the share of pool rows."
    )


def _short(number: str) -> str:
    """A KL value with three significant digits (the full value goes in the metric's help)."""
    try:
        value = float(number.replace(",", ""))
    except ValueError:
        return number
    if not math.isfinite(value):
        return number
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _label_breakdown(record: RunRecord, dataset: Dataset) -> None:
    assert dataset.pool_labels is not None  # shown for labelled data only
    picked = dataset.pool_labels[record.selected_indices]
    target_values = set(np.asarray(dataset.target_labels, dtype=object).tolist())
    in_target = float(np.mean([value in target_values for value in picked.tolist()]))
    base = float(np.mean([value in target_values for value in dataset.pool_labels.tolist()]))
    st.caption(
        f"{in_target:.0%} of the selected rows have a `{dataset.label_column}` value found in the target "
        f"(pool: {base:.0%})."
    )
    shares = label_shares(picked, dataset.target_labels)
    if shares:
        st.caption(f"Picks by `{dataset.label_column}`, next to the target's shares: {shares}.")


def label_shares(picked, target_labels, *, most: int = 6) -> str | None:
    """``'A 41% (45%) · C 31% (30%) · …'``: the picks' share of each target label, the target's in brackets."""
    target = np.asarray(target_labels, dtype=object)
    values, counts = np.unique(target.astype(str), return_counts=True)
    if len(values) > most or len(values) < 2:
        return None
    picked = np.asarray(picked, dtype=object).astype(str)
    order = np.argsort(-counts, kind="stable")
    return " · ".join(f"{values[i]} {np.mean(picked == values[i]):.0%} ({counts[i] / len(target):.0%})" for i in order)


def manifest(record: RunRecord, dataset: Dataset) -> dict:
    """The run manifest (JSON-ready), as the CLI writes it, with what the app knows besides."""
    app: dict[str, object] = {
        "source": dataset.source,
        "demo": dataset.demo.info.key if dataset.demo else None,
        "label_column": dataset.label_column,
    }
    if dataset.target_origin is not None:  # the target is rows of the pool file, chosen on the map
        app["target_from_pool"] = dataset.target_origin
    assert record.outputs is not None, "a manifest is offered for a run with results"
    return record.outputs.manifest(extra={"app": app})


def report_html(record: RunRecord, dataset: Dataset, view: ViewSettings, map_state: MapState) -> str:
    """The self-contained HTML run report."""
    title = f"GIO run report: {dataset.demo.info.title}" if dataset.demo else f"GIO run report: {dataset.pool.name}"
    content = rows.row_content(dataset)
    return run_report_html(
        record.trace(),
        map_state.projection,
        map_state.placer,
        params=record.settings.record(),
        inputs=dataset.inputs(),
        title=title,
        target_labels=dataset.target_labels,
        pool_labels=dataset.pool_labels,
        label_name=dataset.label_column,
        color_picks_by=view.color_picks_by,
        seconds=record.seconds,
        pool_text=content.pool_hover,
        target_text=content.target_hover,
    )


def _downloads(record: RunRecord, dataset: Dataset, view: ViewSettings, map_state: MapState) -> None:
    """The run's three downloads, each made by the pipeline when its button is clicked (never on a rerun)."""
    if record.outputs is None:
        return
    stem = (dataset.demo.info.key if dataset.demo else dataset.pool.name.split(".")[0]) + f"_gio_run{record.run_id}"
    outputs = record.outputs
    columns = st.columns(3)
    columns[0].download_button(
        CSV_LABEL,
        outputs.csv_bytes,
        file_name=f"{stem}.csv",
        mime="text/csv",
        type="primary",
        on_click="ignore",
        key=f"download_csv_{record.run_id}",
        icon=":material/download:",
        help=f"{outputs.selection.n_rows:,} rows: the pool file's columns plus gio_rank (pick "
        "order) and gio_row (row in the pool file).",
    )
    columns[1].download_button(
        REPORT_LABEL,
        lambda: report_html(record, dataset, view, map_state).encode("utf-8"),
        file_name=f"{stem}_report.html",
        mime="text/html",
        on_click="ignore",
        key=f"download_report_{record.run_id}",
        icon=":material/description:",
        help="One HTML file with the animated map, the KL curve, the parameters and the "
        "summary; opens in any browser without a server.",
    )
    columns[2].download_button(
        MANIFEST_LABEL,
        lambda: json.dumps(manifest(record, dataset), indent=2, allow_nan=False).encode("utf-8"),
        file_name=f"{stem}.manifest.json",
        mime="application/json",
        on_click="ignore",
        key=f"download_manifest_{record.run_id}",
        icon=":material/receipt_long:",
        help="Every parameter, input hashes and the result, to rerun or audit (`gio-studio select --manifest`).",
    )


def run_area(
    dataset: Dataset, settings: RunSettings, view: ViewSettings, map_state: MapState, *, clicked_at: float | None = None
) -> None:
    """The Run button, the live map and KL curve, the replay, the summary and the downloads.

    ``clicked_at`` (``time.perf_counter()`` when the page's script run began) makes the time shown for a run
    the whole of it, from the click."""
    buttons = st.columns([2, 1, 5], vertical_alignment="center")
    run_slot = buttons[0].empty()
    run_clicked = run_slot.button(
        RUN_LABEL,
        type="primary",
        key="run_selection",
        icon=":material/play_arrow:",
        disabled=settings.error is not None,
        width="stretch",
        help="Run GIO with these parameters and watch it pick.",
    )
    stop_slot = buttons[1].empty()
    note = buttons[2].empty()
    if settings.error:
        st.error(settings.error, icon=":material/warning:")
    map_status(map_state)
    record = current_run(dataset.key)
    if run_clicked:
        # while it runs, Run is a greyed "Running…" beside Stop: a second click cannot start a second run
        run_slot.button(
            "Running…",
            type="primary",
            key="run_selection_busy",
            icon=":material/hourglass_top:",
            disabled=True,
            width="stretch",
        )
        record = _live_run(_Slots(), stop_slot, dataset, settings, view, map_state, clicked_at=clicked_at)
        st.rerun()  # the finished run is drawn as any later visit draws it, with Run back in place
    elif record is not None and not record.settings.same_run(settings):
        note.info(
            "The parameters changed since this run: press **Run selection** to run again.", icon=":material/info:"
        )
    if record is None:
        slots = _Slots()
        trace = RunTrace.from_steps([], initial_kl=math.inf, dimensions=dataset.dimensions)
        _draw(slots, trace, -1, dataset, view, map_state, select_key="map_select_before_run")
        slots.caption.caption("Press **Run selection** to watch GIO pick pool rows step by step.")
        return
    if record.status == "error":
        st.error(record.error or "The run failed.", icon=":material/error:")
    if record.status == "stopped":
        note.warning(
            f"Stopped after {len(record.steps):,} steps; the picks so far are kept.", icon=":material/stop_circle:"
        )
    _run_view(record, dataset, view, map_state)


@st.fragment
def _run_view(record: RunRecord, dataset: Dataset, view: ViewSettings, map_state: MapState) -> None:
    """A run's map, KL curve, replay, summary and downloads, as a fragment: moving the Step slider, Play, a
    choice on the map or a search of the picks reruns this part only, not the sidebar and the data panel."""
    slots = _Slots()
    _replay(slots, record, dataset, view, map_state)
    if record.finished:
        _summary(slots, record, dataset)
        _downloads(record, dataset, view, map_state)
