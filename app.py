"""GIO Studio: the Streamlit app's entry point (``streamlit run app.py``; ``make run``).

This file only sets up the page and routes between the pages in ``pages/`` (``ui/navigation.py``); the
widgets live in ``ui/`` and the maths in ``gio_core/``.
"""

from ui.navigation import run_app

run_app()
