"""Reading pool and target files, choosing their vectors, and checking them with one-line messages.

A user brings a table (CSV, TSV, gzip-compressed CSV/TSV, Parquet, JSON Lines) or an array file
(NumPy ``.npy``/``.npz``). :func:`read_data` reads it into a :class:`LoadedData`, detecting the format
from the file's first bytes and its name; :func:`prepare_vectors` turns a pool and a target into two
float32 matrices in one space: numeric columns, one column holding a vector per row (``"[0.1, -0.5]"``,
as grad-info-opt's CSV/TSV reader takes), or a text column embedded by :mod:`gio_core.embed`. A file
without column names (a bare array, a headerless CSV) is matched to a named one by position.

Big inputs are read in pieces: a ``.npy`` from a path is memory-mapped (and converted to float32 chunk
by chunk when it is not float32), and a wide Parquet table's float columns are read a few at a time,
one row group at a time, into one float32 matrix that its frame shares.

Every problem with a file raises :class:`DataError`, whose text is one line naming the file, what is
wrong and what to do, so the CLI and the app show it as it is. Nothing here unpickles: ``.npy``/``.npz``
files holding Python objects are refused.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import logging
import os
import re
import tokenize
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Sequence, Union

import numpy as np
import pandas as pd
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DataError",
    "LoadedData",
    "ParquetDataset",
    "PreparedVectors",
    "SUPPORTED_FORMATS",
    "ShardVectors",
    "check_target_rows_for_k",
    "dataset_vectors",
    "extract_vectors",
    "format_bytes",
    "is_parquet_dataset",
    "list_parquet_shards",
    "numeric_columns",
    "open_parquet_dataset",
    "parse_size",
    "prepare_vectors",
    "read_data",
    "target_vectors",
    "text_columns",
    "vector_list_columns",
]

#: Formats :func:`read_data` reads, as reported in :attr:`LoadedData.format`.
# What NumPy raises on a damaged .npy header or body: a header is a Python literal, so besides
# ValueError a flipped byte can give SyntaxError, TypeError or tokenize's TokenError (found by the fuzz test).
_NPY_ERRORS = (ValueError, EOFError, OSError, SyntaxError, TypeError, tokenize.TokenError)

SUPPORTED_FORMATS: tuple[str, ...] = ("csv", "tsv", "csv.gz", "tsv.gz", "parquet", "jsonl", "npy", "npz")

#: Files larger than this are refused unless ``max_bytes`` says otherwise (4 GiB: a million rows of
#: 768-d float32 vectors is 3 GiB as ``.npy``). A ``.npy`` read from a path is exempt: it is
#: memory-mapped and read in chunks, never loaded whole.
DEFAULT_MAX_BYTES: int = 4 * 1024**3

_SUPPORTED_TEXT = "CSV, TSV, CSV/TSV .gz, Parquet, JSON Lines, .npy or .npz"
_SNIFF_BYTES = 64 * 1024
_SAMPLE_ROWS = 2000
# Tables with at least this many float columns hold embedding dimensions: read them as float32 to halve
# memory. Tables with fewer float columns keep float64, so measurements travel to the export exactly.
_FLOAT32_MIN_COLUMNS = 32
_PARSE_CHUNK_ROWS = 20_000
# Values decoded per read of a wide Parquet file's float columns (4M: 16 MiB as float32, 32 MiB as float64).
_PARQUET_READ_VALUES = 4 * 1024 * 1024
# Columns that name rows or carry labels are not vector dimensions unless asked for by name.
_ID_NAMES = {"id", "ids", "index", "idx", "row", "row_id", "rowid", "uid", "uuid", "key", "label", "labels",
             "class", "gio_rank", "gio_row", "gio_cluster"}
_PREFERRED_ARRAY_NAMES = ("vectors", "embeddings", "embedding", "features", "X", "x", "arr_0")
_NA_TOKENS = ["", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "-nan", "-NaN"]

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable program"),
    (b"MZ", "a Windows executable"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.xls/.doc)"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ", "an xz-compressed file"),
    (b"(\xb5/\xfd", "a zstd-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"ARROW1", "an Arrow/Feather file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\x80\x02", "a Python pickle"),
    (b"\x80\x03", "a Python pickle"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x80\x05", "a Python pickle"),
)


class DataError(ValueError):
    """A problem with an input file, said in one line: the file, what is wrong, what to do.

    Parameters
    ----------
    message : str
        The message; line breaks are folded into spaces so it stays one line.
    code : str, default='invalid'
        A short machine-readable kind (``'empty'``, ``'header_only'``, ``'not_a_table'``, ``'binary'``,
        ``'truncated'``, ``'unsupported'``, ``'dimension'``, ``'ragged'``, ``'nonfinite'``,
        ``'too_few_target_rows'``, ``'empty_text'``, ``'encoding'``, ``'too_large'``, ``'pickle'``,
        ``'column'``, ``'text_model'``, ``'invalid'``), so a UI can offer the matching fix.
    nonfinite_rows : int, default=0
        For ``code='nonfinite'``: how many rows hold NaN or inf.
    """

    def __init__(self, message: str, *, code: str = "invalid", nonfinite_rows: int = 0):
        message = " ".join(str(message).split())
        super().__init__(message)
        self.code = code
        self.nonfinite_rows = nonfinite_rows


@dataclass(frozen=True)
class LoadedData:
    """One file as read: its table (or array) and where it came from.

    Attributes
    ----------
    name : str
        File name shown in messages.
    format : str
        One of :data:`SUPPORTED_FORMATS`.
    frame : pandas.DataFrame
        The table's columns as read (ids, text, labels, numbers, vector strings). For ``.npy`` a frame
        with no columns and ``n_rows`` rows; for ``.npz`` the 1-D arrays of length ``n_rows`` it holds
        beside the vectors (ids, labels), one column each.
    array : ndarray of shape (n_rows, d) or None
        ``.npy``/``.npz`` vectors (memory-mapped when a ``.npy`` is read from a path), else None.
    n_rows : int
    sha256 : str
        SHA-256 of the file's bytes (hex).
    path : str or None, default=None
        The path it was read from, when it was read from a path.
    n_bytes : int, default=0
        Size of the file in bytes.
    headerless : bool, default=False
        A CSV/TSV whose first line is data, not column names: its columns are named ``0``, ``1``, …
    column_block : tuple (names, ndarray of float32 of shape (n_rows, len(names))) or None, default=None
        The float columns of a wide Parquet table (at least 32 of them), read into one C-ordered
        float32 matrix whose columns :attr:`frame` shares rather than copies; :func:`extract_vectors`
        hands it out without a copy when those columns are the vectors. None otherwise.
    """

    name: str
    format: str
    frame: pd.DataFrame = field(repr=False)
    array: NDArray | None = field(repr=False)
    n_rows: int
    sha256: str
    path: str | None = None
    n_bytes: int = 0
    headerless: bool = False
    column_block: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def columns(self) -> list[str]:
        """Column names of :attr:`frame`."""
        return [str(column) for column in self.frame.columns]

    @property
    def has_column_names(self) -> bool:
        """False for a bare array (``.npy``/``.npz`` vectors) or a CSV/TSV without a header: such a file's
        vector columns can only be matched to another file's by position."""
        return self.array is None and not self.headerless


@dataclass(frozen=True)
class PreparedVectors:
    """Pool and target vectors in one space, ready for :class:`gio_core.GIOSelector`.

    Attributes
    ----------
    pool, target : ndarray of float32, shapes (n_pool, d) and (n_target, d)
        Only the rows kept (see ``pool_rows``/``target_rows``).
    description : str
        Where the vectors came from, for people: ``"12 numeric columns (x0 … x11)"``,
        ``"vector column `_c2` (768-d)"``, ``"text column `text` embedded with tfidf (1024-d)"``.
    text_model : str or None
        The text model used, when a text column was embedded.
    pool_nonfinite_rows, target_nonfinite_rows : int
        Rows with NaN or inf that were dropped (``drop_nonfinite=True``); 0 otherwise.
    pool_rows, target_rows : ndarray of int64
        Row numbers (0-based, in the files) of the rows kept: ``pool[i]`` is file row ``pool_rows[i]``.
        Map selected indices back with ``pool_rows[selected_indices]``.
    source : str
        ``'array'``, ``'columns'``, ``'vector_column'`` or ``'text_column'``.
    columns : tuple of str
        The numeric columns used (``source='columns'``).
    vector_column, text_column : str or None
        The column used (``source='vector_column'`` / ``'text_column'``).
    matched_by_position : bool, default=False
        One file had no column names (a bare ``.npy``/``.npz`` array or a CSV without a header) and the
        other had: its columns were matched to the other file's vector columns by position, in order.
        :attr:`description` says so.
    target_choice : dict or None, default=None
        With a bare pool matched by position: the ``columns``/``vector_column`` named in the target, as
        given (None when the target's default columns were used), so that :meth:`choice` repeats them.
    """

    pool: NDArray[np.float32] = field(repr=False)
    target: NDArray[np.float32] = field(repr=False)
    description: str
    text_model: str | None
    pool_nonfinite_rows: int
    target_nonfinite_rows: int
    pool_rows: NDArray[np.int64] = field(repr=False, default=None)
    target_rows: NDArray[np.int64] = field(repr=False, default=None)
    source: str = "columns"
    columns: tuple[str, ...] = ()
    vector_column: str | None = None
    text_column: str | None = None
    matched_by_position: bool = False
    target_choice: dict | None = None

    @property
    def dimensions(self) -> int:
        return int(self.pool.shape[1])

    def choice(self) -> dict:
        """The vector choice as keyword arguments of :func:`prepare_vectors` (for a run manifest)."""
        if self.target_choice is not None:  # a bare pool: the columns were named in the target
            return {"columns": self.target_choice.get("columns"), "vector_column": self.target_choice.get("vector_column"),
                    "text_column": None, "text_model": None}
        return {"columns": list(self.columns) if self.source == "columns" else None,
                "vector_column": self.vector_column, "text_column": self.text_column,
                "text_model": self.text_model}


Source = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO]


# --------------------------------------------------------------------------------------------------
# Reading


def read_data(source: Source, *, name: str | None = None, max_bytes: int | None = DEFAULT_MAX_BYTES,
              encoding: str | None = None, progress: Callable[[str, int, int], object] | None = None) -> LoadedData:
    """Read a pool or target file.

    The format is detected from the first bytes (NumPy, zip/``.npz``, Parquet, gzip, JSON Lines or
    delimited text) and, for text, the name (``.tsv``/``.tab`` or tabs in the header mean TSV).

    Parameters
    ----------
    source : str, PathLike, bytes or binary file-like
        A path, the file's bytes, or an open binary file (for example Streamlit's ``UploadedFile``).
    name : str, optional
        The file name used in messages and to read the extension (default: the path's or the
        file-like's ``name``, else ``'upload'``).
    max_bytes : int or None, default=DEFAULT_MAX_BYTES
        Refuse files larger than this (compressed files: also their decompressed text). None: no limit.
        A ``.npy`` read from a path is exempt: it is memory-mapped, so its size costs no memory.
    encoding : str, optional
        Text encoding of CSV/TSV/JSON Lines files (default: UTF-8, or UTF-16 when the file starts with
        its byte-order mark).
    progress : callable, optional
        ``progress(stage, done, total)`` in bytes while the file is hashed (the long part of reading a
        memory-mapped ``.npy``: 13 s for 15 GB).

    Returns
    -------
    LoadedData

    Raises
    ------
    DataError
        The file is empty, has a header only, is not a table, is binary or truncated, is in an
        unsupported format, is not UTF-8 text, is over ``max_bytes``, or holds Python objects.
    TypeError
        ``source`` is none of the accepted types.

    Examples
    --------
    >>> data = read_data(b"id,x,y\\n1,0.5,1.5\\n2,0.25,-1\\n", name="points.csv")
    >>> data.format, data.n_rows, numeric_columns(data)
    ('csv', 2, ['x', 'y'])
    """
    path, raw, name = _resolve_source(source, name)
    if max_bytes is not None and (not isinstance(max_bytes, (int, np.integer)) or isinstance(max_bytes, bool)
                                  or max_bytes <= 0):
        raise ValueError(f"max_bytes must be a positive number of bytes or None; got {max_bytes!r}.")
    size = os.path.getsize(path) if path is not None else len(raw)
    memory_mapped = path is not None and size > 0 and _head(path, None, 6) == b"\x93NUMPY"
    if max_bytes is not None and size > max_bytes and not memory_mapped:
        raise DataError(f"{name} is {format_bytes(size)}, over the {format_bytes(max_bytes)} limit; raise the "
                        "limit (--max-bytes, max_bytes=) or use a smaller file.", code="too_large")
    if size == 0:
        raise DataError(f"{name} is empty (0 bytes); choose the file that holds your data.", code="empty")
    head = _head(path, raw)
    digest = _sha256(path, raw, progress, name)
    reader = _Reader(name=name, path=path, raw=raw, head=head, size=size, max_bytes=max_bytes,
                     encoding=encoding)
    kind, frame, array = reader.read()
    n_rows = int(array.shape[0]) if array is not None else int(len(frame))
    return LoadedData(name=name, format=kind, frame=frame, array=array, n_rows=n_rows, sha256=digest,
                      path=str(path) if path is not None else None, n_bytes=int(size), headerless=reader.headerless,
                      column_block=reader.column_block)


def _resolve_source(source, name):
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        shown = name or path.name or str(source)
        if not path.exists():
            raise DataError(f"{shown}: no such file ({path}); check the path.", code="missing")
        if path.is_dir():
            raise DataError(f"{shown} is a folder, not a file; choose a file inside it.", code="not_a_table")
        return path, None, shown
    if isinstance(source, (bytes, bytearray, memoryview)):
        return None, bytes(source), name or "upload"
    if hasattr(source, "read"):
        shown = name or Path(str(getattr(source, "name", "") or "upload")).name
        if hasattr(source, "getvalue"):
            raw = source.getvalue()
        else:
            raw = source.read()
        if isinstance(raw, str):
            raise TypeError(f"{shown} was opened in text mode; open it in binary mode ('rb').")
        return None, bytes(raw), shown
    raise TypeError(f"source must be a path, bytes or a binary file; got {type(source).__name__}.")


def _head(path: Path | None, raw: bytes | None, amount: int = _SNIFF_BYTES) -> bytes:
    if raw is not None:
        return raw[:amount]
    with open(path, "rb") as handle:
        return handle.read(amount)


def _tail(path: Path | None, raw: bytes | None, amount: int) -> bytes:
    if raw is not None:
        return raw[-amount:]
    with open(path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(path) - amount))
        return handle.read()


def _sha256(path: Path | None, raw: bytes | None, progress=None, name: str = "") -> str:
    digest = hashlib.sha256()
    if raw is not None:
        digest.update(raw)
    else:
        size = os.path.getsize(path)
        done = 0
        with open(path, "rb", buffering=0) as handle:
            for block in iter(lambda: handle.read(8 << 20), b""):
                digest.update(block)
                done += len(block)
                if progress:
                    progress(f"hashing {name}", done, size)
    return digest.hexdigest()


def format_bytes(count: int) -> str:
    """``1536`` -> ``'1.5 KB'`` (powers of 1024)."""
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


def parse_size(text: str) -> int:
    """Read a size such as ``'500MB'``, ``'2G'``, ``'1.5 GiB'`` or ``'1000000'`` as bytes.

    Raises
    ------
    ValueError
        The text is not a size.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*", str(text), flags=re.IGNORECASE)
    if not match:
        raise ValueError(f"size {text!r} is not understood; write it like 500MB, 2GB or 1000000 (bytes).")
    number, unit = float(match.group(1)), match.group(2).lower()
    value = int(number * 1024 ** " kmgt".index(unit or " "))
    if value <= 0:
        raise ValueError(f"size {text!r} must be positive.")
    return value


class _LimitedReader(io.RawIOBase):
    """A decompressing stream that refuses to produce more than ``limit`` bytes (gzip bombs)."""

    def __init__(self, stream, limit: int | None, name: str):
        self._stream, self._limit, self._name, self._count = stream, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        self._count += len(data)
        if self._limit is not None and self._count > self._limit:
            raise DataError(f"{self._name} decompresses to more than {format_bytes(self._limit)}, over the size "
                            "limit; raise the limit (--max-bytes, max_bytes=) or use a smaller file.",
                            code="too_large")
        buffer[:len(data)] = data
        return len(data)


class _Reader:
    """Detects the format of one file and reads it; every failure becomes a :class:`DataError`."""

    def __init__(self, *, name, path, raw, head, size, max_bytes, encoding):
        self.name, self.path, self.raw, self.head = name, path, raw, head
        self.size, self.max_bytes, self.encoding = size, max_bytes, encoding
        self.headerless = False
        self.column_block = None
        lowered = name.lower()
        self.extension = next((ext for ext in (".csv.gz", ".tsv.gz", ".tab.gz", ".txt.gz", ".jsonl.gz",
                                               ".ndjson.gz", ".csv", ".tsv", ".tab", ".txt", ".jsonl",
                                               ".ndjson", ".json", ".parquet", ".pq", ".npy", ".npz", ".gz")
                               if lowered.endswith(ext)), Path(lowered).suffix)

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
                fix = ("it would need unpickling, which is never done for an upload; save the vectors with "
                       "numpy.save or as CSV" if "pickle" in what else f"save your data as {_SUPPORTED_TEXT}")
                raise DataError(f"{self.name} is {what}, not a supported format; {fix}.",
                                code="pickle" if "pickle" in what else "unsupported")
        if self.extension in (".npy", ".npz", ".parquet", ".pq", ".gz") and not _looks_like_text(head):
            kind = {".npy": "NumPy .npy", ".npz": "NumPy .npz", ".parquet": "Parquet", ".pq": "Parquet",
                    ".gz": "gzip"}[self.extension]
            raise DataError(f"{self.name} is not a valid {kind} file (its first bytes are not a {kind} header); "
                            "the file is damaged or has the wrong extension. Save it again.", code="binary")
        return self._read_text_file(self._text_opener(), compressed=False)

    # -- NumPy ------------------------------------------------------------------------------------

    def _read_npy(self):
        stream = open(self.path, "rb") if self.path is not None else io.BytesIO(self.raw)
        with stream:
            shape, fortran_order, dtype, offset = self._npy_header(stream, self.name)
        self._check_array_header(shape, dtype, self.name)
        expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if self.size < expected:
            raise DataError(f"{self.name} is truncated: its header promises {shape[0]} rows of {shape[1]} values "
                            f"({format_bytes(expected)}) but the file has {format_bytes(self.size)}. Write it again.",
                            code="truncated")
        try:
            if self.path is not None:
                array = np.load(self.path, mmap_mode="r", allow_pickle=False)
            else:
                # a read-only view of the bytes already in memory (an upload), not a second copy of them
                count = int(np.prod(shape, dtype=np.int64))
                array = np.frombuffer(self.raw, dtype=dtype, count=count, offset=offset).reshape(
                    shape, order="F" if fortran_order else "C")
        except _NPY_ERRORS as error:
            raise DataError(f"{self.name} could not be read as a .npy file ({_short(error)}); write it again "
                            "with numpy.save.", code="truncated") from error
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
                raise DataError(f"{name} holds Python objects, which would need unpickling; that is never done "
                                "for an upload. Save the vectors as a float array.", code="pickle") from error
            raise DataError(f"{name} has a damaged or truncated .npy header ({_short(error)}); write it again with "
                            "numpy.save.", code="truncated") from error
        return tuple(int(s) for s in shape), fortran_order, np.dtype(dtype), stream.tell()

    @staticmethod
    def _check_array_header(shape, dtype, name, *, member: str = ""):
        where = f"{name}{member}"
        if dtype.hasobject:
            raise DataError(f"{where} holds Python objects, which would need unpickling; that is never done for an "
                            "upload. Save the vectors as a float array (numpy.save(path, vectors.astype('float32'))).",
                            code="pickle")
        if dtype.kind not in "fiu" or dtype.fields is not None:
            raise DataError(f"{where} holds values of type {dtype}, not numbers; save float vectors.",
                            code="not_a_table")
        if len(shape) == 1:
            raise DataError(f"{where} holds a 1-D array of {shape[0]} values, not vectors; save a 2-D array of shape "
                            "(rows, dimensions), for example values.reshape(-1, 1).", code="not_a_table")
        if len(shape) != 2:
            raise DataError(f"{where} holds an array of shape {shape}; save a 2-D array of shape (rows, dimensions).",
                            code="not_a_table")
        if shape[0] == 0:
            raise DataError(f"{where} holds 0 rows; save at least one vector.", code="empty")
        if shape[1] == 0:
            raise DataError(f"{where} holds {shape[0]} rows of 0 values; save vectors with at least one "
                            "dimension.", code="empty")

    def _read_zip(self):
        stream = open(self.path, "rb") if self.path is not None else io.BytesIO(self.raw)
        with stream:
            try:
                archive = zipfile.ZipFile(stream)
                names = archive.namelist()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
                raise DataError(f"{self.name} is a damaged or truncated zip/.npz archive ({_short(error)}); "
                                "write it again with numpy.savez.", code="truncated") from error
            if any(n.startswith("xl/") for n in names) or "[Content_Types].xml" in names:
                raise DataError(f"{self.name} is an Excel or Office file, not a supported format; export the sheet "
                                "as CSV (File > Save As > CSV UTF-8).", code="unsupported")
            members = [n for n in names if n.endswith(".npy")]
            if not members:
                raise DataError(f"{self.name} is a zip archive without .npy arrays, not a supported format; save "
                                f"your data as {_SUPPORTED_TEXT}.", code="unsupported")
            headers = {}
            for member in members:
                key = member[:-4]
                try:
                    with archive.open(member) as handle:
                        shape, _, dtype, _ = self._npy_header(handle, f"{self.name}[{key}]")
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                    raise DataError(f"{self.name} is damaged or truncated (array {key!r}: {_short(error)}); write "
                                    "it again with numpy.savez.", code="truncated") from error
                if dtype.hasobject:
                    raise DataError(f"{self.name} array {key!r} holds Python objects, which would need unpickling; "
                                    "that is never done for an upload. Save float arrays only.", code="pickle")
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
                raise DataError(f"{self.name} is damaged or truncated ({_short(error)}); write it again with "
                                "numpy.savez.", code="truncated") from error
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
            raise DataError(f"{self.name} holds no 2-D numeric array (arrays: {', '.join(headers)}); save the vectors "
                            "as a 2-D array, e.g. numpy.savez(path, vectors=vectors).", code="not_a_table")
        raise DataError(f"{self.name} holds several 2-D arrays ({', '.join(matrices)}); keep one, or name the "
                        "vectors 'vectors' (numpy.savez(path, vectors=...)).", code="not_a_table")

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
            raise DataError(f"{self.name} is a truncated Parquet file (its footer is missing); write it again.",
                            code="truncated")
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
            raise DataError(f"{self.name} has columns ({_names(schema.names)}) but no rows; add rows.",
                            code="header_only")
        block_positions = self._parquet_block_positions(schema)
        try:
            block = np.empty((n_rows, len(block_positions)), dtype=np.float32) if block_positions else None
        except (MemoryError, ValueError) as error:
            raise DataError(f"{self.name} says it holds {n_rows:,} rows of {len(block_positions)} float columns, more "
                            "than this machine's memory; use a smaller file or a folder of shards.",
                            code="too_large") from error
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
                    table = parquet.read_row_group(group, columns=block_names[first:first + per_read])
                    if table.num_rows != rows:
                        raise ValueError(f"row group {group} holds {table.num_rows:,} rows, its footer says {rows:,}")
                    for offset, name in enumerate(block_names[first:first + per_read]):
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
        return DataError(f"{self.name} could not be read as Parquet ({_short(error)}); the file is damaged or "
                         "truncated; write it again.", code="truncated")

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
        positions = [position for position, item in enumerate(schema)
                     if patypes.is_floating(item.type) and item.name not in index_names]
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
            raise DataError(f"{self.name} has column types pandas cannot hold ({_short(error)}); write plain "
                            "numbers, text and lists.", code="unsupported") from error
        del table
        frame.columns = [str(column) for column in frame.columns]
        return frame

    # -- gzip -------------------------------------------------------------------------------------

    def _gzip_stream(self):
        stream = open(self.path, "rb") if self.path is not None else io.BytesIO(self.raw)
        return _LimitedReader(gzip.GzipFile(fileobj=stream, mode="rb"), self.max_bytes, self.name)

    def _read_gzip(self):
        try:
            with self._gzip_stream() as stream:
                inner = stream.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{self.name} is a damaged or truncated gzip file ({_short(error)}); compress it again.",
                            code="truncated") from error
        if not inner.strip():
            raise DataError(f"{self.name} is empty once decompressed; choose the file that holds your data.",
                            code="empty")
        for magic, what in (*_MAGIC, (b"\x93NUMPY", "a NumPy array"), (b"PAR1", "a Parquet file"),
                            (b"PK\x03\x04", "a zip archive"), (b"\x1f\x8b", "another gzip file")):
            if inner.startswith(magic):
                raise DataError(f"{self.name} holds {what} inside gzip; only CSV, TSV and JSON Lines are read "
                                "compressed. Decompress it first.", code="unsupported")
        self.head = inner
        return self._read_text_file(lambda: self._gzip_stream(), compressed=True)

    # -- text: CSV, TSV, JSON Lines -----------------------------------------------------------------

    def _text_opener(self) -> Callable[[], BinaryIO]:
        if self.path is not None:
            return lambda: open(self.path, "rb")
        return lambda: io.BytesIO(self.raw)

    def _resolve_encoding(self) -> str:
        if self.encoding:
            try:
                codecs.lookup(self.encoding)
            except LookupError as error:
                raise ValueError(f"encoding={self.encoding!r} is not a known text encoding; use e.g. 'utf-8', "
                                 "'utf-16' or 'cp1252'.") from error
            return self.encoding
        if self.head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if self.head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return "utf-8"

    def _decode_head(self, encoding: str) -> str:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(self.head, final=False)
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, encoding) from error

    def _encoding_error(self, error: UnicodeDecodeError, encoding: str) -> DataError:
        if not _looks_like_text(self.head):
            return self._binary_error()
        guess = ""
        try:
            self.head.decode("cp1252")
            guess = " It looks like Windows-1252/Latin-1 text: pass --encoding cp1252 (encoding='cp1252') or"
        except UnicodeDecodeError:
            guess = " Pass its encoding with --encoding (encoding=) or"
        byte = error.object[error.start:error.start + 1].hex() if isinstance(error.object, bytes) else "?"
        return DataError(f"{self.name} is not {encoding.upper().replace('-SIG', '')} text (byte 0x{byte} at offset "
                         f"{error.start} cannot be decoded).{guess} save it as UTF-8 (e.g. Excel: Save As > CSV UTF-8).",
                         code="encoding")

    def _binary_error(self) -> DataError:
        return DataError(f"{self.name} is a binary file, not one of the supported formats ({_SUPPORTED_TEXT}); "
                         "choose or export a table in one of them.", code="binary")

    def _read_text_file(self, opener, *, compressed: bool):
        if not compressed and not _looks_like_text(self.head) and not self.head.startswith(
                (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise self._binary_error()
        encoding = self._resolve_encoding()
        text = self._decode_head(encoding)
        stripped = text.lstrip("\ufeff \t\r\n")
        if not stripped:
            raise DataError(f"{self.name} holds only blank lines; choose the file that holds your data.", code="empty")
        suffix = ".gz" if compressed else ""
        if stripped[0] == "{":
            # gzip-compressed JSON Lines is read too; it is reported as jsonl
            return "jsonl", self._read_jsonl(opener, encoding), None
        if stripped[0] == "[" and self.extension.startswith((".json", ".jsonl", ".ndjson")):
            raise DataError(f"{self.name} is a JSON array, not JSON Lines; write one object per line "
                            "(pandas: frame.to_json(path, orient='records', lines=True)).", code="not_a_table")
        if stripped[0] == "<":
            raise DataError(f"{self.name} is an HTML/XML document, not a table; save your data as "
                            f"{_SUPPORTED_TEXT}.", code="not_a_table")
        sep = self._delimiter(stripped)
        first_line = next((line for line in stripped.splitlines() if line.strip()), "")
        if any(_looks_like_prose(cell) for cell in first_line.split(sep)):
            raise DataError(f"{self.name} does not look like a table: its first line is a sentence, not column names. "
                            "Add a header line (e.g. `text`) and save it as CSV, quoting cells that contain commas.",
                            code="not_a_table")
        kind = ("tsv" if sep == "\t" else "csv") + suffix
        frame = self._read_delimited(opener, sep, encoding, compressed)
        return kind, frame, None

    def _delimiter(self, text: str) -> str:
        first_line = next((line for line in text.splitlines() if line.strip()), "")
        if self.extension.startswith((".tsv", ".tab")):
            return "\t"
        if self.extension.startswith(".csv"):
            # the content wins over the name: tabs (or, as in European exports, semicolons) and no commas
            if "," not in first_line and "\t" in first_line:
                return "\t"
            if "," not in first_line and ";" in first_line:
                return ";"
            return ","
        tabs, commas, semicolons = first_line.count("\t"), first_line.count(","), first_line.count(";")
        if tabs and tabs >= commas:
            return "\t"
        if semicolons > commas:
            return ";"
        return ","

    def _read_delimited(self, opener, sep: str, encoding: str, compressed: bool) -> pd.DataFrame:
        common = dict(sep=sep, encoding=encoding, engine="c", skip_blank_lines=True)
        sample = self._pandas(lambda: pd.read_csv(opener(), nrows=_SAMPLE_ROWS, dtype=str, keep_default_na=False,
                                                  header=None, **common), encoding)
        if sample.shape[0] == 0 or sample.shape[1] == 0:
            raise DataError(f"{self.name} holds no table; choose the file that holds your data.", code="empty")
        first_row = [str(cell) for cell in sample.iloc[0].tolist()]
        headerless = all(_is_number(cell) for cell in first_row)
        self.headerless = headerless
        if headerless:
            names = [str(i) for i in range(sample.shape[1])]
            body = sample
        else:
            names = first_row
            body = sample.iloc[1:]
        if not headerless and sample.shape[0] == 1:
            raise DataError(f"{self.name} has a header ({_names(names)}) but no rows; add rows below the header.",
                            code="header_only")
        dtypes, na_values = self._column_types(names, body)

        def read(types):
            return pd.read_csv(opener(), header=None if headerless else 0, names=names if headerless else None,
                               dtype=types, keep_default_na=False, na_values=na_values, **common)

        # a column that looked numeric in the first rows may hold text further down: then read it again,
        # letting pandas infer the numeric columns
        text_only = {column: kind for column, kind in dtypes.items() if kind is str}
        frame = self._pandas(lambda: read(dtypes), encoding, fallback=lambda: read(text_only))
        frame.columns = [str(column) for column in frame.columns]
        if len(frame) == 0:
            raise DataError(f"{self.name} has a header ({_names(frame.columns)}) but no rows; add rows below the "
                            "header.", code="header_only")
        return frame

    def _column_types(self, names, body: pd.DataFrame):
        kinds = []
        for position in range(len(names)):
            values = body.iloc[:, position] if position < body.shape[1] else pd.Series([], dtype=str)
            kinds.append(_cell_kind(values))
        floats = sum(kind == "float" for kind in kinds)
        float_type = np.float32 if floats >= _FLOAT32_MIN_COLUMNS else np.float64
        dtypes, na_values = {}, {}
        for column, kind in zip(names, kinds):
            if kind == "float":
                dtypes[column] = float_type
                na_values[column] = _NA_TOKENS
            elif kind == "int":
                na_values[column] = _NA_TOKENS  # inferred: int64, or float64 when a cell is missing
            else:
                dtypes[column] = str
        return dtypes, na_values

    def _pandas(self, call, encoding, fallback=None):
        """Run a pandas reader, turning its errors into one-line messages."""
        try:
            return call()
        except DataError:
            raise
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, encoding) from error
        except pd.errors.EmptyDataError as error:
            raise DataError(f"{self.name} holds no table (only blank lines); choose the file that holds your data.",
                            code="empty") from error
        except pd.errors.ParserError as error:
            raise self._parser_error(error) from error
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DataError(f"{self.name} is a damaged or truncated gzip file ({_short(error)}); compress it again.",
                            code="truncated") from error
        except (ValueError, TypeError, OverflowError) as error:
            if fallback is not None:
                logger.debug("%s: reading again with inferred column types (%s)", self.name, error)
                return self._pandas(fallback, encoding)
            raise DataError(f"{self.name} could not be read as a table ({_short(error)}); check that it is "
                            f"{_SUPPORTED_TEXT}.", code="not_a_table") from error
        except OSError as error:
            raise DataError(f"{self.name} could not be read ({_short(error)}); the file is damaged or truncated.",
                            code="truncated") from error

    def _parser_error(self, error: Exception) -> DataError:
        text = " ".join(str(error).split())
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
        if match:
            expected, line, saw = match.groups()
            return DataError(f"{self.name} has ragged rows: line {line} has {saw} fields but the header has "
                             f"{expected}; fix that row (quote text that contains the delimiter).", code="ragged")
        match = re.search(r"EOF inside string starting at row (\d+)", text)
        if match:
            return DataError(f"{self.name} ends inside a quoted cell that starts on data row {match.group(1)}; the "
                             "file is truncated or a quote is not closed. Fix or re-export it.", code="truncated")
        return DataError(f"{self.name} could not be parsed as a table ({_short(error)}); check the delimiter and "
                         "quotes.", code="not_a_table")

    def _read_jsonl(self, opener, encoding: str) -> pd.DataFrame:
        import warnings

        def call():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with opener() as stream:
                    wrapper = io.TextIOWrapper(stream, encoding=encoding)
                    return pd.read_json(wrapper, lines=True, dtype=False, convert_dates=False)

        try:
            frame = call()
        except DataError:
            raise
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, encoding) from error
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise DataError(f"{self.name} is a damaged or truncated gzip file ({_short(error)}); compress it again.",
                            code="truncated") from error
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError,
                OSError) as error:
            raise self._jsonl_error(opener, encoding, error) from error
        if frame.shape[1] == 0:
            raise DataError(f"{self.name} holds only empty JSON objects; write one object with fields per line.",
                            code="empty")
        if len(frame) == 0:
            raise DataError(f"{self.name} holds no rows; write one JSON object per line.", code="header_only")
        frame.columns = [str(column) for column in frame.columns]
        return frame

    def _jsonl_error(self, opener, encoding, error) -> DataError:
        try:
            with opener() as stream:
                for number, line in enumerate(io.TextIOWrapper(stream, encoding=encoding), start=1):
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line)
                    except (ValueError, RecursionError):
                        return DataError(f"{self.name} is not valid JSON Lines: line {number} is not valid JSON "
                                         "(truncated or broken); fix that line.", code="not_a_table")
                    if not isinstance(value, dict):
                        return DataError(f"{self.name} is not a table: line {number} holds a JSON "
                                         f"{type(value).__name__}, not an object; write one object per line.",
                                         code="not_a_table")
        except DataError:
            raise
        except (UnicodeDecodeError, OSError, EOFError, zlib.error, ValueError):
            pass
        return DataError(f"{self.name} could not be read as JSON Lines ({_short(error)}); write one JSON object per "
                         "line.", code="not_a_table")


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32 or byte == 127)
    return control <= max(1, len(head) // 100)


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return False
    return np.isfinite(value) and bool(text.strip())


def _cell_kind(values: pd.Series) -> str:
    """'float', 'int' or 'text' for a sample of raw cells."""
    present = [value for value in values.tolist() if isinstance(value, str) and value.strip() not in _NA_TOKENS]
    if not present:
        return "text"
    integer = True
    for value in present:
        stripped = value.strip()
        if re.fullmatch(r"[-]?(0|[1-9]\d{0,17})", stripped):
            continue
        integer = False
        try:
            float(stripped)
        except ValueError:
            return "text"
        if re.fullmatch(r"[+-]?0\d+", stripped):  # zero-padded codes stay text
            return "text"
    return "int" if integer else "float"


def _looks_like_prose(header: str) -> bool:
    """A header cell that reads like a sentence (column names are short)."""
    header = header.strip().strip('"')
    return len(header) > 80 or len(header.split()) >= 6


def _names(columns, limit: int = 6) -> str:
    columns = [str(column) for column in columns]
    shown = ", ".join(columns[:limit])
    return shown + (f", … ({len(columns)} columns)" if len(columns) > limit else "")


def _short(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------------------------------
# Choosing columns


def _is_texty(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def _looks_like_id(name: str, series: pd.Series) -> bool:
    lowered = name.strip().lower()
    if lowered in _ID_NAMES or lowered.endswith("_id") or lowered.startswith("unnamed:"):
        return True
    if pd.api.types.is_integer_dtype(series) and len(series) > 1:
        values = series.to_numpy()
        steps = np.diff(values)
        return bool(len(steps) and (steps == 1).all() and values[0] in (0, 1))
    return False


def numeric_columns(data: LoadedData, *, include_ids: bool = False) -> list[str]:
    """Columns that can be vector dimensions: numeric (float or int, not bool), in file order.

    Parameters
    ----------
    data : LoadedData
    include_ids : bool, default=False
        Also list columns that name rows or carry labels (``id``, ``*_id``, ``index``, ``label``,
        ``class``, ``Unnamed: 0``, ``gio_*``, or integers counting 0, 1, 2, …), which are left out by
        default so that "all numeric columns" means the features.

    Returns
    -------
    list of str
    """
    names = []
    for column in data.frame.columns:
        series = data.frame[column]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            continue
        if not include_ids and _looks_like_id(str(column), series):
            continue
        names.append(str(column))
    return names


def _first_values(series: pd.Series, amount: int = 20) -> list:
    values = []
    for value in series.head(max(amount * 5, 100)).tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, str) and not value.strip():
            continue
        values.append(value)
        if len(values) >= amount:
            break
    return values


_VECTOR_STRING = re.compile(r"\s*\[\s*[-+0-9.eEinfatyINFATY]+(?:\s*,?\s*[-+0-9.eEinfatyINFATY]+)*\s*,?\s*\]\s*")


def _is_vector_value(value) -> bool:
    if isinstance(value, str):
        return bool(_VECTOR_STRING.fullmatch(value))
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            return False
        return array.ndim == 1 and array.size > 0 and array.dtype.kind in "fiu"
    return False


def vector_list_columns(data: LoadedData) -> list[str]:
    """Columns holding one vector per row: ``"[0.1, -0.5, ...]"`` strings or lists/arrays of numbers.

    Judged from the first non-empty values of each column.
    """
    names = []
    for column in data.frame.columns:
        series = data.frame[column]
        if not _is_texty(series):
            continue
        values = _first_values(series)
        if values and all(_is_vector_value(value) for value in values):
            names.append(str(column))
    return names


def text_columns(data: LoadedData) -> list[str]:
    """Columns of text (strings that are not vectors), in file order, best guess for prose first.

    A column named ``text`` comes first; the others follow by their mean length in the first rows,
    longest first, so sentences come before ids and labels.
    """
    vectors = set(vector_list_columns(data))
    scored = []
    for position, column in enumerate(data.frame.columns):
        series = data.frame[column]
        if str(column) in vectors or not _is_texty(series):
            continue
        values = [value for value in _first_values(series, 200) if isinstance(value, str)]
        if not values:
            continue
        mean_length = float(np.mean([len(value) for value in values]))
        scored.append((str(column).lower() != "text", -mean_length, position, str(column)))
    return [column for *_, column in sorted(scored)]


def _check_column(data: LoadedData, column: str, role: str) -> None:
    if column not in data.columns:
        raise DataError(f"{data.name} has no column `{column}` (for {role}); its columns are {_names(data.columns, 12)}.",
                        code="column")


def extract_vectors(data: LoadedData, *, columns: Sequence[str] | None = None,
                    vector_column: str | None = None) -> NDArray[np.float32]:
    """The vectors of one file as a float32 matrix (NaN/inf are kept; :func:`prepare_vectors` checks them).

    Parameters
    ----------
    data : LoadedData
    columns : sequence of str, optional
        Numeric columns forming the vector.
    vector_column : str, optional
        A column holding a whole vector per row (``"[0.1, -0.5]"`` strings or lists).

    Without either: a ``.npy``/``.npz`` array; else the only vector column; else every numeric column
    (:func:`numeric_columns`).

    Returns
    -------
    ndarray of float32, shape (n_rows, d)
        For a float32 ``.npy`` read from a path, the memory map itself (no copy); for another dtype, a
        float32 copy converted chunk by chunk (the file is never held whole in its own dtype). For the
        float columns of a wide Parquet table, their shared float32 block, read-only (no copy).

    Raises
    ------
    DataError
        A column is missing or not numeric, vectors have different lengths or hold non-numbers, or
        the file holds no vectors (text only: embed it with ``prepare_vectors(text_column=...)``).
    """
    if columns is not None and vector_column is not None:
        raise ValueError("pass columns= or vector_column=, not both; they are two ways to say where the vectors are.")
    if data.array is not None:
        if columns is not None or vector_column is not None:
            raise DataError(f"{data.name} is a {data.format} array: its vectors have no columns to choose; leave "
                            "columns/vector column empty.", code="column")
        return _as_float32(data.array)
    if vector_column is not None:
        _check_column(data, vector_column, "the vector column")
        return _parse_vector_column(data, vector_column)
    if columns is not None:
        columns = [str(column) for column in columns]
        if not columns:
            raise DataError(f"{data.name}: the list of columns is empty; name at least one numeric column.",
                            code="column")
        for column in columns:
            _check_column(data, column, "the vector columns")
        numeric = set(numeric_columns(data, include_ids=True))
        bad = [column for column in columns if column not in numeric]
        if bad:
            raise DataError(f"{data.name}: column(s) {_names(bad)} are not numeric; choose numeric columns "
                            f"({_names(numeric_columns(data), 12) or 'none'}) or use a vector or text column.",
                            code="column")
        return _columns_to_float32(data, columns)
    vectors = vector_list_columns(data)
    if len(vectors) == 1:
        return _parse_vector_column(data, vectors[0])
    if len(vectors) > 1:
        raise DataError(f"{data.name} has several vector columns ({_names(vectors)}); choose one (--vector-column).",
                        code="column")
    numeric = numeric_columns(data)
    if numeric:
        return _columns_to_float32(data, numeric)
    texts = text_columns(data)
    hint = f"; embed its text column (--text-column {texts[0]})" if texts else ""
    raise DataError(f"{data.name} has no numeric or vector columns{hint}.", code="column")


def _as_float32(array) -> NDArray[np.float32]:
    if isinstance(array, np.ndarray) and array.dtype == np.float32:
        return array
    from .largefiles import to_float32

    # chunk by chunk: a float64 .npy is never held whole as float64 beside its float32 copy
    return to_float32(array)


def _columns_to_float32(data: LoadedData, columns: list[str]) -> NDArray[np.float32]:
    """Numeric columns as a float32 matrix: the Parquet float block itself (read-only, no copy) when the columns
    are exactly its columns, else a copy."""
    if data.column_block is not None:
        names, block = data.column_block
        if tuple(columns) == tuple(names):
            view = block.view()
            view.flags.writeable = False  # the frame's columns share this memory
            return view
        where = {name: position for position, name in enumerate(names)}
        if all(column in where for column in columns):
            return np.ascontiguousarray(block[:, [where[column] for column in columns]])
    return _frame_to_float32(data.frame, columns)


def _frame_to_float32(frame: pd.DataFrame, columns: list[str]) -> NDArray[np.float32]:
    out = np.empty((len(frame), len(columns)), dtype=np.float32)
    for position, column in enumerate(columns):
        out[:, position] = frame[column].to_numpy(dtype=np.float32, na_value=np.nan)
    return out


def _parse_vector_column(data: LoadedData, column: str) -> NDArray[np.float32]:
    series = data.frame[column]
    values = series.tolist()
    width = None
    for row, value in enumerate(values):
        if isinstance(value, str) and not value.strip():
            continue
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        width = _vector_width(value, data.name, column, row)
        first_row = row
        break
    if width is None:
        raise DataError(f"{data.name}: column `{column}` holds no vectors (every cell is empty); choose another column.",
                        code="empty")
    if width == 0:
        raise DataError(f"{data.name}: column `{column}` holds empty vectors ([]); write the vectors' values.",
                        code="ragged")
    out = np.empty((len(values), width), dtype=np.float32)
    for start in range(0, len(values), _PARSE_CHUNK_ROWS):
        chunk = values[start:start + _PARSE_CHUNK_ROWS]
        fast = _parse_vector_chunk_fast(chunk, width)
        if fast is None:  # something is off in this chunk: the row-by-row parser says what and where
            fast = _parse_vector_chunk(chunk, width, data.name, column, start, first_row)
        out[start:start + len(chunk)] = fast
    return out


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _parse_vector_chunk_fast(chunk: list, width: int) -> NDArray[np.float32] | None:
    """Parse a chunk of well-formed vectors in C; None when any row needs the careful parser."""
    first = next((value for value in chunk if not _is_missing(value)), None)
    if first is None:
        return None
    if isinstance(first, (np.ndarray, list, tuple)):
        try:
            rows = [np.full(width, np.nan) if _is_missing(value) else value for value in chunk]
            if any(len(row) != width for row in rows):
                return None
            stacked = np.asarray(np.stack(rows), dtype=np.float32) if rows else np.empty((0, width), np.float32)
        except (TypeError, ValueError):
            return None
        return stacked if stacked.shape == (len(chunk), width) else None
    if not isinstance(first, str):
        return None
    inner = []
    for value in chunk:
        if _is_missing(value):
            inner.append("")
            continue
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text:
            inner.append("")
            continue
        if text[0] != "[" or text[-1] != "]":
            return None
        body = text[1:-1]
        if body.count(",") != width - 1:  # whitespace-separated, trailing commas, ragged: careful parser
            return None
        inner.append(body)
    try:
        parsed = pd.read_csv(io.StringIO("\n".join(inner)), header=None, sep=",", dtype=np.float32, engine="c",
                             skip_blank_lines=False, skipinitialspace=True, keep_default_na=False,
                             na_values=["", "nan", "NaN", "NAN", "-nan", "null", "None"])
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    values = parsed.to_numpy(dtype=np.float32)
    return values if values.shape == (len(chunk), width) else None


def _vector_width(value, name, column, row) -> int:
    if isinstance(value, str):
        inner = value.strip().removeprefix("[").removesuffix("]").strip().rstrip(",")
        if not inner:
            return 0
        return len(inner.split(",")) if "," in inner else len(inner.split())
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value)
    raise DataError(f"{name}: column `{column}` row {row + 1} holds {type(value).__name__} {str(value)[:30]!r}, not a "
                    "vector; choose a column of vectors like [0.1, -0.5].", code="column")


def _parse_vector_chunk(chunk: list, width: int, name: str, column: str, offset: int, first_row: int):
    rows = np.full((len(chunk), width), np.nan, dtype=np.float32)
    for position, value in enumerate(chunk):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue  # a missing vector is a NaN row, counted with the others
        if isinstance(value, str):
            inner = value.strip()
            if not inner:
                continue
            if not (inner.startswith("[") and inner.endswith("]")):
                raise DataError(f"{name}: column `{column}` row {offset + position + 1} holds {inner[:30]!r}, not a "
                                "vector like [0.1, -0.5]; fix that cell.", code="column")
            inner = inner[1:-1].strip().rstrip(",")
            parts = inner.split(",") if "," in inner else inner.split()
            parsed = _floats(parts)
        elif isinstance(value, (list, tuple, np.ndarray)):
            parsed = _floats(list(value))
        else:
            raise DataError(f"{name}: column `{column}` row {offset + position + 1} holds {type(value).__name__} "
                            f"{str(value)[:30]!r}, not a vector; fix that cell.", code="column")
        if parsed is None:
            raise DataError(f"{name}: column `{column}` row {offset + position + 1} holds a value that is not a number; "
                            "fix that cell.", code="column")
        if len(parsed) != width:
            raise DataError(f"{name}: vectors in column `{column}` have different lengths: row {first_row + 1} has "
                            f"{width} values, row {offset + position + 1} has {len(parsed)}; make them all the same "
                            "length.", code="ragged")
        rows[position] = parsed
    return rows


def _floats(parts: list):
    try:
        return np.asarray([float(part) if part is not None else np.nan for part in parts], dtype=np.float64)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------------
# Pool and target together


def _finite_rows(matrix) -> NDArray[np.bool_]:
    from .largefiles import release_pages

    keep = np.empty(matrix.shape[0], dtype=bool)
    chunk = 65_536
    for start in range(0, matrix.shape[0], chunk):
        view = matrix[start:start + chunk]
        keep[start:start + chunk] = np.isfinite(view).all(axis=1)
        release_pages(view)  # a memory-mapped pool stays out of the resident set
    return keep


def _default_source(data: LoadedData) -> tuple[str, Any]:
    if data.array is not None:
        return "array", None
    vectors = vector_list_columns(data)
    if len(vectors) == 1:
        return "vector_column", vectors[0]
    if len(vectors) > 1:
        raise DataError(f"{data.name} has several vector columns ({_names(vectors)}); choose one (--vector-column).",
                        code="column")
    numeric = numeric_columns(data)
    if numeric:
        return "columns", tuple(numeric)
    texts = text_columns(data)
    if texts:
        return "text_column", texts[0]
    raise DataError(f"{data.name} has no numeric, vector or text columns to build vectors from; check the file.",
                    code="column")


def prepare_vectors(pool: LoadedData, target: LoadedData, *, columns: Sequence[str] | None = None,
                    vector_column: str | None = None, text_column: str | None = None,
                    text_model: str | None = None, drop_nonfinite: bool = False, k: int | None = None,
                    progress: Callable[[str, int, int], object] | None = None) -> PreparedVectors:
    """Pool and target vectors in one space, checked.

    Parameters
    ----------
    pool, target : LoadedData
    columns : sequence of str, optional
        Numeric columns forming the vector, in both files.
    vector_column : str, optional
        A column holding a vector per row, in both files.
    text_column : str, optional
        A text column to embed (both files share one embedding space).
    text_model : {'tfidf', 'minilm'}, optional
        Text model for ``text_column`` (default: :func:`gio_core.embed.default_text_model`).
    drop_nonfinite : bool, default=False
        Drop rows with NaN or inf (counted in the result) instead of raising.
    k : int, optional
        When given, check that the target keeps at least ``k + 1`` rows.
    progress : callable, optional
        ``progress(stage, done, total)`` while embedding text.

    Without ``columns``/``vector_column``/``text_column`` the pool decides: its array, its only vector
    column, its numeric columns, else its best text column; the target must have the same.

    When exactly one of the two files has column names and the other has none (a bare ``.npy``/``.npz``
    array, or a CSV without a header line), the nameless file's columns are matched to the named file's
    vector columns by position, in order: the named file's ``columns``/``vector_column`` when it has
    them, else its default choice (numeric columns without ids and labels, or its only vector column).
    The widths must agree. :attr:`PreparedVectors.description` says so ("target columns matched to the
    pool's by position"), and the module's logger logs it at INFO.

    Returns
    -------
    PreparedVectors

    Raises
    ------
    DataError
        Dimension mismatch (also of a file matched by position), NaN/inf rows (unless
        ``drop_nonfinite``), empty text column, missing columns, too few target rows for ``k``, an
        unavailable text model, a text-only table against a file without column names.

    Examples
    --------
    >>> import io
    >>> pool = read_data(b"id,f0,f1\\na,0.1,0.2\\nb,0.3,0.4\\nc,0.5,0.6\\n", name="pool.csv")
    >>> buffer = io.BytesIO(); np.save(buffer, np.ones((2, 2), dtype=np.float32))
    >>> prepare_vectors(pool, read_data(buffer.getvalue(), name="target.npy")).description
    "2 numeric columns (f0, f1); target columns matched to the pool's by position (target.npy has no column names)"
    """
    given = [option for option in (columns, vector_column, text_column) if option is not None]
    if len(given) > 1:
        raise ValueError("pass only one of columns=, vector_column= and text_column=; they are different ways to "
                         "say where the vectors are.")
    text_used = None
    matched = text_column is None and pool.has_column_names != target.has_column_names
    target_choice = None
    if matched and not pool.has_column_names and (columns is not None or vector_column is not None):
        target_choice = {"columns": None if columns is None else [str(column) for column in columns],
                         "vector_column": vector_column}
    if matched:
        pool_vectors, target_vectors, source, choice, description = _vectors_by_position(
            pool, target, columns=columns, vector_column=vector_column)
        columns = choice if source == "columns" else None
        vector_column = choice if source == "vector_column" else None
    else:
        if text_column is None and columns is None and vector_column is None:
            source, choice = _default_source(pool)
            if source == "columns":
                columns = list(choice)
                missing = [column for column in columns if column not in target.columns]
                if missing:
                    raise DataError(f"{target.name} lacks column(s) {_names(missing)} that {pool.name} uses as vector "
                                    f"dimensions ({_describe_columns(columns)} in the pool, "
                                    f"{len(numeric_columns(target))} in the target); name the shared columns "
                                    "(--columns) or give both files the same columns.", code="dimension")
            elif source == "vector_column":
                vector_column = choice
            elif source == "text_column":
                text_column = choice
        if text_column is not None:
            pool_vectors, target_vectors, text_used, description = _embed(pool, target, text_column, text_model,
                                                                          progress)
            source = "text_column"
        else:
            pool_vectors = extract_vectors(pool, columns=columns, vector_column=vector_column)
            target_vectors = extract_vectors(target, columns=columns, vector_column=vector_column)
            if vector_column is not None:
                source = "vector_column"
                description = f"vector column `{vector_column}` ({pool_vectors.shape[1]}-d)"
            elif columns is not None:
                source = "columns"
                description = _describe_columns(list(columns))
            else:
                source = "array"
                description = f"{pool.format} array ({pool_vectors.shape[1]}-d)"
    if pool_vectors.shape[1] != target_vectors.shape[1]:
        raise DataError(f"{pool.name} has {pool_vectors.shape[1]}-d vectors but {target.name} has "
                        f"{target_vectors.shape[1]}-d; embed both with the same model or pick the same columns.",
                        code="dimension")
    pool_vectors, pool_rows, pool_bad = _handle_nonfinite(pool_vectors, pool, drop_nonfinite)
    target_vectors, target_rows, target_bad = _handle_nonfinite(target_vectors, target, drop_nonfinite)
    if k is not None:
        check_target_rows_for_k(target_vectors.shape[0], k, target.name, dropped=target_bad)
    return PreparedVectors(pool=pool_vectors, target=target_vectors, description=description, text_model=text_used,
                           pool_nonfinite_rows=pool_bad, target_nonfinite_rows=target_bad, pool_rows=pool_rows,
                           target_rows=target_rows, source=source,
                           columns=tuple(columns) if source == "columns" else (),
                           vector_column=vector_column if source == "vector_column" else None,
                           text_column=text_column if source == "text_column" else None,
                           matched_by_position=matched, target_choice=target_choice)


#: What the description of vectors matched by position says (the CLI prints it; the app shows it).
_POSITION_NOTE = "target columns matched to the pool's by position"


def _holds_choice(data: LoadedData, columns, vector_column) -> bool:
    """The file has every column asked for (``columns`` or ``vector_column``)."""
    if data.array is not None:
        return False
    if columns is not None:
        return all(str(column) in data.columns for column in columns)
    return vector_column is not None and vector_column in data.columns


def _side_choice(data: LoadedData, columns, vector_column) -> tuple[str, Any]:
    """Where one file's vectors are when it is matched by position: the columns asked for when it has them all,
    else its default (:func:`_default_source`)."""
    if data.array is not None:
        return "array", None
    if _holds_choice(data, columns, vector_column):
        return ("columns", tuple(str(column) for column in columns)) if columns is not None else \
            ("vector_column", vector_column)
    return _default_source(data)


def _side_vectors(data: LoadedData, source: str, choice) -> tuple[NDArray[np.float32], str]:
    """One side's vectors and their description, for a choice from :func:`_side_choice`."""
    if source == "text_column":
        raise DataError(f"{data.name} has no numeric or vector columns (only text, such as `{choice}`), so it cannot "
                        "be matched by position to a file without column names; give it its vectors as numeric columns "
                        "or a vector column, or give both files as tables with the text column.", code="column")
    if source == "array":
        vectors = extract_vectors(data)
        return vectors, f"{data.format} array ({vectors.shape[1]}-d)"
    if source == "vector_column":
        vectors = extract_vectors(data, vector_column=choice)
        return vectors, f"vector column `{choice}` ({vectors.shape[1]}-d)"
    return extract_vectors(data, columns=list(choice)), _describe_columns(list(choice))


def _width_fix(named_name: str, bare_name: str, named_width: int, bare_width: int, *, by_columns: bool,
               can_choose: bool = True) -> str:
    """What to do when a file without column names is not as wide as the other file's vectors."""
    save = f"save {bare_name} with {named_width} columns"
    if not by_columns:
        return f"give both files vectors of the same dimension (the same embedding model), or {save}"
    if can_choose:
        return f"name {bare_width} of {named_name}'s numeric columns, in {bare_name}'s order (--columns), or {save}"
    return save


def _vectors_by_position(pool: LoadedData, target: LoadedData, *, columns, vector_column):
    """Pool and target vectors when exactly one of the two files has column names: the other file's columns are
    matched to the named file's vector columns (its chosen or default ones) by position, in order.

    Returns ``(pool_vectors, target_vectors, source, choice, description)``, ``source`` and ``choice`` saying
    where the pool's vectors are.
    """
    named, bare = (pool, target) if pool.has_column_names else (target, pool)
    if (columns is not None or vector_column is not None) and not any(
            _holds_choice(data, columns, vector_column) for data in (named, bare)):
        # neither file has the columns asked for: extract_vectors names the missing ones and lists those there are
        extract_vectors(named, columns=columns, vector_column=vector_column)
    sides = {}
    for data in (named, bare):
        source, choice = _side_choice(data, columns, vector_column)
        sides[id(data)] = (source, choice, *_side_vectors(data, source, choice))
    pool_source, pool_choice, pool_vectors, pool_description = sides[id(pool)]
    _, _, target_vectors, target_description = sides[id(target)]
    named_width, bare_width = sides[id(named)][2].shape[1], sides[id(bare)][2].shape[1]
    what = "a bare array" if bare.array is not None else "a table without a header line"
    if named_width != bare_width:
        fix = _width_fix(named.name, bare.name, named_width, bare_width, by_columns=sides[id(named)][0] == "columns",
                         can_choose=len(numeric_columns(named, include_ids=True)) >= bare_width)
        raise DataError(f"{bare.name} is {what} with {bare_width} columns, matched by position to the {named_width} "
                        f"vector dimensions of {named.name} ({sides[id(named)][3]}), so the widths must agree; {fix}.",
                        code="dimension")
    logger.info("%s is %s: its %d columns are matched to %s's vector columns (%s) by position", bare.name, what,
                bare_width, named.name, sides[id(named)][3])
    if bare is target:
        description = f"{pool_description}; {_POSITION_NOTE} ({target.name} has no column names)"
    else:
        description = f"{pool_description}; {_POSITION_NOTE} ({target.name}: {target_description})"
    return pool_vectors, target_vectors, pool_source, pool_choice, description


def _describe_columns(columns: list[str]) -> str:
    if len(columns) == 1:
        return f"1 numeric column ({columns[0]})"
    if len(columns) <= 4:
        return f"{len(columns)} numeric columns ({', '.join(columns)})"
    return f"{len(columns)} numeric columns ({columns[0]} … {columns[-1]})"


def _texts(data: LoadedData, column: str) -> list[str]:
    _check_column(data, column, "the text column")
    series = data.frame[column]
    if not _is_texty(series):
        raise DataError(f"{data.name}: column `{column}` holds {series.dtype} values, not text; choose a text column "
                        f"({_names(text_columns(data)) or 'none'}).", code="column")
    values = ["" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
              for value in series.tolist()]
    if not any(value.strip() for value in values):
        raise DataError(f"{data.name}: text column `{column}` is empty (every cell is blank); choose the column that "
                        "holds the text.", code="empty_text")
    return values


def _embed(pool, target, column, text_model, progress):
    from . import embed

    pool_texts = _texts(pool, column)
    target_texts = _texts(target, column)
    try:
        pool_vectors, target_vectors, model = embed.embed_texts(pool_texts, target_texts, model=text_model,
                                                                progress=progress)
    except DataError:
        raise
    except ValueError as error:
        raise DataError(str(error), code="text_model") from error
    description = f"text column `{column}` embedded with {model} ({pool_vectors.shape[1]}-d)"
    return pool_vectors, target_vectors, model, description


def _handle_nonfinite(vectors, data: LoadedData, drop: bool):
    keep = _finite_rows(vectors)
    bad = int((~keep).sum())
    if bad == 0:
        return vectors, np.arange(vectors.shape[0], dtype=np.int64), 0
    if not drop:
        first = int(np.flatnonzero(~keep)[0]) + 1
        raise DataError(f"{data.name}: {bad:,} of {vectors.shape[0]:,} rows have NaN, inf or missing values (first: "
                        f"row {first}); drop them (--drop-nonfinite) or fix the file.", code="nonfinite",
                        nonfinite_rows=bad)
    rows = np.flatnonzero(keep).astype(np.int64)
    if len(rows) == 0:
        raise DataError(f"{data.name}: all {vectors.shape[0]:,} rows have NaN, inf or missing values; fix the file.",
                        code="nonfinite", nonfinite_rows=bad)
    return np.ascontiguousarray(vectors[rows], dtype=np.float32), rows, bad


def check_target_rows_for_k(n_target: int, k: int, name: str, *, dropped: int = 0) -> None:
    """Raise a :class:`DataError` when a target of ``n_target`` rows is too small for ``k``.

    The k-NN estimator needs ``k + 1`` target rows (each target row's k-th neighbour among the others).
    """
    if n_target < k + 1:
        after = f" after dropping {dropped} with NaN/inf" if dropped else ""
        raise DataError(f"{name} has {n_target} target row(s){after}; k={k} needs at least k+1={k + 1}. Lower k "
                        "(--k) or add target rows.", code="too_few_target_rows")


# --------------------------------------------------------------------------------------------------
# Folders (or globs) of Parquet shards


@dataclass(frozen=True)
class ParquetDataset:
    """A pool stored as Parquet shards (a folder or a glob), listed and checked but not read.

    Rows are numbered in (sorted file name, row) order: that number is ``gio_row`` in every engine.

    Attributes
    ----------
    name : str
        The folder or glob as given, for messages.
    files : tuple of str
        The shards, sorted by path.
    row_counts : tuple of int
        Rows of each shard (from its footer).
    n_rows : int
    n_bytes : int
        Bytes of all shards.
    sha256 : str
        SHA-256 of the listing (each shard's relative name, size and row count): pins the input in a
        manifest without reading every byte of a pool that may be terabytes.
    schema : pyarrow.Schema
        The first shard's schema.
    format : str, default='parquet shards'
    """

    name: str
    files: tuple
    row_counts: tuple
    n_rows: int
    n_bytes: int
    sha256: str
    schema: Any = field(repr=False)
    path: str | None = None
    format: str = "parquet shards"

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    @property
    def offsets(self) -> NDArray[np.int64]:
        """Global number of each shard's first row."""
        return np.concatenate([[0], np.cumsum(self.row_counts)[:-1]]).astype(np.int64)


@dataclass(frozen=True)
class ShardVectors:
    """Where a :class:`ParquetDataset`'s vectors are: one list column or numeric columns.

    Attributes
    ----------
    width : int
        Vector dimension.
    vector_column : str or None
    columns : tuple of str
    description : str
    """

    width: int
    vector_column: str | None
    columns: tuple
    description: str

    @property
    def source(self) -> str:
        return "vector_column" if self.vector_column is not None else "columns"

    def choice(self) -> dict:
        return {"columns": list(self.columns) if self.vector_column is None else None,
                "vector_column": self.vector_column, "text_column": None, "text_model": None}

    def description_for(self, target: LoadedData) -> str:
        """:attr:`description`, saying so when ``target`` has no column names (a bare array or a table without a
        header) and :func:`target_vectors` matches its columns to these by position."""
        if target.has_column_names:
            return self.description
        return f"{self.description}; {_POSITION_NOTE} ({target.name} has no column names)"

    def rows(self, dataset: ParquetDataset):
        """A :class:`gio_core.largefiles.ParquetShards` reading these vectors in chunks."""
        from .largefiles import ParquetShards

        return ParquetShards(dataset.files, self.width, columns=self.columns or None, vector_column=self.vector_column)


_GLOB_CHARACTERS = set("*?[")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet_dataset(source) -> bool:
    """True for a folder, a glob pattern or a URI (``hdfs://``, ``s3a://``, ``file://``): a pool of Parquet
    shards; False for one local file or bytes."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    text = str(source)
    return "://" in text or Path(text).is_dir() or (bool(_GLOB_CHARACTERS & set(text)) and not Path(text).exists())


def _remote(uri: str):
    """pyarrow's file system and path for a URI; Hadoop's s3a:// and s3n:// are pyarrow's s3://."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(re.sub(r"^s3[an]://", "s3://", uri))
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for unknown or unreachable schemes
        raise DataError(f"{uri}: cannot open that location from here ({_short(error)}); check the URI, or copy the "
                        "shards to a local folder.", code="missing") from error


def _is_shard_name(relative: str) -> bool:
    parts = relative.replace("\\", "/").split("/")
    return parts[-1].lower().endswith(_PARQUET_SUFFIXES) and not any(part.startswith(("_", ".")) for part in parts)


def list_parquet_shards(source: str | os.PathLike) -> list[str]:
    """The Parquet files of a folder (recursively; names starting with ``_`` or ``.`` skipped), a glob or a
    URI of a folder or file, sorted."""
    import glob

    text = str(source)
    if "://" in text:
        from pyarrow import fs

        filesystem, path = _remote(text)
        scheme, rest = text.split("://", 1)
        root = rest[:len(rest) - len(path.lstrip("/"))] if rest.endswith(path.lstrip("/")) else ""
        if scheme == "file":  # a local folder spelled as a URI
            return list_parquet_shards(path)
        info = filesystem.get_file_info(path)
        if info.type == fs.FileType.File:
            return [text]
        if info.type != fs.FileType.Directory:
            return []
        found = [item.path for item in filesystem.get_file_info(fs.FileSelector(path, recursive=True))
                 if item.type == fs.FileType.File and _is_shard_name(item.path[len(path):].lstrip("/"))]
        return sorted(f"{scheme}://{root}{item.lstrip('/')}" for item in found)
    if Path(text).is_dir():
        found = [str(path) for path in Path(text).rglob("*") if path.is_file()
                 and path.name.lower().endswith(_PARQUET_SUFFIXES)
                 and not any(part.startswith(("_", ".")) for part in path.relative_to(text).parts)]
    else:
        found = [path for path in glob.glob(text, recursive=True) if Path(path).is_file()]
    return sorted(found)


def open_parquet_dataset(source: str | os.PathLike, *, name: str | None = None) -> ParquetDataset:
    """List and check a folder or glob of Parquet shards (footers only; no rows are read).

    Parameters
    ----------
    source : str or PathLike
        A folder (its ``*.parquet``/``*.pq`` files, recursively) or a glob such as ``data/part-*.parquet``.
    name : str, optional
        Shown in messages (default: ``source``).

    Returns
    -------
    ParquetDataset

    Raises
    ------
    DataError
        No Parquet files, a damaged shard, or no rows at all.

    Examples
    --------
    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> folder = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"x": [1.0, 2.0]}), f"{folder}/part-0.parquet")
    >>> open_parquet_dataset(folder).n_rows
    2
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    shown = name or str(source)
    files = list_parquet_shards(source)
    if not files:
        where = "folder" if Path(str(source)).is_dir() else "pattern"
        raise DataError(f"{shown}: the {where} holds no Parquet files (*.parquet); point --pool at the folder or glob "
                        "of the shards.", code="empty")
    digest = hashlib.sha256()
    counts, total_bytes, schema = [], 0, None
    root = str(source) if "://" in str(source) or Path(str(source)).is_dir() else os.path.dirname(str(source))
    for path in files:
        try:
            metadata = _read_metadata(path)
            if schema is None:
                schema = _read_schema(path)
        except (pa.ArrowException, OSError) as error:
            raise DataError(f"{Path(path).name} (in {shown}) could not be read as Parquet ({_short(error)}); the shard "
                            "is damaged or truncated; write it again.", code="truncated") from error
        size = _file_size(path)
        counts.append(int(metadata.num_rows))
        total_bytes += size
        relative = path[len(root):].lstrip("/") if path.startswith(root) else os.path.relpath(path, root or ".")
        digest.update(f"{relative}\t{size}\t{metadata.num_rows}\n".encode())
    if sum(counts) == 0:
        raise DataError(f"{shown}: its {len(files)} Parquet file(s) hold no rows; add rows.", code="header_only")
    return ParquetDataset(name=shown, files=tuple(files), row_counts=tuple(counts), n_rows=int(sum(counts)),
                          n_bytes=int(total_bytes), sha256=digest.hexdigest(), schema=schema, path=str(source))


def _read_footer(path: str, read):
    """``read(file)`` (pyarrow's read_metadata or read_schema) on a local path or a remote URI."""
    if "://" in path:
        filesystem, inner = _remote(path)
        with filesystem.open_input_file(inner) as handle:
            return read(handle)
    return read(path)


def _read_metadata(path: str):
    import pyarrow.parquet as pq

    return _read_footer(path, pq.read_metadata)


def _read_schema(path: str):
    import pyarrow.parquet as pq

    return _read_footer(path, pq.read_schema)


def _file_size(path: str) -> int:
    if "://" in path:
        filesystem, inner = _remote(path)
        return int(filesystem.get_file_info(inner).size)
    return os.path.getsize(path)


def _arrow_is_number(type_) -> bool:
    import pyarrow.types as patypes

    return patypes.is_integer(type_) or patypes.is_floating(type_) or patypes.is_decimal(type_)


def _arrow_is_vector(type_) -> bool:
    import pyarrow.types as patypes

    return (patypes.is_list(type_) or patypes.is_large_list(type_) or patypes.is_fixed_size_list(type_)) and \
        _arrow_is_number(type_.value_type)


def _shard_vector_width(path: str, column: str, type_) -> int | None:
    """A shard's vector length: from the type (fixed-size lists) or its first non-null vector."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import pyarrow.types as patypes

    if patypes.is_fixed_size_list(type_):
        return int(type_.list_size)
    if "://" in path:
        filesystem, inner = _remote(path)
        source = filesystem.open_input_file(inner)
    else:
        source = path
    for batch in pq.ParquetFile(source).iter_batches(batch_size=256, columns=[column]):
        lengths = pc.drop_null(pc.list_value_length(batch.column(0)))
        if len(lengths):
            return int(lengths[0].as_py())
    return None


def dataset_vectors(dataset: ParquetDataset, *, columns: Sequence[str] | None = None,
                    vector_column: str | None = None, id_column: str | None = None) -> ShardVectors:
    """Choose and check the vectors of every shard, before any row is read.

    Parameters
    ----------
    dataset : ParquetDataset
    columns : sequence of str, optional
        Numeric columns forming the vector.
    vector_column : str, optional
        A list or fixed-size-list column of numbers.
    id_column : str, optional
        A column that names each row: checked in every shard, never a vector dimension.

    Without ``columns``/``vector_column``: the only list-of-numbers column, else every numeric column
    (ids and labels left out, as :func:`numeric_columns` does).

    Returns
    -------
    ShardVectors

    Raises
    ------
    DataError
        A column missing from a shard or of the wrong type, several vector columns, no vectors, empty
        vectors, or shards whose vectors have different dimensions.
    """
    import pyarrow.parquet as pq

    if columns is not None and vector_column is not None:
        raise ValueError("pass columns= or vector_column=, not both; they are two ways to say where the vectors are.")
    schema = dataset.schema
    if vector_column is None and columns is None:
        vectors = [item.name for item in schema if _arrow_is_vector(item.type)]
        if len(vectors) > 1:
            raise DataError(f"{dataset.name} has several vector columns ({_names(vectors)}); choose one "
                            "(--vector-column).", code="column")
        if vectors:
            vector_column = vectors[0]
        else:
            columns = [item.name for item in schema if _arrow_is_number(item.type) and item.name != id_column
                       and not _looks_like_id_name(item.name)]
            if not columns:
                raise DataError(f"{dataset.name} has no numeric or list-of-numbers columns; name the vector column "
                                "(--vector-column) or the numeric columns (--columns).", code="column")
    needed = ([vector_column] if vector_column is not None else list(columns)) + ([id_column] if id_column else [])
    widths: dict[str, int] = {}
    for path in dataset.files:
        shard = _read_schema(path)
        shown = f"{Path(path).name} (in {dataset.name})"
        for column in needed:
            if column not in shard.names:
                role = ("the id column" if column == id_column else
                        "the vector column" if column == vector_column else "the vector columns")
                raise DataError(f"{shown} has no column `{column}` (for {role}); its columns are "
                                f"{_names(shard.names, 12)}. Every shard needs it.", code="column")
        if vector_column is not None:
            type_ = shard.field(vector_column).type
            if not _arrow_is_vector(type_):
                raise DataError(f"{shown}: column `{vector_column}` holds {type_}, not a list of numbers; choose a "
                                "list<float> or fixed-size list column.", code="column")
            width = _shard_vector_width(path, vector_column, type_)
            if width is not None:
                widths[path] = width
        else:
            bad = [column for column in columns if not _arrow_is_number(shard.field(column).type)]
            if bad:
                raise DataError(f"{shown}: column(s) {_names(bad)} are not numeric; choose numeric columns or a "
                                "vector column.", code="column")
    if vector_column is None:
        columns = tuple(str(column) for column in columns)
        return ShardVectors(width=len(columns), vector_column=None, columns=columns,
                            description=_describe_columns(list(columns)))
    distinct = sorted(set(widths.values()))
    if not distinct:
        raise DataError(f"{dataset.name}: column `{vector_column}` holds no vectors (every cell is empty); choose "
                        "another column.", code="empty")
    if len(distinct) > 1:
        first = next(iter(widths))
        other = next(path for path, width in widths.items() if width != widths[first])
        raise DataError(f"{dataset.name}: shards have vectors of different dimensions in `{vector_column}`: "
                        f"{Path(first).name} has {widths[first]}-d, {Path(other).name} has {widths[other]}-d; write "
                        "every shard with the same dimension.", code="dimension")
    if distinct[0] == 0:
        raise DataError(f"{dataset.name}: column `{vector_column}` holds empty vectors ([]); write the vectors' values.",
                        code="ragged")
    return ShardVectors(width=distinct[0], vector_column=vector_column, columns=(),
                        description=f"vector column `{vector_column}` ({distinct[0]}-d)")


def _looks_like_id_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _ID_NAMES or lowered.endswith("_id") or lowered.startswith("unnamed:")


def target_vectors(target: LoadedData, vectors: ShardVectors, *, pool_name: str, drop_nonfinite: bool = False,
                   k: int | None = None) -> tuple[NDArray[np.float32], NDArray[np.int64], int]:
    """The target's vectors for a pool of shards: the same columns, checked like :func:`prepare_vectors`.

    A target without column names (a bare ``.npy``/``.npz`` array, or a CSV without a header line) is
    matched to the pool's vector columns by position; :meth:`ShardVectors.description_for` says so.

    Raises
    ------
    DataError
        The target lacks the pool's columns, or its width differs from the pool's (the message names
        both widths), NaN/inf rows (unless ``drop_nonfinite``), too few rows for ``k``.

    Returns
    -------
    vectors : ndarray of float32, shape (n_kept, d)
    rows : ndarray of int64
        File rows kept.
    dropped : int
        Rows with NaN/inf dropped (``drop_nonfinite``).
    """
    if not target.has_column_names:
        # a bare array, or a table without a header: its columns are matched to the pool's by position
        matrix = extract_vectors(target)
        what = "a bare array" if target.array is not None else "a table without a header line"
        if matrix.shape[1] != vectors.width:
            # fewer columns can always be chosen from the pool's; whether it has more, its schema would say
            fix = _width_fix(pool_name, target.name, vectors.width, matrix.shape[1],
                             by_columns=vectors.vector_column is None, can_choose=matrix.shape[1] < vectors.width)
            raise DataError(f"{target.name} is {what} with {matrix.shape[1]} columns, matched by position to the "
                            f"{vectors.width} vector dimensions of {pool_name} ({vectors.description}), so the widths "
                            f"must agree; {fix}.", code="dimension")
        logger.info("%s is %s: its %d columns are matched to %s's vector columns (%s) by position", target.name, what,
                    matrix.shape[1], pool_name, vectors.description)
    else:
        matrix = extract_vectors(target, columns=list(vectors.columns) or None, vector_column=vectors.vector_column)
    if matrix.shape[1] != vectors.width:
        raise DataError(f"{pool_name} has {vectors.width}-d vectors but {target.name} has {matrix.shape[1]}-d; embed "
                        "both with the same model or pick the same columns.", code="dimension")
    matrix, rows, dropped = _handle_nonfinite(matrix, target, drop_nonfinite)
    if k is not None:
        check_target_rows_for_k(matrix.shape[0], k, target.name, dropped=dropped)
    return matrix, rows, dropped
