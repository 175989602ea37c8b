"""Files that appear complete or not at all: written to a hidden temporary name beside their destination, then renamed."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["write_atomically"]


def write_atomically(out: str | os.PathLike, write: Callable[[str], Any]):
    """Call ``write(temporary_path)`` and rename the temporary file (or folder) to ``out`` when it returns.

    On an exception, Ctrl-C or a handled SIGTERM (``gio-studio`` turns it into an exception) the
    temporary file is removed and a file already at ``out`` is left untouched. The temporary name is
    hidden and beside ``out`` (``.sel.partial-1a2b3c4d.csv``), so the rename stays on one file system
    and is atomic. A URI (``hdfs://``, ``s3a://``) is written directly: its committer makes the write atomic.

    Returns
    -------
    Whatever ``write`` returned.
    """
    out = str(out)
    if "://" in out:
        return write(out)
    path = Path(out)
    name = path.name
    suffix = next(
        (ending for ending in (".csv.gz", ".csv", ".tsv", ".parquet", ".pq", ".json") if name.lower().endswith(ending)),
        "",
    )
    temporary = path.with_name(f".{name[: len(name) - len(suffix)]}.partial-{uuid.uuid4().hex[:8]}{suffix}")
    try:
        written = write(str(temporary))
        if path.is_dir() and not path.is_symlink():  # a Spark part folder written before
            shutil.rmtree(path)
        os.replace(temporary, path)
        return written
    finally:
        if temporary.is_dir() and not temporary.is_symlink():
            shutil.rmtree(temporary, ignore_errors=True)
        elif temporary.exists() or temporary.is_symlink():
            temporary.unlink()
