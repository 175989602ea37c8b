"""Many users at once: eight browser sessions run the digits demo on one ``streamlit run app.py`` together.

The sessions, their settings and the checks are those of ``benchmarks/app_sessions.py`` (which also
reports times and memory). Each session sets its own seed, k and maximum picks, all press *Run selection*
at the same moment, and each must then show and download its own selection: the one its settings give
when run in this process with ``gio_core``. The settings are chosen so that no two selections are alike,
so a session showing another's parameters, data or run would fail.

What the sessions of one data set share (``st.cache_resource``) must bear being used by their script
threads at once: the hover texts of the map's rows did not (their memo raised ``KeyError`` or
``RuntimeError``), and are now called one at a time.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .app_server import CHROMIUM, CHROMIUM_MISSING

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = 8
# Generous: on a busy 2-core machine eight sessions took 90-240 s (benchmarks/results/app_sessions.md)
WHOLE_RUN_SECONDS = 600

_needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING)


@pytest.fixture(scope="module")
def app_sessions():
    spec = importlib.util.spec_from_file_location("app_sessions_benchmark", ROOT / "benchmarks" / "app_sessions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def app_url(app_sessions, tmp_path_factory):
    """``streamlit run app.py`` on a free localhost port, after one session alone ran the digits demo and got
    its UMAP map (as on a server that has had a user); stopped after the module.

    On a fresh server, eight sessions showing the demo while its UMAP map is still being fitted each poll
    for it once a second, and every poll ends with Streamlit's full garbage collection (``runner.postScriptGC``):
    on two busy cores that stalled the server for minutes (5 of 14 cold runs had a session stuck for over
    three minutes; none of 5 with ``--runner.postScriptGC false``). ``benchmarks/app_sessions.py --cold``
    shows it.
    """
    pytest.importorskip("playwright.async_api", reason="the playwright package is missing (pip install -e '.[dev]')")
    server, url, _ = app_sessions.start_server(tmp_path_factory.mktemp("streamlit") / "server.log")
    try:
        app_sessions.warm_up(url, app_sessions.session_settings(1)[0], timeout=WHOLE_RUN_SECONDS)
        yield url
    finally:
        app_sessions.stop_server(server)


def test_the_check_tells_a_session_showing_another_sessions_run_from_one_showing_its_own(app_sessions):
    first, second = app_sessions.session_settings(2)
    own = app_sessions.expected_rows(first)
    others = app_sessions.expected_rows(second)
    assert own != others

    inputs = {
        app_sessions.K_LABEL: str(first.k),
        app_sessions.MAX_PICKS_LABEL: str(first.max_iter),
        app_sessions.SEED_LABEL: str(first.seed),
    }
    honest = app_sessions.SessionResult(
        index=0,
        settings=first,
        finished=True,
        picks_shown=len(own),
        rows=own,
        manifest_seed=first.seed,
        manifest_params=first.gio_params(),
        inputs_after_run=inputs,
    )
    assert honest.check(own) == []

    leaked = app_sessions.SessionResult(
        index=0,
        settings=first,
        finished=True,
        picks_shown=len(others),
        rows=others,
        manifest_seed=second.seed,
        manifest_params=second.gio_params(),
        inputs_after_run=inputs,
    )
    problems = " ".join(leaked.check(own))
    assert "CSV rows" in problems and "picks" in problems and "manifest seed" in problems, problems
    assert app_sessions.SessionResult(index=0, settings=first, error="TimeoutError").check(own) == [
        "did not finish: TimeoutError"
    ]


@pytest.mark.browser
@pytest.mark.slow
@_needs_chromium
def test_eight_sessions_at_once_all_finish_and_each_shows_its_own_selection(app_sessions, app_url):
    settings = app_sessions.session_settings(SESSIONS)
    expected = [app_sessions.expected_rows(one) for one in settings]
    assert len({tuple(rows) for rows in expected}) == SESSIONS  # the settings tell every session apart

    results = app_sessions.run_sessions(
        app_url, settings, screenshot_dir=ROOT / "screenshots", timeout=WHOLE_RUN_SECONDS
    )

    assert [result.error for result in results if not result.finished] == []
    problems = {result.index: result.check(own) for result, own in zip(results, expected)}
    assert {index: found for index, found in problems.items() if found} == {}
    assert len({tuple(result.rows) for result in results}) == SESSIONS
    assert all(result.screenshot.is_file() for result in results)


# ------------------------------------------------------------------- what sessions share, used at once


def test_shared_hover_text_is_called_by_one_session_at_a_time(monkeypatch):
    """While one session's thread is inside the shared hover text, another's waits for it."""
    import ui.rows
    from ui.rows import HoverText

    inside, second_entered, leave = threading.Event(), threading.Event(), threading.Event()

    def describe(frame, rows, **fields):
        if inside.is_set():
            second_entered.set()
            return np.asarray(["second"] * len(rows), dtype=object)
        inside.set()
        leave.wait(timeout=30)
        return np.asarray(["first"] * len(rows), dtype=object)

    monkeypatch.setattr(ui.rows, "_hover", describe)
    shared = HoverText(pd.DataFrame({"id": range(5)}), np.arange(5), id_column="id")
    first = threading.Thread(target=shared, args=(np.arange(2),))
    first.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=shared, args=(np.arange(3),))
    second.start()
    entered_meanwhile = second_entered.wait(timeout=0.5)  # without the lock it enters at once
    leave.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not entered_meanwhile
    assert second_entered.is_set()  # and it ran once the first one was done


def test_eight_threads_share_one_hover_text_without_errors():
    """The real cached hover text, asked for different rows by eight threads switching as often as Python can
    (without the lock about half the runs raised KeyError or "dictionary changed size during iteration")."""
    from ui.rows import HoverText

    frame = pd.DataFrame({"id": [f"p{i}" for i in range(200)], "label": np.arange(200) % 10})
    hover = HoverText(frame, np.arange(200), id_column="id", label_column="label", text_column=None, images=False)
    problems: list[str] = []

    def session(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(3000):
            rows = rng.choice(200, size=int(rng.integers(1, 4)), replace=False)
            try:
                texts = hover(rows)
            except Exception as problem:
                problems.append(f"{type(problem).__name__}: {problem}")
                continue
            if list(texts) != [f"<b>p{row} · label: {row % 10}</b>" for row in rows]:
                problems.append(f"rows {rows.tolist()} got {list(texts)}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=session, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert problems == [], problems[:5]
