"""Per-session state: the data set in use, the run settings, the current run.

Everything a session owns lives in ``st.session_state`` (one per browser session), so two sessions never
see each other's uploads, parameters or runs. Uploads are read from memory and never written to disk.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import streamlit as st

from gio_core.gio import GIOConfig
from gio_core.io import Demo, LoadedData, PreparedVectors
from gio_core.pipeline import PoolVectors, SelectionPipeline, StageLog
from gio_core.plots import RunTrace

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
    pool_file : LoadedData or None
        With ``target_origin``: the whole pool file (``pool`` is the file without the target's rows).
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
    pool_file: LoadedData | None = None

    @property
    def n_pool(self) -> int:
        return int(self.prepared.pool.shape[0])

    @property
    def n_target(self) -> int:
        return int(self.prepared.target.shape[0])

    @property
    def dimensions(self) -> int:
        return self.prepared.dimensions

    @functools.cached_property
    def pool_vectors(self) -> PoolVectors:
        """The pool's vectors as the pipeline numbers them: each row's place in the file the person gave."""
        taken = None if self.target_origin is None else self.target_origin["rows"]
        return PoolVectors.of_file(self.pool_file or self.pool, self.prepared, taken_rows=taken)

    def pool_file_rows(self, rows) -> np.ndarray:
        """Row numbers in the pool file (from 0) of prepared pool rows (those of the file the person gave, also
        when the target's rows were taken out of it)."""
        return self.pool_vectors.file_rows(rows)

    def inputs(self) -> dict[str, str]:
        """What was selected from, in a few lines for a report."""
        rows = {
            "Pool": f"{self.pool.name} ({self.pool.n_rows:,} rows, {self.pool.format})",
            "Target": f"{self.target.name} ({self.target.n_rows:,} rows, {self.target.format})",
            "Vectors": self.prepared.description,
        }
        if self.prepared.pool_nonfinite_rows or self.prepared.target_nonfinite_rows:
            rows["Rows dropped (NaN/inf)"] = (
                f"{self.prepared.pool_nonfinite_rows:,} pool, {self.prepared.target_nonfinite_rows:,} target"
            )
        if self.label_column:
            rows["Label column"] = self.label_column
        if self.demo is not None:
            rows["Demo"] = self.demo.info.title
        if self.target_origin is not None:
            origin = self.target_origin
            rows["Target"] = (
                f"{len(origin['rows']):,} rows of {origin['pool']} ({origin['how']}), taken out of the pool"
            )
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

    def pipeline(self, dataset: Dataset, *, on_event=None) -> SelectionPipeline:
        """The run as the CLI makes it (:class:`gio_core.pipeline.SelectionPipeline`), from the data set's vectors;
        with ``step_rows`` so that each step names the rows it brings (the live map draws them)."""
        origin = dataset.target_origin
        return SelectionPipeline.from_prepared(
            dataset.pool_file or dataset.pool,
            dataset.target,
            dataset.prepared,
            params=self.params,
            seed=self.seed,
            start=self.start,
            on_event=on_event,
            step_rows=True,
            target_from_pool=None if origin is None else {"rows": origin["rows"], "how": origin["how"]},
        )

    @property
    def config(self) -> GIOConfig:
        """The validated GIO parameters."""
        return GIOConfig(**self.params)

    def record(self) -> dict[str, Any]:
        """Every parameter of the run, for a report or a manifest."""
        return {**self.params, "random_state": self.seed, "start": self.start}

    def same_run(self, other: RunSettings) -> bool:
        """Whether two settings give the same selection (the live speed does not change it)."""
        return self.params == other.params and self.seed == other.seed and self.start == other.start


@dataclass(frozen=True)
class RunOutputs:
    """A finished run's stage results, from which its downloads are made (by the pipeline, as the CLI writes
    them), when a person asks for them.

    Attributes
    ----------
    pipeline : SelectionPipeline
        The run's pipeline (listening only to ``log``).
    inputs, vectors, quantised, result, selection
        What its read, vectors, quantise, select and explode stages returned.
    log : StageLog
        The stages' times and peaks, for the manifest.
    """

    pipeline: SelectionPipeline
    inputs: Any
    vectors: Any
    quantised: Any
    result: Any
    selection: Any
    log: StageLog

    def csv_bytes(self) -> bytes:
        """The selection as the CLI exports it: the pool file's columns, then gio_rank, gio_row (gio_cluster)."""
        buffer = io.BytesIO()
        self.pipeline.export(self.vectors, self.selection, buffer)
        return buffer.getvalue()

    def manifest(self, *, extra: dict | None = None) -> dict:
        """The run manifest, as ``gio-studio select`` writes it (``gio-studio select --manifest`` reruns it)."""
        return self.pipeline.manifest(
            self.inputs, self.vectors, self.result, self.selection, quantised=self.quantised, log=self.log, extra=extra
        )


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
    outputs: RunOutputs | None = field(default=None, repr=False)
    _trace: RunTrace | None = field(default=None, repr=False)
    #: What the run's view computes once per run rather than on every rerun (centroid positions per map).
    view_memo: dict = field(default_factory=dict, repr=False)

    def add(self, step) -> None:
        """Keep a step (its descent path shortened to what a map draws)."""
        path = step.path
        if path is not None and len(path) > _PATH_POINTS:
            every = math.ceil(len(path) / (_PATH_POINTS - 1))
            path = np.vstack([path[::every], path[-1:]])
        self.steps.append(
            _Step(
                step.step,
                np.asarray(step.v, dtype=np.float32),
                int(step.candidate),
                float(step.kl),
                bool(step.kept),
                int(step.n_selected),
                bool(step.reset),
                np.asarray(step.rows, dtype=np.int64),
                None if path is None else np.asarray(path, dtype=np.float32),
                step.stop_reason,
            )
        )
        self._trace = None

    def finish(self, outputs: RunOutputs | None) -> None:
        """Record the end of the run from its pipeline's results (finished, or closed early by Stop), or from None
        when it failed before it had a result."""
        self.seconds = time.perf_counter() - self.started
        if outputs is None:
            self.status = "error" if self.error else "stopped"
            return
        result = outputs.result
        self.outputs = outputs
        self.result = result
        self.selected = outputs.vectors.pool.vector_rows(outputs.selection.rows)
        self.initial_kl = float(result.initial_kl)
        self.stop_reason = result.stop_reason
        self.stop_message = result.stop_message
        self.cluster_labels = None if outputs.quantised is None else outputs.quantised.pool.labels
        self.cluster_centers = None if result.pool_quantization is None else result.pool_quantization.centers
        if result.row_quotas is not None:
            # a row budget (explode='share_turns') takes a share of each chosen cluster once the run is over: the map
            # and the picks table show the rows the selection holds, not the whole clusters the steps named
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
        """The run as a :class:`gio_core.plots.trace.RunTrace` (cached once the run is over)."""
        if self._trace is not None:
            return self._trace
        trace = RunTrace.from_steps(
            self.steps,
            initial_kl=self.initial_kl,
            dimensions=self.dimensions,
            stop_reason=self.stop_reason if self.finished else None,
            stop_message=self.stop_message,
            cluster_centers=self.cluster_centers,
            quantized=self.settings.params.get("n_clusters") is not None,
        )
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


def execute(record: RunRecord, dataset: Dataset, *, on_step=None, on_event=None) -> RunRecord:
    """The app's run: the CLI's pipeline on the data set's vectors, each step kept in ``record``, then exploded.

    Parameters
    ----------
    record : RunRecord
        Filled step by step; finished (``done``, ``stopped`` or ``error``) when this returns.
    dataset : Dataset
    on_step : callable, optional
        Called with each :class:`gio_core.GIOStep` after it is kept (the live map). An exception it raises (a
        Stop click interrupting the script) ends the run with the picks so far, exploded as the CLI would.
    on_event : callable, optional
        Also hears the pipeline's :class:`gio_core.pipeline.StageEvent` values (progress of K-means).

    Returns
    -------
    RunRecord
    """
    log = StageLog()
    base = record.settings.pipeline(dataset)
    pipeline = base.listening(log, on_event)
    steps = outputs = None
    try:
        inputs = pipeline.read()
        vectors = pipeline.vectors(inputs)
        quantised = pipeline.quantise(vectors)
        steps = pipeline.iter_select(vectors, quantised, record_path=True)
        for step in steps:
            record.add(step)
            if on_step is not None:
                on_step(step)
    except (ValueError, TypeError, MemoryError) as problem:  # DataError is a ValueError
        record.error = " ".join(str(problem).split())
    finally:
        if steps is not None:
            steps.close()  # a Stop keeps the picks so far
            if not record.error:
                result = steps.result
                selection = pipeline.explode(vectors, quantised, result)
                outputs = RunOutputs(base.listening(log), inputs, vectors, quantised, result, selection, log)
        record.finish(outputs)  # None when the run failed before its first step
        if record.error:
            record.status = "error"
    return record


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
