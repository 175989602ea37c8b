"""The run manifest (JSON) beside a selection: what is needed to run it again and check it. The tool version,
every parameter, the seed, SHA-256 and row counts of each input, the vector choice, the KL curve, the stop
reason, timings and a SHA-256 of the selected row numbers (``gio-studio select --manifest`` reruns it and says
whether the selection came out identical).
"""

from __future__ import annotations

import datetime as _datetime
import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .atomic import write_atomically
from .errors import DataError
from .export import jsonable
from .largefiles import iter_row_chunks
from .tables import LoadedData

__all__ = ["MANIFEST_KIND", "MANIFEST_VERSION", "build_manifest", "read_manifest", "selection_sha256", "write_manifest"]

#: Above this many selected rows the manifest keeps their SHA-256 but not the list itself.
MANIFEST_MAX_LISTED_ROWS = 1_000_000
MANIFEST_KIND = "gio-studio run manifest"
MANIFEST_VERSION = 1


def selection_sha256(selected_indices: ArrayLike) -> str:
    """SHA-256 of the selected row numbers as little-endian int64 (to check a rerun)."""
    return hashlib.sha256(np.asarray(selected_indices, dtype="<i8").tobytes()).hexdigest()


def _input_record(data: LoadedData | dict) -> dict:
    if isinstance(data, dict):
        return dict(data)
    record = {
        "name": data.name,
        "format": data.format,
        "rows": data.n_rows,
        "bytes": data.n_bytes,
        "sha256": data.sha256,
    }
    if data.path is not None:
        record["path"] = data.path
        record["abs_path"] = str(Path(data.path).resolve())
    return record


def _result_record(result, selected_rows=None) -> dict:
    """From a fitted GIOSelector or a GIOResult; ``selected_rows`` when the rows were exploded elsewhere."""
    if hasattr(result, "result_"):
        result = result.result_
    if result is None:
        return {}
    indices = np.asarray(result.selected_indices if selected_rows is None else selected_rows, dtype=np.int64)
    record = {
        "n_selected": int(indices.size),
        "selected_sha256": selection_sha256(indices),
        "selected_indices": indices.tolist() if indices.size <= MANIFEST_MAX_LISTED_ROWS else None,
        "n_steps": int(result.n_steps),
        "initial_kl": float(result.initial_kl),
        "kl_curve": [float(value) for value in np.asarray(result.kl_curve).tolist()],
        "stop_reason": str(result.stop_reason),
        "stop_message": str(result.stop_message),
        "scale_factor": float(result.scale_factor),
    }
    if getattr(result, "pool_quantization", None) is not None:
        record["selected_clusters"] = np.asarray(result.selected_candidates, dtype=np.int64).tolist()
        if getattr(result, "row_quotas", None) is not None:
            record["row_quotas"] = np.asarray(result.row_quotas, dtype=np.int64).tolist()
        record["explode_seed"] = result.explode_seed
    return record


def build_manifest(
    *, params: dict, seed, inputs: dict, result, timings: dict, vectors: dict, selected_rows: ArrayLike | None = None
) -> dict:
    """The run manifest as a JSON-ready dict.

    Parameters
    ----------
    params : dict
        Every parameter of the run: ``GIOSelector.get_params()`` (without ``random_state``) plus the
        run's own options (``start``, ``drop_nonfinite``, ``max_bytes``, ...).
    seed : int or None
        The ``random_state``.
    inputs : dict
        ``{"pool": LoadedData, "target": LoadedData}`` (or ready-made dicts); each becomes name,
        format, rows, bytes, sha256 and path.
    result : GIOSelector or GIOResult
        The fitted run.
    timings : dict
        Seconds per stage (``read``, ``embed``, ``select``, ``export``, ...).
    vectors : dict
        The vector choice and its outcome: ``PreparedVectors.choice()`` plus description, dimensions,
        rows kept, non-finite rows dropped, a SHA-256 of the vectors.
    selected_rows : array-like of int, optional
        The selected pool rows in pick order, when the run's result does not hold them (a Spark engine
        exploded the clusters on its executors).

    Returns
    -------
    dict
    """
    from .._version import __version__

    manifest = {
        "kind": MANIFEST_KIND,
        "manifest_version": MANIFEST_VERSION,
        "tool": "gio-studio",
        "version": __version__,
        "created": _datetime.datetime.now(_datetime.timezone.utc).isoformat(timespec="seconds"),
        "environment": _environment(),
        "seed": seed,
        "params": dict(params),
        "inputs": {role: _input_record(data) for role, data in inputs.items()},
        "vectors": dict(vectors),
        "result": _result_record(result, selected_rows),
        "timings": {key: float(value) for key, value in timings.items()},
    }
    return jsonable(manifest)


def _environment() -> dict:
    versions = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__}
    for module in ("sklearn", "faiss", "pyarrow"):
        try:
            imported = __import__(module)
            versions[module] = str(getattr(imported, "__version__", "unknown"))
        except ImportError:  # pragma: no cover - optional
            pass
    versions["platform"] = platform.platform()
    return versions


def write_manifest(manifest: dict, path: str | os.PathLike) -> None:
    """Write the manifest as indented JSON (UTF-8), atomically (:func:`write_atomically`)."""
    text = json.dumps(jsonable(manifest), indent=2, ensure_ascii=False, allow_nan=False)
    write_atomically(path, lambda temporary: Path(temporary).write_text(text + "\n", encoding="utf-8"))


def read_manifest(path: str | os.PathLike) -> dict:
    """Read a manifest written by :func:`write_manifest`.

    Raises
    ------
    DataError
        The file is missing, not JSON, or not a gio-studio run manifest.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path.name}: no such manifest file ({path}); check the path.", code="missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(
            f"{path.name} is not a JSON manifest ({' '.join(str(error).split())}); pass the "
            ".manifest.json file written beside a selection.",
            code="not_a_table",
        ) from error
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise DataError(
            f"{path.name} is JSON but not a gio-studio run manifest; pass the .manifest.json file "
            "written beside a selection.",
            code="not_a_table",
        )
    missing = [key for key in ("params", "inputs", "vectors", "seed") if key not in manifest]
    if missing:
        raise DataError(
            f"{path.name} lacks {', '.join(missing)}; the manifest is incomplete, write it again.", code="truncated"
        )
    return manifest


def vectors_sha256(matrix: NDArray) -> str:
    """SHA-256 of a float32 matrix's bytes (C order), read in chunks (works on memory maps)."""
    digest = hashlib.sha256()
    digest.update(str(tuple(matrix.shape)).encode())
    for _, chunk in iter_row_chunks(matrix, 65_536):
        digest.update(chunk.data)  # each chunk is a C-ordered copy
    return digest.hexdigest()


def _vectors_are_the_file(prepared) -> bool:
    """The pool's vectors are a float32 ``.npy`` file's own array, every row kept (its file SHA-256 pins them)."""
    return (
        prepared.source == "array"
        and isinstance(prepared.pool, np.memmap)
        and prepared.pool.dtype == np.float32
        and prepared.pool_nonfinite_rows == 0
    )


def manifest_vectors_record(prepared, *, text_model_detail: str | None = None) -> dict:
    """The ``vectors`` part of a manifest from a :class:`gio_core.io.PreparedVectors`.

    ``pool_sha256`` is None when the pool's vectors are a memory-mapped float32 ``.npy`` used whole:
    the input's file SHA-256 already pins them, and hashing a 15 GB pool twice costs 13 s.
    """
    record = dict(prepared.choice())
    record.update(
        {
            "source": prepared.source,
            "description": prepared.description,
            "dimensions": prepared.dimensions,
            "pool_rows_used": int(prepared.pool.shape[0]),
            "target_rows_used": int(prepared.target.shape[0]),
            "pool_nonfinite_rows": int(prepared.pool_nonfinite_rows),
            "target_nonfinite_rows": int(prepared.target_nonfinite_rows),
            "pool_sha256": None if _vectors_are_the_file(prepared) else vectors_sha256(prepared.pool),
            "target_sha256": vectors_sha256(prepared.target),
        }
    )
    if text_model_detail:
        record["text_model_detail"] = text_model_detail
    return record
