"""Which server files the app may read by path: only those under the data root the operator chose.

Anyone who reaches the page can type a path, and the app reads it with the server's permissions. So
reading by path is off unless the operator starts the app with a data root (``gio-studio app
--data-root DIR``, which sets :data:`DATA_ROOT_VARIABLE`), and then only files inside that folder are
read. This module is the policy, with no Streamlit in it, so it can be tested on its own;
``ui/data_panel.py`` draws the widgets.

The rules of :func:`check_path`, in order:

1. a path holding ``..`` is refused before anything is looked up;
2. a relative path is read from the root; an absolute one must lie inside the root as written (the
   root as configured, or the folder it resolves to) -- otherwise it is refused *without touching the
   file system*, so the messages tell nothing about what exists outside the root;
3. the path is resolved with symlinks followed (``Path.resolve(strict=True)``) and the result must
   still lie inside the resolved root: a symlink inside the root that points out of it is refused;
4. the file must be a readable file of a supported format.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: The environment variable holding the data root; ``gio-studio app --data-root DIR`` sets it.
DATA_ROOT_VARIABLE = "GIO_STUDIO_DATA_ROOT"

#: File names the path box accepts (what ``read_data`` reads; it sniffs the content too).
PATH_SUFFIXES = (
    ".csv",
    ".tsv",
    ".tab",
    ".txt",
    ".csv.gz",
    ".tsv.gz",
    ".tab.gz",
    ".txt.gz",
    ".parquet",
    ".pq",
    ".jsonl",
    ".ndjson",
    ".jsonl.gz",
    ".ndjson.gz",
    ".npy",
    ".npz",
)
FORMATS_TEXT = "CSV, TSV, .csv.gz/.tsv.gz, Parquet, JSON Lines, .npy or .npz"
#: What the operator runs to turn reading by path on (shown where the path box would be).
HOW_TO_ENABLE = "gio-studio app --data-root DIR"


def data_root(environ: Mapping[str, str] | None = None) -> tuple[Path | None, str | None]:
    """The data root from the environment: ``(resolved folder, None)``, or ``(None, why it is off)``.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read :data:`DATA_ROOT_VARIABLE` from (default: ``os.environ``).

    Returns
    -------
    root : Path or None
        The root with symlinks resolved; None when reading by path is off.
    problem : str or None
        None when the variable is unset or empty (off, as intended); else one line saying why a root that
        was set cannot be used (reading by path is off then too).

    Examples
    --------
    >>> data_root({})
    (None, None)
    """
    environ = os.environ if environ is None else environ
    text = (environ.get(DATA_ROOT_VARIABLE) or "").strip()
    if not text:
        return None, None
    try:
        root = Path(os.path.expanduser(text)).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, a symlink loop, no permission to look
        return None, (
            f"{DATA_ROOT_VARIABLE}={text} does not exist on the server, so reading files by path is off; "
            "the operator should give an existing folder."
        )
    if not root.is_dir():
        return None, (
            f"{DATA_ROOT_VARIABLE}={text} is not a folder, so reading files by path is off; the operator "
            "should give a folder."
        )
    return root, None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_path(
    text: str, root: Path | None, *, configured_root: str | Path | None = None
) -> tuple[Path | None, str | None]:
    """Check a path typed on the page against the data root.

    Parameters
    ----------
    text : str
        What was typed: a path relative to the root, or an absolute path inside it. Surrounding
        spaces and quotes are ignored.
    root : Path or None
        The resolved data root (:func:`data_root`); None means reading by path is off.
    configured_root : str or Path, optional
        The root as the operator wrote it, when it differs from ``root`` (a symlinked folder): absolute
        paths written under it are accepted too.

    Returns
    -------
    path : Path or None
        The file's resolved path (symlinks followed) when it may be read, else None.
    message : str or None
        Why the path is refused, in one line naming the root; None when accepted or when ``text`` is empty.

    Examples
    --------
    >>> check_path("", Path("/srv/data"))
    (None, None)
    >>> check_path("../shared/pool.npy", Path("/srv/data"))[1]
    "../shared/pool.npy goes up a folder ('..'); give a path inside /srv/data, such as pool.npy."
    """
    text = str(text).strip().strip('"').strip("'").strip()
    if not text:
        return None, None
    if root is None:
        return None, (
            f"Reading files by path is off on this server; upload the file, or ask the operator to start "
            f"the app with a data root ({HOW_TO_ENABLE}, or {DATA_ROOT_VARIABLE}=DIR)."
        )
    root = Path(root)
    typed = Path(os.path.expanduser(text))
    example = typed.name if typed.name not in ("", "..") else "pool.npy"
    if ".." in typed.parts:
        return None, f"{text} goes up a folder ('..'); give a path inside {root}, such as {example}."
    if typed.is_absolute():
        roots = [root] + ([Path(os.path.abspath(os.path.expanduser(str(configured_root))))] if configured_root else [])
        if not any(_inside(typed, folder) for folder in roots):
            return None, (
                f"{text} is outside the data root {root}; only files inside it can be read. Give a path "
                f"inside it, such as {example}."
            )
        candidate = typed
    else:
        candidate = root / typed
    try:
        resolved = candidate.resolve(strict=True)
    except FileNotFoundError:
        return None, f"No file at {candidate}; check the path (relative paths are read from {root})."
    except (OSError, RuntimeError) as problem:  # a symlink loop, no permission to look inside a folder
        return None, f"{candidate} cannot be opened ({type(problem).__name__}); check the path and its permissions."
    if not _inside(resolved, root):
        # a symlink inside the root pointing out of it: the target is not named, only refused
        return None, (
            f"{text} leads outside the data root {root} (through a symbolic link); only files inside it can be read."
        )
    if resolved.is_dir():
        return None, f"{resolved} is a folder; give the path of a file inside it."
    if not resolved.name.lower().endswith(PATH_SUFFIXES):
        suffix = "".join(resolved.suffixes[-2:]) or "(no extension)"
        return None, f"{resolved.name}: {suffix} is not a supported format; give a {FORMATS_TEXT} file."
    if not os.access(resolved, os.R_OK):
        return None, f"{resolved} cannot be read (permission denied); check its permissions."
    return resolved, None


__all__ = ["DATA_ROOT_VARIABLE", "FORMATS_TEXT", "HOW_TO_ENABLE", "PATH_SUFFIXES", "check_path", "data_root"]
