"""The Streamlit side of GIO Studio: session state, cached wrappers and widgets.

Pages (``pages/``) compose these; the maths lives in ``gio_core``. Modules:

``defaults``   the app's default parameters (one place to change them) and control help texts
``state``      per-session state: the data choice, the current run
``cache``      thin ``st.cache_data``/``st.cache_resource`` wrappers (demos, vectors, maps)
``data_panel`` choosing a demo or uploading files, picking vectors and a label column
``data_root``  which server files the path box may read (only under the operator's data root)
``controls``   the GIO parameter widgets
``run_view``   the live run, the replay, the downloads
``rows``       the rows behind the points: hover content, the picks table, the gallery, rows chosen on the map
``target_picker`` choosing the target on a map of the pool ("select more like these")
``maps``       which map to draw (UMAP when fitted, PCA meanwhile)
``explain``    the picture on *How GIO works*
"""
