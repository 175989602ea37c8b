"""A file with column names against one without (a bare .npy/.npz array or a headerless CSV), and big inputs
read in pieces: float64 .npy converted chunk by chunk, wide Parquet read a few columns at a time."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gio_core.cli import main
from gio_core.io import formats as data_module
from gio_core.io.errors import DataError
from gio_core.io.read import read_data
from gio_core.io.shards import dataset_vectors, open_parquet_dataset, target_vectors
from gio_core.io.vectors import extract_vectors, prepare_vectors

from .selection_checks import mapped_resident_bytes

NOTE = "target columns matched to the pool's by position"


@pytest.fixture
def pool_frame(rng) -> pd.DataFrame:
    """An id, three float columns and a label: the floats are the vectors."""
    frame = pd.DataFrame(rng.normal(size=(300, 3)).astype(np.float32), columns=["f0", "f1", "f2"])
    frame.insert(0, "id", [f"p{i:03d}" for i in range(300)])
    frame["label"] = ["a", "b", "c"] * 100
    return frame


@pytest.fixture
def target_matrix(rng) -> np.ndarray:
    return (rng.normal(size=(40, 3)) + 0.5).astype(np.float32)


@pytest.fixture
def target_frame(target_matrix) -> pd.DataFrame:
    """Named differently from the pool, with an id column first and a text column last."""
    frame = pd.DataFrame(target_matrix, columns=["a", "b", "c"])
    frame.insert(0, "doc_id", np.arange(100, 140))
    frame["text"] = [f"sentence {i}" for i in range(40)]
    return frame


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------------------------------
# prepare_vectors


@pytest.mark.parametrize("pool_kind", ["parquet", "csv"], ids=["parquet-pool", "csv-pool"])
def test_named_pool_and_bare_target_match_by_position(tmp_path, pool_frame, target_matrix, pool_kind, caplog):
    pool = read_data(write(pool_frame, tmp_path / f"pool.{pool_kind}"))
    np.save(tmp_path / "target.npy", target_matrix)
    target = read_data(tmp_path / "target.npy")
    with caplog.at_level(logging.INFO, logger="gio_core.io.vectors"):
        prepared = prepare_vectors(pool, target, k=5)
    np.testing.assert_allclose(prepared.pool, pool_frame[["f0", "f1", "f2"]].to_numpy(), rtol=1e-6)
    np.testing.assert_array_equal(prepared.target, target_matrix)
    assert prepared.matched_by_position
    assert prepared.source == "columns" and prepared.columns == ("f0", "f1", "f2")
    assert prepared.description == f"3 numeric columns (f0, f1, f2); {NOTE} (target.npy has no column names)"
    assert any(
        "target.npy is a bare array: its 3 columns are matched to" in record.getMessage()
        and record.levelno == logging.INFO
        for record in caplog.records
    )


@pytest.mark.parametrize("target_kind", ["csv", "parquet"], ids=["csv-target", "parquet-target"])
def test_bare_pool_and_named_target_match_by_position(tmp_path, rng, target_frame, target_matrix, target_kind):
    pool_matrix = rng.normal(size=(200, 3)).astype(np.float32)
    np.save(tmp_path / "pool.npy", pool_matrix)
    pool = read_data(tmp_path / "pool.npy")
    target = read_data(write(target_frame, tmp_path / f"target.{target_kind}"))
    prepared = prepare_vectors(pool, target)
    np.testing.assert_array_equal(prepared.pool, pool_matrix)
    np.testing.assert_allclose(prepared.target, target_matrix, rtol=1e-6)  # doc_id and text left out
    assert prepared.source == "array" and prepared.matched_by_position
    assert prepared.description == (f"npy array (3-d); {NOTE} (target.{target_kind}: 3 numeric columns (a, b, c))")


def test_named_columns_are_matched_in_the_order_given(tmp_path, pool_frame, rng):
    pool = read_data(write(pool_frame, tmp_path / "pool.parquet"))
    np.save(tmp_path / "target.npy", rng.normal(size=(10, 2)))
    prepared = prepare_vectors(pool, read_data(tmp_path / "target.npy"), columns=["f2", "f0"])
    np.testing.assert_allclose(prepared.pool, pool_frame[["f2", "f0"]].to_numpy(), rtol=1e-6)
    assert prepared.choice()["columns"] == ["f2", "f0"]
    # the same choice from the other side: the table's columns, the array whole
    swapped = prepare_vectors(read_data(tmp_path / "target.npy"), pool, columns=["f2", "f0"])
    np.testing.assert_allclose(swapped.target, pool_frame[["f2", "f0"]].to_numpy(), rtol=1e-6)


def test_npz_target_and_vector_column_pool(tmp_path, rng):
    vectors = rng.normal(size=(50, 4)).astype(np.float32)
    pool = read_data(write(pd.DataFrame({"id": range(50), "emb": list(vectors)}), tmp_path / "pool.parquet"))
    np.savez(tmp_path / "target.npz", vectors=vectors[:10], ids=np.arange(10))
    prepared = prepare_vectors(pool, read_data(tmp_path / "target.npz"))
    assert prepared.source == "vector_column" and prepared.vector_column == "emb"
    assert prepared.description == f"vector column `emb` (4-d); {NOTE} (target.npz has no column names)"
    np.testing.assert_array_equal(prepared.target, vectors[:10])


def test_headerless_csv_target_matches_a_named_pool_by_position(tmp_path, pool_frame, target_matrix):
    pool = read_data(write(pool_frame, tmp_path / "pool.parquet"))
    lines = "\n".join(",".join(f"{value:.6f}" for value in row) for row in target_matrix)
    target = read_data(lines.encode(), name="plain.csv")
    assert target.headerless and not target.has_column_names
    prepared = prepare_vectors(pool, target)
    assert prepared.matched_by_position
    np.testing.assert_allclose(prepared.target, target_matrix, atol=1e-6)


def test_two_named_files_still_match_by_name(tmp_path, pool_frame, target_frame):
    pool = read_data(write(pool_frame, tmp_path / "pool.parquet"))
    target = read_data(write(target_frame, tmp_path / "target.csv"))
    with pytest.raises(DataError, match=r"target.csv lacks column\(s\) f0, f1, f2 that pool.parquet uses"):
        prepare_vectors(pool, target)


def test_two_arrays_need_no_note(tmp_path, rng):
    np.save(tmp_path / "a.npy", rng.normal(size=(20, 3)))
    np.save(tmp_path / "b.npy", rng.normal(size=(20, 3)))
    prepared = prepare_vectors(read_data(tmp_path / "a.npy"), read_data(tmp_path / "b.npy"))
    assert not prepared.matched_by_position and NOTE not in prepared.description


@pytest.mark.parametrize("bare_side", ["target", "pool"], ids=["bare-target", "bare-pool"])
def test_widths_that_disagree_are_refused_in_one_line(tmp_path, pool_frame, rng, bare_side):
    named = read_data(write(pool_frame, tmp_path / "named.parquet"))
    np.save(tmp_path / "bare.npy", rng.normal(size=(20, 4)))
    bare = read_data(tmp_path / "bare.npy")
    pool, target = (named, bare) if bare_side == "target" else (bare, named)
    with pytest.raises(
        DataError,
        match=r"^bare.npy is a bare array with 4 columns, matched by position to the 3 "
        r"vector dimensions of named.parquet \(3 numeric columns \(f0, f1, f2\)\), so "
        r"the widths must agree; save bare.npy with 3 columns\.$",
    ) as caught:
        prepare_vectors(pool, target)
    assert caught.value.code == "dimension" and "\n" not in str(caught.value)


def test_width_message_offers_columns_when_there_are_enough(tmp_path, pool_frame, rng):
    named = read_data(write(pool_frame, tmp_path / "named.csv"))
    np.save(tmp_path / "bare.npy", rng.normal(size=(20, 2)))
    with pytest.raises(
        DataError,
        match=r"name 2 of named.csv's numeric columns, in bare.npy's order \(columns=\), "
        r"or save bare.npy with 3 columns",
    ):
        prepare_vectors(named, read_data(tmp_path / "bare.npy"))


def test_text_only_table_cannot_be_matched_to_an_array(tmp_path, rng):
    named = read_data(b"id,text\n1,hello there\n2,good bye\n", name="words.csv")
    np.save(tmp_path / "bare.npy", rng.normal(size=(20, 2)))
    with pytest.raises(
        DataError,
        match=r"words.csv has no numeric or vector columns \(only text, such as `text`\), so "
        r"it cannot be matched by position",
    ):
        prepare_vectors(read_data(tmp_path / "bare.npy"), named)


def test_columns_missing_from_the_named_file_are_named(tmp_path, pool_frame, rng):
    named = read_data(write(pool_frame, tmp_path / "pool.csv"))
    np.save(tmp_path / "bare.npy", rng.normal(size=(20, 2)))
    with pytest.raises(DataError, match=r"pool.csv has no column `nope` \(for the vector columns\)"):
        prepare_vectors(named, read_data(tmp_path / "bare.npy"), columns=["f0", "nope"])


# --------------------------------------------------------------------------------------------------
# Parquet shards (the pipeline's path for folders and the Spark engine)


def test_shard_pool_with_a_headerless_target(tmp_path, pool_frame, target_matrix):
    (tmp_path / "shards").mkdir()
    write(pool_frame.iloc[:150], tmp_path / "shards" / "part-0.parquet")
    write(pool_frame.iloc[150:], tmp_path / "shards" / "part-1.parquet")
    dataset = open_parquet_dataset(tmp_path / "shards")
    spec = dataset_vectors(dataset)
    lines = "\n".join(",".join(f"{value:.6f}" for value in row) for row in target_matrix)
    target = read_data(lines.encode(), name="plain.csv")
    vectors, rows, dropped = target_vectors(target, spec, pool_name=dataset.name, k=5)
    np.testing.assert_allclose(vectors, target_matrix, atol=1e-6)
    assert dropped == 0 and len(rows) == 40
    assert spec.description_for(target) == f"3 numeric columns (f0, f1, f2); {NOTE} (plain.csv has no column names)"
    named = read_data(write(pd.DataFrame(target_matrix, columns=["f0", "f1", "f2"]), tmp_path / "t.csv"))
    assert spec.description_for(named) == spec.description


def test_shard_pool_refuses_a_narrower_array(tmp_path, pool_frame, rng):
    write(pool_frame, tmp_path / "part-0.parquet")
    dataset = open_parquet_dataset(str(tmp_path / "*.parquet"))
    np.save(tmp_path / "target.npy", rng.normal(size=(20, 2)))
    with pytest.raises(
        DataError,
        match=r"target.npy is a bare array with 2 columns, matched by position to the 3 "
        r"vector dimensions of .*, so the widths must agree; name 2 of .* numeric "
        r"columns",
    ) as caught:
        target_vectors(read_data(tmp_path / "target.npy"), dataset_vectors(dataset), pool_name=dataset.name)
    assert caught.value.code == "dimension"


# --------------------------------------------------------------------------------------------------
# The command line, end to end


@pytest.mark.parametrize(
    "pool_name, target_name, clusters",
    [
        ("pool.parquet", "target.npy", None),
        ("pool.parquet", "target.npy", 20),
        ("pool.npy", "target.csv", None),
        ("pool.npy", "target.csv", 20),
    ],
    ids=["parquet-npy", "parquet-npy-clusters", "npy-csv", "npy-csv-clusters"],
)
def test_cli_selects_with_mixed_inputs(
    tmp_path, pool_frame, target_frame, target_matrix, capsys, pool_name, target_name, clusters
):
    write(pool_frame, tmp_path / "pool.parquet")
    np.save(tmp_path / "pool.npy", pool_frame[["f0", "f1", "f2"]].to_numpy())
    np.save(tmp_path / "target.npy", target_matrix)
    write(target_frame, tmp_path / "target.csv")
    out = tmp_path / "sel.csv"
    arguments = [
        "select",
        "--pool",
        str(tmp_path / pool_name),
        "--target",
        str(tmp_path / target_name),
        "--out",
        str(out),
        "--seed",
        "3",
    ] + (["--clusters", str(clusters)] if clusters else [])
    status = main(arguments)
    err = capsys.readouterr().err
    assert status == 0, err
    assert NOTE in err
    selection = pd.read_csv(out)
    assert len(selection) >= 1 and selection["gio_rank"].tolist() == list(range(1, len(selection) + 1))
    rows = selection["gio_row"].to_numpy()
    if pool_name == "pool.parquet":
        assert list(selection.columns[:5]) == ["id", "f0", "f1", "f2", "label"]
        assert selection["id"].tolist() == pool_frame["id"].iloc[rows].tolist()
    else:
        assert list(selection.columns[:3]) == ["dim_0", "dim_1", "dim_2"]
        np.testing.assert_allclose(
            selection[["dim_0", "dim_1", "dim_2"]].to_numpy(),
            pool_frame[["f0", "f1", "f2"]].to_numpy()[rows],
            rtol=1e-6,
        )
    assert ("gio_cluster" in selection.columns) == bool(clusters)


def test_cli_refuses_mismatched_widths_in_one_line(tmp_path, pool_frame, rng, capsys):
    write(pool_frame, tmp_path / "pool.parquet")
    np.save(tmp_path / "target.npy", rng.normal(size=(30, 5)))
    status = main(
        [
            "select",
            "--pool",
            str(tmp_path / "pool.parquet"),
            "--target",
            str(tmp_path / "target.npy"),
            "--out",
            str(tmp_path / "sel.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert status != 0
    assert "target.npy is a bare array with 5 columns, matched by position to the 3 vector dimensions" in err
    assert not (tmp_path / "sel.csv").exists()


# --------------------------------------------------------------------------------------------------
# Big inputs read in pieces


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_float64_npy_is_converted_in_chunks(tmp_path, rng):
    matrix = rng.normal(size=(200_000, 16))  # 25.6 MB of float64, several chunks
    path = (tmp_path / "pool64.npy").resolve()
    np.save(path, matrix)
    data = read_data(path)
    assert isinstance(data.array, np.memmap) and data.array.dtype == np.float64
    vectors = extract_vectors(data)
    assert vectors.dtype == np.float32 and vectors.flags.c_contiguous
    np.testing.assert_array_equal(vectors, np.load(path).astype(np.float32))  # identical to a whole read
    # the float64 pages were handed back chunk by chunk: the map does not hold the file
    assert mapped_resident_bytes(path) < path.stat().st_size // 4


def test_float64_npy_from_bytes_is_a_view_of_them(tmp_path, rng):
    matrix = rng.normal(size=(500, 6))
    np.save(tmp_path / "x.npy", matrix)
    raw = (tmp_path / "x.npy").read_bytes()
    data = read_data(raw, name="x.npy")
    assert np.shares_memory(data.array, np.frombuffer(raw, dtype=np.uint8))  # no second copy of an upload
    np.testing.assert_array_equal(extract_vectors(data), matrix.astype(np.float32))
    fortran = tmp_path / "f.npy"
    np.save(fortran, np.asfortranarray(matrix))
    np.testing.assert_array_equal(read_data(fortran.read_bytes(), name="f.npy").array, matrix)


@pytest.fixture
def wide_parquet(tmp_path, rng) -> tuple[Path, pd.DataFrame]:
    """40 float64 columns (one NaN, one null) around an id, a label and a list column, in four row groups."""
    n = 1000
    frame = pd.DataFrame(rng.normal(size=(n, 40)), columns=[f"d{i}" for i in range(40)])
    frame.insert(0, "id", [f"r{i}" for i in range(n)])
    frame.insert(6, "label", rng.integers(0, 3, n))
    frame["extra"] = list(rng.normal(size=(n, 2)))
    frame.loc[3, "d7"] = np.nan
    frame.index = pd.RangeIndex(10, 10 + n)
    table = pa.Table.from_pandas(frame)
    table = table.set_column(
        table.schema.get_field_index("d9"), "d9", pa.array(frame["d9"].where(frame.index != 15), from_pandas=True)
    )
    path = tmp_path / "wide.parquet"
    pq.write_table(table, path, row_group_size=300)
    return path, pq.read_table(path).to_pandas()


def test_wide_parquet_read_in_pieces_gives_identical_vectors(wide_parquet, monkeypatch):
    path, expected = wide_parquet
    names = [f"d{i}" for i in range(40)]
    monkeypatch.setattr(data_module, "_PARQUET_READ_VALUES", 2_000)  # several reads per row group

    def whole_file(*args, **kwargs):
        raise AssertionError("the whole file was read at once")

    monkeypatch.setattr(pq, "read_table", whole_file)
    data = read_data(path)
    assert data.columns == [str(column) for column in expected.columns]  # order kept, the index restored
    assert data.frame.index.equals(expected.index)
    vectors = extract_vectors(data, columns=names)
    np.testing.assert_array_equal(vectors, expected[names].to_numpy(dtype=np.float32), strict=True)
    assert np.isnan(vectors[3, 7]) and np.isnan(vectors[5, 9])  # NaN and null alike
    # the frame's columns are the vectors, not a second copy of them; the vectors cannot be changed through it
    assert np.shares_memory(vectors, data.frame["d0"].to_numpy())
    assert not vectors.flags.writeable
    for column in ("id", "label"):
        assert data.frame[column].tolist() == expected[column].tolist()
    np.testing.assert_array_equal(np.stack(data.frame["extra"]), np.stack(expected["extra"]))
    from_bytes = read_data(path.read_bytes(), name="wide.parquet")
    np.testing.assert_array_equal(extract_vectors(from_bytes, columns=names), vectors)


def test_wide_parquet_subset_and_reordered_columns(wide_parquet):
    path, expected = wide_parquet
    data = read_data(path)
    chosen = ["d5", "d1", "label"]
    np.testing.assert_array_equal(extract_vectors(data, columns=chosen), expected[chosen].to_numpy(dtype=np.float32))
    np.testing.assert_array_equal(
        extract_vectors(data, columns=["d3", "d2"]), expected[["d3", "d2"]].to_numpy(dtype=np.float32)
    )


def test_narrow_parquet_keeps_float64(tmp_path):
    frame = pd.DataFrame({"price": [1234567.891, 2.5], "name": ["a", "b"]})
    frame.to_parquet(tmp_path / "n.parquet", index=False)
    data = read_data(tmp_path / "n.parquet")
    assert data.column_block is None
    assert data.frame["price"].tolist() == [1234567.891, 2.5]


def test_parquet_footer_promising_more_rows_is_refused(tmp_path, monkeypatch):
    frame = pd.DataFrame(np.ones((10, 40)), columns=[f"d{i}" for i in range(40)])
    frame.to_parquet(tmp_path / "w.parquet", index=False)
    real = pq.ParquetFile.read_row_group

    def short_read(self, group, *args, **kwargs):
        return real(self, group, *args, **kwargs).slice(0, 5)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", short_read)
    with pytest.raises(
        DataError,
        match=r"w.parquet could not be read as Parquet \(row group 0 holds 5 rows, its "
        r"footer says 10\); the file is damaged or truncated",
    ):
        read_data(tmp_path / "w.parquet")


def test_columns_of_a_headerless_pool_are_its_own(tmp_path, target_frame, target_matrix, rng):
    """A run manifest names a headerless pool's columns (0, 1, 2): the named target keeps its default columns."""
    pool_matrix = rng.normal(size=(30, 3))
    lines = "\n".join(",".join(f"{value:.6f}" for value in row) for row in pool_matrix)
    pool = read_data(lines.encode(), name="plain.csv")
    target = read_data(write(target_frame, tmp_path / "target.csv"))
    prepared = prepare_vectors(pool, target)
    assert prepared.source == "columns" and prepared.columns == ("0", "1", "2") and prepared.matched_by_position
    again = prepare_vectors(pool, target, **{key: value for key, value in prepared.choice().items() if value})
    np.testing.assert_array_equal(again.target, prepared.target)
    np.testing.assert_allclose(again.target, target_matrix, rtol=1e-6)


# --------------------------------------------------------------------------------------------------
# The app: a table and a bare array given together


@pytest.mark.parametrize(
    "pool_name, target_name",
    [("pool.csv", "target.npy"), ("pool.npy", "target.parquet")],
    ids=["table-pool", "array-pool"],
)
def test_app_matches_a_bare_array_by_position(tmp_path, monkeypatch, pool_name, target_name):
    from streamlit.testing.v1 import AppTest

    rng = np.random.default_rng(2)
    for name, rows in ((pool_name, 300), (target_name, 40)):
        values = rng.normal(size=(rows, 3)).astype(np.float32)
        if name.endswith(".npy"):
            np.save(tmp_path / name, values)
        else:
            frame = pd.DataFrame(values, columns=["f0", "f1", "f2"])
            frame.to_csv(tmp_path / name, index=False) if name.endswith(".csv") else frame.to_parquet(tmp_path / name)
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.session_state["data_source"] = "Upload files"
    at.run()
    at.text_input(key="pool_path").input(pool_name).run()
    at.text_input(key="target_path").input(target_name).run()
    assert not at.exception and not at.error, [item.value for item in at.error]
    nameless = pool_name if pool_name.endswith(".npy") else target_name
    assert any(
        f"{nameless} has no column names: its columns are matched by position" in item.value for item in at.caption
    ), [item.value for item in at.caption]
    assert any("matched to the pool's by position" in item.value for item in at.caption)


@pytest.mark.parametrize("choice", [["--columns", "f3", "f1", "f0"], []], ids=["named-columns", "default"])
def test_a_bare_pool_run_reruns_from_its_manifest(tmp_path, rng, choice, capsys):
    """The target's columns named for a bare pool are recorded, so ``--manifest`` repeats the same choice (it
    used to be dropped: the rerun matched all of the target's columns and refused the widths)."""
    np.save(tmp_path / "pool.npy", rng.normal(size=(120, 3 if choice else 5)).astype(np.float32))
    target = pd.DataFrame(rng.normal(size=(30, 5)), columns=[f"f{i}" for i in range(5)])
    target.insert(0, "name", [f"t{i}" for i in range(30)])
    target.to_csv(tmp_path / "target.csv", index=False)
    assert (
        main(
            [
                "select",
                "--pool",
                str(tmp_path / "pool.npy"),
                "--target",
                str(tmp_path / "target.csv"),
                "--out",
                str(tmp_path / "a.csv"),
                "--max-iter",
                "8",
                *choice,
            ]
        )
        == 0
    )
    capsys.readouterr()
    status = main(["select", "--manifest", str(tmp_path / "a.manifest.json"), "--out", str(tmp_path / "b.csv")])
    err = capsys.readouterr().err
    assert status == 0 and "reproduced the manifest's selection exactly" in err, err
    if choice:
        assert "3 numeric columns (f3, f1, f0)" in err
