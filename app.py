"""GIO Studio: the Streamlit app's entry point (``streamlit run app.py``; ``make run``).

This file only sets up the page and routes between the pages in ``pages/``; the widgets live in
``ui/`` and the maths in ``gio_core/``.
"""

import streamlit as st

st.set_page_config(page_title="GIO Studio", page_icon=":material/ads_click:", layout="wide",
                   menu_items={"About": "GIO Studio: target-aware training-data selection with Gradient Information "
                                        "Optimization (Everaert & Potts, ICLR 2024)."})

PAGES = [
    st.Page("pages/select.py", title="Select data", icon=":material/ads_click:", default=True),
    st.Page("pages/compare.py", title="Compare methods", icon=":material/balance:"),
    st.Page("pages/how_it_works.py", title="How GIO works", icon=":material/lightbulb:"),
]

st.navigation(PAGES).run()
