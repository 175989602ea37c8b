"""Reading one file (:func:`read_data`): a table (CSV, TSV, gzip-compressed CSV/TSV, Parquet, JSON Lines) or an
array (NumPy ``.npy``/``.npz``), its format detected from the first bytes and the name, into a
:class:`gio_core.io.LoadedData`. A ``.npy`` read from a path is memory-mapped (converted to float32 chunk by
chunk when it is not), every input is hashed (SHA-256, for the manifest), and a size limit applies to what is
held in memory. Every problem with a file raises a one-line :class:`gio_core.io.DataError`; nothing here
unpickles.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import DataError
from .formats import _Reader
from .tables import DEFAULT_MAX_BYTES, LoadedData, Source, _head, format_bytes

__all__ = ["read_data"]


def read_data(
    source: Source,
    *,
    name: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
    progress: Callable[[str, int, int], object] | None = None,
) -> LoadedData:
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
    if max_bytes is not None and (
        not isinstance(max_bytes, (int, np.integer)) or isinstance(max_bytes, bool) or max_bytes <= 0
    ):
        raise ValueError(f"max_bytes must be a positive number of bytes or None; got {max_bytes!r}.")
    size = os.path.getsize(path) if path is not None else len(raw)
    memory_mapped = path is not None and size > 0 and _head(path, None, 6) == b"\x93NUMPY"
    if max_bytes is not None and size > max_bytes and not memory_mapped:
        raise DataError(
            f"{name} is {format_bytes(size)}, over the {format_bytes(max_bytes)} limit; raise the "
            "limit (max_bytes=) or use a smaller file.",
            code="too_large",
        )
    if size == 0:
        raise DataError(f"{name} is empty (0 bytes); choose the file that holds your data.", code="empty")
    head = _head(path, raw)
    digest = _sha256(path, raw, progress, name)
    reader = _Reader(name=name, path=path, raw=raw, head=head, size=size, max_bytes=max_bytes, encoding=encoding)
    kind, frame, array = reader.read()
    n_rows = int(array.shape[0]) if array is not None else len(frame)
    return LoadedData(
        name=name,
        format=kind,
        frame=frame,
        array=array,
        n_rows=n_rows,
        sha256=digest,
        path=str(path) if path is not None else None,
        n_bytes=int(size),
        headerless=reader.headerless,
        column_block=reader.column_block,
    )


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


def _sha256(path: Path | None, raw: bytes | None, progress=None, name: str = "") -> str:
    digest = hashlib.sha256()
    if raw is not None:
        digest.update(raw)
    else:
        assert path is not None, "a source is a path or bytes"
        size = os.path.getsize(path)
        done = 0
        with open(path, "rb", buffering=0) as handle:
            for block in iter(lambda: handle.read(8 << 20), b""):
                digest.update(block)
                done += len(block)
                if progress:
                    progress(f"hashing {name}", done, size)
    return digest.hexdigest()
