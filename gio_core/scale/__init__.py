"""GIO at scale: K-means quantisation of pool and target, every row assigned to its centroid, and the chosen
centroids exploded back to rows.

``quantize``  the quantise stage (:func:`quantise_inputs`: a seeded sample, faiss training, every row assigned)
``assign``    :func:`~gio_core.scale.assign.assign_rows`, the one row-to-centroid assignment of every engine
``explode``   chosen clusters to rows: every row (the paper), or a row budget (:mod:`gio_core.scale.turns`)
``turns``     a row budget filled by the target's rows taking turns at the chosen clusters' nearest rows
``sizing``    when a pool is quantised by default and with how many clusters (:func:`suggested_clusters`)
"""

from .assign import Assignment, assign_rows
from .explode import EXPLODE_MODES, allocate_rows, explode_rows, row_priority
from .quantize import QuantisedInputs, Quantization, quantise_in_process, quantise_inputs, quantize
from .sizing import QUANTIZE_ABOVE_ROWS, suggested_clusters, suggested_max_picks

__all__ = [
    "EXPLODE_MODES",
    "QUANTIZE_ABOVE_ROWS",
    "Assignment",
    "QuantisedInputs",
    "Quantization",
    "allocate_rows",
    "assign_rows",
    "explode_rows",
    "quantise_in_process",
    "quantise_inputs",
    "quantize",
    "row_priority",
    "suggested_clusters",
    "suggested_max_picks",
]
