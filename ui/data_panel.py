"""Choosing the data: a bundled demo or two uploaded files, the vectors, a label column, previews.

Uploads are read from memory (``UploadedFile`` bytes) and kept in the session's state; nothing is
written to disk. Their size is capped by Streamlit's ``server.maxUploadSize`` (500 MB in
``.streamlit/config.toml``; ``gio-studio app --max-upload-mb N``), which the browser, the server and
:func:`gio_core.io.read_data` here all apply. When the operator started the app with a data root
(``gio-studio app --data-root DIR``; see :mod:`ui.data_root`), a file can also be given as a path
inside that folder on the server: browsers balk at multi-GB uploads, and a ``.npy`` read from a path is
memory-mapped, so a million-row pool costs no upload and little memory. Without a data root nothing is
read by path. Every loader problem is shown with ``st.error`` as the one-line message of
:class:`gio_core.io.DataError`.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from gio_core.io import (
    DEMOS,
    SUPPORTED_FORMATS,
    DataError,
    LoadedData,
    available_demos,
    available_text_models,
    default_text_model,
    describe_text_model,
    format_bytes,
    numeric_columns,
    read_data,
    split_pool,
    text_columns,
    vector_list_columns,
)

from . import cache, session, target_picker
from .data_root import DATA_ROOT_VARIABLE, FORMATS_TEXT, HOW_TO_ENABLE, check_path, data_root
from .state import Dataset

_LOGGER = logging.getLogger(__name__)

SOURCES = ("Demo", "Upload files")
#: Where an upload's target comes from: its own file, or rows of the pool chosen on a map.
TARGET_SOURCES = {"file": "A target file", "map": "Rows of the pool, chosen on the map"}
_LABEL_GUESSES = ("label", "labels", "class", "category", "is_clean", "target", "y")
_MAX_LABEL_VALUES = 30
_PREVIEW_ROWS = 200
_PROGRESS_SECONDS = 0.25  # a path read's progress bar is redrawn this often
_VECTOR_SOURCES = {"columns": "Numeric columns", "vector_column": "A vector column", "text_column": "A text column"}
_FORMATS_TEXT = FORMATS_TEXT
#: Streamlit's own default for ``server.maxUploadSize``, used when the option cannot be read.
_STREAMLIT_DEFAULT_UPLOAD_MB = 200
# A file over the upload limit never reaches the app: the browser refuses it and marks its chip in the
# uploader red, with "File must be 500.0MB or smaller." only in a hover tooltip and a screen-reader-only
# span. This shows that span under the file's name, so the reason is on screen; the caption under the
# uploader says what to do instead. (tests/test_browser_inputs.py checks that it is drawn, and wide.)
_UPLOAD_ERROR_STYLE = """<style>
[data-testid="stFileChip"][aria-invalid="true"] { flex-wrap: wrap; max-width: none; }
[data-testid="stFileChip"][aria-invalid="true"] > [role="alert"] {
  position: static !important; width: auto !important; height: auto !important; margin: 0.25rem 0 0 0 !important;
  clip: auto !important; clip-path: none !important; overflow: visible !important; white-space: normal !important;
  flex-basis: 100%; font-size: 0.875rem;
}
</style>"""


def source_picker() -> str:
    """Sidebar: demo or upload, and which demo. Returns the source."""
    st.sidebar.header("Data")
    source = session.segmented_control(
        st.sidebar,
        "Data source",
        SOURCES,
        "data_source",
        default=SOURCES[0],
        required=True,
        help="Start with a bundled demo, or upload a pool and a target file of your own.",
    )
    if source == "Demo":
        keys = available_demos()
        session.selectbox(
            st.sidebar,
            "Demo",
            keys,
            "demo_key",
            default=keys[0],
            format_func=lambda key: DEMOS[key].title,
            help="Offline demos: 2-D clusters, a 2-D Gaussian, two tasks on scikit-learn's digits, text, and "
            "Fashion-MNIST images.",
        )
    return source or SOURCES[0]


def upload_limit_mb() -> int:
    """The largest upload in MB: Streamlit's ``server.maxUploadSize``, which its browser side and its upload
    endpoint enforce too (``.streamlit/config.toml``; ``gio-studio app --max-upload-mb N``)."""
    try:
        return int(st.get_option("server.maxUploadSize"))
    except (RuntimeError, KeyError, TypeError, ValueError):  # no Streamlit config at hand
        return _STREAMLIT_DEFAULT_UPLOAD_MB


def _bigger_files_advice(root: Path | None) -> str:
    """What to do with a file over the upload limit, for whoever reads the page."""
    if root is not None:
        return (
            f"Give its path on the server instead (inside {root}), or ask the operator to raise the limit "
            "(gio-studio app --max-upload-mb N)."
        )
    return (
        "Ask the operator to raise the limit (gio-studio app --max-upload-mb N), or to start the app with a data "
        "root (gio-studio app --data-root DIR) so that files inside it can be given by path."
    )


def _read_upload(role: str, uploaded, *, limit_mb: int, root: Path | None) -> LoadedData | None:
    """Read an upload once per file (kept in this session's state); show loader errors.

    An upload outlives its widget: Streamlit empties a file uploader when its page is left, so after a visit
    to another page the file read before is used again (and said so) until the person removes it in the
    uploader (:func:`_upload_changed`), uploads another or presses *Forget*."""
    memo = st.session_state.get(f"_upload_{role}")
    if uploaded is None:
        if memo is None or memo[1] is None:
            st.session_state.pop(f"_upload_{role}", None)
            return None
        loaded = memo[1]
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.caption(f"Using **{loaded.name}**, uploaded earlier in this session; upload another file to replace it.")
        if button.button("Forget", key=f"forget_upload_{role}", help=f"Stop using {loaded.name}."):
            st.session_state.pop(f"_upload_{role}", None)
            st.rerun()
        return loaded
    if memo is not None and memo[0] == uploaded.file_id:
        loaded, error = memo[1], memo[2]
    else:
        loaded, error = None, None
        try:
            # the upload limit again: Streamlit checks the bytes sent, this also stops a small .gz that
            # decompresses past the limit (the whole upload and its table are held in memory)
            loaded = read_data(uploaded.getvalue(), name=uploaded.name, max_bytes=limit_mb * 1024 * 1024)
        except DataError as problem:
            error = str(problem)
            if problem.code == "too_large":
                error = (
                    f"{uploaded.name} is too large for this app: uploads are limited to {limit_mb:,} MB "
                    f"(a compressed file's text included). {_bigger_files_advice(root)}"
                )
        except (ValueError, TypeError, OSError, MemoryError) as problem:  # anything a broken file can raise
            error = f"{uploaded.name} could not be read: {' '.join(str(problem).split())[:300]}"
        st.session_state[f"_upload_{role}"] = (uploaded.file_id, loaded, error)
    if error:
        st.error(error, icon=":material/error:")
    return loaded


def _upload_changed(role: str) -> None:
    """The person changed the uploader: a file removed there is no longer used (a new one replaces it)."""
    if st.session_state.get(f"{role}_file") is None:
        st.session_state.pop(f"_upload_{role}", None)


class PathRead:
    """One file read by path in a worker thread, so that a rerun does not start it again.

    Reading a big file takes seconds (a 1.5 GB ``.npy`` is hashed whole: 1.2 s from the page cache, 2.4 s from
    disk). Read in the script, it was thrown away by any rerun that came meanwhile (the person giving the target's
    path while the pool's is read) and started again from the first byte; here the next script run waits for the
    same read. The script shows its progress about four times a second (a bar update per 8 MB hashed was 185
    messages, 0.5 s of a 1M read on a busy server).

    Parameters
    ----------
    path : Path
    stamp : tuple
        ``(path, size, modification time)``: which file this read is of.
    """

    _WORKERS = itertools.count(1)

    def __init__(self, path: Path, stamp: tuple):
        self.path, self.stamp = path, stamp
        self.stage, self.done, self.total = "opening", 0, 0
        self.loaded: LoadedData | None = None
        self.error: str | None = None
        self.finished = threading.Event()
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name=f"gio-read-{next(self._WORKERS)}", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop at the next block (another file was asked for instead)."""
        self._cancelled = True

    def wait(self, seconds: float) -> bool:
        """Wait at most ``seconds``; whether the read has finished."""
        return self.finished.wait(seconds)

    @property
    def text(self) -> str:
        if not self.total:
            return f"Reading {self.path.name}…"
        return f"Reading {self.path.name}: {self.stage} ({format_bytes(self.done)} of {format_bytes(self.total)})"

    @property
    def fraction(self) -> float:
        return min(self.done / max(self.total, 1), 1.0)

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self._cancelled:
            raise _ReadCancelled
        self.stage, self.done, self.total = stage, done, total

    def _run(self) -> None:
        try:
            self.loaded = read_data(self.path, progress=self._progress)
        except _ReadCancelled:
            pass
        except DataError as problem:
            self.error = str(problem)
        except (ValueError, TypeError, OSError, MemoryError) as problem:  # anything a broken file can raise
            self.error = f"{self.path.name} could not be read: {' '.join(str(problem).split())[:300]}"
        finally:
            self.finished.set()


class _ReadCancelled(Exception):
    """A path read that is no longer wanted."""


def _read_path(role: str, text: str, root: Path) -> LoadedData | None:
    """Read a file inside the data root once per (path, size, modification time); show refusals and loader
    errors. The read runs in a :class:`PathRead`, which a rerun waits for rather than starting it again."""
    path, error = check_path(text or "", root, configured_root=os.environ.get(DATA_ROOT_VARIABLE))
    if path is None:
        st.session_state.pop(f"_path_{role}", None)
        _forget_read(role)
        if error:
            st.error(error, icon=":material/error:")
        return None
    status = path.stat()
    stamp = (str(path), status.st_size, status.st_mtime_ns)
    memo = st.session_state.get(f"_path_{role}")
    if memo is not None and memo[0] == stamp:
        loaded, error = memo[1], memo[2]
    else:
        reading = st.session_state.get(f"_reading_{role}")
        if reading is None or reading.stamp != stamp:
            _forget_read(role)
            reading = st.session_state[f"_reading_{role}"] = PathRead(path, stamp)
        bar = st.progress(reading.fraction, text=reading.text)
        while not reading.wait(_PROGRESS_SECONDS):
            bar.progress(reading.fraction, text=reading.text)
        bar.empty()
        loaded, error = reading.loaded, reading.error
        st.session_state.pop(f"_reading_{role}", None)
        st.session_state[f"_path_{role}"] = (stamp, loaded, error)
    if error:
        st.error(error, icon=":material/error:")
    return loaded


def _forget_read(role: str) -> None:
    """Cancel a path read of ``role`` still under way (its path was changed or cleared)."""
    reading = st.session_state.pop(f"_reading_{role}", None)
    if reading is not None:
        reading.cancel()


def _file_input(role: str, label: str, help_text: str) -> LoadedData | None:
    """An upload, or -- with a data root -- a path on the server for files too big to upload (the path wins
    when both are given)."""
    root, _ = data_root()
    limit_mb = upload_limit_mb()
    uploaded = st.file_uploader(label, key=f"{role}_file", help=help_text, on_change=_upload_changed, args=(role,))
    if root is None:
        # Reading by path is off: no path box at all, rather than a disabled one. An empty greyed-out box
        # reads as a broken page and still invites typing; one line under the uploader says the limit and
        # how the operator turns reading by path on, which is all a visitor can act on.
        st.caption(
            f"Up to {limit_mb:,} MB per file. Bigger files can be given by path on the server once the "
            f"operator starts the app with a data root: `{HOW_TO_ENABLE}`."
        )
        st.session_state.pop(f"_path_{role}", None)
        _forget_read(role)
        return _read_upload(role, uploaded, limit_mb=limit_mb, root=None)
    st.caption(f"Up to {limit_mb:,} MB per file; bigger files: give their path on the server, inside `{root}`.")
    path_text = session.text_input(
        st,
        "…or its path on the server (for big files)",
        f"{role}_path",
        placeholder=f"{role}.npy  (relative to {root})",
        help=f"Browsers balk at multi-GB uploads: give the path of a file inside {root} on "
        "the server (relative to it, or absolute) and it is read where it is (a .npy is "
        f"memory-mapped, never loaded whole). {_FORMATS_TEXT}. Files outside that folder "
        "are refused. A path, when given, is used instead of an upload.",
    )
    if path_text and path_text.strip():
        return _read_path(role, path_text, root)
    st.session_state.pop(f"_path_{role}", None)
    _forget_read(role)
    return _read_upload(role, uploaded, limit_mb=limit_mb, root=root)


def _file_card(role: str, data: LoadedData | None) -> None:
    if data is None:
        return
    size = f" · {uploader_size(data.n_bytes)}" if data.n_bytes else ""
    shape = (
        f"{data.n_rows:,} rows × {data.array.shape[1]:,} values (an array)"
        if data.array is not None
        else f"{data.n_rows:,} rows · {len(data.columns)} columns"
    )
    st.caption(f"**{data.name}** · {data.format}{size} · {shape}")
    st.dataframe(_preview(data), height=210, hide_index=True, key=f"preview_{role}")


def uploader_size(count: int) -> str:
    """A file size as Streamlit's uploader shows it under the file (``62.0MB``: powers of 1000), so that the
    card and the uploader's chip give one number for one file."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover


def _preview(data: LoadedData) -> pd.DataFrame:
    frame = data.frame.head(_PREVIEW_ROWS)
    if data.array is not None:
        head = np.asarray(data.array[:_PREVIEW_ROWS])
        width = min(head.shape[1], 12)
        dims = pd.DataFrame(head[:, :width], columns=[f"dim_{i}" for i in range(width)])
        frame = pd.concat([frame.reset_index(drop=True), dims], axis=1)
    # long vectors and texts are shortened so the preview stays readable
    return frame.map(
        lambda value: (
            (str(value)[:80] + "…") if isinstance(value, (str, list, np.ndarray)) and len(str(value)) > 80 else value
        )
    )


def _names(columns: list[str], limit: int = 4) -> str:
    if len(columns) <= limit:
        return ", ".join(columns)
    return f"{columns[0]} … {columns[-1]}"


def _common(pool: LoadedData, target: LoadedData, names: list[str]) -> list[str]:
    return [name for name in names if name in target.columns]


def _vector_choice(pool: LoadedData, target: LoadedData, widget_key: str, demo_choice: dict | None) -> dict | None:
    """Widgets that choose where the vectors come from; returns ``prepare_vectors`` keyword arguments."""
    if pool.has_column_names != target.has_column_names:
        # one side is a bare array (or a table without a header): prepare_vectors matches its columns by
        # position to the named side's default vector columns, and refuses in one line when the widths differ
        nameless, named = (pool, target) if not pool.has_column_names else (target, pool)
        st.caption(
            f"{nameless.name} has no column names: its columns are matched by position to the vector "
            f"columns of {named.name}."
        )
        return {}
    if pool.array is not None or target.array is not None:
        if pool.array is None or target.array is None:
            st.error(
                f"{pool.name if pool.array is None else target.name} is a table while the other file is an "
                "array (.npy/.npz); give both as arrays or both as tables.",
                icon=":material/error:",
            )
            return None
        return {}  # the vectors are the arrays (the line under the choices says so)
    numeric = _common(pool, target, numeric_columns(pool))
    vectors = _common(pool, target, vector_list_columns(pool))
    texts = _common(pool, target, text_columns(pool))
    options = [
        name for name, present in (("columns", numeric), ("vector_column", vectors), ("text_column", texts)) if present
    ]
    if not options:
        st.error(
            f"{pool.name} and {target.name} share no numeric, vector or text columns; check that both files "
            "have the same columns.",
            icon=":material/error:",
        )
        return None
    if demo_choice:
        default = next(iter(demo_choice))
    else:
        default = "vector_column" if vectors else ("columns" if numeric else "text_column")
    left, right = st.columns([1, 2])
    source = session.radio(
        left,
        "Vectors from",
        options,
        f"vector_source_{widget_key}",
        default=default,
        format_func=_VECTOR_SOURCES.get,
        help="Numeric columns form the vector; or one column holds a whole vector per row; or a "
        "text column is embedded.",
    )
    with right:
        if source == "columns":
            preset = [name for name in (demo_choice or {}).get("columns", numeric) if name in numeric] or numeric
            everything = session.checkbox(
                st,
                f"Use {'all ' if preset == numeric else ''}{len(preset)} numeric columns ({_names(preset)})",
                f"all_columns_{widget_key}",
                default=True,
                help="Id-like and label-like columns (id, label, class, …) are left out; untick to choose columns.",
            )
            if everything:
                return {"columns": list(preset)}
            chosen = session.multiselect(
                st,
                "Numeric columns",
                numeric,
                f"vector_columns_{widget_key}",
                default=preset[: min(len(preset), 8)],
                help="Columns that make up each row's vector.",
            )
            if not chosen:
                st.warning("Choose at least one numeric column.")
                return None
            return {"columns": list(chosen)}
        if source == "vector_column":
            column = session.selectbox(
                st,
                "Vector column",
                vectors,
                f"vector_column_{widget_key}",
                help="A column holding one vector per row, such as [0.1, -0.5, …].",
            )
            return {"vector_column": column}
        column = session.selectbox(
            st,
            "Text column",
            texts,
            f"text_column_{widget_key}",
            help="Sentences to embed; pool and target are embedded into one space.",
        )
        models = available_text_models()
        model = session.selectbox(
            st,
            "Text model",
            models,
            f"text_model_{widget_key}",
            default=default_text_model(),
            format_func=describe_text_model,
            help="tfidf is built in and instant; minilm understands meaning (runs on CPU).",
        )
        return {"text_column": column, "text_model": model}


def _label_options(pool: LoadedData, target: LoadedData, choice: dict) -> list[str]:
    used = set(choice.get("columns") or []) | {choice.get("vector_column"), choice.get("text_column")}
    options = []
    for column in pool.columns:
        if column in used or column not in target.columns:
            continue
        series = pool.frame[column]
        if series.head(5000).map(lambda value: isinstance(value, (list, np.ndarray))).any():
            continue
        if series.nunique(dropna=False) <= _MAX_LABEL_VALUES:
            options.append(column)
    return options


def _dataset_key(pool: LoadedData, target: LoadedData, choice: dict, drop: bool) -> str:
    digest = hashlib.sha256(f"{pool.sha256}|{target.sha256}|{cache.choice_key(choice)}|{drop}".encode()).hexdigest()
    return digest[:24]


def _files_in_hand() -> bool:
    """Whether this session has read a pool and a target file (by upload or path) without an error."""
    if session.kept("target_mode", "file") != "file":
        return False  # the target is chosen on the pool's map, inside the panel

    def read(role: str) -> bool:
        return any(
            (memo := st.session_state.get(f"_{how}_{role}")) is not None and memo[1] is not None and not memo[2]
            for how in ("path", "upload")
        )

    return read("pool") and read("target")


def data_panel(source: str) -> Dataset | None:
    """Main area: the files (uploads or the demo's), their previews, the vector and label choice.

    Returns
    -------
    Dataset or None
        None while files are missing or unreadable (the reason is on screen).
    """
    demo = None
    pool: LoadedData | None
    target: LoadedData | None
    if source == "Demo":
        demo = cache.demo(session.kept("demo_key") or available_demos()[0])
        pool, target = demo.pool, demo.target
        title = f"Demo: {demo.info.title}"
    else:
        pool = target = None
        title = "Your files"
    # open while files are missing; once a pool and a target file are read it folds away, so the metrics and
    # the map are on the first screen rather than ~1,200 px down (a click opens it again)
    expanded = source != "Demo" and not _files_in_hand()
    with st.expander(f"**Data** · {title}", expanded=expanded, icon=":material/dataset:"):
        if demo is not None:
            st.markdown(demo.info.summary)
        root, root_problem = data_root()
        if source != "Demo":
            st.html(_UPLOAD_ERROR_STYLE)  # style only: takes no space on the page
            if root_problem:
                _LOGGER.warning(root_problem)
                st.warning(root_problem, icon=":material/folder_off:")
        left, right = st.columns(2)
        with left:
            st.markdown("**Pool** · the rows to select from")
            if source != "Demo":
                pool = _file_input("pool", "Pool file", f"The candidate rows: {_FORMATS_TEXT}.")
            _file_card("pool", pool)
        target_mode: str | None = "file"
        with right:
            st.markdown("**Target** · a sample of what you want")
            if source != "Demo":
                target_mode = session.segmented_control(
                    st,
                    "Target from",
                    list(TARGET_SOURCES),
                    "target_mode",
                    default="file",
                    required=True,
                    format_func=lambda mode: TARGET_SOURCES[mode],
                    help="Only a pool? Choose rows of it on the map (or by a label value) and they become the target.",
                )
                if target_mode == "file":
                    target = _file_input(
                        "target", "Target file", f"A small sample of the data you want more of: {_FORMATS_TEXT}."
                    )
                else:
                    st.caption("Choose the target below, on a map of the pool.")
            _file_card("target", target)
        origin = pool_file = None
        if target_mode == "map" and pool is not None:
            choice = _vector_choice(pool, pool, f"{pool.sha256[:10]}_map", None)
            if choice is None:
                return None
            chosen = target_picker.choose_target(pool, choice, label_options=_label_options(pool, pool, choice))
            if chosen is None:
                return None
            try:
                pool_file = pool
                pool, target = split_pool(pool_file, chosen.rows, k=int(session.kept("p_k", 5)))
            except ValueError as problem:
                st.error(str(problem), icon=":material/error:")
                return None
            origin = chosen.record(pool_file)
        if pool is None or target is None:
            if source != "Demo":
                if target_mode == "file":
                    by_path = "" if root is None else ", or give their paths on the server"
                    st.info(
                        f"Upload a pool file and a target file{by_path} ({_FORMATS_TEXT}); each row is one example."
                    )
                else:
                    by_path = "" if root is None else ", or give its path on the server"
                    st.info(f"Upload a pool file{by_path} ({_FORMATS_TEXT}); then choose the target on its map.")
            return None
        widget_key = f"{pool.sha256[:10]}_{target.sha256[:10]}"
        if origin is None:
            choice = _vector_choice(pool, target, widget_key, demo.vectors if demo else None)
        if choice is None:  # (with a target chosen on the map, the choice was made above)
            return None
        left, right = st.columns([1, 2])
        drop = session.checkbox(
            left,
            "Drop rows with missing values",
            f"drop_nonfinite_{widget_key}",
            default=False,
            help="Rows with NaN, inf or empty cells in the vectors are left out instead of stopping with an error.",
        )
        labels = _label_options(pool, target, choice)
        guesses = [demo.label_column] if demo and demo.label_column else list(_LABEL_GUESSES)
        default_label = next((name for name in guesses if name in labels), None)
        options = ["(none)"] + labels
        label = session.selectbox(
            right,
            "Label column (colours the map)",
            options,
            f"label_column_{widget_key}",
            default=default_label or options[0],
            help="A column of classes or flags present in both files; it colours the target and can colour the picks.",
        )
        label = None if label == "(none)" else label
        prepared = cache.prepared_vectors_or_message(pool, target, {**choice, "drop_nonfinite": drop})
        if prepared is None:
            return None
        dropped = prepared.pool_nonfinite_rows + prepared.target_nonfinite_rows
        st.caption(
            f"Vectors: {prepared.description}"
            + (
                f"; dropped {prepared.pool_nonfinite_rows:,} pool and {prepared.target_nonfinite_rows:,} target rows "
                "with missing values"
                if dropped
                else ""
            )
        )
    if expanded and source != "Demo" and _files_in_hand():
        st.rerun()  # the files just arrived: draw the page again with the panel folded
    pool_labels = target_labels = None
    if label is not None:
        pool_labels = cache.column_values(pool.frame, label, prepared.pool_rows)
        target_labels = cache.column_values(target.frame, label, prepared.target_rows)
    return Dataset(
        source="demo" if demo else "upload",
        pool=pool,
        target=target,
        prepared=prepared,
        choice=choice,
        pool_file=pool_file,
        key=_dataset_key(pool, target, choice, drop),
        label_column=label,
        pool_labels=pool_labels,
        target_labels=target_labels,
        demo=demo,
        target_origin=origin,
    )


def data_metrics(dataset: Dataset) -> None:
    """Row counts and dimensions at a glance."""
    columns = st.columns(4)
    columns[0].metric("Pool rows", f"{dataset.n_pool:,}", help=dataset.pool.name)
    columns[1].metric("Target rows", f"{dataset.n_target:,}", help=dataset.target.name)
    columns[2].metric("Dimensions", f"{dataset.dimensions:,}", help=dataset.prepared.description)
    columns[3].metric("Label", dataset.label_column or "—")
    if dataset.demo is not None:  # the task in one line, without opening the Data panel
        st.caption(dataset.demo.info.summary)


__all__ = [
    "SOURCES",
    "SUPPORTED_FORMATS",
    "check_path",
    "data_metrics",
    "data_panel",
    "source_picker",
    "upload_limit_mb",
]
