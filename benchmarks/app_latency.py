"""How fast the app feels: a person's waits, measured in headless Chromium against ``streamlit run app.py``.

Run:  .venv/bin/python benchmarks/app_latency.py  [--url http://127.0.0.1:8501]

Without ``--url`` the script starts its own server on a free localhost port (a cold process: the first
figure includes the imports and the demo build) and stops it at the end. Each figure is the time from
the person's action (open, click, upload) until the result is on screen, measured with Playwright waits
on the page itself, and printed next to its goal:

- app ready after open (cold process, then a second session on the warm process);
- 2-D demo: click on "Run selection" to the first KL point drawn (goal <= 2 s);
- digits demo (0, 3, 7 subset): click on "Run selection" to the finished run with its downloads (<= 10 s);
- a 10,000-row upload (a CSV of 32-d Gaussian vectors, written to a temporary folder): upload to the
  first map (PCA) and to the UMAP map on screen the first time (<= 30 s); the UMAP map again from the
  cache, switching the map to PCA and back (<= 1 s); and the same upload in a new session (the map comes
  from the cache, the files are read again).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from app_server import CHROMIUM, CHROMIUM_ARGS, stop_server  # noqa: E402
from app_server import die_with_parent as _die_with_parent  # noqa: E402
from app_server import free_port as _free_port  # noqa: E402
from app_server import healthy as _healthy  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
WAIT_MS = 300_000
UPLOAD_ROWS, UPLOAD_TARGET_ROWS, UPLOAD_DIMENSIONS = 10_000, 500, 32

_KL_CURVE_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => (chart.calcdata || []).some(points => points[0].trace.name === 'KL after each pick'
                                          && points.some(point => Number.isFinite(point.y)))
             && chart.querySelectorAll('.scatterlayer .trace .points path').length > 0)"""
_MAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => (chart._fullData || []).some(trace => trace.name === 'pool' && trace._length >= 10000))"""
_UMAP_MAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => chart._fullLayout && chart._fullLayout.xaxis && chart._fullLayout.xaxis.title
             && chart._fullLayout.xaxis.title.text === 'UMAP 1'
             && (chart._fullData || []).some(trace => trace.name === 'pool' && trace._length > 0))"""


# ------------------------------------------------------------------------------------------------ server


def start_server(log_path: Path) -> tuple[subprocess.Popen, str, float]:
    """``streamlit run app.py`` on a free port; returns the process, its URL and the seconds to healthy."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent
        )
    url = f"http://127.0.0.1:{port}"
    while not _healthy(url):
        try:
            server.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            if time.perf_counter() - started > 300:
                stop_server(server)
                raise SystemExit(f"streamlit did not answer within 300 s; see {log_path}") from None
            continue
        raise SystemExit(f"streamlit exited with code {server.returncode}; see {log_path}")
    return server, url, time.perf_counter() - started


# ------------------------------------------------------------------------------------------------ page


def _button(page, label: str, test_id: str = "stButton"):
    return page.get_by_test_id(test_id).filter(has=page.get_by_text(label, exact=True)).locator("button:visible").first


def _idle(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached")


def open_session(browser, url: str):
    """A new session; returns the page and the seconds until the Run button is there and the script idle."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    _button(page, "Run selection").wait_for(state="visible")
    _idle(page)
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(state="visible")
    return page, time.perf_counter() - started


def choose_demo(page, title: str) -> None:
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Demo").click()
    page.get_by_role("option", name=title).click()
    page.get_by_test_id("stExpander").filter(has_text=title).wait_for(state="visible")
    _button(page, "Run selection").wait_for(state="visible")
    _idle(page)


def time_first_kl_point(page) -> float:
    started = time.perf_counter()
    _button(page, "Run selection").click()
    page.wait_for_function(_KL_CURVE_DRAWN, polling="raf")
    seconds = time.perf_counter() - started
    _button(page, "Download selected rows (CSV)", "stDownloadButton").wait_for(state="visible")
    return seconds


def time_full_run(page) -> tuple[float, str]:
    started = time.perf_counter()
    _button(page, "Run selection").click()
    _button(page, "Download selected rows (CSV)", "stDownloadButton").wait_for(state="visible")
    seconds = time.perf_counter() - started
    summary = page.get_by_text(" rows selected in ").inner_text()
    return seconds, " ".join(summary.split())


def write_upload(folder: Path) -> tuple[Path, Path]:
    """A pool of 10,000 rows from three 32-d Gaussian blobs and a target of 500 rows from one of them."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4.0, size=(3, UPLOAD_DIMENSIONS))
    blob = rng.integers(0, 3, size=UPLOAD_ROWS)
    pool = centres[blob] + rng.normal(size=(UPLOAD_ROWS, UPLOAD_DIMENSIONS))
    target = centres[0] + rng.normal(size=(UPLOAD_TARGET_ROWS, UPLOAD_DIMENSIONS))
    columns = [f"f{i}" for i in range(UPLOAD_DIMENSIONS)]
    pool_path, target_path = folder / "pool_10k.csv", folder / "target_500.csv"
    pd.DataFrame(pool, columns=columns).to_csv(pool_path, index=False, float_format="%.5f")
    pd.DataFrame(target, columns=columns).to_csv(target_path, index=False, float_format="%.5f")
    return pool_path, target_path


def time_upload_to_maps(page, pool_path: Path, target_path: Path) -> tuple[float, float]:
    """Seconds from the upload to the first map on screen (PCA while UMAP computes), and to the UMAP map."""
    page.get_by_test_id("stSidebar").get_by_role("radio", name="Upload files", exact=True).click()
    pool_input = page.get_by_test_id("stFileUploader").filter(has_text="Pool file").locator("input[type=file]")
    target_input = page.get_by_test_id("stFileUploader").filter(has_text="Target file").locator("input[type=file]")
    pool_input.wait_for(state="attached")
    _idle(page)
    started = time.perf_counter()
    pool_input.set_input_files(pool_path)
    target_input.set_input_files(target_path)
    page.wait_for_function(_MAP_DRAWN, polling=100)
    first_map = time.perf_counter() - started
    page.wait_for_function(_UMAP_MAP_DRAWN, polling=100)
    return first_map, time.perf_counter() - started


def time_map_switch_back_to_umap(page) -> float:
    """Seconds from choosing the UMAP map again (after PCA) to the UMAP map on screen: the cached map."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radio", name="PCA", exact=True).click()
    page.wait_for_function(f"() => !({_UMAP_MAP_DRAWN})()", polling=100)
    _idle(page)
    started = time.perf_counter()
    sidebar.get_by_role("radio", name="UMAP (auto)", exact=True).click()
    page.wait_for_function(_UMAP_MAP_DRAWN, polling=100)
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------------ main


def _line(name: str, seconds: float, goal: float | None = None, note: str = "") -> None:
    verdict = "" if goal is None else (f"goal <= {goal:g} s  " + ("met" if seconds <= goal else "MISSED"))
    print(f"{name:<52} {seconds:7.2f} s   {verdict}{'  ' + note if note else ''}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an app already running (default: start one on a free port)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gio_app_latency_") as folder_name:
        folder = Path(folder_name)
        server = None
        url = args.url
        if url is None:
            server, url, healthy = start_server(folder / "server.log")
            _line("server healthy after start", healthy)
        load = os.getloadavg()[0]
        print(
            f"machine: {os.cpu_count()} cores, load average {load:.1f} at the start "
            "(figures grow with other processes' load)",
            flush=True,
        )
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                page, seconds = open_session(browser, url)
                _line("app ready after open (first session)", seconds)
                page.context.close()
                page, seconds = open_session(browser, url)
                _line("app ready after open (second session)", seconds)

                _line("2-D demo: Run selection -> first KL point", time_first_kl_point(page), 2)
                choose_demo(page, "Digits 0, 3, 7 (target subset)")
                seconds, summary = time_full_run(page)
                _line("digits demo: Run selection -> finished", seconds, 10, f"({summary})")
                page.context.close()

                pool_path, target_path = write_upload(folder)
                size = (pool_path.stat().st_size + target_path.stat().st_size) / 1e6
                page, _ = open_session(browser, url)
                first_map, seconds = time_upload_to_maps(page, pool_path, target_path)
                _line(f"10,000-row upload ({size:.1f} MB CSV) -> first map (PCA)", first_map)
                _line("10,000-row upload -> UMAP map, first time", seconds, 30)
                _line("UMAP map again (PCA -> UMAP (auto), from the cache)", time_map_switch_back_to_umap(page), 1)
                page.context.close()
                page, _ = open_session(browser, url)
                first_map, seconds = time_upload_to_maps(page, pool_path, target_path)
                _line(
                    "same upload in a new session -> UMAP map (cache)",
                    seconds,
                    None,
                    "(includes reading the 2 files again)",
                )
                page.context.close()
                browser.close()
            print(f"load average {os.getloadavg()[0]:.1f} at the end", flush=True)
        finally:
            if server is not None:
                stop_server(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
