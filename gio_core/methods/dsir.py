"""DSIR: data selection with importance resampling on hashed n-grams of raw text (Xie et al. 2023).

:class:`DSIRSelector` fits two bag-of-hashed-n-gram models, one on the target texts and one on the
pool texts, gives every pool text the log-ratio of its likelihood under the two, and resamples
pool rows without replacement in proportion to those importance weights (Gumbel top-k). It reads
text, not vectors, so it is offered only where a text column exists: the Compare page when the data
is text, and the text benchmarks (:data:`TEXT_METHODS`).

Why our own implementation rather than the authors' ``data-selection`` package (1.0.3 installs
here, with nltk): it is a file pipeline (JSON Lines paths in, a cache directory of ``.npy`` files
and JSON Lines out, joblib workers, tqdm bars on stderr), and it resamples with NumPy's global
random state, so a selection cannot be reproduced from a seed without seeding NumPy globally. By
default it also drops texts shorter than 100 tokens, which on short sentences (our text asset)
leaves nothing to select. The method itself is small; this module writes it from the paper,
in memory, seeded by ``random_state``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_matrix, check_float, check_int, check_random_state
from ..gio.kl import kl_curve as _kl_curve
from .base import BaseSelector, gumbel_order

logger = logging.getLogger(__name__)

__all__ = ["TEXT_METHODS", "DSIRSelector", "hashed_ngram_counts"]

# Words and runs of punctuation, like NLTK's WordPunctTokenizer that the paper's package uses.
_TOKEN_PATTERN = r"(?u)\w+|[^\w\s]+"


def _as_texts(values, name: str) -> list[str]:
    if values is None:
        raise TypeError(f"{name} is None; pass a list of strings, one text per row.")
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} is a single {type(values).__name__}; pass a list of strings, one text per row.")
    texts = list(values)
    bad = [position for position, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        first = bad[0]
        raise TypeError(
            f"{name} has {len(bad)} entr{'y' if len(bad) == 1 else 'ies'} that are not strings (the first "
            f"at row {first}: {texts[first]!r} of type {type(texts[first]).__name__}); fill missing texts "
            "with '' or drop those rows."
        )
    if not texts:
        raise ValueError(f"{name} is empty; pass at least one text.")
    return texts


def hashed_ngram_counts(texts: Sequence[str], *, n_buckets: int = 10_000, max_ngram: int = 2):
    """Counts of each text's lower-cased word n-grams (1 to ``max_ngram`` words), hashed into ``n_buckets``.

    Parameters
    ----------
    texts : sequence of str
    n_buckets : int, default=10000
    max_ngram : int, default=2
        2: unigrams and bigrams, as in the paper.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (len(texts), n_buckets)
        Non-negative counts (scikit-learn's ``HashingVectorizer``, MurmurHash3, no sign flipping).

    Examples
    --------
    >>> float(hashed_ngram_counts(["a b a"], n_buckets=64).sum())  # a, b, a; "a b", "b a"
    5.0
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(
        n_features=n_buckets,
        ngram_range=(1, max_ngram),
        token_pattern=_TOKEN_PATTERN,
        lowercase=True,
        alternate_sign=False,
        norm=None,
        dtype=np.float64,
    )
    return vectorizer.transform(texts)


class DSIRSelector(BaseSelector):
    """DSIR: importance resampling of raw texts with hashed n-gram features.

    Parameters
    ----------
    n_select : int, default=100
        Distinct pool texts to return (all of them when the pool is smaller).
    n_buckets : int, default=10000
        Hash buckets of the n-gram features (the paper's 10,000).
    max_ngram : int, default=2
        Longest word n-gram counted: 2 means unigrams and bigrams (the paper's choice).
    smoothing : float, default=0.001
        Pseudo-count added to every bucket of both bag-of-n-gram models (additive smoothing), so a
        bucket the target never uses gets a finite weight. 1 is Laplace's rule, but with 10,000
        buckets it outweighs any target of fewer than 10,000 n-grams: on the bundled clean-vs-typo
        sentences (``assets/text``, 100 picks, 5 seeds) it picked 0.38–0.47 clean rows, below the
        pool's 0.50, against 0.79–0.81 with 0.001 (0.70 with 0.1, 0.78 with 0.01); the authors'
        package instead floors the frequencies at 1e-8. The default was chosen on that asset.
    k : int, default=5
        Neighbour rank for ``kl_curve_`` only (when vectors are given).
    random_state : int, Generator or None, default=None
        Seeds the resampling.

    Attributes
    ----------
    selected_indices_ : ndarray of int64
        Pool rows in the order they were drawn.
    log_importance_weights_ : ndarray of shape (n_pool,)
        Each pool text's log importance weight.
    kl_curve_ : ndarray of float64
        The standard k-NN KL of ``target_vectors`` to the picks' ``pool_vectors`` after each pick,
        when both were given; otherwise all ``nan`` (the texts have no vectors to measure with).
    initial_kl_, stop_reason_, stop_message_
        As for the other selectors.

    Notes
    -----
    Xie, Santurkar, Ma & Liang (2023): a text's features ``z`` are the counts of its hashed unigrams
    and bigrams. The target and the pool are each modelled as a bag of hashed n-grams,
    ``γ_b = (count_b + smoothing) / Σ_b' (count_b' + smoothing)``, and a pool text's importance
    weight is ``log w = Σ_b z_b (log γ_target_b - log γ_pool_b)``. ``n_select`` texts are drawn
    without replacement with probability proportional to ``w``, by adding Gumbel noise to
    ``log w`` and keeping the largest (the paper's Gumbel top-k). The tokeniser splits words and
    runs of punctuation, lower-cased; hashing is scikit-learn's.

    Cost: linear in the total length of the texts, plus O(n_pool) to resample; 60,000 sentences
    of the text asset, 15,000 picks: 1.1 s (2 shared cores, load ≈ 10).

    References
    ----------
    S. M. Xie, S. Santurkar, T. Ma, P. Liang. Data Selection for Language Models via Importance
    Resampling. NeurIPS 2023. arXiv:2302.03169.

    Examples
    --------
    >>> import numpy as np
    >>> pool = ["the cat sat", "stocks fell sharply", "a cat purred", "bonds rallied"]
    >>> target = ["my cat slept", "the cat ate", "a cat ran"]
    >>> selector = DSIRSelector(n_select=2, random_state=0).fit(pool, target)
    >>> selector.selected_indices_.shape
    (2,)
    >>> sorted(np.argsort(-selector.log_importance_weights_)[:2].tolist())  # the texts about cats weigh most
    [0, 2]
    """

    def __init__(
        self,
        *,
        n_select: int = 100,
        n_buckets: int = 10_000,
        max_ngram: int = 2,
        smoothing: float = 0.001,
        k: int = 5,
        random_state=None,
    ):
        self.n_select = n_select
        self.n_buckets = n_buckets
        self.max_ngram = max_ngram
        self.smoothing = smoothing
        self.k = k
        self.random_state = random_state

    def _check_params(self) -> None:
        check_int(self.n_buckets, "n_buckets", minimum=1)
        check_int(self.max_ngram, "max_ngram", minimum=1)
        check_float(self.smoothing, "smoothing", minimum=0.0, exclusive_minimum=True)

    def fit(  # type: ignore[override]  # DSIR selects texts: its pool and target are texts, not vectors
        self,
        pool: Sequence[str],
        target: Sequence[str],
        init=None,
        *,
        pool_vectors: ArrayLike | None = None,
        target_vectors: ArrayLike | None = None,
    ) -> DSIRSelector:
        """Select up to ``n_select`` pool texts for the target texts.

        Parameters
        ----------
        pool : sequence of str of length n_pool
            The candidate texts.
        target : sequence of str of length n_target
            Texts of the target; at least ``k + 1`` when ``target_vectors`` are given.
        init : None
            Not used: DSIR resamples the pool and has no start set. Accepted for the common
            interface; anything but None is refused.
        pool_vectors : array-like of shape (n_pool, d), optional
            Vectors of the pool texts (any embedding), only to measure ``kl_curve_``.
        target_vectors : array-like of shape (n_target, d), optional
            Vectors of the target texts, with ``pool_vectors``.

        Returns
        -------
        self

        Raises
        ------
        TypeError
            Texts that are not strings, a single string instead of a list.
        ValueError
            Empty texts lists, bad parameters, vectors whose rows do not match the texts.
        """
        n_select = check_int(self.n_select, "n_select", minimum=1)
        k = check_int(self.k, "k", minimum=1)
        pool_texts = _as_texts(pool, "pool")
        target_texts = _as_texts(target, "target")
        if init is not None:
            raise ValueError("init is not used by DSIR (it resamples the pool and has no start set); leave it as None.")
        self._check_params()
        vectors = None
        if (pool_vectors is None) != (target_vectors is None):
            raise ValueError("pass both pool_vectors and target_vectors (to measure kl_curve_), or neither.")
        if pool_vectors is not None:
            vectors = (as_matrix(pool_vectors, "pool_vectors"), as_matrix(target_vectors, "target_vectors"))
            for name, matrix, texts in (
                ("pool_vectors", vectors[0], pool_texts),
                ("target_vectors", vectors[1], target_texts),
            ):
                if matrix.shape[0] != len(texts):
                    raise ValueError(
                        f"{name} has {matrix.shape[0]} rows but there are {len(texts)} texts; give one "
                        "vector per text, in the same order."
                    )
            if vectors[0].shape[1] != vectors[1].shape[1]:
                raise ValueError(
                    f"pool_vectors has {vectors[0].shape[1]} dimensions but target_vectors has "
                    f"{vectors[1].shape[1]}; embed both with the same model."
                )
            if vectors[1].shape[0] < k + 1:
                raise ValueError(
                    f"target_vectors has {vectors[1].shape[0]} rows; k={k} needs at least k+1={k + 1} "
                    "rows. Lower k or add target rows."
                )
        rng = check_random_state(self.random_state)

        pool_counts = hashed_ngram_counts(pool_texts, n_buckets=self.n_buckets, max_ngram=self.max_ngram)
        target_counts = hashed_ngram_counts(target_texts, n_buckets=self.n_buckets, max_ngram=self.max_ngram)
        smoothing = float(self.smoothing)

        def log_model(counts) -> NDArray[np.float64]:
            totals = np.asarray(counts.sum(axis=0)).ravel() + smoothing
            return np.log(totals) - np.log(totals.sum())

        log_ratio = log_model(target_counts) - log_model(pool_counts)
        log_weights = np.asarray(pool_counts @ log_ratio).ravel()
        amount = min(n_select, len(pool_texts))
        picks = gumbel_order(log_weights, amount, rng)

        self.log_importance_weights_ = log_weights
        self.selected_indices_ = picks
        if vectors is None:
            self.kl_curve_ = np.full(picks.shape[0], np.nan)
        else:
            self.kl_curve_ = _kl_curve(vectors[1], vectors[0][picks], k=k)
        self.initial_kl_ = float("inf")
        if amount < n_select:
            self.stop_reason_, self.stop_message_ = "pool_exhausted", "every pool row has been picked."
        else:
            self.stop_reason_, self.stop_message_ = "data_size", self._budget_message()
        return self


class _TextBound:
    """A text method bound to its texts, with the vector selectors' ``fit(pool, target, init=None)``."""

    def __init__(self, selector: DSIRSelector, pool_texts: Sequence[str], target_texts: Sequence[str]):
        self.selector = selector
        self.pool_texts = list(pool_texts)
        self.target_texts = list(target_texts)

    def fit(self, pool: ArrayLike, target: ArrayLike, init=None) -> DSIRSelector:
        return self.selector.fit(self.pool_texts, self.target_texts, init, pool_vectors=pool, target_vectors=target)


def _dsir(n_select: int, random_state=None, *, pool_texts: Sequence[str], target_texts: Sequence[str]) -> _TextBound:
    return _TextBound(DSIRSelector(n_select=n_select, random_state=random_state), pool_texts, target_texts)


TextFactory = Callable[..., _TextBound]

#: Methods that read raw text: display name -> factory ``(n_select, random_state, *, pool_texts,
#: target_texts)`` returning an estimator whose ``fit(pool_vectors, target_vectors, init=None)``
#: selects with the texts (row ``i`` of the vectors is text ``i``) and measures ``kl_curve_`` on the
#: vectors, so a comparison can run and score it next to :data:`gio_core.methods.METHODS`. Give it
#: only the target texts the method may see (a comparison gives the seen rows, never the held-out
#: ones).
TEXT_METHODS: dict[str, TextFactory] = {"DSIR": _dsir}
