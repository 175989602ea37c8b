"""The KL curve of a run: KL(target || selection) after each kept pick (undefined, and not drawn, while the
selection holds fewer than k rows), with the current step marked and the stop reason in the title.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import COLORS, base_layout
from .trace import STOP_LABELS, RunTrace

__all__ = ["kl_figure"]


def kl_traces(trace: RunTrace, current: int | None, upto: int | None = None) -> list:
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
        go.Scatter(
            x=start_x,
            y=start_y,
            mode="markers",
            name="start set",
            marker=dict(color="#6b7280", size=8),
            hovertemplate="start set: KL %{y:.4g}<extra></extra>",
        ),
        go.Scatter(
            x=line_x,
            y=line_y,
            mode="lines+markers",
            name="KL after each pick",
            line=dict(color=COLORS["curve"], width=2),
            marker=dict(size=5),
            hovertemplate="step %{x}: KL %{y:.4g}<extra></extra>",
        ),
        go.Scatter(
            x=steps[rejected],
            y=kl[rejected],
            mode="markers",
            name="rejected (KL rose)",
            marker=dict(symbol="x", size=10, color=COLORS["rejected"]),
            hovertemplate="step %{x}: KL %{y:.4g}, rejected<extra></extra>",
        ),
        go.Scatter(
            x=steps[reset],
            y=kl[reset],
            mode="markers",
            name="pool reset",
            marker=dict(symbol="triangle-up", size=10, color=COLORS["reset"]),
            hovertemplate="step %{x}: KL %{y:.4g}, pool reset<extra></extra>",
        ),
        go.Scatter(
            x=current_x,
            y=current_y,
            mode="markers",
            name="this step",
            marker=dict(symbol="circle-open", size=16, color="#111827", line=dict(width=2.5)),
            hovertemplate="this step: KL %{y:.4g}<extra></extra>",
        ),
    ]


def kl_range(trace: RunTrace) -> tuple[list, list]:
    values = list(trace.kl[np.isfinite(trace.kl)])
    if np.isfinite(trace.initial_kl):
        values.append(trace.initial_kl)
    if not values:
        return [0, 2], [0, 1]
    low, high = float(min(values)), float(max(values))
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 0.1)
    return [-0.5, max(trace.n_steps, 1) + 1.5], [low - pad, high + pad]


def kl_figure(
    trace: RunTrace,
    *,
    current: int | None = None,
    expected_steps: int | None = None,
    title: str | None = None,
    height: int = 360,
) -> go.Figure:
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
    figure = go.Figure(kl_traces(trace, current))
    base_layout(figure, height=height, title=title)
    figure.update_layout(showlegend=True, legend=dict(font=dict(size=11)))
    figure.update_xaxes(
        title_text="step",
        gridcolor=COLORS["grid"],
        zeroline=False,
        showline=True,
        linecolor="#d1d5db",
        rangemode="tozero",
    )
    figure.update_yaxes(
        title_text="KL(target ‖ start ∪ picks)",
        gridcolor=COLORS["grid"],
        zeroline=False,
        showline=True,
        linecolor="#d1d5db",
    )
    if expected_steps:
        figure.update_xaxes(range=[-0.5, max(expected_steps, trace.n_steps) + 1.5])
    if trace.n_steps == 0:
        figure.add_annotation(
            text="The KL after each pick appears here.",
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font=dict(size=13, color="#6b7280"),
        )
        figure.update_yaxes(showticklabels=False)
        figure.update_xaxes(showticklabels=False)
    if trace.stop_reason and trace.n_steps:
        # In the top-right corner, above headroom kept free for it: next to the last point (or anywhere
        # in the plot without headroom) the label covered points of the curve.
        _, (low, high) = kl_range(trace)
        figure.update_yaxes(range=[low, high + (high - low) * 0.18])
        figure.add_annotation(
            x=1,
            y=1,
            xref="x domain",
            yref="y domain",
            xanchor="right",
            yanchor="top",
            text=STOP_LABELS.get(trace.stop_reason, trace.stop_reason),
            showarrow=False,
            font=dict(size=12, color="#991b1b"),
            bgcolor="rgba(255,255,255,0.9)",
            bordercolor="#fecaca",
            borderwidth=1,
        )
    return figure
