"""The app in a real browser: headless Chromium driven by Playwright against ``streamlit run app.py``.

One server is started for the module on a free localhost port; each test opens its own browser context
(its own Streamlit session) and uses the page as a person would: buttons by their labels, downloads
through the browser, pages through the sidebar. Every page and the state after a run are saved as
screenshots under ``screenshots/`` so a person can look at them.

Synchronisation is done by waiting for what a person would wait for (a button, a text, a drawn chart),
never by sleeping; timeouts are generous because CI machines are small and shared.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .app_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    choose_until,
    click_until,
    start_app,
    stop_server,
    wait_until_idle,
)

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install -e '.[dev]')"
)

VIEWPORT = {"width": 1400, "height": 900}
SERVER_START_SECONDS = 180  # a cold start imports numpy, faiss, sklearn and plotly on a busy 2-core machine
PAGE_MS = 120_000  # waits for the app (a run, a page load); generous for shared CI machines
RUN_LABEL = "Run selection"
CSV_LABEL = "Download selected rows (CSV)"
REPORT_LABEL = "Download run report (HTML)"
DEFAULT_DEMO = "clusters-2d"
_SELECTED = re.compile(r"([\d,]+) of ([\d,]+) \([^)]*\) rows selected")
# True once a chart's KL curve holds at least one point (Streamlit draws Plotly into .js-plotly-plot divs).
_KL_CURVE_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => (chart.calcdata || []).some(points => points[0].trace.name === 'KL after each pick'
                                          && points.some(point => Number.isFinite(point.y)))
             && chart.querySelectorAll('.scatterlayer .trace .points path').length > 0)"""

_UMAP_MAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => chart._fullLayout?.xaxis?.title?.text === 'UMAP 1'
             && (chart._fullData || []).some(trace => trace.name === 'pool' && trace._length > 0))"""


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """``streamlit run app.py`` on a free localhost port, healthy; stopped after the module."""
    try:
        server, url = start_app(tmp_path_factory.mktemp("streamlit"), start_seconds=SERVER_START_SECONDS)
    except RuntimeError as problem:
        pytest.fail(str(problem))
    try:
        yield url
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(browser, url: str):
    """A fresh browser context (one Streamlit session) on the app, waiting until the Run button is there."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(PAGE_MS)
    page = context.new_page()
    page.goto(url)
    _run_button(page).wait_for(state="visible")
    wait_until_idle(page)
    return page


@pytest.fixture
def page(browser, app_url):
    page = _new_page(browser, app_url)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def finished_page(browser, app_url):
    """A session that ran GIO on the default demo to the end (shared by the download tests)."""
    page = _new_page(browser, app_url)
    _run_selection(page)
    yield page
    page.context.close()


# ---------------------------------------------------------------------------------------------- helpers


def _button(page, label: str, test_id: str = "stButton"):
    """The button whose visible label is exactly ``label`` (its icon's ligature text aside).

    Streamlit may hold a second copy of a button with help inside the same widget while it sets up the
    tooltip; the visible one is the one a person clicks.
    """
    return page.get_by_test_id(test_id).filter(has=page.get_by_text(label, exact=True)).locator("button:visible").first


def _run_button(page):
    return _button(page, RUN_LABEL)


def _download_button(page, label: str):
    return _button(page, label, "stDownloadButton")


def _run_selection(page) -> None:
    _run_button(page).click()
    # the downloads appear only when the run has finished and its summary is drawn
    _download_button(page, CSV_LABEL).wait_for(state="visible")
    page.get_by_text(_SELECTED).wait_for(state="visible")


def _rerun_after(page, action, *, timeout: float | None = None) -> None:
    """Do ``action`` (a widget change) and wait until the script run it starts has ended (at most ``timeout``
    ms, else the page's default)."""
    # watches the whole document, not one element: if the app's root is drawn anew the run is still seen
    page.evaluate("""() => {
        window.__gioRunSeen = false;
        new MutationObserver(records => {
            if (records.some(record => record.oldValue === 'running'
                    || record.target.getAttribute?.('data-test-script-state') === 'running'))
                window.__gioRunSeen = true;
        }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                              attributeFilter: ['data-test-script-state']});
    }""")
    action()
    page.wait_for_function(
        """() => window.__gioRunSeen && document.querySelector('[data-testid="stApp"]')
        .getAttribute('data-test-script-state') === 'notRunning'""",
        timeout=timeout,
    )


def _switch_to_uploads(page) -> None:
    """Choose "Upload files" and wait until its file uploaders are drawn and the session is idle.

    Idle matters: an upload into a widget that a running rerun then replaces is lost.
    """
    click_until(
        page,
        page.get_by_test_id("stSidebar").get_by_role("radio", name="Upload files", exact=True),
        page.get_by_test_id("stFileUploader").filter(has_text="Pool file"),
    )


def _set_k(page, value: int):
    """Type ``value`` into k and press Enter, again if a rerun started by something else redrew the field
    with its old value meanwhile (as a person would)."""
    field = page.get_by_test_id("stNumberInput").filter(has_text="k (neighbours)").locator("input")
    for _ in range(3):
        wait_until_idle(page)
        field.fill(str(value))
        try:
            _rerun_after(page, lambda: field.press("Enter"), timeout=30_000)
        except sync_api.TimeoutError:
            continue
        wait_until_idle(page)
        if field.input_value() == str(value):
            break
    assert field.input_value() == str(value)
    return field


def _assert_no_error(page) -> None:
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, exceptions.all_inner_texts()
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 0, errors.all_inner_texts()


def _selected_rows(page) -> int:
    match = _SELECTED.search(page.get_by_text(_SELECTED).inner_text())
    assert match is not None
    return int(match.group(1).replace(",", ""))


def _cut_off(page, selector: str, *, tolerance_px: int = 0) -> list[str]:
    """Texts of the elements matching ``selector`` whose content overflows their box (cut off, or
    shortened with an ellipsis: a box with ``text-overflow: ellipsis`` scrolls by the hidden part)."""
    return page.evaluate(
        """([selector, tolerance]) => [...document.querySelectorAll(selector)]
        .filter(element => element.scrollWidth > element.clientWidth + tolerance)
        .map(element => element.innerText.slice(0, 80))""",
        [selector, tolerance_px],
    )


def _metric(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def _kl_chart(page):
    return page.get_by_test_id("stPlotlyChart").filter(has_text="KL after each pick")


def _map_chart(page):
    return page.get_by_test_id("stPlotlyChart").filter(has_not_text="KL after each pick")


def _points_per_trace(chart) -> dict[str, int]:
    """Points of each trace of a drawn chart, by trace name, from what Plotly computed to draw.

    SVG traces count their finite points (Plotly's calcdata); WebGL traces their length.
    """
    counts = chart.locator(".js-plotly-plot").evaluate("""chart => {
        const counts = {};
        for (const trace of chart._fullData || []) {
            const points = (chart.calcdata || [])[trace.index] || [];
            const drawn = trace.type === 'scattergl' ? (trace._length || 0)
                : points.filter(point => Number.isFinite(point.x) && Number.isFinite(point.y)).length;
            counts[trace.name] = (counts[trace.name] || 0) + drawn;
        }
        return counts;
    }""")
    return {name: int(count) for name, count in counts.items()}


def _screenshot(page, name: str) -> Path:
    """The whole app (main area and sidebar scroll inside the page): grow the window to fit, then shoot."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)  # no tooltip of the last click in the picture
    page.locator('[data-testid="stTooltipContent"]:visible').first.wait_for(state="detached")
    height = page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(
        id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height) + 40)})
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    return path


def _write_upload_pair(folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(3)
    pool = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    target = pd.DataFrame(rng.normal(loc=0.5, size=(60, 4)), columns=["a", "b", "c", "d"])
    pool.insert(0, "id", [f"p{i}" for i in range(len(pool))])
    target.insert(0, "id", [f"t{i}" for i in range(len(target))])
    pool_path, target_path = folder / "my_pool.csv", folder / "my_target.csv"
    pool.to_csv(pool_path, index=False)
    target.to_csv(target_path, index=False)
    return pool_path, target_path


# ------------------------------------------------------------------------------------------------ tests


def test_main_page_runs_the_default_demo_and_draws_the_curve_map_and_summary(page):
    _assert_no_error(page)
    assert page.get_by_role("heading", name="GIO Studio").is_visible()
    assert "2-D clusters" in page.get_by_test_id("stExpander").first.inner_text()
    assert _metric(page, "Pool rows") == "2,000" and _metric(page, "Target rows") == "200"
    page.get_by_text("The KL after each pick appears here.").wait_for(state="visible")  # drawn, empty
    assert _download_button(page, CSV_LABEL).count() == 0
    _screenshot(page, "select_before_run")

    _run_button(page).click()
    page.wait_for_function(_KL_CURVE_DRAWN)  # the live view draws the curve while the run goes on
    _download_button(page, CSV_LABEL).wait_for(state="visible")
    page.get_by_text(_SELECTED).wait_for(state="visible")
    _assert_no_error(page)

    curve, map_chart = _kl_chart(page), _map_chart(page)
    assert curve.count() == 1 and map_chart.count() == 1
    picks = int(_metric(page, "Picks").replace(",", ""))
    assert picks >= 1 and picks == _selected_rows(page)
    curve_points = _points_per_trace(curve)
    assert curve_points["KL after each pick"] >= 1, curve_points  # (the KL of the first picks may be infinite)
    assert curve.locator(".scatterlayer .trace .points path").count() >= curve_points["KL after each pick"]
    assert not page.get_by_text("The KL after each pick appears here.").is_visible()
    map_points = _points_per_trace(map_chart)
    target_points = sum(count for name, count in map_points.items() if name.startswith("target"))
    assert map_points["pool"] == 2_000 and target_points == 200 and map_points["picks"] == picks, map_points
    assert map_chart.locator("canvas").count() >= 1  # pool, target and picks are WebGL points

    assert re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", _metric(page, "KL final")), _metric(page, "KL final")
    assert page.get_by_test_id("stSlider").filter(has_text="Step").count() == 1  # the replay slider
    assert _cut_off(page, '[data-testid="stMetricValue"] > div') == []
    _screenshot(page, "select_after_run")


def test_csv_download_holds_the_selected_rows_with_gio_rank_and_the_original_columns(finished_page):
    from gio_core.io.demos import load_demo

    page = finished_page
    with page.expect_download() as download_info:
        _download_button(page, CSV_LABEL).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    frame = pd.read_csv(download.path())

    pool = load_demo(DEFAULT_DEMO).pool.frame
    assert "gio_rank" in frame.columns
    assert set(pool.columns) <= set(frame.columns)
    assert len(frame) == _selected_rows(page) > 0
    assert frame["gio_rank"].tolist() == list(range(1, len(frame) + 1))
    assert frame["id"].is_unique
    # each exported row is the pool file's row, unchanged
    by_id = pool.set_index("id")
    np.testing.assert_allclose(frame[["x", "y"]].to_numpy(), by_id.loc[frame["id"], ["x", "y"]].to_numpy(), rtol=1e-12)


def test_report_download_is_a_self_contained_html_page_with_plotly(finished_page, browser, tmp_path):
    page = finished_page
    with page.expect_download() as download_info:
        _download_button(page, REPORT_LABEL).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".html")
    html = Path(download.path()).read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith(("<!doctype html", "<html"))
    assert "Plotly.newPlot" in html and "plotly.js" in html.lower()
    external = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']?(?:https?:)?//[^\"'> ]+", html, flags=re.I)
    assert external == [], external

    # it opens and draws with the network off
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport=VIEWPORT, offline=True)
    try:
        report_page = context.new_page()
        report_page.goto(report.as_uri())
        report_page.locator(".js-plotly-plot .main-svg").first.wait_for(state="visible", timeout=60_000)
        assert report_page.locator(".js-plotly-plot").count() >= 2  # the animated map and the KL curve
        SCREENSHOTS.mkdir(exist_ok=True)
        report_page.screenshot(path=str(SCREENSHOTS / "run_report.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("link", "url_path", "charts"),
    [("Compare methods", "compare", 0), ("How GIO works", "how_it_works", 2)],
    ids=["compare", "how_it_works"],
)
def test_every_page_opens_from_the_sidebar_without_error(page, link, url_path, charts):
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
    page.wait_for_url(re.compile(rf"/{url_path}$"))
    page.get_by_role("heading", name=link, exact=True).wait_for(state="visible")
    if charts:
        page.locator('[data-testid="stPlotlyChart"] .main-svg').nth(charts * 2 - 1).wait_for(state="visible")
        assert page.get_by_test_id("stPlotlyChart").count() == charts
        for chart in page.get_by_test_id("stPlotlyChart").all():
            assert chart.locator(".scatterlayer .trace .points path").count() > 0
    # formulas fit their column (KaTeX's aligned lines stick out by a pixel or two, which shows nothing)
    assert _cut_off(page, ".katex-display", tolerance_px=8) == []
    wait_until_idle(page)  # the picture shows the whole page, not one half drawn
    _assert_no_error(page)
    _screenshot(page, f"page_{link.lower().replace(' ', '_')}")


def test_two_sessions_do_not_see_each_others_parameters_uploads_or_runs(browser, app_url, tmp_path):
    pool_path, target_path = _write_upload_pair(tmp_path)
    first, second = _new_page(browser, app_url), _new_page(browser, app_url)
    try:
        # the first session changes k and uploads its own files
        k_first = _set_k(first, 7)
        _switch_to_uploads(first)
        first.get_by_test_id("stFileUploader").filter(has_text="Pool file").locator("input[type=file]").set_input_files(
            pool_path
        )
        first.get_by_text(re.compile(r"my_pool\.csv · csv · .* · 300 rows")).wait_for()  # the pool's file card
        first.get_by_test_id("stFileUploader").filter(has_text="Target file").locator(
            "input[type=file]"
        ).set_input_files(target_path)
        first.get_by_test_id("stMetric").filter(has_text="Pool rows").get_by_text("300", exact=True).wait_for()
        assert _metric(first, "Target rows") == "60"
        assert k_first.input_value() == "7"

        # the second session still has the demo and the default k; its run stays its own
        k_second = second.get_by_test_id("stNumberInput").filter(has_text="k (neighbours)").locator("input")
        assert k_second.input_value() == "5"
        _run_selection(second)
        _assert_no_error(second)
        assert _metric(second, "Pool rows") == "2,000"
        assert k_second.input_value() == "5"
        assert second.get_by_text("my_pool.csv").count() == 0

        # the first session's map turns into UMAP when the background fit is done; meanwhile a rerun
        # started by that could undo a half-typed value, so wait for it as a person would
        first.wait_for_function(_UMAP_MAP_DRAWN)
        wait_until_idle(first)
        # a rerun of the first session (k changed again) shows its own files and no run
        _set_k(first, 6)
        assert k_first.input_value() == "6"
        _assert_no_error(first)
        assert _metric(first, "Pool rows") == "300"
        assert _download_button(first, CSV_LABEL).count() == 0
        _screenshot(first, "two_sessions_first")
        _screenshot(second, "two_sessions_second")
    finally:
        first.context.close()
        second.context.close()


def test_the_data_choice_follows_the_user_across_pages(page):
    """A demo picked on one page is the one the other pages show (Streamlit forgets widgets on a page switch)."""
    digits_pool_rows = page.get_by_test_id("stMetric").filter(has_text="Pool rows").filter(has_text="1,647")
    _choose_demo(page, "Digits 0, 3, 7 (target subset)")
    digits_pool_rows.wait_for(state="visible")
    for link, url_path in (("Compare methods", "compare"), ("Select data", "")):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
        page.wait_for_url(re.compile(rf"/{url_path}$"))
        wait_until_idle(page)
        _screenshot(page, f"data_choice_{url_path or 'select'}")
        digits_pool_rows.wait_for(state="visible")
        _assert_no_error(page)


# ------------------------------------------------------------------- what was picked, and choosing the target

_POINT_POSITION = """(chart, [prefix, index]) => {
    const trace = chart._fullData.find(item => item.name.startsWith(prefix) && item.x && item.x.length > index);
    const box = chart.querySelector('.nsewdrag').getBoundingClientRect();
    return [box.left + chart._fullLayout.xaxis.l2p(trace.x[index]),
            box.top + chart._fullLayout.yaxis.l2p(trace.y[index])];
}"""
_DATA_TO_SCREEN = """(chart, [x, y]) => {
    const box = chart.querySelector('.nsewdrag').getBoundingClientRect();
    return [box.left + chart._fullLayout.xaxis.l2p(x), box.top + chart._fullLayout.yaxis.l2p(y)];
}"""


def _point_on_screen(chart, trace_prefix: str, index: int = 0) -> tuple[float, float]:
    """Where point ``index`` of the first trace named ``trace_prefix…`` is drawn, in page pixels."""
    chart.locator(".js-plotly-plot .nsewdrag").scroll_into_view_if_needed()
    x, y = chart.locator(".js-plotly-plot").evaluate(_POINT_POSITION, [trace_prefix, index])
    return float(x), float(y)


def _hover_label(page) -> str:
    """The text of the hover label on screen, its lines joined by spaces (Plotly draws it as SVG)."""
    label = page.locator(".hoverlayer .hovertext").first
    label.wait_for(state="visible")
    lines = label.evaluate("""element => [...element.querySelectorAll('tspan.line')].map(line => line.textContent)
        .concat(element.querySelectorAll('tspan.line').length ? [] : [element.textContent])""")
    return " ".join(" ".join(lines).split())


def _choose_demo(page, title: str) -> None:
    """Choose a demo in the sidebar and wait until its data are drawn (its pool-row count)."""
    from gio_core.io.demos import available_demos, load_demo

    pool_rows = next(load_demo(key).pool.n_rows for key in available_demos() if load_demo(key).info.title == title)
    choose_until(
        page,
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Demo"),
        title,
        page.get_by_test_id("stMetric").filter(has_text="Pool rows").get_by_text(f"{pool_rows:,}", exact=True),
    )


def _picks_heading(page, step: int, rows: int):
    return page.get_by_text(f"Picks after step {step} · {rows:,} row{'s' * (rows != 1)} in pick order")


def test_the_opening_demo_spreads_its_picks_over_the_target_while_the_kl_falls(finished_page):
    page = finished_page
    _assert_no_error(page)
    assert _metric(page, "Picks") == "80"
    first = page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(r"^KL at pick \d+$"))
    assert first.count() == 1  # the first defined KL, not "KL start ∞"
    start_label = first.inner_text().strip()
    assert float(_metric(page, start_label)) > float(_metric(page, "KL final")) + 1.0
    assert page.get_by_text("Stopped: maximum picks", exact=True).count() == 1
    with page.expect_download() as download_info:
        _download_button(page, CSV_LABEL).click()
    shares = pd.read_csv(download_info.value.path())["cluster"].value_counts(normalize=True)
    # every pick in a target cluster (A, C, D), each of them covered, near its 45/30/25% share of the target
    assert set(shares.index) == {"A", "C", "D"}, shares
    assert shares["A"] > 0.3 and shares["C"] > 0.2 and shares["D"] > 0.15, shares
    _screenshot(page, "opening_demo_after_run")


def test_the_picks_table_follows_the_step_slider_and_can_be_searched(page):
    _run_selection(page)
    _picks_heading(page, 80, 80).wait_for(state="visible")
    slider = page.get_by_test_id("stSlider").filter(has_text="Step").get_by_role("slider")
    slider.focus()
    _rerun_after(page, lambda: slider.press("Home"))
    _picks_heading(page, 1, 1).wait_for(state="visible")
    for _ in range(19):
        slider.press("ArrowRight")
    _picks_heading(page, 20, 20).wait_for(state="visible")
    assert page.get_by_text(re.compile(r"^Step 20 of 80:")).count() == 1  # the map's caption moved with it
    # the table draws the first picks' undefined KL as "None" (no styling reaches those cells): a line says why
    page.get_by_text(
        re.compile(r"KL after the pick reads None for 4 rows, picked before the selection held k = 5")
    ).wait_for(state="visible")
    table = page.get_by_test_id("stDataFrame").filter(has=page.locator("[data-testid='stDataFrameResizable']")).last
    table.wait_for(state="visible")
    search = page.get_by_test_id("stTextInput").filter(has_text="Search the picks").locator("input")
    search.fill("p0")
    _rerun_after(page, lambda: search.press("Enter"))
    page.get_by_text(re.compile(r"^\d+ of 20 picks contain “p0”\.$")).wait_for(state="visible")
    _assert_no_error(page)
    _screenshot(page, "picks_table_at_step_20")


@pytest.mark.slow  # waits for a UMAP map or runs twice
def test_hovering_a_point_of_the_text_demo_shows_its_sentence(page):
    from gio_core.io.demos import load_demo

    _choose_demo(page, "Clean vs misspelt sentences (text quality)")
    page.wait_for_function(_UMAP_MAP_DRAWN)  # no redraw can come after this one
    wait_until_idle(page)
    demo = load_demo("text-spelling")
    sentences = [" ".join(text.split()) for text in list(demo.pool.frame["text"]) + list(demo.target.frame["text"])]
    for trace, index in (("pool", 0), ("target", 3)):
        page.mouse.move(*_point_on_screen(_map_chart(page), trace, index))
        shown = _hover_label(page)
        assert any(sentence[:40] in shown for sentence in sentences), shown
        assert "is_clean: " in shown
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"hover_text_demo_{trace}.png"))  # the label on screen


@pytest.mark.slow  # waits for a UMAP map or runs twice
def test_the_image_demo_shows_a_gallery_of_picked_images_and_the_images_of_clicked_points(page):
    _choose_demo(page, "Fashion-MNIST footwear (images)")
    assert _metric(page, "Pool rows") == "3,850"
    page.wait_for_function(_UMAP_MAP_DRAWN)
    wait_until_idle(page)
    _run_selection(page)
    _assert_no_error(page)
    gallery = page.locator(".st-key-picks_gallery")
    gallery.locator("img").nth(19).wait_for(state="visible")
    assert gallery.locator("img").count() == 60
    captions = gallery.inner_text()
    footwear = sum(captions.count(name) for name in ("Sandal", "Sneaker", "Ankle boot"))
    assert footwear >= 45, captions  # GIO picks footwear for a footwear target
    # hovering says the image is a click away; a click shows it below the map
    x, y = _point_on_screen(_map_chart(page), "picks", 0)
    page.mouse.move(x, y)
    assert "click the point to see its image" in _hover_label(page)
    page.screenshot(path=str(SCREENSHOTS / "hover_image_demo.png"))
    _rerun_after(page, lambda: page.mouse.click(x, y))
    panel = page.locator(".st-key-map_selection_panel")
    panel.locator("img").first.wait_for(state="visible")
    assert "Chosen on the map" in panel.inner_text()
    _screenshot(page, "fashion_gallery_and_clicked_point")


@pytest.mark.slow  # waits for a UMAP map or runs twice
def test_a_target_boxed_on_the_map_of_a_pool_becomes_the_target_of_a_run(page, tmp_path):
    import json

    from gio_core.io.demos import load_demo

    pool_path = tmp_path / "only_a_pool.csv"
    load_demo(DEFAULT_DEMO).pool.frame.to_csv(pool_path, index=False)
    _switch_to_uploads(page)
    target_mode = page.get_by_test_id("stButtonGroup").filter(has_text="Rows of the pool, chosen on the map")
    click_until(
        page,
        target_mode.get_by_role("radio", name="Rows of the pool, chosen on the map"),
        page.get_by_text("Choose the target below, on a map of the pool."),
    )
    page.get_by_test_id("stFileUploader").filter(has_text="Pool file").locator("input[type=file]").set_input_files(
        pool_path
    )
    chooser = page.get_by_test_id("stPlotlyChart")
    chooser.locator(".js-plotly-plot .nsewdrag").wait_for(state="visible")
    wait_until_idle(page)
    _screenshot(page, "target_chooser_before")
    # drag a box around cluster C (centre 3.0, 2.5; spread 0.6)
    chooser.locator(".js-plotly-plot .nsewdrag").scroll_into_view_if_needed()
    corner = chooser.locator(".js-plotly-plot").evaluate(_DATA_TO_SCREEN, [1.6, 3.9])
    opposite = chooser.locator(".js-plotly-plot").evaluate(_DATA_TO_SCREEN, [4.4, 1.1])

    def drag():
        page.mouse.move(*corner)
        page.mouse.down()
        page.mouse.move(*opposite, steps=12)
        page.mouse.up()

    _rerun_after(page, drag)
    confirm = page.get_by_test_id("stButton").filter(has_text="Select more like these").locator("button:visible").first
    chosen = int(re.search(r"\(([\d,]+) rows\)", confirm.inner_text()).group(1).replace(",", ""))
    assert 300 <= chosen <= 420, chosen
    _screenshot(page, "target_chooser_boxed")
    _rerun_after(page, confirm.click)
    page.get_by_test_id("stMetric").filter(has_text="Target rows").get_by_text(f"{chosen:,}", exact=True).wait_for()
    assert _metric(page, "Pool rows") == f"{2000 - chosen:,}"
    _run_selection(page)
    _assert_no_error(page)
    with page.expect_download() as download_info:
        _download_button(page, CSV_LABEL).click()
    picks = pd.read_csv(download_info.value.path())
    assert (picks["cluster"] == "C").mean() >= 0.8, picks["cluster"].value_counts()
    with page.expect_download() as download_info:
        _download_button(page, "Download run manifest (JSON)").click()
    manifest = json.loads(Path(download_info.value.path()).read_text())
    assert len(manifest["app"]["target_from_pool"]["rows"]) == chosen
    assert manifest["app"]["target_from_pool"]["how"] == "boxed or lassoed on the map"
    with page.expect_download() as download_info:
        _download_button(page, REPORT_LABEL).click()
    report = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert f"{chosen:,} rows of only_a_pool.csv (boxed or lassoed on the map), taken out of the pool" in report
    _screenshot(page, "target_chooser_run")
