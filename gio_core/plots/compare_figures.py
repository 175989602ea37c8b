"""Plotly figures of a method comparison: the picks of every method on one map, and their KL curves.

:func:`selection_maps_figure` draws small multiples: one panel per method on the same map
(:class:`gio_core.plots.projection.MapProjection`) with shared axes, the pool in grey, the target rows the
methods saw in blue and the held-out ones as open circles, and the method's picks in its colour
(with labels, picks whose label the target lacks are drawn as red crosses).
:func:`kl_curves_figure` overlays the methods' KL to the held-out target after each pick.
:func:`method_colors` gives each method one colour shared by both figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from .projection import MapPlacer
from .style import COLORS

__all__ = ["METHOD_COLORS", "kl_curves_figure", "method_colors", "selection_maps_figure"]

#: Colours for methods in the order they are listed: Okabe & Ito's, then D3's, then ColorBrewer's Dark2
#: and Paired, leaving out blues (the target is blue on the map) and yellows (unreadable on white).
METHOD_COLORS: tuple[str, ...] = (
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#000000",
    "#8c564b",
    "#9467bd",
    "#7f7f7f",
    "#bcbd22",
    "#e377c2",
    "#66a61e",
    "#b15928",
    "#6a3d9a",
    "#a6761d",
)
_OFF_TARGET = "#b91c1c"
_FONT = dict(family="Inter, system-ui, sans-serif", size=13, color="#1f2937")


def method_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per method name, by position (GIO first gets vermilion).

    Examples
    --------
    >>> method_colors(["GIO", "Random"])
    {'GIO': '#D55E00', 'Random': '#009E73'}
    """
    return {name: METHOD_COLORS[position % len(METHOD_COLORS)] for position, name in enumerate(names)}


def _layout(figure: go.Figure, *, height: int, title: str | None) -> None:
    figure.update_layout(
        height=height,
        plot_bgcolor="white",
        paper_bgcolor="white",
        font=_FONT,
        hoverlabel=dict(bgcolor="white"),
        margin=dict(l=10, r=10, t=70 if title else 40, b=10),
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.02,
            xanchor="left",
            x=0,
            itemsizing="constant",
            bgcolor="rgba(255,255,255,0.8)",
        ),
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)) if title else None,
    )


def kl_curves_figure(
    curves: Mapping[str, ArrayLike],
    *,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    height: int = 420,
) -> go.Figure:
    """KL to the held-out target after each pick, one line per method.

    Parameters
    ----------
    curves : mapping of str to array-like of shape (n_picks,)
        Method name -> KL after pick 1, 2, … (``nan`` where undefined, as
        :func:`gio_core.evaluate.metrics.kl_curve` gives for the first ``k - 1`` picks).
    colors : mapping, optional
        Method name -> colour; default :func:`method_colors` in the order of ``curves``.
    title : str, optional
    height : int, default=420

    Returns
    -------
    plotly.graph_objects.Figure
        The last value of each line is marked and labelled in the hover text.
    """
    colors = dict(colors or method_colors(curves))
    figure = go.Figure()
    finite_values = []
    for name, curve in curves.items():
        curve = np.asarray(curve, dtype=np.float64)
        steps = np.arange(1, len(curve) + 1)
        defined = np.isfinite(curve)
        finite_values.extend(curve[defined].tolist())
        color = colors.get(name, "#374151")
        figure.add_trace(
            go.Scatter(
                x=steps[defined],
                y=curve[defined],
                mode="lines",
                name=name,
                legendgroup=name,
                line=dict(color=color, width=2.5 if name == "GIO" else 2),
                hovertemplate=f"{name}<br>pick %{{x}}: KL %{{y:.4g}}<extra></extra>",
            )
        )
        if defined.any():
            last = int(np.flatnonzero(defined)[-1])
            figure.add_trace(
                go.Scatter(
                    x=[steps[last]],
                    y=[curve[last]],
                    mode="markers",
                    legendgroup=name,
                    showlegend=False,
                    marker=dict(color=color, size=9),
                    hovertemplate=f"{name}: final KL %{{y:.4g}}<extra></extra>",
                )
            )
    _layout(figure, height=height, title=title)
    axis = dict(gridcolor=COLORS["grid"], zeroline=False, showline=True, linecolor="#d1d5db")
    figure.update_xaxes(title_text="picks", rangemode="tozero", **axis)
    figure.update_yaxes(title_text="KL(held-out target ‖ picks)", **axis)
    if finite_values:
        # the first defined values (k picks) dwarf the rest: start the axis near the later curves
        tails = [
            float(np.nanmax(values[len(values) // 5 :]))
            for values in (np.asarray(curve, dtype=np.float64) for curve in curves.values())
            if np.isfinite(values[len(values) // 5 :]).any()
        ]
        low, high = min(finite_values), max(tails) if tails else max(finite_values)
        pad = (high - low) * 0.08 or max(abs(high) * 0.1, 0.1)
        figure.update_yaxes(range=[low - pad, high + pad])
    else:
        figure.add_annotation(
            text="No KL yet: the estimator needs k picks.",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font=dict(size=13, color="#6b7280"),
        )
    return figure


def label_key(value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    return value if isinstance(value, (int, float, str)) else str(value)


def selection_maps_figure(
    placer: MapPlacer,
    selections: Mapping[str, ArrayLike],
    *,
    heldout_rows: ArrayLike | None = None,
    pool_labels: ArrayLike | None = None,
    target_labels: ArrayLike | None = None,
    label_name: str | None = None,
    colors: Mapping[str, str] | None = None,
    columns: int = 3,
    panel_height: int = 300,
    max_placed: int = 5000,
) -> go.Figure:
    """One map panel per method: pool, target and that method's picks, all panels on the same axes.

    Parameters
    ----------
    placer : MapPlacer
        The map (``placer.projection``) and the way to place picks it does not draw.
    selections : mapping of str to array-like of int
        Method name -> selected pool rows.
    heldout_rows : array-like of int, optional
        Target rows held out for scoring: drawn as open circles, the rest filled.
    pool_labels : array-like of shape (n_pool,), optional
        With ``target_labels``: picks whose label does not occur in the target are red crosses.
    target_labels : array-like of shape (n_target,), optional
    label_name : str, optional
        The label column's name, for the legend.
    colors : mapping, optional
        Method name -> colour; default :func:`method_colors`.
    columns : int, default=3
        Panels per row (fewer when there are fewer methods).
    panel_height : int, default=300
        Height of one row of panels, in pixels.
    max_placed : int, default=5000
        Picks outside a sampled map placed at most per method.

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    ValueError
        No selections, or ``columns`` below 1.
    """
    if not selections:
        raise ValueError("selections is empty; pass at least one method's picks.")
    if columns < 1:
        raise ValueError(f"columns must be at least 1; got {columns}.")
    projection = placer.projection
    colors = dict(colors or method_colors(selections))
    names = list(selections)
    n_columns = min(columns, len(names))
    n_rows = math.ceil(len(names) / n_columns)
    figure = make_subplots(
        rows=n_rows,
        cols=n_columns,
        subplot_titles=names,
        shared_xaxes="all",
        shared_yaxes="all",
        horizontal_spacing=0.02,
        vertical_spacing=0.12 / max(n_rows, 1) + 0.04,
    )
    heldout = np.zeros(len(projection.target_xy), dtype=bool)
    if heldout_rows is not None:
        heldout[np.asarray(heldout_rows, dtype=np.int64)] = True
    wanted, pool_label_array = None, None
    if pool_labels is not None and target_labels is not None:
        wanted = {label_key(value) for value in np.asarray(target_labels, dtype=object).tolist()}
        pool_label_array = np.asarray(pool_labels, dtype=object)
    what = label_name or "label"
    for position, name in enumerate(names):
        row, column = position // n_columns + 1, position % n_columns + 1
        first = position == 0
        figure.add_trace(
            go.Scattergl(
                x=projection.pool_xy[:, 0],
                y=projection.pool_xy[:, 1],
                mode="markers",
                name="pool",
                legendgroup="pool",
                showlegend=first,
                marker=dict(color=COLORS["pool"], size=3, opacity=0.4),
                hoverinfo="skip",
            ),
            row=row,
            col=column,
        )
        for is_heldout, label, symbol in (
            (False, "target (seen by the methods)", "circle"),
            (True, "target (held out for scoring)", "circle-open"),
        ):
            members = np.flatnonzero(heldout == is_heldout)
            if not len(members):
                continue
            figure.add_trace(
                go.Scattergl(
                    x=projection.target_xy[members, 0],
                    y=projection.target_xy[members, 1],
                    mode="markers",
                    name=label,
                    legendgroup=label,
                    showlegend=first,
                    marker=dict(color=COLORS["target"], size=5, opacity=0.7, symbol=symbol, line=dict(width=1.2)),
                    hoverinfo="skip",
                ),
                row=row,
                col=column,
            )
        rows = np.asarray(selections[name], dtype=np.int64).reshape(-1)
        kept, xy = placer.pool_positions(rows, max_placed=max_placed)
        rank = kept + 1
        on_target = np.ones(len(kept), dtype=bool)
        if wanted is not None and pool_label_array is not None and len(kept):
            on_target = np.array(
                [label_key(value) in wanted for value in pool_label_array[rows[kept]].tolist()], dtype=bool
            )
        color = colors.get(name, "#374151")
        figure.add_trace(
            go.Scattergl(
                x=xy[on_target, 0],
                y=xy[on_target, 1],
                mode="markers",
                name=f"{name}: picks",
                legendgroup=f"picks {name}",
                showlegend=False,
                marker=dict(color=color, size=7, symbol="diamond", line=dict(width=0.6, color="#111827")),
                customdata=np.column_stack([rank[on_target], rows[kept][on_target]]),
                hovertemplate=f"{name}<br>pick %{{customdata[0]}}<br>pool row %{{customdata[1]}}<extra></extra>",
            ),
            row=row,
            col=column,
        )
        if wanted is not None:
            off = ~on_target
            figure.add_trace(
                go.Scattergl(
                    x=xy[off, 0],
                    y=xy[off, 1],
                    mode="markers",
                    name=f"picks with a {what} not in the target",
                    legendgroup="off-target",
                    showlegend=first,
                    marker=dict(color=_OFF_TARGET, size=7, symbol="x", line=dict(width=0)),
                    customdata=np.column_stack([rank[off], rows[kept][off]]),
                    hovertemplate=f"{name}<br>pick %{{customdata[0]}}<br>pool row %{{customdata[1]}}<br>{what} not in "
                    "the target<extra></extra>",
                ),
                row=row,
                col=column,
            )
    # one legend entry for the picks, in neutral grey: each panel's title names its method and colour
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name="picks (the panel's method)",
            marker=dict(color="#6b7280", size=8, symbol="diamond", line=dict(width=0.6, color="#111827")),
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    _layout(figure, height=panel_height * n_rows + 70, title=None)
    figure.update_layout(margin=dict(l=10, r=10, t=80, b=10), legend=dict(y=1.0 + 60 / (panel_height * n_rows + 70)))
    show_ticks = projection.method != "umap"
    axis = dict(
        showgrid=True,
        gridcolor=COLORS["grid"],
        zeroline=False,
        showline=True,
        linecolor="#d1d5db",
        showticklabels=show_ticks,
        ticks="",
    )
    figure.update_xaxes(**axis)
    figure.update_yaxes(**axis)
    if projection.method == "raw":
        figure.update_yaxes(scaleanchor="x", scaleratio=1)
    for position, name in enumerate(names):  # colour each panel title as its method's line in the KL chart
        figure.layout.annotations[position].font = dict(size=14, color=colors.get(name, "#374151"))
    if projection.sample_note:
        figure.add_annotation(
            text=projection.sample_note,
            xref="paper",
            yref="paper",
            x=0,
            y=-0.02,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font=dict(size=11, color="#4b5563"),
        )
    return figure
