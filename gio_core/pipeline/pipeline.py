"""One selection pipeline for every caller: read → vectors → quantise → select → explode → export → manifest.

The CLI, the app and the Python API run these stages; an execution backend (:mod:`gio_core.backends`:
in-process, Spark) runs the ones that touch every pool row. With ``--clusters K`` both backends go
through the very same steps, so the same inputs and seed give the same rows in the same order:

1. **read**: the pool (one file, or a folder/glob of Parquet shards, rows numbered ``gio_row`` in
   (sorted file name, row) order) and the target (one file), checked up front.
2. **vectors**: which columns are the vectors, checked in every shard before any job runs.
3. **quantise**: the K-means training sample drawn by global row number with the seed
   (:func:`gio_core.quantize.draw_training_rows`), read by the backend; faiss K-means trained here;
   every row assigned by the backend (faiss flat index); the target quantised here.
4. **select**: :class:`gio_core.GIOSelector` on the centroids, here.
5. **explode**: the chosen clusters to rows by the backend (quotas and :func:`gio_core.explode.row_priority`).
6. **export**: the rows with the pool's columns untouched plus ``gio_rank``, ``gio_row``, ``gio_cluster``,
   written to a temporary name and renamed into place.
7. **manifest**: every parameter, input fingerprint, result and timing, written here.

Without ``n_clusters`` GIO runs on the rows themselves, in process.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

from ..io.tables import DEFAULT_MAX_BYTES, LoadedData
from ..io.errors import DataError
from ..io.shards import ParquetDataset

__all__ = ["PoolVectors", "SelectionPipeline", "StageMeter", "run_selection"]

ProgressCallback = Callable[[str, int, int], object]


@dataclass(frozen=True)
class PoolVectors:
    """The pool as the backends see it.

    Attributes
    ----------
    data : LoadedData or ParquetDataset
        The pool as read (its columns are exported untouched).
    matrix : ndarray, memory map, RowSource or None
        The vectors, read in chunks in process; None for a backend that reads the shards itself.
    vectors : ShardVectors or None
        Where a ParquetDataset's vectors are.
    kept_rows : ndarray of int64 or None
        File row of each vector row when rows with NaN/inf were dropped; None when every row is kept.
    n_rows : int
        Vector rows.
    """

    data: Any
    matrix: Any = field(repr=False)
    vectors: Any
    kept_rows: NDArray[np.int64] | None = field(repr=False)
    n_rows: int

    def file_rows(self, rows: NDArray) -> NDArray[np.int64]:
        """Pool file rows (``gio_row``) of vector rows."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self.kept_rows is None else self.kept_rows[rows]

    def vector_rows(self, file_rows: NDArray) -> NDArray[np.int64]:
        """Vector rows of pool file rows (the inverse of :meth:`file_rows`; every one must be kept)."""
        file_rows = np.asarray(file_rows, dtype=np.int64)
        return file_rows if self.kept_rows is None else np.searchsorted(self.kept_rows, file_rows).astype(np.int64)


class StageMeter:
    """Peak resident memory and CPU time at the end of each stage, for the manifest's ``resources``."""

    def __init__(self):
        self.started = time.perf_counter()
        self.peak_rss_bytes: dict[str, int] = {}
        self.cpu_seconds: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        """Record the process's peak RSS so far; the last mark of a stage is its value (peaks only grow)."""
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
        self.peak_rss_bytes[stage] = int(usage.ru_maxrss) * scale
        self.cpu_seconds[stage] = float(usage.ru_utime + usage.ru_stime)

    def record(self) -> dict:
        return {"peak_rss_bytes": dict(self.peak_rss_bytes), "cpu_seconds": dict(self.cpu_seconds)}


class SelectionPipeline:
    """The staged selection pipeline; call the stages in order, or :meth:`run` for all of them.

    Parameters
    ----------
    pool : str, PathLike, bytes or file-like
        One file (every format :func:`gio_core.data.read_data` reads), or a folder or glob of Parquet
        shards.
    target : str, PathLike, bytes, file-like or None
        One file; None with ``target_from_pool``.
    engine : {'inprocess', 'spark'} or Backend, default='inprocess'
        Where the row-level stages run (:func:`gio_core.backends.get_backend`).
    params : dict, optional
        :class:`gio_core.GIOSelector` parameters (``n_clusters`` quantises).
    seed : int, default=0
        ``random_state`` of the whole run.
    start : {'empty', 'uniform', 'pool_sample'}, default='empty'
        An empty start set, or the engine's own start (``uniform_start_size`` points, or the app's
        ``random_init_pct`` pool sample).
    columns, vector_column, text_column, text_model, drop_nonfinite
        Where the vectors are, as in :func:`gio_core.data.prepare_vectors` (text and dropping rows:
        single files only).
    id_column : str, optional
        A column naming each pool row: checked to exist (in every shard), never a vector dimension.
    max_bytes, encoding
        As in :func:`gio_core.data.read_data`.
    progress : callable, optional
        ``progress(stage, done, total)``.
    callback : callable, optional
        Called with each :class:`gio_core.GIOStep`.
    target_from_pool : dict, optional
        The target is rows of the pool file, taken out of the pool (as the app's "Rows of the pool, chosen
        on the map" does): ``{"rows": [...], "how": "..."}`` with the file's row numbers from 0. The
        exported ``gio_row`` numbers rows of the whole file; the manifest records the split. One pool file,
        in process.
    step_rows : bool, default=False
        When quantised in process: keep every row's cluster, so that each step names the pool rows its
        cluster brings (``GIOStep.rows``, for a live map) and :attr:`cluster_labels` is set. Off by
        default: a pipeline that only exports does not need them.

    Examples
    --------
    >>> pipeline = SelectionPipeline("pool_shards/", "target.parquet", params={"n_clusters": 500},
    ...                              vector_column="embedding")            # doctest: +SKIP
    >>> pipeline.run("selection.parquet").n_selected                         # doctest: +SKIP
    """

    def __init__(self, pool, target, *, engine="inprocess", params: dict | None = None, seed: int | None = 0,
                 start: str = "empty", columns=None, vector_column: str | None = None, text_column: str | None = None,
                 text_model: str | None = None, drop_nonfinite: bool = False, id_column: str | None = None,
                 max_bytes: int | None = DEFAULT_MAX_BYTES, encoding: str | None = None,
                 progress: ProgressCallback | None = None, callback: Callable | None = None,
                 target_from_pool: dict | None = None, step_rows: bool = False):
        from .backends import Backend, get_backend
        from ..gio.selector import GIOSelector

        if start not in ("empty", "uniform", "pool_sample"):
            raise ValueError(f"start must be 'empty', 'uniform' or 'pool_sample'; got {start!r}.")
        self.params = dict(params or {})
        self.seed = seed
        GIOSelector(**self.params, random_state=seed).config()  # bad parameters fail before any file is read
        self.backend = engine if isinstance(engine, Backend) else get_backend(engine)
        if self.backend.name != "inprocess" and not self.params.get("n_clusters"):
            raise ValueError(f"--engine {self.backend.name} runs GIO on K-means centroids: give --clusters K "
                             "(n_clusters).")
        if (target is None) == (target_from_pool is None):
            raise ValueError("give the target as a file, or as rows of the pool (target_from_pool), not both or "
                             "neither.")
        if target_from_pool is not None and self.backend.name != "inprocess":
            raise ValueError(f"a target made of pool rows runs in process; drop --engine {self.backend.name}, or "
                             "write the target rows to a file of their own.")
        self.target_from_pool = None if target_from_pool is None else {
            "rows": [int(row) for row in np.unique(np.asarray(target_from_pool["rows"], dtype=np.int64))],
            "how": str(target_from_pool.get("how", "rows of the pool"))}
        self._rest = None  # the pool file without the target's rows, with them as the target
        self.pool_source, self.target_source = pool, target
        self.start = start
        self.choice = {"columns": None if columns is None else [str(column) for column in columns],
                       "vector_column": vector_column, "text_column": text_column, "text_model": text_model}
        self.drop_nonfinite = bool(drop_nonfinite)
        self.id_column = id_column
        self.max_bytes = max_bytes
        self.encoding = encoding
        self.progress = progress
        self.callback = callback
        self.step_rows = bool(step_rows)
        self.timings: dict[str, float] = {}
        self.meter = StageMeter()
        self.pool_data = self.target_data = None
        self.pool: PoolVectors | None = None
        self.target_matrix = None
        self.vectors_record: dict = {}
        self._prepared = None
        self.description = ""
        self.text_model = None
        self.dropped = (0, 0)
        self.quantization = self.target_quantization = self.assignment = None
        self.raw_clusters = None
        self.selector = None
        self.selection = None
        self.n_written = 0
        self._rng = None

    @classmethod
    def from_prepared(cls, pool: LoadedData, target: LoadedData, prepared, **options) -> "SelectionPipeline":
        """A pipeline whose read and vectors stages are done already (files read and vectors built by a
        caller that caches them, such as the app); run :meth:`quantise` next.

        Parameters
        ----------
        pool, target : LoadedData
            As :func:`gio_core.data.read_data` returned them. With ``target_from_pool`` in the options:
            the whole pool file, and the target :func:`gio_core.targets.split_pool` took out of it.
        prepared : PreparedVectors
            As :func:`gio_core.data.prepare_vectors` returned it for these two files (for the pool
            without the target's rows, with ``target_from_pool``).
        **options
            As for the constructor (``params``, ``seed``, ``start``, ``progress``, ``callback``, ...).

        Returns
        -------
        SelectionPipeline
        """
        from_pool = options.get("target_from_pool") is not None
        pipeline = cls(pool, None if from_pool else target, **{**prepared.choice(), **options})
        pipeline.pool_data, pipeline.target_data = pool, target
        kept = pipeline._kept_rows(prepared)
        pipeline.drop_nonfinite = bool(prepared.pool_nonfinite_rows or prepared.target_nonfinite_rows)
        pipeline.pool = PoolVectors(data=pool, matrix=prepared.pool, vectors=None, kept_rows=kept,
                                    n_rows=int(prepared.pool.shape[0]))
        pipeline.target_matrix = prepared.target
        pipeline.description, pipeline.text_model = prepared.description, prepared.text_model
        pipeline.dropped = (prepared.pool_nonfinite_rows, prepared.target_nonfinite_rows)
        pipeline._prepared = prepared  # its manifest record (vector hashes) is made only if a manifest is asked for
        pipeline.backend.check_pool(pipeline.pool)
        return pipeline

    # -- stages ------------------------------------------------------------------------------------

    def _timed(self, stage: str, started: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started
        self.meter.mark(stage)

    def read(self) -> "SelectionPipeline":
        """Read (or, for shards, list and check) the pool and read the target."""
        from ..io.shards import is_parquet_dataset, open_parquet_dataset
        from ..io.read import read_data

        started = time.perf_counter()
        source = self.pool_source
        shards = is_parquet_dataset(source) or (self.backend.name != "inprocess" and isinstance(source, (str, os.PathLike))
                                                and str(source).lower().endswith((".parquet", ".pq")))
        if shards:
            self.pool_data = open_parquet_dataset(source)
        elif self.backend.name != "inprocess":
            raise ValueError(f"--engine {self.backend.name} reads Parquet: {source} is not a Parquet file, folder or "
                             "glob; write the pool as Parquet shards, or use --engine inprocess.")
        else:
            self.pool_data = read_data(source, max_bytes=self.max_bytes, encoding=self.encoding, progress=self.progress)
        if self.target_from_pool is not None:
            from ..io.targets import split_pool

            if shards:
                raise ValueError(f"{self.pool_data.name}: a target made of pool rows needs one pool file, not a "
                                 "folder of shards; write the target rows to a file of their own.")
            self._rest, self.target_data = split_pool(self.pool_data, self.target_from_pool["rows"], k=self._k())
        else:
            self.target_data = read_data(self.target_source, max_bytes=self.max_bytes, encoding=self.encoding,
                                         progress=self.progress)
        self._timed("read", started)
        return self

    def vectors(self) -> "SelectionPipeline":
        """Choose and check the vectors of pool and target."""
        from ..io.shards import dataset_vectors, target_vectors
        from ..io.vectors import prepare_vectors
        from ..io.export import manifest_vectors_record, vectors_sha256

        started = time.perf_counter()
        k = self._k()
        pool = self.pool_data
        if isinstance(pool, ParquetDataset):
            if self.choice["text_column"] is not None:
                raise ValueError(f"{pool.name}: a folder of Parquet shards takes a vector column or numeric columns, "
                                 "not --text-column; embed the text first.")
            if self.drop_nonfinite:
                raise ValueError(f"{pool.name}: --drop-nonfinite is for single files; drop the rows with NaN/inf from "
                                 "the shards first.")
            spec = dataset_vectors(pool, columns=self.choice["columns"], vector_column=self.choice["vector_column"],
                                   id_column=self.id_column)
            target, _, target_bad = target_vectors(self.target_data, spec, pool_name=pool.name, k=k)
            matrix = spec.rows(pool) if self.backend.name == "inprocess" else None
            self.pool = PoolVectors(data=pool, matrix=matrix, vectors=spec, kept_rows=None, n_rows=pool.n_rows)
            self.target_matrix = target
            self.description = spec.description_for(self.target_data)
            self.dropped = (0, target_bad)
            self.vectors_record = {**spec.choice(), "source": spec.source, "description": self.description,
                                   "dimensions": spec.width, "pool_rows_used": pool.n_rows,
                                   "target_rows_used": int(target.shape[0]), "pool_nonfinite_rows": 0,
                                   "target_nonfinite_rows": int(target_bad), "pool_sha256": None,
                                   "target_sha256": vectors_sha256(target)}
        else:
            if self.id_column is not None and self.id_column not in pool.columns:
                raise DataError(f"{pool.name} has no column `{self.id_column}` (for the id column); its columns are "
                                f"{', '.join(pool.columns[:12])}.", code="column")
            choice = dict(self.choice)
            if self.id_column is not None and not any(choice[key] for key in ("columns", "vector_column",
                                                                              "text_column")):
                from ..io.vectors import _default_source

                source, default = _default_source(pool)
                if source == "columns" and self.id_column in default:
                    choice["columns"] = [column for column in default if column != self.id_column]
            prepared = prepare_vectors(pool if self._rest is None else self._rest, self.target_data, **choice,
                                       drop_nonfinite=self.drop_nonfinite, k=k, progress=self.progress)
            kept = self._kept_rows(prepared)
            self.pool = PoolVectors(data=pool, matrix=prepared.pool, vectors=None, kept_rows=kept,
                                    n_rows=int(prepared.pool.shape[0]))
            self.target_matrix = prepared.target
            self.description = prepared.description
            self.text_model = prepared.text_model
            self.dropped = (prepared.pool_nonfinite_rows, prepared.target_nonfinite_rows)
            from ..io.embeddings import describe_text_model

            self.vectors_record = manifest_vectors_record(prepared, text_model_detail=(
                describe_text_model(prepared.text_model) if prepared.text_model else None))
        self.backend.check_pool(self.pool)
        self._timed("vectors", started)
        return self

    def quantise(self) -> "SelectionPipeline":
        """K-means: the sample by global row number, trained here, every row assigned by the backend."""
        from .._validation import check_random_state
        from ..scale.quantize import (
            compact_quantization,
            draw_training_rows,
            nonfinite_message,
            quantize,
            raw_cluster_numbers,
            train_centroids,
        )

        self._rng = check_random_state(self.seed)
        n_clusters = self.params.get("n_clusters")
        if not n_clusters:
            return self
        started = time.perf_counter()
        pool = self.pool
        if int(n_clusters) > pool.n_rows:  # the engine's own words (GIOSelector says the same)
            raise ValueError(f"n_clusters={n_clusters} is larger than the {pool.n_rows} pool rows; use at most "
                             f"{pool.n_rows} clusters, or turn quantisation off.")
        faiss_seed, sample_rows = draw_training_rows(pool.n_rows, int(n_clusters), self._rng)
        if self.progress:
            self.progress("reading the K-means sample", 0, 1)
        training = self.backend.read_rows(pool, np.arange(pool.n_rows) if sample_rows is None else sample_rows)
        width = training.shape[1]
        if not np.isfinite(training).all():  # count them all, as an in-process run would, then stop
            counted = self.backend.assign(pool, np.zeros((1, width), dtype=np.float32))
            raise DataError(nonfinite_message("pool", counted.nonfinite_rows), code="nonfinite",
                            nonfinite_rows=counted.nonfinite_rows)
        if self.progress:
            self.progress("training K-means on the pool", 0, 1)
        sampled = time.perf_counter()
        centers = train_centroids(training, int(n_clusters), seed=faiss_seed)
        del training
        trained = time.perf_counter()
        # the target next (the seed's draws keep GIOSelector's order): the assign pass may need its points
        target_started = time.perf_counter()
        if self.target_matrix.shape[0] > int(n_clusters):
            self.target_quantization = quantize(self.target_matrix, int(n_clusters), random_state=self._rng,
                                                name="target", progress=self.progress)
        self._timed("quantize_target", target_started)
        assigning = time.perf_counter()
        self.assignment = self.backend.assign(pool, centers, target_points=self._distance_points(),
                                              progress=self.progress)
        if self.assignment.nonfinite_rows:
            raise DataError(nonfinite_message("pool", self.assignment.nonfinite_rows), code="nonfinite",
                            nonfinite_rows=self.assignment.nonfinite_rows)
        assigned = time.perf_counter()
        labels = self.assignment.labels if self.step_rows else None  # None too when the rows live elsewhere
        self.quantization = compact_quantization(centers, self.assignment.counts, labels, name="pool", seconds={
            "sample": sampled - started, "train": trained - sampled, "assign": assigned - assigning})
        self.raw_clusters = raw_cluster_numbers(self.assignment.counts)
        self.timings["quantize_pool"] = (self.timings.get("quantize_pool", 0.0) + time.perf_counter() - started
                                         - self.timings["quantize_target"])
        self.meter.mark("quantize_pool")
        return self

    def _distance_points(self):
        """The target points rows are ordered by within a partly taken cluster (``explode='target_share'`` with a
        data-size budget): the points GIO runs on (the target's centroids when quantised), as GIOSelector
        does with a precomputed quantisation; None when rows are not ordered by distance."""
        from ..gio.selector import GIOSelector

        params = GIOSelector(**self.params).get_params()
        if params["explode"] != "target_share" or params["stop_criterion"] != "data_size":
            return None
        if self.target_quantization is not None:
            return self.target_quantization.centers
        return np.asarray(self.target_matrix, dtype=np.float64)

    def select(self) -> "SelectionPipeline":
        """GIO (on the centroids when quantised), here; ``callback`` sees every step."""
        for step in self.iter_select():
            if self.callback is not None:
                self.callback(step)
        return self

    def iter_select(self, *, record_path: bool = False):
        """The select stage step by step: a generator of :class:`gio_core.GIOStep` (for a live view).

        Closing it early (a Stop button) keeps the picks so far, as :meth:`gio_core.GIOSelector.iter_fit`
        does; the later stages then explode and export those.

        Parameters
        ----------
        record_path : bool, default=False
            Attach each step's gradient-descent path.

        Yields
        ------
        GIOStep
        """
        from ..gio.selector import GIOSelector

        started = time.perf_counter()
        init = np.zeros((0, self.target_matrix.shape[1])) if self.start == "empty" else None
        try:
            if self.quantization is not None:
                self.selector = GIOSelector(**self.params, random_state=self._rng)
                target = self.target_quantization if self.target_quantization is not None else self.target_matrix
                # the budget is shared by target rows, as GIOSelector(n_clusters=...) does
                yield from self.selector.iter_fit(self.quantization, target, init, record_path=record_path,
                                                  target_rows=self.target_matrix)
            else:
                self.selector = GIOSelector(**self.params, random_state=self.seed)
                yield from self.selector.iter_fit(self.pool.matrix, self.target_matrix, init, record_path=record_path,
                                                  progress=self.progress)
        finally:
            self._timed("gio", started)

    def explode(self) -> "SelectionPipeline":
        """The chosen clusters to pool rows (by the backend), or the picked rows themselves."""
        from .backends import Selection
        from ..scale.explode import distinct_in_order

        started = time.perf_counter()
        result = self.selector.result_
        if self.quantization is None:
            self.selection = Selection(rows=self.pool.file_rows(result.selected_indices), clusters=None)
        else:
            picks = distinct_in_order(result.selected_candidates)
            self.selection = self.backend.explode(self.pool, self.assignment, raw_clusters=self.raw_clusters[picks],
                                                  compact=picks, quotas=result.row_quotas, seed=result.explode_seed,
                                                  target_points=self._distance_points())
        self._timed("explode", started)
        return self

    def export(self, out) -> "SelectionPipeline":
        """Write the selection: to a temporary name beside ``out``, renamed into place when complete.

        ``out`` ending in ``.csv``, ``.csv.gz``, ``.tsv`` or ``.parquet`` (a folder of part files with
        the Spark backend), or ``'-'`` for CSV on stdout (in process).
        """
        started = time.perf_counter()
        if out == "-" or hasattr(out, "write"):
            if self.backend.name != "inprocess":
                raise ValueError(f"--engine {self.backend.name} writes a folder of part files; give --out a path.")
            stream = sys.stdout.buffer if out == "-" else out
            self.n_written = self.backend.export(self.pool, self.selection, stream, progress=self.progress)
            if out == "-":
                sys.stdout.flush()
        else:
            from ..io.export import write_atomically

            self.n_written = write_atomically(out, lambda path: self.backend.export(
                self.pool, self.selection, path, progress=self.progress))
        self._timed("export", started)
        return self

    def manifest(self, *, out=None, extra: dict | None = None) -> dict:
        """The run manifest (see :func:`gio_core.export.build_manifest`)."""
        from ..io.export import EXPORT_COLUMNS, build_manifest, selection_sha256

        started = time.perf_counter()
        params = {name: value for name, value in self.selector.get_params().items() if name != "random_state"}
        params.update(start=self.start, drop_nonfinite=self.drop_nonfinite, encoding=self.encoding,
                      max_bytes=self.max_bytes, id_column=self.id_column)
        timings = dict(self.timings)
        timings["select"] = sum(timings.get(stage, 0.0) for stage in ("quantize_pool", "quantize_target", "gio",
                                                                       "explode"))
        if self.quantization is not None:
            for part, value in self.quantization.seconds.items():
                timings[f"quantize_pool_{part}"] = float(value)
        timings["manifest"] = time.perf_counter() - started
        timings["total"] = time.perf_counter() - self.meter.started
        self.meter.mark("manifest")
        manifest = build_manifest(params=params, seed=self.seed, inputs={"pool": self.pool_data,
                                                                         "target": self.target_data},
                                  result=self.selector, timings=timings, vectors=self._vectors_record(),
                                  selected_rows=self.selection.rows)
        if self.target_from_pool is not None:
            manifest["target_from_pool"] = {"pool": self.pool_data.name, "pool_sha256": self.pool_data.sha256,
                                            **self.target_from_pool}
        manifest["engine"] = {"name": self.backend.name, **getattr(self.backend, "describe", lambda: {})()}
        manifest["resources"] = self.meter.record()
        columns = self.output_columns()
        manifest["selection"] = {"out": None if out is None else str(out), "rows": int(self.n_written),
                                 "columns": columns, "file_rows_sha256": selection_sha256(self.selection.rows),
                                 "added_columns": [column for column in EXPORT_COLUMNS if column in columns]}
        if extra:
            manifest.update(extra)
        return manifest

    # -- helpers -----------------------------------------------------------------------------------

    def output_columns(self) -> list[str]:
        """The exported columns: the pool's (vector dimensions ``dim_i`` for an array) then the gio_* ones."""
        from ..io.export import EXPORT_COLUMNS

        data = self.pool_data
        columns = [column for column in data.columns if column not in EXPORT_COLUMNS]
        if isinstance(data, LoadedData) and data.array is not None:
            columns += [f"dim_{i}" for i in range(data.array.shape[1])]
        added = ["gio_rank", "gio_row"] + (["gio_cluster"] if self.quantization is not None else [])
        return columns + added

    def _vectors_record(self) -> dict:
        """The manifest's ``vectors``: recorded by :meth:`vectors`, or made now from :meth:`from_prepared`'s vectors."""
        if not self.vectors_record and self._prepared is not None:
            from ..io.embeddings import describe_text_model
            from ..io.export import manifest_vectors_record

            prepared = self._prepared
            self.vectors_record = manifest_vectors_record(prepared, text_model_detail=(
                describe_text_model(prepared.text_model) if prepared.text_model else None))
        return self.vectors_record

    def _kept_rows(self, prepared) -> NDArray[np.int64] | None:
        """File row of each vector row: rows with NaN/inf dropped, the target's rows taken out; None when the
        vectors are the file's rows one for one."""
        if self.target_from_pool is None:
            return None if prepared.pool_nonfinite_rows == 0 else prepared.pool_rows
        rest = np.setdiff1d(np.arange(self.pool_data.n_rows, dtype=np.int64),
                            np.asarray(self.target_from_pool["rows"], dtype=np.int64))
        return rest[prepared.pool_rows]

    def _k(self) -> int:
        from ..gio.selector import GIOSelector

        return int(GIOSelector(**self.params).get_params()["k"])

    @property
    def n_selected(self) -> int:
        return 0 if self.selection is None else int(self.selection.rows.size)

    @property
    def selected_vector_rows(self) -> NDArray[np.int64]:
        """The selection as rows of the pool's vectors (``pool.matrix``), in pick order (after :meth:`explode`)."""
        if self.selection is None:
            return np.empty(0, dtype=np.int64)
        return self.pool.vector_rows(self.selection.rows)

    @property
    def cluster_labels(self) -> NDArray[np.int64] | None:
        """Each vector row's cluster (an index into the centroids GIO ran on), with ``step_rows``; else None."""
        return None if self.quantization is None else self.quantization.labels

    def run(self, out, *, manifest_out=None) -> dict:
        """Every stage; writes ``out`` and (when given) the manifest; returns the manifest."""
        from ..io.export import write_manifest

        try:
            self.read().vectors().quantise().select().explode().export(out)
            manifest = self.manifest(out=out)
            if manifest_out is not None:
                write_manifest(manifest, manifest_out)
            return manifest
        finally:
            self.close()

    def close(self) -> None:
        """Release the backend (a Spark session this pipeline started)."""
        self.backend.close()


def run_selection(pool, target, out, *, manifest_out=None, **options) -> dict:
    """Run the whole pipeline: :class:`SelectionPipeline` ``(pool, target, **options).run(out)``.

    Returns
    -------
    dict
        The manifest (also written to ``manifest_out`` when given).
    """
    return SelectionPipeline(pool, target, **options).run(out, manifest_out=manifest_out)
