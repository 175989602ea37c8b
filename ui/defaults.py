"""The app's defaults, in one place.

GIO's own defaults come from :class:`gio_core.GIOSelector` (the engine owns them and a quality study may
change them). ``GIO_OVERRIDES`` changes them for the app only; ``APP_SETTINGS`` holds the app's own
knobs. Edit these two dicts to change what a new session starts with.
"""

from __future__ import annotations

from gio_core.gio import PAPER_GIO_PARAMS, GIOSelector
from gio_core.scale import QUANTIZE_ABOVE_ROWS
from gio_core.scale import suggested_clusters as _suggested_clusters
from gio_core.scale import suggested_max_picks as _suggested_max_picks

#: GIO parameters the app sets differently from the engine's defaults (empty: the engine's defaults).
GIO_OVERRIDES: dict = {}

#: The app's own settings.
APP_SETTINGS: dict = {
    "seed": 0,  # random_state of every run
    "recipe": "recommended",  # 'recommended' (the engine's defaults) or 'paper' (grad-info-opt 0.1.2's values)
    "start": "empty",  # start set: 'empty', 'uniform' (the paper's) or 'pool_sample'
    "start_pool_share": 0.01,  # share of the pool used as the start set when start='pool_sample'
    "quantize_above_rows": QUANTIZE_ABOVE_ROWS,  # quantisation is on by default above this many pool rows
    "live_speed": "Normal",  # pace of the live view (see LIVE_SPEEDS)
    "map_method": "auto",  # 'auto' (UMAP, PCA while it computes or for tiny data) or 'pca'
    "redraw_seconds": 0.25,  # live view redraws at most this often (4 per second)
    # the run's map (a sample of a bigger pool): every rerun sends it whole, and a browser took 1.8 s to redraw
    # 20,000 points, 0.8 s for 5,000 (README, "At a user's scale")
    "max_pool_rows_on_map": 5_000,
    # picks drawn at most (evenly spaced in pick order; the caption says how many): each is two dots (its colour
    # on a dark ring), and a browser without a GPU draws them all on every rerun
    "max_picks_on_map": 2_000,
    "max_pool_rows_on_target_map": 20_000,  # the map a target is boxed on: more rows to choose from
}

#: Live-view pace: steps per second (None: as fast as the engine goes).
LIVE_SPEEDS: dict[str, float | None] = {"Slow": 8.0, "Normal": 40.0, "Max": None}

#: What each stopping rule is called in the app, and the parameter holding its threshold.
STOP_RULES: dict[str, tuple[str, str | None]] = {
    "increase": ("Stop when the KL rises", None),
    "min_difference": ("Stop when the KL falls by less than a threshold", "min_difference"),
    "min_kl": ("Stop when the KL falls below a floor", "min_kl"),
    "data_size": ("Stop at a budget", "max_data_size"),
    "sequential_increase_tolerance": ("Stop after several rises in a row", "max_sequential_increases"),
    "max_resets": ("Reset the pool when the KL rises, stop after N resets", "max_resets"),
}

V_INIT_LABELS: dict[str, str] = {
    "cycle": "Each target row in turn",
    "mean": "Target mean",
    "prev_opt": "Previous optimum",
    "jump": "Random target row",
}

START_LABELS: dict[str, str] = {
    "empty": "Empty",
    "uniform": "20 random unit vectors (paper)",
    "pool_sample": "Random pool rows",
}

#: Parameter sets the app offers in one click: label and (GIO parameters, start set).
RECIPES: dict[str, str] = {
    "recommended": "Recommended (measured best)",
    "paper": "Paper (grad-info-opt 0.1.2)",
}

OBJECTIVE_LABELS: dict[str, str] = {
    "smooth": "Smooth k-NN KL (ours)",
    "averaged": "Rank-averaged k-NN KL (paper)",
}

#: One line of help per control.
HELP: dict[str, str] = {
    "k": "Neighbour rank of the k-NN KL estimate; larger k is smoother but needs k+1 target rows.",
    "lr": "Gradient-descent step size for the free point v, relative to the data's scale.",
    "quantize": "Cluster pool and target with K-means and run GIO on the centroids; each chosen centroid brings "
    "all its rows. Needed for large pools.",
    "n_clusters": "Number of K-means clusters for the pool (and the target, when it has more rows).",
    "grad_desc_iter": "Gradient-descent steps per pick (three times as many on the first pick).",
    "max_iter": "The run stops after this many picks at most.",
    "stop_criterion": "When GIO stops adding picks.",
    "min_difference": "Stop when a pick lowers the KL by less than this.",
    "min_kl": "Stop once the KL falls below this value.",
    "max_data_size": "Stop once the selection holds this share of the pool's rows (or at Maximum picks, whichever "
    "comes first).",
    "max_sequential_increases": "Stop after the KL rises this many times in a row; keep the selection at its "
    "lowest KL.",
    "max_resets": "How many times the pool is made whole again when the KL rises, before stopping.",
    "v_init": "Where each gradient descent starts: each target row in turn, the target mean, the previous optimum, "
    "or a random target row.",
    "recipe": "Recommended: the defaults our quality benchmark chose. Paper: every parameter at grad-info-opt 0.1.2's "
    "value, for reproducing the paper.",
    "objective": "What the descent lowers: a smooth standard k-NN KL that aims at target regions not yet covered "
    "(ours), or the paper's rank-averaged KL.",
    "seed": "Seeds every random choice; the same seed and data give the same selection.",
    "start": "The start set D that the picks are added to: nothing, the paper's random unit vectors, or random "
    "pool rows.",
    "start_pool_share": "Share of the pool used as the start set (those rows are never picked).",
    "live_speed": "How fast the live view plays the run: Slow and Normal pace it so you can watch; Max runs flat out.",
    "map_method": "UMAP shows clusters best; PCA is instant and linear.",
    "color_picks_by": "Colour the picks by their order, or by the label column.",
}


def default_params() -> dict:
    """GIO parameters a new session starts with: the engine's defaults with ``GIO_OVERRIDES`` applied.

    ``random_state`` is left out: the app's seed control sets it (``APP_SETTINGS['seed']``).
    """
    params = GIOSelector().get_params()
    params.update(GIO_OVERRIDES)
    params.pop("random_state", None)
    if params.get("max_iter") is None:  # the engine's "as many as the pool suggests": a number in the box
        params["max_iter"] = _suggested_max_picks(None)
    return params


def recipe_params(recipe: str) -> tuple[dict, str]:
    """GIO parameters and start set of a recipe (see :data:`RECIPES`)."""
    if recipe == "paper":
        params = dict(PAPER_GIO_PARAMS)
        return params, "uniform"
    return default_params(), APP_SETTINGS["start"]


def suggested_clusters(n_pool: int) -> int:
    """A K-means cluster count for a pool of ``n_pool`` rows: 2% of it, between 50 and 2,000."""
    return _suggested_clusters(n_pool)


def suggested_max_picks(n_clusters: int | None) -> int:
    """Maximum picks for a run on ``n_clusters`` centroids (None: not quantised): 100, or a fifth of K."""
    return _suggested_max_picks(n_clusters)
