"""``gio-studio select``: the options (or a manifest) to a :class:`gio_core.pipeline.SelectionPipeline`, run
with a progress bar and one line per stage read from its events; a rerun from a manifest says whether it came
out identical.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .arguments import EXPLICIT_NONE, PROG, STATUS_FAILED, UsageError
from .words import in_cli_words


class ProgressBar:
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
        bar = "#" * round(fraction * width)
        columns = shutil.get_terminal_size((100, 20)).columns
        line = f"{stage[:32]:<32} [{bar:<{width}}] {done:>7,}/{total:<7,} {extra}"
        self.stream.write("\r" + line[: columns - 1].ljust(columns - 1))
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
        raise UsageError(f"--out {out}: the export writes .csv, .csv.gz, .tsv or .parquet; change the extension.")
    if "://" in out and folder_ok:  # a cluster file system (hdfs://, s3a://): Spark writes it
        return
    if not path.parent.exists():
        raise UsageError(f"--out {out}: folder {path.parent} does not exist; create it or choose another path.")
    if path.is_dir() and not folder_ok:
        raise UsageError(f"--out {out} is a folder; give a file name such as {out.rstrip('/')}/selection.csv.")


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
    raise UsageError(
        f"the {role} file of {manifest_path.name} ({record.get('path') or record.get('name')}) is not "
        f"found; pass it with --{role}."
    )


def _target_from_pool(manifest: dict) -> dict | None:
    """Where a manifest says its target was rows of its pool file: the CLI's own key, or the app's."""
    return manifest.get("target_from_pool") or (manifest.get("app") or {}).get("target_from_pool")


def _options_from_manifest(args, gio_names: list[str]) -> dict:
    from ..io.manifest import read_manifest

    given = [name for name in gio_names if getattr(args, name) is not None]
    for flag, value in (
        ("columns", args.columns),
        ("vector-column", args.vector_column),
        ("id-column", args.id_column),
        ("text-column", args.text_column),
        ("text-model", args.text_model),
        ("seed", args.seed),
        ("start", args.start),
        ("encoding", args.encoding),
    ):
        if value is not None:
            given.append(flag)
    if args.drop_nonfinite:
        given.append("drop-nonfinite")
    if args.paper:
        given.append("paper")
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise UsageError(
            f"{flags} cannot be combined with --manifest: a rerun uses the manifest's settings. Drop "
            "them, or run without --manifest to change settings."
        )
    manifest_path = Path(args.manifest)
    manifest = read_manifest(manifest_path)
    params = dict(manifest["params"])
    vectors = manifest["vectors"]
    from_pool = _target_from_pool(manifest)
    if from_pool is not None:  # the target was rows of the pool file (chosen on the app's map)
        if args.target:
            raise UsageError(
                f"--target cannot be combined with {manifest_path.name}: its target is "
                f"{len(from_pool['rows']):,} rows of its pool file {from_pool['pool']} "
                f"({from_pool.get('how', 'chosen rows')}), taken out of the pool again on a rerun. "
                "Drop --target (give the pool file with --pool if it is not found)."
            )
        pool = args.pool or _locate_input(
            "pool",
            {key: from_pool.get(key) for key in ("path", "abs_path")} | {"name": from_pool["pool"]},
            manifest_path,
        )
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
    from ..io.tables import DEFAULT_MAX_BYTES

    missing = [flag for flag, value in (("--pool", args.pool), ("--target", args.target)) if not value]
    if missing:
        raise UsageError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required (or --manifest "
            "to run a recorded selection again)."
        )
    chosen = [
        flag
        for flag, value in (
            ("--columns", args.columns),
            ("--vector-column", args.vector_column),
            ("--text-column", args.text_column),
        )
        if value is not None
    ]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} are different ways to say where the vectors are; give one.")
    if args.text_model is not None and args.columns is None and args.vector_column is None:
        pass  # applies to --text-column, or to a text column chosen by default
    elif args.text_model is not None:
        raise UsageError("--text-model applies to text columns; drop it, or use --text-column.")
    gio = _gio_params(args, gio_names)
    return {
        "pool": args.pool,
        "target": args.target,
        "gio": gio,
        "seed": 0 if args.seed is None else args.seed,
        # without --start: the engine's own start (random_init_pct, or uniform_start_size points; none by default)
        "start": args.start or ("uniform" if gio.get("random_init_pct") or gio.get("uniform_start_size") else "empty"),
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
    from ..gio.config import PAPER_GIO_PARAMS

    params = dict(PAPER_GIO_PARAMS) if args.paper else {}
    for name in gio_names:
        value = getattr(args, name)
        if value is not None:
            params[name] = None if value is EXPLICIT_NONE else value
    if args.start == "uniform" and not params.get("uniform_start_size"):
        params["uniform_start_size"] = PAPER_GIO_PARAMS["uniform_start_size"]  # the engine's default is none
    return params


def _spark_conf(values: Sequence[str] | None) -> dict:
    conf = {}
    for value in values or []:
        key, equals, setting = value.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--spark-conf {value}: write key=value, e.g. --spark-conf spark.executor.memory=8g.")
        conf[key.strip()] = setting.strip()
    return conf


def _backend(args, options: dict):
    from ..pipeline.backends import get_backend

    engine = options["engine"]
    if engine != "spark":
        if args.spark_master or args.spark_conf:
            raise UsageError("--spark-master and --spark-conf apply to --engine spark; add it, or drop them.")
        return get_backend(engine)
    if args.out == "-":
        raise UsageError("--engine spark writes a folder of part files; give --out a path such as selection.parquet.")
    return get_backend("spark", master=args.spark_master, conf=_spark_conf(args.spark_conf))


def run(args, gio_names: list[str]) -> int:
    from ..gio.kl import format_kl
    from ..io.embeddings import describe_text_model
    from ..io.tables import format_bytes
    from ..pipeline import SelectionPipeline

    if not args.out:
        raise UsageError("--out is required: where to write the selection (.csv, .csv.gz, .tsv, .parquet or '-').")
    options = _options_from_manifest(args, gio_names) if args.manifest else _options_from_args(args, gio_names)
    _check_output(args.out, folder_ok=options["engine"] == "spark")
    manifest_out = (
        Path(args.manifest_out)
        if args.manifest_out
        else (None if args.out == "-" else _default_manifest_path(args.out))
    )
    if manifest_out is not None and not manifest_out.parent.exists():
        raise UsageError(f"--manifest-out {manifest_out}: folder {manifest_out.parent} does not exist.")

    say = _Reporter(quiet=args.quiet).say
    progress = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    seen: dict = {"picks": 1, "seconds": 0.0}

    def on_event(event) -> None:
        """The pipeline's events: the progress bar, and one line per stage for the person at the terminal."""
        if event.kind == "progress":
            progress(event.detail, event.done, event.total)
        elif event.kind == "step":
            progress("selecting", event.step.n_selected, seen["picks"], f"KL {format_kl(event.step.kl)}")
        elif event.kind == "done":
            progress.close()
            if event.stage in ("quantise", "select", "explode"):
                seen["seconds"] += event.seconds
            if event.stage == "read":
                pool, target = event.result.pool, event.result.target
                shards = f", {len(pool.files):,} shards" if hasattr(pool, "files") else ""
                say(
                    f"pool {pool.name}: {pool.n_rows:,} rows ({pool.format}{shards}, {format_bytes(pool.n_bytes)}); "
                    f"target {target.name}: {target.n_rows:,} rows ({target.format})"
                )
                seen["pool_rows"] = pool.n_rows
                if options["manifest"] is not None:
                    _check_same_inputs(options["manifest"], pool, target)
            elif event.stage == "vectors":
                vectors = event.result
                pool_dropped, target_dropped = vectors.dropped
                dropped = (
                    f"; dropped {pool_dropped:,} pool and {target_dropped:,} target rows with NaN/inf"
                    if pool_dropped or target_dropped
                    else ""
                )
                say(f"vectors: {vectors.description}{dropped}")
                if vectors.text_model is not None:
                    say(f"text model: {describe_text_model(vectors.text_model)}")
                seen["picks"] = pipeline.config.expected_picks(vectors.pool.n_rows)
            elif event.stage == "select":
                seen["result"] = event.result
            elif event.stage == "explode":
                result = seen["result"]
                say(
                    f"selected {event.result.n_rows:,} of {seen['pool_rows']:,} pool rows in {seen['seconds']:.1f} s; "
                    f"KL {format_kl(result.initial_kl)} -> {format_kl(result.final_kl)}; stop: {result.stop_reason}: "
                    f"{in_cli_words(result.stop_message.rstrip('.'))}"
                )

    # bad parameters, a missing engine (pyspark, Java) and bad options fail here, before any file is read
    pipeline = SelectionPipeline(
        options["pool"],
        options["target"],
        engine=_backend(args, options),
        params=options["gio"],
        seed=options["seed"],
        start=options["start"],
        columns=options["columns"],
        vector_column=options["vector_column"],
        text_column=options["text_column"],
        text_model=options["text_model"],
        drop_nonfinite=options["drop_nonfinite"],
        id_column=options["id_column"],
        max_bytes=options["max_bytes"] or None,
        encoding=options["encoding"],
        on_event=on_event,
        target_from_pool=options.get("target_from_pool"),
    )
    try:
        manifest = pipeline.run(args.out, manifest_out=manifest_out)
    finally:
        progress.close()
    written = "stdout" if args.out == "-" else args.out
    selection = manifest["selection"]
    columns, added = selection["columns"], selection["added_columns"]
    say(
        f"wrote {written} ({selection['rows']:,} rows; the pool's {len(columns) - len(added)} columns + "
        f"{', '.join(added)}){'' if manifest_out is None else f' and {manifest_out}'}"
    )

    if options["manifest"] is not None:
        return _report_rerun(options["manifest"], manifest, say)
    return 0


def _check_same_inputs(manifest: dict, pool, target) -> None:
    from ..io.errors import DataError

    from_pool = _target_from_pool(manifest)
    # a target of pool rows is made from the pool file and the manifest's rows: checking the file checks both
    checks = (
        (("pool", pool, from_pool.get("pool_sha256")),)
        if from_pool is not None
        else (
            ("pool", pool, manifest["inputs"]["pool"].get("sha256")),
            ("target", target, manifest["inputs"]["target"].get("sha256")),
        )
    )
    for role, data, recorded in checks:
        if recorded and recorded != data.sha256:
            raise DataError(
                f"{data.name} is not the {role} file the manifest was made with (SHA-256 {data.sha256[:12]}… "
                f"≠ {recorded[:12]}…); pass the original file with --{role}.",
                code="invalid",
            )


def _report_rerun(old: dict, new: dict, say) -> int:
    before = old.get("result", {}).get("selected_sha256")
    after = new["result"]["selected_sha256"]
    if before == after:
        say(
            f"reproduced the manifest's selection exactly ({new['result']['n_selected']:,} rows, SHA-256 {after[:12]}…)"
        )
        return 0
    old_vectors = old.get("vectors", {}).get("pool_sha256")
    cause = ""
    new_vectors = new["vectors"].get("pool_sha256")
    if old_vectors and new_vectors and old_vectors != new_vectors:
        cause = " The pool vectors differ from the recorded ones (a different text model build or library version?)."
    print(
        f"{PROG}: the selection differs from the manifest's ({new['result']['n_selected']:,} vs "
        f"{old.get('result', {}).get('n_selected', '?')} rows).{cause}",
        file=sys.stderr,
    )
    return STATUS_FAILED
