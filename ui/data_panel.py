"""Choosing the data: a bundled demo or two uploaded files, the vectors, a label column, previews.

Uploads are read from memory (``UploadedFile`` bytes) and kept in the session's state; nothing is
written to disk. A file can also be given as a path on the machine running the app: browsers balk at
multi-GB uploads, and a ``.npy`` read from a path is memory-mapped, so a million-row pool costs no
upload and little memory. Every loader problem is shown with ``st.error`` as the one-line message of
:class:`gio_core.data.DataError`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from gio_core import embed
from gio_core.data import (
    DataError,
    LoadedData,
    SUPPORTED_FORMATS,
    format_bytes,
    numeric_columns,
    read_data,
    text_columns,
    vector_list_columns,
)
from gio_core.demos import DEMOS, available_demos
from gio_core.targets import split_pool

from . import cache, target_picker
from .state import Dataset

SOURCES = ("Demo", "Upload files")
#: Where an upload's target comes from: its own file, or rows of the pool chosen on a map.
TARGET_SOURCES = {"file": "A target file", "map": "Rows of the pool, chosen on the map"}
_LABEL_GUESSES = ("label", "labels", "class", "category", "is_clean", "target", "y")
_MAX_LABEL_VALUES = 30
_PREVIEW_ROWS = 200
_VECTOR_SOURCES = {"columns": "Numeric columns", "vector_column": "A vector column", "text_column": "A text column"}
_FORMATS_TEXT = "CSV, TSV, .csv.gz/.tsv.gz, Parquet, JSON Lines, .npy or .npz"
#: File names the path input accepts (what read_data reads; it sniffs the content too).
_PATH_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".csv.gz", ".tsv.gz", ".tab.gz", ".txt.gz", ".parquet", ".pq",
                  ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".npy", ".npz")


def source_picker() -> str:
    """Sidebar: demo or upload, and which demo. Returns the source."""
    st.sidebar.header("Data")
    source = st.sidebar.segmented_control("Data source", SOURCES, key="data_source", default=SOURCES[0],
                                          required=True, help="Start with a bundled demo, or upload a pool and a "
                                                              "target file of your own.")
    if source == "Demo":
        keys = available_demos()
        st.sidebar.selectbox("Demo", keys, key="demo_key", format_func=lambda key: DEMOS[key].title,
                             help="Offline demos: 2-D clusters, a 2-D Gaussian, two tasks on scikit-learn's digits, text, and "
                                  "Fashion-MNIST images.")
    return source or SOURCES[0]


def _read_upload(role: str, uploaded) -> LoadedData | None:
    """Read an upload once per file (kept in this session's state); show loader errors."""
    if uploaded is None:
        st.session_state.pop(f"_upload_{role}", None)
        return None
    memo = st.session_state.get(f"_upload_{role}")
    if memo is not None and memo[0] == uploaded.file_id:
        loaded, error = memo[1], memo[2]
    else:
        loaded, error = None, None
        try:
            loaded = read_data(uploaded.getvalue(), name=uploaded.name)
        except DataError as problem:
            error = str(problem)
        except (ValueError, TypeError, OSError, MemoryError) as problem:  # anything a broken file can raise
            error = f"{uploaded.name} could not be read: {' '.join(str(problem).split())[:300]}"
        st.session_state[f"_upload_{role}"] = (uploaded.file_id, loaded, error)
    if error:
        st.error(error, icon=":material/error:")
    return loaded


def check_path(text: str) -> tuple[Path | None, str | None]:
    """Validate a path typed on the page: ``(path, None)`` when it can be read, else ``(None, message)``."""
    text = text.strip().strip('"').strip("'")
    if not text:
        return None, None
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        return None, (f"{text} is not an absolute path; give the full path on the machine running the app, "
                      f"such as /data/{path.name or 'pool.npy'}.")
    if not path.exists():
        return None, f"No file at {path}; check the path (it is read on the machine running the app)."
    if path.is_dir():
        return None, f"{path} is a folder; give the path of a file inside it."
    if not path.name.lower().endswith(_PATH_SUFFIXES):
        suffix = "".join(path.suffixes[-2:]) or "(no extension)"
        return None, f"{path.name}: {suffix} is not a supported format; give a {_FORMATS_TEXT} file."
    if not os.access(path, os.R_OK):
        return None, f"{path} cannot be read (permission denied); check its permissions."
    return path, None


def _read_path(role: str, text: str) -> LoadedData | None:
    """Read a file from a path once per (path, size, modification time); show validation and loader errors."""
    path, error = check_path(text or "")
    if path is None:
        st.session_state.pop(f"_path_{role}", None)
        if error:
            st.error(error, icon=":material/error:")
        return None
    status = path.stat()
    stamp = (str(path.resolve()), status.st_size, status.st_mtime_ns)
    memo = st.session_state.get(f"_path_{role}")
    if memo is not None and memo[0] == stamp:
        loaded, error = memo[1], memo[2]
    else:
        loaded = None
        bar = st.progress(0.0, text=f"Reading {path.name}…")

        def progress(stage: str, done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=f"Reading {path.name}: {stage} "
                         f"({format_bytes(done)} of {format_bytes(total)})")

        try:
            loaded = read_data(path, progress=progress)
        except DataError as problem:
            error = str(problem)
        except (ValueError, TypeError, OSError, MemoryError) as problem:  # anything a broken file can raise
            error = f"{path.name} could not be read: {' '.join(str(problem).split())[:300]}"
        bar.empty()
        st.session_state[f"_path_{role}"] = (stamp, loaded, error)
    if error:
        st.error(error, icon=":material/error:")
    return loaded


def _file_input(role: str, label: str, help_text: str) -> LoadedData | None:
    """An upload, or a path on this machine for files too big to upload (the path wins when both are given)."""
    uploaded = st.file_uploader(label, key=f"{role}_file", help=help_text)
    path_text = st.text_input("…or its path on this machine (for big files)", key=f"{role}_path",
                              placeholder=f"/data/{role}.npy",
                              help="Browsers balk at multi-GB uploads: give the file's path instead and it is read "
                                   "where it is, on the machine running the app (a .npy is memory-mapped, never "
                                   f"loaded whole). {_FORMATS_TEXT}. A path, when given, is used instead of an "
                                   "upload.")
    if path_text and path_text.strip():
        return _read_path(role, path_text)
    st.session_state.pop(f"_path_{role}", None)
    return _read_upload(role, uploaded)


def _file_card(role: str, data: LoadedData | None) -> None:
    if data is None:
        return
    st.caption(f"**{data.name}** · {data.format} · {format_bytes(data.n_bytes) if data.n_bytes else ''} · "
               f"{data.n_rows:,} rows · {len(data.columns)} columns" + (
                   f" · array {data.array.shape[1]}-d" if data.array is not None else ""))
    st.dataframe(_preview(data), height=210, hide_index=True, key=f"preview_{role}")


def _preview(data: LoadedData) -> pd.DataFrame:
    frame = data.frame.head(_PREVIEW_ROWS)
    if data.array is not None:
        head = np.asarray(data.array[:_PREVIEW_ROWS])
        width = min(head.shape[1], 12)
        dims = pd.DataFrame(head[:, :width], columns=[f"dim_{i}" for i in range(width)])
        frame = pd.concat([frame.reset_index(drop=True), dims], axis=1)
    # long vectors and texts are shortened so the preview stays readable
    return frame.map(lambda value: (str(value)[:80] + "…") if isinstance(value, (str, list, np.ndarray))
                     and len(str(value)) > 80 else value)


def _names(columns: list[str], limit: int = 4) -> str:
    if len(columns) <= limit:
        return ", ".join(columns)
    return f"{columns[0]} … {columns[-1]}"


def _common(pool: LoadedData, target: LoadedData, names: list[str]) -> list[str]:
    return [name for name in names if name in target.columns]


def _vector_choice(pool: LoadedData, target: LoadedData, widget_key: str, demo_choice: dict | None) -> dict | None:
    """Widgets that choose where the vectors come from; returns ``prepare_vectors`` keyword arguments."""
    if pool.array is not None or target.array is not None:
        if pool.array is None or target.array is None:
            st.error(f"{pool.name if pool.array is None else target.name} is a table while the other file is an "
                     "array (.npy/.npz); give both as arrays or both as tables.", icon=":material/error:")
            return None
        st.caption(f"Vectors: the {pool.format} array ({pool.array.shape[1]}-d).")
        return {}
    numeric = _common(pool, target, numeric_columns(pool))
    vectors = _common(pool, target, vector_list_columns(pool))
    texts = _common(pool, target, text_columns(pool))
    options = [name for name, present in (("columns", numeric), ("vector_column", vectors), ("text_column", texts))
               if present]
    if not options:
        st.error(f"{pool.name} and {target.name} share no numeric, vector or text columns; check that both files "
                 "have the same columns.", icon=":material/error:")
        return None
    if demo_choice:
        default = next(iter(demo_choice))
    else:
        default = "vector_column" if vectors else ("columns" if numeric else "text_column")
    left, right = st.columns([1, 2])
    source = left.radio("Vectors from", options, index=options.index(default) if default in options else 0,
                        format_func=_VECTOR_SOURCES.get, key=f"vector_source_{widget_key}",
                        help="Numeric columns form the vector; or one column holds a whole vector per row; or a "
                             "text column is embedded.")
    with right:
        if source == "columns":
            preset = [name for name in (demo_choice or {}).get("columns", numeric) if name in numeric] or numeric
            everything = st.checkbox(f"Use {'all ' if preset == numeric else ''}{len(preset)} numeric columns "
                                     f"({_names(preset)})", value=True, key=f"all_columns_{widget_key}",
                                     help="Id-like and label-like columns (id, label, class, …) are left out; "
                                          "untick to choose columns.")
            if everything:
                return {"columns": list(preset)}
            chosen = st.multiselect("Numeric columns", numeric, default=preset[: min(len(preset), 8)],
                                    key=f"vector_columns_{widget_key}",
                                    help="Columns that make up each row's vector.")
            if not chosen:
                st.warning("Choose at least one numeric column.")
                return None
            return {"columns": list(chosen)}
        if source == "vector_column":
            column = st.selectbox("Vector column", vectors, key=f"vector_column_{widget_key}",
                                  help="A column holding one vector per row, such as [0.1, -0.5, …].")
            return {"vector_column": column}
        column = st.selectbox("Text column", texts, key=f"text_column_{widget_key}",
                              help="Sentences to embed; pool and target are embedded into one space.")
        models = embed.available_text_models()
        model = st.selectbox("Text model", models, index=models.index(embed.default_text_model()),
                             format_func=embed.describe_text_model, key=f"text_model_{widget_key}",
                             help="tfidf is built in and instant; minilm understands meaning (runs on CPU).")
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


def data_panel(source: str) -> Dataset | None:
    """Main area: the files (uploads or the demo's), their previews, the vector and label choice.

    Returns
    -------
    Dataset or None
        None while files are missing or unreadable (the reason is on screen).
    """
    demo = None
    if source == "Demo":
        demo = cache.demo(st.session_state.get("demo_key") or available_demos()[0])
        pool, target = demo.pool, demo.target
        title = f"Demo: {demo.info.title}"
    else:
        pool = target = None
        title = "Your files"
    expanded = source != "Demo" or st.session_state.get("_data_expanded", False)
    with st.expander(f"**Data** · {title}", expanded=expanded, icon=":material/dataset:"):
        if demo is not None:
            st.markdown(demo.info.summary)
        left, right = st.columns(2)
        with left:
            st.markdown("**Pool** · the rows to select from")
            if source != "Demo":
                pool = _file_input("pool", "Pool file", f"The candidate rows: {_FORMATS_TEXT}.")
            _file_card("pool", pool)
        target_mode = "file"
        with right:
            st.markdown("**Target** · a sample of what you want")
            if source != "Demo":
                target_mode = st.segmented_control(
                    "Target from", list(TARGET_SOURCES), key="target_mode", default="file", required=True,
                    format_func=TARGET_SOURCES.get,
                    help="Only a pool? Choose rows of it on the map (or by a label value) and they become the target.")
                if target_mode == "file":
                    target = _file_input("target", "Target file", f"A small sample of the data you want more of: "
                                                                  f"{_FORMATS_TEXT}.")
                else:
                    st.caption("Choose the target below, on a map of the pool.")
            _file_card("target", target)
        origin = None
        if target_mode == "map" and pool is not None:
            choice = _vector_choice(pool, pool, f"{pool.sha256[:10]}_map", None)
            if choice is None:
                return None
            chosen = target_picker.choose_target(pool, choice, label_options=_label_options(pool, pool, choice))
            if chosen is None:
                return None
            try:
                pool_file = pool
                pool, target = split_pool(pool_file, chosen.rows, k=int(st.session_state.get("p_k", 5)))
            except ValueError as problem:
                st.error(str(problem), icon=":material/error:")
                return None
            origin = chosen.record(pool_file)
        if pool is None or target is None:
            if source != "Demo":
                st.info(f"Upload a pool file and a target file, or give their paths on this machine "
                        f"({_FORMATS_TEXT}); each row is one example." if target_mode == "file" else
                        f"Upload a pool file, or give its path on this machine ({_FORMATS_TEXT}); then choose the "
                        "target on its map.")
            return None
        widget_key = f"{pool.sha256[:10]}_{target.sha256[:10]}"
        if origin is None:
            choice = _vector_choice(pool, target, widget_key, demo.vectors if demo else None)
            if choice is None:
                return None
        left, right = st.columns([1, 2])
        drop = left.checkbox("Drop rows with missing values", key=f"drop_nonfinite_{widget_key}",
                             help="Rows with NaN, inf or empty cells in the vectors are left out instead of "
                                  "stopping with an error.")
        labels = _label_options(pool, target, choice)
        guesses = [demo.label_column] if demo and demo.label_column else list(_LABEL_GUESSES)
        default_label = next((name for name in guesses if name in labels), None)
        options = ["(none)"] + labels
        label = right.selectbox("Label column (colours the map)", options,
                                index=options.index(default_label) if default_label else 0,
                                key=f"label_column_{widget_key}",
                                help="A column of classes or flags present in both files; it colours the target and "
                                     "can colour the picks.")
        label = None if label == "(none)" else label
        prepared = cache.prepared_vectors_or_message(pool, target, {**choice, "drop_nonfinite": drop})
        if prepared is None:
            return None
        dropped = prepared.pool_nonfinite_rows + prepared.target_nonfinite_rows
        st.caption(f"Vectors: {prepared.description}" + (
            f"; dropped {prepared.pool_nonfinite_rows:,} pool and {prepared.target_nonfinite_rows:,} target rows "
            "with missing values" if dropped else ""))
    pool_labels = target_labels = None
    if label is not None:
        pool_labels = cache.column_values(pool.frame, label, prepared.pool_rows)
        target_labels = cache.column_values(target.frame, label, prepared.target_rows)
    return Dataset(source="demo" if demo else "upload", pool=pool, target=target, prepared=prepared, choice=choice,
                   key=_dataset_key(pool, target, choice, drop), label_column=label, pool_labels=pool_labels,
                   target_labels=target_labels, demo=demo, target_origin=origin)


def data_metrics(dataset: Dataset) -> None:
    """Row counts and dimensions at a glance."""
    columns = st.columns(4)
    columns[0].metric("Pool rows", f"{dataset.n_pool:,}", help=dataset.pool.name)
    columns[1].metric("Target rows", f"{dataset.n_target:,}", help=dataset.target.name)
    columns[2].metric("Dimensions", f"{dataset.dimensions:,}", help=dataset.prepared.description)
    columns[3].metric("Label", dataset.label_column or "—")
    if dataset.demo is not None:  # the task in one line, without opening the Data panel
        st.caption(dataset.demo.info.summary)


__all__ = ["SOURCES", "SUPPORTED_FORMATS", "check_path", "data_metrics", "data_panel", "source_picker"]


# -- the data choice across pages -----------------------------------------------------------------

_DATA_KEYS = ("data_source", "demo_key", "target_mode")
_DATA_KEY_PREFIXES = ("vector_source_", "all_columns_", "vector_columns_", "vector_column_", "text_column_",
                      "text_model_", "drop_nonfinite_", "label_column_")


_SAVED_DATA_CHOICE = "_saved_data_choice"


def keep_data_choice(page: str) -> None:
    """Restore the data choice (source, demo, vectors, label column) made on another page.

    In the browser Streamlit forgets a widget's value when its page is left, even when the next page
    draws a widget with the same key: the new page's widget starts from its default. :func:`remember_data_choice`
    keeps a plain copy in session state, which survives; on the first run after a page switch this writes
    it back, before the widgets are drawn, so they start from it. On later runs of the same page the widgets
    hold the user's latest choice and are left alone. Call at the top of a page, before
    :func:`source_picker`.
    """
    saved = st.session_state.get(_SAVED_DATA_CHOICE) or {}
    if saved.get("page") in (None, page):
        return
    for key, value in saved.get("values", {}).items():
        st.session_state[key] = value


def remember_data_choice(page: str) -> None:
    """Keep a plain copy of the data widgets' values, for :func:`keep_data_choice` on the next page."""
    st.session_state[_SAVED_DATA_CHOICE] = {"page": page, "values": {
        key: st.session_state[key] for key in list(st.session_state.keys())
        if key in _DATA_KEYS or str(key).startswith(_DATA_KEY_PREFIXES)}}
