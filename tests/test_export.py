"""Exporting a selection (gio_core.io.export): columns, formula escaping, formats, the run manifest."""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest

from gio_core import GIOSelector
from gio_core.io import export
from gio_core.io.errors import DataError
from gio_core.io.export import (
    EXPORT_COLUMNS,
    FORMULA_PREFIXES,
    escape_formula,
    selection_csv_bytes,
    selection_frame,
    write_selection,
    write_selection_rows,
)
from gio_core.io.manifest import (
    build_manifest,
    manifest_vectors_record,
    read_manifest,
    selection_sha256,
    write_manifest,
)
from gio_core.io.read import read_data
from gio_core.io.vectors import prepare_vectors


@pytest.fixture
def pool_data():
    return read_data(
        b"id,text,x,y\na,=cmd|' /C calc'!A0,0.5,1.0\nb,plain,1.5,2.0\nc,+1,2.5,3.0\nd,@SUM(A1),3.5,4.0\n",
        name="pool.csv",
    )


def test_selection_frame_columns_and_order(pool_data):
    frame = selection_frame(pool_data, [2, 0, 3])
    assert list(frame.columns) == ["id", "text", "x", "y", "gio_rank", "gio_row"]
    assert frame["id"].tolist() == ["c", "a", "d"]
    assert frame["gio_rank"].tolist() == [1, 2, 3]
    assert frame["gio_row"].tolist() == [2, 0, 3]
    assert frame.index.tolist() == [0, 1, 2]


def test_selection_frame_clusters(pool_data):
    per_row = np.array([7, 8, 9, 7])
    frame = selection_frame(pool_data, [3, 0], cluster_labels=per_row)
    assert frame["gio_cluster"].tolist() == [7, 7]
    assert list(frame.columns)[-3:] == list(EXPORT_COLUMNS)
    per_selected = selection_frame(pool_data, [3, 0], cluster_labels=[5, 6])
    assert per_selected["gio_cluster"].tolist() == [5, 6]
    with pytest.raises(ValueError, match=r"one label per pool row \(4\) or per selected row \(2\); got shape \(3,\)"):
        selection_frame(pool_data, [3, 0], cluster_labels=[1, 2, 3])


def test_selection_frame_empty_and_bad_indices(pool_data):
    empty = selection_frame(pool_data, [])
    assert len(empty) == 0 and "gio_rank" in empty.columns
    with pytest.raises(ValueError, match=r"must lie in 0 … 3 \(rows of pool.csv\); got 0 … 4"):
        selection_frame(pool_data, [0, 4])
    with pytest.raises(ValueError, match="1-D array of row numbers"):
        selection_frame(pool_data, [[0]])


def test_selection_frame_replaces_existing_gio_columns():
    exported = read_data(b"id,x,gio_rank,gio_row\na,1.0,5,9\nb,2.0,6,8\n", name="earlier.csv")
    frame = selection_frame(exported, [1])
    assert list(frame.columns) == ["id", "x", "gio_rank", "gio_row"]
    assert frame[["gio_rank", "gio_row"]].values.tolist() == [[1, 1]]


def test_selection_frame_npy_gives_dimensions(tmp_path, rng):
    vectors = rng.normal(size=(6, 3)).astype(np.float32)
    np.save(tmp_path / "v.npy", vectors)
    frame = selection_frame(read_data(tmp_path / "v.npy"), [4, 1])
    assert list(frame.columns) == ["dim_0", "dim_1", "dim_2", "gio_rank", "gio_row"]
    np.testing.assert_array_equal(frame[["dim_0", "dim_1", "dim_2"]].to_numpy(), vectors[[4, 1]])


def test_selection_frame_npz_side_columns_first(tmp_path, rng):
    np.savez(tmp_path / "v.npz", vectors=rng.normal(size=(4, 2)), ids=np.array([10, 11, 12, 13]))
    frame = selection_frame(read_data(tmp_path / "v.npz"), [2])
    assert list(frame.columns) == ["ids", "dim_0", "dim_1", "gio_rank", "gio_row"]
    assert frame["ids"].tolist() == [12]


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_every_formula_prefix_is_escaped(prefix):
    assert escape_formula(prefix + "1+1") == "'" + prefix + "1+1"


@pytest.mark.parametrize(
    "value",
    ["plain", "", "'already", " =spaced", 3, -2.5, None],
    ids=["plain", "empty", "quote", "space-first", "int", "negative-float", "none"],
)
def test_safe_values_pass_through(value):
    assert escape_formula(value) == value


def test_csv_bytes_escape_text_cells_not_numbers(pool_data):
    frame = selection_frame(pool_data, [0, 1, 2, 3])
    frame["negative"] = [-1.5, 2.0, -3.0, 4.0]
    text = selection_csv_bytes(frame).decode("utf-8")
    rows = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert rows["text"].tolist() == ["'=cmd|' /C calc'!A0", "plain", "'+1", "'@SUM(A1)"]
    assert rows["negative"].tolist() == ["-1.5", "2", "-3", "4"]  # numbers are not text cells: no quote mark
    assert selection_frame(pool_data, [0])["text"].iloc[0] == "=cmd|' /C calc'!A0"  # the frame itself is untouched


def test_csv_escapes_header_cells():
    text = selection_csv_bytes(pd.DataFrame({"=danger": ["x"], "ok": ["-y"]})).decode()
    assert text.splitlines() == ["'=danger,ok", '"x","\'-y"']


def test_list_cells_are_written_as_readable_vectors(tmp_path, rng):
    vectors = rng.normal(size=(3, 4)).astype(np.float32)
    pd.DataFrame({"id": [1, 2, 3], "vec": list(vectors)}).to_parquet(tmp_path / "p.parquet", index=False)
    frame = selection_frame(read_data(tmp_path / "p.parquet"), [2, 0])
    write_selection(frame, tmp_path / "out.csv")
    again = read_data(tmp_path / "out.csv")
    np.testing.assert_array_equal(again.frame["vec"].str.startswith("[").tolist(), [True, True])
    np.testing.assert_array_equal(prepare_vectors(again, again, vector_column="vec").pool, vectors[[2, 0]])


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".tsv", ".parquet"], ids=["csv", "csv.gz", "tsv", "parquet"])
def test_write_selection_round_trip(tmp_path, pool_data, suffix):
    frame = selection_frame(pool_data, [1, 3], cluster_labels=[0, 2])
    path = tmp_path / f"sel{suffix}"
    write_selection(frame, path)
    again = read_data(path)
    assert again.columns == list(frame.columns)
    assert again.frame["gio_rank"].tolist() == [1, 2]
    assert again.frame["gio_row"].tolist() == [1, 3]
    assert again.frame["gio_cluster"].tolist() == [0, 2]
    expected_text = ["plain", "@SUM(A1)"] if suffix == ".parquet" else ["plain", "'@SUM(A1)"]
    assert again.frame["text"].tolist() == expected_text  # Parquet is not opened by spreadsheets: kept as is
    np.testing.assert_array_equal(again.frame["x"].to_numpy(), [1.5, 3.5])


def test_write_selection_gz_is_gzip(tmp_path, pool_data):
    write_selection(selection_frame(pool_data, [0]), tmp_path / "s.csv.gz")
    assert gzip.decompress((tmp_path / "s.csv.gz").read_bytes()).startswith(b"id,text,x,y,gio_rank,gio_row\n")


def test_write_selection_rejects_other_extensions(tmp_path, pool_data):
    with pytest.raises(ValueError, match=r"out.xlsx has an extension the export does not write; use .csv"):
        write_selection(selection_frame(pool_data, [0]), tmp_path / "out.xlsx")


def test_parquet_handles_mixed_object_columns(tmp_path):
    frame = pd.DataFrame({"mixed": pd.Series([1, "two", None], dtype=object), "gio_rank": [1, 2, 3]})
    write_selection(frame, tmp_path / "m.parquet")
    column = pd.read_parquet(tmp_path / "m.parquet")["mixed"]
    assert column.tolist()[:2] == ["1", "two"] and pd.isna(column.iloc[2])


# --------------------------------------------------------------------------------------------------
# Manifest


@pytest.fixture
def fitted(tmp_path, rng):
    pool = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    target = pd.DataFrame(rng.normal(loc=0.4, size=(30, 3)), columns=["a", "b", "c"])
    pool.to_csv(tmp_path / "pool.csv", index=False)
    target.to_csv(tmp_path / "target.csv", index=False)
    pool_data, target_data = read_data(tmp_path / "pool.csv"), read_data(tmp_path / "target.csv")
    prepared = prepare_vectors(pool_data, target_data)
    selector = GIOSelector(max_iter=15, random_state=3).fit(prepared.pool, prepared.target)
    return pool_data, target_data, prepared, selector


def test_manifest_contents(tmp_path, fitted):
    pool_data, target_data, prepared, selector = fitted
    params = {name: value for name, value in selector.get_params().items() if name != "random_state"}
    manifest = build_manifest(
        params=params,
        seed=3,
        inputs={"pool": pool_data, "target": target_data},
        result=selector,
        timings={"select": 0.25},
        vectors=manifest_vectors_record(prepared),
    )
    from gio_core._version import __version__

    assert manifest["tool"] == "gio-studio" and manifest["version"] == __version__
    assert manifest["seed"] == 3
    assert manifest["params"] == params
    assert manifest["inputs"]["pool"]["sha256"] == pool_data.sha256
    assert manifest["inputs"]["pool"]["rows"] == 120 and manifest["inputs"]["target"]["rows"] == 30
    assert manifest["vectors"]["description"] == "3 numeric columns (a, b, c)"
    assert manifest["vectors"]["columns"] == ["a", "b", "c"]
    assert [float(value) for value in manifest["result"]["kl_curve"]] == selector.kl_curve_.tolist()
    assert manifest["result"]["stop_reason"] == selector.stop_reason_
    assert manifest["result"]["selected_indices"] == selector.selected_indices_.tolist()
    assert manifest["result"]["selected_sha256"] == selection_sha256(selector.selected_indices_)
    assert manifest["timings"] == {"select": 0.25}
    json.dumps(manifest, allow_nan=False)  # strict JSON


def test_manifest_write_read_round_trip_is_exact(tmp_path, fitted):
    pool_data, target_data, prepared, selector = fitted
    params = {name: value for name, value in selector.get_params().items() if name != "random_state"}
    manifest = build_manifest(
        params=params,
        seed=3,
        inputs={"pool": pool_data, "target": target_data},
        result=selector,
        timings={},
        vectors=manifest_vectors_record(prepared),
    )
    write_manifest(manifest, tmp_path / "run.manifest.json")
    loaded = read_manifest(tmp_path / "run.manifest.json")
    assert loaded == manifest
    # floats survive JSON bit for bit (inf, for the picks before the estimate is defined, as "inf")
    assert [float(value) for value in loaded["result"]["kl_curve"]] == selector.kl_curve_.tolist()

    # running again from what the manifest records gives the identical selection
    again_pool = read_data(loaded["inputs"]["pool"]["path"])
    again_target = read_data(loaded["inputs"]["target"]["path"])
    assert again_pool.sha256 == loaded["inputs"]["pool"]["sha256"]
    choice = {key: loaded["vectors"][key] for key in ("columns", "vector_column", "text_column", "text_model")}
    again = prepare_vectors(again_pool, again_target, **choice)
    rerun = GIOSelector(**loaded["params"], random_state=loaded["seed"]).fit(again.pool, again.target)
    np.testing.assert_array_equal(rerun.selected_indices_, selector.selected_indices_)
    assert selection_sha256(rerun.selected_indices_) == loaded["result"]["selected_sha256"]


def test_manifest_non_finite_values_become_text(tmp_path):
    manifest = build_manifest(
        params={"lr": float("inf")}, seed=None, inputs={}, result=None, timings={}, vectors={"x": float("nan")}
    )
    assert manifest["params"]["lr"] == "inf" and manifest["vectors"]["x"] == "nan"
    write_manifest(manifest, tmp_path / "m.json")


def test_read_manifest_errors(tmp_path):
    with pytest.raises(DataError, match="no such manifest file"):
        read_manifest(tmp_path / "absent.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(DataError, match=r"broken\.json is not a JSON manifest"):
        read_manifest(tmp_path / "broken.json")
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(DataError, match=r"other\.json is JSON but not a gio-studio run manifest"):
        read_manifest(tmp_path / "other.json")
    (tmp_path / "partial.json").write_text('{"kind": "gio-studio run manifest", "params": {}}')
    with pytest.raises(DataError, match=r"partial\.json lacks inputs, vectors, seed"):
        read_manifest(tmp_path / "partial.json")


# --------------------------------------------------------------------------------------------------
# CSV values


def _awkward_float32(rng, rows: int, columns: int):
    values = (rng.normal(size=(rows, columns)) * 10.0 ** rng.integers(-8, 9, size=(rows, columns))).astype(np.float32)
    special = np.array(
        [0.1, 1 / 3, -0.0, 1e-45, 1.17549435e-38, 3.4028235e38, -3.4028235e38, 16777217.0, 255.0, 2.5e-40, 0.30000001],
        dtype=np.float32,
    )
    values.flat[: special.size] = special
    return values


@pytest.mark.parametrize("columns", [4, 64], ids=["narrow-float64-read", "wide-float32-read"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".csv.gz"], ids=["csv", "tsv", "csv.gz"])
def test_float32_vectors_read_back_bit_identical(tmp_path, rng, columns, suffix):
    values = _awkward_float32(rng, 3000, columns)
    np.save(tmp_path / "pool.npy", values)
    picks = rng.permutation(3000)[:2500]
    out = tmp_path / f"sel{suffix}"
    assert write_selection_rows(read_data(tmp_path / "pool.npy"), picks, out, chunk_rows=700) == 2500
    again = read_data(out)
    vectors = prepare_vectors(again, again, columns=[f"dim_{i}" for i in range(columns)]).pool
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors.view(np.int32), values[picks].view(np.int32))  # bit for bit, -0.0 too
    np.testing.assert_array_equal(again.frame["gio_row"], picks)
    np.testing.assert_array_equal(again.frame["gio_rank"], np.arange(1, 2501))


def test_streamed_csv_equals_the_whole_write_and_the_download(tmp_path, rng):
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(50)],
            "text": ["=1+2", "-x", "@a", "plain", None] * 10,
            "n": np.arange(50),
            "f": np.linspace(-1, 1, 50),
            "flag": [True, False] * 25,
        }
    )
    frame.to_parquet(tmp_path / "pool.parquet", index=False)
    pool = read_data(tmp_path / "pool.parquet")
    picks = rng.permutation(50)
    write_selection_rows(pool, picks, tmp_path / "streamed.csv", chunk_rows=7)
    write_selection(selection_frame(pool, picks), tmp_path / "whole.csv")
    streamed = (tmp_path / "streamed.csv").read_bytes()
    assert streamed == (tmp_path / "whole.csv").read_bytes() == selection_csv_bytes(selection_frame(pool, picks))
    rows = pd.read_csv(io.BytesIO(streamed), dtype=str, keep_default_na=False)
    expected = ["'=1+2", "'-x", "'@a", "plain", ""] * 10
    assert rows["text"].tolist() == [expected[row] for row in picks]
    assert rows["f"].astype(float).tolist() == frame["f"].iloc[picks].tolist()


def test_vector_list_cells_formula_and_nan(tmp_path):
    import pyarrow as pa

    table = pa.table(
        {
            "vec": pa.array([[0.1, -2.0], None, [3.0, float("nan")]], type=pa.list_(pa.float32())),
            "fixed": pa.array([[1, 2], [3, 4], [5, 6]], type=pa.list_(pa.int64(), 2)),
            "x": pa.array([1.5, float("nan"), None]),
            "label": pa.array(["a", "b", "a"]).dictionary_encode(),
        }
    )
    text = export._csv_buffer(table).to_pybytes().decode()
    assert text.splitlines() == [
        "vec,fixed,x,label",
        '"[0.1, -2]","[1, 2]",1.5,"a"',
        ',"[3, 4]",,"b"',
        '"[3, nan]","[5, 6]",,"a"',
    ]
