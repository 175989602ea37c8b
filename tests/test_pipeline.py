"""The staged pipeline (gio_core.pipeline) in process: Parquet shard folders, row numbering, export, errors."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gio_core import GIOSelector
from gio_core.cli import main
from gio_core.pipeline import SelectionPipeline, run_selection

from .selection_checks import run_stages


def _shards(folder, sizes, *, rng, width=6, fixed=False, names=None):
    folder.mkdir(parents=True, exist_ok=True)
    blocks = []
    for shard, rows in enumerate(sizes):
        vectors = rng.normal(size=(rows, width)).astype(np.float32) + shard
        column = (
            pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), width)
            if fixed
            else pa.array(list(vectors), pa.list_(pa.float32()))
        )
        name = names[shard] if names else f"part-{shard}.parquet"
        pq.write_table(
            pa.table({"id": [f"{name}:{row}" for row in range(rows)], "emb": column}), folder / name, row_group_size=64
        )
        blocks.append((name, vectors))
    return blocks


@pytest.fixture
def pool_and_target(tmp_path, rng):
    # written in an order unlike the sorted one: gio_row must follow the sorted file names
    blocks = _shards(tmp_path / "pool", [150, 90, 200], rng=rng, names=["b.parquet", "a.parquet", "c.parquet"])
    target = rng.normal(size=(60, 6)).astype(np.float32) + 1.0
    np.save(tmp_path / "target.npy", target)
    ordered = [vectors for _, vectors in sorted(blocks, key=lambda block: block[0])]
    return tmp_path, np.vstack(ordered), target


@pytest.mark.parametrize("params", [{"n_clusters": 12, "max_iter": 8}, {"max_iter": 8}], ids=["quantised", "rows"])
def test_pipeline_is_the_selector_on_the_same_rows(pool_and_target, params):
    folder, pool, target = pool_and_target
    pipeline = SelectionPipeline(folder / "pool", folder / "target.npy", params=params, seed=4, vector_column="emb")
    *_, selection = run_stages(pipeline)
    expected = GIOSelector(**params, random_state=4).fit(pool, target, np.zeros((0, 6)))
    assert np.array_equal(selection.rows, expected.selected_indices_)


def test_gio_row_follows_sorted_file_names_and_a_glob_reads_the_same(pool_and_target):
    folder, _, _ = pool_and_target
    out = folder / "sel.parquet"
    manifest = run_selection(
        folder / "pool", folder / "target.npy", out, params={"n_clusters": 12, "max_iter": 8}, vector_column="emb"
    )
    frame = pd.read_parquet(out)
    offsets = {"a.parquet": 0, "b.parquet": 90, "c.parquet": 240}
    expected = [offsets[name] + int(row) for name, row in (value.split(":") for value in frame["id"])]
    assert frame["gio_row"].tolist() == expected
    assert list(frame.columns) == ["id", "emb", "gio_rank", "gio_row", "gio_cluster"]
    assert manifest["inputs"]["pool"]["rows"] == 440 and manifest["inputs"]["pool"]["format"] == "parquet shards"
    again = run_selection(
        str(folder / "pool" / "*.parquet"),
        folder / "target.npy",
        folder / "glob.parquet",
        params={"n_clusters": 12, "max_iter": 8},
        vector_column="emb",
    )
    assert again["result"]["selected_sha256"] == manifest["result"]["selected_sha256"]


def test_shard_export_keeps_the_stored_types(tmp_path, rng):
    _shards(tmp_path / "pool", [120, 80], rng=rng, fixed=True)
    np.save(tmp_path / "target.npy", rng.normal(size=(30, 6)).astype(np.float32))
    run_selection(
        tmp_path / "pool", tmp_path / "target.npy", tmp_path / "sel.parquet", params={"n_clusters": 10, "max_iter": 5}
    )  # the only list column is found by itself
    schema = pq.read_schema(tmp_path / "sel.parquet")
    assert schema.field("emb").type == pa.list_(pa.float32(), 6)  # a fixed-size list stays one
    assert schema.field("gio_row").type == pa.int64()


def test_a_failed_export_leaves_no_file(pool_and_target, monkeypatch):
    folder, _, _ = pool_and_target
    pipeline = SelectionPipeline(
        folder / "pool", folder / "target.npy", params={"n_clusters": 12, "max_iter": 8}, vector_column="emb"
    )
    _, vectors, _, _, selection = run_stages(pipeline)

    def half_then_fail(pool, selection, out, progress=None):
        with open(out, "wb") as handle:
            handle.write(b"id,emb\n")
        raise OSError("disk full")

    monkeypatch.setattr(pipeline.backend, "export", half_then_fail)
    (folder / "sel.csv").write_text("the previous selection\n")
    with pytest.raises(OSError, match="disk full"):
        pipeline.export(vectors, selection, folder / "sel.csv")
    assert (folder / "sel.csv").read_text() == "the previous selection\n"  # not clobbered
    assert not [name for name in os.listdir(folder) if "partial" in name]


def _ragged(folder):
    table = pq.read_table(folder / "pool" / "b.parquet")
    vectors = table.column("emb").to_pylist()
    vectors[70] = vectors[70][:4]
    pq.write_table(
        table.set_column(1, "emb", pa.array(vectors, pa.list_(pa.float32()))),
        folder / "pool" / "b.parquet",
        row_group_size=64,
    )


@pytest.mark.parametrize(
    "arguments, prepare, message",
    [
        (["--vector-column", "vec"], None, "a.parquet (in "),
        (["--vector-column", "emb", "--id-column", "key"], None, "has no column `key` (for the id column)"),
        (
            ["--vector-column", "emb"],
            _ragged,
            "b.parquet: vectors in column `emb` have different lengths: the pool's are 6-d, row 71 has 4 values",
        ),
        (["--vector-column", "emb", "--engine", "spark", "--clusters", "none"], None, "give --clusters K"),
        (["--vector-column", "emb", "--spark-master", "local[2]"], None, "apply to --engine spark"),
        (["--vector-column", "emb", "--spark-conf", "nokey"], None, "apply to --engine spark"),
    ],
    ids=[
        "missing-column",
        "missing-id",
        "ragged",
        "spark-needs-clusters",
        "master-without-engine",
        "conf-without-engine",
    ],
)
def test_shard_errors_are_one_line(pool_and_target, capsys, arguments, prepare, message):
    folder, _, _ = pool_and_target
    if prepare:
        prepare(folder)
    status = main(
        [
            "select",
            "--pool",
            str(folder / "pool"),
            "--target",
            str(folder / "target.npy"),
            "--clusters",
            "12",
            "--out",
            str(folder / "s.parquet"),
            "--quiet",
            *arguments,
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert not (folder / "s.parquet").exists()


def test_empty_folder_and_mixed_dimensions(tmp_path, rng, capsys):
    (tmp_path / "empty").mkdir()
    np.save(tmp_path / "target.npy", rng.normal(size=(30, 6)).astype(np.float32))
    common = ["--target", str(tmp_path / "target.npy"), "--clusters", "4", "--out", str(tmp_path / "s.csv"), "-q"]
    assert main(["select", "--pool", str(tmp_path / "empty"), *common]) == 2
    assert "the folder holds no Parquet files" in capsys.readouterr().err
    _shards(tmp_path / "mixed", [50], rng=rng)
    _shards(tmp_path / "other", [50], rng=rng, width=5)
    os.replace(tmp_path / "other" / "part-0.parquet", tmp_path / "mixed" / "part-1.parquet")
    assert main(["select", "--pool", str(tmp_path / "mixed"), *common]) == 2
    assert "part-0.parquet has 6-d, part-1.parquet has 5-d" in capsys.readouterr().err


def test_engine_spark_without_pyspark_says_what_to_install(pool_and_target, monkeypatch, capsys):
    folder, _, _ = pool_and_target
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now fails
    status = main(
        [
            "select",
            "--engine",
            "spark",
            "--pool",
            str(folder / "pool"),
            "--target",
            str(folder / "target.npy"),
            "--clusters",
            "12",
            "--out",
            str(folder / "s.parquet"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2 and err.count("\n") == 0 and "pip install 'gio-studio[spark]'" in err


def test_engine_spark_without_java_says_what_to_install(monkeypatch):
    pytest.importorskip("pyspark")
    from gio_core.pipeline.backends import BackendUnavailable, get_backend

    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(BackendUnavailable, match=r"Java 17 or later: install it \(apt-get install openjdk-17"):
        get_backend("spark")


def test_manifest_records_stage_timings_and_the_engine(pool_and_target):
    folder, _, _ = pool_and_target
    manifest = run_selection(
        folder / "pool",
        folder / "target.npy",
        folder / "s.csv",
        manifest_out=folder / "s.manifest.json",
        params={"n_clusters": 12, "max_iter": 8},
    )
    written = json.loads((folder / "s.manifest.json").read_text())
    assert written["engine"]["name"] == "inprocess" == manifest["engine"]["name"]
    assert set(written["timings"]) >= {
        "read",
        "vectors",
        "quantize_pool",
        "quantize_pool_sample",
        "quantize_pool_train",
        "quantize_pool_assign",
        "gio",
        "explode",
        "export",
        "total",
    }
    assert written["vectors"]["source"] == "vector_column" and written["vectors"]["dimensions"] == 6


def test_iter_select_stopped_early_keeps_the_picks_so_far(pool_and_target):
    folder, _, _ = pool_and_target
    pipeline = SelectionPipeline(
        folder / "pool", folder / "target.npy", params={"n_clusters": 12, "max_iter": 8}, vector_column="emb"
    )
    vectors = pipeline.vectors(pipeline.read())
    quantised = pipeline.quantise(vectors)
    steps = pipeline.iter_select(vectors, quantised)
    iterator = iter(steps)
    kept = [next(iterator) for _ in range(3)]
    steps.close()  # a Stop button
    assert steps.result.stop_reason == "interrupted"
    picks = [step.candidate for step in kept if step.kept]
    assert steps.result.selected_candidates.tolist() == picks
    pipeline.export(vectors, pipeline.explode(vectors, quantised, steps.result), folder / "stopped.parquet")
    assert set(pd.read_parquet(folder / "stopped.parquet")["gio_cluster"]) == set(picks)


def test_from_prepared_skips_reading_and_gives_the_same_rows(tmp_path, rng):
    from gio_core.io.read import read_data
    from gio_core.io.vectors import prepare_vectors

    pool = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    pool.insert(0, "id", [f"r{i}" for i in range(300)])
    pool.to_csv(tmp_path / "pool.csv", index=False)
    pd.DataFrame(rng.normal(size=(40, 4)) + 0.5, columns=list("abcd")).to_csv(tmp_path / "target.csv", index=False)
    params = {"n_clusters": 20, "max_iter": 6}
    whole = SelectionPipeline(tmp_path / "pool.csv", tmp_path / "target.csv", params=params, seed=2)
    whole_stages = run_stages(whole)
    pool_data, target_data = read_data(tmp_path / "pool.csv"), read_data(tmp_path / "target.csv")
    cached = SelectionPipeline.from_prepared(
        pool_data, target_data, prepare_vectors(pool_data, target_data), params=params, seed=2
    )
    cached_stages = run_stages(cached)
    cached.export(cached_stages[1], cached_stages[4], tmp_path / "cached.csv")
    assert np.array_equal(cached_stages[4].rows, whole_stages[4].rows)
    assert (
        cached.manifest(*cached_stages[:2], *cached_stages[3:])["vectors"]
        == whole.manifest(*whole_stages[:2], *whole_stages[3:])["vectors"]
    )
    assert pd.read_csv(tmp_path / "cached.csv")["gio_row"].tolist() == whole_stages[4].rows.tolist()


def test_target_share_orders_partial_clusters_as_the_selector_does(tmp_path, rng):
    """With the target's own rows as GIO's points (target no larger than K), the pipeline's explosion is the
    selector's: quotas by target mass, partly taken clusters nearest the target first."""
    pool = np.vstack([rng.normal(0.0, 1.0, size=(1500, 5)), rng.normal(6.0, 1.0, size=(1500, 5))]).astype(np.float32)
    target = rng.normal(0.5, 1.0, size=(50, 5)).astype(np.float32)
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    params = {"n_clusters": 60, "stop_criterion": "data_size", "max_data_size": 0.1, "max_iter": 60}
    pipeline = SelectionPipeline(tmp_path / "pool.npy", tmp_path / "target.npy", params=params, seed=5)
    _, _, quantised, result, selection = run_stages(pipeline)
    expected = GIOSelector(**params, random_state=5).fit(pool, target, np.zeros((0, 5)))
    from gio_core.scale.explode import distinct_in_order

    chosen = distinct_in_order(result.selected_candidates)
    assert (result.row_quotas < quantised.pool.counts[chosen]).any()  # partly taken
    assert np.array_equal(selection.rows, expected.selected_indices_)


def test_shard_pool_with_a_bare_array_target_says_so(tmp_path):
    """A folder of Parquet shards and a bare .npy target: matched by position, and the manifest says so."""
    rng = np.random.default_rng(5)
    (tmp_path / "shards").mkdir()
    for part in range(2):
        frame = pd.DataFrame(rng.normal(size=(120, 3)).astype(np.float32), columns=["f0", "f1", "f2"])
        frame.to_parquet(tmp_path / "shards" / f"part-{part}.parquet", index=False)
    np.save(tmp_path / "target.npy", rng.normal(size=(30, 3)).astype(np.float32))
    manifest = run_selection(
        str(tmp_path / "shards"), str(tmp_path / "target.npy"), str(tmp_path / "sel.csv"), params={"max_iter": 5}
    )
    assert "matched to the pool's by position (target.npy has no column names)" in manifest["vectors"]["description"]
    assert len(pd.read_csv(tmp_path / "sel.csv")) == manifest["selection"]["rows"] > 0
