"""Fifty browser sessions each open the app, choose *Upload files* at once, and must show the default parameters.

In 2 of 31 sessions the sidebar once showed k = 1, maximum picks 1, learning rate 0.0000, descent steps 0
and a budget share of 0.001: every control at its minimum. The parameter widgets were drawn without a
default while their values were written through ``st.session_state``, so each widget's own default, the
one the browser falls back to whenever it mounts the widget afresh, was its minimum (tests/test_app.py
checks that no widget is drawn so any more). A browser mounts them afresh when the sidebar changes shape
under them (choosing *Upload files* drops the demo box above them) and after a page switch, and a fast
second rerun can replace the run that set their values before its messages arrive. This drives those
steps in real sessions, with the click made as soon as the control is on screen, not when the page is idle.
"""

from __future__ import annotations

import pytest

from gio_core.io.demos import available_demos, load_demo
from ui.defaults import default_params

from .app_server import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, start_app, stop_server, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING)]
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")

SESSIONS = 50
PAGE_MS = 120_000
# what a new session shows: the defaults with the opening demo's suggestions (they stay until other data is read)
EXPECTED = {**default_params(), **load_demo(available_demos()[0]).params}
CONTROLS = {
    "k (neighbours)": lambda value: int(value) == EXPECTED["k"],
    "Maximum picks": lambda value: int(value) == EXPECTED["max_iter"],
    "Learning rate": lambda value: abs(float(value) - EXPECTED["lr"]) < 1e-9,
    "Descent steps": lambda value: int(value) == EXPECTED["grad_desc_iter"],
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    try:
        server, url = start_app(tmp_path_factory.mktemp("streamlit"))
    except RuntimeError as problem:
        pytest.fail(str(problem))
    try:
        yield url
    finally:
        stop_server(server)


def _settled(page) -> None:
    """Wait until the run is over and the sidebar holds one copy of each control (a page switch leaves the old
    page's elements on screen until the new run replaces them)."""
    wait_until_idle(page)
    page.wait_for_function(
        """labels => labels.every(label =>
            document.querySelectorAll(`[data-testid="stSidebar"] input[aria-label="${label}"]`).length === 1)""",
        arg=list(CONTROLS),
    )
    wait_until_idle(page)


def _shown(page) -> dict[str, str]:
    sidebar = page.get_by_test_id("stSidebar")
    return {label: sidebar.get_by_label(label, exact=True).input_value() for label in CONTROLS}


def test_fifty_sessions_all_start_from_the_default_parameters(app_url):
    wrong = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for session in range(SESSIONS):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.set_default_timeout(PAGE_MS)
                page = context.new_page()
                page.goto(app_url)
                sidebar = page.get_by_test_id("stSidebar")
                sidebar.get_by_role("radio", name="Upload files", exact=True).click()  # not waiting for idle
                _settled(page)
                checked = {"after Upload files": _shown(page)}
                if session % 10 == 0:  # and after a page switch there and back
                    page.get_by_test_id("stSidebarNav").get_by_text("How GIO works").click()
                    page.get_by_role("heading", name="How GIO works").first.wait_for(state="visible")
                    page.get_by_test_id("stSidebarNav").get_by_text("Select data").click()
                    _settled(page)
                    checked["after a page switch"] = _shown(page)
                for when, values in checked.items():
                    odd = {label: value for label, value in values.items() if not CONTROLS[label](value)}
                    if odd:
                        wrong.append((session, when, odd))
                context.close()
        finally:
            browser.close()
    assert not wrong, f"{len(wrong)} of {SESSIONS} sessions showed other values than the defaults: {wrong[:5]}"
