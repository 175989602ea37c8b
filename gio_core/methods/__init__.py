"""Selection methods beside GIO, with GIO's inputs, budget and result shape (one base class,
:class:`~gio_core.methods.base.BaseSelector`).

``baselines``  random rows, k-center greedy, nearest to target
``greedy_kl``  exact greedy minimisation of the k-NN KL (GIO's unrelaxed objective)
``tsds``       TSDS (Liu et al. 2024)
``pursuit``    a GTP-style pursuit of the target's summed vector (after Deng et al. 2024)
``dsir``       DSIR on raw text (Xie et al. 2023)
``registry``   :data:`METHODS`: every method by display name, GIO and its variants included
"""

from .baselines import KCenterGreedySelector, NearestToTargetSelector, RandomSelector
from .dsir import TEXT_METHODS, DSIRSelector
from .greedy_kl import GreedyKLSelector
from .pursuit import PursuitSelector
from .registry import METHODS
from .tsds import TSDSSelector

__all__ = [
    "METHODS",
    "TEXT_METHODS",
    "DSIRSelector",
    "GreedyKLSelector",
    "KCenterGreedySelector",
    "NearestToTargetSelector",
    "PursuitSelector",
    "RandomSelector",
    "TSDSSelector",
]
