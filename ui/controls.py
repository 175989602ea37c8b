"""The GIO parameter widgets (sidebar) and the view settings.

Each control starts from :func:`ui.defaults.default_params` / :data:`ui.defaults.APP_SETTINGS`, keeps its
value in this session's state, and says what it does in one line of help. The chosen values are checked
with :class:`gio_core.GIOConfig`; a bad combination is reported as a message, not a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import streamlit as st

from gio_core.gio import OBJECTIVES, PAPER_GIO_PARAMS, STOP_CRITERIA, V_INITS, GIOConfig

from . import session
from .defaults import (
    APP_SETTINGS,
    HELP,
    LIVE_SPEEDS,
    OBJECTIVE_LABELS,
    RECIPES,
    START_LABELS,
    STOP_RULES,
    V_INIT_LABELS,
    default_params,
    recipe_params,
    suggested_clusters,
    suggested_max_picks,
)
from .state import Dataset, RunSettings

_PREFIX = "p_"
#: The smallest learning rate the app offers (its box shows four decimals).
MIN_APP_LR = 1e-4


@dataclass(frozen=True)
class ViewSettings:
    """How runs are shown (changes nothing in the selection)."""

    map_method: str = "auto"
    color_picks_by: str = "order"
    live_speed: str = "Normal"


def _defaults(dataset: Dataset | None) -> dict:
    values = {
        **default_params(),
        "seed": APP_SETTINGS["seed"],
        "start": APP_SETTINGS["start"],
        "recipe": APP_SETTINGS["recipe"],
        "start_pool_share": APP_SETTINGS["start_pool_share"],
        "quantize": False,
    }
    if dataset is not None:
        values["quantize"] = dataset.n_pool > APP_SETTINGS["quantize_above_rows"]
        values["n_clusters"] = suggested_clusters(dataset.n_pool)
        if dataset.demo is not None:
            values.update(dataset.demo.params)
            # a demo that suggests clusters is meant to run quantised, as a real pool of its kind would
            values["quantize"] = values["quantize"] or dataset.demo.params.get("n_clusters") is not None
    if values.get("n_clusters") is None:
        values["n_clusters"] = 100
    if dataset is not None and values["quantize"] and "max_iter" not in demo_params_of(dataset):
        values["max_iter"] = suggested_max_picks(values["n_clusters"])
    return values


def demo_params_of(dataset: Dataset) -> dict:
    """The parameters a demo suggests (none for the user's own data)."""
    return dict(dataset.demo.params) if dataset.demo is not None else {}


def _init_state(dataset: Dataset | None) -> None:
    """Fill missing control values; re-derive the data-dependent ones when the data set changes.

    A demo's suggested parameters are set when it is chosen, and put back to the defaults when another
    data set is chosen. Values live in :mod:`ui.session` (they outlive a page switch); a value changed here
    renews its widget, which then shows it.
    """
    defaults = _defaults(dataset)
    for name, value in defaults.items():
        if not session.has(_PREFIX + name):
            session.keep(_PREFIX + name, value)
    data_key = dataset.key if dataset is not None else None
    if session.kept("_controls_data_key") != data_key:
        session.keep("_controls_data_key", data_key)
        if dataset is not None:
            demo_params = demo_params_of(dataset)
            plain = _defaults(None)
            for name in session.kept("_controls_demo_params", ()):
                if name not in demo_params and name in plain:
                    session.set_value(_PREFIX + name, plain[name])
            for name, value in demo_params.items():
                session.set_value(_PREFIX + name, value)
            session.keep("_controls_demo_params", tuple(demo_params))
            session.set_value(_PREFIX + "quantize", defaults["quantize"])
            session.set_value(_PREFIX + "n_clusters", defaults["n_clusters"])
            if "max_iter" not in demo_params:
                session.set_value(_PREFIX + "max_iter", defaults["max_iter"])


def _reset() -> None:
    """Every parameter back to the app's defaults (the data-dependent ones re-derived on the next run)."""
    plain = _defaults(None)
    for name, value in plain.items():
        session.set_value(_PREFIX + name, value)
    session.keep("_controls_data_key", None)
    session.keep("_controls_demo_params", ())


def _apply_recipe() -> None:
    """Set every GIO parameter (and the start set) to the chosen recipe's values; data-dependent ones stay."""
    recipe = session.widget_value(_PREFIX + "recipe")
    session.keep(_PREFIX + "recipe", recipe)
    params, start = recipe_params(recipe)
    for name, value in params.items():
        if name == "n_clusters":
            continue
        session.set_value(_PREFIX + name, value)
    session.set_value(_PREFIX + "start", start)


# The engine may offer an option before ui/defaults.py names it: show its own name rather than fail.
def _stop_rule_label(name: str) -> str:
    return STOP_RULES.get(name, (name, None))[0]


def _v_init_label(name: str) -> str:
    return V_INIT_LABELS.get(name, name)


def _value(name: str):
    return session.kept(_PREFIX + name)


def controls(dataset: Dataset | None) -> RunSettings:
    """Sidebar widgets for every GIO parameter; returns the settings they describe."""
    _init_state(dataset)
    sidebar = st.sidebar
    sidebar.header("Parameters")
    plain = _defaults(dataset)

    def number(container, label: str, name: str, **kwargs):
        return session.number_input(container, label, _PREFIX + name, default=plain[name], **kwargs)

    def choice(container, label: str, options, name: str, **kwargs):
        return session.selectbox(container, label, tuple(options), _PREFIX + name, default=plain[name], **kwargs)

    choice(
        sidebar,
        "Recipe",
        RECIPES,
        "recipe",
        format_func=lambda name: RECIPES[name],
        on_change=_apply_recipe,
        help=HELP["recipe"],
    )
    choice(
        sidebar,
        "Objective",
        OBJECTIVES,
        "objective",
        format_func=lambda name: OBJECTIVE_LABELS.get(name, name),
        help=HELP["objective"],
    )
    left, right = sidebar.columns(2)
    number(left, "k (neighbours)", "k", min_value=1, max_value=200, step=1, help=HELP["k"])
    number(right, "Maximum picks", "max_iter", min_value=1, max_value=1_000_000, step=10, help=HELP["max_iter"])
    left, right = sidebar.columns(2)
    # below 0.0001 the box would show 0.0000 and v would barely move: the app offers no smaller rate (the
    # engine and the CLI still take one)
    number(
        left, "Learning rate", "lr", min_value=MIN_APP_LR, max_value=10.0, step=0.005, format="%.4f", help=HELP["lr"]
    )
    number(
        right, "Descent steps", "grad_desc_iter", min_value=0, max_value=10_000, step=10, help=HELP["grad_desc_iter"]
    )

    rule = choice(
        sidebar,
        "Stopping rule",
        STOP_CRITERIA,
        "stop_criterion",
        format_func=_stop_rule_label,
        help=HELP["stop_criterion"],
    )
    threshold = STOP_RULES.get(rule, (rule, None))[1] if rule is not None else None
    if threshold == "min_difference":
        number(sidebar, "Minimum KL decrease", "min_difference", step=0.01, format="%.4f", help=HELP["min_difference"])
    elif threshold == "min_kl":
        number(sidebar, "KL floor", "min_kl", step=0.1, format="%.3f", help=HELP["min_kl"])
    elif threshold == "max_data_size":
        session.slider(
            sidebar,
            "Share of pool rows",
            _PREFIX + "max_data_size",
            default=plain["max_data_size"],
            min_value=0.001,
            max_value=1.0,
            step=0.001,
            format="%.3f",
            help=HELP["max_data_size"],
        )
    elif threshold == "max_sequential_increases":
        number(
            sidebar,
            "Rises in a row",
            "max_sequential_increases",
            min_value=1,
            max_value=1000,
            step=1,
            help=HELP["max_sequential_increases"],
        )
    elif threshold == "max_resets":
        number(sidebar, "Pool resets", "max_resets", min_value=0, max_value=1000, step=1, help=HELP["max_resets"])

    choice(sidebar, "v starts at", V_INITS, "v_init", format_func=_v_init_label, help=HELP["v_init"])
    session.toggle(
        sidebar, "Quantise with K-means", _PREFIX + "quantize", default=plain["quantize"], help=HELP["quantize"]
    )
    if _value("quantize"):
        number(sidebar, "Clusters", "n_clusters", min_value=1, max_value=1_000_000, step=10, help=HELP["n_clusters"])
    start = choice(
        sidebar, "Start set", START_LABELS, "start", format_func=lambda name: START_LABELS[name], help=HELP["start"]
    )
    if start == "pool_sample":
        session.slider(
            sidebar,
            "Share of the pool",
            _PREFIX + "start_pool_share",
            default=plain["start_pool_share"],
            min_value=0.001,
            max_value=0.5,
            step=0.001,
            format="%.3f",
            help=HELP["start_pool_share"],
        )
    number(sidebar, "Seed", "seed", min_value=0, max_value=2**31 - 1, step=1, help=HELP["seed"])
    sidebar.button(
        "Reset parameters to defaults",
        on_click=_reset,
        key="reset_parameters",
        help="Back to the app's defaults (ui/defaults.py).",
    )
    return _settings(dataset)


def _settings(dataset: Dataset | None) -> RunSettings:
    names = {field.name for field in fields(GIOConfig)}
    params = {name: session.kept(_PREFIX + name) for name in names if session.has(_PREFIX + name)}
    params["n_clusters"] = int(_value("n_clusters")) if _value("quantize") else None
    start = _value("start")
    params["random_init_pct"] = float(_value("start_pool_share")) if start == "pool_sample" else 0.0
    if start == "uniform" and not params.get("uniform_start_size"):
        params["uniform_start_size"] = PAPER_GIO_PARAMS["uniform_start_size"]
    if params["stop_criterion"] == "max_resets":
        params["resets_allowed"] = True
    error = None
    try:
        GIOConfig(**params)
    except (ValueError, TypeError) as problem:
        error = str(problem)
    if error is None and int(params.get("grad_desc_iter", 1)) == 0:
        error = (
            "Descent steps = 0: v would never move from where it starts, so GIO would not descend at all. Set "
            f"at least 1 (the default is {default_params()['grad_desc_iter']})."
        )
    if error is None and float(params.get("lr", 1.0)) < MIN_APP_LR:
        error = (
            f"Learning rate {params['lr']:g} is below {MIN_APP_LR:g}: v would barely move. Raise it (the default "
            f"is {default_params()['lr']:g})."
        )
    if error is None and dataset is not None:
        error = _data_error(params, dataset)
    return RunSettings(
        params=params, seed=int(_value("seed")), start=start, live_speed=view_state().live_speed, error=error
    )


def _data_error(params: dict, dataset: Dataset) -> str | None:
    k = params["k"]
    if params["n_clusters"] is not None and params["n_clusters"] > dataset.n_pool:
        return (
            f"Clusters = {params['n_clusters']:,} is more than the {dataset.n_pool:,} pool rows; lower it or turn "
            "K-means off."
        )
    target_points = dataset.n_target
    if params["n_clusters"] is not None and dataset.n_target > params["n_clusters"]:
        target_points = params["n_clusters"]
    if target_points < k + 1:
        return (
            f"The target has {target_points:,} rows{' (centroids)' if target_points != dataset.n_target else ''}; "
            f"k = {k} needs at least k+1 = {k + 1}. Lower k or add target rows."
        )
    return None


def view_controls(dataset: Dataset | None) -> ViewSettings:
    """Sidebar widgets for how the run is shown."""
    sidebar = st.sidebar
    sidebar.header("View")
    session.segmented_control(
        sidebar,
        "Map",
        ["auto", "pca"],
        "view_map_method",
        default=APP_SETTINGS["map_method"],
        required=True,
        format_func=lambda method: {"auto": "UMAP (auto)", "pca": "PCA"}[method],
        help=HELP["map_method"],
    )
    session.segmented_control(
        sidebar,
        "Live speed",
        list(LIVE_SPEEDS),
        "view_live_speed",
        default=APP_SETTINGS["live_speed"],
        required=True,
        help=HELP["live_speed"],
    )
    if dataset is not None and dataset.label_column:
        colour_names = {"label": dataset.label_column, "order": "pick order"}
        session.segmented_control(
            sidebar,
            "Colour picks by",
            ["label", "order"],
            "view_color_picks_by",
            default="label",
            required=True,
            format_func=lambda name: colour_names[name],
            help=HELP["color_picks_by"],
        )
    return view_state(dataset)


def view_state(dataset: Dataset | None = None) -> ViewSettings:
    color = session.kept("view_color_picks_by", "label")
    if dataset is None or not dataset.label_column:
        color = "order"
    return ViewSettings(
        map_method=session.kept("view_map_method") or APP_SETTINGS["map_method"],
        color_picks_by=color or "order",
        live_speed=session.kept("view_live_speed") or APP_SETTINGS["live_speed"],
    )
