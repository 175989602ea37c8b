"""``gio-studio app``: the Streamlit app with its own settings, and the files it may read chosen by the operator.

The app ships inside the package (``gio_studio_app``, or the checkout's ``app.py``); :func:`run` starts
``streamlit run`` on it with the app's ``.streamlit/config.toml`` passed as ``STREAMLIT_*`` variables (Streamlit
reads that file only from the working directory), after checking ``--data-root`` (the only folder the app may
read by path), ``--max-upload-mb`` and ``--compare-memory-mb`` (the working memory one comparison may use).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

__all__ = [
    "APP_OPTIONS_HELP",
    "COMPARE_MEMORY_VARIABLE",
    "DATA_ROOT_VARIABLE",
    "UPLOAD_LIMIT_VARIABLE",
    "app_script",
    "run",
]


#: The app reads files by path only inside this folder, and not at all when it is unset (ui/data_root.py).
DATA_ROOT_VARIABLE = "GIO_STUDIO_DATA_ROOT"
UPLOAD_LIMIT_VARIABLE = "STREAMLIT_SERVER_MAX_UPLOAD_SIZE"  # Streamlit's own server.maxUploadSize
#: Working memory in MB one comparison on the Compare page may use (ui/compare_view.py; default 1024).
COMPARE_MEMORY_VARIABLE = "GIO_STUDIO_COMPARE_MEMORY_MB"
_OPTIONS = ("--data-root", "--max-upload-mb", "--compare-memory-mb")
_EXAMPLES = {"--data-root": "/srv/gio-data", "--max-upload-mb": "200", "--compare-memory-mb": "2048"}
APP_OPTIONS_HELP = f"""\
options of gio-studio app (every other argument goes to streamlit run):
  --data-root DIR     let people give files by their path on this machine, only inside DIR (symlinks
                      resolved, '..' refused); passed to the app as {DATA_ROOT_VARIABLE}, which can
                      also be set instead. Without a data root the app reads uploads only.
  --max-upload-mb N   the largest upload, in MB per file (default: 500, the app's .streamlit/config.toml;
                      the same as --server.maxUploadSize N or {UPLOAD_LIMIT_VARIABLE}=N)
  --compare-memory-mb N
                      working memory one comparison on the Compare page may use (default: 1024); a
                      method that needs more runs on a random sample of the pool, and the page says
                      so. One comparison runs at a time per server. Also {COMPARE_MEMORY_VARIABLE}=N.

examples:
  gio-studio app --server.port 8502
  gio-studio app --data-root /srv/gio-data --max-upload-mb 200 --server.address 0.0.0.0
"""


def _take_app_options(arguments: list[str]) -> tuple[list[str], dict[str, str]]:
    """Split the app's own options (``--name VALUE`` or ``--name=VALUE``) from streamlit's."""
    rest: list[str] = []
    found: dict[str, str] = {}
    index = 0
    while index < len(arguments):
        name, equals, value = arguments[index].partition("=")
        if name in _OPTIONS:
            if not equals:
                if index + 1 == len(arguments):
                    example = _EXAMPLES[name]
                    raise ValueError(f"{name} needs a value, e.g. {name} {example}.")
                index += 1
                value = arguments[index]
            if name in found:
                raise ValueError(f"{name} is given twice ({found[name]} and {value}); give it once.")
            found[name] = value
        else:
            rest.append(arguments[index])
        index += 1
    return rest, found


def _checked_data_root(text: str, given_as: str) -> str:
    """The data root as an absolute path (symlinks kept, so paths typed through them stay inside), checked."""
    path = Path(os.path.expanduser(text.strip()))
    if not text.strip():
        raise ValueError(f"{given_as} is empty; give the folder whose files the app may read by path.")
    if not path.exists():
        raise ValueError(
            f"{given_as}: no such folder ({path}); give an existing folder whose files the app may "
            "read by path, or leave it out to allow uploads only."
        )
    if not path.is_dir():
        raise ValueError(f"{given_as} is a file, not a folder; give the folder that holds the data files.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ValueError(f"{given_as} cannot be read (permission denied); give a folder this user can read.")
    return os.path.abspath(path)


def _checked_megabytes(text: str, name: str, minimum: int = 1) -> str:
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes < minimum:
        raise ValueError(f"{name} must be a whole number of megabytes, {minimum} or more; got {text!r}.")
    return str(megabytes)


def app_script() -> Path:
    """The app's entry script: the checkout's ``app.py`` beside ``gio_core``, else the installed package's.

    The wheel ships the app (``app.py``, ``pages/``, ``ui/``, ``.streamlit/``) as the package
    ``gio_studio_app``, so nothing named ``ui`` or ``pages`` lands at the top of site-packages.
    """
    import importlib.util

    folders = [Path(__file__).resolve().parents[2]]  # the checkout: gio_core/cli/app.py -> the folder above gio_core
    spec = importlib.util.find_spec("gio_studio_app")
    if spec is not None:
        folders += [Path(location) for location in spec.submodule_search_locations or []]
    for folder in folders:
        if (folder / "app.py").is_file() and (folder / "pages").is_dir():
            return folder / "app.py"
    raise ValueError(
        "the app is not installed (no gio_studio_app package and no app.py beside gio_core); "
        "reinstall gio-studio (pip install --force-reinstall gio-studio) or run `streamlit run app.py` "
        "from a source checkout."
    )


def _streamlit_settings(folder: Path) -> dict[str, str]:
    """The app's ``.streamlit/config.toml`` as ``STREAMLIT_*`` environment variables.

    Streamlit reads that file only from the working directory; an installed app runs from anywhere.
    Streamlit ranks its command-line options above environment variables, so the user's flags still win.
    """
    path = folder / ".streamlit" / "config.toml"
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: Streamlit's own defaults
        return {}
    if not path.is_file():
        return {}
    settings = {}
    for section, options in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for key, value in options.items():
            settings[_streamlit_variable(section, key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return settings


def _streamlit_variable(section: str, key: str) -> str:
    """The environment variable Streamlit reads for ``section.key``: camelCase words, an acronym kept whole
    (``runner.postScriptGC`` → ``STREAMLIT_RUNNER_POST_SCRIPT_GC``), as Streamlit names them."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", f"{section}_{key}")
    return "STREAMLIT_" + re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).upper()


def run(arguments: list[str]) -> int:
    """Start the app: ``streamlit run`` on :func:`app_script` with the app's settings; returns its exit status.

    Parameters
    ----------
    arguments : list of str
        ``--data-root DIR``, ``--max-upload-mb N`` and ``--compare-memory-mb N`` (checked here), then any of
        ``streamlit run``'s own.

    Raises
    ------
    ValueError
        A missing or unreadable data root, a bad upload limit, an option given twice (one line each).
    """
    arguments, options = _take_app_options([argument for argument in arguments if argument != "--"])
    script = app_script()
    environment = {**_streamlit_settings(script.parent), **os.environ}
    if "--data-root" in options:
        root = options["--data-root"]
        environment[DATA_ROOT_VARIABLE] = _checked_data_root(root, f"--data-root {root}")
    elif environment.get(DATA_ROOT_VARIABLE, "").strip():  # set by the operator: the same checks, before starting
        root = environment[DATA_ROOT_VARIABLE]
        environment[DATA_ROOT_VARIABLE] = _checked_data_root(root, f"{DATA_ROOT_VARIABLE}={root}")
    if "--max-upload-mb" in options:
        if any(argument.partition("=")[0] == "--server.maxUploadSize" for argument in arguments):
            raise ValueError("--max-upload-mb and --server.maxUploadSize both set the upload limit; give one.")
        environment[UPLOAD_LIMIT_VARIABLE] = _checked_megabytes(options["--max-upload-mb"], "--max-upload-mb")
    if "--compare-memory-mb" in options:
        environment[COMPARE_MEMORY_VARIABLE] = _checked_megabytes(
            options["--compare-memory-mb"], "--compare-memory-mb", minimum=64
        )
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(script), *arguments], env=environment)
