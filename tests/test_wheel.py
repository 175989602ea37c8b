"""Installed like a package: build the wheel, install it into a fresh virtual environment outside the
checkout, start ``gio-studio app --server.port P`` there and load the page in Chromium.

The fresh environment reaches the checkout's already-installed dependencies (numpy, streamlit, faiss, …)
through one ``.pth`` line naming ``.venv``'s site-packages, so nothing is downloaded; ``.pth`` files inside
that folder are not run, so the checkout's editable install of gio-studio stays out. The wheel is installed
with ``--no-deps``, and the test checks that ``gio_core`` and the app are imported from the new environment.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from .app_server import CHROMIUM, CHROMIUM_ARGS, die_with_parent, free_port, healthy, stop_server

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
SERVER_START_SECONDS = 180
PAGE_MS = 120_000

pytestmark = pytest.mark.slow


# Not copied into the build: environments, caches and earlier builds (a stale build/lib would put files
# deleted from the checkout back into the wheel).
_NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "build",
    "dist",
    "*.egg-info",
    "screenshots",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "benchmarks",
    "tests",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the checkout (setuptools from this environment: no download)."""
    source = tmp_path_factory.mktemp("source") / "gio-studio"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(folder),
        ],
        check=True,
        cwd=folder,
        capture_output=True,
    )
    (built,) = folder.glob("gio_studio-*.whl")
    return built


@pytest.fixture(scope="module")
def environment(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment outside the checkout with the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    assert not str(venv).startswith(str(ROOT))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (lib,) = (venv / "lib").glob("python3*")
    (lib / "site-packages" / "checkout_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        cwd=venv,
        capture_output=True,
        env=_clean_environment(),
    )
    return venv / "bin"


def _clean_environment() -> dict:
    """This process's environment without anything that would put the checkout on sys.path."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONHOME")}


def test_the_wheel_carries_the_app_and_the_demo_data_under_package_names(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "gio_studio_app/app.py",
        "gio_studio_app/pages/select.py",
        "gio_studio_app/ui/run_view.py",
        "gio_studio_app/.streamlit/config.toml",
        "gio_core/assets/text/pool.parquet",
        "gio_core/assets/fashion_mnist/sample-images-idx3-ubyte.gz",
    ):
        assert expected in names, expected
    # every engine module of the checkout, sub-packages included (the pipeline's backends/)
    checkout = Path(__file__).resolve().parent.parent
    for module in sorted((checkout / "gio_core").rglob("*.py")):
        assert str(module.relative_to(checkout)) in names, module
    top_level = {name.split("/")[0] for name in names}
    assert top_level <= {
        "gio_core",
        "gio_studio_app",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }, top_level


def test_the_installed_package_imports_its_own_files_and_finds_its_data(environment, tmp_path):
    script = (
        "import gio_core, gio_core.cli.app as app_command, gio_core.pipeline.backends.inprocess; "
        "from gio_core.io._assets import assets_folder; "
        "from gio_core.io.demos import available_demos; "
        "print(gio_core.__file__); print(app_command.app_script()); print(assets_folder()); "
        "print(','.join(available_demos()))"
    )
    done = subprocess.run(
        [str(environment / "python"), "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_environment(),
        check=True,
    )
    package, app_script, assets, demos = done.stdout.split("\n")[:4]
    venv = str(environment.parent)
    assert package.startswith(venv) and app_script.startswith(venv) and assets.startswith(venv), done.stdout
    assert app_script.endswith("gio_studio_app/app.py")
    assert "text-spelling" in demos.split(",")  # the text demo's bundled files came with the wheel


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (make system-deps)")
def test_gio_studio_app_with_a_port_serves_the_app_from_the_installed_wheel(environment, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    log_path = tmp_path / "server.log"
    # run from a folder that is neither the checkout nor the venv: only the installed files can be found
    command = [str(environment / "gio-studio"), "app", "--server.port", str(port), "--server.address", "127.0.0.1"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
            env=_clean_environment(),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not healthy(url):
            assert server.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")[-3000:]
            try:
                server.wait(timeout=0.5)  # the pause between two health checks; returns early if it exits
            except subprocess.TimeoutExpired:
                pass
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(PAGE_MS)
                page.goto(url)
                page.get_by_role("heading", name="GIO Studio").wait_for(state="visible")
                page.get_by_test_id("stButton").filter(has_text="Run selection").first.wait_for(state="visible")
                page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(state="attached")
                assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id(
                    "stException"
                ).all_inner_texts()
                nav = page.get_by_test_id("stSidebarNav").inner_text()
                assert "Compare methods" in nav and "How GIO works" in nav
                SCREENSHOTS.mkdir(exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "installed_wheel_app.png"))
            finally:
                browser.close()
        # the streamlit process that `gio-studio app` started runs the wheel's app.py
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        commands = [Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0") for child in children]
        scripts = [part.decode() for command in commands for part in command if part.endswith(b"app.py")]
        site_packages = next((environment.parent / "lib").glob("python3*/site-packages"))
        assert scripts == [str(site_packages / "gio_studio_app" / "app.py")], commands
    finally:
        stop_server(server)
