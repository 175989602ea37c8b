"""Bundled demos: pool and target pairs that run offline, for the app, the tests and the benchmarks.

Each demo is a pool file and a target file read through :func:`gio_core.io.read_data`, exactly as an
upload would be, plus the vector choice, a label column that colours the map, and the GIO parameters
that suit it. Nothing is downloaded: the data are drawn from a seeded generator, come with
scikit-learn (the 8x8 digits), or ship in ``assets/`` (the text demo).

``clusters-2d``
    The opening demo: a 2-D pool of five clusters and a target drawn from three of them, in unequal
    shares. With a budget of 80 picks, GIO's picks spread over the three target clusters in about the
    target's proportions while the KL falls; the other two clusters get none. The map is the data itself, so nothing is hidden by a
    projection.
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
``fashion-mnist``
    Images: the target is footwear (sandals, sneakers, ankle boots) from the bundled 4,000-image
    Fashion-MNIST subset, the pool the rest of the subset, all ten classes. Vectors are the first 32
    principal components of the pixels; the run is quantised (K-means, 200 clusters) as a real pool's
    would be. The demo carries the images, so the app can show what was picked.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import check_random_state
from ._assets import assets_folder
from .read import read_data
from .tables import LoadedData

logger = logging.getLogger(__name__)

__all__ = [
    "DEMOS",
    "FASHION_TARGET_CLASSES",
    "Demo",
    "DemoInfo",
    "available_demos",
    "load_demo",
    "pixel_pca",
    "text_assets_folder",
]


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
        The two files, as :func:`gio_core.io.read_data` returns them.
    vectors : dict
        Keyword arguments of :func:`gio_core.io.prepare_vectors` that pick the vectors
        (``columns=``, ``vector_column=`` or ``text_column=``).
    label_column : str or None
        A column of both files that colours the map (a class, or a clean/corrupted flag).
    good_labels : tuple
        Values of ``label_column`` that a good selection should pick (the target's classes).
    params : dict
        GIO parameters suggested for this demo, on top of the app's defaults.
    pool_images, target_images : ndarray of uint8, shape (n_rows, height, width), or None
        Grey-scale images of the rows of ``pool`` and ``target``, for image demos.
    """

    info: DemoInfo
    pool: LoadedData = field(repr=False)
    target: LoadedData = field(repr=False)
    vectors: dict
    label_column: str | None
    good_labels: tuple = ()
    params: dict = field(default_factory=dict)
    pool_images: np.ndarray | None = field(default=None, repr=False)
    target_images: np.ndarray | None = field(default=None, repr=False)


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


_CLUSTER_CENTERS = np.array([[-3.0, 2.0], [0.0, 0.0], [3.0, 2.5], [2.5, -2.5], [-2.5, -2.5]])
_CLUSTER_SCALES = (0.7, 0.8, 0.6, 0.7, 0.6)
_CLUSTER_NAMES = ("A", "B", "C", "D", "E")
# target rows per cluster: three of the five, in unequal shares, so a good selection follows the shares
_TARGET_CLUSTER_ROWS = {"A": 90, "C": 60, "D": 50}
_CLUSTERS_BUDGET = 80


def _clusters_2d(rng: np.random.Generator) -> Demo:
    def draw(rows_per_cluster: dict, prefix: str) -> pd.DataFrame:
        parts = []
        for name, rows in rows_per_cluster.items():
            index = _CLUSTER_NAMES.index(name)
            points = _CLUSTER_CENTERS[index] + rng.normal(scale=_CLUSTER_SCALES[index], size=(rows, 2))
            parts.append(pd.DataFrame({"cluster": name, "x": points[:, 0], "y": points[:, 1]}))
        frame = pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=rng).reset_index(drop=True)
        frame.insert(0, "id", [f"{prefix}{i:04d}" for i in range(len(frame))])
        return frame

    pool = draw(dict.fromkeys(_CLUSTER_NAMES, 400), "p")
    target = draw(_TARGET_CLUSTER_ROWS, "t")
    return Demo(
        info=_INFO["clusters-2d"],
        pool=_frame_file(pool, "clusters_pool.csv"),
        target=_frame_file(target, "clusters_target_ACD.csv"),
        vectors={"columns": ["x", "y"]},
        label_column="cluster",
        good_labels=tuple(_TARGET_CLUSTER_ROWS),
        # a budget: in 2-D with 200 target rows the k-NN KL of the first few picks is noisy (its
        # small-sample bias), and "3 rises in a row" can end a run after five picks
        params={"stop_criterion": "data_size", "max_iter": _CLUSTERS_BUDGET},
    )


def _gaussian_2d(rng: np.random.Generator) -> Demo:
    mean = np.array([0.0, 0.0])
    covariance = np.array([[1.0, 0.6], [0.6, 0.8]])
    pool = rng.multivariate_normal(mean, covariance, size=2000)
    target = rng.multivariate_normal(mean, covariance, size=200)
    pool_frame = pd.DataFrame({"id": [f"g{i:04d}" for i in range(len(pool))], "x": pool[:, 0], "y": pool[:, 1]})
    target_frame = pd.DataFrame({"id": [f"t{i:03d}" for i in range(len(target))], "x": target[:, 0], "y": target[:, 1]})
    return Demo(
        info=_INFO["gaussian-2d"],
        pool=_frame_file(pool_frame, "gaussian_pool.csv"),
        target=_frame_file(target_frame, "gaussian_target.csv"),
        vectors={"columns": ["x", "y"]},
        label_column=None,
    )


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
    return Demo(
        info=_INFO["digits-subset"],
        pool=_frame_file(pool, "digits_pool.csv"),
        target=_frame_file(target, "digits_target_037.csv"),
        vectors={"columns": _pixel_columns()},
        label_column="label",
        good_labels=_TARGET_DIGITS,
    )


def _corrupt(images: np.ndarray, rng: np.random.Generator, share: float = 1 / 3) -> np.ndarray:
    corrupted = images.copy()
    mask = rng.random(images.shape) < share
    corrupted[mask] = rng.integers(0, 17, size=int(mask.sum()))
    return corrupted


def _digits_quality(rng: np.random.Generator) -> Demo:
    images, labels = _load_digits()
    order = rng.permutation(len(labels))
    target_rows, rest = order[:200], order[200:]
    clean_rows, corrupted_rows = rest[: len(rest) // 2], rest[len(rest) // 2 :]
    pool_images = np.vstack([images[clean_rows], _corrupt(images[corrupted_rows], rng)])
    pool_labels = np.concatenate([labels[clean_rows], labels[corrupted_rows]])
    is_clean = np.concatenate([np.ones(len(clean_rows), dtype=np.int64), np.zeros(len(corrupted_rows), dtype=np.int64)])
    shuffle = rng.permutation(len(pool_labels))
    pool = _digits_frame(pool_images[shuffle], pool_labels[shuffle], "p", {"is_clean": is_clean[shuffle]})
    target = _digits_frame(
        images[target_rows], labels[target_rows], "t", {"is_clean": np.ones(len(target_rows), dtype=np.int64)}
    )
    return Demo(
        info=_INFO["digits-quality"],
        pool=_frame_file(pool, "digits_clean_and_noisy_pool.csv"),
        target=_frame_file(target, "digits_clean_target.csv"),
        vectors={"columns": _pixel_columns()},
        label_column="is_clean",
        good_labels=(1,),
    )


def _text_spelling(rng: np.random.Generator) -> Demo:
    folder = text_assets_folder()
    if folder is None:
        raise ValueError(
            "demo 'text-spelling' needs assets/text/pool.parquet and target.parquet; build them with "
            "`python assets/text/build.py` or choose another demo."
        )
    pool = read_data(folder / "pool.parquet")
    target = read_data(folder / "target.parquet")
    return Demo(
        info=_INFO["text-spelling"],
        pool=pool,
        target=target,
        vectors={"vector_column": "minilm"},
        label_column="is_clean",
        good_labels=(1,),
    )


#: Fashion-MNIST classes of the image demo's target (footwear).
FASHION_TARGET_CLASSES = ("Sandal", "Sneaker", "Ankle boot")
_FASHION_TARGET_ROWS = 150
_FASHION_DIMENSIONS = 32
_FASHION_CLUSTERS = 200


def pixel_pca(images: np.ndarray, n_components: int) -> np.ndarray:
    """Principal-component scores of flattened images (pixels scaled to [0, 1]), signs fixed.

    Parameters
    ----------
    images : ndarray of shape (n, height, width)
    n_components : int

    Returns
    -------
    ndarray of float64, shape (n, n_components)
    """
    pixels = images.reshape(len(images), -1).astype(np.float64) / 255.0
    centred = pixels - pixels.mean(axis=0)
    # the pixel covariance is small (784 x 784 for 28 x 28): its eigenvectors are the components
    _, vectors = np.linalg.eigh(centred.T @ centred)
    components = vectors[:, ::-1][:, :n_components]
    signs = np.sign(components[np.abs(components).argmax(axis=0), np.arange(components.shape[1])])
    return centred @ (components * np.where(signs == 0, 1.0, signs))


def _fashion_mnist(rng: np.random.Generator) -> Demo:
    from .datasets import FASHION_MNIST_CLASSES, fashion_mnist_sample

    images, labels = fashion_mnist_sample()
    names = np.asarray(FASHION_MNIST_CLASSES, dtype=object)[labels]
    wanted = np.flatnonzero(np.isin(names, FASHION_TARGET_CLASSES))
    target_rows = np.sort(rng.choice(wanted, size=_FASHION_TARGET_ROWS, replace=False))
    pool_rows = np.setdiff1d(np.arange(len(labels)), target_rows)
    scores = pixel_pca(images, _FASHION_DIMENSIONS)
    columns = [f"pc{i + 1:02d}" for i in range(_FASHION_DIMENSIONS)]

    def frame(rows: np.ndarray, prefix: str) -> pd.DataFrame:
        table = pd.DataFrame({"id": [f"{prefix}{i:04d}" for i in range(len(rows))], "label": names[rows]})
        return pd.concat([table, pd.DataFrame(scores[rows], columns=columns)], axis=1)

    return Demo(
        info=_INFO["fashion-mnist"],
        pool=_frame_file(frame(pool_rows, "p"), "fashion_pool.csv"),
        target=_frame_file(frame(target_rows, "t"), "fashion_target_footwear.csv"),
        vectors={"columns": columns},
        label_column="label",
        good_labels=FASHION_TARGET_CLASSES,
        params={"n_clusters": _FASHION_CLUSTERS},
        pool_images=images[pool_rows],
        target_images=images[target_rows],
    )


_INFO: dict[str, DemoInfo] = {
    "clusters-2d": DemoInfo(
        "clusters-2d",
        "2-D clusters (target: three of five)",
        "The pool (2,000 points) holds five clusters, A to E; the target (200 points) comes from three of them, "
        "A, C and D, in shares 45%, 30% and 25%. GIO sees no labels: watch its picks spread over the three "
        "target clusters, in about the target's shares, while the KL falls; B and E get none.",
    ),
    "gaussian-2d": DemoInfo(
        "gaussian-2d",
        "2-D Gaussian (self-consistency)",
        "Target (200 points) and pool (2,000 points) come from one 2-D Gaussian, as in the paper's "
        "self-consistency check: every pool row is in-distribution, so watch where GIO places its picks "
        "within the target's cloud and when the KL stops falling.",
    ),
    "digits-subset": DemoInfo(
        "digits-subset",
        "Digits 0, 3, 7 (target subset)",
        "The target is 150 handwritten 0s, 3s and 7s (scikit-learn's 8x8 digits, 64 pixels); the pool is "
        "every other digit image, all ten classes. GIO should pick mostly 0s, 3s and 7s.",
    ),
    "digits-quality": DemoInfo(
        "digits-quality",
        "Clean vs noisy digits (quality)",
        "The pool holds clean digit images and copies with a third of their pixels overwritten by noise; "
        "the target is clean images. GIO should pick the clean rows (is_clean = 1).",
    ),
    "text-spelling": DemoInfo(
        "text-spelling",
        "Clean vs misspelt sentences (text quality)",
        "As in the paper's spelling experiment: the pool holds clean sentences and copies with typos, the "
        "target clean sentences, all embedded with all-MiniLM-L6-v2. GIO should pick clean sentences.",
    ),
    "fashion-mnist": DemoInfo(
        "fashion-mnist",
        "Fashion-MNIST footwear (images)",
        "The target is 150 images of footwear (sandals, sneakers, ankle boots) from a 4,000-image Fashion-MNIST "
        "sample; the pool is the other 3,850, all ten classes. Vectors: 32 principal components of the pixels; "
        "the run is quantised into 200 K-means clusters. GIO should pick footwear: see the gallery below the map.",
    ),
}

_BUILDERS: dict[str, Callable[[np.random.Generator], Demo]] = {
    "clusters-2d": _clusters_2d,
    "gaussian-2d": _gaussian_2d,
    "digits-subset": _digits_subset,
    "digits-quality": _digits_quality,
    "text-spelling": _text_spelling,
    "fashion-mnist": _fashion_mnist,
}

#: Every demo, available or not: key -> :class:`DemoInfo`.
DEMOS: dict[str, DemoInfo] = dict(_INFO)


def _fashion_sample_present() -> bool:
    folder = assets_folder() / "fashion_mnist"
    return all((folder / f"sample-{kind}-ubyte.gz").is_file() for kind in ("images-idx3", "labels-idx1"))


def available_demos() -> list[str]:
    """Keys of the demos that can be built here, the default first (the text and image demos need their
    bundled files in ``assets/``)."""
    present = {"text-spelling": text_assets_folder() is not None, "fashion-mnist": _fashion_sample_present()}
    return [key for key in DEMOS if present.get(key, True)]


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
    >>> demo = load_demo("clusters-2d")
    >>> demo.pool.n_rows, demo.target.n_rows
    (2000, 200)
    """
    if key not in _BUILDERS:
        raise ValueError(f"demo {key!r} is not known; choose one of {', '.join(DEMOS)}.")
    return _BUILDERS[key](check_random_state(random_state))
