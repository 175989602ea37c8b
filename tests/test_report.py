"""The HTML run report: self-contained, with the animated map, the KL curve, parameters and summary."""

import html
import re

import numpy as np
import pytest

from gio_core import GIOSelector
from gio_core.evaluate.report import run_report_html, run_summary
from gio_core.plots.projection import MapPlacer, project
from gio_core.plots.trace import RunTrace


@pytest.fixture
def report(rng):
    pool, target = rng.normal(size=(300, 2)), rng.normal(size=(50, 2)) + 0.5
    selector = GIOSelector(max_iter=15, random_state=0)
    steps = list(selector.iter_fit(pool, target, record_path=True))
    trace = RunTrace.from_steps(
        steps, initial_kl=selector.initial_kl_, dimensions=2, stop_message=selector.stop_message_
    )
    projection = project(pool, target)
    params = {**selector.get_params(), "start": "uniform"}
    page = run_report_html(
        trace,
        projection,
        MapPlacer(projection, pool, target),
        params=params,
        inputs={"Pool": "pool.csv (300 rows, csv)", "Label column": "<b>kind</b>"},
        title="Report <of> test",
        seconds=0.25,
    )
    return page, trace, selector


def test_report_is_one_html_document_that_needs_no_network(report):
    page, _, _ = report
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Plotly" in page and len(page) > 1_000_000  # plotly.js is embedded
    # nothing is fetched: no external scripts, stylesheets or images
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    assert not re.search(r"src=[\"']https?:", page)


def test_report_holds_the_animation_the_curve_and_the_tables(report):
    page, trace, selector = report
    assert 'id="gio-run-map"' in page and 'id="gio-kl-curve"' in page
    assert '"frames"' in page or "frames" in page
    assert page.count('"name":"') > trace.n_steps  # one named frame per step
    for name in ("k", "lr", "max_iter", "stop_criterion", "random_state", "start"):
        assert f"<th>{name}</th>" in page
    assert f"<td>{selector.stop_message_}</td>" in page or html.escape(selector.stop_message_) in page


def test_report_escapes_what_it_is_given(report):
    page, _, _ = report
    assert "Report &lt;of&gt; test" in page
    assert "&lt;b&gt;kind&lt;/b&gt;" in page
    assert "<b>kind</b>" not in page


def test_summary_counts_picks_and_kl(report):
    _, trace, selector = report
    summary = run_summary(trace, n_pool=300, seconds=1.5)
    assert summary["Picks"] == str(len(selector.selected_indices_))
    assert summary["Rows selected"].startswith(f"{len(selector.selected_indices_)} of 300")
    assert summary["KL after the last pick"] == f"{selector.kl_curve_[-1]:.4g}"
    assert summary["Selection time"] == "1.50 s"


def test_summary_of_an_empty_start_says_infinity():
    trace = RunTrace.from_steps([], initial_kl=np.inf, dimensions=2)
    summary = run_summary(trace, n_pool=10)
    assert summary["KL of the start set"] == "∞" and summary["Picks"] == "0"


def test_an_empty_start_reports_the_first_defined_kl_instead_of_infinity(rng):
    from gio_core.evaluate.report import first_defined_kl

    pool, target = rng.normal(size=(300, 2)), rng.normal(size=(50, 2)) + 0.5
    selector = GIOSelector(max_iter=12, stop_criterion="data_size", random_state=0)
    steps = list(selector.iter_fit(pool, target, record_path=True))
    trace = RunTrace.from_steps(steps, initial_kl=selector.initial_kl_, dimensions=2)
    assert first_defined_kl(trace) == (5, pytest.approx(selector.kl_curve_[4]))  # k=5
    summary = run_summary(trace, n_pool=300)
    assert summary["First defined KL"] == f"{selector.kl_curve_[4]:.4g} at pick 5"
    projection = project(pool, target)
    page = run_report_html(
        trace,
        projection,
        MapPlacer(projection, pool, target),
        params={"k": 5},
        pool_text=np.array([f"pool text {i}" for i in range(300)], dtype=object),
    )
    assert "<div class='label'>KL at pick 5</div>" in page and "<div class='label'>KL start</div>" not in page
    assert "pool text 17" in page  # the hover content travels with the report
    assert first_defined_kl(RunTrace.from_steps([], initial_kl=np.inf, dimensions=2)) is None
