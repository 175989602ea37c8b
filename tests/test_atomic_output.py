"""Outputs appear complete or not at all: a failed, interrupted or signalled run leaves the user's earlier
file untouched and no partial file behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gio_core.io import export
from gio_core.io.atomic import write_atomically
from gio_core.io.export import write_selection_rows
from gio_core.io.manifest import write_manifest
from gio_core.io.read import read_data

EARLIER = b"the user's earlier file\n"


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".partial-" in path.name)


@pytest.fixture
def pool(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "pool.npy"
    np.save(path, rng.normal(size=(3000, 16)).astype(np.float32))
    return read_data(path)


@pytest.mark.parametrize(
    "name", ["sel.csv", "sel.csv.gz", "sel.tsv", "sel.parquet"], ids=["csv", "csv.gz", "tsv", "parquet"]
)
def test_interrupted_export_keeps_the_earlier_file(tmp_path, pool, monkeypatch, name):
    monkeypatch.setattr(export, "EXPORT_THREADS", 2)
    out = tmp_path / name
    out.write_bytes(EARLIER)
    batches = []

    def progress(stage, done, total):
        batches.append(done)
        assert any(".partial-" in path.name for path in tmp_path.iterdir())  # written beside out, not at out
        if len(batches) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_selection_rows(pool, np.arange(3000), out, chunk_rows=500, progress=progress)
    assert out.read_bytes() == EARLIER
    assert _leftovers(tmp_path) == []


def test_completed_export_replaces_the_earlier_file(tmp_path, pool):
    out = tmp_path / "sel.csv"
    out.write_bytes(EARLIER)
    assert write_selection_rows(pool, [5, 1], out) == 2
    assert read_data(out).frame["gio_row"].tolist() == [5, 1]
    assert _leftovers(tmp_path) == []


def test_failed_folder_write_keeps_the_earlier_folder(tmp_path):
    out = tmp_path / "sel.parquet"  # a Spark part folder
    out.mkdir()
    (out / "part-0.parquet").write_bytes(EARLIER)

    def write(path):
        Path(path).mkdir()
        (Path(path) / "part-0.parquet").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(out, write)
    assert (out / "part-0.parquet").read_bytes() == EARLIER
    assert _leftovers(tmp_path) == []


def test_folder_write_replaces_a_folder(tmp_path):
    out = tmp_path / "sel.parquet"
    out.mkdir()
    (out / "old-part.parquet").write_bytes(EARLIER)

    def write(path):
        Path(path).mkdir()
        (Path(path) / "part-0.parquet").write_bytes(b"new")
        return 7

    assert write_atomically(out, write) == 7
    assert [path.name for path in out.iterdir()] == ["part-0.parquet"]


def test_manifest_write_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "run.manifest.json"
    out.write_bytes(EARLIER)
    monkeypatch.setattr(export.json, "dumps", lambda *args, **kwargs: "{}")
    write_manifest({"a": 1}, out)
    assert out.read_text() == "{}\n"

    def failing_write_text(self, *args, **kwargs):
        Path.write_bytes(self, b'{"trunc')
        raise OSError("no space left on device")

    out.write_bytes(EARLIER)
    monkeypatch.setattr(Path, "write_text", failing_write_text)
    with pytest.raises(OSError, match="no space"):
        write_manifest({"a": 1}, out)
    assert out.read_bytes() == EARLIER
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------------
# A real `gio-studio select` run, signalled while it writes

# The CLI run as it is, held in the middle of its export: after the first batch is formatted the export
# waits (in the main thread, single-threaded) until the test's signal arrives, so the signal always lands
# mid-export instead of racing a fast write.
_HOLD_MID_EXPORT = textwrap.dedent("""
    import signal, sys, time
    from pathlib import Path
    from gio_core import cli
    from gio_core.io import export

    # a suite started from a background job inherits an ignored SIGINT (a shell ignores it for its background
    # jobs, and Python then installs no handler): Ctrl-C is what this run stands for, so take it as a person would
    signal.signal(signal.SIGINT, signal.default_int_handler)

    export.EXPORT_THREADS = 1
    export.CSV_CHUNK_ROWS = export.EXPORT_CHUNK_ROWS = 200
    marker = Path(sys.argv[1])
    batches_in_order = export._in_order

    def in_order(tasks, work, *, workers):
        for number, batch in enumerate(batches_in_order(tasks, work, workers=workers)):
            yield batch
            if number == 0:  # the first batch is in the temporary file; hold before the next
                marker.write_text("mid-export")
                time.sleep(120)  # the test signals long before; the signal ends the sleep

    export._in_order = in_order
    sys.exit(cli.main(sys.argv[2:]))
""")


@pytest.fixture(scope="module")
def signal_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signal_inputs")
    rng = np.random.default_rng(3)
    np.save(folder / "pool.npy", rng.normal(size=(4000, 8)).astype(np.float32))
    np.save(folder / "target.npy", rng.normal(size=(300, 8)).astype(np.float32))
    return folder


@pytest.mark.parametrize("name", ["sel.csv", "sel.parquet"], ids=["csv", "parquet"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["TERM", "INT", "HUP"])
def test_signalled_run_leaves_earlier_files_and_no_partial_file(tmp_path, signal_inputs, signum, name):
    out, manifest = tmp_path / name, tmp_path / "sel.manifest.json"
    out.write_bytes(EARLIER)
    manifest.write_bytes(EARLIER)
    marker = tmp_path / "marker"
    script = tmp_path / "held_run.py"
    script.write_text(_HOLD_MID_EXPORT)
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(marker),
            "select",
            "--pool",
            str(signal_inputs / "pool.npy"),
            "--target",
            str(signal_inputs / "target.npy"),
            "--clusters",
            "8",
            "--explode",
            "all",
            "--out",
            str(out),
            "--quiet",
        ],
        stderr=subprocess.PIPE,
        env=environment,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():  # polls a condition; the run takes a few seconds to reach its export
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the run never reached its export"
        time.sleep(0.05)
    assert _leftovers(tmp_path), "the export writes to a temporary file beside --out"
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 128 + signum, stderr.decode()
    assert f"stopped by {signal.Signals(signum).name}" in stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert out.read_bytes() == EARLIER
    assert manifest.read_bytes() == EARLIER
    assert _leftovers(tmp_path) == []


def test_unsignalled_held_script_writes_everything(tmp_path, signal_inputs):
    """The same run without the hold completes and replaces both files (the check above is not vacuous)."""
    from gio_core.cli import main

    out, manifest = tmp_path / "sel.csv", tmp_path / "sel.manifest.json"
    out.write_bytes(EARLIER)
    manifest.write_bytes(EARLIER)
    assert (
        main(
            [
                "select",
                "--pool",
                str(signal_inputs / "pool.npy"),
                "--target",
                str(signal_inputs / "target.npy"),
                "--clusters",
                "8",
                "--explode",
                "all",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    selected = pd.read_csv(out)
    assert len(selected) > 400 and selected["gio_rank"].tolist() == list(range(1, len(selected) + 1))
    assert json.loads(manifest.read_text())["selection"]["rows"] == len(selected)
    assert _leftovers(tmp_path) == []
