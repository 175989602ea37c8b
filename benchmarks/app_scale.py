"""The app at a user's scale, in headless Chromium: a million-row ``.npy`` and a 300k-row Parquet by path, and a
~60 MB CSV upload.

Run:  PYTHONPATH=. .venv/bin/python benchmarks/app_scale.py [--cases npy parquet upload] [--folder DIR]
      [--rows 1000000] [--parquet-rows 300000] [--upload-mb 60] [--two-sessions] [--no-compare] [--cold]
      [--dim 384]

The script writes the files (a Gaussian mixture: 200 centres in 384-d, or ``--dim``, rows = centre + N(0, 1); the
target is 2,000 rows drawn from 20 of the centres, which also make 10% of the pool), starts the server as an operator
would (``gio-studio app --data-root DIR``), and drives one new browser session per case as a person would:

- **load**: choose *Upload files*, give both files (their paths, or the upload), until the row counts are shown;
  **first map**: until the pool is drawn on the map (PCA); **UMAP**: until the UMAP map replaces it;
- **run**: *Run selection* with the app's defaults until the downloads are offered; **rows**: rows selected;
- **download**: the CSV download, clicked until the file is saved (its rows are counted against the page's);
- **CLI**: the run's manifest downloaded and rerun with ``gio-studio select --manifest`` (the same settings);
- **rerun**: the Step slider moved back one step five times, each until the map's caption names the new step,
  the page is idle and the browser has drawn two frames: the median and the slowest;
- **page switch kept**: *How GIO works*, then *Select data*: the data, Maximum picks and the run are back (yes/no);
  Compare starts on the same data (yes/no);
- **Compare**: *Run comparison* with the page's defaults until the table is shown;
- **server peak RSS**: the server's process tree, sampled every 0.2 s during the case.

``--cold`` drops the case's files from the page cache first (``posix_fadvise(DONTNEED)`` on those files only), as
after a reboot or when other work has pushed them out: the read then comes from disk.

``--two-sessions`` (first case only) then opens a second session on the same files and runs it while the
first stays open: the server's peak against one session's. The load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from app_server import CHROMIUM, CHROMIUM_ARGS, free_port, healthy, stop_server  # noqa: E402

WAIT_MS = 900_000
RERUN_MOVES = 5  # Step-slider moves timed after a run (the median and the slowest are printed)
DIMENSIONS, CENTRES, TARGET_CENTRES, TARGET_ROWS = 384, 200, 20, 2_000
SUFFIX = ""  # "_768d" in the files' names with --dim 768, so that each width keeps its own files
_SELECTED = re.compile(r"([\d,]+) of ([\d,]+) \([^)]*\) rows selected")
_MAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => (chart._fullData || []).some(trace => trace.name === 'pool' && trace._length > 0))"""
_UMAP_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].some(
    chart => chart._fullLayout?.xaxis?.title?.text === 'UMAP 1'
             && (chart._fullData || []).some(trace => trace.name === 'pool' && trace._length > 0))"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# ------------------------------------------------------------------------------------------------ data


def mixture(rows: int, seed: int = 0, *, decimals: int | None = None):
    """Pool rows (float32), target rows, and which pool rows come from the target's centres, written in blocks."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(CENTRES, DIMENSIONS)).astype(np.float32)
    in_target = rng.random(rows) < 0.10
    labels = np.where(in_target, rng.integers(0, TARGET_CENTRES, rows), rng.integers(TARGET_CENTRES, CENTRES, rows))
    target = centres[rng.integers(0, TARGET_CENTRES, TARGET_ROWS)] + rng.normal(size=(TARGET_ROWS, DIMENSIONS))
    return centres, labels, target.astype(np.float32), rng


def _blocks(centres, labels, rng, block: int = 50_000):
    for start in range(0, len(labels), block):
        part = labels[start : start + block]
        yield (centres[part] + rng.normal(size=(len(part), DIMENSIONS)).astype(np.float32)).astype(np.float32)


def write_npy(folder: Path, rows: int) -> tuple[Path, Path]:
    pool, target = folder / f"pool_{rows}{SUFFIX}.npy", folder / f"target{SUFFIX}.npy"
    if not pool.exists():
        centres, labels, target_rows, rng = mixture(rows)
        out = np.lib.format.open_memmap(pool, mode="w+", dtype=np.float32, shape=(rows, DIMENSIONS))
        at = 0
        for part in _blocks(centres, labels, rng):
            out[at : at + len(part)] = part
            at += len(part)
        out.flush()
        del out
        np.save(target, target_rows)
    return pool, target


def write_parquet(folder: Path, rows: int) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pool, target = folder / f"pool_{rows}{SUFFIX}.parquet", folder / f"target{SUFFIX}.parquet"
    if not pool.exists():
        centres, labels, target_rows, rng = mixture(rows, seed=1)
        vector_type = pa.list_(pa.float32())

        def table(values: np.ndarray, first: int) -> pa.Table:
            flat = pa.array(values.reshape(-1), type=pa.float32())
            offsets = pa.array(np.arange(0, values.size + 1, DIMENSIONS, dtype=np.int32))
            return pa.table(
                {"id": np.arange(first, first + len(values)), "embedding": pa.ListArray.from_arrays(offsets, flat)}
            )

        schema = pa.schema([("id", pa.int64()), ("embedding", vector_type)])
        with pq.ParquetWriter(pool, schema) as writer:
            at = 0
            for part in _blocks(centres, labels, rng):
                writer.write_table(table(part, at).cast(schema))
                at += len(part)
        pq.write_table(table(target_rows, 0).cast(schema), target)
    return pool, target


def write_csv(folder: Path, megabytes: float) -> tuple[Path, Path]:
    """A CSV of about ``megabytes`` MB (values with 3 significant digits, ~5.7 characters each)."""
    rows = int(megabytes * 1e6 / (DIMENSIONS * 5.7))
    pool, target = folder / f"pool_{rows}{SUFFIX}.csv", folder / f"target_upload{SUFFIX}.csv"
    if not pool.exists():
        centres, labels, target_rows, rng = mixture(rows, seed=2)
        columns = [f"d{i}" for i in range(DIMENSIONS)]
        values = np.concatenate(list(_blocks(centres, labels, rng)))
        pd.DataFrame(values, columns=columns).to_csv(pool, index=False, float_format="%.3g")
        pd.DataFrame(target_rows[:500], columns=columns).to_csv(target, index=False, float_format="%.3g")
    return pool, target


# ------------------------------------------------------------------------------------------------ server


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as handle:
                queue += [int(child) for child in handle.read().split()]
        except OSError:
            pass
    return pids


def tree_memory_mib(pid: int) -> tuple[float, float]:
    """The server tree's memory from ``/proc/PID/status``, read once per process: ``VmRSS`` (all resident pages)
    and ``RssAnon`` (the process's own memory, without the pages of files it maps, such as a memory-mapped
    ``.npy``, which the kernel can drop and read again)."""
    totals = {"VmRSS": 0, "RssAnon": 0}
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/status") as handle:
                for line in handle:
                    field = line.split(":", 1)[0]
                    if field in totals:
                        totals[field] += int(line.split()[1])
        except OSError:
            pass
    return totals["VmRSS"] / 1024, totals["RssAnon"] / 1024


class PeakRss:
    """The server tree's RSS and anonymous RSS sampled every 0.2 s; ``reset()`` starts new peaks."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_anon, self._stop = pid, 0.0, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            rss, anon = tree_memory_mib(self.pid)
            self.peak, self.peak_anon = max(self.peak, rss), max(self.peak_anon, anon)

    def reset(self) -> None:
        self.peak, self.peak_anon = tree_memory_mib(self.pid)

    def close(self) -> None:
        self._stop.set()


def start_server(data_root: Path, log: Path, compare_memory_mb: int | None):
    port = free_port()
    command = [sys.executable, "-m", "gio_core.cli", "app", "--data-root", str(data_root)]
    if compare_memory_mb:
        command += ["--compare-memory-mb", str(compare_memory_mb)]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    command += ["--browser.gatherUsageStats", "false"]
    handle = open(log, "wb")
    server = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while not healthy(url):
        if time.time() > deadline or server.poll() is not None:
            raise RuntimeError(f"the server did not start; see {log}")
        time.sleep(0.5)
    return server, url


# ------------------------------------------------------------------------------------------------ browser


@dataclass
class Case:
    name: str
    figures: dict = field(default_factory=dict)
    page: Any = None
    manifest: Path | None = None


def _idle(page) -> None:
    page.locator(IDLE).wait_for(state="attached")


def _button(page, label: str, test_id: str = "stButton"):
    return page.get_by_test_id(test_id).filter(has=page.get_by_text(label, exact=True)).locator("button:visible").first


def _metric(page, label: str) -> str | None:
    box = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    if box.count() == 0:
        return None
    return box.first.get_by_test_id("stMetricValue").inner_text().strip()


def _nav(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    page.get_by_role("heading", name={"Select data": "GIO Studio"}.get(title, title)).first.wait_for(state="visible")
    _idle(page)


def _give_files(page, case: str, pool: Path, target: Path) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("radio", name="Upload files", exact=True).click()
    if case == "upload":
        inputs = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        inputs.first.wait_for(state="attached")
        inputs.nth(0).set_input_files(str(pool))
        page.get_by_text(pool.name).first.wait_for(state="visible")
        inputs.nth(1).set_input_files(str(target))
    else:
        boxes = page.get_by_role("textbox", name="…or its path on the server (for big files)")
        boxes.first.wait_for(state="visible")
        boxes.nth(0).fill(pool.name)
        boxes.nth(0).press("Enter")
        _idle(page)
        boxes.nth(1).fill(target.name)
        boxes.nth(1).press("Enter")


def drop_from_page_cache(*paths: Path) -> None:
    """Ask the kernel to drop these files' pages from its cache (the next read comes from disk)."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def drive(
    browser, url: str, case: str, pool: Path, target: Path, rss: PeakRss, out: Path, compare: bool, cold: bool = False
) -> Case:
    result = Case(case)
    figures = result.figures
    rss.reset()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(url)
    _button(page, "Run selection").wait_for(state="visible")
    _idle(page)
    if cold:
        drop_from_page_cache(pool, target)
    started = time.perf_counter()
    _give_files(page, case, pool, target)
    page.get_by_test_id("stMetric").filter(has=page.get_by_text("Pool rows", exact=True)).wait_for(state="visible")
    figures["load s"] = time.perf_counter() - started
    page.wait_for_function(_MAP_DRAWN, timeout=WAIT_MS)
    figures["first map s"] = time.perf_counter() - started
    page.wait_for_function(_UMAP_DRAWN, timeout=WAIT_MS)
    figures["UMAP s"] = time.perf_counter() - started
    _idle(page)
    figures["pool rows"] = _metric(page, "Pool rows")

    clicked = time.perf_counter()
    _button(page, "Run selection").click()
    csv_button = _button(page, "Download selected rows (CSV)", "stDownloadButton")
    csv_button.wait_for(state="visible", timeout=WAIT_MS)
    _idle(page)
    figures["run s"] = time.perf_counter() - clicked
    selected = _SELECTED.search(page.inner_text("body"))
    figures["rows"] = int(selected.group(1).replace(",", "")) if selected else None
    shown = re.search(r"rows selected in ([\d.]+) s", page.inner_text("body"))
    figures["run s (page says)"] = float(shown.group(1)) if shown else None
    page.screenshot(path=str(out / f"app_scale_{case}_run.png"))

    clicked = time.perf_counter()
    with page.expect_download(timeout=WAIT_MS) as download:
        csv_button.click()
    saved = out / f"{case}_selection.csv"
    download.value.save_as(saved)
    figures["download s"] = time.perf_counter() - clicked
    with open(saved, "rb") as handle:
        figures["download rows ok"] = sum(1 for _ in handle) - 1 == figures["rows"]
    with page.expect_download(timeout=WAIT_MS) as download:
        _button(page, "Download run manifest (JSON)", "stDownloadButton").click()
    manifest = out / f"{case}.manifest.json"
    download.value.save_as(manifest)
    _idle(page)

    figures["rerun s"], figures["rerun s (slowest)"] = rerun_times(page)
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    page.screenshot(path=str(out / f"app_scale_{case}_replay.png"))

    picks = page.get_by_test_id("stSidebar").get_by_label("Maximum picks", exact=True).input_value()
    _nav(page, "How GIO works")
    _nav(page, "Select data")
    csv_back = _button(page, "Download selected rows (CSV)", "stDownloadButton")
    try:
        csv_back.wait_for(state="visible", timeout=60_000)
        run_kept = True
    except Exception:  # the figure is yes or no
        run_kept = False
    same_picks = page.get_by_test_id("stSidebar").get_by_label("Maximum picks", exact=True).input_value() == picks
    figures["page switch kept"] = (
        "yes" if run_kept and same_picks and _metric(page, "Pool rows") == figures["pool rows"] else "no"
    )
    _nav(page, "Compare methods")
    page.get_by_test_id("stMetric").filter(has=page.get_by_text("Pool rows", exact=True)).wait_for(
        state="visible", timeout=120_000
    )
    figures["Compare on Select's data"] = "yes" if _metric(page, "Pool rows") == figures["pool rows"] else "no"
    if compare:
        clicked = time.perf_counter()
        _button(page, "Run comparison").click()
        page.get_by_text("Download the picks (CSV)").wait_for(state="visible", timeout=WAIT_MS)
        _idle(page)
        figures["Compare s"] = time.perf_counter() - clicked
        page.screenshot(path=str(out / f"app_scale_{case}_compare.png"), full_page=True)
    figures["server peak RSS MiB"] = rss.peak
    figures["server peak RSS without mapped files MiB"] = rss.peak_anon
    figures["load avg"] = load()
    result.page, result.manifest = page, manifest
    return result


def rerun_times(page, moves: int = RERUN_MOVES) -> tuple[float, float]:
    """The Step slider moved back one step ``moves`` times: the median and the slowest time from the key press
    until the map's caption names the new step, the script run has ended and the browser has drawn two frames
    (each move redraws the map, the curve and the picks table)."""
    caption = re.search(r"Step (\d+) of (\d+)", page.inner_text("body"))
    assert caption is not None, "a finished run's map has a caption"
    step, steps = int(caption.group(1)), int(caption.group(2))
    slider = page.get_by_test_id("stSlider").get_by_role("slider").first
    times = []
    for _ in range(min(moves, step - 1)):
        clicked = time.perf_counter()
        slider.focus()
        slider.press("ArrowLeft")
        step -= 1
        page.get_by_text(f"Step {step} of {steps}:").first.wait_for(state="attached")
        _idle(page)
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        times.append(time.perf_counter() - clicked)
    return float(np.median(times)), max(times)


def cli_rerun(manifest: Path | None, pool: Path, target: Path, out: Path) -> float:
    assert manifest is not None, "the run's manifest was downloaded"
    command = [sys.executable, "-m", "gio_core.cli", "select", "--manifest", str(manifest)]
    command += ["--pool", str(pool), "--target", str(target), "--out", str(out / "cli_rerun.csv"), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(f"  CLI rerun failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    global DIMENSIONS, SUFFIX
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases", nargs="+", default=["npy", "parquet", "upload"], choices=["npy", "parquet", "upload"]
    )
    parser.add_argument("--folder", type=Path, default=None, help="where the files are written (kept between runs)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parquet-rows", type=int, default=300_000)
    parser.add_argument("--upload-mb", type=float, default=60.0)
    parser.add_argument("--two-sessions", action="store_true")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--compare-memory-mb", type=int, default=None)
    parser.add_argument("--cold", action="store_true", help="read each case's files from disk, not the page cache")
    parser.add_argument("--dim", type=int, default=DIMENSIONS, help="the vectors' width (default 384)")
    args = parser.parse_args(argv)
    if args.dim != DIMENSIONS:
        DIMENSIONS, SUFFIX = args.dim, f"_{args.dim}d"
    from playwright.sync_api import sync_playwright

    folder = args.folder or Path(tempfile.gettempdir()) / "gio_app_scale"
    folder.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="gio_app_scale_out_"))
    print(f"# benchmarks/app_scale.py {' '.join(argv if argv is not None else sys.argv[1:])}  ({load()})")
    files = {}
    for case in args.cases:
        started = time.perf_counter()
        if case == "npy":
            files[case] = write_npy(folder, args.rows)
        elif case == "parquet":
            files[case] = write_parquet(folder, args.parquet_rows)
        else:
            files[case] = write_csv(folder, args.upload_mb)
        size = files[case][0].stat().st_size / 1e6
        print(f"  {case}: {files[case][0].name} ({size:,.0f} MB) ready in {time.perf_counter() - started:.0f} s")
    server, url = start_server(folder, out / "server.log", args.compare_memory_mb)
    rss = PeakRss(server.pid)
    results = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            for case in args.cases:
                pool, target = files[case]
                result = drive(browser, url, case, pool, target, rss, out, compare=not args.no_compare, cold=args.cold)
                result.figures["CLI same settings s"] = cli_rerun(result.manifest, pool, target, out)
                results.append(result)
                print(f"  {case}: " + ", ".join(f"{key} {_show(value)}" for key, value in result.figures.items()))
                if args.two_sessions and case == args.cases[0]:
                    one = result.figures["server peak RSS MiB"]
                    second = drive(browser, url, case, pool, target, rss, out, compare=False)
                    two = second.figures["server peak RSS MiB"]
                    print(
                        f"  two sessions on {pool.name}: server peak {two:,.0f} MiB with both open vs {one:,.0f} "
                        f"MiB for one ({two / one:.2f}x; {load()})"
                    )
                    second.page.context.close()
                result.page.context.close()
            browser.close()
    finally:
        rss.close()
        stop_server(server)
    print()
    keys = list(results[0].figures) if results else []
    print("| figure | " + " | ".join(result.name for result in results) + " |")
    print("|---|" + "---|" * len(results))
    for key in keys:
        print(f"| {key} | " + " | ".join(_show(result.figures.get(key)) for result in results) + " |")
    print(f"\nscreenshots and downloads in {out}")
    return 0


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


if __name__ == "__main__":
    raise SystemExit(main())
