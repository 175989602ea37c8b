"""Files read by path (``gio-studio app --data-root DIR``) in a worker thread: a rerun waits for the read under way
instead of starting it again, a read no longer wanted stops, and a broken file still gives a one-line message."""

import threading
from pathlib import Path

import numpy as np
import pytest

from tests.test_app import _no_exception, _open, _w
from ui import data_panel


@pytest.fixture
def data_root(tmp_path, monkeypatch, rng):
    np.save(tmp_path / "pool.npy", rng.normal(size=(3_000, 16)).astype(np.float32))
    np.save(tmp_path / "target.npy", rng.normal(size=(50, 16)).astype(np.float32))
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    return tmp_path


def _stamp(path: Path) -> tuple:
    status = path.resolve().stat()
    return (str(path.resolve()), status.st_size, status.st_mtime_ns)


def test_a_path_read_runs_in_a_worker_and_reports_its_progress(data_root):
    path = data_root / "pool.npy"
    reading = data_panel.PathRead(path, _stamp(path))
    assert reading.wait(60)
    assert reading.error is None and reading.loaded is not None
    assert reading.loaded.n_rows == 3_000 and reading.loaded.array.shape == (3_000, 16)
    assert reading.fraction == 1.0 and reading.done == reading.total == path.stat().st_size
    assert reading.text.startswith("Reading pool.npy: hashing pool.npy (")


def test_a_broken_file_read_by_path_gives_a_one_line_message(data_root):
    path = data_root / "broken.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00garbage")
    reading = data_panel.PathRead(path, _stamp(path))
    assert reading.wait(60)
    assert reading.loaded is None and reading.error and "\n" not in reading.error
    assert "broken.npy" in reading.error


def test_a_read_no_longer_wanted_stops_at_its_next_block(data_root, monkeypatch):
    blocks, release = [], threading.Event()

    def slow_read(path, *, progress):
        for block in range(1_000):
            progress("hashing", block, 1_000)
            blocks.append(block)
            release.wait(0.01)
        raise AssertionError("a cancelled read went on to the end")

    monkeypatch.setattr(data_panel, "read_data", slow_read)
    path = data_root / "pool.npy"
    reading = data_panel.PathRead(path, _stamp(path))
    while not blocks:
        release.wait(0.01)
    reading.cancel()
    assert reading.wait(10)
    assert reading.loaded is None and reading.error is None and len(blocks) < 1_000


def test_a_rerun_waits_for_the_read_under_way_instead_of_starting_it_again(data_root, monkeypatch):
    calls = []
    real_read = data_panel.read_data

    def counted(path, **options):
        calls.append(Path(path).name)
        return real_read(path, **options)

    monkeypatch.setattr(data_panel, "read_data", counted)
    at = _open(data_source="Upload files")
    # a read started by an earlier script run (one a rerun interrupted while it waited) is still going
    under_way = data_panel.PathRead(data_root / "pool.npy", _stamp(data_root / "pool.npy"))
    at.session_state["_reading_pool"] = under_way
    at.text_input(key=_w(at, "pool_path")).input("pool.npy").run()
    at.text_input(key=_w(at, "target_path")).input("target.npy").run()
    _no_exception(at)
    assert calls == ["pool.npy", "target.npy"]  # the pool was read once, by the read under way
    assert at.session_state["_path_pool"][1] is under_way.loaded
    assert "_reading_pool" not in at.session_state and "_reading_target" not in at.session_state
    assert at.metric[0].value == "3,000"


def test_another_path_cancels_the_read_of_the_first(data_root):
    at = _open(data_source="Upload files")
    unwanted = data_panel.PathRead(data_root / "target.npy", ("elsewhere", 0, 0))  # a read of another file
    at.session_state["_reading_pool"] = unwanted
    at.text_input(key=_w(at, "pool_path")).input("pool.npy").run()
    _no_exception(at)
    assert unwanted._cancelled
    assert at.session_state["_path_pool"][1].n_rows == 3_000
