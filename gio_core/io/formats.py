"""Format detection and the binary formats: NumPy ``.npy``/``.npz`` (never unpickled) and Parquet (wide float tables read a few columns of one row group at a time)."""

from __future__ import annotations

import io
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .columns import _names, _short
from .errors import DataError
from .tables import _FLOAT32_MIN_COLUMNS, _MAGIC, _SUPPORTED_TEXT, _looks_like_text, _tail, format_bytes
from .text_formats import _TextFormats

#: Formats :func:`read_data` reads, as reported in :attr:`LoadedData.format`.
# What NumPy raises on a damaged .npy header or body: a header is a Python literal, so besides
# ValueError a flipped byte can give SyntaxError, TypeError or tokenize's TokenError (found by the fuzz test).
_NPY_ERRORS = (ValueError, EOFError, OSError, SyntaxError, TypeError, tokenize.TokenError)
# Values decoded per read of a wide Parquet file's float columns (4M: 16 MiB as float32, 32 MiB as float64).
_PARQUET_READ_VALUES = 4 * 1024 * 1024
_PREFERRED_ARRAY_NAMES = ("vectors", "embeddings", "embedding", "features", "X", "x", "arr_0")


class _Reader(_TextFormats):
    """Detects the format of one file and reads it; every failure becomes a :class:`DataError`."""

    def __init__(self, *, name, path, raw, head, size, max_bytes, encoding):
        self.name, self.path, self.raw, self.head = name, path, raw, head
        self.size, self.max_bytes, self.encoding = size, max_bytes, encoding
        self.headerless = False
        self.column_block = None
        lowered = name.lower()
        self.extension = next(
            (
                ext
                for ext in (
                    ".csv.gz",
                    ".tsv.gz",
                    ".tab.gz",
                    ".txt.gz",
                    ".jsonl.gz",
                    ".ndjson.gz",
                    ".csv",
                    ".tsv",
                    ".tab",
                    ".txt",
                    ".jsonl",
                    ".ndjson",
                    ".json",
                    ".parquet",
                    ".pq",
                    ".npy",
                    ".npz",
                    ".gz",
                )
                if lowered.endswith(ext)
            ),
            Path(lowered).suffix,
        )

    # -- dispatch ---------------------------------------------------------------------------------

    def read(self):
        head = self.head
        if head.startswith(b"\x93NUMPY"):
            return "npy", *self._read_npy()
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return "npz", *self._read_zip()
        if head.startswith(b"PAR1"):
            return "parquet", self._read_parquet(), None
        if head.startswith(b"\x1f\x8b"):
            return self._read_gzip()
        for magic, what in _MAGIC:
            if head.startswith(magic):
                fix = (
                    "it would need unpickling, which is never done for an upload; save the vectors with "
                    "numpy.save or as CSV"
                    if "pickle" in what
                    else f"save your data as {_SUPPORTED_TEXT}"
                )
                raise DataError(
                    f"{self.name} is {what}, not a supported format; {fix}.",
                    code="pickle" if "pickle" in what else "unsupported",
                )
        if self.extension in (".npy", ".npz", ".parquet", ".pq", ".gz") and not _looks_like_text(head):
            kind = {".npy": "NumPy .npy", ".npz": "NumPy .npz", ".parquet": "Parquet", ".pq": "Parquet", ".gz": "gzip"}[
                self.extension
            ]
            raise DataError(
                f"{self.name} is not a valid {kind} file (its first bytes are not a {kind} header); "
                "the file is damaged or has the wrong extension. Save it again.",
                code="binary",
            )
        return self._read_text_file(self._text_opener(), compressed=False)

    # -- NumPy ------------------------------------------------------------------------------------

    def _read_npy(self):
        stream = open(self.path, "rb") if self.path is not None else io.BytesIO(self.raw)
        with stream:
            shape, fortran_order, dtype, offset = self._npy_header(stream, self.name)
        self._check_array_header(shape, dtype, self.name)
        expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if self.size < expected:
            raise DataError(
                f"{self.name} is truncated: its header promises {shape[0]} rows of {shape[1]} values "
                f"({format_bytes(expected)}) but the file has {format_bytes(self.size)}. Write it again.",
                code="truncated",
            )
        try:
            if self.path is not None:
                array = np.load(self.path, mmap_mode="r", allow_pickle=False)
            else:
                # a read-only view of the bytes already in memory (an upload), not a second copy of them
                count = int(np.prod(shape, dtype=np.int64))
                array = np.frombuffer(self.raw, dtype=dtype, count=count, offset=offset).reshape(
                    shape, order="F" if fortran_order else "C"
                )
        except _NPY_ERRORS as error:
            raise DataError(
                f"{self.name} could not be read as a .npy file ({_short(error)}); write it again with numpy.save.",
                code="truncated",
            ) from error
        frame = pd.DataFrame(index=pd.RangeIndex(array.shape[0]))
        return frame, array

    @staticmethod
    def _npy_header(stream, name):
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream, max_header_size=100_000)
            elif version in ((2, 0), (3, 0)):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream, max_header_size=100_000)
            else:
                raise ValueError(f"unknown .npy version {version}")
        except _NPY_ERRORS as error:
            text = str(error)
            if "object" in text.lower() or "pickle" in text.lower():
                raise DataError(
                    f"{name} holds Python objects, which would need unpickling; that is never done "
                    "for an upload. Save the vectors as a float array.",
                    code="pickle",
                ) from error
            raise DataError(
                f"{name} has a damaged or truncated .npy header ({_short(error)}); write it again with numpy.save.",
                code="truncated",
            ) from error
        return tuple(int(s) for s in shape), fortran_order, np.dtype(dtype), stream.tell()

    @staticmethod
    def _check_array_header(shape, dtype, name, *, member: str = ""):
        where = f"{name}{member}"
        if dtype.hasobject:
            raise DataError(
                f"{where} holds Python objects, which would need unpickling; that is never done for an "
                "upload. Save the vectors as a float array (numpy.save(path, vectors.astype('float32'))).",
                code="pickle",
            )
        if dtype.kind not in "fiu" or dtype.fields is not None:
            raise DataError(
                f"{where} holds values of type {dtype}, not numbers; save float vectors.", code="not_a_table"
            )
        if len(shape) == 1:
            raise DataError(
                f"{where} holds a 1-D array of {shape[0]} values, not vectors; save a 2-D array of shape "
                "(rows, dimensions), for example values.reshape(-1, 1).",
                code="not_a_table",
            )
        if len(shape) != 2:
            raise DataError(
                f"{where} holds an array of shape {shape}; save a 2-D array of shape (rows, dimensions).",
                code="not_a_table",
            )
        if shape[0] == 0:
            raise DataError(f"{where} holds 0 rows; save at least one vector.", code="empty")
        if shape[1] == 0:
            raise DataError(
                f"{where} holds {shape[0]} rows of 0 values; save vectors with at least one dimension.", code="empty"
            )

    def _read_zip(self):
        stream = open(self.path, "rb") if self.path is not None else io.BytesIO(self.raw)
        with stream:
            try:
                archive = zipfile.ZipFile(stream)
                names = archive.namelist()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                raise DataError(
                    f"{self.name} is a damaged or truncated zip/.npz archive ({_short(error)}); "
                    "write it again with numpy.savez.",
                    code="truncated",
                ) from error
            if any(n.startswith("xl/") for n in names) or "[Content_Types].xml" in names:
                raise DataError(
                    f"{self.name} is an Excel or Office file, not a supported format; export the sheet "
                    "as CSV (File > Save As > CSV UTF-8).",
                    code="unsupported",
                )
            members = [n for n in names if n.endswith(".npy")]
            if not members:
                raise DataError(
                    f"{self.name} is a zip archive without .npy arrays, not a supported format; save "
                    f"your data as {_SUPPORTED_TEXT}.",
                    code="unsupported",
                )
            headers = {}
            for member in members:
                key = member[:-4]
                try:
                    with archive.open(member) as handle:
                        shape, _, dtype, _ = self._npy_header(handle, f"{self.name}[{key}]")
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                    raise DataError(
                        f"{self.name} is damaged or truncated (array {key!r}: {_short(error)}); write "
                        "it again with numpy.savez.",
                        code="truncated",
                    ) from error
                if dtype.hasobject:
                    raise DataError(
                        f"{self.name} array {key!r} holds Python objects, which would need unpickling; "
                        "that is never done for an upload. Save float arrays only.",
                        code="pickle",
                    )
                headers[key] = (shape, dtype)
            key = self._choose_npz_array(headers)
            shape, dtype = headers[key]
            self._check_array_header(shape, dtype, self.name, member=f" array {key!r}")
            try:
                array = self._load_member(archive, key)
                columns = {}
                for other, (other_shape, other_dtype) in headers.items():
                    if other != key and other_shape == (shape[0],) and other_dtype.kind in "biufUS":
                        values = self._load_member(archive, other)
                        columns[other] = values.astype(str) if values.dtype.kind == "S" else values
            except (zipfile.BadZipFile, zlib.error) + _NPY_ERRORS as error:
                raise DataError(
                    f"{self.name} is damaged or truncated ({_short(error)}); write it again with numpy.savez.",
                    code="truncated",
                ) from error
        frame = pd.DataFrame(columns, index=pd.RangeIndex(shape[0]))
        return frame, array

    @staticmethod
    def _load_member(archive: zipfile.ZipFile, key: str) -> NDArray:
        with archive.open(key + ".npy") as handle:
            data = handle.read()
        return np.load(io.BytesIO(data), allow_pickle=False)

    def _choose_npz_array(self, headers: dict) -> str:
        matrices = [key for key, (shape, dtype) in headers.items() if len(shape) == 2 and dtype.kind in "fiu"]
        if len(matrices) == 1:
            return matrices[0]
        for preferred in _PREFERRED_ARRAY_NAMES:
            if preferred in matrices:
                return preferred
        if not matrices:
            if len(headers) == 1:
                return next(iter(headers))  # its own header check says what is wrong with it
            raise DataError(
                f"{self.name} holds no 2-D numeric array (arrays: {', '.join(headers)}); save the vectors "
                "as a 2-D array, e.g. numpy.savez(path, vectors=vectors).",
                code="not_a_table",
            )
        raise DataError(
            f"{self.name} holds several 2-D arrays ({', '.join(matrices)}); keep one, or name the "
            "vectors 'vectors' (numpy.savez(path, vectors=...)).",
            code="not_a_table",
        )

    # -- Parquet ----------------------------------------------------------------------------------

    def _read_parquet(self) -> pd.DataFrame:
        """Read a Parquet file one row group, and a few columns, at a time.

        A wide table's float columns (at least ``_FLOAT32_MIN_COLUMNS``: embedding dimensions) go straight
        into one preallocated float32 matrix that the frame's columns then share
        (:attr:`LoadedData.column_block`), so a table of vectors costs its float32 size once, not the
        Arrow table, a pandas copy and a vector matrix besides. The other columns (ids, text, labels,
        lists) are read as they are, for the export.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        if _tail(self.path, self.raw, 4) != b"PAR1" or self.size < 12:
            raise DataError(
                f"{self.name} is a truncated Parquet file (its footer is missing); write it again.", code="truncated"
            )
        arrow_errors = (pa.ArrowException, OSError, ValueError, IndexError, TypeError, KeyError)
        try:
            source = str(self.path) if self.path is not None else pa.BufferReader(self.raw)
            # plain reads, not a memory map: a mapped file's pages would stay in the resident set
            parquet = pq.ParquetFile(source)
            schema = parquet.schema_arrow
            n_rows = int(parquet.metadata.num_rows)
        except arrow_errors as error:
            raise self._parquet_damaged(error) from error
        if len(schema) == 0:
            raise DataError(f"{self.name} has no columns; write a table with at least one column.", code="empty")
        if n_rows <= 0:
            raise DataError(
                f"{self.name} has columns ({_names(schema.names)}) but no rows; add rows.", code="header_only"
            )
        block_positions = self._parquet_block_positions(schema)
        try:
            block = np.empty((n_rows, len(block_positions)), dtype=np.float32) if block_positions else None
        except (MemoryError, ValueError) as error:
            raise DataError(
                f"{self.name} says it holds {n_rows:,} rows of {len(block_positions)} float columns, more "
                "than this machine's memory; use a smaller file or a folder of shards.",
                code="too_large",
            ) from error
        block_names = [schema.names[position] for position in block_positions]
        other_positions = [position for position in range(len(schema)) if position not in set(block_positions)]
        other_names = [schema.names[position] for position in other_positions]
        pieces, done = [], 0
        try:
            metadata = parquet.metadata
            for group in range(metadata.num_row_groups):
                rows = int(metadata.row_group(group).num_rows)
                stop = done + rows
                if rows <= 0:
                    continue
                if stop > n_rows:
                    raise ValueError(f"its row groups hold more rows than the footer's {n_rows:,}")
                # a few columns of one row group at a time: pyarrow decodes a whole row group per read, and one
                # row group often holds the whole file
                per_read = max(1, _PARQUET_READ_VALUES // rows)
                for first in range(0, len(block_names), per_read):
                    assert block is not None  # there are float columns to read
                    table = parquet.read_row_group(group, columns=block_names[first : first + per_read])
                    if table.num_rows != rows:
                        raise ValueError(f"row group {group} holds {table.num_rows:,} rows, its footer says {rows:,}")
                    for offset, name in enumerate(block_names[first : first + per_read]):
                        # nulls become NaN; the cast to float32 happens in the assignment
                        block[done:stop, first + offset] = table.column(name).to_numpy()
                    del table
                if other_names:
                    pieces.append(parquet.read_row_group(group, columns=other_names if block_names else None))
                done = stop
        except arrow_errors as error:
            raise self._parquet_damaged(error) from error
        if done != n_rows:
            raise self._parquet_damaged(f"{done:,} rows read, the footer promises {n_rows:,}")
        frame = self._parquet_frame(schema, pieces, other_positions, n_rows)
        if not block_positions:
            return frame
        names = tuple(block_names)
        block_frame = pd.DataFrame(block, columns=block_names, index=frame.index, copy=False)  # views, not copies
        placed = set(block_names) | set(frame.columns)
        order = [name for name in schema.names if name in placed]  # the file's column order
        order += [name for name in frame.columns if name not in set(order)]
        frame = pd.concat([frame, block_frame], axis=1)[order]
        self.column_block = (names, block)
        return frame

    def _parquet_damaged(self, error) -> DataError:
        return DataError(
            f"{self.name} could not be read as Parquet ({_short(error)}); the file is damaged or "
            "truncated; write it again.",
            code="truncated",
        )

    @staticmethod
    def _parquet_block_positions(schema) -> list[int]:
        """Positions of the float columns that go into the float32 block: all of them when there are at least
        ``_FLOAT32_MIN_COLUMNS`` (as the CSV reader decides), none otherwise or when names repeat."""
        import pyarrow.types as patypes

        index_names = set()
        metadata = schema.pandas_metadata or {}
        for index in metadata.get("index_columns", []):
            if isinstance(index, str):
                index_names.add(index)
        positions = [
            position
            for position, item in enumerate(schema)
            if patypes.is_floating(item.type) and item.name not in index_names
        ]
        if len(positions) < _FLOAT32_MIN_COLUMNS or len(set(schema.names)) != len(schema.names):
            return []
        return positions

    def _parquet_frame(self, schema, pieces, positions, n_rows) -> pd.DataFrame:
        """The columns outside the float32 block (``pieces``: one table per row group) as a pandas frame, with the
        index pandas wrote restored."""
        import pyarrow as pa

        if not positions:
            return pd.DataFrame(index=pd.RangeIndex(n_rows))
        table = pa.concat_tables(pieces).replace_schema_metadata(schema.metadata)  # the pandas index, as written
        del pieces[:]
        try:
            frame = table.to_pandas(split_blocks=True, self_destruct=True)
        except (pa.ArrowException, ValueError, TypeError, OverflowError, KeyError) as error:
            raise DataError(
                f"{self.name} has column types pandas cannot hold ({_short(error)}); write plain "
                "numbers, text and lists.",
                code="unsupported",
            ) from error
        del table
        frame.columns = [str(column) for column in frame.columns]
        return frame
