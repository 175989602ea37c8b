"""The Spark backend: the row-level stages on Spark executors, the rest on the driver.

Per stage (the pool is a :class:`gio_core.io.ParquetDataset`; rows are numbered ``gio_row`` from the
shards' footers, the same numbering the in-process backend uses):

- **sample**: one pass over the vector column keeps the rows :func:`gio_core.scale.quantize.draw_training_rows`
  named and collects them to the driver, where faiss trains K-means (Spark MLlib's KMeans was measured
  at 187 s for 200k x 384, K = 256, against under a second for faiss on a sample).
- **assign**: a second pass, ``mapInArrow`` with a faiss flat index over the broadcast centroids per
  batch, gives ``(gio_row, cluster)``; persisted (12 bytes a row) and counted with ``groupBy``.
- **explode**: the rows of the chosen clusters, each with :func:`gio_core.scale.explode.row_priority` computed
  by the same NumPy function, a window per cluster ordered by priority keeping ``row_number() <= quota``
  (or every row, ordered by ``gio_row``); ``gio_rank`` is the cluster's offset plus the row number. A data-size
  budget filled by the target's rows taking turns (:mod:`gio_core.scale.turns`): each batch gives every
  target row its nearest rows of the chosen clusters (:func:`gio_core.scale.turns.nearest_in_batch`), a window
  per target row keeps the nearest overall, and the driver takes the turns on those lists.
- **export**: a pass over every column keeps the selected rows (a broadcast bitmap of ``gio_row``),
  joins their ranks and writes part files ordered by ``gio_rank``; the driver writes the manifest.

pyspark is imported only in this module; ``gio_core`` must be importable on the executors (installed
there, or shipped with ``--py-files``).
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import numpy as np
from numpy.typing import NDArray

from .base import Assignment, Backend, BackendUnavailable, Selection

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["SparkBackend", "spark_available"]

# Errors raised on an executor reach the driver inside a long Java/Python traceback; the marker lets
# the driver pull our one-line message back out.
_MARK = "[gio-studio] "
_MESSAGE = re.compile(re.escape(_MARK) + r"(.+?)(?:\n|$)")


def _quiet(method):
    """Run a stage without pyspark's warning, on every call, that it does not fully support pandas 3."""
    import functools
    import warnings

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*pandas.*", category=FutureWarning)
            return method(*args, **kwargs)

    return wrapper


def spark_available() -> str | None:
    """None when pyspark and Java are present; else the one-line message saying what to install."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "engine='spark' needs pyspark: pip install 'gio-studio[spark]' (and Java 17 or later)."
    java_home = os.environ.get("JAVA_HOME")
    if not (shutil.which("java") or (java_home and Path(java_home, "bin", "java").exists())):
        return (
            "engine='spark' needs Java 17 or later: install it (apt-get install openjdk-17-jre-headless) or set "
            "JAVA_HOME."
        )
    return None


def canonical_path(path: str) -> str:
    """One spelling of a shard's location for the driver's listing and Spark's ``_metadata.file_path``."""
    parsed = urlparse(str(path))
    if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:  # a local path (or a Windows drive letter)
        local = unquote(parsed.path) if parsed.scheme == "file" else str(path)
        return posixpath.normpath(os.path.abspath(local))
    return f"{parsed.scheme}://{parsed.netloc}{posixpath.normpath(unquote(parsed.path))}"


def _global_rows(batch, offsets: dict) -> NDArray[np.int64]:
    files = batch.column("_gio_file").to_pylist()
    index = batch.column("_gio_index").to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.empty(len(files), dtype=np.int64)
    for position, name in enumerate(files):
        if position and name == files[position - 1]:
            starts[position] = starts[position - 1]
            continue
        key = canonical_path(name)
        if key not in offsets:
            raise ValueError(
                f"{_MARK}Spark read {name}, which is not among the pool's listed shards; list the pool "
                "again (did it change while the job ran?)."
            )
        starts[position] = offsets[key]
    return starts + index


def _vectors(batch, vectors: dict):
    from ...io.largefiles import RaggedVectorsError, arrow_vectors, ragged_message

    try:
        return arrow_vectors(
            batch, vectors["width"], vector_column=vectors["vector_column"], columns=vectors["columns"]
        )
    except RaggedVectorsError as error:  # name the shard and its row, as the in-process reader does
        shard = posixpath.basename(canonical_path(batch.column("_gio_file")[error.position].as_py()))
        row = int(batch.column("_gio_index")[error.position].as_py())
        raise ValueError(
            _MARK + ragged_message(shard, vectors["vector_column"], vectors["width"], row, error.length)
        ) from None


def _sample_batches(batches, *, offsets, sample_rows, vectors):
    import pyarrow as pa

    for batch in batches:
        rows = _global_rows(batch, offsets)
        position = np.searchsorted(sample_rows, rows)
        keep = (position < sample_rows.size) & (sample_rows[np.minimum(position, sample_rows.size - 1)] == rows)
        if not keep.any():
            continue
        kept = batch.filter(pa.array(keep))
        matrix = _vectors(kept, vectors)
        values = pa.array(matrix.reshape(-1), type=pa.float32())
        offsets_array = pa.array(np.arange(0, matrix.size + 1, vectors["width"], dtype=np.int32))
        yield pa.RecordBatch.from_arrays(
            [pa.array(rows[keep]), pa.ListArray.from_arrays(offsets_array, values)], names=["gio_row", "vector"]
        )


def _assign_batches(batches, *, offsets, centers, vectors, target_points):
    import pyarrow as pa

    from ...scale.assign import assign_rows, centroid_index, nearest_distances

    index = centroid_index(centers)
    target = None if target_points is None else centroid_index(target_points)
    for batch in batches:
        rows = _global_rows(batch, offsets)
        matrix = _vectors(batch, vectors)
        labels = assign_rows(index, matrix)
        distances = np.zeros(len(rows)) if target is None else nearest_distances(target, matrix)
        yield pa.RecordBatch.from_arrays(
            [pa.array(rows), pa.array(labels.astype(np.int32)), pa.array(distances)],
            names=["gio_row", "gio_raw_cluster", "gio_distance"],
        )


def _priority_batches(batches, *, seed):
    import pyarrow as pa

    from ...scale.explode import row_priority

    for batch in batches:
        rows = batch.column("gio_row").to_numpy(zero_copy_only=False)
        # uint64 -> int64 keeping the order: flip the top bit
        signed = (row_priority(rows, seed) ^ np.uint64(1 << 63)).view(np.int64)
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array(signed)], names=[*batch.schema.names, "gio_priority"]
        )


def _nearest_batches(batches, *, offsets, vectors, candidates, target, depth, seed):
    """Each target row's ``depth`` nearest candidate rows of each batch, as (target, row, distance, priority)."""
    import pyarrow as pa

    from ...scale.turns import nearest_in_batch

    candidates = candidates.value  # a broadcast of the sorted candidate rows
    for batch in batches:
        rows = _global_rows(batch, offsets)
        at = np.minimum(np.searchsorted(candidates, rows), candidates.size - 1)
        keep = candidates[at] == rows
        if not keep.any():
            continue
        lists = nearest_in_batch(target, rows[keep], _vectors(batch.filter(pa.array(keep)), vectors), depth, seed)
        owner = np.repeat(np.arange(lists.rows.shape[0], dtype=np.int32), lists.depth)
        # uint64 -> int64 keeping the order: flip the top bit
        signed = (lists.priority.ravel() ^ np.uint64(1 << 63)).view(np.int64)
        yield pa.RecordBatch.from_arrays(
            [pa.array(owner), pa.array(lists.rows.ravel()), pa.array(lists.squared.ravel()), pa.array(signed)],
            names=["gio_target", "gio_row", "gio_squared", "gio_priority"],
        )


def _filter_batches(batches, *, offsets, bitmap, keep_columns):
    import pyarrow as pa

    for batch in batches:
        rows = _global_rows(batch, offsets)
        keep = (bitmap.value[rows >> 3] >> (rows & 7).astype(np.uint8)) & 1
        if not keep.any():
            continue
        kept = batch.filter(pa.array(keep.astype(bool)))
        columns = [kept.column(name) for name in keep_columns]
        yield pa.RecordBatch.from_arrays(
            [*columns, pa.array(rows[keep.astype(bool)])], names=[*keep_columns, "gio_row"]
        )


def _csv_batches(batches, *, names):
    import pyarrow as pa

    from ...io.export import csv_text_table

    for batch in batches:
        text = csv_text_table(pa.Table.from_batches([batch]))
        yield pa.RecordBatch.from_arrays([column.combine_chunks() for column in text.columns], names=names)


def _lists_from_table(table, n_target: int, depth: int):
    """The merged lists from the rows Spark kept (each target row's nearest, numbered 1 … depth)."""
    from ...scale.turns import NearestLists

    owner = table.column("gio_target").to_numpy().astype(np.int64)
    slot = table.column("gio_number").to_numpy().astype(np.int64) - 1
    rows = np.full((n_target, depth), -1, dtype=np.int64)
    squared = np.full((n_target, depth), np.inf)
    priority = np.full((n_target, depth), np.iinfo(np.uint64).max, dtype=np.uint64)
    rows[owner, slot] = table.column("gio_row").to_numpy()
    squared[owner, slot] = table.column("gio_squared").to_numpy()
    priority[owner, slot] = table.column("gio_priority").to_numpy().view(np.uint64) ^ np.uint64(1 << 63)
    return NearestLists(rows, squared, priority)


class SparkBackend(Backend):
    """The row-level stages on Spark.

    Parameters
    ----------
    master : str, optional
        ``local[2]``, ``spark://host:7077``, ``yarn``, ...; None takes the session ``spark-submit``
        configured (or an active one).
    conf : dict, optional
        Spark settings (``spark.executor.memory`` ...).
    session : pyspark.sql.SparkSession, optional
        Use this session (it is then never stopped here).

    Raises
    ------
    BackendUnavailable
        pyspark or Java is missing.
    """

    name = "spark"

    def __init__(self, *, master: str | None = None, conf: dict | None = None, session=None):
        problem = spark_available() if session is None else None
        if problem:
            raise BackendUnavailable(problem)
        self.master = master
        self.conf = dict(conf or {})
        self._session = session
        self._owns_session = False
        self._assigned: DataFrame | None = None  # the pool's rows with their clusters, once assigned
        self._cached: list[DataFrame] = []

    # -- the session -------------------------------------------------------------------------------

    @property
    def session(self):
        if self._session is None:
            import warnings

            from pyspark.sql import SparkSession

            local = self.master.startswith("local") if self.master else "PYSPARK_GATEWAY_PORT" not in os.environ
            if local:  # executors are this machine's Python workers: use this interpreter, where gio_core is
                os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            existing = SparkSession.getActiveSession()
            builder = SparkSession.builder.appName("gio-studio")
            if self.master:
                builder = builder.master(self.master)
            # Spark's console progress bars would interleave with ours on stderr
            for key, value in {"spark.ui.showConsoleProgress": "false", **self.conf}.items():
                builder = builder.config(key, value)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*pandas.*", category=FutureWarning)
                self._session = builder.getOrCreate()
            self._owns_session = existing is None
            self._session.sparkContext.setLogLevel("ERROR")
        return self._session

    def describe(self) -> dict:
        """Where the run went, for the manifest."""
        if self._session is None:
            return {"master": self.master}
        context = self._session.sparkContext
        return {
            "master": context.master,
            "spark_version": self._session.version,
            "default_parallelism": int(context.defaultParallelism),
        }

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached = []
        if self._owns_session and self._session is not None:
            self._session.stop()
            self._session = None

    def _run(self, action):
        """Run a Spark action; an error raised by our code on an executor comes back as its one line."""
        import warnings

        from ...io.errors import DataError

        try:
            with warnings.catch_warnings():  # pyspark warns on every call that it does not fully support pandas 3
                warnings.filterwarnings("ignore", message=".*pandas.*", category=FutureWarning)
                return action()
        except Exception as error:
            found = _MESSAGE.search(str(error))
            if found:
                raise DataError(
                    found.group(1).strip(), code="ragged" if "different lengths" in found.group(1) else "invalid"
                ) from None
            raise

    # -- the stages --------------------------------------------------------------------------------

    def check_pool(self, pool) -> None:
        from ...io.shards import ParquetDataset

        if not isinstance(pool.data, ParquetDataset):
            raise ValueError(
                f"engine='spark' reads Parquet: {pool.data.name} is {pool.data.format}; write it as "
                "Parquet (a file, a folder or a glob of shards), or use engine='inprocess'."
            )
        if pool.vectors is None:
            raise ValueError(
                "engine='spark' takes a vector column or numeric columns, not text; embed the text first "
                "(engine='inprocess' with text_column=...)."
            )

    def _frame(self, pool, columns):
        from pyspark.sql import functions as F

        frame = self.session.read.parquet(*[self._location(path) for path in pool.data.files])
        return frame.select(
            *[F.col(f"`{name}`") for name in columns],
            F.col("_metadata.file_path").alias("_gio_file"),
            F.col("_metadata.row_index").alias("_gio_index"),
        )

    @staticmethod
    def _location(path: str) -> str:
        return path if urlparse(path).scheme not in ("",) and len(urlparse(path).scheme) > 1 else os.path.abspath(path)

    def _offsets(self, pool) -> dict:
        return {
            canonical_path(self._location(path)): int(offset)
            for path, offset in zip(pool.data.files, pool.data.offsets)
        }

    def _vector_spec(self, pool) -> dict:
        spec = pool.vectors
        return {"width": spec.width, "vector_column": spec.vector_column, "columns": list(spec.columns) or None}

    def _vector_columns(self, pool) -> list[str]:
        return [pool.vectors.vector_column] if pool.vectors.vector_column else list(pool.vectors.columns)

    @_quiet
    def read_rows(self, pool, rows: NDArray[np.int64] | None) -> NDArray[np.float32]:
        from functools import partial

        rows = np.arange(pool.n_rows, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        sampler = partial(
            _sample_batches, offsets=self._offsets(pool), sample_rows=rows, vectors=self._vector_spec(pool)
        )
        frame = self._frame(pool, self._vector_columns(pool)).mapInArrow(sampler, "gio_row long, vector array<float>")
        table = self._run(frame.toArrow)
        order = np.argsort(table.column("gio_row").to_numpy(), kind="stable")
        got = table.column("gio_row").to_numpy()[order]
        if not np.array_equal(got, rows):
            raise ValueError(
                f"Spark returned {got.size} of the {rows.size} sampled rows of {pool.data.name}; the shards "
                "changed while the job ran, or Spark cannot read every shard."
            )
        values = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        return np.ascontiguousarray(values.reshape(-1, pool.vectors.width)[order], dtype=np.float32)

    @_quiet
    def assign(self, pool, centers, *, target_points=None, progress=None) -> Assignment:
        from functools import partial

        from pyspark import StorageLevel

        # the explode stage orders rows by their distance to the target; the vectors are read only here
        assigner = partial(
            _assign_batches,
            offsets=self._offsets(pool),
            centers=np.ascontiguousarray(centers, dtype=np.float32),
            vectors=self._vector_spec(pool),
            target_points=None if target_points is None else np.ascontiguousarray(target_points, dtype=np.float32),
        )
        assigned = (
            self._frame(pool, self._vector_columns(pool))
            .mapInArrow(assigner, "gio_row long, gio_raw_cluster int, gio_distance double")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        self._cached.append(assigned)
        if progress:
            progress("assigning pool rows to clusters (Spark)", 0, 1)
        counted = self._run(lambda: assigned.groupBy("gio_raw_cluster").count().collect())
        if progress:
            progress("assigning pool rows to clusters (Spark)", 1, 1)
        counts = np.zeros(centers.shape[0], dtype=np.int64)
        nonfinite = 0
        for row in counted:
            if row["gio_raw_cluster"] < 0:
                nonfinite = int(row["count"])
            else:
                counts[row["gio_raw_cluster"]] = int(row["count"])
        self._assigned = assigned
        return Assignment(counts=counts, labels=None, nonfinite_rows=nonfinite)

    @_quiet
    def explode(self, pool, quantised, picks, *, quotas, seed) -> Selection:
        from functools import partial

        import pandas as pd
        from pyspark import StorageLevel
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        assignment, target_points = quantised.assignment, quantised.target_points
        if quotas is not None and target_points is not None and quantised.fills_by_turns:
            by_turns = self._explode_by_turns(
                pool,
                quantised,
                picks,
                amount=int(np.sum(quotas)),
                seed=seed,
                quotas=np.asarray(quotas, dtype=np.int64) if quantised.turns_keep_quotas else None,
            )
            if by_turns is not None:
                return by_turns
        compact = np.asarray(picks, dtype=np.int64)
        raw_clusters = quantised.raw_clusters[compact]
        taken = assignment.counts[raw_clusters] if quotas is None else np.asarray(quotas, dtype=np.int64)
        chosen = pd.DataFrame(
            {
                "gio_raw_cluster": raw_clusters.astype(np.int32),
                "gio_quota": taken.astype(np.int64),
                "gio_rank_offset": (np.cumsum(taken) - taken).astype(np.int64),
                "gio_cluster": np.asarray(compact, dtype=np.int64),
                # a cluster giving only part of its rows orders them by distance to the target first
                "gio_partial": (taken < assignment.counts[raw_clusters]) & (target_points is not None),
            }
        )
        chosen_schema = (
            "gio_raw_cluster int, gio_quota long, gio_rank_offset long, gio_cluster long, gio_partial boolean"
        )
        chosen_frame = self._run(
            lambda: self.session.createDataFrame(
                [(int(a), int(b), int(c), int(d), bool(e)) for a, b, c, d, e in chosen.itertuples(index=False)],
                chosen_schema,
            )
        )
        assert self._assigned is not None, "assign() runs before explode()"
        members = self._assigned.join(F.broadcast(chosen_frame), "gio_raw_cluster")
        if quotas is not None:
            schema = (
                "gio_raw_cluster int, gio_row long, gio_quota long, gio_rank_offset long, gio_cluster long, "
                "gio_key double, gio_priority long"
            )
            members = members.select(
                "gio_raw_cluster",
                "gio_row",
                "gio_quota",
                "gio_rank_offset",
                "gio_cluster",
                F.when(F.col("gio_partial"), F.col("gio_distance")).otherwise(F.lit(0.0)).alias("gio_key"),
            ).mapInArrow(partial(_priority_batches, seed=int(seed)), schema)
            order = [F.col("gio_key"), F.col("gio_priority")]
        else:
            order = [F.col("gio_row")]
        numbered = members.withColumn(
            "gio_number", F.row_number().over(Window.partitionBy("gio_raw_cluster").orderBy(*order))
        )
        selected = (
            numbered.where(F.col("gio_number") <= F.col("gio_quota"))
            .select("gio_row", (F.col("gio_rank_offset") + F.col("gio_number")).alias("gio_rank"), "gio_cluster")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        self._cached.append(selected)
        table = self._run(selected.toArrow)
        ranks = table.column("gio_rank").to_numpy()
        order_by_rank = np.argsort(ranks, kind="stable")
        if not np.array_equal(ranks[order_by_rank], np.arange(1, ranks.size + 1)):
            raise RuntimeError("the Spark explosion gave ranks that are not 1 … n; please report this.")
        return Selection(
            rows=table.column("gio_row").to_numpy()[order_by_rank].astype(np.int64),
            clusters=table.column("gio_cluster").to_numpy()[order_by_rank].astype(np.int64),
            handle=selected,
        )

    def _explode_by_turns(self, pool, quantised, picks, *, amount: int, seed: int, quotas=None) -> Selection | None:
        """The budget filled by the target's rows taking turns at the chosen clusters' rows (None: past the
        turns' size limit, or every row is taken; the caller's quotas then apply). With ``quotas`` (one per
        distinct chosen cluster, ``explode='share_turns'``) no cluster gives more than its quota and what the
        turns leave of it is filled nearest the target (:func:`gio_core.scale.explode.fill_quotas`)."""
        from functools import partial

        import pandas as pd
        from pyspark import StorageLevel
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        from ...scale.explode import distinct_in_order, fill_quotas
        from ...scale.turns import NearestLists, Rooms, turns_in_batches

        clusters = distinct_in_order(np.asarray(picks, dtype=np.int64))
        raw = quantised.raw_clusters[clusters]
        chosen_frame = self._run(
            lambda: self.session.createDataFrame(
                pd.DataFrame({"gio_raw_cluster": raw.astype(np.int32), "gio_cluster": clusters.astype(np.int64)})
            )
        )
        assert self._assigned is not None, "assign() runs before explode()"
        members = self._run(
            lambda: (
                self._assigned.join(F.broadcast(chosen_frame), "gio_raw_cluster")
                .select("gio_row", "gio_cluster", *(["gio_distance"] if quotas is not None else []))
                .toArrow()
            )
        )
        member_rows = members.column("gio_row").to_numpy().astype(np.int64)
        by_row = np.argsort(member_rows, kind="stable")
        candidates = member_rows[by_row]
        cluster_of = members.column("gio_cluster").to_numpy().astype(np.int64)[by_row]
        if amount >= candidates.size:
            return None
        target = np.ascontiguousarray(quantised.target_points, dtype=np.float32)
        shared = self.session.sparkContext.broadcast(candidates)

        def lists_of(depth: int) -> NearestLists:
            searcher = partial(
                _nearest_batches,
                offsets=self._offsets(pool),
                vectors=self._vector_spec(pool),
                candidates=shared,
                target=target,
                depth=depth,
                seed=int(seed),
            )
            nearest = (
                self._frame(pool, self._vector_columns(pool))
                .mapInArrow(searcher, "gio_target int, gio_row long, gio_squared double, gio_priority long")
                .withColumn(
                    "gio_number",
                    F.row_number().over(
                        Window.partitionBy("gio_target").orderBy("gio_squared", "gio_priority", "gio_row")
                    ),
                )
                .where(F.col("gio_number") <= depth)
            )
            table = self._run(nearest.toArrow)
            return _lists_from_table(table, target.shape[0], depth)

        position_of_cluster = np.empty(int(clusters.max()) + 1, dtype=np.int64)
        position_of_cluster[clusters] = np.arange(clusters.size)
        rooms = None if quotas is None else Rooms(candidates, position_of_cluster[cluster_of], quotas)
        taken = turns_in_batches(
            None, target, amount, int(seed), n_candidates=candidates.size, lists_of=lists_of, rooms=rooms
        )
        shared.unpersist()
        if taken is None:
            return None
        if rooms is not None:
            distance = members.column("gio_distance").to_numpy().astype(np.float64)[by_row]
            by_cluster = np.argsort(rooms.group, kind="stable")
            bounds = np.cumsum(np.bincount(rooms.group, minlength=clusters.size))[:-1]
            taken = fill_quotas(
                np.split(candidates[by_cluster], bounds),
                quotas,
                taken,
                int(seed),
                lambda rows: distance[np.searchsorted(candidates, rows)],
            )
        taken_clusters = cluster_of[np.searchsorted(candidates, taken)]
        # grouped by cluster in first-pick order, each cluster's rows in the order taken
        order = np.lexsort((np.arange(taken.size), position_of_cluster[taken_clusters]))
        rows, row_clusters = taken[order], taken_clusters[order]
        selected = self._run(
            lambda: self.session.createDataFrame(
                pd.DataFrame(
                    {
                        "gio_row": rows,
                        "gio_rank": np.arange(1, rows.size + 1, dtype=np.int64),
                        "gio_cluster": row_clusters,
                    }
                )
            ).persist(StorageLevel.MEMORY_AND_DISK)
        )
        self._cached.append(selected)
        return Selection(rows=rows, clusters=row_clusters, handle=selected)

    @_quiet
    def export(self, pool, selection: Selection, out, *, progress=None) -> int:
        from functools import partial

        from pyspark.sql import functions as F
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        from ...io.export import EXPORT_COLUMNS, _output_kind

        rows = selection.rows
        bitmap = np.zeros((pool.data.n_rows + 7) // 8, dtype=np.uint8)
        np.bitwise_or.at(bitmap, rows >> 3, (1 << (rows & 7)).astype(np.uint8))
        shared = self.session.sparkContext.broadcast(bitmap)
        names = [name for name in pool.data.columns if name not in EXPORT_COLUMNS]
        full = self._frame(pool, pool.data.columns)
        fields = [field for field in full.schema.fields if field.name in names]
        filtered = full.mapInArrow(
            partial(_filter_batches, offsets=self._offsets(pool), bitmap=shared, keep_columns=names),
            StructType([*fields, StructField("gio_row", LongType(), False)]),
        )
        joined = (
            filtered.join(selection.handle, "gio_row")
            .select(*[F.col(f"`{name}`") for name in names], "gio_rank", "gio_row", "gio_cluster")
            .orderBy("gio_rank")
        )
        kind = _output_kind(out)
        writer_frame = joined
        if kind != "parquet":
            all_names = [*names, "gio_rank", "gio_row", "gio_cluster"]
            writer_frame = joined.mapInArrow(
                partial(_csv_batches, names=all_names),
                StructType([StructField(name, StringType()) for name in all_names]),
            )
        writer = writer_frame.write.mode("overwrite")
        if progress:
            progress("writing the selection (Spark)", 0, 1)
        if kind == "parquet":
            self._run(lambda: writer.parquet(out))
        else:
            options = {
                "header": "true",
                "quote": '"',
                "escape": '"',
                "emptyValue": "",
                "nullValue": "",
                "sep": "\t" if kind == "tsv" else ",",
            }
            if kind == "csv.gz":
                options["compression"] = "gzip"
            self._run(lambda: writer.options(**options).csv(out))
        shared.unpersist()
        if progress:
            progress("writing the selection (Spark)", 1, 1)
        return int(rows.size)
