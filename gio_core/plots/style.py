"""The look every figure shares: the colours (by pick order, or by label), the layout and axes, and the
hover text of a point (its row's content when the caller gives it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeAlias

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike, NDArray

from .trace import MapOverlay

__all__ = ["COLORS", "label_colors"]

COLORS = {
    "pool": "#a3aab5",
    "target": "#2563eb",
    "v": "#111827",
    "path": "#4b5563",
    "kept": "#16a34a",
    "rejected": "#dc2626",
    "reset": "#f59e0b",
    "cluster": "#f97316",
    "centroid": "#374151",
    "curve": "#2563eb",
    "grid": "#e5e7eb",
}
# Colour-blind-safe categories (Okabe & Ito), then Plotly's D3 for more classes.
CATEGORY_COLORS = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
ORDER_SCALE = "Plasma"
# legend entries that fit above a map in two or three rows; more go in a column beside it
MAX_LEGEND_ABOVE = 9


def label_colors(values: Iterable) -> dict:
    """A colour per distinct label, in sorted order (the same labels always get the same colours)."""
    distinct = sorted({label_key(value) for value in values}, key=lambda value: (str(type(value)), value))
    return {value: CATEGORY_COLORS[position % len(CATEGORY_COLORS)] for position, value in enumerate(distinct)}


def label_key(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return "missing" if np.isnan(value) else float(value)
    if value is None:
        return "missing"
    return value if isinstance(value, (int, str)) else str(value)


def base_layout(figure: go.Figure, *, height: int, title: str | None) -> None:
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
        plot_bgcolor="white",
        paper_bgcolor="white",
        font=dict(family="Inter, system-ui, sans-serif", size=13, color="#1f2937"),
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.01,
            xanchor="left",
            x=0,
            bgcolor="rgba(255,255,255,0.8)",
            itemsizing="constant",
        ),
        hoverlabel=dict(bgcolor="white", align="left"),
        title=dict(text=title, x=0, xanchor="left", font=dict(size=15)) if title else None,
    )
    # Plain plotly.js (the HTML report) does not make room for tick labels by itself; Streamlit's theme does.
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)


def axis_style(method: str) -> dict:
    return dict(
        showgrid=True,
        gridcolor=COLORS["grid"],
        zeroline=False,
        showline=True,
        linecolor="#d1d5db",
        ticks="outside" if method != "umap" else "",
        showticklabels=method != "umap",
    )


#: Hover content of a file's rows: one string per row, or a callable ``text(rows) -> strings`` (rows: int64).
HoverSource: TypeAlias = "ArrayLike | Callable[[NDArray[np.int64]], ArrayLike]"


def hover_text(text: HoverSource | None, rows: ArrayLike) -> NDArray | None:
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


def with_content(template: str, text: NDArray | None) -> str:
    """A hover template with the row's content (``%{text}``) below its first line, when there is content."""
    return template.replace("<extra>", "<br>%{text}<extra>", 1) if text is not None else template


def pick_colors(overlay: MapOverlay, *, pool_labels: ArrayLike | None, colors: dict | None, color_by: str):
    if color_by == "label" and pool_labels is not None and len(overlay.picks_rows):
        labels = np.asarray(pool_labels, dtype=object)[overlay.picks_rows]
        mapping = colors or label_colors(labels)
        return [mapping.get(label_key(value), "#7f7f7f") for value in labels], [
            str(label_key(value)) for value in labels
        ]
    return None, None
