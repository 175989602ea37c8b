"""Many users at once: N browser sessions run the digits demo on one ``streamlit run app.py`` at the same time.

Run:  .venv/bin/python benchmarks/app_sessions.py  [--sessions 8] [--out benchmarks/results/app_sessions.md] [--cold]

One server is started on a free localhost port and one headless Chromium opens N independent browser
contexts (N Streamlit sessions). Every session, at the same time, opens the app, chooses the digits demo
("Digits 0, 3, 7 (target subset)") and sets its own seed, k and maximum picks, so no two sessions should
get the same selection; once every session is set up they all press *Run selection* together and wait for
the run to finish. Each session then downloads its selection CSV and run manifest through the page's
buttons, and the rows it got (``gio_row`` in ``gio_rank`` order) are compared with the same settings run
in this process with :mod:`gio_core` on the same demo data: a session that saw another session's data,
parameters or run would show rows that are not its own.

Reported: each session's wall time (open to finished, and from the click on *Run selection* to the
downloads) and its phases, whether all finished, the isolation check per session, the peak resident
memory of the Streamlit server process and its children and the CPU time of the server and of the browser
(sampled from ``/proc`` during the concurrent run), the load average at the start and the end, and one
session alone on the same server (first session on the fresh server, and again after the concurrent ones)
for comparison. The page is used as a person would: a click whose target a redraw took away, or a download
that failed, is done again after ``RETRY_MS`` and listed in the report. A screenshot of each session at the
end of its run goes to ``screenshots/``. Nothing is asserted about speed; ``tests/test_concurrent_sessions.py``
asserts the isolation. The exit status is 1 when a session failed its check.

By default one session alone runs the demo first and waits for its UMAP map, as on a server that has had a
user. With ``--cold`` the N sessions are the first on the fresh server: each then polls once a second for the
UMAP map being fitted in the background, every poll ends with Streamlit's full garbage collection
(``runner.postScriptGC``, on by default), and on two busy cores this stalled the server for minutes (a
session stuck for over three minutes in 5 of 14 cold runs; in none of 5 with ``--runner.postScriptGC false``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from app_server import CHROMIUM, CHROMIUM_ARGS, stop_server  # noqa: E402
from app_server import die_with_parent as _die_with_parent  # noqa: E402
from app_server import free_port as _free_port  # noqa: E402
from app_server import healthy as _healthy  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
WAIT_MS = 180_000  # one wait on the page (a load, a rerun, a run); generous: 8 sessions share 2 cores
SERVER_START_SECONDS = 300
DEMO_KEY = "digits-subset"
DEMO_TITLE = "Digits 0, 3, 7 (target subset)"
DEMO_POOL_ROWS = "1,647"
RUN_LABEL = "Run selection"
CSV_LABEL = "Download selected rows (CSV)"
MANIFEST_LABEL = "Download run manifest (JSON)"
K_LABEL, MAX_PICKS_LABEL, SEED_LABEL = "k (neighbours)", "Maximum picks", "Seed"
SAMPLE_SECONDS = 0.2
_SELECTED_TEXT = " rows selected in "
_SCRIPT_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
_UMAP_MAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => chart._fullLayout?.xaxis?.title?.text === 'UMAP 1'
             && (chart._fullData || []).some(trace => trace.name === 'pool' && trace._length > 0))"""
RETRY_MS = 30_000  # how long a click waits for its target before it is tried again (a redraw can hide it)


# --------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SessionSettings:
    """What one session sets on the Select page (everything else stays at the app's defaults)."""

    seed: int
    k: int
    max_iter: int

    def gio_params(self) -> dict:
        """The GIO parameters the app should run with: its defaults, the demo's own, and these three."""
        from gio_core.io.demos import load_demo
        from ui.defaults import default_params

        params = default_params()
        params.update(load_demo(DEMO_KEY).params)
        params.update(k=self.k, max_iter=self.max_iter)
        return params


def session_settings(n_sessions: int) -> list[SessionSettings]:
    """Settings of ``n_sessions`` sessions that all differ in seed, maximum picks and (mostly) k.

    Small budgets (10 to 10 + 2(n-1) picks) keep a run to a second or two of engine time.
    """
    return [
        SessionSettings(seed=11 * index + 1, k=3 + index % 4, max_iter=10 + 2 * index) for index in range(n_sessions)
    ]


@lru_cache(maxsize=1)
def _demo_vectors():
    from gio_core.io.demos import load_demo
    from gio_core.io.vectors import prepare_vectors

    demo = load_demo(DEMO_KEY)
    return prepare_vectors(demo.pool, demo.target, **demo.vectors, drop_nonfinite=False)


def expected_rows(settings: SessionSettings) -> list[int]:
    """Rows of the demo's pool file (``gio_row``) that these settings pick, in pick order, run in this process."""
    from gio_core import GIOSelector

    prepared = _demo_vectors()
    selector = GIOSelector(**settings.gio_params(), random_state=settings.seed)
    selector.fit(prepared.pool, prepared.target, np.zeros((0, prepared.dimensions)))  # the app's empty start set
    return prepared.pool_rows[np.asarray(selector.result_.selected_indices, dtype=np.int64)].tolist()


# ------------------------------------------------------------------------------------------------ server


def start_server(log_path: Path) -> tuple[subprocess.Popen, str, float]:
    """``streamlit run app.py`` on a free port; returns the process, its URL and the seconds until healthy."""
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
            server.wait(timeout=0.5)  # the pause between two health checks; returns early if it exits
        except subprocess.TimeoutExpired:
            if time.perf_counter() - started > SERVER_START_SECONDS:
                stop_server(server)
                raise RuntimeError(
                    f"streamlit did not answer within {SERVER_START_SECONDS} s; see {log_path}"
                ) from None
            continue
        raise RuntimeError(f"streamlit exited with code {server.returncode}; see {log_path}")
    return server, url, time.perf_counter() - started


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc/<pid>/task/<tid>/children``)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    queue.extend(int(child) for child in handle.read().split())
        except OSError:  # ended meanwhile
            continue
    return found


def _status_kib(pid: int, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and its children now, in MiB."""
    return sum(_status_kib(member, "VmRSS") for member in _process_tree(pid)) / 1024


def peak_rss_mib(pid: int) -> float:
    """The kernel's high-water mark of a process's resident memory (``VmHWM``), in MiB."""
    return _status_kib(pid, "VmHWM") / 1024


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time a process has used so far, in seconds (None once it has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class ProcessSampler:
    """Samples, in a thread, the server's process tree (resident memory, CPU time) and the CPU time of the
    other processes this one started (the browser: Playwright's driver and Chromium's processes).

    ``peak_mib`` is the largest resident sum of the server tree seen; ``server_cpu`` and ``browser_cpu``
    the CPU seconds used while sampling (a process that ends counts up to its last sample).
    """

    def __init__(self, server_pid: int, every: float = SAMPLE_SECONDS):
        self.server_pid, self.every = server_pid, every
        self.peak_mib = 0.0
        self.samples = 0
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._server: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="process-sampler", daemon=True)

    def _sample(self) -> None:
        first_round = True
        while True:
            server = _process_tree(self.server_pid)
            self._server.update(server)
            self.peak_mib = max(self.peak_mib, sum(_status_kib(pid, "VmRSS") for pid in server) / 1024)
            for pid in _process_tree(os.getpid())[1:]:
                seconds = _cpu_seconds(pid)
                if seconds is not None:
                    self._first.setdefault(pid, seconds if first_round else 0.0)
                    self._last[pid] = seconds
            first_round = False
            self.samples += 1
            if self._stop.wait(self.every):
                return

    def _cpu(self, pids) -> float:
        return sum(self._last[pid] - self._first[pid] for pid in pids)

    @property
    def server_cpu(self) -> float:
        return self._cpu(pid for pid in self._last if pid in self._server)

    @property
    def browser_cpu(self) -> float:
        return self._cpu(pid for pid in self._last if pid not in self._server)

    def __enter__(self) -> ProcessSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()  # one last sample, now (with the stop set it returns after it)


# ------------------------------------------------------------------------------------------------- page


def _button(page, label: str, test_id: str = "stButton"):
    """The visible button labelled exactly ``label`` (Streamlit may hold a hidden copy for its tooltip)."""
    return page.get_by_test_id(test_id).filter(has=page.get_by_text(label, exact=True)).locator("button:visible").first


async def _idle(page) -> None:
    await page.locator(_SCRIPT_IDLE).wait_for(state="attached")


def _number_input(page, label: str):
    return page.get_by_test_id("stNumberInput").filter(has_text=label).locator("input")


async def _metric(page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return (await metric.get_by_test_id("stMetricValue").inner_text()).strip()


async def _choose_demo(page, retries: list[str]) -> None:
    """Choose the digits demo and wait until its row counts are on the page.

    Waits on the outcome, not on one script run: with eight sessions a run started by something else (the
    shared UMAP map being ready) can redraw the sidebar under the click and close the list, and the run
    that ends first may not be the one the click started. A person would choose again, and so does this.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    pool_rows = page.get_by_test_id("stMetric").filter(has_text="Pool rows").get_by_text(DEMO_POOL_ROWS, exact=True)
    demo_box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Demo")
    for _ in range(3):
        step = "the demo list"
        try:
            if DEMO_TITLE not in await demo_box.inner_text():
                await demo_box.click()
                await page.get_by_role("option", name=DEMO_TITLE).click(timeout=RETRY_MS)
            step = "the demo's row counts"
            await pool_rows.wait_for(state="visible", timeout=RETRY_MS)
            break
        except PlaywrightTimeoutError:
            retries.append(f"{step} not there after {RETRY_MS / 1000:.0f} s")
    await pool_rows.wait_for(state="visible")
    await _idle(page)


async def _set_numbers(page, values: dict[str, int], retries: list[str]) -> None:
    """Type each value into its number input and commit it with Enter; check they all hold, again if one was lost.

    No wait for the script run that a value starts: every later rerun request (the click on *Run selection*)
    carries the values of all widgets, and the run's manifest shows what the server used.
    """
    for _ in range(3):
        for label, value in values.items():
            field = _number_input(page, label)
            if await field.input_value() != str(value):
                await field.fill(str(value))
                await field.press("Enter")
        await _idle(page)
        shown = {label: await _number_input(page, label).input_value() for label in values}
        if all(shown[label] == str(value) for label, value in values.items()):
            return
        retries.append(f"the number inputs showed {shown}")
    raise RuntimeError(f"the number inputs show {shown} after three tries, not {values}")


async def _click_run(page, retries: list[str]) -> None:
    """Press *Run selection* and wait until the run has started or finished; press again if the click was lost."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    started = _button(page, "Stop").or_(_button(page, CSV_LABEL, "stDownloadButton"))
    for _ in range(3):
        await _button(page, RUN_LABEL).click()
        try:
            await started.first.wait_for(state="visible", timeout=RETRY_MS)
            return
        except PlaywrightTimeoutError:
            retries.append(f"no run {RETRY_MS / 1000:.0f} s after the click on {RUN_LABEL}")
    await started.first.wait_for(state="visible")


async def _download(page, label: str, retries: list[str]) -> Path:
    """Click a download button and return the downloaded file; click again if the download failed.

    A download is served from Streamlit's media store, which forgets a session's files when the session
    starts a full rerun and deletes them once two other script runs have ended: a click on the old link
    during a rerun can fail while other sessions are busy (seen on a stalled cold server). A person clicks
    again.
    """
    for _ in range(3):
        await _idle(page)
        async with page.expect_download() as download_info:
            await _button(page, label, "stDownloadButton").click()
        download = await download_info.value
        failure = await download.failure()
        if failure is None:
            return Path(await download.path())
        retries.append(f"{label}: the download failed ({failure})")
    raise RuntimeError(f"{label}: three downloads failed")


async def _screenshot(page, path: Path) -> None:
    """The whole app (main area and sidebar scroll inside the page): grow the window to fit, then shoot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.mouse.move(0, 0)  # no tooltip of the last click in the picture
    await page.locator('[data-testid="stTooltipContent"]:visible').first.wait_for(state="detached")
    height = await page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(
        id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))""")
    await page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height) + 40)})
    await page.screenshot(path=str(path))
    await page.set_viewport_size(VIEWPORT)


# ------------------------------------------------------------------------------------------------ sessions


@dataclass
class SessionResult:
    """What one session did and showed."""

    index: int
    settings: SessionSettings
    finished: bool = False
    error: str | None = None
    ready_seconds: float = float("nan")  # open, choose the demo, set the parameters
    run_seconds: float = float("nan")  # click on Run selection to the downloads on screen
    total_seconds: float = float("nan")  # open to the downloads on screen
    picks_shown: int | None = None
    kl_final_shown: str | None = None
    stopped_early: bool = False
    rows: list[int] = field(default_factory=list)  # gio_row of the downloaded CSV, in gio_rank order
    manifest_seed: int | None = None
    manifest_params: dict = field(default_factory=dict)
    inputs_after_run: dict = field(default_factory=dict)  # the number inputs' values at the end
    screenshot: Path | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds from the start at the end of each phase
    retries: list[str] = field(default_factory=list)  # what had to be done again, as a person would

    def check(self, expected: list[int]) -> list[str]:
        """Ways this session's page differs from its own settings' in-process result (empty: isolated)."""
        problems = []
        if not self.finished:
            return [f"did not finish: {self.error}"]
        if self.rows != expected:
            problems.append(
                f"CSV rows {self.rows[:8]}… ({len(self.rows)}) are not its own {expected[:8]}… ({len(expected)})"
            )
        if self.picks_shown != len(expected):
            problems.append(f"the page shows {self.picks_shown} picks, its own run makes {len(expected)}")
        if self.manifest_seed != self.settings.seed:
            problems.append(f"manifest seed {self.manifest_seed}, set {self.settings.seed}")
        wanted = self.settings.gio_params()
        differing = {
            name: (self.manifest_params.get(name), value)
            for name, value in wanted.items()
            if self.manifest_params.get(name) != value
        }
        if differing:
            problems.append(f"manifest parameters differ (shown, set): {differing}")
        own_inputs = {
            K_LABEL: str(self.settings.k),
            MAX_PICKS_LABEL: str(self.settings.max_iter),
            SEED_LABEL: str(self.settings.seed),
        }
        if self.inputs_after_run != own_inputs:
            problems.append(f"inputs after the run {self.inputs_after_run}, set {own_inputs}")
        if self.stopped_early:
            problems.append("the run was stopped before its end")
        return problems


async def _prepare(
    page, url: str, settings: SessionSettings, started: float, phases: dict[str, float], retries: list[str]
) -> None:
    await page.goto(url)
    await _button(page, RUN_LABEL).wait_for(state="visible")
    await _idle(page)
    phases["open"] = time.perf_counter() - started
    await _choose_demo(page, retries)
    phases["demo"] = time.perf_counter() - started
    await _set_numbers(
        page, {K_LABEL: settings.k, MAX_PICKS_LABEL: settings.max_iter, SEED_LABEL: settings.seed}, retries
    )
    phases["numbers"] = time.perf_counter() - started


async def _run_and_read(page, result: SessionResult, started: float, screenshot_dir: Path | None) -> None:
    clicked = time.perf_counter()
    await _click_run(page, result.retries)
    # the downloads appear only once the run has finished and its summary is drawn
    await _button(page, CSV_LABEL, "stDownloadButton").wait_for(state="visible")
    await page.get_by_text(_SELECTED_TEXT).wait_for(state="visible")
    finished = time.perf_counter()
    result.run_seconds, result.total_seconds = finished - clicked, finished - started
    await _idle(page)
    errors = await page.get_by_test_id("stException").all_inner_texts()
    errors += await page.get_by_test_id("stAlertContentError").all_inner_texts()
    if errors:
        raise RuntimeError(f"the page shows errors: {errors}")
    result.stopped_early = await page.get_by_text("the picks so far are kept").count() > 0
    result.picks_shown = int((await _metric(page, "Picks")).replace(",", ""))
    result.kl_final_shown = await _metric(page, "KL final")
    frame = pd.read_csv(await _download(page, CSV_LABEL, result.retries)).sort_values("gio_rank")
    result.rows = frame["gio_row"].astype(int).tolist()
    manifest = json.loads((await _download(page, MANIFEST_LABEL, result.retries)).read_text(encoding="utf-8"))
    result.manifest_seed, result.manifest_params = manifest.get("seed"), manifest.get("params", {})
    result.inputs_after_run = {
        label: await _number_input(page, label).input_value() for label in (K_LABEL, MAX_PICKS_LABEL, SEED_LABEL)
    }
    result.finished = True
    if screenshot_dir is not None:
        result.screenshot = screenshot_dir / f"concurrent_session_{result.index}.png"
        await _screenshot(page, result.screenshot)


async def _session(
    browser,
    url: str,
    index: int,
    settings: SessionSettings,
    start_line: _StartLine,
    screenshot_dir: Path | None,
    wait_for_map: bool,
) -> SessionResult:
    result = SessionResult(index=index, settings=settings)
    context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    page = await context.new_page()
    started = time.perf_counter()
    try:
        try:
            await _prepare(page, url, settings, started, result.phases, result.retries)
        finally:
            await start_line.arrive()
        result.ready_seconds = time.perf_counter() - started
        await start_line.go.wait()  # every session presses Run at the same moment
        result.phases["all ready"] = time.perf_counter() - started
        await _run_and_read(page, result, started, screenshot_dir)
        if wait_for_map:  # the map worker's UMAP fit of the demo (after its numba warm-up)
            await page.wait_for_function(_UMAP_MAP_DRAWN, timeout=2 * WAIT_MS)
            result.phases["UMAP map"] = time.perf_counter() - started
    except Exception as problem:
        result.error = f"{type(problem).__name__}: {' '.join(str(problem).split())[:400]}"
        if screenshot_dir is not None:  # what the person would have seen
            result.screenshot = screenshot_dir / f"concurrent_session_{result.index}_failed.png"
            try:
                screenshot_dir.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(result.screenshot), timeout=30_000)
            except Exception:
                result.screenshot = None
    finally:
        await context.close()
    return result


class _StartLine:
    """Opens once every session has arrived (set up, or failed while setting up)."""

    def __init__(self, sessions: int):
        self.waiting = sessions
        self.go = asyncio.Event()

    async def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0:
            self.go.set()


async def run_sessions_async(
    url: str, settings: list[SessionSettings], *, screenshot_dir: Path | None = None, wait_for_map: bool = False
) -> list[SessionResult]:
    """Open ``len(settings)`` browser sessions on the app at ``url`` at once; each runs the digits demo with
    its settings (all pressing *Run selection* together) and reads what it got; with ``wait_for_map`` each
    then waits until the demo's UMAP map is drawn."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            start_line = _StartLine(len(settings))
            return list(
                await asyncio.gather(
                    *(
                        _session(browser, url, index, one, start_line, screenshot_dir, wait_for_map)
                        for index, one in enumerate(settings)
                    )
                )
            )
        finally:
            await browser.close()


def run_sessions(
    url: str,
    settings: list[SessionSettings],
    *,
    screenshot_dir: Path | None = None,
    wait_for_map: bool = False,
    timeout: float | None = None,
) -> list[SessionResult]:
    """:func:`run_sessions_async` from synchronous code; ``timeout`` (seconds) bounds the whole of it."""
    return asyncio.run(
        asyncio.wait_for(
            run_sessions_async(url, settings, screenshot_dir=screenshot_dir, wait_for_map=wait_for_map), timeout
        )
    )


def warm_up(url: str, settings: SessionSettings, *, timeout: float | None = None) -> SessionResult:
    """One session alone runs the digits demo and waits for its UMAP map: afterwards the server holds what a
    server that has had a user holds (the demo, its vectors, the numba kernels, the UMAP map).

    On a fresh server, sessions that show the demo before its UMAP map is ready each poll for it once a
    second; with eight of them on two busy cores that polling stalled the server for minutes (see the
    report's note on ``--cold``).
    """
    result = run_sessions(url, [settings], wait_for_map=True, timeout=timeout)[0]
    if not result.finished or "UMAP map" not in result.phases:
        raise RuntimeError(f"the warm-up session did not finish: {result.error}")
    return result


# ------------------------------------------------------------------------------------------------ report


@dataclass
class Measurement:
    sessions: list[SessionResult]
    expected: list[list[int]]
    alone_first: SessionResult | None  # None with --cold
    alone_after: SessionResult
    server_start_seconds: float
    rss_before_mib: float
    rss_peak_mib: float
    rss_hwm_mib: float
    rss_samples: int
    server_cpu: float
    browser_cpu: float
    alone_server_cpu: float
    alone_browser_cpu: float
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]
    wall_seconds: float


def measure(n_sessions: int, *, log_path: Path, screenshot_dir: Path | None, cold: bool = False) -> Measurement:
    """Start a server, run one session alone (unless ``cold``), then ``n_sessions`` at once, then one alone again."""
    settings = session_settings(n_sessions)
    expected = [expected_rows(one) for one in settings]
    load_start = os.getloadavg()
    server, url, server_seconds = start_server(log_path)
    try:
        # the first session on a fresh server builds the demo, and waits for its UMAP map
        alone_first = None if cold else warm_up(url, settings[0])
        rss_before = tree_rss_mib(server.pid)
        started = time.perf_counter()
        with ProcessSampler(server.pid) as sampler:
            sessions = run_sessions(url, settings, screenshot_dir=screenshot_dir)
        wall = time.perf_counter() - started
        rss_hwm = peak_rss_mib(server.pid)
        with ProcessSampler(server.pid) as alone_sampler:
            alone_after = run_sessions(url, settings[:1])[0]
    finally:
        stop_server(server)
    return Measurement(
        sessions,
        expected,
        alone_first,
        alone_after,
        server_seconds,
        rss_before,
        sampler.peak_mib,
        rss_hwm,
        sampler.samples,
        sampler.server_cpu,
        sampler.browser_cpu,
        alone_sampler.server_cpu,
        alone_sampler.browser_cpu,
        load_start,
        os.getloadavg(),
        wall,
    )


def _seconds(value: float) -> str:
    return "—" if value != value else f"{value:.1f}"


def _row(label: str, result: SessionResult, expected: list[int]) -> str:
    problems = result.check(expected)
    one = result.settings
    return (
        f"| {label} | {one.seed} | {one.k} | {one.max_iter} | {_seconds(result.ready_seconds)} | "
        f"{_seconds(result.run_seconds)} | {_seconds(result.total_seconds)} | "
        f"{'yes' if result.finished else 'no'} | {result.picks_shown if result.picks_shown is not None else '—'} "
        f"/ {len(expected)} | {'passed' if not problems else 'FAILED: ' + '; '.join(problems)} |"
    )


def report(measurement: Measurement, command: str) -> str:
    m = measurement
    finished = sum(result.finished for result in m.sessions)
    isolated = sum(not result.check(expected) for result, expected in zip(m.sessions, m.expected))
    distinct = len({tuple(result.rows) for result in m.sessions if result.finished})
    load = lambda values: " / ".join(f"{value:.2f}" for value in values)  # noqa: E731
    lines = [
        f"Command: `{command}`",
        "",
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores; one `streamlit run app.py` "
        f"(healthy after {m.server_start_seconds:.1f} s), one headless Chromium, {len(m.sessions)} browser contexts. "
        f"Every session opens the app, chooses the digits demo ({DEMO_POOL_ROWS} pool rows, 150 target rows, "
        "64-d), sets its own seed, k and maximum picks; all press *Run selection* together once all are set up. "
        + (
            "**Cold**: the sessions are the first on the fresh server (nothing cached, the UMAP map not fitted)."
            if m.alone_first is None
            else f"Before them one session alone ran the demo on the fresh server and waited for its UMAP map "
            f"({m.alone_first.phases['UMAP map']:.1f} s after opening), as on a server that has had a user."
        ),
        "",
        f"- All finished: **{'yes' if finished == len(m.sessions) else 'no'}** ({finished} of {len(m.sessions)}), "
        f"in {m.wall_seconds:.1f} s of wall time for the whole group.",
        f"- Isolation (downloaded CSV rows, picks shown, manifest seed and parameters, inputs after the run, each "
        f"equal to its own settings run in-process with `gio_core`): **{isolated} of {len(m.sessions)} passed**; "
        f"{distinct} distinct selections among {finished} finished sessions.",
        f"- Server memory (Streamlit process and children, resident, sampled every {SAMPLE_SECONDS} s, "
        f"{m.rss_samples} samples): {m.rss_before_mib:.0f} MiB before the sessions, peak {m.rss_peak_mib:.0f} MiB "
        f"during them (kernel high-water mark of the server process: {m.rss_hwm_mib:.0f} MiB).",
        f"- CPU time used during the concurrent run: server {m.server_cpu:.0f} s, browser (Chromium and "
        f"Playwright's driver) {m.browser_cpu:.0f} s; one session alone after them: server {m.alone_server_cpu:.1f} s, "
        f"browser {m.alone_browser_cpu:.1f} s.",
        f"- Load average (1 / 5 / 15 min): {load(m.load_start)} at the start, {load(m.load_end)} at the end.",
        "",
        "Times in seconds. *Ready*: open the page, choose the demo, set the three numbers. *Run*: click on "
        "*Run selection* to the finished run with its downloads. *Total*: open to finished (includes the wait "
        "for the slowest session to be ready before all press Run together).",
        "",
        "| session | seed | k | max picks | ready | run | total | finished | picks shown / own | isolation |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    lines += [_row(str(result.index), result, expected) for result, expected in zip(m.sessions, m.expected)]
    if m.alone_first is not None:
        lines.append(_row("alone, first on the fresh server", m.alone_first, m.expected[0]))
    lines.append(_row("alone, after the concurrent ones", m.alone_after, m.expected[0]))
    lines += [
        "",
        "Phases of each concurrent session, in seconds from opening its page to the end of the phase "
        "(page open and idle, demo chosen, numbers set, every session ready, run finished):",
        "",
        "| session | open | demo | numbers | all ready | finished |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in m.sessions:
        phases = [result.phases.get(name, float("nan")) for name in ("open", "demo", "numbers", "all ready")]
        lines.append(
            f"| {result.index} | "
            + " | ".join(_seconds(value) for value in phases)
            + f" | {_seconds(result.total_seconds)} |"
        )
    retried = [f"- session {result.index}: " + "; ".join(result.retries) for result in m.sessions if result.retries]
    if retried:
        lines += ["", f"Done again (as a person would, after waiting {RETRY_MS / 1000:.0f} s):", *retried]
    errors = [f"- session {result.index}: {result.error}" for result in m.sessions if result.error]
    if errors:
        lines += ["", "Errors:", *errors]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8, help="browser sessions at once (default 8)")
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report to this file")
    parser.add_argument(
        "--screenshots",
        type=Path,
        default=ROOT / "screenshots",
        help="folder for a screenshot of each session at the end of its run",
    )
    parser.add_argument(
        "--cold", action="store_true", help="no session alone first: the sessions are the first on the fresh server"
    )
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error(f"--sessions must be at least 1; got {args.sessions}")
    log_path = ROOT / "benchmarks" / "out" / "app_sessions_server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    measurement = measure(args.sessions, log_path=log_path, screenshot_dir=args.screenshots, cold=args.cold)
    command = ".venv/bin/python benchmarks/app_sessions.py" + "".join(
        f" {arg}" for arg in (argv if argv is not None else sys.argv[1:])
    )
    text = report(measurement, command)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    everything_ok = all(
        not result.check(expected) for result, expected in zip(measurement.sessions, measurement.expected)
    )
    return 0 if everything_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
