"""One selection pipeline for every caller: read → vectors → quantise → select → explode → export → manifest.

The CLI, the app and the Python API run these stages; an execution backend (:mod:`gio_core.pipeline.backends`:
in-process, Spark) runs the ones that touch every pool row. With ``n_clusters`` both backends go through the
very same steps, so the same inputs and seed give the same rows in the same order:

1. **read**: the pool (one file, or a folder/glob of Parquet shards, rows numbered ``gio_row`` in
   (sorted file name, row) order) and the target (one file), checked up front.
2. **vectors**: which columns are the vectors, checked in every shard before any job runs.
3. **quantise**: :func:`gio_core.scale.quantize.quantise_inputs`, the stage :class:`gio_core.GIOSelector`
   runs with ``n_clusters`` too: the K-means sample drawn by row number with the seed and read by the
   backend, faiss K-means trained here, the target quantised here, every row assigned by the backend.
4. **select**: :class:`gio_core.GIOSelector` on the centroids (or the rows), here.
5. **explode**: the chosen clusters to rows by the backend (quotas and :func:`gio_core.scale.explode.row_priority`).
6. **export**: the rows with the pool's columns untouched plus ``gio_rank``, ``gio_row``, ``gio_cluster``,
   written to a temporary name and renamed into place (or to a stream).
7. **manifest**: every parameter, input fingerprint, result and timing.

Each stage returns a frozen value that the next takes (:mod:`gio_core.pipeline.stages`) and sends
:class:`~gio_core.pipeline.stages.StageEvent` values to ``on_event`` while it runs; :meth:`SelectionPipeline.run`
chains them all.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from .._validation import check_random_state
from ..gio.config import GIOConfig, GIOResult, GIOStep
from ..gio.selector import GIOSelector
from ..io.atomic import write_atomically
from ..io.embeddings import describe_text_model
from ..io.errors import DataError
from ..io.export import EXPORT_COLUMNS
from ..io.manifest import build_manifest, manifest_vectors_record, selection_sha256, vectors_sha256, write_manifest
from ..io.read import read_data
from ..io.shards import ParquetDataset, dataset_vectors, is_parquet_dataset, open_parquet_dataset, target_vectors
from ..io.tables import DEFAULT_MAX_BYTES, LoadedData
from ..io.targets import split_pool
from ..io.vectors import default_vector_source, prepare_vectors
from ..scale.explode import distinct_in_order
from ..scale.quantize import QuantisedInputs, quantise_inputs
from .backends import Backend, Selection, get_backend
from .stages import EventCallback, Inputs, PoolVectors, StageEvent, StageLog, Vectors, usage

__all__ = ["Selecting", "SelectionPipeline", "run_selection"]

_STARTS = ("empty", "uniform", "pool_sample")


class _VectorChoice(TypedDict):
    """Where the vectors are, as given (None: not given)."""

    columns: list[str] | None
    vector_column: str | None
    text_column: str | None
    text_model: str | None


class _TargetFromPool(TypedDict):
    """A target made of pool rows: the rows (sorted, distinct) and how they were chosen."""

    rows: list[int]
    how: str


_GIO_PARAMETERS = frozenset(field.name for field in fields(GIOConfig))


def gio_config(params: dict | None) -> GIOConfig:
    """The validated GIO parameters of a run (``random_state`` is the pipeline's ``seed``).

    Raises
    ------
    ValueError, TypeError
        An unknown name or a bad value, in :class:`gio_core.GIOConfig`'s words.
    """
    params = dict(params or {})
    unknown = sorted(set(params) - _GIO_PARAMETERS)
    if unknown:
        raise ValueError(
            f"params has {', '.join(repr(name) for name in unknown)}, which "
            f"{'is not a GIOSelector parameter' if len(unknown) == 1 else 'are not GIOSelector parameters'}"
            "; see help(gio_core.GIOSelector) for the parameters (random_state is the seed)."
        )
    return GIOConfig(**params)


class SelectionPipeline:
    """The staged selection pipeline: call the stages in order, each with the results of the ones before, or
    :meth:`run` for all of them.

    Parameters
    ----------
    pool : str, PathLike, bytes or file-like
        One file (every format :func:`gio_core.io.read_data` reads), or a folder or glob of Parquet shards.
    target : str, PathLike, bytes, file-like or None
        One file; None with ``target_from_pool``.
    engine : {'inprocess', 'spark'} or Backend, default='inprocess'
        Where the row-level stages run (:func:`gio_core.pipeline.backends.get_backend`).
    params : dict, optional
        :class:`gio_core.GIOSelector` parameters (``n_clusters`` quantises).
    seed : int, default=0
        ``random_state`` of the whole run.
    start : {'empty', 'uniform', 'pool_sample'}, default='empty'
        An empty start set, or the engine's own start (``uniform_start_size`` points, or the
        ``random_init_pct`` pool sample).
    columns, vector_column, text_column, text_model, drop_nonfinite
        Where the vectors are, as in :func:`gio_core.io.prepare_vectors` (text and dropping rows: single
        files only).
    id_column : str, optional
        A column naming each pool row: checked to exist (in every shard), never a vector dimension.
    max_bytes, encoding
        As in :func:`gio_core.io.read_data`.
    on_event : callable, optional
        Called with every :class:`~gio_core.pipeline.stages.StageEvent` (stage starts, progress, GIO steps,
        stage results).
    target_from_pool : dict, optional
        The target is rows of the pool file, taken out of the pool (as the app's "Rows of the pool, chosen on
        the map" does): ``{"rows": [...], "how": "..."}`` with the file's row numbers from 0. The exported
        ``gio_row`` numbers rows of the whole file; the manifest records the split. One pool file, in process.
    step_rows : bool, default=False
        When quantised in process: each select step names the pool rows its cluster brings
        (``GIOStep.rows``, for a live map). Off by default: a pipeline that only exports does not need them.

    Examples
    --------
    >>> pipeline = SelectionPipeline("pool_shards/", "target.parquet", params={"n_clusters": 500},
    ...                              vector_column="embedding")            # doctest: +SKIP
    >>> pipeline.run("selection.parquet")["selection"]["rows"]             # doctest: +SKIP
    """

    def __init__(
        self,
        pool,
        target,
        *,
        engine: str | Backend = "inprocess",
        params: dict | None = None,
        seed: int | None = 0,
        start: str = "empty",
        columns=None,
        vector_column: str | None = None,
        text_column: str | None = None,
        text_model: str | None = None,
        drop_nonfinite: bool = False,
        id_column: str | None = None,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        encoding: str | None = None,
        on_event: EventCallback | None = None,
        target_from_pool: dict | None = None,
        step_rows: bool = False,
    ):
        if start not in _STARTS:
            raise ValueError(f"start must be 'empty', 'uniform' or 'pool_sample'; got {start!r}.")
        self.params = dict(params or {})
        self.config = gio_config(self.params)  # bad parameters fail before any file is read
        self.seed = seed
        self.backend = engine if isinstance(engine, Backend) else get_backend(engine)
        if self.backend.name != "inprocess" and not self.config.n_clusters:
            raise ValueError(f"engine={self.backend.name!r} runs GIO on K-means centroids: give n_clusters=K.")
        if (target is None) == (target_from_pool is None):
            raise ValueError(
                "give the target as a file, or as rows of the pool (target_from_pool), not both or neither."
            )
        if target_from_pool is not None and self.backend.name != "inprocess":
            raise ValueError(
                f"a target made of pool rows runs in process; drop engine={self.backend.name!r}, or "
                "write the target rows to a file of their own."
            )
        self.target_from_pool: _TargetFromPool | None = (
            None
            if target_from_pool is None
            else {
                "rows": [int(row) for row in np.unique(np.asarray(target_from_pool["rows"], dtype=np.int64))],
                "how": str(target_from_pool.get("how", "rows of the pool")),
            }
        )
        self.pool_source, self.target_source = pool, target
        self.start = start
        self.choice: _VectorChoice = {
            "columns": None if columns is None else [str(column) for column in columns],
            "vector_column": vector_column,
            "text_column": text_column,
            "text_model": text_model,
        }
        self.drop_nonfinite = bool(drop_nonfinite)
        self.id_column = id_column
        self.max_bytes = max_bytes
        self.encoding = encoding
        self.step_rows = bool(step_rows)
        self._listeners: tuple[EventCallback, ...] = () if on_event is None else (on_event,)
        self._given: tuple[Inputs, Vectors] | None = None  # from_prepared: the read and vectors stages' results

    @classmethod
    def from_prepared(cls, pool: LoadedData, target: LoadedData, prepared, **options) -> SelectionPipeline:
        """A pipeline whose read and vectors stages are done already (files read and vectors built by a caller
        that caches them, such as the app): :meth:`read` and :meth:`vectors` return them.

        Parameters
        ----------
        pool, target : LoadedData
            As :func:`gio_core.io.read_data` returned them. With ``target_from_pool`` in the options: the whole
            pool file, and the target :func:`gio_core.io.split_pool` took out of it.
        prepared : PreparedVectors
            As :func:`gio_core.io.prepare_vectors` returned it for these two files (for the pool without the
            target's rows, with ``target_from_pool``).
        **options
            As for the constructor (``params``, ``seed``, ``start``, ``on_event``, ...).

        Returns
        -------
        SelectionPipeline
        """
        from_pool = options.get("target_from_pool") is not None
        options = {
            **prepared.choice(),
            **options,
            "drop_nonfinite": bool(prepared.pool_nonfinite_rows or prepared.target_nonfinite_rows),
        }
        pipeline = cls(pool, None if from_pool else target, **options)
        inputs = Inputs(pool=pool, target=target)
        pool_vectors = PoolVectors.of_file(pool, prepared, taken_rows=pipeline._taken_rows)
        pipeline.backend.check_pool(pool_vectors)
        vectors = Vectors(
            pool=pool_vectors,
            target=prepared.target,
            description=prepared.description,
            text_model=prepared.text_model,
            dropped=(prepared.pool_nonfinite_rows, prepared.target_nonfinite_rows),
            prepared=prepared,
        )
        pipeline._given = (inputs, vectors)
        return pipeline

    def listening(self, *callbacks: EventCallback | None) -> SelectionPipeline:
        """The same pipeline sending its events to ``callbacks`` as well (a :class:`StageLog`, a progress bar)."""
        twin = copy.copy(self)
        twin._listeners = self._listeners + tuple(callback for callback in callbacks if callback is not None)
        return twin

    # -- events ------------------------------------------------------------------------------------

    def _emit(self, event: StageEvent) -> None:
        for listener in self._listeners:
            listener(event)

    @contextmanager
    def _stage(self, stage: str) -> Iterator[dict]:
        """Send a stage's 'start' and (when it returns) 'done' events; the body puts its result in the dict."""
        started = time.perf_counter()
        self._emit(StageEvent(stage, "start"))
        box: dict[str, Any] = {}
        yield box
        peak, cpu = usage()
        self._emit(
            StageEvent(
                stage,
                "done",
                seconds=time.perf_counter() - started,
                result=box.get("result"),
                peak_rss_bytes=peak,
                cpu_seconds=cpu,
            )
        )

    def _progress(self, stage: str):
        """A ``progress(detail, done, total)`` callback for the engine's functions, as events of ``stage``."""
        started = time.perf_counter()

        def progress(detail: str, done: int, total: int) -> None:
            self._emit(
                StageEvent(
                    stage,
                    "progress",
                    detail=detail,
                    done=int(done),
                    total=int(total),
                    seconds=time.perf_counter() - started,
                )
            )

        return progress

    # -- stages ------------------------------------------------------------------------------------

    def read(self) -> Inputs:
        """Read (or, for shards, list and check) the pool and read the target."""
        if self._given is not None:
            return self._given[0]
        with self._stage("read") as stage:
            source = self.pool_source
            progress = self._progress("read")
            spark_parquet = (
                self.backend.name != "inprocess"
                and isinstance(source, (str, os.PathLike))
                and str(source).lower().endswith((".parquet", ".pq"))
            )
            shards = is_parquet_dataset(source) or spark_parquet
            pool: ParquetDataset | LoadedData
            if shards:
                pool = open_parquet_dataset(source)
            elif self.backend.name != "inprocess":
                raise ValueError(
                    f"engine={self.backend.name!r} reads Parquet: {source} is not a Parquet file, folder "
                    "or glob; write the pool as Parquet shards, or use engine='inprocess'."
                )
            else:
                pool = read_data(source, max_bytes=self.max_bytes, encoding=self.encoding, progress=progress)
            rest = None
            if self.target_from_pool is not None:
                if isinstance(pool, ParquetDataset):  # shards
                    raise ValueError(
                        f"{pool.name}: a target made of pool rows needs one pool file, not a folder of "
                        "shards; write the target rows to a file of their own."
                    )
                rest, target = split_pool(pool, self.target_from_pool["rows"], k=self.config.k)
            else:
                target = read_data(
                    self.target_source, max_bytes=self.max_bytes, encoding=self.encoding, progress=progress
                )
            stage["result"] = inputs = Inputs(pool=pool, target=target, rest=rest)
        return inputs

    def vectors(self, inputs: Inputs) -> Vectors:
        """Choose and check the vectors of pool and target."""
        if self._given is not None:
            return self._given[1]
        with self._stage("vectors") as stage:
            if isinstance(inputs.pool, ParquetDataset):
                result = self._shard_vectors(inputs)
            else:
                result = self._file_vectors(inputs)
            self.backend.check_pool(result.pool)
            stage["result"] = result
        return result

    def _shard_vectors(self, inputs: Inputs) -> Vectors:
        pool = inputs.pool
        if self.choice["text_column"] is not None:
            raise ValueError(
                f"{pool.name}: a folder of Parquet shards takes a vector column or numeric columns, not "
                "text_column; embed the text first."
            )
        if self.drop_nonfinite:
            raise ValueError(
                f"{pool.name}: drop_nonfinite is for single files; drop the rows with NaN/inf from the shards first."
            )
        spec = dataset_vectors(
            pool, columns=self.choice["columns"], vector_column=self.choice["vector_column"], id_column=self.id_column
        )
        target, _, target_bad = target_vectors(inputs.target, spec, pool_name=pool.name, k=self.config.k)
        matrix = spec.rows(pool) if self.backend.name == "inprocess" else None
        description = spec.description_for(inputs.target)
        record = {
            **spec.choice(),
            "source": spec.source,
            "description": description,
            "dimensions": spec.width,
            "pool_rows_used": pool.n_rows,
            "target_rows_used": int(target.shape[0]),
            "pool_nonfinite_rows": 0,
            "target_nonfinite_rows": int(target_bad),
            "pool_sha256": None,
            "target_sha256": vectors_sha256(target),
        }
        return Vectors(
            pool=PoolVectors(data=pool, matrix=matrix, vectors=spec, kept_rows=None, n_rows=pool.n_rows),
            target=target,
            description=description,
            dropped=(0, target_bad),
            record=record,
        )

    def _file_vectors(self, inputs: Inputs) -> Vectors:
        pool = inputs.pool
        if self.id_column is not None and self.id_column not in pool.columns:
            raise DataError(
                f"{pool.name} has no column `{self.id_column}` (for the id column); its columns are "
                f"{', '.join(pool.columns[:12])}.",
                code="column",
            )
        choice = self.choice.copy()
        if self.id_column is not None and not any((choice["columns"], choice["vector_column"], choice["text_column"])):
            source, default = default_vector_source(pool)
            if source == "columns" and self.id_column in default:
                choice["columns"] = [column for column in default if column != self.id_column]
        prepared = prepare_vectors(
            pool if inputs.rest is None else inputs.rest,
            inputs.target,
            **choice,
            drop_nonfinite=self.drop_nonfinite,
            k=self.config.k,
            progress=self._progress("vectors"),
        )
        pool_vectors = PoolVectors.of_file(pool, prepared, taken_rows=self._taken_rows)
        return Vectors(
            pool=pool_vectors,
            target=prepared.target,
            description=prepared.description,
            text_model=prepared.text_model,
            dropped=(prepared.pool_nonfinite_rows, prepared.target_nonfinite_rows),
            prepared=prepared,
        )

    def quantise(self, vectors: Vectors) -> QuantisedInputs | None:
        """K-means (:func:`gio_core.scale.quantize.quantise_inputs`): the sample by row number, trained here, the
        target quantised here, every row assigned by the backend; None without ``n_clusters``."""
        if not self.config.n_clusters:
            return None
        with self._stage("quantise") as stage:
            pool, backend = vectors.pool, self.backend
            progress = self._progress("quantise")
            stage["result"] = quantised = quantise_inputs(
                pool.n_rows,
                vectors.target,
                int(self.config.n_clusters),
                random_state=check_random_state(self.seed),
                read_rows=lambda rows: backend.read_rows(pool, rows),
                assign=lambda centers, points: backend.assign(pool, centers, target_points=points, progress=progress),
                order_by_target=self.config.orders_rows_by_target,
                by_turns=self.config.fills_by_turns,
                keep_quotas=self.config.turns_keep_quotas,
                progress=progress,
            )
        return quantised

    def iter_select(
        self, vectors: Vectors, quantised: QuantisedInputs | None, *, record_path: bool = False
    ) -> Selecting:
        """The select stage step by step (for a live view): iterate over the :class:`gio_core.GIOStep` values,
        then read :attr:`Selecting.result`.

        Closing it early (a Stop button) keeps the picks so far, as :meth:`gio_core.GIOSelector.iter_fit`
        does; the later stages then explode and export those.
        """
        return Selecting(self, vectors, quantised, record_path=record_path)

    def select(self, vectors: Vectors, quantised: QuantisedInputs | None) -> GIOResult:
        """GIO (on the centroids when quantised), here; every step goes to ``on_event``."""
        steps = self.iter_select(vectors, quantised)
        for _ in steps:
            pass
        return steps.result

    def explode(self, vectors: Vectors, quantised: QuantisedInputs | None, result: GIOResult) -> Selection:
        """The chosen clusters to pool rows (by the backend), or the picked rows themselves."""
        with self._stage("explode") as stage:
            if quantised is None:
                assert result.selected_indices is not None  # an unquantised run names its rows
                selection = Selection(rows=vectors.pool.file_rows(result.selected_indices), clusters=None)
            else:
                picks = distinct_in_order(result.selected_candidates)
                selection = self.backend.explode(
                    vectors.pool, quantised, picks, quotas=result.row_quotas, seed=int(result.explode_seed or 0)
                )
            stage["result"] = selection
        return selection

    def export(self, vectors: Vectors, selection: Selection, out) -> int:
        """Write the selection; returns the rows written.

        ``out`` ending in ``.csv``, ``.csv.gz``, ``.tsv`` or ``.parquet`` (a folder of part files with the
        Spark backend): written to a temporary name beside it and renamed into place when complete. ``'-'``
        writes CSV to stdout, a binary stream (``io.BytesIO``) receives CSV (in process).
        """
        with self._stage("export") as stage:
            progress = self._progress("export")
            if out == "-" or hasattr(out, "write"):
                if self.backend.name != "inprocess":
                    raise ValueError(f"engine={self.backend.name!r} writes a folder of part files; give out=PATH.")
                stream = sys.stdout.buffer if out == "-" else out
                written = self.backend.export(vectors.pool, selection, stream, progress=progress)
                if out == "-":
                    sys.stdout.flush()
            else:
                written = write_atomically(
                    out, lambda path: self.backend.export(vectors.pool, selection, path, progress=progress)
                )
            stage["result"] = written
        return int(written)

    def manifest(
        self,
        inputs: Inputs,
        vectors: Vectors,
        result: GIOResult,
        selection: Selection,
        *,
        quantised: QuantisedInputs | None = None,
        written: int | None = None,
        out=None,
        log: StageLog | None = None,
        extra: dict | None = None,
    ) -> dict:
        """The run manifest (:func:`gio_core.io.manifest.build_manifest`) from the stages' results.

        ``log`` (a :class:`StageLog` that heard the run's events) gives the timings and peaks per stage.
        """
        with self._stage("manifest") as stage:
            started = time.perf_counter()
            params = self.config.to_dict()
            params.update(
                start=self.start,
                drop_nonfinite=self.drop_nonfinite,
                encoding=self.encoding,
                max_bytes=self.max_bytes,
                id_column=self.id_column,
            )
            document = build_manifest(
                params=params,
                seed=self.seed,
                inputs={"pool": inputs.pool, "target": inputs.target},
                result=result,
                timings=self._timings(log, quantised),
                vectors=self._record(vectors),
                selected_rows=selection.rows,
            )
            if log is not None:
                log.mark("manifest")
                document["resources"] = {
                    "peak_rss_bytes": _manifest_names(log.peak_rss_bytes),
                    "cpu_seconds": _manifest_names(log.cpu_seconds),
                }
            if self.target_from_pool is not None:
                pool = inputs.pool
                entry = {"pool": pool.name, "pool_sha256": pool.sha256, **self.target_from_pool}
                if pool.path is not None:  # where a rerun (gio-studio select --manifest) finds the file
                    entry.update(path=str(pool.path), abs_path=str(Path(pool.path).resolve()))
                document["target_from_pool"] = entry
            document["engine"] = {"name": self.backend.name, **getattr(self.backend, "describe", lambda: {})()}
            columns = self.output_columns(inputs, quantised=result.pool_quantization is not None)
            document["selection"] = {
                "out": None if out is None or hasattr(out, "write") else str(out),
                "rows": int(selection.n_rows if written is None else written),
                "columns": columns,
                "file_rows_sha256": selection_sha256(selection.rows),
                "added_columns": [column for column in EXPORT_COLUMNS if column in columns],
            }
            if extra:
                document.update(extra)
            if log is not None:
                document["timings"]["manifest"] = time.perf_counter() - started
            stage["result"] = document
        return document

    def run(self, out, *, manifest_out=None) -> dict:
        """Every stage; writes ``out`` and (when given) the manifest; returns the manifest."""
        log = StageLog()
        pipeline = self.listening(log)
        try:
            inputs = pipeline.read()
            vectors = pipeline.vectors(inputs)
            quantised = pipeline.quantise(vectors)
            result = pipeline.select(vectors, quantised)
            selection = pipeline.explode(vectors, quantised, result)
            written = pipeline.export(vectors, selection, out)
            document = pipeline.manifest(
                inputs, vectors, result, selection, quantised=quantised, written=written, out=out, log=log
            )
            if manifest_out is not None:
                write_manifest(document, manifest_out)
            return document
        finally:
            self.close()

    def close(self) -> None:
        """Release the backend (a Spark session this pipeline started)."""
        self.backend.close()

    # -- helpers -----------------------------------------------------------------------------------

    def output_columns(self, inputs: Inputs, *, quantised: bool) -> list[str]:
        """The exported columns: the pool's (vector dimensions ``dim_i`` for an array) then the gio_* ones."""
        data = inputs.pool
        columns = [column for column in data.columns if column not in EXPORT_COLUMNS]
        if isinstance(data, LoadedData) and data.array is not None:
            columns += [f"dim_{i}" for i in range(data.array.shape[1])]
        return columns + ["gio_rank", "gio_row"] + (["gio_cluster"] if quantised else [])

    def _timings(self, log: StageLog | None, quantised: QuantisedInputs | None) -> dict:
        """The manifest's ``timings``: seconds per stage, under the names the manifest has always used."""
        if log is None:
            return {}
        timings = _manifest_names(log.seconds)
        if quantised is not None:
            target_seconds = sum(quantised.target.seconds.values()) if quantised.target is not None else 0.0
            timings["quantize_target"] = target_seconds
            timings["quantize_pool"] = timings.get("quantize_pool", 0.0) - target_seconds
            for part, value in quantised.pool.seconds.items():
                timings[f"quantize_pool_{part}"] = float(value)
        timings["select"] = sum(
            timings.get(stage, 0.0) for stage in ("quantize_pool", "quantize_target", "gio", "explode")
        )
        timings["total"] = log.total_seconds
        return timings

    def _record(self, vectors: Vectors) -> dict:
        """The manifest's ``vectors``: a shard pool's record, or one made now from a file's vectors."""
        if vectors.record is not None:
            return vectors.record
        prepared = vectors.prepared
        return manifest_vectors_record(
            prepared, text_model_detail=(describe_text_model(prepared.text_model) if prepared.text_model else None)
        )

    @property
    def _taken_rows(self) -> list[int] | None:
        """Rows of the pool file that became the target (``target_from_pool``)."""
        return None if self.target_from_pool is None else self.target_from_pool["rows"]


#: A stage's key in the manifest's ``timings`` and ``resources`` where it is not the stage's own name.
_MANIFEST_KEYS = {"quantise": "quantize_pool", "select": "gio"}


def _manifest_names(values: dict) -> dict:
    return {_MANIFEST_KEYS.get(stage, stage): value for stage, value in values.items()}


class Selecting:
    """The select stage of one run, step by step: iterate over its :class:`gio_core.GIOStep` values (each also
    sent to ``on_event``), close it to stop early, then read :attr:`result`."""

    def __init__(
        self, pipeline: SelectionPipeline, vectors: Vectors, quantised: QuantisedInputs | None, *, record_path: bool
    ):
        self._pipeline = pipeline
        self._selector = GIOSelector(
            **pipeline.params, random_state=pipeline.seed if quantised is None else quantised.generator
        )
        init = np.zeros((0, vectors.target.shape[1])) if pipeline.start == "empty" else None
        if quantised is None:
            self._steps = self._selector.iter_fit(vectors.pool.matrix, vectors.target, init, record_path=record_path)
        else:
            pool = quantised.pool if pipeline.step_rows else quantised.pool.without_labels()
            target = quantised.target if quantised.target is not None else vectors.target
            # the budget is shared by target rows, as GIOSelector(n_clusters=...) does
            self._steps = self._selector.iter_fit(
                pool, target, init, record_path=record_path, target_rows=vectors.target
            )
        self._run = self._generator()

    def _generator(self) -> Generator[GIOStep, None, None]:
        pipeline = self._pipeline
        started = time.perf_counter()
        pipeline._emit(StageEvent("select", "start"))
        failed = False
        try:
            for step in self._steps:
                pipeline._emit(
                    StageEvent("select", "step", done=step.n_selected, step=step, seconds=time.perf_counter() - started)
                )
                yield step
        except GeneratorExit:  # closed early (a Stop button): the picks so far are the result
            raise
        except BaseException:
            failed = True
            raise
        finally:
            self._steps.close()  # the selector keeps the picks so far
            if not failed:
                peak, cpu = usage()
                pipeline._emit(
                    StageEvent(
                        "select",
                        "done",
                        seconds=time.perf_counter() - started,
                        result=getattr(self._selector, "result_", None),
                        peak_rss_bytes=peak,
                        cpu_seconds=cpu,
                    )
                )

    def __iter__(self) -> Iterator[GIOStep]:
        return self._run

    def close(self) -> None:
        """Stop the run; the picks so far are kept (``stop_reason == 'interrupted'``)."""
        self._run.close()
        self._steps.close()

    @property
    def result(self) -> GIOResult:
        """The run's result (once it ended or was closed)."""
        if not hasattr(self._selector, "result_"):
            raise RuntimeError("the select stage has not run yet; iterate over it (or close it) first.")
        return self._selector.result_


def run_selection(pool, target, out, *, manifest_out=None, **options) -> dict:
    """Run the whole pipeline: :class:`SelectionPipeline` ``(pool, target, **options).run(out)``.

    Returns
    -------
    dict
        The manifest (also written to ``manifest_out`` when given).
    """
    return SelectionPipeline(pool, target, **options).run(out, manifest_out=manifest_out)
