"""``gio-studio app``: streamlit's options pass through, the app is found, its config travels with it."""

from pathlib import Path

import pytest

from gio_core import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def launched(monkeypatch):
    """Calls of subprocess.call made by the command (nothing is started)."""
    calls = []

    def call(command, **kwargs):
        calls.append((command, kwargs))
        return 0

    monkeypatch.setattr(cli.subprocess, "call", call)
    return calls


@pytest.mark.parametrize("arguments", [["--server.port", "8502"], ["--server.port=8502", "--theme.base", "dark"],
                                       ["--", "--server.port", "8502"], []],
                         ids=["port", "several", "double-dash", "none"])
def test_every_argument_after_app_goes_to_streamlit_run(launched, arguments):
    assert cli.main(["app", *arguments]) == 0
    (command, _), = launched
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert Path(command[4]) == ROOT / "app.py"
    assert command[5:] == [argument for argument in arguments if argument != "--"]


def test_the_apps_streamlit_config_is_passed_as_environment_and_the_users_wins(launched, monkeypatch):
    monkeypatch.setenv("STREAMLIT_THEME_BASE", "dark")
    monkeypatch.delenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", raising=False)
    assert cli.main(["app"]) == 0
    (_, kwargs), = launched
    environment = kwargs["env"]
    assert environment["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] == "none"  # from .streamlit/config.toml
    assert environment["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] == "2048"
    assert environment["STREAMLIT_SERVER_HEADLESS"] == "true"
    assert environment["STREAMLIT_THEME_BASE"] == "dark"  # the user's own setting is kept


def test_app_help_describes_the_command_and_starts_nothing(launched, capsys):
    assert cli.main(["app", "--help"]) == 0
    assert launched == []
    assert "gio-studio app --server.port 8502" in " ".join(capsys.readouterr().out.split())


def test_a_missing_app_is_a_one_line_message(launched, monkeypatch, tmp_path, capsys):
    (tmp_path / "gio_core").mkdir()
    monkeypatch.setattr(cli, "__file__", str(tmp_path / "gio_core" / "cli.py"))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert cli.main(["app"]) == 2
    assert launched == []
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "the app is not installed" in message
