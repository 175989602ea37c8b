"""Out-of-core access to the vectors of very large files: rows are read on demand, in chunks.

A memory map of a 15 GB ``.npy`` file keeps every page it has touched resident, so one pass over it
makes the process's resident memory as large as the file. :class:`NpyRows` reads rows with plain file
reads instead, and :class:`ParquetRows` one row group at a time, so a pass over ten million rows
holds one chunk at a time. Both look enough like a 2-D array (``shape``, ``dtype``, slicing, integer
indexing) for :func:`gio_core.scale.quantize` and :class:`gio_core.GIOSelector` to use them directly.

:func:`iter_row_chunks` and :func:`take_rows` read any of these, an array or a read-only memory map in
chunks; for a memory map they hand each chunk's pages back to the kernel once it is copied, so a pass
over a memory-mapped ``.npy`` costs one chunk of resident memory, not the file's size (the pages stay
in the page cache, so a second pass still reads from memory).
"""

from __future__ import annotations

import mmap
import os
import tokenize
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pyarrow.parquet as pq

__all__ = [
    "NpyRows",
    "ParquetRows",
    "ParquetShards",
    "RowSource",
    "arrow_vectors",
    "is_row_source",
    "iter_row_chunks",
    "take_rows",
    "to_float32",
]

#: Rows per chunk of a pass: 64k rows x 384 float32 = 96 MiB.
CHUNK_ROWS = 65_536


class RowSource:
    """A read-only 2-D table of vectors, read on demand. Subclasses implement :meth:`_read_range`."""

    shape: tuple[int, int]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return 2

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.shape[1] * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        # np.asarray(source) loads every row: allowed (small files, unquantised runs), but explicit
        rows = self._read_range(0, self.shape[0])
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __getitem__(self, key) -> NDArray:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step != 1:
                return self[np.arange(start, stop, step)]
            return self._read_range(start, max(start, stop))
        if isinstance(key, (int, np.integer)):
            index = int(key) + (self.shape[0] if key < 0 else 0)
            return self._read_range(index, index + 1)[0]
        indices = np.asarray(key)
        if indices.dtype == bool:
            indices = np.flatnonzero(indices)
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise IndexError("rows can be selected with a slice, an integer or a 1-D integer array")
        indices = np.where(indices < 0, indices + self.shape[0], indices)
        return self._read_rows(indices)

    def iter_chunks(self, chunk_rows: int = 65_536) -> Iterator[tuple[int, NDArray]]:
        for start in range(0, self.shape[0], chunk_rows):
            yield start, self._read_range(start, min(start + chunk_rows, self.shape[0]))

    def _read_rows(self, indices: NDArray) -> NDArray:
        """Rows at arbitrary indices: read each run of consecutive sorted indices once."""
        order = np.argsort(indices, kind="stable")
        ordered = indices[order]
        out = np.empty((len(indices), self.shape[1]), dtype=self.dtype)
        if len(ordered) == 0:
            return out
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        for run in np.split(np.arange(len(ordered)), breaks):
            first, last = int(ordered[run[0]]), int(ordered[run[-1]])
            out[order[run]] = self._read_range(first, last + 1)
        return out

    def _read_range(self, start: int, stop: int) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError


class NpyRows(RowSource):
    """Rows of a C-ordered float ``.npy`` file, read with ``pread`` (never memory-mapped).

    Parameters
    ----------
    path : str or PathLike

    Raises
    ------
    ValueError
        The file is not a 2-D float ``.npy`` in C order (object arrays are refused: they would need
        unpickling).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            try:
                shape, fortran_order, dtype = read_header(handle)
            except (SyntaxError, TypeError, tokenize.TokenError) as error:  # a damaged header (a Python literal)
                raise ValueError(
                    f"{self.path.name} has a damaged .npy header ({error}); write it again with numpy.save."
                ) from error
            self._offset = handle.tell()
        if dtype.hasobject:
            raise ValueError(
                f"{self.path.name} holds Python objects; only numeric .npy files are read "
                "(objects would need unpickling). Save the vectors as a float array."
            )
        if len(shape) != 2:
            raise ValueError(f"{self.path.name} holds an array of shape {shape}; save a 2-D array (rows, dimensions).")
        if fortran_order:
            raise ValueError(
                f"{self.path.name} is stored in Fortran order; save it with "
                "np.save(path, np.ascontiguousarray(vectors))."
            )
        if dtype.kind not in "fiu":
            raise ValueError(f"{self.path.name} has dtype {dtype}; save float vectors.")
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        expected = self._offset + self.shape[0] * self._row_bytes
        if os.path.getsize(self.path) < expected:
            raise ValueError(
                f"{self.path.name} is truncated: its header promises {self.shape[0]} rows but the "
                "file is shorter. Write the file again."
            )

    def _read_range(self, start: int, stop: int) -> NDArray:
        count = stop - start
        out = np.empty((count, self.shape[1]), dtype=self.dtype)
        if count == 0:
            return out
        buffer = out.reshape(-1).view(np.uint8).data  # a memoryview of out's bytes
        with open(self.path, "rb", buffering=0) as handle:
            position = self._offset + start * self._row_bytes
            done = 0
            while done < len(buffer):
                read = os.preadv(handle.fileno(), [buffer[done:]], position + done)
                if read == 0:
                    raise ValueError(f"{self.path.name} ended early; the file is truncated.")
                done += read
        return out


class ParquetRows(RowSource):
    """Vectors of a Parquet file read one row group at a time.

    Parameters
    ----------
    path : str or PathLike
    columns : sequence of str, optional
        Numeric columns that form the vector (default: every numeric column).
    vector_column : str, optional
        One list<float> column holding the whole vector (instead of ``columns``).
    """

    def __init__(
        self, path: str | os.PathLike, *, columns: Sequence[str] | None = None, vector_column: str | None = None
    ):
        import pyarrow.parquet as pq
        import pyarrow.types as patypes

        self.path = Path(path)
        self._file = pq.ParquetFile(self.path)
        schema = self._file.schema_arrow
        if vector_column is not None:
            if vector_column not in schema.names:
                raise ValueError(
                    f"{self.path.name} has no column {vector_column!r}; its columns are {', '.join(schema.names)}."
                )
            self._columns = [vector_column]
            first = self._file.read_row_group(0, columns=self._columns).column(0) if self._file.num_row_groups else None
            width = len(first[0].as_py()) if first is not None and len(first) else 0
        else:
            numeric = [
                field.name for field in schema if patypes.is_integer(field.type) or patypes.is_floating(field.type)
            ]
            self._columns = list(columns) if columns is not None else numeric
            missing = [name for name in self._columns if name not in numeric]
            if missing:
                raise ValueError(f"{self.path.name}: column(s) {', '.join(missing)} are missing or not numeric.")
            width = len(self._columns)
        if width == 0:
            raise ValueError(f"{self.path.name} has no vector columns; name them with columns= or vector_column=.")
        self._vector_column = vector_column
        self.shape = (int(self._file.metadata.num_rows), int(width))
        self.dtype = np.dtype(np.float32)
        sizes = [self._file.metadata.row_group(i).num_rows for i in range(self._file.num_row_groups)]
        self._group_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._cached: tuple[int, NDArray] | None = None

    def _group(self, index: int) -> NDArray:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        table = self._file.read_row_group(index, columns=self._columns)
        if self._vector_column is not None:
            column = table.column(0).combine_chunks()
            values = column.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
            rows = values.reshape(len(column), -1)
            if rows.shape[1] != self.shape[1]:
                raise ValueError(f"{self.path.name}: vectors in {self._vector_column!r} have different lengths.")
        else:
            rows = np.column_stack(
                [
                    table.column(name).to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
                    for name in self._columns
                ]
            )
        self._cached = (index, rows)
        return rows

    def _read_range(self, start: int, stop: int) -> NDArray:
        return _rows_from_groups(self, start, stop)


class ParquetShards(RowSource):
    """Vectors of several Parquet files read as one table, in the files' order, one row group at a time.

    Row ``i`` is the global row number ``gio_row``: rows numbered in (file order, row) order, the
    numbering every engine uses. The files are checked by :func:`gio_core.io.open_parquet_dataset`.

    Parameters
    ----------
    files : sequence of str
        Parquet files, in the order that numbers the rows.
    width : int
        Vector dimension.
    columns : sequence of str, optional
        Numeric columns that form the vector.
    vector_column : str, optional
        One list or fixed-size-list column holding the whole vector (instead of ``columns``).
    """

    def __init__(
        self,
        files: Sequence[str],
        width: int,
        *,
        columns: Sequence[str] | None = None,
        vector_column: str | None = None,
    ):
        import pyarrow.parquet as pq

        self.files = [str(path) for path in files]
        self._columns = [vector_column] if vector_column is not None else list(columns or [])
        self._vector_column = vector_column
        groups = []  # (file index, row group, rows)
        for position, path in enumerate(self.files):
            metadata = pq.read_metadata(path)
            groups += [
                (position, group, metadata.row_group(group).num_rows) for group in range(metadata.num_row_groups)
            ]
        self._groups = [(file, group) for file, group, rows in groups if rows]
        sizes = [rows for _, _, rows in groups if rows]
        self._group_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.shape = (int(self._group_starts[-1]), int(width))
        self.dtype = np.dtype(np.float32)
        self._handles: dict[int, pq.ParquetFile] = {}
        self._cached: tuple[int, NDArray] | None = None

    def _group(self, index: int) -> NDArray:
        import pyarrow.parquet as pq

        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        file, group = self._groups[index]
        if file not in self._handles:
            self._handles = {file: pq.ParquetFile(self.files[file])}  # one open file at a time
        table = self._handles[file].read_row_group(group, columns=self._columns)
        first_row = int(self._group_starts[index])
        rows = arrow_vectors(
            table,
            self.shape[1],
            vector_column=self._vector_column,
            columns=self._columns,
            where=Path(self.files[file]).name,
            first_row=first_row - self._file_start(file),
        )
        self._cached = (index, rows)
        return rows

    def _file_start(self, file: int) -> int:
        first_group = next(position for position, (owner, _) in enumerate(self._groups) if owner == file)
        return int(self._group_starts[first_group])

    def _read_range(self, start: int, stop: int) -> NDArray:
        return _rows_from_groups(self, start, stop)


class RaggedVectorsError(ValueError):
    """Vectors of different lengths; ``position`` is the offending row's index in the table read."""

    def __init__(self, message: str, *, position: int, length: int):
        super().__init__(message)
        self.position = position
        self.length = length


def ragged_message(where: str, column: str, width: int, row: int, length: int) -> str:
    """The one-line error for vectors of different lengths, the same from every engine."""
    return (
        f"{where}: vectors in column `{column}` have different lengths: the pool's are {width}-d, row {row + 1} "
        f"has {length} values; make them all the same length."
    )


def arrow_vectors(
    table,
    width: int,
    *,
    vector_column: str | None = None,
    columns: Sequence[str] | None = None,
    where: str = "pool",
    first_row: int = 0,
) -> NDArray[np.float32]:
    """Vectors of an Arrow table or record batch as a float32 matrix (a null vector or cell is a NaN row).

    Parameters
    ----------
    table : pyarrow.Table or pyarrow.RecordBatch
    width : int
        Expected dimension.
    vector_column : str, optional
        A list, large-list or fixed-size-list column of numbers.
    columns : sequence of str, optional
        Numeric columns (when there is no ``vector_column``).
    where : str, default="pool"
        Names the file in messages.
    first_row : int, default=0
        Row number of the table's first row in that file, for messages.

    Returns
    -------
    ndarray of float32, shape (n_rows, width)

    Raises
    ------
    RaggedVectorsError
        A vector whose length is not ``width`` (ragged vectors).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n_rows = table.num_rows
    if vector_column is None:
        if columns is None:
            raise TypeError("arrow_vectors needs columns or vector_column.")
        out = np.empty((n_rows, len(columns)), dtype=np.float32)
        for position, name in enumerate(columns):
            column = table.column(name)
            out[:, position] = (
                pc.cast(column, pa.float32()).to_numpy(zero_copy_only=False)
                if column.null_count == 0
                else np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float32)
            )
        return out
    column = table.column(vector_column)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_fixed_size_list(column.type):
        length = column.type.list_size
        if length != width:
            raise RaggedVectorsError(
                ragged_message(where, vector_column, width, first_row, length), position=0, length=length
            )
        lengths = None
    else:
        lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
        valid = ~np.isnan(lengths.astype(np.float64)) if lengths.dtype.kind == "f" else np.ones(n_rows, bool)
        bad = np.flatnonzero(valid & (lengths != width))
        if bad.size:
            row = int(bad[0])
            raise RaggedVectorsError(
                ragged_message(where, vector_column, width, first_row + row, int(lengths[row])),
                position=row,
                length=int(lengths[row]),
            )
    if column.null_count == 0:
        return np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(n_rows, width)
    out = np.full((n_rows, width), np.nan, dtype=np.float32)
    present = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
    values = np.asarray(column.filter(column.is_valid()).flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
    out[present] = values.reshape(len(present), width)
    return out


def is_row_source(values) -> bool:
    return isinstance(values, RowSource)


def iter_row_chunks(matrix, chunk_rows: int = CHUNK_ROWS, *, dtype=np.float32) -> Iterator[tuple[int, NDArray]]:
    """Yield ``(start, rows)`` over a matrix in chunks of ``chunk_rows``, each a C-ordered ``dtype`` copy.

    Parameters
    ----------
    matrix : ndarray, read-only memory map or RowSource, shape (n_rows, d)
    chunk_rows : int, default=CHUNK_ROWS
    dtype : dtype, default=float32

    Notes
    -----
    The chunks of a read-only memory map are released from the resident set after they are copied
    (``madvise(MADV_DONTNEED)``; the file's pages stay in the page cache), so resident memory stays at
    about one chunk however large the file is. A yielded chunk is always a fresh array the caller may
    modify.
    """
    n_rows = matrix.shape[0]
    for start in range(0, n_rows, chunk_rows):
        view = matrix[start : start + chunk_rows]
        chunk = _pread_map(view) if np.dtype(dtype) == getattr(view, "dtype", None) else None
        if chunk is None:
            chunk = (
                np.array(view, dtype=dtype, order="C", copy=True)
                if isinstance(view, np.ndarray)
                else np.ascontiguousarray(view, dtype=dtype)
            )
            release_pages(view)
        yield start, chunk


def to_float32(matrix, *, chunk_rows: int = CHUNK_ROWS) -> NDArray[np.float32]:
    """A C-ordered float32 copy of a matrix, converted one chunk of rows at a time.

    Parameters
    ----------
    matrix : ndarray, read-only memory map or RowSource, shape (n_rows, d)
        Any numeric dtype (a float64 ``.npy`` memory map, integers, ...).
    chunk_rows : int, default=CHUNK_ROWS
        Rows converted at a time.

    Returns
    -------
    ndarray of float32, shape (n_rows, d)
        Always a new array.

    Notes
    -----
    ``np.asarray(memory_map, dtype=np.float32)`` faults in every page of the file before it lets go of
    any: converting a float64 ``.npy`` that way holds the float64 file's pages and the float32 result,
    three times the result. Here each chunk's pages are released once converted
    (:func:`release_pages`), so peak resident memory is the float32 result plus one chunk.

    Examples
    --------
    >>> to_float32(np.arange(6, dtype=np.float64).reshape(3, 2), chunk_rows=2).dtype
    dtype('float32')
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive number of rows; got {chunk_rows}.")
    n_rows = matrix.shape[0]
    out = np.empty(tuple(matrix.shape), dtype=np.float32)
    for start in range(0, n_rows, chunk_rows):
        view = matrix[start : start + chunk_rows]
        out[start : start + len(view)] = view  # the cast happens in the copy: no float64 chunk is made
        release_pages(view)
    return out


def _pread_map(view) -> NDArray | None:
    """A read-only memory map's slice read with one ``pread`` of the file, or None when that is not possible.

    Faulting a file in through a mapping reads it a readahead window (128 KiB) at a time, synchronously:
    a 15 GB pool that is not in the page cache took 310 s that way against 22 s with large reads.
    """
    mapping = _read_only_map(view)
    filename = getattr(view, "filename", None)
    if mapping is None or filename is None or not view.flags.c_contiguous or view.size == 0:
        return None
    base = np.frombuffer(mapping, dtype=np.uint8).ctypes.data
    map_start = int(view.offset) - int(view.offset) % mmap.ALLOCATIONGRANULARITY
    position = map_start + (view.ctypes.data - base)
    out = np.empty(view.shape, dtype=view.dtype)
    buffer = out.reshape(-1).view(np.uint8).data  # a memoryview of out's bytes
    try:
        with open(filename, "rb", buffering=0) as handle:
            done = 0
            while done < len(buffer):
                read = os.preadv(handle.fileno(), [buffer[done:]], position + done)
                if read == 0:
                    return None
                done += read
    except OSError:
        return None
    return out


def take_rows(matrix, indices, *, dtype=np.float32, chunk_rows: int = CHUNK_ROWS) -> NDArray:
    """Rows at ``indices`` (any order, repeats allowed) as a C-ordered ``dtype`` array.

    Parameters
    ----------
    matrix : ndarray, read-only memory map or RowSource, shape (n_rows, d)
    indices : array-like of int, shape (n,)
    dtype : dtype, default=float32
    chunk_rows : int, default=CHUNK_ROWS
        A memory map is read one window of this many rows at a time.

    Notes
    -----
    A sample spread over a whole memory-mapped file touches nearly every page of it (the kernel maps
    pages around each fault), so a read-only memory map is read window by window, each window's
    pages released before the next: resident memory stays at one window, not the file.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if _read_only_map(matrix) is None or len(indices) == 0:
        return np.ascontiguousarray(matrix[indices], dtype=dtype)
    n_rows = matrix.shape[0]
    indices = np.where(indices < 0, indices + n_rows, indices)
    if indices.min() < 0 or indices.max() >= n_rows:
        raise IndexError(f"row indices must lie in 0 … {n_rows - 1}")
    order = np.argsort(indices, kind="stable")
    ordered = indices[order]
    out = np.empty((len(indices),) + tuple(matrix.shape[1:]), dtype=dtype)
    window_starts = np.arange(0, n_rows + chunk_rows, chunk_rows)
    bounds = np.searchsorted(ordered, window_starts)
    for window, start in enumerate(window_starts[:-1]):
        low, high = bounds[window], bounds[window + 1]
        if low == high:
            continue
        view = matrix[start : start + chunk_rows]
        out[order[low:high]] = view[ordered[low:high] - start]
        release_pages(view)
    return out


def release_pages(view) -> None:
    """Drop the pages behind a slice of a read-only memory map from the resident set (no-op otherwise).

    Only read-only (``mode='r'``) maps are touched: their pages are clean copies of the file, so the
    kernel reads them again from the page cache on the next access. Anonymous memory or a writable
    map is never advised (MADV_DONTNEED would discard its contents).
    """
    mapping = _read_only_map(view)
    if mapping is None or not hasattr(mmap, "MADV_DONTNEED") or view.size == 0:
        return
    if not view.flags.c_contiguous:
        return
    base = np.frombuffer(mapping, dtype=np.uint8).ctypes.data
    first = view.ctypes.data - base
    last = first + view.nbytes
    page = mmap.PAGESIZE
    first -= first % page
    length = min(len(mapping), last) - first
    if length > 0:
        try:
            mapping.madvise(mmap.MADV_DONTNEED, first, length)
        except (OSError, ValueError):  # pragma: no cover - advice only; reading stays correct without it
            pass


def _read_only_map(values):
    if isinstance(values, np.memmap) and getattr(values, "mode", None) == "r":
        mapping = getattr(values, "_mmap", None)
        if isinstance(mapping, mmap.mmap) and not mapping.closed:
            return mapping
    return None


def _rows_from_groups(source, start: int, stop: int) -> NDArray:
    """Rows ``start:stop`` of a source read one Parquet row group at a time (``_group_starts``, ``_group(i)``)."""
    out = np.empty((stop - start, source.shape[1]), dtype=source.dtype)
    group = int(np.searchsorted(source._group_starts, start, side="right") - 1)
    position = start
    while position < stop:
        group_start, group_stop = source._group_starts[group], source._group_starts[group + 1]
        rows = source._group(group)
        take = min(stop, group_stop) - position
        out[position - start : position - start + take] = rows[position - group_start : position - group_start + take]
        position += take
        group += 1
    return out
