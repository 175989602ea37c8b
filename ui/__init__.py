"""The Streamlit side of GIO Studio: session state, cached wrappers and widgets.

Pages (``pages/``) compose these; the maths lives in ``gio_core``. Modules:

``defaults``   the app's default parameters (one place to change them) and control help texts
``state``      per-session state: the data choice, the current run
``cache``      thin ``st.cache_data``/``st.cache_resource`` wrappers (demos, vectors, maps)
``data_panel`` choosing a demo or uploading files, picking vectors and a label column
``controls``   the GIO parameter widgets
``run_view``   the live run, the replay, the downloads
"""
