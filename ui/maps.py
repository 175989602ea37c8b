"""Which map to draw now: the cached UMAP when it is ready, PCA (or the raw coordinates) meanwhile."""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from gio_core.plots import MapPlacer, MapProjection, resolve_method

from . import cache
from .defaults import APP_SETTINGS
from .state import Dataset


@dataclass(frozen=True)
class MapState:
    """The map in use and what is pending."""

    projection: MapProjection
    placer: MapPlacer
    key: str
    pending_since: float | None = None  # set while UMAP is computing
    failure: str | None = None


def current_map(dataset: Dataset, method: str) -> MapState:
    """The map of a data set: ``method`` 'auto' gives UMAP when fitted, PCA (or raw) until then."""
    return _map(
        dataset.key, dataset.prepared.pool, dataset.prepared.target, method, int(APP_SETTINGS["max_pool_rows_on_map"])
    )


def pool_map(key: str, pool) -> MapState:
    """A map of a pool alone (to choose target rows on), UMAP when fitted, PCA until then.

    The maps are made of pool ∪ target; the pool's first row stands in for the target, which is not drawn.
    """
    return _map(key, pool, pool[:1], "auto", int(APP_SETTINGS["max_pool_rows_on_target_map"]))


def _map(key: str, pool, target, method: str, max_rows: int) -> MapState:
    seed = int(APP_SETTINGS["seed"])
    wanted = resolve_method(method, min(len(pool), max_rows) + len(target), pool.shape[1])
    pending = failure = None
    if wanted == "umap":
        future, started = cache.umap_job(key, pool, target, seed=seed, max_pool_rows=max_rows)
        if future.done() and future.exception() is None:
            projection = future.result()
            map_key = f"{key}|umap|{seed}|{max_rows}"
            return MapState(projection, cache.placer(map_key, projection, pool, target), map_key)
        if future.done():
            failure = " ".join(str(future.exception()).split())[:300]
        else:
            pending = started
        wanted = "pca"
    map_key = f"{key}|{wanted}|{seed}|{max_rows}"
    projection = cache.linear_map(key, wanted, seed, max_rows, pool, target)
    return MapState(projection, cache.placer(map_key, projection, pool, target), map_key, pending, failure)


def map_status(state: MapState) -> None:
    """Say which map is shown; while UMAP computes, check back every second and rerun when it is ready."""
    if state.failure:
        st.caption(f"UMAP failed ({state.failure}); showing PCA.")
        return
    if state.pending_since is None:
        return
    _await_umap(state.key, state.pending_since)


@st.fragment(run_every=1.0)
def _await_umap(key: str, started: float) -> None:
    background = cache._background()
    jobs = background["jobs"]
    future = next((job for job_key, job in list(jobs.items()) if job_key.startswith(key.split("|")[0] + "|umap")), None)
    if future is None or future.done():
        st.rerun()
    st.caption(
        f":material/hourglass_top: Fitting the UMAP map ({time.perf_counter() - started:.0f} s so far); the PCA map is shown "
        "meanwhile and is replaced when UMAP is ready."
    )
