"""The ``gio-studio`` command: select pool rows from files, start the app.

``gio-studio select`` reads a pool and a target file, builds their vectors (numeric columns, a vector
column, or an embedded text column), runs GIO and writes the selected pool rows (CSV or Parquet) with
a run manifest beside them. ``gio-studio select --manifest RUN.manifest.json --out AGAIN.csv`` runs a
recorded selection again from its manifest and checks that it comes out identical.

Exit status: 0 on success; 2 on bad input or arguments (one line on stderr, never a traceback); 1 when
a rerun from a manifest gives a different selection or on an unexpected internal error; 128 + the signal
number when stopped (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). A stopped or failed run leaves no
partial file: outputs are written to a temporary name beside ``--out`` and renamed when complete, so a
file already at ``--out`` stays as it was.

Modules: ``main`` (the entry point: exit statuses, messages, stop signals), ``arguments`` (every option, from
GIOSelector's own parameters), ``select`` (``gio-studio select``: the pipeline with a progress bar and one line
per stage) and ``app`` (``gio-studio app``).
"""

from .main import main

__all__ = ["main"]
