"""Every step of a run as the frames of one Plotly figure, with a slider and a Play button: the map and the KL
curve side by side (what the self-contained HTML run report embeds).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from .curves import kl_range, kl_traces
from .maps import dynamic_map_traces, static_map_traces
from .projection import MapPlacer, MapProjection
from .style import COLORS, HoverSource, axis_style, base_layout, label_colors
from .trace import MapOverlay, RunTrace, map_overlay

__all__ = ["animated_run_figure"]


def _frame_steps(n_steps: int, max_frames: int) -> list[int]:
    if n_steps <= max_frames:
        return list(range(n_steps))
    picked = np.unique(np.linspace(0, n_steps - 1, max_frames).round().astype(int))
    return [int(step) for step in picked]


def animated_run_figure(
    trace: RunTrace,
    projection: MapProjection,
    placer: MapPlacer,
    *,
    target_labels: ArrayLike | None = None,
    pool_labels: ArrayLike | None = None,
    label_name: str | None = None,
    color_picks_by: str = "order",
    max_frames: int = 150,
    frame_ms: int = 250,
    height: int = 720,
    title: str | None = None,
    pool_text: HoverSource | None = None,
    target_text: HoverSource | None = None,
) -> go.Figure:
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

    figure = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.6, 0.4],
        horizontal_spacing=0.14,
        subplot_titles=("Pool and target map", "KL curve"),
    )
    # the pick-order colour bar goes in the gap after the map, not over the KL panel
    colorbar_x = float(figure.layout.xaxis.domain[1]) + 0.005
    static = static_map_traces(
        projection,
        target_labels=target_labels,
        label_name=label_name,
        colors=colors,
        centroids_xy=centroids_xy,
        pick_legend=color_picks_by == "label" and pool_labels is not None,
        pool_text=pool_text,
        target_text=target_text,
    )
    for item in static:
        figure.add_trace(item, row=1, col=1)

    def dynamic(overlay: MapOverlay, step: int) -> tuple[list, list]:
        map_part = dynamic_map_traces(
            overlay,
            pool_labels=pool_labels,
            label_name=label_name,
            colors=colors,
            color_by=color_picks_by,
            max_rank=max_rank,
            colorbar_x=colorbar_x,
            pool_text=pool_text,
        )
        kl_part = kl_traces(trace, step, upto=step)
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
        frames.append(
            go.Frame(
                data=map_part + kl_part,
                traces=dynamic_indices,
                name=str(step + 1),
                layout=go.Layout(title=dict(text=overlay.caption)),
            )
        )
    figure.frames = frames
    base_layout(figure, height=height, title=last_overlay.caption if steps else (title or "No steps"))
    figure.update_xaxes(title_text=projection.axis_titles[0], row=1, col=1, **axis_style(projection.method))
    figure.update_yaxes(title_text=projection.axis_titles[1], row=1, col=1, **axis_style(projection.method))
    x_range, y_range = kl_range(trace)
    figure.update_xaxes(
        title_text="step", range=x_range, row=1, col=2, gridcolor=COLORS["grid"], showline=True, linecolor="#d1d5db"
    )
    figure.update_yaxes(
        title_text="KL(target ‖ start ∪ picks)",
        range=y_range,
        row=1,
        col=2,
        gridcolor=COLORS["grid"],
        showline=True,
        linecolor="#d1d5db",
    )
    # Below the axes (tick labels and titles, about 55 px): Play and the slider, then the legend. Offsets
    # are in pixels, turned into fractions of the plot's height, so nothing overlaps at any height.
    top, bottom = 90, 200
    plot_height = max(height - top - bottom, 100)
    controls_y, legend_y = -60 / plot_height, -150 / plot_height
    figure.update_layout(
        margin=dict(l=10, r=10, t=top, b=bottom),
        legend=dict(orientation="h", yanchor="top", y=legend_y, x=0, xanchor="left"),
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=controls_y,
                xanchor="left",
                yanchor="top",
                showactive=False,
                pad=dict(t=0, r=10),
                buttons=[
                    dict(
                        label="▶ Play",
                        method="animate",
                        args=[
                            None,
                            dict(
                                frame=dict(duration=frame_ms, redraw=True),
                                fromcurrent=True,
                                transition=dict(duration=0),
                                mode="immediate",
                            ),
                        ],
                    ),
                    dict(
                        label="❚❚ Pause",
                        method="animate",
                        args=[
                            [None],
                            dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0)),
                        ],
                    ),
                ],
            )
        ],
        sliders=[
            dict(
                active=len(steps) - 1 if steps else 0,
                x=0.16,
                y=controls_y,
                len=0.84,
                xanchor="left",
                yanchor="top",
                currentvalue=dict(prefix="step ", font=dict(size=12)),
                pad=dict(t=0, b=0),
                steps=[
                    dict(
                        label=str(step + 1),
                        method="animate",
                        args=[
                            [str(step + 1)],
                            dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0)),
                        ],
                    )
                    for step in steps
                ],
            )
        ],
    )
    if projection.sample_note:
        figure.add_annotation(
            text=projection.sample_note,
            xref="x domain",
            yref="y domain",
            x=0,
            y=0,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font=dict(size=11, color="#4b5563"),
        )
    return figure
