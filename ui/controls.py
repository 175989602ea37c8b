"""The GIO parameter widgets (sidebar) and the view settings.

Each control starts from :func:`ui.defaults.default_params` / :data:`ui.defaults.APP_SETTINGS`, keeps its
value in this session's state, and says what it does in one line of help. The chosen values are checked
with :class:`gio_core.GIOConfig`; a bad combination is reported as a message, not a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import streamlit as st

from gio_core.gio import OBJECTIVES, PAPER_GIO_PARAMS, STOP_CRITERIA, V_INITS, GIOConfig

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
)
from .state import Dataset, RunSettings

_PREFIX = "p_"


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
    return values


def _init_state(dataset: Dataset | None) -> None:
    """Fill missing control values; re-derive the data-dependent ones when the data set changes.

    A demo's suggested parameters are set when it is chosen, and put back to the defaults when another
    data set is chosen.
    """
    defaults = _defaults(dataset)
    for name, value in defaults.items():
        st.session_state.setdefault(_PREFIX + name, value)
    data_key = dataset.key if dataset is not None else None
    if st.session_state.get("_controls_data_key") != data_key:
        st.session_state["_controls_data_key"] = data_key
        if dataset is not None:
            demo_params = dict(dataset.demo.params) if dataset.demo is not None else {}
            plain = _defaults(None)
            for name in st.session_state.pop("_controls_demo_params", ()):
                if name not in demo_params and name in plain:
                    st.session_state[_PREFIX + name] = plain[name]
            for name, value in demo_params.items():
                st.session_state[_PREFIX + name] = value
            st.session_state["_controls_demo_params"] = tuple(demo_params)
            st.session_state[_PREFIX + "quantize"] = defaults["quantize"]
            st.session_state[_PREFIX + "n_clusters"] = defaults["n_clusters"]


def _reset(dataset_key_state: str | None = None) -> None:
    for key in [key for key in st.session_state if str(key).startswith(_PREFIX)]:
        del st.session_state[key]
    st.session_state.pop("_controls_data_key", None)


def _apply_recipe() -> None:
    """Set every GIO parameter (and the start set) to the chosen recipe's values; data-dependent ones stay."""
    params, start = recipe_params(st.session_state[_PREFIX + "recipe"])
    for name, value in params.items():
        st.session_state[_PREFIX + name] = value
    st.session_state[_PREFIX + "start"] = start


# The engine may offer an option before ui/defaults.py names it: show its own name rather than fail.
def _stop_rule_label(name: str) -> str:
    return STOP_RULES.get(name, (name, None))[0]


def _v_init_label(name: str) -> str:
    return V_INIT_LABELS.get(name, name)


def _value(name: str):
    return st.session_state[_PREFIX + name]


def controls(dataset: Dataset | None) -> RunSettings:
    """Sidebar widgets for every GIO parameter; returns the settings they describe."""
    _init_state(dataset)
    sidebar = st.sidebar
    sidebar.header("Parameters")
    sidebar.selectbox(
        "Recipe",
        tuple(RECIPES),
        key=_PREFIX + "recipe",
        format_func=lambda name: RECIPES[name],
        on_change=_apply_recipe,
        help=HELP["recipe"],
    )
    sidebar.selectbox(
        "Objective",
        OBJECTIVES,
        key=_PREFIX + "objective",
        format_func=lambda name: OBJECTIVE_LABELS.get(name, name),
        help=HELP["objective"],
    )
    left, right = sidebar.columns(2)
    left.number_input("k (neighbours)", min_value=1, max_value=200, step=1, key=_PREFIX + "k", help=HELP["k"])
    right.number_input(
        "Maximum picks", min_value=1, max_value=1_000_000, step=10, key=_PREFIX + "max_iter", help=HELP["max_iter"]
    )
    left, right = sidebar.columns(2)
    left.number_input(
        "Learning rate", min_value=1e-6, max_value=10.0, step=0.005, format="%.4f", key=_PREFIX + "lr", help=HELP["lr"]
    )
    right.number_input(
        "Descent steps",
        min_value=0,
        max_value=10_000,
        step=10,
        key=_PREFIX + "grad_desc_iter",
        help=HELP["grad_desc_iter"],
    )

    rule = sidebar.selectbox(
        "Stopping rule",
        STOP_CRITERIA,
        key=_PREFIX + "stop_criterion",
        format_func=_stop_rule_label,
        help=HELP["stop_criterion"],
    )
    threshold = STOP_RULES.get(rule, (rule, None))[1] if rule is not None else None
    if threshold == "min_difference":
        sidebar.number_input(
            "Minimum KL decrease", step=0.01, format="%.4f", key=_PREFIX + "min_difference", help=HELP["min_difference"]
        )
    elif threshold == "min_kl":
        sidebar.number_input("KL floor", step=0.1, format="%.3f", key=_PREFIX + "min_kl", help=HELP["min_kl"])
    elif threshold == "max_data_size":
        sidebar.slider(
            "Share of pool rows",
            min_value=0.001,
            max_value=1.0,
            step=0.001,
            format="%.3f",
            key=_PREFIX + "max_data_size",
            help=HELP["max_data_size"],
        )
    elif threshold == "max_sequential_increases":
        sidebar.number_input(
            "Rises in a row",
            min_value=1,
            max_value=1000,
            step=1,
            key=_PREFIX + "max_sequential_increases",
            help=HELP["max_sequential_increases"],
        )
    elif threshold == "max_resets":
        sidebar.number_input(
            "Pool resets", min_value=0, max_value=1000, step=1, key=_PREFIX + "max_resets", help=HELP["max_resets"]
        )

    sidebar.selectbox("v starts at", V_INITS, key=_PREFIX + "v_init", format_func=_v_init_label, help=HELP["v_init"])
    sidebar.toggle("Quantise with K-means", key=_PREFIX + "quantize", help=HELP["quantize"])
    if _value("quantize"):
        sidebar.number_input(
            "Clusters", min_value=1, max_value=1_000_000, step=10, key=_PREFIX + "n_clusters", help=HELP["n_clusters"]
        )
    start = sidebar.selectbox(
        "Start set",
        tuple(START_LABELS),
        key=_PREFIX + "start",
        format_func=lambda name: START_LABELS[name],
        help=HELP["start"],
    )
    if start == "pool_sample":
        sidebar.slider(
            "Share of the pool",
            min_value=0.001,
            max_value=0.5,
            step=0.001,
            format="%.3f",
            key=_PREFIX + "start_pool_share",
            help=HELP["start_pool_share"],
        )
    sidebar.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key=_PREFIX + "seed", help=HELP["seed"])
    sidebar.button(
        "Reset parameters to defaults",
        on_click=_reset,
        key="reset_parameters",
        help="Back to the app's defaults (ui/defaults.py).",
    )
    return _settings(dataset)


def _settings(dataset: Dataset | None) -> RunSettings:
    names = {field.name for field in fields(GIOConfig)}
    params = {name: st.session_state[_PREFIX + name] for name in names if _PREFIX + name in st.session_state}
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
    st.session_state.setdefault("view_map_method", APP_SETTINGS["map_method"])
    st.session_state.setdefault("view_live_speed", APP_SETTINGS["live_speed"])
    sidebar = st.sidebar
    sidebar.header("View")
    sidebar.segmented_control(
        "Map",
        ["auto", "pca"],
        key="view_map_method",
        required=True,
        format_func=lambda method: {"auto": "UMAP (auto)", "pca": "PCA"}[method],
        help=HELP["map_method"],
    )
    sidebar.segmented_control(
        "Live speed", list(LIVE_SPEEDS), key="view_live_speed", required=True, help=HELP["live_speed"]
    )
    if dataset is not None and dataset.label_column:
        colour_names = {"label": dataset.label_column, "order": "pick order"}
        st.session_state.setdefault("view_color_picks_by", "label")
        sidebar.segmented_control(
            "Colour picks by",
            ["label", "order"],
            key="view_color_picks_by",
            required=True,
            format_func=lambda name: colour_names[name],
            help=HELP["color_picks_by"],
        )
    return view_state(dataset)


def view_state(dataset: Dataset | None = None) -> ViewSettings:
    color = st.session_state.get("view_color_picks_by", "label")
    if dataset is None or not dataset.label_column:
        color = "order"
    return ViewSettings(
        map_method=st.session_state.get("view_map_method") or APP_SETTINGS["map_method"],
        color_picks_by=color or "order",
        live_speed=st.session_state.get("view_live_speed") or APP_SETTINGS["live_speed"],
    )
