"""``gio-studio app``: streamlit's options pass through, the app is found, its config travels with it, and
the operator's data root and upload limit are checked and handed to the app."""

import os
from pathlib import Path

import pytest

from gio_core import cli
from gio_core.cli import app as app_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def launched(monkeypatch):
    """Calls of subprocess.call made by the command (nothing is started)."""
    calls = []

    def call(command, **kwargs):
        calls.append((command, kwargs))
        return 0

    monkeypatch.setattr(app_command.subprocess, "call", call)
    return calls


@pytest.mark.parametrize(
    "arguments",
    [["--server.port", "8502"], ["--server.port=8502", "--theme.base", "dark"], ["--", "--server.port", "8502"], []],
    ids=["port", "several", "double-dash", "none"],
)
def test_every_argument_after_app_goes_to_streamlit_run(launched, arguments):
    assert cli.main(["app", *arguments]) == 0
    ((command, _),) = launched
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == ROOT / "app.py"
    assert command[5:] == [argument for argument in arguments if argument != "--"]


def test_the_apps_streamlit_config_is_passed_as_environment_and_the_users_wins(launched, monkeypatch):
    monkeypatch.setenv("STREAMLIT_THEME_BASE", "dark")
    monkeypatch.delenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", raising=False)
    assert cli.main(["app"]) == 0
    ((_, kwargs),) = launched
    environment = kwargs["env"]
    assert environment["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] == "none"  # from .streamlit/config.toml
    assert environment["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] == "500"  # uploads are held in memory: 500 MB each
    assert environment["STREAMLIT_SERVER_HEADLESS"] == "true"
    assert environment["STREAMLIT_THEME_BASE"] == "dark"  # the user's own setting is kept


def test_every_option_of_the_apps_config_reaches_streamlit_under_its_own_name(launched, monkeypatch):
    """Each option in .streamlit/config.toml becomes the variable Streamlit reads for it (acronyms included:
    runner.postScriptGC is STREAMLIT_RUNNER_POST_SCRIPT_GC, not ..._G_C, which Streamlit would ignore)."""
    import tomllib
    from streamlit import config

    for name in [name for name in os.environ if name.startswith("STREAMLIT_")]:
        monkeypatch.delenv(name)
    assert cli.main(["app"]) == 0
    ((_, kwargs),) = launched
    given = {name: value for name, value in kwargs["env"].items() if name.startswith("STREAMLIT_")}
    known = {option.env_var: key for key, option in config.get_config_options().items()}
    expected = {
        f"{section}.{key}"
        for section, options in tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text()).items()
        for key in options
    }
    assert {known.get(name) for name in given} >= expected, sorted(set(given) - set(known))
    assert given["STREAMLIT_RUNNER_POST_SCRIPT_GC"] == "false"


def test_app_help_describes_the_command_and_starts_nothing(launched, capsys):
    assert cli.main(["app", "--help"]) == 0
    assert launched == []
    assert "gio-studio app --server.port 8502" in " ".join(capsys.readouterr().out.split())


def test_a_missing_app_is_a_one_line_message(launched, monkeypatch, tmp_path, capsys):
    (tmp_path / "gio_core").mkdir()
    monkeypatch.setattr(app_command, "__file__", str(tmp_path / "gio_core" / "cli" / "app.py"))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert cli.main(["app"]) == 2
    assert launched == []
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "the app is not installed" in message


# -- --data-root and --max-upload-mb ----------------------------------------------------------------


@pytest.fixture
def no_data_root(monkeypatch):
    monkeypatch.delenv(app_command.DATA_ROOT_VARIABLE, raising=False)
    monkeypatch.delenv("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", raising=False)


@pytest.mark.parametrize("form", ["separate", "equals"])
def test_data_root_is_passed_to_the_app_as_an_absolute_path_and_not_to_streamlit(
    launched, no_data_root, tmp_path, monkeypatch, form
):
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    given = ["--data-root", "data"] if form == "separate" else ["--data-root=data"]
    assert cli.main(["app", *given, "--server.port", "8502"]) == 0
    ((command, kwargs),) = launched
    assert command[5:] == ["--server.port", "8502"]  # streamlit never sees --data-root
    assert kwargs["env"]["GIO_STUDIO_DATA_ROOT"] == str(tmp_path / "data")


def test_without_a_data_root_the_app_gets_none(launched, no_data_root):
    assert cli.main(["app"]) == 0
    ((_, kwargs),) = launched
    assert "GIO_STUDIO_DATA_ROOT" not in kwargs["env"]


@pytest.mark.parametrize(
    "make, message",
    [
        (
            None,
            "--data-root {path}: no such folder ({path}); give an existing folder whose files the app may read by "
            "path, or leave it out to allow uploads only.",
        ),
        ("file", "--data-root {path} is a file, not a folder; give the folder that holds the data files."),
    ],
    ids=["missing", "a-file"],
)
def test_a_bad_data_root_is_one_line_and_status_2_and_starts_nothing(
    launched, no_data_root, tmp_path, capsys, make, message
):
    path = tmp_path / "data"
    if make == "file":
        path.write_text("x\n1\n")
    assert cli.main(["app", "--data-root", str(path)]) == 2
    assert launched == []
    assert capsys.readouterr().err == f"gio-studio: error: {message.format(path=path)}\n"


def test_a_data_root_without_a_value_is_one_line_and_status_2(launched, no_data_root, capsys):
    assert cli.main(["app", "--server.port", "8502", "--data-root"]) == 2
    assert launched == []
    assert capsys.readouterr().err == "gio-studio: error: --data-root needs a value, e.g. --data-root /srv/gio-data.\n"


def test_a_data_root_given_twice_is_refused(launched, no_data_root, tmp_path, capsys):
    assert cli.main(["app", "--data-root", str(tmp_path), "--data-root", str(tmp_path)]) == 2
    assert launched == [] and "--data-root is given twice" in capsys.readouterr().err


def test_the_data_root_variable_set_by_the_operator_is_checked_too(
    launched, no_data_root, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path / "gone"))
    assert cli.main(["app"]) == 2
    assert launched == []
    assert capsys.readouterr().err.startswith(
        f"gio-studio: error: GIO_STUDIO_DATA_ROOT={tmp_path / 'gone'}: no such folder"
    )
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    assert cli.main(["app"]) == 0
    ((_, kwargs),) = launched
    assert kwargs["env"]["GIO_STUDIO_DATA_ROOT"] == str(tmp_path)


def test_the_data_root_flag_wins_over_the_variable(launched, no_data_root, monkeypatch, tmp_path):
    (tmp_path / "flag").mkdir()
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path / "gone"))
    assert cli.main(["app", "--data-root", str(tmp_path / "flag")]) == 0
    ((_, kwargs),) = launched
    assert kwargs["env"]["GIO_STUDIO_DATA_ROOT"] == str(tmp_path / "flag")


def test_max_upload_mb_sets_streamlits_upload_limit(launched, no_data_root):
    assert cli.main(["app", "--max-upload-mb", "64", "--server.port", "8502"]) == 0
    ((command, kwargs),) = launched
    assert command[5:] == ["--server.port", "8502"]
    assert kwargs["env"]["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] == "64"


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"], ids=["zero", "negative", "word", "fraction"])
def test_a_bad_max_upload_mb_is_one_line_and_status_2(launched, no_data_root, capsys, value):
    assert cli.main(["app", f"--max-upload-mb={value}"]) == 2
    assert launched == []
    assert capsys.readouterr().err == (
        f"gio-studio: error: --max-upload-mb must be a whole number of megabytes, 1 or more; got '{value}'.\n"
    )


def test_max_upload_mb_and_streamlits_own_option_together_are_refused(launched, no_data_root, capsys):
    assert cli.main(["app", "--max-upload-mb", "64", "--server.maxUploadSize=32"]) == 2
    assert launched == []
    assert "give one" in capsys.readouterr().err


def test_compare_memory_mb_reaches_the_app(launched, no_data_root, capsys):
    assert cli.main(["app", "--compare-memory-mb=2048", "--server.port", "8502"]) == 0
    ((command, kwargs),) = launched
    assert command[5:] == ["--server.port", "8502"]
    assert kwargs["env"]["GIO_STUDIO_COMPARE_MEMORY_MB"] == "2048"
    from ui import compare_view

    assert compare_view.COMPARE_MEMORY_VARIABLE == "GIO_STUDIO_COMPARE_MEMORY_MB"  # what the page reads
    assert cli.main(["app", "--compare-memory-mb", "10"]) == 2
    assert capsys.readouterr().err == (
        "gio-studio: error: --compare-memory-mb must be a whole number of megabytes, 64 or more; got '10'.\n"
    )


def test_app_help_lists_the_apps_own_options(launched, capsys):
    assert cli.main(["app", "-h"]) == 0
    text = capsys.readouterr().out
    assert "--data-root DIR" in text and "--max-upload-mb N" in text and "GIO_STUDIO_DATA_ROOT" in text
    assert "--compare-memory-mb" in text


def test_a_checkout_runs_its_own_app(monkeypatch):
    """In a source checkout the app is the app.py beside gio_core, whatever else is installed."""
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert app_command.app_script() == Path(__file__).resolve().parent.parent / "app.py"
