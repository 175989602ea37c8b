"""Plotly figures of a GIO run: the map with the picks, the KL curve, and an animated replay.

:class:`RunTrace` holds a run step by step (as :meth:`gio_core.GIOSelector.iter_fit` yields it);
:func:`map_overlay` puts one step of it on a :class:`gio_core.projection.MapProjection`;
:func:`map_figure` and :func:`kl_figure` draw one step; :func:`animated_run_figure` draws every step as
frames of one figure with a slider and a Play button (the HTML run report embeds it).

The map draws the pool in grey and the target in colour (by label when there is one); the picks so far
as diamonds coloured by pick order (or by label); for the current step the gradient-descent optimum
``v`` (a star) and its path, and the row it snapped to (a ring: green when kept, red when the stopping
rule rejected it); with quantisation the pool centroids (crosses) and the rows of the current pick's
cluster.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray
from plotly.subplots import make_subplots

from .projection import MapPlacer, MapProjection

logger = logging.getLogger(__name__)

__all__ = ["COLORS", "MapOverlay", "RunTrace", "STOP_LABELS", "animated_run_figure", "kl_figure", "label_colors",
           "map_figure", "map_overlay", "pool_map_figure"]

COLORS = {
    "pool": "#a3aab5",
    "target": "#2563eb",
    "v": "#111827",
    "path": "#4b5563",
    "kept": "#16a34a",
    "rejected": "#dc2626",
    "reset": "#f59e0b",
    "cluster": "#f97316",
    "centroid": "#6b7280",
    "curve": "#2563eb",
    "grid": "#e5e7eb",
}

# Colour-blind-safe categories (Okabe & Ito), then Plotly's D3 for more classes.
_CATEGORY_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
                    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                    "#bcbd22", "#17becf"]
_ORDER_SCALE = "Plasma"
# legend entries that fit above a map in two or three rows; more go in a column beside it
_MAX_LEGEND_ABOVE = 9

#: Short stop reasons for a chart; the stop message says the rest.
STOP_LABELS = {
    "increase": "stopped: the KL rose",
    "max_iter": "stopped: maximum picks",
    "min_difference": "stopped: KL gain below threshold",
    "min_kl": "stopped: KL below the floor",
    "data_size": "stopped: data-size budget",
    "sequential_increase_tolerance": "stopped: repeated KL rises",
    "max_resets": "stopped: resets used up",
    "pool_exhausted": "stopped: pool used up",
    "interrupted": "stopped by the user",
}


@dataclass(frozen=True)
class RunTrace:
    """A GIO run step by step, in the original space.

    Attributes
    ----------
    kl, kept, reset : ndarray, shape (n_steps,)
        KL with the step's row added, whether it was kept, whether the pool was reset.
    n_selected : ndarray of int, shape (n_steps,)
        Picks in the selection after each step.
    candidate : ndarray of int, shape (n_steps,)
        The row (or centroid, when quantised) each step snapped to.
    v : ndarray of float32, shape (n_steps, d)
        Each step's gradient-descent optimum.
    rows : tuple of ndarray of int
        Pool rows each step added (empty when not kept).
    paths : tuple of (ndarray or None)
        Each step's gradient-descent path, when recorded.
    initial_kl : float
        KL of the start set alone (``inf`` for an empty start).
    stop_reason, stop_message : str or None
        Why the run ended, when it has.
    cluster_centers : ndarray or None
        Pool centroids, when the run was quantised and they are known (a live run learns them at the end).
    quantized : bool
        Whether ``candidate`` numbers centroids rather than pool rows.
    """

    kl: NDArray[np.float64] = field(repr=False)
    kept: NDArray[np.bool_] = field(repr=False)
    reset: NDArray[np.bool_] = field(repr=False)
    n_selected: NDArray[np.int64] = field(repr=False)
    candidate: NDArray[np.int64] = field(repr=False)
    v: NDArray[np.float32] = field(repr=False)
    rows: tuple = field(repr=False)
    paths: tuple = field(repr=False)
    initial_kl: float = float("inf")
    stop_reason: str | None = None
    stop_message: str | None = None
    cluster_centers: NDArray | None = field(default=None, repr=False)
    quantized: bool = False

    @property
    def n_steps(self) -> int:
        return int(len(self.kl))

    @classmethod
    def from_steps(cls, steps: Sequence, *, initial_kl: float, dimensions: int, stop_reason: str | None = None,
                   stop_message: str | None = None, cluster_centers: ArrayLike | None = None,
                   quantized: bool | None = None) -> "RunTrace":
        """Build a trace from :class:`gio_core.GIOStep` objects (or anything with the same attributes).

        Parameters
        ----------
        steps : sequence of GIOStep
        initial_kl : float
        dimensions : int
            Vector dimensions (needed when there are no steps yet).
        stop_reason, stop_message : str, optional
            Default: the last step's ``stop_reason``.
        cluster_centers : array-like, optional
        quantized : bool, optional
            Default: whether ``cluster_centers`` is given.
        """
        steps = list(steps)
        if stop_reason is None and steps:
            stop_reason = steps[-1].stop_reason
        v = np.array([np.asarray(step.v, dtype=np.float32) for step in steps], dtype=np.float32).reshape(-1, dimensions)
        return cls(
            kl=np.array([step.kl for step in steps], dtype=np.float64),
            kept=np.array([step.kept for step in steps], dtype=bool),
            reset=np.array([getattr(step, "reset", False) for step in steps], dtype=bool),
            n_selected=np.array([step.n_selected for step in steps], dtype=np.int64),
            candidate=np.array([step.candidate for step in steps], dtype=np.int64),
            v=v,
            rows=tuple(np.asarray(step.rows, dtype=np.int64) for step in steps),
            paths=tuple(getattr(step, "path", None) for step in steps),
            initial_kl=float(initial_kl),
            stop_reason=stop_reason,
            stop_message=stop_message,
            cluster_centers=None if cluster_centers is None else np.asarray(cluster_centers),
            quantized=bool(cluster_centers is not None if quantized is None else quantized),
        )

    def picks_until(self, step: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Pool rows in the selection after ``step`` and their pick numbers (1-based), in pick order.

        Picks dropped at the end of a run (``'sequential_increase_tolerance'`` returns the selection at
        its lowest KL) are left out at the step that drops them.
        """
        if step < 0 or self.n_steps == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        step = min(step, self.n_steps - 1)
        chunks, ranks = [], []
        for index in range(step + 1):
            if self.kept[index] and len(self.rows[index]):
                chunks.append(self.rows[index])
                ranks.append(np.full(len(self.rows[index]), self.n_selected[index], dtype=np.int64))
        if not chunks:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        rows, rank = np.concatenate(chunks), np.concatenate(ranks)
        keep = rank <= self.n_selected[step]
        return rows[keep], rank[keep]


@dataclass(frozen=True)
class MapOverlay:
    """What one step of a run adds to the map (positions are map coordinates).

    Attributes
    ----------
    picks_xy : ndarray, shape (n, 2)
        The picks so far that are drawn, in pick order.
    picks_rank : ndarray of int, shape (n,)
        Their pick numbers.
    picks_rows : ndarray of int, shape (n,)
        Their pool rows.
    n_picks_total : int
        Rows in the selection so far (drawn or not).
    v_xy : ndarray of shape (2,) or None
        The current step's optimum.
    path_xy : ndarray of shape (m, 2) or None
        Its gradient-descent path.
    snapped_xy : ndarray of shape (2,) or None
        The row (or centroid) it snapped to.
    snapped_kept : bool
    cluster_xy : ndarray of shape (r, 2) or None
        Drawn rows of the current pick's cluster (quantised runs).
    centroids_xy : ndarray of shape (c, 2) or None
        Every pool centroid (quantised runs).
    step : int
        The step shown (0-based), or -1 before the first step.
    caption : str
        One line about the step.
    """

    picks_xy: NDArray[np.float32]
    picks_rank: NDArray[np.int64]
    picks_rows: NDArray[np.int64]
    n_picks_total: int = 0
    v_xy: NDArray | None = None
    path_xy: NDArray | None = None
    snapped_xy: NDArray | None = None
    snapped_kept: bool = True
    cluster_xy: NDArray | None = None
    centroids_xy: NDArray | None = None
    step: int = -1
    caption: str = ""


def _empty_xy() -> NDArray[np.float32]:
    return np.empty((0, 2), dtype=np.float32)


def map_overlay(trace: RunTrace, step: int, placer: MapPlacer, *, centroids_xy: NDArray | None = None,
                max_placed: int = 5000, show_path: bool = True) -> MapOverlay:
    """Put step ``step`` of a run on the map.

    Parameters
    ----------
    trace : RunTrace
    step : int
        0-based step; clipped to the run. -1 shows no step.
    placer : MapPlacer
    centroids_xy : ndarray, optional
        Map positions of the pool centroids (``placer.place(trace.cluster_centers)``), computed once
        by the caller; placed here when not given.
    max_placed : int, default=5000
        Picks outside a sampled map placed at most (a uniform sample is what the map shows anyway).
    show_path : bool, default=True
        Place the gradient-descent path of ``v``.

    Returns
    -------
    MapOverlay
    """
    if trace.cluster_centers is not None and centroids_xy is None:
        centroids_xy = placer.place(trace.cluster_centers)
    if trace.n_steps == 0 or step < 0:
        return MapOverlay(_empty_xy(), np.empty(0, np.int64), np.empty(0, np.int64), centroids_xy=centroids_xy,
                          caption="No step yet.")
    step = min(int(step), trace.n_steps - 1)
    rows, rank = trace.picks_until(step)
    quantized = trace.quantized
    if quantized:  # exploded clusters can hold millions of rows: draw the ones on the map
        shown, picks_xy = placer.projection.shown_positions(rows)
        kept_positions = np.flatnonzero(shown)
    else:
        kept_positions, picks_xy = placer.pool_positions(rows, max_placed=max_placed)
    v_xy = placer.place(trace.v[step])[0]
    path_xy = None
    path = trace.paths[step]
    if show_path and path is not None and len(path) > 1:
        every = max(1, len(path) // 40)
        path_xy = placer.place(np.asarray(path)[::every])
        path_xy = np.vstack([path_xy, v_xy[None, :]])
    cluster_xy = None
    if quantized:
        if trace.kept[step] and len(trace.rows[step]):
            _, cluster_xy = placer.projection.shown_positions(trace.rows[step])
        if centroids_xy is not None:
            snapped_xy = centroids_xy[trace.candidate[step]]
        else:  # centroids not known yet (a live run): the middle of the cluster's drawn rows
            snapped_xy = cluster_xy.mean(axis=0) if cluster_xy is not None and len(cluster_xy) else None
    else:
        snapped_xy = placer.pool_positions([trace.candidate[step]])[1][0]
    what = "centroid" if quantized else "pool row"
    verdict = "kept" if trace.kept[step] else ("pool reset" if trace.reset[step] else "rejected")
    caption = (f"Step {step + 1} of {trace.n_steps}: v snapped to {what} {int(trace.candidate[step])} "
               f"({verdict}); KL {trace.kl[step]:.4g}; {int(trace.n_selected[step])} picks"
               + (f", {len(rows):,} rows" if quantized else "") + ".")
    return MapOverlay(picks_xy=picks_xy, picks_rank=rank[kept_positions], picks_rows=rows[kept_positions],
                      n_picks_total=int(len(rows)), v_xy=v_xy, path_xy=path_xy, snapped_xy=snapped_xy,
                      snapped_kept=bool(trace.kept[step]), cluster_xy=cluster_xy, centroids_xy=centroids_xy,
                      step=step, caption=caption)


def label_colors(values: Iterable) -> dict:
    """A colour per distinct label, in sorted order (the same labels always get the same colours)."""
    distinct = sorted({_label_key(value) for value in values}, key=lambda value: (str(type(value)), value))
    return {value: _CATEGORY_COLORS[position % len(_CATEGORY_COLORS)] for position, value in enumerate(distinct)}


def _label_key(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return "missing" if np.isnan(value) else float(value)
    if value is None:
        return "missing"
    return value if isinstance(value, (int, str)) else str(value)


def _base_layout(figure: go.Figure, *, height: int, title: str | None) -> None:
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
        plot_bgcolor="white",
        paper_bgcolor="white",
        font=dict(family="Inter, system-ui, sans-serif", size=13, color="#1f2937"),
        legend=dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0, bgcolor="rgba(255,255,255,0.8)",
                    itemsizing="constant"),
        hoverlabel=dict(bgcolor="white", align="left"),
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)) if title else None,
    )
    # Plain plotly.js (the HTML report) does not make room for tick labels by itself; Streamlit's theme does.
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)


def _axis_style(method: str) -> dict:
    return dict(showgrid=True, gridcolor=COLORS["grid"], zeroline=False, showline=True, linecolor="#d1d5db",
                ticks="outside" if method != "umap" else "", showticklabels=method != "umap")


def _hover_text(text, rows: ArrayLike) -> NDArray | None:
    """Hover content of ``rows`` (HTML-ready strings), or None when there is none.

    ``text`` is one string per row, or a callable ``text(rows) -> strings`` for data too big to describe
    every row in advance.
    """
    if text is None:
        return None
    rows = np.asarray(rows, dtype=np.int64)
    if callable(text):
        return np.asarray(text(rows), dtype=object)
    return np.asarray(text, dtype=object)[rows]


def _with_content(template: str, text: NDArray | None) -> str:
    """A hover template with the row's content (``%{text}``) below its first line, when there is content."""
    return template.replace("<extra>", "<br>%{text}<extra>", 1) if text is not None else template


def _static_map_traces(projection: MapProjection, *, target_labels: ArrayLike | None, label_name: str | None,
                       colors: dict | None, centroids_xy: NDArray | None, pick_legend: bool = False,
                       pool_text: ArrayLike | None = None, target_text: ArrayLike | None = None) -> list:
    pool_hover = _hover_text(pool_text, projection.pool_rows)
    traces = [go.Scattergl(
        x=projection.pool_xy[:, 0], y=projection.pool_xy[:, 1], mode="markers", name="pool",
        marker=dict(color=COLORS["pool"], size=4, opacity=0.45), customdata=projection.pool_rows, text=pool_hover,
        hovertemplate=_with_content("pool row %{customdata}<extra></extra>", pool_hover))]
    if target_labels is None:
        target_hover = _hover_text(target_text, np.arange(len(projection.target_xy)))
        traces.append(go.Scattergl(
            x=projection.target_xy[:, 0], y=projection.target_xy[:, 1], mode="markers", name="target",
            marker=dict(color=COLORS["target"], size=6, opacity=0.75, line=dict(width=0)),
            customdata=np.arange(len(projection.target_xy)), text=target_hover,
            hovertemplate=_with_content("target row %{customdata}<extra></extra>", target_hover)))
    else:
        labels = np.asarray([_label_key(value) for value in np.asarray(target_labels, dtype=object)], dtype=object)
        for label, color in (colors or label_colors(labels)).items():
            members = np.flatnonzero(labels == label)
            if not len(members):
                continue
            target_hover = _hover_text(target_text, members)
            traces.append(go.Scattergl(
                x=projection.target_xy[members, 0], y=projection.target_xy[members, 1], mode="markers",
                name=f"target: {label_name or 'label'} {label}", legendgroup=f"label-{label}",
                marker=dict(color=color, size=6, opacity=0.75), customdata=members, text=target_hover,
                hovertemplate=_with_content(f"target row %{{customdata}}<br>{label_name or 'label'}: {label}"
                                            "<extra></extra>", target_hover)))
    if pick_legend and colors:
        # picks with labels the target lacks need a legend entry of their own
        target_keys = set() if target_labels is None else {_label_key(value) for value in
                                                           np.asarray(target_labels, dtype=object)}
        for label, color in colors.items():
            if label in target_keys:
                continue
            traces.append(go.Scatter(x=[None], y=[None], mode="markers", name=f"{label_name or 'label'} {label} "
                                     "(not in target)", marker=dict(symbol="diamond", size=8, color=color,
                                                                    line=dict(width=0.8, color="#111827")),
                                     hoverinfo="skip"))
    if centroids_xy is not None:
        traces.append(go.Scattergl(
            x=centroids_xy[:, 0], y=centroids_xy[:, 1], mode="markers", name="pool centroids",
            marker=dict(symbol="x-thin", size=7, color=COLORS["centroid"], line=dict(width=1.5, color=COLORS["centroid"])),
            customdata=np.arange(len(centroids_xy)), hovertemplate="centroid %{customdata}<extra></extra>"))
    return traces


def _pick_colors(overlay: MapOverlay, *, pool_labels: ArrayLike | None, colors: dict | None, color_by: str):
    if color_by == "label" and pool_labels is not None and len(overlay.picks_rows):
        labels = np.asarray(pool_labels, dtype=object)[overlay.picks_rows]
        mapping = colors or label_colors(labels)
        return [mapping.get(_label_key(value), "#7f7f7f") for value in labels], \
            [str(_label_key(value)) for value in labels]
    return None, None


def _dynamic_map_traces(overlay: MapOverlay, *, pool_labels: ArrayLike | None, label_name: str | None,
                        colors: dict | None, color_by: str, max_rank: int | None, colorbar_x: float = 1.0,
                        pool_text: ArrayLike | None = None) -> list:
    """The overlay's traces, always the same five, so animation frames can replace them one for one."""
    label_colors_list, label_text = _pick_colors(overlay, pool_labels=pool_labels, colors=colors, color_by=color_by)
    picks_marker = dict(symbol="diamond", size=8, line=dict(width=0.8, color="#111827"))
    if label_colors_list is not None:
        picks_marker["color"] = label_colors_list
        hover = (f"pick %{{customdata[0]}}<br>pool row %{{customdata[1]}}<br>{label_name or 'label'}: "
                 "%{customdata[2]}<extra></extra>")
        customdata = np.column_stack([overlay.picks_rank, overlay.picks_rows, np.asarray(label_text, dtype=object)])
    else:
        picks_marker.update(color=overlay.picks_rank, colorscale=_ORDER_SCALE, cmin=1,
                            cmax=max(int(max_rank or 0), int(overlay.picks_rank.max()) if len(overlay.picks_rank) else 1, 2),
                            colorbar=dict(title=dict(text="pick", side="top"), thickness=10, len=0.5, y=0.5,
                                          x=colorbar_x, xpad=4))
        hover = "pick %{customdata[0]}<br>pool row %{customdata[1]}<extra></extra>"
        customdata = np.column_stack([overlay.picks_rank, overlay.picks_rows])
    picks_hover = _hover_text(pool_text, overlay.picks_rows)
    hover = _with_content(hover, picks_hover)
    if not len(overlay.picks_rows):
        customdata = None
    cluster = overlay.cluster_xy if overlay.cluster_xy is not None else _empty_xy()
    path = overlay.path_xy if overlay.path_xy is not None else _empty_xy()
    v = overlay.v_xy[None, :] if overlay.v_xy is not None else _empty_xy()
    snapped = overlay.snapped_xy[None, :] if overlay.snapped_xy is not None else _empty_xy()
    ring = COLORS["kept"] if overlay.snapped_kept else COLORS["rejected"]
    return [
        go.Scattergl(x=overlay.picks_xy[:, 0], y=overlay.picks_xy[:, 1], mode="markers", name="picks",
                     marker=picks_marker, customdata=customdata, text=picks_hover, hovertemplate=hover),
        go.Scattergl(x=cluster[:, 0], y=cluster[:, 1], mode="markers", name="rows of this cluster",
                     marker=dict(color=COLORS["cluster"], size=7, line=dict(width=1, color="#7c2d12")),
                     hoverinfo="skip", showlegend=overlay.centroids_xy is not None),
        go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name="descent path of v",
                   line=dict(color=COLORS["path"], width=1.5, dash="dot"), hoverinfo="skip"),
        go.Scatter(x=v[:, 0], y=v[:, 1], mode="markers", name="v (optimum)",
                   marker=dict(symbol="star", size=17, color=COLORS["v"], line=dict(width=1.5, color="white")),
                   hovertemplate="v, the gradient-descent optimum<extra></extra>"),
        go.Scatter(x=snapped[:, 0], y=snapped[:, 1], mode="markers", name="snapped to",
                   marker=dict(symbol="circle-open", size=20, color=ring, line=dict(width=3, color=ring)),
                   hovertemplate="the row v snapped to<extra></extra>"),
    ]


def map_figure(projection: MapProjection, overlay: MapOverlay | None = None, *,
               target_labels: ArrayLike | None = None, pool_labels: ArrayLike | None = None,
               label_name: str | None = None, color_picks_by: str = "order", max_rank: int | None = None,
               title: str | None = None, height: int = 560, uirevision: str | None = None,
               pool_text: ArrayLike | None = None, target_text: ArrayLike | None = None) -> go.Figure:
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
    overlay = overlay or MapOverlay(_empty_xy(), np.empty(0, np.int64), np.empty(0, np.int64))
    figure = go.Figure(_static_map_traces(projection, target_labels=target_labels, label_name=label_name,
                                          colors=colors, centroids_xy=overlay.centroids_xy,
                                          pick_legend=color_picks_by == "label" and pool_labels is not None,
                                          pool_text=pool_text, target_text=target_text)
                       + _dynamic_map_traces(overlay, pool_labels=pool_labels, label_name=label_name, colors=colors,
                                             color_by=color_picks_by, max_rank=max_rank, pool_text=pool_text))
    entries = sum(item.showlegend is not False for item in figure.data)
    if entries > _MAX_LEGEND_ABOVE:
        # many labels: above the plot the legend took most of the figure's height, beside it most of its
        # width; below it, the figure grows by the legend's rows and the plot keeps its size
        height += 22 * int(np.ceil(entries / 3))
    _base_layout(figure, height=height, title=title)
    if entries > _MAX_LEGEND_ABOVE:
        figure.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.1, yanchor="top",
                                         font=dict(size=11)))
    figure.update_xaxes(title_text=projection.axis_titles[0], **_axis_style(projection.method))
    figure.update_yaxes(title_text=projection.axis_titles[1], **_axis_style(projection.method))
    if projection.method == "raw":
        figure.update_yaxes(scaleanchor="x", scaleratio=1)
    if projection.sample_note:
        figure.add_annotation(text=projection.sample_note, xref="paper", yref="paper", x=0, y=0, xanchor="left",
                              yanchor="bottom", showarrow=False, font=dict(size=11, color="#4b5563"),
                              bgcolor="rgba(255,255,255,0.85)")
    if uirevision is not None:
        figure.update_layout(uirevision=uirevision)
    return figure


def pool_map_figure(projection: MapProjection, *, labels: ArrayLike | None = None, label_name: str | None = None,
                    chosen: ArrayLike | None = None, pool_text: ArrayLike | None = None,
                    height: int = 480) -> go.Figure:
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
    hover = _hover_text(pool_text, rows)
    traces = []
    if labels is None:
        traces.append(go.Scattergl(x=projection.pool_xy[:, 0], y=projection.pool_xy[:, 1], mode="markers",
                                   name="pool", marker=dict(color=COLORS["pool"], size=5, opacity=0.6),
                                   customdata=rows, text=hover,
                                   hovertemplate=_with_content("pool row %{customdata}<extra></extra>", hover)))
    else:
        keys = np.asarray([_label_key(value) for value in np.asarray(labels, dtype=object)[rows]], dtype=object)
        for label, color in label_colors(keys).items():
            members = np.flatnonzero(keys == label)
            member_hover = None if hover is None else hover[members]
            traces.append(go.Scattergl(
                x=projection.pool_xy[members, 0], y=projection.pool_xy[members, 1], mode="markers",
                name=f"pool: {label_name or 'label'} {label}", marker=dict(color=color, size=5, opacity=0.6),
                customdata=rows[members], text=member_hover,
                hovertemplate=_with_content(f"pool row %{{customdata}}<br>{label_name or 'label'}: {label}"
                                            "<extra></extra>", member_hover)))
    if chosen is not None and len(chosen):
        shown, chosen_xy = projection.shown_positions(chosen)
        traces.append(go.Scattergl(x=chosen_xy[:, 0], y=chosen_xy[:, 1], mode="markers", name="chosen as target",
                                   marker=dict(symbol="circle-open", size=9, color=COLORS["target"],
                                               line=dict(width=1.5, color=COLORS["target"])),
                                   customdata=np.asarray(chosen, dtype=np.int64)[shown], hoverinfo="skip"))
    figure = go.Figure(traces)
    _base_layout(figure, height=height, title=None)
    figure.update_layout(dragmode="select")
    figure.update_xaxes(title_text=projection.axis_titles[0], **_axis_style(projection.method))
    figure.update_yaxes(title_text=projection.axis_titles[1], **_axis_style(projection.method))
    if projection.sample_note:
        figure.add_annotation(text=projection.sample_note, xref="paper", yref="paper", x=0, y=0, xanchor="left",
                              yanchor="bottom", showarrow=False, font=dict(size=11, color="#4b5563"))
    return figure


def _kl_traces(trace: RunTrace, current: int | None, upto: int | None = None) -> list:
    """KL traces: start, kept steps, rejected steps, resets, current step (always five, for frames)."""
    last = trace.n_steps - 1 if upto is None else min(upto, trace.n_steps - 1)
    steps = np.arange(1, last + 2)
    kl = trace.kl[: last + 1]
    kept = trace.kept[: last + 1]
    reset = trace.reset[: last + 1]
    start_x, start_y = ([0], [trace.initial_kl]) if np.isfinite(trace.initial_kl) else ([], [])
    line_x = list(start_x) + list(steps[kept])
    line_y = list(start_y) + list(kl[kept])
    rejected = ~kept & ~reset
    current_x, current_y = [], []
    if current is not None and 0 <= current <= last:
        current_x, current_y = [current + 1], [trace.kl[current]]
    return [
        go.Scatter(x=start_x, y=start_y, mode="markers", name="start set", marker=dict(color="#6b7280", size=8),
                   hovertemplate="start set: KL %{y:.4g}<extra></extra>"),
        go.Scatter(x=line_x, y=line_y, mode="lines+markers", name="KL after each pick",
                   line=dict(color=COLORS["curve"], width=2), marker=dict(size=5),
                   hovertemplate="step %{x}: KL %{y:.4g}<extra></extra>"),
        go.Scatter(x=steps[rejected], y=kl[rejected], mode="markers", name="rejected (KL rose)",
                   marker=dict(symbol="x", size=10, color=COLORS["rejected"]),
                   hovertemplate="step %{x}: KL %{y:.4g}, rejected<extra></extra>"),
        go.Scatter(x=steps[reset], y=kl[reset], mode="markers", name="pool reset",
                   marker=dict(symbol="triangle-up", size=10, color=COLORS["reset"]),
                   hovertemplate="step %{x}: KL %{y:.4g}, pool reset<extra></extra>"),
        go.Scatter(x=current_x, y=current_y, mode="markers", name="this step",
                   marker=dict(symbol="circle-open", size=16, color="#111827", line=dict(width=2.5)),
                   hovertemplate="this step: KL %{y:.4g}<extra></extra>"),
    ]


def _kl_range(trace: RunTrace) -> tuple[list, list]:
    values = list(trace.kl[np.isfinite(trace.kl)])
    if np.isfinite(trace.initial_kl):
        values.append(trace.initial_kl)
    if not values:
        return [0, 2], [0, 1]
    low, high = float(min(values)), float(max(values))
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 0.1)
    return [-0.5, max(trace.n_steps, 1) + 1.5], [low - pad, high + pad]


def kl_figure(trace: RunTrace, *, current: int | None = None, expected_steps: int | None = None,
              title: str | None = None, height: int = 360) -> go.Figure:
    """The KL curve of a run so far, the current step highlighted and the stop reason at the end.

    Parameters
    ----------
    trace : RunTrace
    current : int, optional
        0-based step to highlight.
    expected_steps : int, optional
        Fix the x axis to this many steps while a run is live (so the curve grows into it).
    title : str, optional
    height : int, default=360

    Returns
    -------
    plotly.graph_objects.Figure
    """
    figure = go.Figure(_kl_traces(trace, current))
    _base_layout(figure, height=height, title=title)
    figure.update_layout(showlegend=True, legend=dict(font=dict(size=11)))
    figure.update_xaxes(title_text="step", gridcolor=COLORS["grid"], zeroline=False, showline=True,
                        linecolor="#d1d5db", rangemode="tozero")
    figure.update_yaxes(title_text="KL(target ‖ start ∪ picks)", gridcolor=COLORS["grid"], zeroline=False,
                        showline=True, linecolor="#d1d5db")
    if expected_steps:
        figure.update_xaxes(range=[-0.5, max(expected_steps, trace.n_steps) + 1.5])
    if trace.n_steps == 0:
        figure.add_annotation(text="The KL after each pick appears here.", xref="paper", yref="paper", x=0.5, y=0.5,
                              showarrow=False, font=dict(size=13, color="#6b7280"))
        figure.update_yaxes(showticklabels=False)
        figure.update_xaxes(showticklabels=False)
    if trace.stop_reason and trace.n_steps:
        # In the top-right corner, above headroom kept free for it: next to the last point (or anywhere
        # in the plot without headroom) the label covered points of the curve.
        _, (low, high) = _kl_range(trace)
        figure.update_yaxes(range=[low, high + (high - low) * 0.18])
        figure.add_annotation(x=1, y=1, xref="x domain", yref="y domain", xanchor="right", yanchor="top",
                              text=STOP_LABELS.get(trace.stop_reason, trace.stop_reason), showarrow=False,
                              font=dict(size=12, color="#991b1b"), bgcolor="rgba(255,255,255,0.9)",
                              bordercolor="#fecaca", borderwidth=1)
    return figure


def _frame_steps(n_steps: int, max_frames: int) -> list[int]:
    if n_steps <= max_frames:
        return list(range(n_steps))
    picked = np.unique(np.linspace(0, n_steps - 1, max_frames).round().astype(int))
    return [int(step) for step in picked]


def animated_run_figure(trace: RunTrace, projection: MapProjection, placer: MapPlacer, *,
                        target_labels: ArrayLike | None = None, pool_labels: ArrayLike | None = None,
                        label_name: str | None = None, color_picks_by: str = "order", max_frames: int = 150,
                        frame_ms: int = 250, height: int = 720, title: str | None = None,
                        pool_text: ArrayLike | None = None, target_text: ArrayLike | None = None) -> go.Figure:
    """Every step of a run as frames: the map (left) and the KL curve (right), with a slider and Play.

    Parameters
    ----------
    trace : RunTrace
    projection : MapProjection
    placer : MapPlacer
    target_labels, pool_labels, label_name, color_picks_by, pool_text, target_text
        As in :func:`map_figure`.
    max_frames : int, default=150
        Longer runs show this many evenly spaced steps (the last step always among them).
    frame_ms : int, default=250
        Milliseconds per frame when playing.
    height : int, default=720
        Of the whole figure; the panels get about 430 px of it, the controls and legend below them the rest.
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
        Self-contained: plays in any browser from ``figure.to_html()``.
    """
    centroids_xy = placer.place(trace.cluster_centers) if trace.cluster_centers is not None else None
    colors = None
    if target_labels is not None or pool_labels is not None:
        values = list(np.asarray(target_labels, dtype=object)) if target_labels is not None else []
        if pool_labels is not None and trace.n_steps:
            values += list(np.asarray(pool_labels, dtype=object)[trace.picks_until(trace.n_steps - 1)[0]])
        colors = label_colors(values)
    max_rank = int(trace.n_selected.max()) if trace.n_steps else 1
    steps = _frame_steps(trace.n_steps, max_frames)
    last_overlay = map_overlay(trace, steps[-1] if steps else -1, placer, centroids_xy=centroids_xy)

    figure = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.14,
                           subplot_titles=("Pool and target map", "KL curve"))
    # the pick-order colour bar goes in the gap after the map, not over the KL panel
    colorbar_x = float(figure.layout.xaxis.domain[1]) + 0.005
    static = _static_map_traces(projection, target_labels=target_labels, label_name=label_name, colors=colors,
                                centroids_xy=centroids_xy,
                                pick_legend=color_picks_by == "label" and pool_labels is not None,
                                pool_text=pool_text, target_text=target_text)
    for item in static:
        figure.add_trace(item, row=1, col=1)

    def dynamic(overlay: MapOverlay, step: int) -> tuple[list, list]:
        map_part = _dynamic_map_traces(overlay, pool_labels=pool_labels, label_name=label_name, colors=colors,
                                       color_by=color_picks_by, max_rank=max_rank, colorbar_x=colorbar_x,
                                       pool_text=pool_text)
        kl_part = _kl_traces(trace, step, upto=step)
        for item in kl_part:
            item.showlegend = False
        return map_part, kl_part

    map_part, kl_part = dynamic(last_overlay, steps[-1] if steps else -1)
    first_dynamic = len(static)
    for item in map_part:
        figure.add_trace(item, row=1, col=1)
    for item in kl_part:
        figure.add_trace(item, row=1, col=2)
    dynamic_indices = list(range(first_dynamic, first_dynamic + len(map_part) + len(kl_part)))

    frames = []
    for step in steps:
        overlay = map_overlay(trace, step, placer, centroids_xy=centroids_xy)
        map_part, kl_part = dynamic(overlay, step)
        frames.append(go.Frame(data=map_part + kl_part, traces=dynamic_indices, name=str(step + 1),
                               layout=go.Layout(title=dict(text=overlay.caption))))
    figure.frames = frames
    _base_layout(figure, height=height, title=last_overlay.caption if steps else (title or "No steps"))
    figure.update_xaxes(title_text=projection.axis_titles[0], row=1, col=1, **_axis_style(projection.method))
    figure.update_yaxes(title_text=projection.axis_titles[1], row=1, col=1, **_axis_style(projection.method))
    x_range, y_range = _kl_range(trace)
    figure.update_xaxes(title_text="step", range=x_range, row=1, col=2, gridcolor=COLORS["grid"], showline=True,
                        linecolor="#d1d5db")
    figure.update_yaxes(title_text="KL(target ‖ start ∪ picks)", range=y_range, row=1, col=2,
                        gridcolor=COLORS["grid"], showline=True, linecolor="#d1d5db")
    # Below the axes (tick labels and titles, about 55 px): Play and the slider, then the legend. Offsets
    # are in pixels, turned into fractions of the plot's height, so nothing overlaps at any height.
    top, bottom = 90, 200
    plot_height = max(height - top - bottom, 100)
    controls_y, legend_y = -60 / plot_height, -150 / plot_height
    figure.update_layout(
        margin=dict(l=10, r=10, t=top, b=bottom),
        legend=dict(orientation="h", yanchor="top", y=legend_y, x=0, xanchor="left"),
        updatemenus=[dict(
            type="buttons", direction="left", x=0, y=controls_y, xanchor="left", yanchor="top", showactive=False,
            pad=dict(t=0, r=10),
            buttons=[
                dict(label="▶ Play", method="animate",
                     args=[None, dict(frame=dict(duration=frame_ms, redraw=True), fromcurrent=True,
                                      transition=dict(duration=0), mode="immediate")]),
                dict(label="❚❚ Pause", method="animate",
                     args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                        transition=dict(duration=0))]),
            ])],
        sliders=[dict(
            active=len(steps) - 1 if steps else 0, x=0.16, y=controls_y, len=0.84,
            xanchor="left", yanchor="top",
            currentvalue=dict(prefix="step ", font=dict(size=12)), pad=dict(t=0, b=0),
            steps=[dict(label=str(step + 1), method="animate",
                        args=[[str(step + 1)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                    transition=dict(duration=0))]) for step in steps])],
    )
    if projection.sample_note:
        figure.add_annotation(text=projection.sample_note, xref="x domain", yref="y domain", x=0, y=0,
                              xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11, color="#4b5563"))
    return figure
