"""The main page: choose data, tune GIO, watch it pick on the map, download the selection."""

import time

import streamlit as st

from ui import cache, controls, data_panel, maps, run_view
from ui.navigation import routed_page

routed_page()  # a first visit on this page's own address runs the app's router instead
started = time.perf_counter()  # a click on Run starts this script run: the run's time counts from here

cache.start_background()

st.title("GIO Studio")
st.caption(
    "Pick the pool rows that make your data look like a small target sample — Gradient Information "
    "Optimization (Everaert & Potts, ICLR 2024). New here? Press **Run selection** on the demo, or read "
    "*How GIO works*."
)

source = data_panel.source_picker()
dataset = data_panel.data_panel(source)
settings = controls.controls(dataset)
view = controls.view_controls(dataset)

if dataset is not None:
    data_panel.data_metrics(dataset)
    map_state = maps.current_map(dataset, view.map_method)
    run_view.run_area(dataset, settings, view, map_state, clicked_at=started)
