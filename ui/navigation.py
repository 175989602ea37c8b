"""The app's pages and the router that runs them (``app.py`` calls :func:`run_app`).

Streamlit still knows the legacy ``pages/`` folder: until some session of a fresh server has run
``st.navigation``, a visit that starts on a page's own address (``/how_it_works``, a bookmark or a shared
link) runs that file alone, with the folder's file names as the menu ("app", "compare", …) and none of
the frame ``app.py`` sets up. Every page therefore starts with :func:`routed_page`, which notices that and
runs the router in its place, so the visitor gets the page they asked for with the app's own menu.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

__all__ = ["routed_page", "run_app"]

_ABOUT = (
    "GIO Studio: target-aware training-data selection with Gradient Information Optimization (Everaert & "
    "Potts, ICLR 2024)."
)
# The tab's icon is a file of the app's own: a ":material/…:" icon is drawn from a font the browser fetches from
# an outside host, which fails offline (and logs a console error).
FAVICON = Path(__file__).resolve().parent / "favicon.png"
# whether this thread's script run went through run_app (each session's script runs on its own thread)
_routing = threading.local()


def _pages() -> list:
    return [
        st.Page("pages/select.py", title="Select data", icon=":material/ads_click:", default=True),
        st.Page("pages/compare.py", title="Compare methods", icon=":material/balance:"),
        st.Page("pages/how_it_works.py", title="How GIO works", icon=":material/lightbulb:"),
    ]


def run_app() -> None:
    """Set up the page and run the page the visitor asked for (the whole of ``app.py``)."""
    st.set_page_config(page_title="GIO Studio", page_icon=str(FAVICON), layout="wide", menu_items={"About": _ABOUT})
    page = st.navigation(_pages())
    _routing.active = True
    try:
        page.run()
    finally:
        _routing.active = False


def routed_page() -> None:
    """The first line of every page: when Streamlit ran the page's file on its own (a fresh server's first visit
    on the page's address), run the router instead and end this run."""
    if getattr(_routing, "active", False):
        return
    run_app()
    st.stop()
