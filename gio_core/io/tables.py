"""What a read file is (:class:`LoadedData`), the formats read, and sizes in words."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from numpy.typing import NDArray

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_FORMATS", "LoadedData", "format_bytes", "parse_size"]

SUPPORTED_FORMATS: tuple[str, ...] = ("csv", "tsv", "csv.gz", "tsv.gz", "parquet", "jsonl", "npy", "npz")
#: Files larger than this are refused unless ``max_bytes`` says otherwise (4 GiB: a million rows of
#: 768-d float32 vectors is 3 GiB as ``.npy``). A ``.npy`` read from a path is exempt: it is
#: memory-mapped and read in chunks, never loaded whole.
DEFAULT_MAX_BYTES: int = 4 * 1024**3
_SUPPORTED_TEXT = "CSV, TSV, CSV/TSV .gz, Parquet, JSON Lines, .npy or .npz"


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


Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


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


_SNIFF_BYTES = 64 * 1024
# Tables with at least this many float columns hold embedding dimensions: read them as float32 to halve
# memory. Tables with fewer float columns keep float64, so measurements travel to the export exactly.
_FLOAT32_MIN_COLUMNS = 32

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


def _head(path: Path | None, raw: bytes | None, amount: int = _SNIFF_BYTES) -> bytes:
    if raw is not None:
        return raw[:amount]
    assert path is not None, "a source is a path or bytes"
    with open(path, "rb") as handle:
        return handle.read(amount)


def _tail(path: Path | None, raw: bytes | None, amount: int) -> bytes:
    if raw is not None:
        return raw[-amount:]
    assert path is not None, "a source is a path or bytes"
    with open(path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(path) - amount))
        return handle.read()


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32 or byte == 127)
    return control <= max(1, len(head) // 100)
