"""The Compare page's widgets: the comparison settings, the Run button, and the results.

The methods are pills in the main area (a dozen names do not fit a sidebar), with one line each on
what they optimise; DSIR is among them when the vectors come from a text column. Picks per method,
held-out share and seed live in the sidebar under the data picker. A run calls :func:`gio_core.evaluate.comparison.compare_methods` with a progress bar; the result is
kept in this session's state, tied to the data set and the settings, so it survives reruns. The
results are the metric table with each metric's best method highlighted, the KL curves overlaid,
every method's picks on the shared map (small multiples), and one CSV download per method (the
same export as the Select page). Problems are shown as messages, never as tracebacks.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from gio_core.evaluate import (
    DEFAULT_MEMORY_BUDGET_BYTES,
    DEFAULT_METHODS,
    METHOD_SUMMARIES,
    METRIC_DIRECTIONS,
    Comparison,
    MethodPlan,
    compare_methods,
    default_budget,
    plan_methods,
    split_sizes,
)
from gio_core.io import DataError, format_bytes, write_selection_rows
from gio_core.methods import METHODS, TEXT_METHODS
from gio_core.plots import kl_curves_figure, method_colors, selection_maps_figure

from . import session
from .defaults import APP_SETTINGS
from .maps import MapState, map_status
from .state import Dataset

#: Set by ``gio-studio app --compare-memory-mb N`` (gio_core/cli/app.py names the same variable).
COMPARE_MEMORY_VARIABLE = "GIO_STUDIO_COMPARE_MEMORY_MB"
RUN_LABEL = "Run comparison"
RESULT_KEY = "cmp_result"
_PREFIX = "cmp_"
_K = 5  # neighbour rank of the metrics; the methods' own default too
_PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

METRIC_LABELS: dict[str, str] = {
    "kl": "KL",
    "mmd2": "MMD²",
    "coverage": "Coverage",
    "precision": "Precision",
    "accuracy": "Accuracy",
}
_METRIC_HELP: dict[str, str] = {
    "kl": "k-NN estimate of KL(held-out target ‖ picks), the quantity GIO minimises; lower is better.",
    "mmd2": "Squared maximum mean discrepancy to the held-out target (RBF kernel); lower is better.",
    "coverage": "Share of held-out target rows with a pick inside their own k-NN radius; higher is better.",
    "precision": "Share of picks whose label occurs in the held-out target; higher is better.",
    "accuracy": "A logistic regression trained on the picks and their labels, scored on the held-out target; "
    "higher is better.",
}
_ARROWS = {"lower": "↓", "higher": "↑"}


@dataclass(frozen=True)
class CompareSettings:
    """What the sidebar decides about a comparison.

    Attributes
    ----------
    methods : tuple of str
        Methods to run (those too expensive for the data already left out).
    budget : int
    heldout_share : float
    seed : int
    error : str or None
        Why nothing can run (shown instead of running).
    skipped : tuple of str
        Messages for chosen methods left out, and why.
    plans : tuple of MethodPlan
        What each chosen vector method will run on (:func:`gio_core.evaluate.plan_methods`).
    """

    methods: tuple[str, ...]
    budget: int
    heldout_share: float
    seed: int
    error: str | None = None
    skipped: tuple[str, ...] = ()
    plans: tuple[MethodPlan, ...] = field(default=())

    def key(self, dataset: Dataset) -> tuple:
        """Identity of a comparison these settings would produce on ``dataset``."""
        return (dataset.key, dataset.label_column, self.methods, self.budget, self.heldout_share, self.seed)


@dataclass(frozen=True)
class CompareRecord:
    """A finished comparison and what it was run on."""

    key: tuple
    comparison: Comparison
    data_key: str
    seconds: float = 0.0


def _init_state(dataset: Dataset | None) -> None:
    """The comparison's values live in :mod:`ui.session` (they outlive a page switch); a new data set gets a
    budget that suits it."""
    data_key = dataset.key if dataset is not None else None
    if dataset is not None and session.kept("_cmp_data_key") != data_key:
        session.keep("_cmp_data_key", data_key)
        session.set_value(_PREFIX + "budget", default_budget(dataset.n_pool))


def texts(dataset: Dataset | None) -> tuple[list[str], list[str]] | None:
    """The pool and target texts of the rows in use, when the vectors were embedded from a text column."""
    if dataset is None or dataset.prepared.text_column is None:
        return None
    column = dataset.prepared.text_column

    def read(loaded, rows) -> list[str]:
        values = loaded.frame[column].iloc[np.asarray(rows)]
        return [
            "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
            for value in values.tolist()
        ]

    return read(dataset.pool, dataset.prepared.pool_rows), read(dataset.target, dataset.prepared.target_rows)


def method_options(dataset: Dataset | None) -> list[str]:
    """Methods offered for ``dataset``: every vector method, and the text methods when it has a text column."""
    return list(METHODS) + (list(TEXT_METHODS) if texts(dataset) is not None else [])


def _method_picker(dataset: Dataset | None) -> list[str]:
    options = method_options(dataset)
    # a text method chosen on text data is dropped (not an error) when the data has no text column
    picked = session.pills(
        st,
        "Methods",
        options,
        _PREFIX + "methods",
        default=list(DEFAULT_METHODS),
        help="Selection methods to run on the same pool, target and budget. GIO runs with the engine's "
        "defaults; the others are the alternatives a user would try (see below what each "
        "optimises).",
    )
    with st.expander("What each method optimises"):
        st.markdown("\n".join(f"- **{name}**: {METHOD_SUMMARIES.get(name, '')}" for name in options))
        if not set(TEXT_METHODS) <= set(options):
            st.caption(f"{', '.join(TEXT_METHODS)} reads raw text: choose *A text column* as the vectors to offer it.")
    return list(picked or [])


def compare_controls(dataset: Dataset | None) -> CompareSettings:
    """The method pills (main area) and the sidebar settings; returns them (with an error when they cannot run)."""
    _init_state(dataset)
    chosen = _method_picker(dataset)
    sidebar = st.sidebar
    sidebar.header("Comparison")
    n_pool = dataset.n_pool if dataset is not None else 1_000_000
    budget = session.number_input(
        sidebar,
        "Picks per method",
        _PREFIX + "budget",
        default=min(100, n_pool),
        min_value=1,
        max_value=max(n_pool, 1),
        step=10,
        help="Every method selects this many pool rows, so they are compared at one budget.",
    )
    share = session.slider(
        sidebar,
        "Held-out share of the target",
        _PREFIX + "heldout_share",
        default=0.3,
        min_value=0.1,
        max_value=0.7,
        step=0.05,
        help="These target rows are hidden from every method and used only to score the picks, "
        "so no method is judged on the rows it matched.",
    )
    seed = session.number_input(
        sidebar,
        "Seed",
        _PREFIX + "seed",
        default=int(APP_SETTINGS["seed"]),
        min_value=0,
        max_value=2**31 - 1,
        step=1,
        help="Seeds the held-out split and every method; the same seed gives the same comparison.",
    )
    return _settings(dataset, tuple(chosen), int(budget), float(share), int(seed))


def memory_budget_bytes() -> int:
    """Working memory one comparison may use: the operator's ``gio-studio app --compare-memory-mb N``
    (``GIO_STUDIO_COMPARE_MEMORY_MB``), else :data:`gio_core.evaluate.DEFAULT_MEMORY_BUDGET_BYTES`."""
    text = os.environ.get(COMPARE_MEMORY_VARIABLE, "").strip()
    try:
        megabytes = int(text) if text else 0
    except ValueError:
        megabytes = 0
    return megabytes * 2**20 if megabytes >= 64 else DEFAULT_MEMORY_BUDGET_BYTES


def _settings(
    dataset: Dataset | None, chosen: tuple[str, ...], budget: int, share: float, seed: int
) -> CompareSettings:
    error = None
    skipped, runnable = [], list(chosen)
    plans: tuple[MethodPlan, ...] = ()
    if dataset is not None:
        try:
            n_seen, _ = split_sizes(dataset.n_target, heldout_share=share, k=_K)
        except ValueError as problem:
            error = str(problem)
        else:
            # the engine's own plan (compare_methods makes the same one): every row, a sample, K-means, or out
            plans = plan_methods(
                [name for name in chosen if name in METHODS],
                n_pool=dataset.n_pool,
                n_target=n_seen,
                dimensions=dataset.dimensions,
                budget=min(budget, dataset.n_pool),
                memory_budget_bytes=memory_budget_bytes(),
            )
            for plan in plans:
                if plan.skip is not None:
                    skipped.append(plan.skip)
                    runnable.remove(plan.name)
    if error is None and len(chosen) < 2:
        error = "Choose at least two methods to compare."
    elif error is None and len(runnable) < 2:
        error = "Fewer than two of the chosen methods can run on this data; add another method."
    return CompareSettings(
        methods=tuple(runnable),
        budget=budget,
        heldout_share=share,
        seed=seed,
        error=error,
        skipped=tuple(skipped),
        plans=tuple(plans),
    )


def _plan_table(dataset: Dataset, settings: CompareSettings) -> None:
    """What each method will run on, when not every method reads every row."""
    plans = [plan for plan in settings.plans if plan.runs]
    if all(not plan.sampled and plan.n_clusters is None for plan in plans):
        return
    st.markdown(
        f"**How each method runs on {dataset.n_pool:,} rows** (within {memory_budget_bytes() / 2**20:,.0f} MB of "
        "working memory per method, set by the operator: `gio-studio app --compare-memory-mb N`)"
    )
    table = pd.DataFrame(
        {
            "Method": [plan.name for plan in plans],
            "Runs on": [plan.ran_on(dataset.n_pool) for plan in plans],
            "Memory (est.)": [format_bytes(plan.memory_bytes) for plan in plans],
            "Time (est.)": [f"{plan.seconds:,.0f} s" if plan.seconds >= 1 else "< 1 s" for plan in plans],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="cmp_plan_table")
    st.caption(
        "A sampled method picks from a seeded random sample of the pool (the same rows for every sampled method); "
        "GIO picks from K-means centroids of every row, as the Select page runs a big pool. Every method is "
        "scored on the same held-out target rows."
    )


# One comparison at a time per server: each holds its methods' working memory, so two at once would double it.
_RUNNING = threading.Lock()


def _run(dataset: Dataset, settings: CompareSettings) -> CompareRecord | None:
    """Run the comparison with a progress bar; on failure show the message and return None."""
    if not _RUNNING.acquire(blocking=False):
        st.warning(
            "Another comparison is running on this server (one runs at a time, so that memory stays bounded). "
            f"Press **{RUN_LABEL}** again in a minute.",
            icon=":material/hourglass_top:",
        )
        return None
    try:
        return _run_alone(dataset, settings)
    finally:
        _RUNNING.release()


def _run_alone(dataset: Dataset, settings: CompareSettings) -> CompareRecord | None:
    bar = st.progress(0.0, text="Starting…")
    ran_on = {plan.name: plan.ran_on(dataset.n_pool) for plan in settings.plans}
    started = time.perf_counter()

    def progress(name: str, done: int, total: int) -> None:
        where = f" on {ran_on[name]}" if name in ran_on else ""
        bar.progress(
            done / total,
            text=f"Running {name}{where} ({done + 1} of {total}; {time.perf_counter() - started:,.0f} s so far)…",
        )

    pool_texts, target_texts = texts(dataset) or (None, None)
    try:
        comparison = compare_methods(
            dataset.prepared.pool,
            dataset.prepared.target,
            methods=settings.methods,
            budget=settings.budget,
            heldout_share=settings.heldout_share,
            k=_K,
            pool_labels=dataset.pool_labels,
            target_labels=dataset.target_labels,
            random_state=settings.seed,
            progress=progress,
            pool_texts=pool_texts,
            target_texts=target_texts,
            memory_budget_bytes=memory_budget_bytes(),
        )
    except (ValueError, TypeError, DataError, MemoryError) as problem:
        bar.empty()
        st.error(" ".join(str(problem).split()), icon=":material/error:")
        return None
    bar.empty()
    record = CompareRecord(settings.key(dataset), comparison, dataset.key, time.perf_counter() - started)
    st.session_state[RESULT_KEY] = record
    return record


def _stored(dataset: Dataset) -> CompareRecord | None:
    record = st.session_state.get(RESULT_KEY)
    if record is None or record.data_key != dataset.key:
        return None
    return record


def metric_table(comparison: Comparison) -> pd.DataFrame:
    """The table shown: one row per method, labelled metric columns, picks, seconds and the metrics won."""
    table = comparison.table()
    best = comparison.best()
    won = {
        name: [METRIC_LABELS[metric] for metric, names in best.items() if name in names] for name in comparison.names
    }
    labels = {
        metric: f"{METRIC_LABELS[metric]} {_ARROWS[METRIC_DIRECTIONS[metric]]}" for metric in comparison.metric_names
    }
    shown = table.rename(columns={**labels, "picks": "Picks", "seconds": "Seconds"})
    shown.insert(0, "Best on", [", ".join(won[name]) or "—" for name in comparison.names])
    ran_on = {result.name: result.ran_on for result in comparison.results}
    if any(value and not value.startswith("all ") for value in ran_on.values()):
        shown.insert(1, "Ran on", [ran_on[name] for name in comparison.names])
    shown.index.name = "Method"
    return shown


def _styled(comparison: Comparison, shown: pd.DataFrame):
    best = comparison.best()

    def highlight(column: pd.Series) -> list[str]:
        metric = next(
            (name for name in comparison.metric_names if column.name.startswith(METRIC_LABELS[name] + " ")), None
        )
        if metric is None:
            return [""] * len(column)
        return [
            "background-color: #dcfce7; font-weight: 600" if name in best.get(metric, ()) else ""
            for name in column.index
        ]

    formats = {column: "{:.3f}" for column in shown.columns if column not in ("Best on", "Ran on", "Picks", "Seconds")}
    formats["Seconds"] = "{:.2f}"
    return shown.style.apply(highlight, axis=0).format(formats, na_rep="—")


def _verdict(comparison: Comparison) -> None:
    best = comparison.best()
    parts = []
    for metric in comparison.metric_names:
        names = best.get(metric, ())
        if names:
            parts.append(
                f"{METRIC_LABELS[metric]} {_ARROWS[METRIC_DIRECTIONS[metric]]} favours **{' and '.join(names)}**"
            )
    wins = comparison.wins()
    leader = max(wins, key=lambda name: wins[name]) if wins else None
    lead = ""
    if leader is not None and wins[leader] and list(wins.values()).count(wins[leader]) == 1:
        lead = f"**{leader}** is best on {wins[leader]} of {len(comparison.metric_names)} metrics. "
    st.markdown(lead + "; ".join(parts) + ".")


def _stem(dataset: Dataset) -> str:
    return dataset.demo.info.key if dataset.demo else dataset.pool.name.split(".")[0]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def selection_csv(dataset: Dataset, selected_indices: np.ndarray) -> bytes:
    """One method's picks as CSV, as the Select page and the CLI export them: the pool file's rows with every
    column, then gio_rank and gio_row (the row in the file the person gave)."""
    buffer = io.BytesIO()
    write_selection_rows(dataset.pool_file or dataset.pool, dataset.pool_file_rows(selected_indices), buffer)
    return buffer.getvalue()


def _downloads(dataset: Dataset, comparison: Comparison) -> None:
    st.markdown("**Download the picks (CSV)**")
    for result in comparison.succeeded:
        picks = result.selected_indices
        st.download_button(
            result.name,
            partial(selection_csv, dataset, picks),
            file_name=f"{_stem(dataset)}_{_slug(result.name)}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"cmp_download_{_slug(result.name)}",
            icon=":material/download:",
            width="stretch",
            help=f"{result.n_selected:,} rows: the pool file's columns plus gio_rank (pick order) "
            "and gio_row (row in the pool file), the same export as the Select page.",
        )
    st.caption("Each file holds the method's picks with every column of the pool file, plus gio_rank and gio_row.")


def _results(dataset: Dataset, record: CompareRecord, map_state: MapState) -> None:
    comparison = record.comparison
    for result in comparison.results:
        if result.skipped is not None:
            st.warning(result.skipped, icon=":material/block:")
        elif not result.ok:
            st.error(f"{result.name} failed: {result.error}", icon=":material/error:")
        elif result.n_selected < comparison.budget:
            st.info(
                f"{result.name} stopped after {result.n_selected:,} of {comparison.budget:,} picks"
                + (f": {result.stop_message}" if result.stop_message else "."),
                icon=":material/info:",
            )
    for note in comparison.notes:
        st.caption(note)
    if not comparison.succeeded:
        return
    _verdict(comparison)
    shown = metric_table(comparison)
    st.dataframe(
        _styled(comparison, shown),
        width="stretch",
        key="cmp_table",
        column_config={
            f"{METRIC_LABELS[m]} {_ARROWS[METRIC_DIRECTIONS[m]]}": st.column_config.NumberColumn(help=_METRIC_HELP[m])
            for m in comparison.metric_names
        },
    )
    st.caption(
        (f"{record.seconds:,.0f} s in all. " if record.seconds >= 1 else "")
        + f"Scored on {len(comparison.heldout_rows):,} held-out target rows that no method saw (k = "
        f"{comparison.k}); each method saw the other {len(comparison.seen_rows):,}. Green: the best value in "
        "the column. One seed: small differences can be noise, so try another seed before concluding."
    )
    colors = method_colors(comparison.names)
    curve_column, download_column = st.columns([3, 1], gap="medium")
    with curve_column:
        st.markdown("**KL to the held-out target after each pick**")
        curves = {result.name: result.heldout_kl_curve for result in comparison.succeeded}
        st.plotly_chart(
            kl_curves_figure(curves, colors=colors, height=400),
            config=_PLOTLY_CONFIG,
            width="stretch",
            key="cmp_kl_chart",
        )
    with download_column:
        _downloads(dataset, comparison)
    st.subheader("Picks on the map")
    map_status(map_state)
    selections = {result.name: result.selected_indices for result in comparison.succeeded}
    figure = selection_maps_figure(
        map_state.placer,
        selections,
        heldout_rows=comparison.heldout_rows,
        pool_labels=dataset.pool_labels,
        target_labels=dataset.target_labels,
        label_name=dataset.label_column,
        colors=colors,
    )
    st.plotly_chart(figure, config=_PLOTLY_CONFIG, width="stretch", key="cmp_map_chart")


def compare_area(dataset: Dataset, settings: CompareSettings, map_state: MapState) -> None:
    """The Run button, the settings' messages, and the last comparison's results."""
    left, right = st.columns([2, 3], vertical_alignment="center")  # wide enough for the label in a narrow window
    clicked = left.button(
        RUN_LABEL,
        type="primary",
        key="run_comparison",
        icon=":material/play_arrow:",
        disabled=settings.error is not None,
        width="stretch",
        help="Run every chosen method on this data with the same budget and score the picks.",
    )
    note = right.empty()
    if settings.error:
        st.error(settings.error, icon=":material/warning:")
    for message in settings.skipped:
        st.warning(message, icon=":material/block:")
    if settings.error is None:
        _plan_table(dataset, settings)
    record = _stored(dataset)
    if clicked and settings.error is None:
        record = _run(dataset, settings) or record
    if record is None:
        if settings.error:
            return
        st.info(
            f"Press **{RUN_LABEL}** to run {', '.join(settings.methods) or 'the chosen methods'} on this data "
            f"with {settings.budget:,} picks each.",
            icon=":material/info:",
        )
        return
    if record.key != settings.key(dataset):
        note.info(
            f"The settings changed since this comparison: press **{RUN_LABEL}** to run again.", icon=":material/info:"
        )
    _results(dataset, record, map_state)
