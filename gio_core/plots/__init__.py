"""Pictures of runs: 2-D maps of pool and target (UMAP, PCA) and the Plotly figures drawn on them.

``projection``       :func:`project`: a 2-D map of pool and target, and :class:`MapPlacer` for new points on it
``figures``          a GIO run's map, KL curve and animated replay (:class:`RunTrace`)
``compare_figures``  every method's KL curve and picks side by side
"""

from .compare_figures import kl_curves_figure, method_colors, selection_maps_figure
from .curves import kl_figure
from .maps import map_figure, pool_map_figure
from .projection import MapPlacer, MapProjection, project, resolve_method, warm_up_umap
from .trace import STOP_LABELS, RunTrace, map_overlay

__all__ = [
    "STOP_LABELS",
    "MapPlacer",
    "MapProjection",
    "RunTrace",
    "kl_curves_figure",
    "kl_figure",
    "map_figure",
    "map_overlay",
    "method_colors",
    "pool_map_figure",
    "project",
    "resolve_method",
    "selection_maps_figure",
    "warm_up_umap",
]
