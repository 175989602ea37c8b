"""The gio-studio command line (gio_core.cli)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gio_core import GIOSelector
from gio_core._version import __version__
from gio_core.cli import main
from gio_core.cli.select import ProgressBar
from gio_core.io.read import read_data

ROOT = Path(__file__).resolve().parents[1]
ASSET = ROOT / "assets" / "text"


@pytest.fixture
def files(tmp_path, rng):
    pool = pd.DataFrame(rng.normal(size=(200, 3)).round(5), columns=["a", "b", "c"])
    pool.insert(0, "id", [f"r{i:03d}" for i in range(200)])
    pool["note"] = ['=HYPERLINK("http://x")' if i % 5 == 0 else f"note {i}" for i in range(200)]
    target = pd.DataFrame(rng.normal(loc=0.5, size=(40, 3)).round(5), columns=["a", "b", "c"])
    pool.to_csv(tmp_path / "pool.csv", index=False)
    target.to_csv(tmp_path / "target.csv", index=False)
    return tmp_path


def run(arguments, capsys):
    status = main([str(argument) for argument in arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_select_writes_selection_and_manifest(files, capsys):
    status, out, err = run(
        [
            "select",
            "--pool",
            files / "pool.csv",
            "--target",
            files / "target.csv",
            "--out",
            files / "sel.csv",
            "--max-iter",
            "12",
            "--seed",
            "4",
        ],
        capsys,
    )
    assert status == 0, err
    assert out == ""
    assert "vectors: 3 numeric columns (a, b, c)" in err
    selection = pd.read_csv(files / "sel.csv", dtype=str, keep_default_na=False)
    assert list(selection.columns) == ["id", "a", "b", "c", "note", "gio_rank", "gio_row"]
    assert selection["gio_rank"].tolist() == [str(i) for i in range(1, len(selection) + 1)]
    assert 1 <= len(selection) <= 12
    for row, note in zip(selection["gio_row"].astype(int), selection["note"]):
        assert note == ('\'=HYPERLINK("http://x")' if row % 5 == 0 else f"note {row}")  # escaped formulas
    manifest = json.loads((files / "sel.manifest.json").read_text())
    assert manifest["seed"] == 4 and manifest["params"]["max_iter"] == 12
    assert set(GIOSelector().get_params()) - {"random_state"} <= set(manifest["params"])  # every parameter
    assert manifest["inputs"]["pool"]["sha256"] == read_data(files / "pool.csv").sha256
    assert manifest["selection"]["rows"] == len(selection)

    # the same selection as the Python API gives
    pool, target = read_data(files / "pool.csv"), read_data(files / "target.csv")
    from gio_core.io.vectors import prepare_vectors

    prepared = prepare_vectors(pool, target)
    selector = GIOSelector(max_iter=12, random_state=4).fit(prepared.pool, prepared.target)
    assert selection["gio_row"].astype(int).tolist() == selector.selected_indices_.tolist()


def test_manifest_rerun_reproduces_exactly(files, capsys):
    first = [
        "select",
        "--pool",
        files / "pool.csv",
        "--target",
        files / "target.csv",
        "--out",
        files / "one.csv",
        "--k",
        "3",
        "--max-iter",
        "20",
        "--v-init",
        "jump",
        "--clusters",
        "40",
        "--seed",
        "11",
    ]
    assert run(first, capsys)[0] == 0
    status, _, err = run(["select", "--manifest", files / "one.manifest.json", "--out", files / "two.csv"], capsys)
    assert status == 0, err
    assert "reproduced the manifest's selection exactly" in err
    assert (files / "one.csv").read_bytes() == (files / "two.csv").read_bytes()
    one = json.loads((files / "one.manifest.json").read_text())
    two = json.loads((files / "two.manifest.json").read_text())
    assert one["result"] == two["result"] and one["params"] == two["params"] and one["vectors"] == two["vectors"]
    assert "gio_cluster" in pd.read_csv(files / "one.csv").columns


def test_manifest_rerun_finds_moved_inputs_and_rejects_changed_ones(files, tmp_path_factory, capsys):
    assert (
        run(
            [
                "select",
                "--pool",
                files / "pool.csv",
                "--target",
                files / "target.csv",
                "--out",
                files / "a.csv",
                "--max-iter",
                "5",
            ],
            capsys,
        )[0]
        == 0
    )
    moved = tmp_path_factory.mktemp("moved")
    for name in ("pool.csv", "target.csv", "a.manifest.json"):
        shutil.copy(files / name, moved / name)
    (files / "pool.csv").unlink()
    (files / "target.csv").unlink()
    status, _, err = run(["select", "--manifest", moved / "a.manifest.json", "--out", moved / "b.csv"], capsys)
    assert status == 0, err  # found beside the manifest
    changed = moved / "pool.csv"
    changed.write_text(changed.read_text().replace("r001", "x001"))
    status, _, err = run(["select", "--manifest", moved / "a.manifest.json", "--out", moved / "c.csv"], capsys)
    assert status == 2
    assert "pool.csv is not the pool file the manifest was made with" in err


def test_manifest_from_the_app_with_pool_sample_start(files, capsys):
    """The app records start='pool_sample' (random_init_pct > 0, init=None); a rerun keeps that start."""
    assert (
        run(
            [
                "select",
                "--pool",
                files / "pool.csv",
                "--target",
                files / "target.csv",
                "--out",
                files / "a.csv",
                "--max-iter",
                "8",
                "--random-init-pct",
                "0.1",
            ],
            capsys,
        )[0]
        == 0
    )
    manifest_path = files / "a.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["params"]["start"] = "pool_sample"
    manifest_path.write_text(json.dumps(manifest))
    status, _, err = run(["select", "--manifest", manifest_path, "--out", files / "b.csv"], capsys)
    assert status == 0 and "reproduced the manifest's selection exactly" in err


def test_manifest_cannot_be_combined_with_settings(files, capsys):
    assert (
        run(
            [
                "select",
                "--pool",
                files / "pool.csv",
                "--target",
                files / "target.csv",
                "--out",
                files / "a.csv",
                "--max-iter",
                "5",
            ],
            capsys,
        )[0]
        == 0
    )
    status, _, err = run(
        ["select", "--manifest", files / "a.manifest.json", "--out", files / "b.csv", "--k", "3"], capsys
    )
    assert status == 2 and "--k cannot be combined with --manifest" in err


def test_text_column_on_bundled_asset(tmp_path, capsys):
    status, _, err = run(
        [
            "select",
            "--pool",
            ASSET / "pool.csv",
            "--target",
            ASSET / "target.csv",
            "--out",
            tmp_path / "sel.parquet",
            "--text-column",
            "text",
            "--text-model",
            "tfidf",
            "--max-iter",
            "30",
        ],
        capsys,
    )
    assert status == 0, err
    assert "text column `text` embedded with tfidf" in err
    assert "text model: tfidf (built in)" in err
    selection = pd.read_parquet(tmp_path / "sel.parquet")
    assert list(selection.columns) == ["id", "text", "is_clean", "sentence_id", "gio_rank", "gio_row"]
    assert selection["is_clean"].mean() > 0.5  # the built-in model prefers the clean sentences


def test_vector_column_on_bundled_parquet(tmp_path, capsys):
    status, _, err = run(
        [
            "select",
            "--pool",
            ASSET / "pool.parquet",
            "--target",
            ASSET / "target.parquet",
            "--out",
            tmp_path / "sel.csv",
            "--vector-column",
            "minilm",
            "--max-iter",
            "10",
            "--quiet",
        ],
        capsys,
    )
    assert status == 0 and err == ""
    selection = read_data(tmp_path / "sel.csv")
    assert selection.frame["minilm"].str.startswith("[").all()  # vectors travel as "[...]" text
    assert len(selection.frame) <= 10


def test_drop_nonfinite_maps_rows_back_to_the_file(tmp_path, capsys):
    rows = ["x,y"] + [f"{i},{i % 7}" for i in range(60)]
    rows[3] = "nan,1"
    rows[10] = "5,inf"
    (tmp_path / "pool.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "target.csv").write_text("x,y\n" + "".join(f"{i},{i % 5}\n" for i in range(0, 60, 4)))
    arguments = [
        "select",
        "--pool",
        tmp_path / "pool.csv",
        "--target",
        tmp_path / "target.csv",
        "--out",
        tmp_path / "sel.csv",
        "--max-iter",
        "40",
    ]
    status, _, err = run(arguments, capsys)
    assert status == 2 and "2 of 60 rows have NaN" in err and "--drop-nonfinite" in err
    status, _, err = run(arguments + ["--drop-nonfinite"], capsys)
    assert status == 0, err
    assert "dropped 2 pool and 0 target rows" in err
    selection = pd.read_csv(tmp_path / "sel.csv")
    pool = pd.read_csv(tmp_path / "pool.csv")
    assert not set(selection["gio_row"]) & {2, 9}
    np.testing.assert_array_equal(
        pool.loc[selection["gio_row"], ["x", "y"]].to_numpy(), selection[["x", "y"]].to_numpy()
    )


def test_out_dash_writes_csv_to_stdout(files, capsys):
    status, out, _ = run(
        [
            "select",
            "--pool",
            files / "pool.csv",
            "--target",
            files / "target.csv",
            "--out",
            "-",
            "--max-iter",
            "3",
            "-q",
        ],
        capsys,
    )
    assert status == 0
    assert out.splitlines()[0] == "id,a,b,c,note,gio_rank,gio_row"


def test_columns_option_comma_or_space(files, capsys):
    for columns in (["a,b"], ["a", "b"]):
        status, _, err = run(
            [
                "select",
                "--pool",
                files / "pool.csv",
                "--target",
                files / "target.csv",
                "--out",
                files / "s.csv",
                "--max-iter",
                "3",
                "--columns",
                *columns,
            ],
            capsys,
        )
        assert status == 0 and "2 numeric columns (a, b)" in err


def test_empty_start(files, capsys):
    status, _, err = run(
        [
            "select",
            "--pool",
            files / "pool.csv",
            "--target",
            files / "target.csv",
            "--out",
            files / "s.csv",
            "--max-iter",
            "3",
            "--start",
            "empty",
        ],
        capsys,
    )
    assert status == 0, err
    assert json.loads((files / "s.manifest.json").read_text())["params"]["start"] == "empty"


def test_paper_flag_sets_grad_info_opt_values_and_the_uniform_start(files, capsys):
    from gio_core import PAPER_GIO_PARAMS

    status, _, err = run(
        [
            "select",
            "--pool",
            files / "pool.csv",
            "--target",
            files / "target.csv",
            "--out",
            files / "p.csv",
            "--paper",
            "--max-iter",
            "7",
        ],
        capsys,
    )
    assert status == 0, err
    params = json.loads((files / "p.manifest.json").read_text())["params"]
    assert params["start"] == "uniform" and params["max_iter"] == 7  # an explicit option still applies
    for name, value in PAPER_GIO_PARAMS.items():
        if name != "max_iter":
            assert params[name] == value, name
    # the same run through the Python API, with the paper's uniform start
    from gio_core.io.vectors import prepare_vectors

    prepared = prepare_vectors(read_data(files / "pool.csv"), read_data(files / "target.csv"))
    selector = GIOSelector(**{**PAPER_GIO_PARAMS, "max_iter": 7}, random_state=0).fit(prepared.pool, prepared.target)
    selection = pd.read_csv(files / "p.csv")
    assert selection["gio_row"].tolist() == selector.selected_indices_.tolist()


def test_uniform_start_uses_the_papers_twenty_points_unless_told(files, capsys):
    for extra, size in (([], 20), (["--uniform-start-size", "5"], 5)):
        status, _, err = run(
            [
                "select",
                "--pool",
                files / "pool.csv",
                "--target",
                files / "target.csv",
                "--out",
                files / "u.csv",
                "--max-iter",
                "3",
                "--start",
                "uniform",
                *extra,
            ],
            capsys,
        )
        assert status == 0, err
        assert json.loads((files / "u.manifest.json").read_text())["params"]["uniform_start_size"] == size


def test_optional_float_and_choice_options(files, capsys):
    status, _, err = run(
        [
            "select",
            "--pool",
            files / "pool.csv",
            "--target",
            files / "target.csv",
            "--out",
            files / "o.csv",
            "--max-iter",
            "3",
            "--trust-radius",
            "none",
            "--objective",
            "averaged",
            "--step-rule",
            "plain",
        ],
        capsys,
    )
    assert status == 0, err
    params = json.loads((files / "o.manifest.json").read_text())["params"]
    assert params["trust_radius"] is None and params["objective"] == "averaged" and params["step_rule"] == "plain"


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["--k", "0"], "k must be at least 1; got 0"),
        (["--stop-criterion", "never"], "invalid choice: 'never'"),
        (["--lr", "fast"], "argument --lr: invalid float value"),
        (["--resets-allowed", "maybe"], "argument --resets-allowed"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--objective", "exact"], "argument --objective: invalid choice: 'exact'"),
        (["--explode", "some"], "argument --explode: invalid choice: 'some'"),
        (["--trust-radius", "wide"], "'wide' is not a number (or 'none')"),
        (["--columns", "a", "--text-column", "note"], "--columns and --text-column are different ways"),
        (["--columns", "a", "--text-model", "tfidf"], "--text-model applies to text columns"),
        (["--columns", "zzz"], "pool.csv has no column `zzz`"),
        (["--max-bytes", "huge"], "size 'huge' is not understood"),
        (["--clusters", "5000"], "--clusters 5000 is larger than the 200 rows of the pool"),
        (["--k", "50"], "target.csv has 40 target row(s); k=50 needs at least k+1=51"),
    ],
    ids=[
        "k",
        "stop",
        "lr",
        "bool",
        "unknown",
        "objective",
        "explode",
        "trust",
        "two-sources",
        "text-model",
        "column",
        "size",
        "clusters",
        "k-rows",
    ],
)
def test_bad_arguments_exit_2_with_one_line(files, capsys, arguments, message):
    status, _, err = run(
        [
            "select",
            "--pool",
            files / "pool.csv",
            "--target",
            files / "target.csv",
            "--out",
            files / "s.csv",
            *arguments,
        ],
        capsys,
    )
    assert status == 2
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("gio-studio"), err  # progress lines may come before it
    assert message in errors[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["select", "--target", "t.csv", "--out", "o.csv"], "--pool is required"),
        (["select", "--pool", "p.csv", "--target", "t.csv"], "--out is required"),
        (["select", "--pool", "p.csv", "--target", "t.csv", "--out", "o.xlsx"], "the export writes .csv"),
        (["select", "--pool", "p.csv", "--target", "t.csv", "--out", "/no/such/folder/o.csv"], "does not exist"),
        (["select", "--manifest", "/no/such.json", "--out", "o.csv"], "no such manifest file"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
    ids=["pool", "out", "extension", "folder", "manifest", "command"],
)
def test_usage_errors(arguments, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(arguments, capsys)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


def test_no_command_prints_help(capsys):
    status, _, err = run([], capsys)
    assert status == 2 and "select" in err and "app" in err


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"gio-studio {__version__}"
    assert main(["select", "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "gio-studio select --pool" in text
    for flag in (
        "--pool",
        "--target",
        "--out",
        "--columns",
        "--vector-column",
        "--text-column",
        "--text-model",
        "--clusters",
        "--k",
        "--seed",
        "--manifest",
        "--quiet",
        "--max-bytes",
        "--drop-nonfinite",
    ):
        assert flag in text
    for name in GIOSelector().get_params():  # every GIOSelector parameter has an option
        if name != "random_state":
            assert f"--{name.replace('_', '-')}" in text, name
    assert main(["app", "--help"]) == 0
    assert "streamlit" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert "examples:" in capsys.readouterr().out


def test_help_shows_engine_defaults(capsys):
    assert main(["select", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    defaults = GIOSelector().get_params()
    assert f"(default: {defaults['max_iter']!r})" in text


def test_progress_bar_draws_only_when_enabled():
    import io

    stream = io.StringIO()
    bar = ProgressBar(enabled=False, stream=stream)
    bar("selecting", 5, 10)
    bar.close()
    assert stream.getvalue() == ""
    bar = ProgressBar(enabled=True, stream=stream)
    bar("selecting", 10, 10, "KL 0.5")
    bar.close()
    assert "selecting" in stream.getvalue() and "10/10" in stream.getvalue() and stream.getvalue().endswith("\n")


def test_console_script_runs_without_a_tty(files):
    script = Path(sys.executable).parent / "gio-studio"
    if not script.exists():
        pytest.skip("the gio-studio console script is not installed in this environment")
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.strip() == f"gio-studio {__version__}"
    result = subprocess.run(
        [
            str(script),
            "select",
            "--pool",
            str(files / "pool.csv"),
            "--target",
            str(files / "target.csv"),
            "--out",
            str(files / "s.csv"),
            "--max-iter",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    assert "wrote" in result.stderr
    bad = subprocess.run(
        [
            str(script),
            "select",
            "--pool",
            str(files / "nope.csv"),
            "--target",
            str(files / "target.csv"),
            "--out",
            str(files / "s.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"gio-studio: error: nope.csv: no such file ({files / 'nope.csv'}); check the path."
    ]


# ------------------------------------------------------------------ a target made of rows of the pool file


def _from_pool_manifest(files, rows) -> Path:
    """A manifest whose target is ``rows`` of pool.csv, made through the Python API, with the split recorded
    where the app records it ("app"), not where the pipeline does."""
    from gio_core.pipeline.pipeline import run_selection

    path = files / "app.manifest.json"
    run_selection(
        files / "pool.csv",
        None,
        files / "first.csv",
        manifest_out=path,
        seed=3,
        params={"max_iter": 12, "n_clusters": 30},
        target_from_pool={"rows": rows, "how": "boxed or lassoed on the map"},
    )
    manifest = json.loads(path.read_text())
    manifest["app"] = {"source": "upload", "target_from_pool": manifest.pop("target_from_pool")}
    path.write_text(json.dumps(manifest))
    return path


def test_a_manifest_whose_target_is_pool_rows_reruns_with_the_pool_file_alone(files, capsys):
    rows = list(range(0, 200, 5))  # 40 rows become the target and leave the pool
    manifest_path = _from_pool_manifest(files, rows)
    status, _, err = run(["select", "--manifest", manifest_path, "--out", files / "again.csv"], capsys)
    assert status == 0 and "reproduced the manifest's selection exactly" in err, err
    assert "target pool.csv (chosen rows): 40 rows" in err
    selection = pd.read_csv(files / "again.csv")
    assert len(selection) > 0 and not set(selection["gio_row"]) & set(rows)
    original = pd.read_csv(files / "pool.csv")
    assert selection["id"].tolist() == original.loc[selection["gio_row"], "id"].tolist()  # rows of the whole file
    recorded = json.loads((files / "again.manifest.json").read_text())
    assert recorded["target_from_pool"]["rows"] == rows and recorded["inputs"]["pool"]["name"] == "pool.csv"
    # its own manifest reruns too, to the same rows
    status, _, err = run(["select", "--manifest", files / "again.manifest.json", "--out", files / "third.csv"], capsys)
    assert status == 0 and "reproduced the manifest's selection exactly" in err, err


def test_the_same_split_by_hand_gives_the_same_rows(files):
    """Taking the rows out in the pipeline is the same as writing the two files yourself, up to row numbers."""
    from gio_core.pipeline import SelectionPipeline

    from .selection_checks import run_stages

    rows = list(range(3, 200, 4))
    original = pd.read_csv(files / "pool.csv")
    rest = np.setdiff1d(np.arange(200), rows)
    original.iloc[rest].to_csv(files / "rest.csv", index=False)
    original.iloc[rows][["a", "b", "c"]].to_csv(files / "chosen.csv", index=False)
    params = {"n_clusters": 25, "stop_criterion": "data_size", "max_data_size": 0.2, "max_iter": 25}
    split = SelectionPipeline(
        files / "pool.csv", None, target_from_pool={"rows": rows}, params=params, seed=1, columns=["a", "b", "c"]
    )
    *_, split_selection = run_stages(split)
    by_hand = SelectionPipeline(
        files / "rest.csv", files / "chosen.csv", params=params, seed=1, columns=["a", "b", "c"]
    )
    *_, by_hand_selection = run_stages(by_hand)
    assert split_selection.rows.size > 0
    np.testing.assert_array_equal(split_selection.rows, rest[by_hand_selection.rows])


def test_a_pool_rows_manifest_refuses_a_target_file_and_a_changed_pool(files, capsys):
    manifest_path = _from_pool_manifest(files, list(range(40)))
    status, _, err = run(
        ["select", "--manifest", manifest_path, "--target", files / "target.csv", "--out", files / "x.csv"], capsys
    )
    assert (
        status == 2 and "--target cannot be combined with app.manifest.json: its target is 40 rows of its pool" in err
    )
    assert not (files / "x.csv").exists()
    changed = files / "changed.csv"
    changed.write_text((files / "pool.csv").read_text().replace("r001", "x001"))
    status, _, err = run(["select", "--manifest", manifest_path, "--pool", changed, "--out", files / "x.csv"], capsys)
    assert status == 2 and "changed.csv is not the pool file the manifest was made with" in err
    (files / "pool.csv").rename(files / "elsewhere.csv")
    status, _, err = run(["select", "--manifest", manifest_path, "--out", files / "x.csv"], capsys)
    assert status == 2 and "pass it with --pool" in err


def test_pool_rows_as_the_target_are_checked_before_anything_runs(files):
    from gio_core.pipeline.pipeline import SelectionPipeline

    with pytest.raises(ValueError, match="not both or neither"):
        SelectionPipeline(files / "pool.csv", files / "target.csv", target_from_pool={"rows": [1, 2]})
    with pytest.raises(ValueError, match="not both or neither"):
        SelectionPipeline(files / "pool.csv", None)
    with pytest.raises(ValueError, match="k=5 needs a target of at least k\\+1=6 rows"):
        SelectionPipeline(files / "pool.csv", None, target_from_pool={"rows": [1, 2]}).read()
    with pytest.raises(ValueError, match=r"outside pool\.csv's 200 rows"):
        SelectionPipeline(files / "pool.csv", None, target_from_pool={"rows": list(range(190, 210))}).read()
