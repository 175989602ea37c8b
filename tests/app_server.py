"""Starting the app as a person would (``streamlit run app.py``), shared by the browser tests and
``benchmarks/app_latency.py``: a free port, a health check, and a server that dies with its parent; and
two steps of driving it in a browser that every browser test needs (waiting for a script run to end,
clicking until the click takes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Debian's Chromium, which every browser test and benchmark drives headless with these flags.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_MISSING = f"{CHROMIUM} is missing: install Debian's chromium (`make system-deps`) to run the browser tests"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def die_with_parent() -> None:
    """In the server's process (Linux): end it when the process that started it ends, even if that one
    is killed before its clean-up runs (a CI timeout), so no server is left holding a port."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def healthy(url: str) -> bool:
    """Whether Streamlit's health endpoint at ``url`` answers."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def stop_server(server: subprocess.Popen) -> None:
    """End a server started in its own process group (and any child), by that group's id."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)


IDLE_APP = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_until_idle(page) -> None:
    """Wait until the session's script run has ended (Streamlit marks its root with the run state)."""
    page.locator(IDLE_APP).wait_for(state="attached")


def _until(page, act, outcome, tries: int, wait_ms: int) -> None:
    """Do ``act`` until ``outcome`` is visible (at most ``tries`` times), then wait until the session is idle.

    On a loaded machine a rerun started by something else (the background UMAP fit finishing) can redraw
    a widget under a click, which is then lost; a person would do it again, and so does this.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries):
        wait_until_idle(page)
        try:
            act()
            outcome.wait_for(state="visible", timeout=wait_ms)
            break
        except PlaywrightTimeout:
            continue
    outcome.wait_for(state="visible")
    wait_until_idle(page)


def choose_until(page, box, option: str, outcome, tries: int = 3, wait_ms: int = 30_000) -> None:
    """Choose ``option`` in the select box ``box`` until ``outcome`` is visible, then wait until idle.

    A redrawn box closes its list, so the option is never there to click: the box is opened again.
    ``outcome`` must be something only the rerun the choice starts draws.
    """

    def choose() -> None:
        if option not in box.inner_text():
            box.click()
            page.get_by_role("option", name=option).click(timeout=wait_ms)

    _until(page, choose, outcome, tries, wait_ms)


def click_until(page, target, outcome, tries: int = 3, wait_ms: int = 30_000) -> None:
    """Click ``target`` until ``outcome`` is visible, then wait until the session is idle. Only for clicks
    that are harmless to repeat (choosing an option)."""
    _until(page, target.click, outcome, tries, wait_ms)


def start_app(log_folder: Path, *, environment: dict | None = None, start_seconds: float = 180):
    """``streamlit run app.py`` on a free localhost port, healthy: ``(server, url)``; stop it with
    :func:`stop_server`. Raises RuntimeError with the end of the server's log when it does not answer."""
    port = free_port()
    log_path = Path(log_folder) / "server.log"
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
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_seconds
    while not healthy(url):
        if server.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(
                f"streamlit did not answer {url} (exit code {server.returncode}):\n"
                f"{log_path.read_text(errors='replace')[-3000:]}"
            )
        try:
            server.wait(timeout=0.5)  # the pause between two health checks; returns early if it exits
        except subprocess.TimeoutExpired:
            pass
    return server, url
