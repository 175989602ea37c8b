"""The map of a run: the pool in grey, the target in colour (by label when there is one), the picks so far as
dots ringed in black, coloured by pick order or label, the current step's optimum ``v`` (a star) and its path,
the row it snapped to (a ring: green when kept, red when the stopping rule rejected it), the pool centroids (dark
dots) when quantised. :func:`map_figure` draws one step; :func:`pool_map_figure` a pool alone (to choose target
rows on).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from .projection import MapProjection
from .style import (
    COLORS,
    MAX_LEGEND_ABOVE,
    ORDER_SCALE,
    HoverSource,
    axis_style,
    base_layout,
    hover_text,
    label_colors,
    label_key,
    pick_colors,
    with_content,
)
from .trace import MapOverlay, empty_xy

__all__ = ["map_figure", "pool_map_figure"]

_PICK_SIZE = 8
_PICK_RING = "#111827"


def static_map_traces(
    projection: MapProjection,
    *,
    target_labels: ArrayLike | None,
    label_name: str | None,
    colors: dict | None,
    centroids_xy: NDArray | None,
    pick_legend: bool = False,
    pool_text: HoverSource | None = None,
    target_text: HoverSource | None = None,
) -> list:
    pool_hover = hover_text(pool_text, projection.pool_rows)
    traces = [
        go.Scattergl(
            x=projection.pool_xy[:, 0],
            y=projection.pool_xy[:, 1],
            mode="markers",
            name="pool",
            marker=dict(color=COLORS["pool"], size=4, opacity=0.45),
            customdata=projection.pool_rows,
            text=pool_hover,
            hovertemplate=with_content("pool row %{customdata}<extra></extra>", pool_hover),
        )
    ]
    if centroids_xy is not None:  # under the target: on a map of many clusters a centroid sits on each of them
        traces.append(
            go.Scattergl(
                x=centroids_xy[:, 0],
                y=centroids_xy[:, 1],
                mode="markers",
                name="pool centroids",
                # plain dots: a browser without a GPU (SwiftShader) draws any other symbol, or an outline, through a
                # glyph texture at 3-4x the cost; 2,000 crosses were 0.3 s of every redraw of a million-row run
                marker=dict(symbol="circle", size=5, color=COLORS["centroid"], opacity=0.8, line=dict(width=0)),
                customdata=np.arange(len(centroids_xy)),
                hovertemplate="centroid %{customdata}<extra></extra>",
            )
        )
    if target_labels is None:
        target_hover = hover_text(target_text, np.arange(len(projection.target_xy)))
        traces.append(
            go.Scattergl(
                x=projection.target_xy[:, 0],
                y=projection.target_xy[:, 1],
                mode="markers",
                name="target",
                marker=dict(color=COLORS["target"], size=6, opacity=0.75, line=dict(width=0)),
                customdata=np.arange(len(projection.target_xy)),
                text=target_hover,
                hovertemplate=with_content("target row %{customdata}<extra></extra>", target_hover),
            )
        )
    else:
        labels = np.asarray([label_key(value) for value in np.asarray(target_labels, dtype=object)], dtype=object)
        for label, color in (colors or label_colors(labels)).items():
            members = np.flatnonzero(labels == label)
            if not len(members):
                continue
            target_hover = hover_text(target_text, members)
            traces.append(
                go.Scattergl(
                    x=projection.target_xy[members, 0],
                    y=projection.target_xy[members, 1],
                    mode="markers",
                    name=f"target: {label_name or 'label'} {label}",
                    legendgroup=f"label-{label}",
                    marker=dict(color=color, size=6, opacity=0.75),
                    customdata=members,
                    text=target_hover,
                    hovertemplate=with_content(
                        f"target row %{{customdata}}<br>{label_name or 'label'}: {label}<extra></extra>", target_hover
                    ),
                )
            )
    if pick_legend and colors:
        # picks with labels the target lacks need a legend entry of their own
        target_keys = (
            set() if target_labels is None else {label_key(value) for value in np.asarray(target_labels, dtype=object)}
        )
        for label, color in colors.items():
            if label in target_keys:
                continue
            traces.append(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=f"{label_name or 'label'} {label} (not in target)",
                    marker=dict(symbol="circle", size=8, color=color, line=dict(width=1.5, color=_PICK_RING)),
                    hoverinfo="skip",
                )
            )
    return traces


def dynamic_map_traces(
    overlay: MapOverlay,
    *,
    pool_labels: ArrayLike | None,
    label_name: str | None,
    colors: dict | None,
    color_by: str,
    max_rank: int | None,
    colorbar_x: float = 1.0,
    pool_text: HoverSource | None = None,
) -> list:
    """The overlay's traces, always the same six, so animation frames can replace them one for one.

    A pick is a dot in its colour on a slightly bigger dark dot (the ring): plain dots, where a diamond or an
    outline goes through WebGL glyph textures that a browser without a GPU (SwiftShader) draws at 3-4x a dot's
    cost."""
    label_colors_list, label_text = pick_colors(overlay, pool_labels=pool_labels, colors=colors, color_by=color_by)
    picks_marker = dict(symbol="circle", size=_PICK_SIZE, line=dict(width=0))
    customdata: NDArray | None
    if label_colors_list is not None:
        picks_marker["color"] = label_colors_list
        hover = (
            f"pick %{{customdata[0]}}<br>pool row %{{customdata[1]}}<br>{label_name or 'label'}: "
            "%{customdata[2]}<extra></extra>"
        )
        customdata = np.column_stack([overlay.picks_rank, overlay.picks_rows, np.asarray(label_text, dtype=object)])
    else:
        picks_marker.update(
            color=overlay.picks_rank,
            colorscale=ORDER_SCALE,
            cmin=1,
            cmax=max(int(max_rank or 0), int(overlay.picks_rank.max()) if len(overlay.picks_rank) else 1, 2),
            colorbar=dict(title=dict(text="pick", side="top"), thickness=10, len=0.5, y=0.5, x=colorbar_x, xpad=4),
        )
        hover = "pick %{customdata[0]}<br>pool row %{customdata[1]}<extra></extra>"
        customdata = np.column_stack([overlay.picks_rank, overlay.picks_rows])
    picks_hover = hover_text(pool_text, overlay.picks_rows)
    hover = with_content(hover, picks_hover)
    if not len(overlay.picks_rows):
        customdata = None
    cluster = overlay.cluster_xy if overlay.cluster_xy is not None else empty_xy()
    path = overlay.path_xy if overlay.path_xy is not None else empty_xy()
    v = overlay.v_xy[None, :] if overlay.v_xy is not None else empty_xy()
    snapped = overlay.snapped_xy[None, :] if overlay.snapped_xy is not None else empty_xy()
    ring = COLORS["kept"] if overlay.snapped_kept else COLORS["rejected"]
    return [
        go.Scattergl(
            x=overlay.picks_xy[:, 0],
            y=overlay.picks_xy[:, 1],
            mode="markers",
            name="picks (ring)",
            marker=dict(symbol="circle", size=_PICK_SIZE + 3, color=_PICK_RING, line=dict(width=0)),
            hoverinfo="skip",
            showlegend=False,
        ),
        go.Scattergl(
            x=overlay.picks_xy[:, 0],
            y=overlay.picks_xy[:, 1],
            mode="markers",
            name="picks",
            marker=picks_marker,
            customdata=customdata,
            text=picks_hover,
            hovertemplate=hover,
        ),
        go.Scattergl(
            x=cluster[:, 0],
            y=cluster[:, 1],
            mode="markers",
            name="rows of this cluster",
            marker=dict(color=COLORS["cluster"], size=7, line=dict(width=1, color="#7c2d12")),
            hoverinfo="skip",
            showlegend=overlay.centroids_xy is not None,
        ),
        go.Scatter(
            x=path[:, 0],
            y=path[:, 1],
            mode="lines",
            name="descent path of v",
            line=dict(color=COLORS["path"], width=1.5, dash="dot"),
            hoverinfo="skip",
        ),
        go.Scatter(
            x=v[:, 0],
            y=v[:, 1],
            mode="markers",
            name="v (optimum)",
            marker=dict(symbol="star", size=17, color=COLORS["v"], line=dict(width=1.5, color="white")),
            hovertemplate="v, the gradient-descent optimum<extra></extra>",
        ),
        go.Scatter(
            x=snapped[:, 0],
            y=snapped[:, 1],
            mode="markers",
            name="snapped to",
            marker=dict(symbol="circle-open", size=20, color=ring, line=dict(width=3, color=ring)),
            hovertemplate="the row v snapped to<extra></extra>",
        ),
    ]


def map_figure(
    projection: MapProjection,
    overlay: MapOverlay | None = None,
    *,
    target_labels: ArrayLike | None = None,
    pool_labels: ArrayLike | None = None,
    label_name: str | None = None,
    color_picks_by: str = "order",
    max_rank: int | None = None,
    title: str | None = None,
    height: int = 560,
    uirevision: str | None = None,
    pool_text: HoverSource | None = None,
    target_text: HoverSource | None = None,
) -> go.Figure:
    """The map of pool ∪ target with one step of a run.

    Parameters
    ----------
    projection : MapProjection
    overlay : MapOverlay, optional
        The step to show (:func:`map_overlay`); none draws the data alone.
    target_labels, pool_labels : array-like, optional
        Labels of the target rows (all of them) and of the pool rows (all ``n_pool``), to colour the
        target and, with ``color_picks_by='label'``, the picks.
    label_name : str, optional
        The label column's name, for the legend.
    color_picks_by : {'order', 'label'}, default='order'
    max_rank : int, optional
        Top of the pick-order colour scale (the run's final pick count keeps colours steady).
    title : str, optional
    height : int, default=560
    uirevision : str, optional
        Plotly keeps zoom and pan across redraws with the same value.
    pool_text, target_text : array-like of str, or callable, optional
        What each pool row (all ``n_pool``) and target row holds, shown when the pointer is on its point
        (a shortened sentence, a label; Plotly's hover labels take ``<b>``, ``<i>`` and ``<br>``, so
        escape other ``<``). A callable is asked ``text(rows)`` for the rows drawn only.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    if color_picks_by not in ("order", "label"):
        raise ValueError(f"color_picks_by={color_picks_by!r} is not 'order' or 'label'; pick one of those.")
    colors = None
    if target_labels is not None or pool_labels is not None:
        values = list(np.asarray(target_labels, dtype=object)) if target_labels is not None else []
        if pool_labels is not None and overlay is not None and len(overlay.picks_rows):
            values += list(np.asarray(pool_labels, dtype=object)[overlay.picks_rows])
        colors = label_colors(values)
    overlay = overlay or MapOverlay(empty_xy(), np.empty(0, np.int64), np.empty(0, np.int64))
    figure = go.Figure(
        static_map_traces(
            projection,
            target_labels=target_labels,
            label_name=label_name,
            colors=colors,
            centroids_xy=overlay.centroids_xy,
            pick_legend=color_picks_by == "label" and pool_labels is not None,
            pool_text=pool_text,
            target_text=target_text,
        )
        + dynamic_map_traces(
            overlay,
            pool_labels=pool_labels,
            label_name=label_name,
            colors=colors,
            color_by=color_picks_by,
            max_rank=max_rank,
            pool_text=pool_text,
        )
    )
    entries = sum(item.showlegend is not False for item in figure.data)
    if entries > MAX_LEGEND_ABOVE:
        # many labels: above the plot the legend took most of the figure's height, beside it most of its
        # width; below it, the figure grows by the legend's rows and the plot keeps its size
        height += 22 * int(np.ceil(entries / 3))
    base_layout(figure, height=height, title=title)
    if entries > MAX_LEGEND_ABOVE:
        figure.update_layout(
            legend=dict(orientation="h", x=0, xanchor="left", y=-0.1, yanchor="top", font=dict(size=11))
        )
    figure.update_xaxes(title_text=projection.axis_titles[0], **axis_style(projection.method))
    figure.update_yaxes(title_text=projection.axis_titles[1], **axis_style(projection.method))
    if projection.method == "raw":
        figure.update_yaxes(scaleanchor="x", scaleratio=1)
    if projection.sample_note:
        figure.add_annotation(
            text=projection.sample_note,
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font=dict(size=11, color="#4b5563"),
            bgcolor="rgba(255,255,255,0.85)",
        )
    if uirevision is not None:
        figure.update_layout(uirevision=uirevision)
    return figure


def pool_map_figure(
    projection: MapProjection,
    *,
    labels: ArrayLike | None = None,
    label_name: str | None = None,
    chosen: ArrayLike | None = None,
    pool_text: HoverSource | None = None,
    height: int = 480,
) -> go.Figure:
    """A map of the pool alone, to choose target rows on: by label colour, the chosen rows ringed.

    Parameters
    ----------
    projection : MapProjection
        A map of the pool (its target part is not drawn).
    labels : array-like, optional
        One label per pool row (all ``n_pool``), to colour the points.
    label_name : str, optional
    chosen : array-like of int, optional
        Pool rows chosen so far, drawn as rings.
    pool_text : array-like of str, or callable, optional
        Hover content per pool row, as in :func:`map_figure`.
    height : int, default=480

    Returns
    -------
    plotly.graph_objects.Figure
        Dragging draws a box (``dragmode='select'``); the lasso is in the mode bar. Each trace's
        ``customdata`` holds pool rows.
    """
    rows = projection.pool_rows
    hover = hover_text(pool_text, rows)
    traces = []
    if labels is None:
        traces.append(
            go.Scattergl(
                x=projection.pool_xy[:, 0],
                y=projection.pool_xy[:, 1],
                mode="markers",
                name="pool",
                marker=dict(color=COLORS["pool"], size=5, opacity=0.6),
                customdata=rows,
                text=hover,
                hovertemplate=with_content("pool row %{customdata}<extra></extra>", hover),
            )
        )
    else:
        keys = np.asarray([label_key(value) for value in np.asarray(labels, dtype=object)[rows]], dtype=object)
        for label, color in label_colors(keys).items():
            members = np.flatnonzero(keys == label)
            member_hover = None if hover is None else hover[members]
            traces.append(
                go.Scattergl(
                    x=projection.pool_xy[members, 0],
                    y=projection.pool_xy[members, 1],
                    mode="markers",
                    name=f"pool: {label_name or 'label'} {label}",
                    marker=dict(color=color, size=5, opacity=0.6),
                    customdata=rows[members],
                    text=member_hover,
                    hovertemplate=with_content(
                        f"pool row %{{customdata}}<br>{label_name or 'label'}: {label}<extra></extra>", member_hover
                    ),
                )
            )
    chosen_rows = None if chosen is None else np.asarray(chosen, dtype=np.int64)
    if chosen_rows is not None and len(chosen_rows):
        shown, chosen_xy = projection.shown_positions(chosen_rows)
        traces.append(
            go.Scattergl(
                x=chosen_xy[:, 0],
                y=chosen_xy[:, 1],
                mode="markers",
                name="chosen as target",
                marker=dict(
                    symbol="circle-open", size=9, color=COLORS["target"], line=dict(width=1.5, color=COLORS["target"])
                ),
                customdata=chosen_rows[shown],
                hoverinfo="skip",
            )
        )
    figure = go.Figure(traces)
    base_layout(figure, height=height, title=None)
    figure.update_layout(dragmode="select")
    figure.update_xaxes(title_text=projection.axis_titles[0], **axis_style(projection.method))
    figure.update_yaxes(title_text=projection.axis_titles[1], **axis_style(projection.method))
    if projection.sample_note:
        figure.add_annotation(
            text=projection.sample_note,
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font=dict(size=11, color="#4b5563"),
        )
    return figure
