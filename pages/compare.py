"""Compare GIO with baseline selection methods on the loaded data, at one budget, scored on held-out target rows."""

import streamlit as st

from ui import cache, compare_view, data_panel, maps
from ui.navigation import routed_page

routed_page()  # a first visit on this page's own address runs the app's router instead

cache.start_background()

st.title("Compare methods")
st.caption(
    "Run GIO and the alternatives (simple baselines, TSDS, a GTP-style pursuit, and DSIR on text) on the same "
    "pool and target with the same number of picks, then see which one each metric favours. Part of the "
    "target is held out: no method sees it, and every method is scored on it."
)

source = data_panel.source_picker()
dataset = data_panel.data_panel(source)
if dataset is not None:
    data_panel.data_metrics(dataset)
settings = compare_view.compare_controls(dataset)

if dataset is not None:
    compare_view.compare_area(dataset, settings, maps.current_map(dataset, "auto"))
