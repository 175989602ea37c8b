"""Writing a selection: the chosen pool rows as CSV or Parquet.

The exported table holds the selected pool rows with all their original columns, followed by

``gio_rank``
    Pick order, 1 … n (rows of one cluster share their cluster's pick and follow each other).
``gio_row``
    The row's position in the pool file (0-based), to join the selection back to the file.
``gio_cluster``
    The row's K-means cluster, only when the run was quantised.

Columns of an input that already carry these names (an exported selection used as a pool) are replaced. CSV
is written by Arrow's CSV writer (``pyarrow.csv``), batch by batch on worker threads: floats in their shortest
round-tripping form (a float32 value reads back bit-identical), text cells quoted, missing values empty. Text
cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return)
are prefixed with ``'`` (OWASP's advice on CSV injection); numbers are not text and are left alone; Parquet
keeps the text as it is. A vector cell read from Parquet or JSON Lines is written to CSV as ``"[0.1, -0.5]"``,
the form the reader takes back. Files are written whole or not at all (:mod:`gio_core.io.atomic`).
"""

from __future__ import annotations

import collections
import csv
import functools
import gzip
import io
import json
import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .atomic import write_atomically
from .largefiles import take_rows
from .tables import LoadedData

__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_PREFIXES",
    "csv_text_table",
    "escape_formula",
    "selection_csv_bytes",
    "selection_frame",
    "shard_selection_table",
    "write_selection",
    "write_selection_rows",
    "write_selection_table",
]

#: Selected rows per Parquet row group when :func:`write_selection_rows` streams a large selection.
EXPORT_CHUNK_ROWS = 65_536
#: Selected rows per batch of CSV text (a 384-d batch is ~70 MB of text; a few are in flight at once).
CSV_CHUNK_ROWS = 16_384
#: Threads that read and format batches while the main thread writes (the Arrow CSV writer is single-threaded).
EXPORT_THREADS = max(1, min(4, os.cpu_count() or 1))
#: Columns the export adds after the pool's own (``gio_cluster`` only when quantised).
EXPORT_COLUMNS: tuple[str, ...] = ("gio_rank", "gio_row", "gio_cluster")
#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def jsonable(value):
    """``value`` with NumPy scalars and arrays, paths and non-finite floats made JSON-ready (``nan``, ``inf`` as text)."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return [jsonable(item) for item in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return number
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.random.Generator):
        return None
    return value


def selection_frame(
    data: LoadedData, selected_indices: ArrayLike, *, cluster_labels: ArrayLike | None = None
) -> pd.DataFrame:
    """The selected pool rows with all their original columns, plus ``gio_rank``, ``gio_row`` and
    ``gio_cluster`` (when quantised).

    Parameters
    ----------
    data : LoadedData
        The pool as read.
    selected_indices : array-like of int
        Pool rows in pick order, as row numbers of the file. When rows with NaN/inf were dropped
        before the run, map the selector's indices first: ``prepared.pool_rows[selector.selected_indices_]``.
    cluster_labels : array-like of int, optional
        Clusters when the run was quantised: one label per row of the pool file, or one per selected
        row in the order of ``selected_indices`` (``selector.cluster_labels_[selector.selected_indices_]``,
        which is what to pass when rows were dropped).

    Returns
    -------
    pandas.DataFrame
        For ``.npy``/``.npz`` input the vector dimensions appear as columns ``dim_0`` … ``dim_{d-1}``
        after any side columns the ``.npz`` carried.

    Raises
    ------
    ValueError
        An index is outside the pool, or the labels do not match.

    Examples
    --------
    >>> from gio_core.io import read_data
    >>> pool = read_data(b"id,x\\n7,0.5\\n8,1.5\\n9,2.5\\n", name="pool.csv")
    >>> selection_frame(pool, [2, 0]).to_dict("list")
    {'id': [9, 7], 'x': [2.5, 0.5], 'gio_rank': [1, 2], 'gio_row': [2, 0]}
    """
    indices = _checked_indices(data, selected_indices)
    frame = data.frame.iloc[indices]
    if data.array is not None:
        vectors = take_rows(data.array, indices, dtype=data.array.dtype)
        dims = pd.DataFrame(vectors, columns=[f"dim_{i}" for i in range(vectors.shape[1])])
        frame = pd.concat([frame.reset_index(drop=True), dims], axis=1)
    frame = frame.reset_index(drop=True)
    frame = frame.drop(columns=[column for column in EXPORT_COLUMNS if column in frame.columns])
    frame["gio_rank"] = np.arange(1, len(indices) + 1, dtype=np.int64)
    frame["gio_row"] = indices.astype(np.int64)
    labels = _checked_labels(data, indices, cluster_labels)
    if labels is not None:
        frame["gio_cluster"] = labels.astype(np.int64)
    return frame


def _checked_indices(data: LoadedData, selected_indices: ArrayLike) -> NDArray:
    indices = np.asarray(selected_indices)
    if indices.size == 0:
        indices = indices.astype(np.int64)
    if indices.ndim != 1 or not (np.issubdtype(indices.dtype, np.integer)):
        raise ValueError(
            f"selected_indices must be a 1-D array of row numbers; got shape {indices.shape} of {indices.dtype}."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= data.n_rows):
        raise ValueError(
            f"selected_indices must lie in 0 … {data.n_rows - 1} (rows of {data.name}); got "
            f"{int(indices.min())} … {int(indices.max())}. Map indices of kept rows with pool_rows."
        )
    return indices


def escape_formula(value: Any) -> Any:
    """Prefix ``'`` to a text cell a spreadsheet would run as a formula; other values pass through.

    >>> escape_formula("=HYPERLINK(\\"http://x\\")"), escape_formula("plain"), escape_formula(-1.5)
    ('\\'=HYPERLINK("http://x")', 'plain', -1.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell_text(value):
    """A cell Arrow's CSV writer cannot format (a nested list, a dict) as the text the reader takes back."""
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(jsonable(value), ensure_ascii=False, default=str)
    if isinstance(value, (np.ndarray, list, tuple)):
        # str() of a NumPy scalar is its shortest round-tripping form ('0.1' for float32 0.1)
        return "[" + ", ".join(str(item) for item in np.asarray(value).ravel()) + "]"
    return str(value)


def _arrow_table(frame: pd.DataFrame):
    """A pandas selection as an Arrow table (mixed object columns as text; NaN as a missing cell)."""
    import pyarrow as pa

    return pa.Table.from_pandas(_parquet_ready(frame), preserve_index=False)


def _escaped_text(column):
    """A text column with ``'`` before every cell a spreadsheet would run as a formula (vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(column) == 0:
        return column
    quote, empty = pa.scalar("'", type=column.type), pa.scalar("", type=column.type)
    risky = pc.match_substring_regex(column, "^[=+\\-@\t\r]")
    return pc.if_else(risky, pc.binary_join_element_wise(quote, column, empty), column)


def _vector_text(column):
    """A list column (vectors read from Parquet or JSON Lines) as ``"[0.1, -0.5]"`` text, vectorised.

    Values are formatted by Arrow's shortest round-tripping form, so a float32 vector reads back bit-identical.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_fixed_size_list(column.type):
        column = column.cast(pa.list_(column.type.value_type))
    values = column.values
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        return pa.array([_cell_text(value) for value in column.to_pylist()], type=pa.string())
    offsets = column.offsets
    first = offsets[0].as_py()
    texts = pc.cast(values.slice(first, offsets[-1].as_py() - first), pa.string())
    relative = pc.subtract(offsets, pa.scalar(first, offsets.type))
    lists = pa.ListArray.from_arrays(relative, texts, mask=column.is_null())
    joined = pc.binary_join(lists, ", ")
    return pc.binary_join_element_wise("[", joined, "]", "")


def _csv_table(table):
    """An Arrow table Arrow's CSV writer takes, safe to open in a spreadsheet.

    Text cells (and column names) that would run as a formula get a leading ``'``, list cells become
    ``[a, b]`` text and other nested or unusual cells their JSON or ``str`` text. Numbers are left to
    the writer, which formats floats in their shortest round-tripping form (float32 as float32).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
            kind = column.type
        if pa.types.is_floating(kind):
            if len(column) and pc.any(pc.is_nan(column)).as_py():  # NaN is a missing cell, as pandas writes it
                column = pc.if_else(pc.is_nan(column), pa.scalar(None, type=kind), column)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            column = _escaped_text(column)
        elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            column = _escaped_text(_vector_text(column))
        elif pa.types.is_nested(kind) or pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
            column = _escaped_text(pa.array([_cell_text(value) for value in column.to_pylist()], type=pa.string()))
        columns.append(column)
    names = [escape_formula(str(name)) for name in table.column_names]
    return pa.Table.from_arrays(columns, names=names)


def _csv_header(names: list[str], delimiter: str) -> bytes:
    """The header line, quoted only where needed, as people and spreadsheets expect a header."""
    line = io.StringIO()
    csv.writer(line, delimiter=delimiter, lineterminator="\n").writerow(names)
    return line.getvalue().encode("utf-8")


def _csv_buffer(table, *, header: bool = True, delimiter: str = ","):
    """One table as CSV bytes (Arrow's writer: text cells quoted, missing values empty, ``\\n`` line ends)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    ready = _csv_table(table)
    sink = pa.BufferOutputStream()
    if header:
        sink.write(_csv_header(ready.column_names, delimiter))
    if ready.num_rows:
        pa_csv.write_csv(ready, sink, pa_csv.WriteOptions(include_header=False, delimiter=delimiter))
    return sink.getvalue()  # an Arrow buffer: files and zlib take it as it is, without a copy to bytes


def selection_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The selection as formula-safe UTF-8 CSV bytes (for a download button); what the file export writes.

    Examples
    --------
    >>> import pandas as pd
    >>> selection_csv_bytes(pd.DataFrame({"text": ["=1+1", "ok"], "gio_rank": [1, 2]})).decode()
    'text,gio_rank\\n"\\'=1+1",1\\n"ok",2\\n'
    """
    return _csv_buffer(_arrow_table(frame)).to_pybytes()


def _output_kind(out) -> str:
    if hasattr(out, "write"):
        return "csv"
    name = Path(out).name.lower()
    for suffix, kind in (
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".csv.gz", "csv.gz"),
        (".csv", "csv"),
        (".tsv", "tsv"),
    ):
        if name.endswith(suffix):
            return kind
    raise ValueError(
        f"output {Path(out).name} has an extension the export does not write; use .csv, .csv.gz, .tsv or .parquet."
    )


def _in_order(tasks, work, *, workers: int):
    """``work(task)`` for each task on ``workers`` threads, results yielded in task order, at most
    ``workers + 1`` in flight (Arrow's CSV formatting and zlib release the GIL)."""
    if workers <= 1:
        for task in tasks:
            yield work(task)
        return
    pending: collections.deque = collections.deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gio-export")
    try:
        for task in tasks:
            pending.append(pool.submit(work, task))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)


def _write_parts(parts: Sequence[Callable[[], Any]], out, *, total: int, progress=None, chunk_rows: int) -> int:
    """Write the Arrow tables ``part()`` returns, in order, to ``out`` (a path, written atomically, or a stream).

    Parts are built (rows read from the pool) on worker threads ahead of the writer. CSV and TSV are
    formatted by Arrow straight into the file, as ``pyarrow.csv.write_csv`` does; a ``.csv.gz`` is
    formatted and compressed on the workers, one gzip member per part (a valid gzip file: every reader
    decompresses it as one stream).
    """
    kind = _output_kind(out)
    if hasattr(out, "write"):
        import pyarrow as pa

        return _write_csv_parts(parts, pa.PythonFile(out, mode="w"), kind="csv", total=total, progress=progress)
    if kind == "parquet":
        return write_atomically(
            out, lambda path: _write_parquet_parts(parts, path, total=total, progress=progress, chunk_rows=chunk_rows)
        )
    if kind == "csv.gz":

        def write(path: str) -> int:
            with open(path, "wb") as handle:
                return _write_gzip_parts(parts, handle, total=total, progress=progress)
    else:

        def write(path: str) -> int:
            import pyarrow as pa

            with pa.OSFile(path, "wb") as sink:
                return _write_csv_parts(parts, sink, kind=kind, total=total, progress=progress)

    return write_atomically(out, write)


def _write_csv_parts(parts, sink, *, kind: str, total: int, progress=None) -> int:
    """Format each part into ``sink`` (an Arrow output stream) in the calling thread: writing straight to
    the file, rather than to a growing buffer per part, costs what Arrow's own ``write_csv`` costs."""
    import pyarrow.csv as pa_csv

    delimiter = "\t" if kind == "tsv" else ","
    options = pa_csv.WriteOptions(include_header=False, delimiter=delimiter)
    done = 0
    for number, table in enumerate(_in_order(parts, lambda part: part(), workers=EXPORT_THREADS)):
        ready = _csv_table(table)
        if number == 0:
            sink.write(_csv_header(ready.column_names, delimiter))
        if ready.num_rows:
            pa_csv.write_csv(ready, sink, options)
        done += table.num_rows
        if progress:
            progress("writing the selection", done, total)
    return done


def _write_gzip_parts(parts, handle, *, total: int, progress=None) -> int:
    def compressed(numbered):
        number, part = numbered
        table = part()
        return table.num_rows, gzip.compress(_csv_buffer(table, header=number == 0), compresslevel=6, mtime=0)

    done = 0
    for rows, data in _in_order(enumerate(parts), compressed, workers=EXPORT_THREADS):
        handle.write(data)
        done += rows
        if progress:
            progress("writing the selection", done, total)
    return done


def _write_parquet_parts(parts, path: str, *, total: int, progress=None, chunk_rows: int) -> int:
    import pyarrow.parquet as pq

    writer = schema = None
    done = 0
    try:
        for table in _in_order(parts, lambda part: part(), workers=EXPORT_THREADS):
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(path, schema, use_dictionary=_dictionary_columns(schema))
            elif table.schema != schema:
                table = table.cast(schema)
            writer.write_table(table, row_group_size=chunk_rows)
            done += table.num_rows
            if progress:
                progress("writing the selection", done, total)
    finally:
        if writer is not None:
            writer.close()
    return done


def write_selection(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the selection to ``.csv``, ``.csv.gz``, ``.tsv`` or ``.parquet`` (by the extension).

    The file appears complete or not at all (:func:`write_atomically`).

    Raises
    ------
    ValueError
        Another extension.
    """
    _output_kind(path)
    table = _arrow_table(frame)
    _write_parts([lambda: table], path, total=table.num_rows, chunk_rows=EXPORT_CHUNK_ROWS)


def write_selection_rows(
    data: LoadedData,
    selected_indices: ArrayLike,
    out,
    *,
    cluster_labels: ArrayLike | None = None,
    chunk_rows: int | None = None,
    progress=None,
) -> int:
    """Write the selected pool rows batch by batch, so a selection of millions of rows never sits in memory.

    The file holds what ``write_selection(selection_frame(data, selected_indices, ...), out)`` writes
    (the same rows, columns and values). Batches are read and formatted on worker threads and written
    in order; a path is written to a temporary name and renamed into place when complete.

    Parameters
    ----------
    data : LoadedData
        The pool as read (a memory-mapped ``.npy`` is read batch by batch).
    selected_indices : array-like of int, shape (n,)
        Pool file rows in pick order.
    out : str, PathLike or binary file-like
        ``.csv``, ``.csv.gz``, ``.tsv`` or ``.parquet`` path, or an open binary stream (CSV is written).
    cluster_labels : array-like of int, optional
        As in :func:`selection_frame`.
    chunk_rows : int, optional
        Rows per batch (default: ``CSV_CHUNK_ROWS`` for text, ``EXPORT_CHUNK_ROWS`` per Parquet row group).
    progress : callable, optional
        ``progress(stage, done, total)`` after each batch.

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    ValueError
        A bad extension, an index outside the pool, or labels that do not match.
    """
    kind = _output_kind(out)
    indices = _checked_indices(data, selected_indices)
    labels = _checked_labels(data, indices, cluster_labels)
    if chunk_rows is None:
        chunk_rows = EXPORT_CHUNK_ROWS if kind == "parquet" else CSV_CHUNK_ROWS
    chunk_rows = max(1, int(chunk_rows))
    parts = [
        functools.partial(
            _selection_table,
            data,
            indices[start : start + chunk_rows],
            None if labels is None else labels[start : start + chunk_rows],
            start + 1,
        )
        for start in range(0, max(len(indices), 1), chunk_rows)
    ]
    return _write_parts(parts, out, total=len(indices), progress=progress, chunk_rows=chunk_rows)


def _checked_labels(data: LoadedData, indices: NDArray, cluster_labels: ArrayLike | None) -> NDArray | None:
    if cluster_labels is None:
        return None
    labels = np.asarray(cluster_labels)
    if labels.shape == (data.n_rows,):
        return labels[indices]
    if labels.shape != (len(indices),):
        raise ValueError(
            f"cluster_labels must hold one label per pool row ({data.n_rows}) or per selected row "
            f"({len(indices)}); got shape {labels.shape}."
        )
    return labels


def _selection_table(data: LoadedData, indices: NDArray, labels: NDArray | None, first_rank: int):
    """Selected rows as an Arrow table: the pool's columns (``dim_i`` for an array), then the gio_* ones."""
    import pyarrow as pa

    names, columns = [], []
    own = [column for column in data.frame.columns if column not in EXPORT_COLUMNS]
    if own:
        table = _arrow_table(data.frame.iloc[indices][own].reset_index(drop=True))
        names += table.column_names
        columns += table.columns
    if data.array is not None:
        vectors = take_rows(data.array, indices, dtype=data.array.dtype)
        by_column = np.ascontiguousarray(vectors.reshape(len(indices), -1).T)
        names += [f"dim_{i}" for i in range(by_column.shape[0])]
        columns += [pa.array(values) for values in by_column]  # NaN becomes a missing cell in _csv_table
    names += ["gio_rank", "gio_row"]
    columns += [
        pa.array(np.arange(first_rank, first_rank + len(indices), dtype=np.int64)),
        pa.array(indices.astype(np.int64)),
    ]
    if labels is not None:
        names.append("gio_cluster")
        columns.append(pa.array(np.asarray(labels, dtype=np.int64)))
    return pa.Table.from_arrays(columns, names=names)


def _dictionary_columns(schema) -> list[str]:
    """Columns worth dictionary-encoding: all but floats (a float column of distinct values only wastes
    the time, 8x the whole write's for a 384-d selection, before Parquet falls back to plain encoding)."""
    import pyarrow.types as patypes

    return [field.name for field in schema if not patypes.is_floating(field.type)]


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing types (e.g. numbers and text) become text, which Parquet can store."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series):
            kinds = {
                type(value)
                for value in series.tolist()
                if value is not None and not (isinstance(value, float) and math.isnan(value))
            }
            if len(kinds) > 1 and not kinds <= {list, np.ndarray, tuple}:
                out[column] = [None if value is None else str(value) for value in series.tolist()]
    return out


def _with_export_columns(table, ranks: NDArray, rows: NDArray, labels: NDArray | None):
    """An Arrow table with the pool's columns untouched, then gio_rank, gio_row (and gio_cluster)."""
    import pyarrow as pa

    table = table.drop_columns([name for name in EXPORT_COLUMNS if name in table.column_names])
    table = table.append_column("gio_rank", pa.array(np.asarray(ranks, dtype=np.int64)))
    table = table.append_column("gio_row", pa.array(np.asarray(rows, dtype=np.int64)))
    if labels is not None:
        table = table.append_column("gio_cluster", pa.array(np.asarray(labels, dtype=np.int64)))
    return table


def shard_selection_table(dataset, selected_rows: ArrayLike, *, cluster_labels: ArrayLike | None = None, progress=None):
    """The selected rows of a :class:`gio_core.io.ParquetDataset`, every column as stored, in pick order.

    Each shard is opened once and only its row groups holding selected rows are read.

    Parameters
    ----------
    dataset : ParquetDataset
    selected_rows : array-like of int, shape (n,)
        Global row numbers (``gio_row``) in pick order.
    cluster_labels : array-like of int, shape (n,), optional
        Cluster of each selected row.
    progress : callable, optional
        ``progress(stage, done, total)`` per shard.

    Returns
    -------
    pyarrow.Table
        The shards' columns, then ``gio_rank``, ``gio_row`` and (when given) ``gio_cluster``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = np.asarray(selected_rows, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= dataset.n_rows):
        raise ValueError(f"selected rows must lie in 0 … {dataset.n_rows - 1} (rows of {dataset.name}).")
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    offsets = np.append(dataset.offsets, dataset.n_rows)
    bounds = np.searchsorted(ordered, offsets)
    parts = []
    for shard, path in enumerate(dataset.files):
        low, high = bounds[shard], bounds[shard + 1]
        if low == high:
            continue
        local = ordered[low:high] - offsets[shard]
        handle = pq.ParquetFile(path)
        sizes = [handle.metadata.row_group(group).num_rows for group in range(handle.num_row_groups)]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        groups = np.unique(np.searchsorted(starts, local, side="right") - 1)
        table = handle.read_row_groups([int(group) for group in groups])
        read_starts = np.concatenate([[0], np.cumsum([sizes[group] for group in groups])])
        position = np.searchsorted(starts, local, side="right") - 1
        within = read_starts[np.searchsorted(groups, position)] + (local - starts[position])
        parts.append(table.take(pa.array(within)))
        if progress:
            progress("reading the selected rows", shard + 1, len(dataset.files))
    schema = pq.read_schema(dataset.files[0])
    table = pa.concat_tables(parts, promote_options="permissive") if parts else schema.empty_table()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    table = table.take(pa.array(inverse)) if rows.size else table
    labels = None if cluster_labels is None else np.asarray(cluster_labels)
    return _with_export_columns(table, np.arange(1, rows.size + 1), rows, labels)


def write_selection_table(table, out, *, progress=None) -> int:
    """Write an Arrow selection table to ``.parquet`` (types kept as stored) or formula-safe ``.csv``/``.tsv``
    (a path is written atomically, as :func:`write_selection_rows` does).

    Returns
    -------
    int
        Rows written.
    """
    rows = EXPORT_CHUNK_ROWS if _output_kind(out) == "parquet" else CSV_CHUNK_ROWS
    parts = [functools.partial(table.slice, start, rows) for start in range(0, max(table.num_rows, 1), rows)]
    return _write_parts(parts, out, total=table.num_rows, progress=progress, chunk_rows=EXPORT_CHUNK_ROWS)


def csv_text_table(table):
    """Every cell as the text the CSV export writes (formula-safe, vectors as ``[a, b]``, missing as null).

    For writers that quote but do not format, such as Spark's CSV writer.
    """
    import pyarrow as pa

    ready = _csv_table(table)
    return pa.Table.from_arrays([column.cast(pa.string()) for column in ready.columns], names=ready.column_names)
