"""Bundled demos: pool and target pairs that run offline, for the app, the tests and the benchmarks.

Each demo is a pool file and a target file read through :func:`gio_core.data.read_data`, exactly as an
upload would be, plus the vector choice, a label column that colours the map, and the GIO parameters
that suit it. Nothing is downloaded: the data are drawn from a seeded generator, come with
scikit-learn (the 8x8 digits), or ship in ``assets/`` (the text demo).

``gaussian-2d``
    The paper's self-consistency check: target and pool drawn from one 2-D Gaussian. Every pool row is
    in-distribution; the map shows where GIO places its picks and the KL curve when it stops.
``digits-subset``
    Target-subset task: the target is a held-out sample of three digit classes (0, 3 and 7) of
    scikit-learn's 8x8 digits; the pool is every other digit image, all ten classes. GIO should pick
    mostly 0s, 3s and 7s.
``digits-quality``
    Quality task on vectors: the pool holds clean digit images and corrupted copies (a third of the
    pixels overwritten with noise); the target is a held-out sample of clean images. GIO should pick
    clean rows.
``text-spelling``
    Quality task in the spirit of the paper's spelling experiment, when ``assets/text/`` is present:
    clean sentences and typo-corrupted copies in the pool, clean sentences in the target, with
    precomputed all-MiniLM-L6-v2 embeddings so no model is needed at run time.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._assets import assets_folder
from ._validation import check_random_state
from .data import LoadedData, read_data

logger = logging.getLogger(__name__)

__all__ = ["DEMOS", "Demo", "DemoInfo", "available_demos", "load_demo", "text_assets_folder"]

@dataclass(frozen=True)
class DemoInfo:
    """What a demo is, before its data are built.

    Attributes
    ----------
    key : str
        Identifier (``'gaussian-2d'``).
    title : str
        Short name for a menu.
    summary : str
        One or two sentences: the task and what a good selection looks like.
    """

    key: str
    title: str
    summary: str


@dataclass(frozen=True)
class Demo:
    """A demo's data and settings.

    Attributes
    ----------
    info : DemoInfo
    pool, target : LoadedData
        The two files, as :func:`gio_core.data.read_data` returns them.
    vectors : dict
        Keyword arguments of :func:`gio_core.data.prepare_vectors` that pick the vectors
        (``columns=``, ``vector_column=`` or ``text_column=``).
    label_column : str or None
        A column of both files that colours the map (a class, or a clean/corrupted flag).
    good_labels : tuple
        Values of ``label_column`` that a good selection should pick (the target's classes).
    params : dict
        GIO parameters suggested for this demo, on top of the app's defaults.
    """

    info: DemoInfo
    pool: LoadedData = field(repr=False)
    target: LoadedData = field(repr=False)
    vectors: dict
    label_column: str | None
    good_labels: tuple = ()
    params: dict = field(default_factory=dict)


def text_assets_folder() -> Path | None:
    """``assets/text`` when its pool and target files (with MiniLM embeddings) are present, else None."""
    folder = assets_folder() / "text"
    if (folder / "pool.parquet").is_file() and (folder / "target.parquet").is_file():
        return folder
    return None


def _frame_file(frame: pd.DataFrame, name: str) -> LoadedData:
    """Read a frame through the same path as an upload (CSV bytes), so demos behave like files."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return read_data(buffer.getvalue().encode("utf-8"), name=name)


def _gaussian_2d(rng: np.random.Generator) -> Demo:
    mean = np.array([0.0, 0.0])
    covariance = np.array([[1.0, 0.6], [0.6, 0.8]])
    pool = rng.multivariate_normal(mean, covariance, size=2000)
    target = rng.multivariate_normal(mean, covariance, size=200)
    pool_frame = pd.DataFrame({"id": [f"g{i:04d}" for i in range(len(pool))], "x": pool[:, 0], "y": pool[:, 1]})
    target_frame = pd.DataFrame({"id": [f"t{i:03d}" for i in range(len(target))], "x": target[:, 0],
                                 "y": target[:, 1]})
    return Demo(info=_INFO["gaussian-2d"], pool=_frame_file(pool_frame, "gaussian_pool.csv"),
                target=_frame_file(target_frame, "gaussian_target.csv"), vectors={"columns": ["x", "y"]},
                label_column=None)


def _digits_frame(images: np.ndarray, labels: np.ndarray, prefix: str, extra: dict | None = None) -> pd.DataFrame:
    pixels = pd.DataFrame(images, columns=[f"px{row}{col}" for row in range(8) for col in range(8)])
    frame = pd.DataFrame({"id": [f"{prefix}{i:04d}" for i in range(len(labels))], "label": labels})
    for name, values in (extra or {}).items():
        frame[name] = values
    return pd.concat([frame, pixels], axis=1)


def _pixel_columns() -> list[str]:
    return [f"px{row}{col}" for row in range(8) for col in range(8)]


def _load_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data.astype(np.float64), digits.target.astype(np.int64)


_TARGET_DIGITS = (0, 3, 7)


def _digits_subset(rng: np.random.Generator) -> Demo:
    images, labels = _load_digits()
    wanted = np.flatnonzero(np.isin(labels, _TARGET_DIGITS))
    target_rows = np.sort(rng.choice(wanted, size=150, replace=False))
    pool_rows = np.setdiff1d(np.arange(len(labels)), target_rows)
    pool = _digits_frame(images[pool_rows], labels[pool_rows], "p")
    target = _digits_frame(images[target_rows], labels[target_rows], "t")
    return Demo(info=_INFO["digits-subset"], pool=_frame_file(pool, "digits_pool.csv"),
                target=_frame_file(target, "digits_target_037.csv"), vectors={"columns": _pixel_columns()},
                label_column="label", good_labels=_TARGET_DIGITS)


def _corrupt(images: np.ndarray, rng: np.random.Generator, share: float = 1 / 3) -> np.ndarray:
    corrupted = images.copy()
    mask = rng.random(images.shape) < share
    corrupted[mask] = rng.integers(0, 17, size=int(mask.sum()))
    return corrupted


def _digits_quality(rng: np.random.Generator) -> Demo:
    images, labels = _load_digits()
    order = rng.permutation(len(labels))
    target_rows, rest = order[:200], order[200:]
    clean_rows, corrupted_rows = rest[: len(rest) // 2], rest[len(rest) // 2:]
    pool_images = np.vstack([images[clean_rows], _corrupt(images[corrupted_rows], rng)])
    pool_labels = np.concatenate([labels[clean_rows], labels[corrupted_rows]])
    is_clean = np.concatenate([np.ones(len(clean_rows), dtype=np.int64), np.zeros(len(corrupted_rows), dtype=np.int64)])
    shuffle = rng.permutation(len(pool_labels))
    pool = _digits_frame(pool_images[shuffle], pool_labels[shuffle], "p", {"is_clean": is_clean[shuffle]})
    target = _digits_frame(images[target_rows], labels[target_rows], "t",
                           {"is_clean": np.ones(len(target_rows), dtype=np.int64)})
    return Demo(info=_INFO["digits-quality"], pool=_frame_file(pool, "digits_clean_and_noisy_pool.csv"),
                target=_frame_file(target, "digits_clean_target.csv"), vectors={"columns": _pixel_columns()},
                label_column="is_clean", good_labels=(1,))


def _text_spelling(rng: np.random.Generator) -> Demo:
    folder = text_assets_folder()
    if folder is None:
        raise ValueError("demo 'text-spelling' needs assets/text/pool.parquet and target.parquet; build them with "
                         "`python assets/text/build.py` or choose another demo.")
    pool = read_data(folder / "pool.parquet")
    target = read_data(folder / "target.parquet")
    return Demo(info=_INFO["text-spelling"], pool=pool, target=target, vectors={"vector_column": "minilm"},
                label_column="is_clean", good_labels=(1,))


_INFO: dict[str, DemoInfo] = {
    "gaussian-2d": DemoInfo(
        "gaussian-2d", "2-D Gaussian (self-consistency)",
        "Target (200 points) and pool (2,000 points) come from one 2-D Gaussian, as in the paper's "
        "self-consistency check: every pool row is in-distribution, so watch where GIO places its picks "
        "within the target's cloud and when the KL stops falling."),
    "digits-subset": DemoInfo(
        "digits-subset", "Digits 0, 3, 7 (target subset)",
        "The target is 150 handwritten 0s, 3s and 7s (scikit-learn's 8x8 digits, 64 pixels); the pool is "
        "every other digit image, all ten classes. GIO should pick mostly 0s, 3s and 7s."),
    "digits-quality": DemoInfo(
        "digits-quality", "Clean vs noisy digits (quality)",
        "The pool holds clean digit images and copies with a third of their pixels overwritten by noise; "
        "the target is clean images. GIO should pick the clean rows (is_clean = 1)."),
    "text-spelling": DemoInfo(
        "text-spelling", "Clean vs misspelt sentences (text quality)",
        "As in the paper's spelling experiment: the pool holds clean sentences and copies with typos, the "
        "target clean sentences, all embedded with all-MiniLM-L6-v2. GIO should pick clean sentences."),
}

_BUILDERS: dict[str, Callable[[np.random.Generator], Demo]] = {
    "gaussian-2d": _gaussian_2d,
    "digits-subset": _digits_subset,
    "digits-quality": _digits_quality,
    "text-spelling": _text_spelling,
}

#: Every demo, available or not: key -> :class:`DemoInfo`.
DEMOS: dict[str, DemoInfo] = dict(_INFO)


def available_demos() -> list[str]:
    """Keys of the demos that can be built here, the default first (the text demo needs ``assets/text``)."""
    return [key for key in DEMOS if key != "text-spelling" or text_assets_folder() is not None]


def load_demo(key: str, *, random_state=0) -> Demo:
    """Build a demo's pool and target.

    Parameters
    ----------
    key : str
        One of :func:`available_demos`.
    random_state : int, Generator or None, default=0
        Seeds the drawn data and splits; the same seed gives the same files (and SHA-256).

    Returns
    -------
    Demo

    Raises
    ------
    ValueError
        ``key`` is not a known demo, or its files are missing.

    Examples
    --------
    >>> demo = load_demo("gaussian-2d")
    >>> demo.pool.n_rows, demo.target.n_rows
    (2000, 200)
    """
    if key not in _BUILDERS:
        raise ValueError(f"demo {key!r} is not known; choose one of {', '.join(DEMOS)}.")
    return _BUILDERS[key](check_random_state(random_state))
