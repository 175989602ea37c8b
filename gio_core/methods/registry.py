"""Every selection method by its display name, so a page or a benchmark can run them all on one budget.

:data:`METHODS` maps a name to a factory ``(n_select, random_state) -> estimator``: the baselines
(:mod:`gio_core.methods.baselines`, :mod:`gio_core.methods.greedy_kl`), TSDS, the GTP-style pursuit, GIO
and its variants. DSIR, which reads raw text, is in :data:`gio_core.methods.dsir.TEXT_METHODS`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..gio.config import PAPER_GIO_PARAMS, V_INITS
from ..gio.selector import GIOSelector
from .base import BaseSelector
from .baselines import KCenterGreedySelector, NearestToTargetSelector, RandomSelector
from .greedy_kl import GreedyKLSelector
from .pursuit import PursuitSelector
from .tsds import TSDSSelector

__all__ = ["METHODS", "Factory"]

Factory = Callable[[int, object], GIOSelector | BaseSelector]


def _gio(**overrides) -> Factory:
    def make(n_select: int, random_state=None) -> GIOSelector:
        return GIOSelector(
            **{
                **overrides,
                "max_iter": n_select,
                "stop_criterion": "data_size",
                "max_data_size": 1.0,
                "random_state": random_state,
            }
        )

    return make


def _baseline(cls) -> Factory:
    def make(n_select: int, random_state=None):
        return cls(n_select=n_select, random_state=random_state)

    return make


def _methods() -> dict[str, Factory]:
    methods: dict[str, Factory] = {
        "Random": _baseline(RandomSelector),
        "k-center greedy": _baseline(KCenterGreedySelector),
        "Nearest to target": _baseline(NearestToTargetSelector),
        "Greedy k-NN KL": _baseline(GreedyKLSelector),
        "TSDS": _baseline(TSDSSelector),
        "GTP-style pursuit": _baseline(PursuitSelector),
        "GIO": _gio(),
    }
    default_v_init = GIOSelector().get_params()["v_init"]
    for v_init in V_INITS:
        if v_init != default_v_init:
            methods[f"GIO (v_init={v_init})"] = _gio(v_init=v_init)
    defaults = GIOSelector().get_params()
    if any(defaults.get(name) != value for name, value in PAPER_GIO_PARAMS.items()):
        methods["GIO (paper)"] = _gio(**{name: value for name, value in PAPER_GIO_PARAMS.items() if name in defaults})
    return methods


#: display name -> factory(n_select, random_state) returning an estimator with ``fit(pool, target, init)``.
#: Every entry works on plain vectors (DSIR, which needs raw text, is in :data:`gio_core.methods.dsir.TEXT_METHODS`).
#: GIO runs with ``max_iter=n_select``, ``stop_criterion='data_size'`` and ``max_data_size=1.0``, so
#: every method gets the same budget; its defaults otherwise. ``'GIO (paper)'`` (present when the
#: defaults differ from grad-info-opt's) pins every parameter at grad-info-opt 0.1.2's value.
METHODS: dict[str, Factory] = _methods()
