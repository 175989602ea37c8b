"""Choosing the target on the map: with only a pool, a person boxes or lassoes rows on a map of it (or
picks label values), then presses "Select more like these"; the chosen rows become the target and leave
the pool (:func:`gio_core.io.targets.split_pool`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from gio_core.io import LoadedData
from gio_core.plots import pool_map_figure

from . import cache, rows
from .maps import map_status, pool_map

CONFIRM_LABEL = "Select more like these"
_NO_FILTER = "(no filter)"


@dataclass(frozen=True)
class ChosenTarget:
    """Pool rows a person chose as the target, and how.

    Attributes
    ----------
    rows : ndarray of int64
        Row numbers of the pool file, ascending.
    how : str
        One line for the report and the manifest.
    """

    rows: np.ndarray
    how: str

    def record(self, pool: LoadedData) -> dict:
        """What the manifest keeps: the pool file (and its path, when it was read from one), the rows taken from
        it, and how they were chosen; ``gio-studio select --manifest`` takes the same rows out again."""
        record = {"pool": pool.name, "pool_sha256": pool.sha256, "rows": self.rows.tolist(), "how": self.how}
        if pool.path is not None:
            record["path"] = str(pool.path)
        return record


def _state_key(pool: LoadedData) -> str:
    return f"_chosen_target_{pool.sha256[:16]}"


def choose_target(pool: LoadedData, choice: dict, *, label_options: list[str]) -> ChosenTarget | None:
    """Draw the chooser; returns the chosen target once confirmed (None while choosing).

    Parameters
    ----------
    pool : LoadedData
        The pool file as read.
    choice : dict
        The vector choice (``prepare_vectors`` keyword arguments) that the map is drawn from.
    label_options : list of str
        Columns with few values that can filter rows (and colour the map).
    """
    confirmed = st.session_state.get(_state_key(pool))
    if confirmed is not None:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.success(
            f"Target: {len(confirmed.rows):,} rows of {pool.name}, {confirmed.how}; the pool is the other "
            f"{pool.n_rows - len(confirmed.rows):,} rows.",
            icon=":material/target:",
        )
        if right.button("Choose again", key="choose_target_again", icon=":material/undo:"):
            st.session_state.pop(_state_key(pool), None)
            st.rerun()
        return confirmed

    st.markdown(
        "**Choose the target on the map** · draw a box (drag) or a lasso (mode bar) around rows like the "
        "ones you want, or filter by a label value; then press *Select more like these*. The chosen rows "
        "become the target and leave the pool."
    )
    prepared = cache.prepared_vectors_or_message(pool, pool, choice)
    if prepared is None:
        return None
    key = f"pool-only|{pool.sha256[:16]}|{cache.choice_key(choice)}"
    state = pool_map(key, prepared.pool)
    map_status(state)

    left, right = st.columns([1, 2])
    column = left.selectbox(
        "Filter by",
        [_NO_FILTER] + label_options,
        key=f"target_filter_column_{pool.sha256[:10]}",
        help="A column with few values: choose values whose rows become the target.",
    )
    labels = None
    values: list = []
    if column != _NO_FILTER:
        labels = pool.frame[column].to_numpy()[prepared.pool_rows]
        distinct = sorted({str(value) for value in labels})
        values = right.multiselect(
            f"Rows whose {column} is",
            distinct,
            key=f"target_filter_values_{pool.sha256[:10]}",
            help="Every pool row with one of these values joins the target.",
        )
    by_label = np.flatnonzero(np.isin(np.asarray(labels, dtype=str), values)) if values else np.empty(0, np.int64)

    hover = rows.pool_hover(pool, prepared.pool_rows, choice, column if labels is not None else None)
    figure = pool_map_figure(
        state.projection,
        labels=labels,
        label_name=column if labels is not None else None,
        chosen=by_label if len(by_label) else None,
        pool_text=hover,
    )
    event = st.plotly_chart(
        figure,
        key=f"target_map_{pool.sha256[:10]}",
        on_select="rerun",
        selection_mode=("box", "lasso"),
        config={"displaylogo": False},
        width="stretch",
    )
    by_map = _points(event, figure)
    chosen = np.union1d(by_map, by_label)
    how = " and ".join(
        part
        for part, used in (
            ("boxed or lassoed on the map", len(by_map)),
            (f"with {column} in {{{', '.join(values)}}}", len(by_label)),
        )
        if used
    )
    left, right = st.columns([2, 3], vertical_alignment="center")
    clicked = left.button(
        f"{CONFIRM_LABEL} ({len(chosen):,} rows)",
        key="confirm_target",
        type="primary",
        disabled=not len(chosen),
        icon=":material/target:",
        help="Make the chosen rows the target and take them out of the pool.",
    )
    right.caption(
        f"{len(chosen):,} rows chosen: {len(by_map):,} on the map, {len(by_label):,} by label."
        if len(chosen)
        else "Nothing chosen yet."
    )
    if clicked:
        st.session_state[_state_key(pool)] = ChosenTarget(np.sort(prepared.pool_rows[chosen]), how)
        st.rerun()
    return None


def _points(event, figure) -> np.ndarray:
    """Prepared pool rows of the points boxed or lassoed (each trace's customdata holds them)."""
    points = list(getattr(getattr(event, "selection", None), "points", None) or [])
    chosen = []
    for point in points:
        curve, index = point.get("curve_number"), point.get("point_index", point.get("point_number"))
        if curve is None or index is None or curve >= len(figure.data):
            continue
        trace = figure.data[curve]
        if trace.name == "chosen as target" or trace.customdata is None or index >= len(trace.customdata):
            continue
        chosen.append(int(trace.customdata[index]))
    return np.unique(np.asarray(chosen, dtype=np.int64))
