"""How big K-means gets: when a pool is quantised by default, and how many clusters it is given.

One rule for the app's defaults and for a comparison that must quantise GIO to fit its budget, so the two
quantise a pool of the same size the same way.
"""

from __future__ import annotations

__all__ = ["QUANTIZE_ABOVE_ROWS", "suggested_clusters"]

#: Pools with more rows than this are quantised by default.
QUANTIZE_ABOVE_ROWS = 20_000


def suggested_clusters(n_rows: int) -> int:
    """A K-means cluster count for a pool of ``n_rows`` rows: about 1% of it, between 50 and 2,000 (and at most
    ``n_rows``).

    Examples
    --------
    >>> suggested_clusters(30_000), suggested_clusters(1_000_000), suggested_clusters(40)
    (300, 2000, 40)
    """
    return int(min(2_000, max(50, n_rows // 100), n_rows))
