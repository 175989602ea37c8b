"""Per-session state: the data set in use, the run settings, the current run.

Everything a session owns lives in ``st.session_state`` (one per browser session), so two sessions never
see each other's uploads, parameters or runs. Uploads are read from memory and never written to disk.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import streamlit as st

from gio_core import SelectionPipeline
from gio_core.io.tables import LoadedData
from gio_core.io.vectors import PreparedVectors
from gio_core.io.demos import Demo
from gio_core.plots.figures import RunTrace

RUN_KEY = "gio_run"
_run_ids = itertools.count(1)

# Gradient-descent paths are kept at most this long per step (the map draws about 40 points of one).
_PATH_POINTS = 41


@dataclass(frozen=True)
class Dataset:
    """The pool and target in use, their vectors and labels.

    Attributes
    ----------
    source : {'demo', 'upload'}
    pool, target : LoadedData
    prepared : PreparedVectors
    choice : dict
        The vector choice (keyword arguments of ``prepare_vectors``).
    key : str
        Identity of the files and the choice (content hashes), for caches and to tie runs to data.
    label_column : str or None
    pool_labels, target_labels : ndarray or None
        Labels of the rows kept in ``prepared`` (so ``pool_labels[i]`` belongs to ``prepared.pool[i]``).
    demo : Demo or None
    target_origin : dict or None
        When the target is rows of the pool file chosen on the map: the file, the rows and how
        (:meth:`ui.target_picker.ChosenTarget.record`).
    """

    source: str
    pool: LoadedData
    target: LoadedData
    prepared: PreparedVectors
    choice: dict
    key: str
    label_column: str | None = None
    pool_labels: np.ndarray | None = None
    target_labels: np.ndarray | None = None
    demo: Demo | None = None
    target_origin: dict | None = None

    @property
    def n_pool(self) -> int:
        return int(self.prepared.pool.shape[0])

    @property
    def n_target(self) -> int:
        return int(self.prepared.target.shape[0])

    @property
    def dimensions(self) -> int:
        return self.prepared.dimensions

    def pool_file_rows(self, rows) -> np.ndarray:
        """Row numbers in the pool file (from 0) of prepared pool rows.

        When the target was chosen from the pool, ``pool`` is that file without the target's rows; the
        numbers are still those of the file the person gave.
        """
        file_rows = self.prepared.pool_rows[np.asarray(rows, dtype=np.int64)]
        if self.target_origin is None:
            return file_rows
        taken = np.asarray(self.target_origin["rows"], dtype=np.int64)
        kept = np.setdiff1d(np.arange(self.pool.n_rows + len(taken), dtype=np.int64), taken)
        return kept[file_rows]

    def inputs(self) -> dict[str, str]:
        """What was selected from, in a few lines for a report."""
        rows = {
            "Pool": f"{self.pool.name} ({self.pool.n_rows:,} rows, {self.pool.format})",
            "Target": f"{self.target.name} ({self.target.n_rows:,} rows, {self.target.format})",
            "Vectors": self.prepared.description,
        }
        if self.prepared.pool_nonfinite_rows or self.prepared.target_nonfinite_rows:
            rows["Rows dropped (NaN/inf)"] = (f"{self.prepared.pool_nonfinite_rows:,} pool, "
                                              f"{self.prepared.target_nonfinite_rows:,} target")
        if self.label_column:
            rows["Label column"] = self.label_column
        if self.demo is not None:
            rows["Demo"] = self.demo.info.title
        if self.target_origin is not None:
            origin = self.target_origin
            rows["Target"] = (f"{len(origin['rows']):,} rows of {origin['pool']} ({origin['how']}), taken out of the "
                              "pool")
        return rows


@dataclass(frozen=True)
class RunSettings:
    """Everything the controls decide about a run.

    Attributes
    ----------
    params : dict
        :class:`gio_core.GIOSelector` parameters, without ``random_state``.
    seed : int
    start : {'uniform', 'empty', 'pool_sample'}
    live_speed : str
        A key of :data:`ui.defaults.LIVE_SPEEDS`.
    error : str or None
        Why these settings cannot run (shown instead of running).
    """

    params: dict
    seed: int
    start: str
    live_speed: str = "Normal"
    error: str | None = None

    def pipeline(self, pool: LoadedData, target: LoadedData, prepared: PreparedVectors, *,
                 progress=None) -> SelectionPipeline:
        """The run as the CLI makes it (:class:`gio_core.SelectionPipeline`), from vectors prepared already; with
        ``step_rows`` so that each step names the rows it brings (the live map draws them)."""
        return SelectionPipeline.from_prepared(pool, target, prepared, params=self.params, seed=self.seed,
                                               start=self.start, progress=progress, step_rows=True)

    def record(self) -> dict[str, Any]:
        """Every parameter of the run, for a report or a manifest."""
        return {**self.params, "random_state": self.seed, "start": self.start}

    def same_run(self, other: "RunSettings") -> bool:
        """Whether two settings give the same selection (the live speed does not change it)."""
        return self.params == other.params and self.seed == other.seed and self.start == other.start


@dataclass
class RunRecord:
    """One run of the session, filled step by step while it runs."""

    run_id: int
    data_key: str
    settings: RunSettings
    dimensions: int
    steps: list = field(default_factory=list)
    status: str = "running"  # running, done, stopped, error
    initial_kl: float = math.nan
    stop_reason: str | None = None
    stop_message: str | None = None
    result: Any = None
    selected: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    cluster_labels: np.ndarray | None = None
    cluster_centers: np.ndarray | None = None
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    error: str | None = None
    _trace: RunTrace | None = field(default=None, repr=False)

    def add(self, step) -> None:
        """Keep a step (its descent path shortened to what a map draws)."""
        path = step.path
        if path is not None and len(path) > _PATH_POINTS:
            every = int(math.ceil(len(path) / (_PATH_POINTS - 1)))
            path = np.vstack([path[::every], path[-1:]])
        self.steps.append(_Step(step.step, np.asarray(step.v, dtype=np.float32), int(step.candidate), float(step.kl),
                                bool(step.kept), int(step.n_selected), bool(step.reset),
                                np.asarray(step.rows, dtype=np.int64),
                                None if path is None else np.asarray(path, dtype=np.float32), step.stop_reason))
        self._trace = None

    def finish(self, pipeline: SelectionPipeline | None) -> None:
        """Record the end of the run from its pipeline (finished, or closed early by Stop; exploded when it has
        a result), or from None when it failed before it could start."""
        self.seconds = time.perf_counter() - self.started
        result = getattr(getattr(pipeline, "selector", None), "result_", None)
        if result is None or pipeline.selection is None:
            self.status = "error" if self.error else "stopped"
            return
        self.result = result
        self.selected = pipeline.selected_vector_rows
        self.initial_kl = float(result.initial_kl)
        self.stop_reason = result.stop_reason
        self.stop_message = result.stop_message
        self.cluster_labels = pipeline.cluster_labels
        self.cluster_centers = pipeline.selector.cluster_centers_
        if result.row_quotas is not None:
            # explode='target_share' takes a share of each chosen cluster once the run is over: the map and
            # the picks table show the rows the selection holds, not the whole clusters the steps named
            self.steps = [replace(step, rows=step.rows[np.isin(step.rows, self.selected)]) for step in self.steps]
        self.status = "stopped" if result.stop_reason == "interrupted" else "done"
        self._trace = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped")

    @property
    def selected_indices(self) -> np.ndarray:
        """Selected rows of the prepared pool, in pick order (as the pipeline exploded them)."""
        return self.selected

    def trace(self) -> RunTrace:
        """The run as a :class:`gio_core.figures.RunTrace` (cached once the run is over)."""
        if self._trace is not None:
            return self._trace
        trace = RunTrace.from_steps(self.steps, initial_kl=self.initial_kl, dimensions=self.dimensions,
                                    stop_reason=self.stop_reason if self.finished else None,
                                    stop_message=self.stop_message, cluster_centers=self.cluster_centers,
                                    quantized=self.settings.params.get("n_clusters") is not None)
        if self.finished:
            self._trace = trace
        return trace


@dataclass(frozen=True)
class _Step:
    step: int
    v: np.ndarray
    candidate: int
    kl: float
    kept: bool
    n_selected: int
    reset: bool
    rows: np.ndarray
    path: np.ndarray | None
    stop_reason: str | None


def new_run(data_key: str, settings: RunSettings, dimensions: int) -> RunRecord:
    """Start a run record and make it the session's current run."""
    record = RunRecord(run_id=next(_run_ids), data_key=data_key, settings=settings, dimensions=dimensions)
    st.session_state[RUN_KEY] = record
    return record


def current_run(data_key: str) -> RunRecord | None:
    """The session's last run, when it was made on this data set."""
    record = st.session_state.get(RUN_KEY)
    if record is None or record.data_key != data_key:
        return None
    if record.status == "running":  # a rerun interrupted it before it could say so (Stop, page change)
        record.status = "stopped"
    return record


def clear_run() -> None:
    st.session_state.pop(RUN_KEY, None)
