"""The one selection pipeline (read → vectors → quantise → select → explode → export → manifest) and the
execution backends its row-level stages run on.

``pipeline``  :class:`SelectionPipeline` and :func:`run_selection`, for the CLI, the app and the API
``stages``    what each stage returns and the :class:`StageEvent` values it sends while it runs
``backends``  in-process (NumPy + faiss) and Spark
"""

from .backends import BACKENDS, Backend, BackendUnavailable, Selection, get_backend
from .pipeline import Selecting, SelectionPipeline, run_selection
from .stages import STAGES, Inputs, PoolVectors, StageEvent, StageLog, Vectors

__all__ = [
    "BACKENDS",
    "STAGES",
    "Backend",
    "BackendUnavailable",
    "Inputs",
    "PoolVectors",
    "Selecting",
    "Selection",
    "SelectionPipeline",
    "StageEvent",
    "StageLog",
    "Vectors",
    "get_backend",
    "run_selection",
]
