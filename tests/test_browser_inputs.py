"""The app's inputs in a real browser (headless Chromium, Playwright, ``streamlit run app.py``): reading
by path is off without a data root and confined to it with one, and an upload over the limit is a clear
message, not a broken page.

Two servers are started for the module, both with a 1 MB upload limit set as ``gio-studio app
--max-upload-mb 1`` sets it (``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``): one as ``make run`` starts the app
(no data root), one with ``GIO_STUDIO_DATA_ROOT`` as ``gio-studio app --data-root`` passes it. Every
state is saved under ``screenshots/`` so a person can look at it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .app_server import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, click_until, start_app, stop_server, wait_until_idle

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
PAGE_MS = 120_000
LIMIT_MB = 1


def _start_server(log_folder: Path, *, data_root: Path | None):
    """``streamlit run app.py`` on a free port with a 1 MB upload limit (and the data root, if any)."""
    environment = {key: value for key, value in os.environ.items() if key != "GIO_STUDIO_DATA_ROOT"}
    environment["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] = str(LIMIT_MB)  # what gio-studio app --max-upload-mb 1 sets
    if data_root is not None:
        environment["GIO_STUDIO_DATA_ROOT"] = str(data_root)  # what gio-studio app --data-root sets
    try:
        return start_app(log_folder, environment=environment, start_seconds=SERVER_START_SECONDS)
    except RuntimeError as problem:
        pytest.fail(str(problem))


@pytest.fixture(scope="module")
def data_folders(tmp_path_factory):
    """A data root holding a pool and a target, a folder beside it, and a symlink from the root out."""
    base = tmp_path_factory.mktemp("inputs")
    root, outside = base / "data_root", base / "outside"
    root.mkdir()
    outside.mkdir()
    rng = np.random.default_rng(5)
    pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"]).to_csv(root / "pool.csv", index=False)
    pd.DataFrame(rng.normal(0.5, 1, size=(40, 3)), columns=["a", "b", "c"]).to_csv(root / "target.csv", index=False)
    pd.DataFrame({"secret": [1, 2]}).to_csv(outside / "secret.csv", index=False)
    (root / "escape.csv").symlink_to(outside / "secret.csv")
    # a CSV just over the limit (the browser compares sizes in bytes: 1 MB = 1024 * 1024)
    row = "0.1234567,0.7654321,0.5555555\n"
    (base / "too_big.csv").write_text("a,b,c\n" + row * (LIMIT_MB * 1024 * 1024 // len(row) + 1000))
    return root, outside, base / "too_big.csv"


@pytest.fixture(scope="module")
def plain_url(tmp_path_factory):
    """The app as ``make run`` starts it: no data root."""
    server, url = _start_server(tmp_path_factory.mktemp("plain"), data_root=None)
    try:
        yield url
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def root_url(tmp_path_factory, data_folders):
    server, url = _start_server(tmp_path_factory.mktemp("rooted"), data_root=data_folders[0])
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


# ---------------------------------------------------------------------------------------------- helpers


def _uploads_page(browser, url: str):
    """A fresh session on the app with "Upload files" chosen and its uploaders drawn."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(PAGE_MS)
    page = context.new_page()
    page.goto(url)
    upload_files = page.get_by_test_id("stSidebar").get_by_role("radio", name="Upload files", exact=True)
    upload_files.wait_for()
    click_until(page, upload_files, page.get_by_test_id("stFileUploader").filter(has_text="Pool file"))
    return page


def _data_panel(page):
    return page.get_by_test_id("stExpander").first


def _screenshot(page, name: str) -> Path:
    """The data panel (where the inputs are) as a person sees it."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    path = SCREENSHOTS / f"{name}.png"
    panel = _data_panel(page)
    height = panel.evaluate("element => element.getBoundingClientRect().bottom + window.scrollY")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height) + 40)})
    panel.screenshot(path=str(path))  # whole, not under the page's sticky header
    page.set_viewport_size(VIEWPORT)
    return path


def _path_box(page, role: str):
    """The path box of the pool or the target (the pool's column comes first)."""
    boxes = _data_panel(page).get_by_test_id("stTextInput").filter(has_text="its path on the server")
    return boxes.nth(("pool", "target").index(role)).locator("input")


def _caption(page):
    """Our line under each uploader (Streamlit's own uploader says "Limit 1MB per file")."""
    return _data_panel(page).get_by_test_id("stCaptionContainer").filter(has_text=f"Up to {LIMIT_MB} MB per file")


def _errors(page) -> list[str]:
    return page.get_by_test_id("stAlertContentError").all_inner_texts()


def _type_path(page, box, text: str) -> None:
    """Type a path and press Enter, as a person would; the caller waits for what it should bring."""
    box.fill(text)
    box.press("Enter")


# ------------------------------------------------------------------------------------------------ tests


def test_without_a_data_root_there_is_no_path_box_and_a_line_says_how_to_enable_it(browser, plain_url):
    page = _uploads_page(browser, plain_url)
    try:
        panel = _data_panel(page)
        assert panel.get_by_test_id("stTextInput").count() == 0
        caption = _caption(page)
        assert caption.count() == 2  # under each uploader
        assert "gio-studio app --data-root DIR" in caption.first.inner_text()
        assert page.get_by_test_id("stException").count() == 0 and _errors(page) == []
        _screenshot(page, "inputs_path_box_off")
    finally:
        page.context.close()


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(browser, plain_url, data_folders):
    too_big = data_folders[2]
    page = _uploads_page(browser, plain_url)
    try:
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Pool file")
        uploader.locator("input[type=file]").set_input_files(too_big)
        # Streamlit's own message, under the file's name in the uploader (the file is not sent). Streamlit
        # keeps it in a hover tooltip and a 1-pixel screen-reader span; the app's style draws that span.
        message = uploader.get_by_text(f"File must be {LIMIT_MB:.1f}MB or smaller.")
        message.wait_for(state="visible")
        box = message.bounding_box()
        assert box["width"] > 100 and box["height"] > 8, box  # readable, not a 1-pixel screen-reader span
        assert uploader.get_by_text("too_big.csv").is_visible()
        # our line under it: the limit and what to do with bigger files
        caption = _caption(page).first
        assert caption.is_visible() and "data root" in caption.inner_text()
        wait_until_idle(page)
        assert page.get_by_test_id("stException").count() == 0 and _errors(page) == []
        assert page.get_by_test_id("stMetric").filter(has_text="Pool rows").count() == 0  # nothing was read
        _screenshot(page, "inputs_upload_over_limit")
    finally:
        page.context.close()


def test_with_a_data_root_the_path_box_reads_inside_it_and_refuses_outside(browser, root_url, data_folders):
    root, outside, _ = data_folders
    page = _uploads_page(browser, root_url)
    try:
        pool_box, target_box = _path_box(page, "pool"), _path_box(page, "target")
        assert pool_box.is_visible() and target_box.is_visible()
        assert f"inside {root}" in _caption(page).first.inner_text()
        _screenshot(page, "inputs_path_box_on")

        for typed, expected in (
            (str(outside / "secret.csv"), f"is outside the data root {root}"),
            ("../outside/secret.csv", "goes up a folder ('..')"),
            ("escape.csv", f"leads outside the data root {root}"),
        ):
            _type_path(page, pool_box, typed)
            page.get_by_test_id("stAlertContentError").filter(has_text=expected).wait_for(state="visible")
            wait_until_idle(page)
            assert page.get_by_test_id("stException").count() == 0
            assert "secret" not in " ".join(page.get_by_test_id("stDataFrame").all_inner_texts())
            if typed == "escape.csv":
                _screenshot(page, "inputs_path_box_refusing")

        _type_path(page, pool_box, "pool.csv")
        page.get_by_text("pool.csv · csv").wait_for(state="visible")  # the pool's file card
        _type_path(page, target_box, str(root / "target.csv"))
        page.get_by_test_id("stMetric").filter(has_text="Pool rows").get_by_text("300", exact=True).wait_for()
        wait_until_idle(page)
        assert _errors(page) == [] and page.get_by_test_id("stException").count() == 0
        _screenshot(page, "inputs_path_box_read")
    finally:
        page.context.close()
