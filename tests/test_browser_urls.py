"""A visitor whose first page is not the front page (a bookmark, a shared link to ``/how_it_works``) gets that
page with the app's own menu, on a fresh server, in headless Chromium (``ui/navigation.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .app_server import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING, start_app, stop_server, wait_until_idle

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING),
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install -e '.[dev]')"
)

MENU = ["Select data", "Compare methods", "How GIO works"]


@pytest.fixture(scope="module")
def fresh_url(tmp_path_factory):
    """A server no one has visited yet: the first visit decides how Streamlit routes pages."""
    try:
        server, url = start_app(tmp_path_factory.mktemp("fresh"))
    except RuntimeError as problem:
        pytest.fail(str(problem))
    try:
        yield url
    finally:
        stop_server(server)


def test_a_first_visit_on_a_page_address_shows_that_page_with_the_apps_menu(fresh_url):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)
            for address, title, _current in (
                ("how_it_works", "How GIO works", "How GIO works"),
                ("compare", "Compare methods", "Compare methods"),
            ):
                page.goto(f"{fresh_url}/{address}")
                page.get_by_role("heading", name=title, exact=True).wait_for()
                wait_until_idle(page)
                menu = page.get_by_test_id("stSidebarNav")
                menu.get_by_text(MENU[0], exact=True).wait_for()  # the legacy menu said "app", "compare", …
                links = [text.strip() for text in menu.get_by_test_id("stSidebarNavLink").all_inner_texts()]
                assert [next(name for name in MENU if name in link) for link in links] == MENU, links
                assert not any(name in links for name in ("app", "select", "how it works"))
                assert page.title() == "GIO Studio"
                SCREENSHOTS.mkdir(exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"first_visit_{address}.png"))
            assert page.get_by_text("Run comparison").count() >= 1  # the page's own widgets are drawn
        finally:
            browser.close()
