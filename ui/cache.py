"""Thin cached wrappers around ``gio_core``: demos, prepared vectors, maps and their placers.

Everything cached here is keyed on file contents (SHA-256) and choices, never on a session: two sessions
share an entry only when they hold the same bytes, so nothing of one session's data reaches another.
UMAP maps are fitted in one background thread (PCA is shown meanwhile) and kept per data set.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import streamlit as st

from gio_core.io import DataError, Demo, LoadedData, PreparedVectors, load_demo, prepare_vectors
from gio_core.plots import MapPlacer, MapProjection, project, warm_up_umap

logger = logging.getLogger(__name__)

_MAX_UMAP_JOBS = 6


@st.cache_resource(show_spinner=False)
def demo(key: str) -> Demo:
    """A bundled demo (built once per process; demos hold no user data)."""
    return load_demo(key)


def choice_key(choice: dict) -> str:
    """A stable text key for a vector choice (``prepare_vectors`` keyword arguments)."""
    return json.dumps(choice, sort_keys=True, default=str)


@st.cache_resource(max_entries=4, ttl=3600, show_spinner="Preparing vectors…")
def _prepared(pool_sha: str, target_sha: str, choice: str, _pool: LoadedData, _target: LoadedData) -> PreparedVectors:
    return prepare_vectors(_pool, _target, **json.loads(choice))


def prepared_vectors(pool: LoadedData, target: LoadedData, choice: dict) -> PreparedVectors:
    """Pool and target vectors for a vector choice, computed once per pair of files and choice.

    Raises
    ------
    gio_core.io.DataError
        As :func:`gio_core.io.prepare_vectors` (errors are not cached).
    """
    return _prepared(pool.sha256, target.sha256, choice_key(choice), pool, target)


def prepared_vectors_or_message(pool: LoadedData, target: LoadedData, choice: dict) -> PreparedVectors | None:
    """:func:`prepared_vectors`, or None with the problem shown on the page as a message (never a traceback)."""
    try:
        return prepared_vectors(pool, target, choice)
    except DataError as problem:
        st.error(str(problem), icon=":material/error:")
    except (ValueError, TypeError) as problem:
        st.error(" ".join(str(problem).split()), icon=":material/error:")
    return None


@st.cache_data(max_entries=16, show_spinner=False)
def linear_map(key: str, method: str, seed: int, max_pool_rows: int, _pool, _target) -> MapProjection:
    """A PCA or raw map, keyed on the data set's key (instant, so computed in the script)."""
    return project(_pool, _target, method=method, random_state=seed, max_pool_rows=max_pool_rows)


def _lower_priority() -> None:
    """Run map fits at a lower CPU priority than the sessions' scripts (Linux: per-thread nice)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        pass


@st.cache_resource(show_spinner=False)
def _background() -> dict:
    """One worker thread for UMAP fits (UMAP compiles numba kernels on first use: warm them up now)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gio-map", initializer=_lower_priority)
    warm = executor.submit(warm_up_umap)
    return {"executor": executor, "jobs": OrderedDict(), "lock": threading.Lock(), "warm_up": warm, "started": {}}


def start_background() -> None:
    """Start the map worker (and the UMAP warm-up) if it is not running yet."""
    _background()


def umap_job(key: str, pool, target, *, seed: int, max_pool_rows: int) -> tuple[Future, float]:
    """The background UMAP fit of a data set: started on first call, shared by later calls.

    Returns
    -------
    future : concurrent.futures.Future
        Resolves to a :class:`MapProjection`.
    started : float
        ``time.perf_counter()`` when it was first requested.
    """
    background = _background()
    job_key = f"{key}|umap|{seed}|{max_pool_rows}"
    with background["lock"]:
        jobs: OrderedDict = background["jobs"]
        if job_key in jobs:
            jobs.move_to_end(job_key)
            return jobs[job_key], background["started"][job_key]
        future = background["executor"].submit(
            project, pool, target, method="umap", random_state=seed, max_pool_rows=max_pool_rows
        )
        jobs[job_key] = future
        background["started"][job_key] = time.perf_counter()
        while len(jobs) > _MAX_UMAP_JOBS:
            oldest = next(iter(jobs))
            if not jobs[oldest].done():
                break
            jobs.pop(oldest)
            background["started"].pop(oldest, None)
        return future, background["started"][job_key]


@st.cache_resource(max_entries=8, show_spinner=False)
def placer(projection_key: str, _projection: MapProjection, _pool, _target) -> MapPlacer:
    """The placer of a map (a nearest-neighbour index for UMAP maps), built once per map."""
    return MapPlacer(_projection, _pool, _target)


def column_values(frame, column: str, rows: np.ndarray | None = None) -> np.ndarray:
    """A column as a NumPy array, optionally at some rows."""
    values = frame[column].to_numpy()
    return values if rows is None else values[rows]
