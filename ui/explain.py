"""The picture on the "How GIO works" page: a small 2-D run drawn mid-way, with v's descent path."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gio_core.gio import GIOSelector
from gio_core.plots import MapPlacer, RunTrace, kl_figure, map_figure, map_overlay, project


@st.cache_resource(show_spinner=False)
def illustration(step: int = 19):
    """A pool of three blobs and a target drawn from two of them; GIO's picks after ``step`` steps.

    Returns
    -------
    (map figure, KL figure, map heading, KL heading)
        The headings go above the charts on the page: inside a figure, a title and the legend above the
        plot share the top margin and overlap once the legend wraps in a narrow column.
    """
    rng = np.random.default_rng(7)
    centers = np.array([[-2.5, 0.0], [2.0, 1.5], [1.0, -2.5]])
    pool = np.vstack([center + rng.normal(scale=0.6, size=(300, 2)) for center in centers])
    target = np.vstack(
        [centers[1] + rng.normal(scale=0.6, size=(60, 2)), centers[2] + rng.normal(scale=0.6, size=(30, 2))]
    )
    # a fixed budget, so the picture shows the picks spreading over both target blobs as the KL falls
    selector = GIOSelector(max_iter=30, stop_criterion="data_size", random_state=0)
    steps = list(selector.iter_fit(pool, target, record_path=True))
    trace = RunTrace.from_steps(
        steps, initial_kl=selector.initial_kl_, dimensions=2, stop_message=selector.stop_message_
    )
    projection = project(pool, target, method="raw")
    placer = MapPlacer(projection, pool, target)
    shown = min(step, trace.n_steps - 1)
    figure = map_figure(projection, map_overlay(trace, shown, placer), height=430)
    curve = kl_figure(trace, current=shown, height=430)
    return (
        figure,
        curve,
        f"After {shown + 1} steps: picks (ringed dots) go where the target is",
        "KL(target ‖ picks) falls as GIO picks",
    )
