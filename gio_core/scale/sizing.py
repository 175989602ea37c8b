"""How big K-means gets: when a pool is quantised by default, and how many clusters it is given.

One rule for the app's defaults and for a comparison that must quantise GIO to fit its budget, so the two
quantise a pool of the same size the same way.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAX_PICKS",
    "ORDER_BY_TARGET_ROWS_PAIRS",
    "QUANTIZE_ABOVE_ROWS",
    "suggested_clusters",
    "suggested_max_picks",
]

#: Most picks of a run when ``max_iter`` is left at None and the pool is not quantised (grad-info-opt's 100).
DEFAULT_MAX_PICKS = 100

#: Pools with more rows than this are quantised by default.
QUANTIZE_ABOVE_ROWS = 20_000

#: A partly taken cluster's rows are ordered by their distance to the nearest target *row* while pool rows x
#: target rows stays within this (the search is a flat one over the target rows, done during assignment on
#: Spark); past it, to the nearest target centroid. Centroids carry nothing of a cluster's inner spread: on
#: Fashion-MNIST self-selection (target = pool, 60k x 60k pairs) ordering by them kept each cluster's most
#: central rows and cost 0.8 points of accuracy against random rows (``benchmarks/real_data.py``).
ORDER_BY_TARGET_ROWS_PAIRS = 4_000_000_000


def suggested_clusters(n_rows: int) -> int:
    """A K-means cluster count for a pool of ``n_rows`` rows: 2% of it, between 50 and 2,000 (and at most
    ``n_rows``).

    With 1% (300 clusters at 30,000 rows) a mixture of 200 overlapping modes came out with clusters that held
    two modes, one of them the target's and one not, and GIO, which takes or leaves a whole cluster, kept
    0.76-0.83 of its own-stop rows in the target; 2% gave 0.95-1.00 (recall 0.93-0.95 against 0.99), with
    separated modes unchanged (``benchmarks/quantised_quality.py``, README "Quality at scale"). From 100,000
    rows on the cap applies either way; it bounds the time of GIO's run over the centroids.

    Examples
    --------
    >>> suggested_clusters(30_000), suggested_clusters(1_000_000), suggested_clusters(40)
    (600, 2000, 40)
    """
    return int(min(2_000, max(50, n_rows // 50), n_rows))


def suggested_max_picks(n_clusters: int | None) -> int:
    """The most picks of a run left at ``max_iter=None``: 100, or a fifth of the centroids when quantised (at
    least 100).

    A fixed 100 picks stopped a 300k-row run on 2,000 centroids with the KL still falling and 72% of the target
    centres' rows found (``benchmarks/quantised_quality.py``); the clusters near a target that holds a tenth of
    the pool are about a tenth of K.

    Examples
    --------
    >>> suggested_max_picks(None), suggested_max_picks(300), suggested_max_picks(2_000)
    (100, 100, 400)
    """
    if not n_clusters:
        return DEFAULT_MAX_PICKS
    return int(max(DEFAULT_MAX_PICKS, n_clusters // 5))
