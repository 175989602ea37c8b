"""The large-data path: chunked reads of memory maps, chunked K-means assignment, streamed export, the CLI
on a memory-mapped pool (in a subprocess, memory checked), and the app's path input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gio_core import GIOSelector
from gio_core.io.errors import DataError
from gio_core.io.export import selection_frame, write_selection, write_selection_rows
from gio_core.io.largefiles import NpyRows, iter_row_chunks, release_pages, take_rows
from gio_core.io.read import read_data
from gio_core.scale import quantize
from ui import session

ROOT = Path(__file__).resolve().parent.parent
assign_module = sys.modules["gio_core.scale.assign"]


@pytest.fixture
def blobs(rng):
    centers = rng.normal(0.0, 4.0, size=(12, 8))
    labels = rng.integers(0, 12, size=6000)
    return (centers[labels] + rng.normal(size=(6000, 8))).astype(np.float32)


@pytest.fixture
def mapped(tmp_path, blobs):
    np.save(tmp_path / "pool.npy", blobs)
    return np.load(tmp_path / "pool.npy", mmap_mode="r")


# -- reading in chunks ------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [1, 999, 6000, 10_000], ids=["one", "uneven", "exact", "bigger"])
def test_iter_row_chunks_covers_every_row_in_order(mapped, blobs, chunk_rows):
    starts, chunks = zip(*iter_row_chunks(mapped, chunk_rows))
    assert list(starts) == list(range(0, 6000, chunk_rows))
    assert np.array_equal(np.concatenate(chunks), blobs)
    assert all(chunk.flags.c_contiguous and chunk.flags.writeable and chunk.dtype == np.float32 for chunk in chunks)


@pytest.mark.parametrize("offset", [0, 128, 4096 * 3 + 40], ids=["start", "npy-header", "past-a-page"])
def test_iter_row_chunks_reads_a_map_at_any_file_offset(tmp_path, blobs, offset):
    # a read-only map is read with pread at the slice's own place in the file, never through the mapping
    (tmp_path / "raw.bin").write_bytes(b"x" * offset + blobs.tobytes())
    mapped = np.memmap(tmp_path / "raw.bin", dtype=np.float32, mode="r", offset=offset, shape=blobs.shape)
    assert np.array_equal(np.concatenate([chunk for _, chunk in iter_row_chunks(mapped[1000:], 777)]), blobs[1000:])
    as_float64 = np.concatenate([chunk for _, chunk in iter_row_chunks(mapped, 1000, dtype=np.float64)])
    assert as_float64.dtype == np.float64 and np.array_equal(as_float64, blobs)


@pytest.mark.parametrize(
    "indices",
    [[5, 3, 3, 5999, 0], [-1, -6000, 17], list(range(0, 6000, 7))[::-1], []],
    ids=["unsorted-repeats", "negative", "reversed-spread", "empty"],
)
def test_take_rows_equals_fancy_indexing(mapped, blobs, indices):
    expected = blobs[np.asarray(indices, dtype=np.int64)]
    assert np.array_equal(take_rows(mapped, indices, chunk_rows=500), expected)
    assert np.array_equal(take_rows(blobs, indices), expected)


def test_take_rows_refuses_out_of_range(mapped):
    with pytest.raises(IndexError, match="row indices must lie in 0 … 5999"):
        take_rows(mapped, [6000])


def test_release_pages_never_touches_memory_it_does_not_own(tmp_path, blobs):
    # MADV_DONTNEED would zero anonymous memory and drop a writable map's changes: both must be left alone
    in_memory = blobs.copy()
    release_pages(in_memory)
    assert np.array_equal(in_memory, blobs)
    np.save(tmp_path / "writable.npy", blobs)
    writable = np.load(tmp_path / "writable.npy", mmap_mode="r+")
    writable[:10] = 7.0
    release_pages(writable)
    assert np.all(writable[:10] == 7.0)
    read_only = np.load(tmp_path / "writable.npy", mmap_mode="r")
    release_pages(read_only[100:200])  # released pages are read again from the file
    assert np.array_equal(read_only[100:200], blobs[100:200])


# -- K-means in chunks ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["memmap", "row-source"], ids=["memmap", "npy-rows"])
def test_chunked_assignment_equals_in_memory(monkeypatch, tmp_path, mapped, blobs, source):
    in_memory = quantize(blobs, 40, random_state=3)
    monkeypatch.setattr(assign_module, "CHUNK_ROWS", 777)  # many chunks, the last one short
    points = mapped if source == "memmap" else NpyRows(tmp_path / "pool.npy")
    chunked = quantize(points, 40, random_state=3)
    assert np.array_equal(chunked.labels, in_memory.labels)
    assert np.array_equal(chunked.counts, in_memory.counts)
    np.testing.assert_allclose(chunked.centers, in_memory.centers, rtol=0, atol=0)


# -- export in batches ------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".csv.gz", ".tsv"], ids=["parquet", "csv", "csv-gz", "tsv"])
def test_streamed_export_equals_the_whole_frame(tmp_path, blobs, suffix):
    np.save(tmp_path / "pool.npy", blobs)
    pool = read_data(tmp_path / "pool.npy")
    rng = np.random.default_rng(1)
    picks = rng.permutation(6000)[:2500]
    labels = rng.integers(0, 40, size=6000)
    whole, streamed = tmp_path / f"whole{suffix}", tmp_path / f"streamed{suffix}"
    write_selection(selection_frame(pool, picks, cluster_labels=labels), whole)
    assert write_selection_rows(pool, picks, streamed, cluster_labels=labels, chunk_rows=600) == 2500
    if suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(streamed), pd.read_parquet(whole))
    else:
        reader = (lambda path: pd.read_csv(path, sep="\t")) if suffix == ".tsv" else pd.read_csv
        pd.testing.assert_frame_equal(reader(streamed), reader(whole))
        if suffix != ".csv.gz":
            assert streamed.read_bytes() == whole.read_bytes()


def test_streamed_export_checks_indices(tmp_path, blobs):
    np.save(tmp_path / "pool.npy", blobs)
    pool = read_data(tmp_path / "pool.npy")
    with pytest.raises(ValueError, match="selected_indices must lie in 0 … 5999"):
        write_selection_rows(pool, [0, 6000], tmp_path / "out.csv", chunk_rows=1)
    with pytest.raises(ValueError, match="extension the export does not write"):
        write_selection_rows(pool, np.arange(10), tmp_path / "out.xlsx", chunk_rows=3)


# -- reading limits ---------------------------------------------------------------------------------


def test_memory_mapped_npy_is_exempt_from_max_bytes(tmp_path, blobs):
    np.save(tmp_path / "pool.npy", blobs)
    data = read_data(tmp_path / "pool.npy", max_bytes=1000)
    assert isinstance(data.array, np.memmap) and data.n_rows == 6000
    pd.DataFrame(blobs).to_csv(tmp_path / "pool.csv", index=False)
    with pytest.raises(DataError, match="over the 1000 bytes limit"):
        read_data(tmp_path / "pool.csv", max_bytes=1000)
    with pytest.raises(DataError, match="over the 1000 bytes limit"):  # bytes are in memory already
        read_data((tmp_path / "pool.npy").read_bytes(), name="pool.npy", max_bytes=1000)


def test_read_reports_hashing_progress(tmp_path, blobs):
    np.save(tmp_path / "pool.npy", blobs)
    calls = []
    read_data(tmp_path / "pool.npy", progress=lambda stage, done, total: calls.append((stage, done, total)))
    size = (tmp_path / "pool.npy").stat().st_size
    assert calls and calls[-1] == ("hashing pool.npy", size, size)


# -- the CLI on a memory-mapped pool ----------------------------------------------------------------


def test_cli_on_a_memory_mapped_pool_matches_in_memory_and_stays_out_of_core(tmp_path):
    rng = np.random.default_rng(7)
    centers = rng.normal(0.0, 3.0, size=(30, 32)).astype(np.float32)
    rows = 1_500_000  # 192 MB: the quantisation pass would add that much to the RSS if the map stayed resident
    pool_path = tmp_path / "pool.npy"
    pool = np.lib.format.open_memmap(pool_path, mode="w+", dtype=np.float32, shape=(rows, 32))
    for start in range(0, rows, 250_000):
        labels = rng.integers(0, 30, size=min(250_000, rows - start))
        pool[start : start + len(labels)] = centers[labels] + rng.standard_normal((len(labels), 32), dtype=np.float32)
    pool.flush()
    del pool
    target = centers[rng.integers(0, 5, size=400)] + rng.standard_normal((400, 32), dtype=np.float32)
    np.save(tmp_path / "target.npy", target)
    out = tmp_path / "selection.parquet"
    command = [
        sys.executable,
        "-m",
        "gio_core.cli",
        "select",
        "--pool",
        str(pool_path),
        "--target",
        str(tmp_path / "target.npy"),
        "--clusters",
        "20",
        "--max-iter",
        "5",
        "--out",
        str(out),
        "--quiet",
    ]
    finished = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert finished.returncode == 0, finished.stderr
    manifest = json.loads((tmp_path / "selection.manifest.json").read_text())

    in_memory = GIOSelector(n_clusters=20, max_iter=5, random_state=0).fit(np.load(pool_path), target)
    assert manifest["result"]["selected_indices"] == in_memory.selected_indices_.tolist()
    assert len(pd.read_parquet(out, columns=["gio_row"])) == len(in_memory.selected_indices_)

    peaks = manifest["resources"]["peak_rss_bytes"]
    file_bytes = pool_path.stat().st_size
    # reading and quantising touch every row; resident memory grows by a small part of the file only
    assert peaks["quantize_pool"] - peaks["read"] < file_bytes / 2, peaks
    assert manifest["vectors"]["pool_sha256"] is None  # the file's SHA-256 pins the vectors
    assert set(manifest["timings"]) >= {
        "read",
        "vectors",
        "quantize_pool",
        "quantize_target",
        "gio",
        "export",
        "manifest",
        "total",
    }


# -- the app's path input ---------------------------------------------------------------------------


AppTest = pytest.importorskip("streamlit.testing.v1").AppTest


def _files_page(monkeypatch, data_root):
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(data_root))  # the path box reads only inside the data root
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["_kept"] = {"data_source": "Upload files"}  # what the session keeps (ui/session.py)
    at.run()
    return at


def test_app_reads_pool_and_target_from_paths(tmp_path, rng, monkeypatch):
    np.save(tmp_path / "pool.npy", rng.normal(size=(25_000, 4)).astype(np.float32))
    np.save(tmp_path / "target.npy", rng.normal(0.5, 1.0, size=(60, 4)).astype(np.float32))
    at = _files_page(monkeypatch, tmp_path)
    at.text_input(key="pool_path").input(str(tmp_path / "pool.npy")).run()
    at.text_input(key="target_path").input(str(tmp_path / "target.npy")).run()
    assert not at.exception and not at.error, [item.value for item in at.error]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Pool rows"] == "25,000" and metrics["Target rows"] == "60"
    # 25,000 rows is above the app's quantisation threshold: K-means is on by default
    assert at.toggle(key=session.widget_key("p_quantize", at.session_state)).value is True


@pytest.mark.parametrize(
    "name, create, message",
    [
        ("absent.npy", False, "No file at"),
        ("table.xlsx", True, ".xlsx is not a supported format"),
        ("folder", "dir", "is a folder"),
        ("relative.npy", None, "relative paths are read from"),
    ],
    ids=["missing", "unsupported", "folder", "relative"],
)
def test_app_path_input_says_what_is_wrong(tmp_path, name, create, message, monkeypatch):
    path = tmp_path / name
    if create is True:
        path.write_bytes(b"PK\x03\x04not really a workbook")
    elif create == "dir":
        path.mkdir()
    at = _files_page(monkeypatch, tmp_path)
    at.text_input(key="pool_path").input(name if create is None else str(path)).run()
    assert not at.exception
    assert any(message in item.value for item in at.error), [item.value for item in at.error]
