"""The run report: one self-contained HTML file to send to stakeholders.

It holds the animated map (every step, with a slider and Play), the KL curve, a summary of the data and
the result, and every parameter. Plotly's JavaScript is embedded, so the file opens in any browser with
no server and no network.
"""

from __future__ import annotations

import datetime as _datetime
import html
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.io as pio
from numpy.typing import ArrayLike

from ..plots.animation import animated_run_figure
from ..plots.curves import kl_figure
from ..plots.projection import MapPlacer, MapProjection
from ..plots.style import HoverSource
from ..plots.trace import STOP_LABELS, RunTrace

logger = logging.getLogger(__name__)

__all__ = ["first_defined_kl", "run_report_html", "run_summary"]

_STYLE = """
body { font-family: Inter, system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2937; margin: 0;
       background: #f8fafc; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; }
.subtitle { color: #4b5563; margin: 0 0 20px; }
.card { background: white; border: 1px solid #e5e7eb; border-radius: 10px; padding: 16px 20px; margin: 12px 0; }
.metrics { display: flex; flex-wrap: wrap; gap: 12px; }
.metric { background: white; border: 1px solid #e5e7eb; border-radius: 10px; padding: 10px 16px; min-width: 150px; }
.metric .label { font-size: 12px; color: #6b7280; text-transform: uppercase; letter-spacing: .04em; }
.metric .value { font-size: 22px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
th { color: #4b5563; font-weight: 600; width: 30%; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.note { color: #4b5563; font-size: 14px; line-height: 1.5; }
footer { color: #6b7280; font-size: 12px; margin-top: 32px; }
"""


def _number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if math.isnan(value):
            return "n/a"
        return f"{value:.4g}"
    if value is None:
        return "—"
    return str(value)


def first_defined_kl(trace: RunTrace) -> tuple[int, float] | None:
    """The first kept pick with a finite KL: ``(pick number, KL)``, or None.

    With an empty start set the k-NN KL is undefined (infinite) until the selection holds k rows, so a
    run's first comparable value is the KL at pick k, not at the start.
    """
    kept = np.flatnonzero(trace.kept & np.isfinite(trace.kl))
    if not len(kept):
        return None
    return int(trace.n_selected[kept[0]]), float(trace.kl[kept[0]])


def run_summary(trace: RunTrace, *, n_pool: int, seconds: float | None = None) -> dict[str, str]:
    """The result in a few lines for people: picks, rows, KL before and after, steps, stop reason.

    Parameters
    ----------
    trace : RunTrace
    n_pool : int
        Pool rows, to say what share was selected.
    seconds : float, optional
        Wall time of the selection.

    Returns
    -------
    dict of str to str
    """
    picks = int(trace.n_selected[-1]) if trace.n_steps else 0
    rows = len(trace.picks_until(trace.n_steps - 1)[0]) if trace.n_steps else 0
    kept_kl = trace.kl[trace.kept]
    final_kl = float(kept_kl[min(picks, len(kept_kl)) - 1]) if picks and len(kept_kl) else trace.initial_kl
    summary = {
        "Picks": _number(picks),
        "Rows selected": f"{rows:,} of {n_pool:,} ({rows / max(n_pool, 1):.1%})",
        "KL of the start set": _number(trace.initial_kl),
    }
    first = first_defined_kl(trace)
    if not math.isfinite(trace.initial_kl) and first is not None:
        summary["First defined KL"] = f"{_number(first[1])} at pick {first[0]}"
    summary |= {
        "KL after the last pick": _number(final_kl),
        "Steps": _number(trace.n_steps),
        "Stop": STOP_LABELS.get(trace.stop_reason or "", trace.stop_reason or "—"),
    }
    if trace.stop_message:
        summary["Why"] = trace.stop_message
    if seconds is not None:
        summary["Selection time"] = f"{seconds:.2f} s"
    return summary


def _table(rows: Mapping[str, Any]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(_number(value))}</td></tr>"
        for key, value in rows.items()
    )
    return f"<table>{body}</table>"


def run_report_html(
    trace: RunTrace,
    projection: MapProjection,
    placer: MapPlacer,
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any] | None = None,
    title: str = "GIO run report",
    target_labels: ArrayLike | None = None,
    pool_labels: ArrayLike | None = None,
    label_name: str | None = None,
    color_picks_by: str = "order",
    seconds: float | None = None,
    max_frames: int = 150,
    pool_text: HoverSource | None = None,
    target_text: HoverSource | None = None,
) -> str:
    """A self-contained HTML report of one run.

    Parameters
    ----------
    trace : RunTrace
        The run, step by step.
    projection : MapProjection
        The map the run is drawn on.
    placer : MapPlacer
        Puts ``v`` and off-sample picks on the map.
    params : mapping
        Every parameter of the run (``GIOSelector.get_params()`` plus the app's own: start set, seed).
    inputs : mapping, optional
        What was selected from: pool and target names and rows, the vectors, the label column.
    title : str, default='GIO run report'
    target_labels, pool_labels, label_name, color_picks_by, pool_text, target_text
        As in :func:`gio_core.plots.maps.map_figure` (the text is shown when hovering a point).
    seconds : float, optional
        Wall time of the selection.
    max_frames : int, default=150
        Steps animated at most (evenly spaced, the last one always included).

    Returns
    -------
    str
        The HTML document (UTF-8 text; Plotly's JavaScript embedded).

    Examples
    --------
    >>> import numpy as np
    >>> from gio_core import GIOSelector
    >>> from gio_core.plots.projection import project, MapPlacer
    >>> rng = np.random.default_rng(0)
    >>> pool, target = rng.normal(size=(200, 2)), rng.normal(size=(40, 2))
    >>> selector = GIOSelector(max_iter=5, random_state=0)
    >>> steps = list(selector.iter_fit(pool, target))
    >>> trace = RunTrace.from_steps(steps, initial_kl=selector.initial_kl_, dimensions=2)
    >>> projection = project(pool, target)
    >>> page = run_report_html(trace, projection, MapPlacer(projection, pool, target), params={"k": 5})
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    from .._version import __version__

    animated = animated_run_figure(
        trace,
        projection,
        placer,
        target_labels=target_labels,
        pool_labels=pool_labels,
        label_name=label_name,
        color_picks_by=color_picks_by,
        max_frames=max_frames,
        pool_text=pool_text,
        target_text=target_text,
    )
    curve = kl_figure(trace, current=trace.n_steps - 1 if trace.n_steps else None, height=380)
    animated_html = pio.to_html(
        animated,
        include_plotlyjs=True,
        full_html=False,
        auto_play=False,
        config={"displaylogo": False, "responsive": True},
        div_id="gio-run-map",
    )
    curve_html = pio.to_html(
        curve,
        include_plotlyjs=False,
        full_html=False,
        config={"displaylogo": False, "responsive": True},
        div_id="gio-kl-curve",
    )
    summary = run_summary(trace, n_pool=projection.n_pool, seconds=seconds)
    first = first_defined_kl(trace)
    start = (
        ("KL start", _number(trace.initial_kl))
        if math.isfinite(trace.initial_kl) or first is None
        else (f"KL at pick {first[0]}", _number(first[1]))
    )
    metrics = "".join(
        f"<div class='metric'><div class='label'>{html.escape(label)}</div>"
        f"<div class='value'>{html.escape(value)}</div></div>"
        for label, value in (
            ("Picks", summary["Picks"]),
            start,
            ("KL final", summary["KL after the last pick"]),
            ("Steps", summary["Steps"]),
        )
    )
    created = _datetime.datetime.now(_datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    map_note = {
        "umap": "UMAP of pool ∪ target",
        "pca": "PCA of pool ∪ target (first two components)",
        "raw": "the data's own two coordinates",
    }[projection.method]
    sample = f" {projection.sample_note}" if projection.sample_note else ""
    input_rows = dict(inputs or {})
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gio-studio {html.escape(__version__)}">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p class="subtitle">Gradient Information Optimization (Everaert &amp; Potts, ICLR 2024) picked pool rows whose
union with the start set best matches the target sample. Created {created} with gio-studio {html.escape(__version__)}.</p>
<div class="metrics">{metrics}</div>
<h2>The run, step by step</h2>
<div class="card">
<p class="note">Grey: pool. Coloured dots: target. Diamonds: picks so far. Each step, gradient descent moves a free
point <b>v</b> (star, dotted path) towards where the target lacks coverage; v snaps to the nearest unused pool row
(ring: green when kept, red when the stopping rule rejected it). Press Play or drag the slider. The map is
{map_note}.{html.escape(sample)}</p>
{animated_html}
</div>
<h2>KL curve</h2>
<div class="card">
<p class="note">The k-NN estimate of KL(target ‖ start set ∪ picks) after each step; lower means the selection
covers the target better. {html.escape(summary.get("Why", ""))}</p>
{curve_html}
</div>
<h2>Summary</h2>
<div class="card">{_table({**input_rows, **summary})}</div>
<h2>Parameters</h2>
<div class="card">{_table(dict(params))}</div>
<footer>Self-contained report: open it in any browser, no server or network needed.</footer>
</main>
</body>
</html>
"""
