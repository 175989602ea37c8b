"""The Spark engine (local[2]): the same rows, in the same order, as the in-process engine; the same errors.

Skips when pyspark or Java is missing (``pip install 'gio-studio[spark]'``; ``.ci/run`` installs both).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gio_core.cli import main
from gio_core.pipeline import SelectionPipeline
from gio_core.pipeline.backends.spark import spark_available

from .selection_checks import run_stages

_MISSING = spark_available()
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=f"Spark engine unavailable: {_MISSING}")

PARAMS = {"n_clusters": 30, "max_iter": 20, "stop_criterion": "data_size", "max_data_size": 0.05}


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for the whole file: UI off, two shuffle partitions, so each job is quick."""
    import warnings

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warnings.filterwarnings("ignore", message=".*pandas.*", category=FutureWarning)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("gio-studio-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _write_shards(folder: Path, parts, *, fixed=False, dims=None, seed=0):
    """Shards of 8-d Gaussian blobs with an id, a formula-looking note and the vector column `emb`."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(99).normal(0.0, 4.0, size=(12, 8)).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    for shard, rows in enumerate(parts):
        width = (dims or {}).get(shard, 8)
        vectors = (centers[rng.integers(0, 12, rows)][:, :width] + rng.normal(size=(rows, width))).astype(np.float32)
        column = (
            pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), width)
            if fixed
            else pa.array(list(vectors), pa.list_(pa.float32()))
        )
        table = pa.table(
            {
                "id": [f"s{shard}r{row}" for row in range(rows)],
                "note": ["=SUM(A1)" if row % 7 == 0 else f"ok {row}" for row in range(rows)],
                "emb": column,
            }
        )
        pq.write_table(table, folder / f"part-{shard:02d}.parquet", row_group_size=256)
    return folder


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark")
    _write_shards(root / "pool", [700, 500, 900])
    target = (
        np.random.default_rng(5).normal(0.0, 4.0, size=(4, 8))[np.random.default_rng(6).integers(0, 4, 300)]
        + np.random.default_rng(7).normal(size=(300, 8))
    ).astype(np.float32)
    pq.write_table(pa.table({"emb": pa.array(list(target), pa.list_(pa.float32()))}), root / "target.parquet")
    return root


def _run(engine, root: Path, out: Path, **options):
    """Every stage up to the export; returns (quantised, result, selection, rows written)."""
    params = {**PARAMS, **options.pop("params", {})}
    pipeline = SelectionPipeline(
        root / "pool", root / "target.parquet", engine=engine, params=params, seed=3, vector_column="emb", **options
    )
    _, vectors, quantised, result, selection = run_stages(pipeline)
    return quantised, result, selection, pipeline.export(vectors, selection, out)


def _spark_backend(session):
    from gio_core.pipeline.backends.spark import SparkBackend

    return SparkBackend(session=session)


def _read_parts(path: Path) -> pd.DataFrame:
    parts = sorted(path.glob("part-*"))
    assert parts, f"no part files in {path}"
    reader = pd.read_parquet if path.name.endswith(".parquet") else pd.read_csv
    return pd.concat([reader(part) for part in parts], ignore_index=True)


@pytest.mark.parametrize(
    "explode",
    ["target_share", "target_turns", "share_turns", "all"],
    ids=["target-share", "target-turns", "share-turns", "all"],
)
def test_spark_selects_exactly_the_in_process_rows(spark, shards, tmp_path, explode):
    _, _, here, _ = _run("inprocess", shards, tmp_path / "here.parquet", params={"explode": explode})
    quantised, result, there, written = _run(
        _spark_backend(spark), shards, tmp_path / "there.parquet", params={"explode": explode}
    )
    assert np.array_equal(here.rows, there.rows)  # the same rows, in the same order
    assert np.array_equal(here.clusters, there.clusters)
    expected, got = pd.read_parquet(tmp_path / "here.parquet"), _read_parts(tmp_path / "there.parquet")
    assert (tmp_path / "there.parquet").is_dir() and len(got) == here.n_rows == written
    assert list(got.columns) == ["id", "note", "emb", "gio_rank", "gio_row", "gio_cluster"]
    assert got.drop(columns="emb").equals(expected.drop(columns="emb"))
    np.testing.assert_array_equal(np.stack(got["emb"]), np.stack(expected["emb"]))
    assert got["gio_rank"].tolist() == list(range(1, len(got) + 1))
    if explode != "all":  # the budget (or all the chosen clusters hold)
        from gio_core.scale.explode import distinct_in_order

        assert len(got) == result.row_quotas.sum() <= int(0.05 * 2100)
        chosen = distinct_in_order(result.selected_candidates)
        assert result.row_quotas.sum() < quantised.pool.counts[chosen].sum()
        assert quantised.fills_by_turns == (explode in ("target_turns", "share_turns"))
        if explode in ("target_share", "share_turns"):  # each cluster gave its quota
            per_cluster = [int((there.clusters == cluster).sum()) for cluster in chosen]
            assert per_cluster == result.row_quotas.tolist()
        # with target_turns the target's rows took turns at the chosen clusters' rows, on both engines
    else:
        assert result.row_quotas is None


def test_spark_csv_is_the_in_process_csv(spark, shards, tmp_path):
    *_, written = _run("inprocess", shards, tmp_path / "here.csv")
    _run(_spark_backend(spark), shards, tmp_path / "there.csv")
    expected, got = pd.read_csv(tmp_path / "here.csv"), _read_parts(tmp_path / "there.csv")
    assert got.equals(expected) and len(got) == written
    assert got["note"].str.startswith("'=").any()  # formula-safe, as in-process
    assert not any(name.startswith(".") and "partial" in name for name in os.listdir(tmp_path))


def test_cli_engine_spark_writes_part_files_and_the_manifest(spark, shards, tmp_path, capsys):
    common = [
        "select",
        "--pool",
        str(shards / "pool"),
        "--target",
        str(shards / "target.parquet"),
        "--vector-column",
        "emb",
        "--clusters",
        "30",
        "--max-iter",
        "20",
        "--seed",
        "3",
        "--id-column",
        "id",
    ]
    assert main([*common, "--out", str(tmp_path / "a.parquet")]) == 0
    assert (
        main(
            [
                *common,
                "--engine",
                "spark",
                "--spark-conf",
                "spark.sql.shuffle.partitions=2",
                "--out",
                str(tmp_path / "b.parquet"),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "3 shards" in err and "wrote" in err
    here = json.loads((tmp_path / "a.manifest.json").read_text())
    there = json.loads((tmp_path / "b.manifest.json").read_text())
    assert there["engine"]["name"] == "spark" and here["engine"]["name"] == "inprocess"
    assert there["result"]["selected_sha256"] == here["result"]["selected_sha256"]
    assert there["inputs"]["pool"]["sha256"] == here["inputs"]["pool"]["sha256"]
    assert (
        _read_parts(tmp_path / "b.parquet")["gio_row"].tolist()
        == pd.read_parquet(tmp_path / "a.parquet")["gio_row"].tolist()
    )
    # a rerun from the manifest, on Spark again, reproduces it
    assert main(["select", "--manifest", str(tmp_path / "b.manifest.json"), "--out", str(tmp_path / "c.parquet")]) == 0
    assert "reproduced the manifest's selection exactly" in capsys.readouterr().err


class _NoJobs:
    """A Spark backend that fails the test if any stage that reads rows runs."""

    def __init__(self, backend):
        self.backend = backend

    def __getattr__(self, name):
        if name in ("read_rows", "assign", "explode", "export"):
            raise AssertionError(f"a Spark job ({name}) ran before the input was checked")
        return getattr(self.backend, name)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda root: _write_shards(root / "pool", [50, 50]), "has no column `vec` (for the vector column)"),
        (
            lambda root: _write_shards(root / "pool", [60, 60], dims={1: 6}),
            "shards have vectors of different dimensions",
        ),
        (lambda root: (root / "pool").mkdir(), "holds no Parquet files"),
    ],
    ids=["missing-column", "mixed-dimensions", "empty-folder"],
)
def test_bad_input_gets_the_in_process_error_before_any_job(spark, tmp_path, make, message):
    make(tmp_path)
    np.save(tmp_path / "target.npy", np.zeros((20, 8), dtype=np.float32))
    errors = []
    for engine in ("inprocess", "spark"):
        backend = _spark_backend(spark) if engine == "spark" else "inprocess"
        pipeline = SelectionPipeline(
            tmp_path / "pool",
            tmp_path / "target.npy",
            engine=backend,
            params=PARAMS,
            vector_column="vec" if "column" in message else None,
        )
        if engine == "spark":
            pipeline.backend = _NoJobs(backend)
        with pytest.raises(ValueError) as caught:
            pipeline.vectors(pipeline.read())
        errors.append(str(caught.value))
    assert message in errors[0] and errors[0] == errors[1]
    assert "\n" not in errors[0]


def test_ragged_vectors_get_the_in_process_error(spark, tmp_path):
    folder = _write_shards(tmp_path / "pool", [300, 300])
    table = pq.read_table(folder / "part-01.parquet")
    vectors = table.column("emb").to_pylist()
    vectors[123] = vectors[123][:5]
    pq.write_table(
        table.set_column(2, "emb", pa.array(vectors, pa.list_(pa.float32()))),
        folder / "part-01.parquet",
        row_group_size=256,
    )
    np.save(tmp_path / "target.npy", np.zeros((20, 8), dtype=np.float32))
    errors = []
    for engine in ("inprocess", _spark_backend(spark)):
        pipeline = SelectionPipeline(
            folder, tmp_path / "target.npy", engine=engine, params={**PARAMS, "n_clusters": 5}, vector_column="emb"
        )
        with pytest.raises(ValueError) as caught:
            pipeline.quantise(pipeline.vectors(pipeline.read()))
        errors.append(" ".join(str(caught.value).split()))
    assert errors[0] == errors[1], errors
    assert (
        errors[0].startswith("part-01.parquet: vectors in column `emb` have different lengths")
        and "row 124 has 5" in errors[0]
    )
