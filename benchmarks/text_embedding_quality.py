"""Which text embedding lets GIO tell clean sentences from misspelt ones?

The task of the data-in issue: the pool holds clean sentences and typo-corrupted sentences, the target
holds other clean sentences; a good embedding puts the clean pool rows near the target, so GIO's picks
are mostly clean. Printed: the share of clean rows among GIO's picks, per text model, over seeds
(chance is the pool's clean share, 0.5).

Data: ``assets/text/`` (pool: 600 sentences, each clean and with typos; target: 200 other clean
sentences). Each seed draws ``--pool-sentences`` of the pool's sentences and ``--target-rows`` target
rows, then runs :class:`gio_core.GIOSelector` with the engine's defaults and ``random_state=seed``.

``--layout paired`` (default) keeps both versions of each drawn sentence in the pool; ``--layout
unpaired`` keeps the clean version of half the drawn sentences and the typo version of the other half,
so no sentence appears twice.

The last row is DSIR (:class:`gio_core.methods.dsir.DSIRSelector`), which selects from the raw sentences with
hashed n-grams and no embedding: it is asked for ``max_iter`` picks (GIO's budget; GIO may stop
earlier), and its AUC is that of its importance weights.

Run: ``.venv/bin/python benchmarks/text_embedding_quality.py [--seeds 5] [--layout paired|unpaired]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gio_core import GIOSelector  # noqa: E402
from gio_core.io.embeddings import available_text_models, embed_texts, tfidf_embed  # noqa: E402
from gio_core.methods.dsir import DSIRSelector  # noqa: E402


def tfidf_svd(texts, *, components=100, seed=0):
    """The issue's weak baseline: word TF-IDF + truncated SVD."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    reduced = TruncatedSVD(n_components=min(components, matrix.shape[1] - 1), random_state=seed).fit_transform(matrix)
    reduced /= np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-12)
    return reduced.astype(np.float32)


def tfidf_dense_vocabulary(texts, *, analyzer="char_wb", ngram_range=(2, 5), max_features=None):
    """Exact TF-IDF over the vocabulary, densified (no hashing, no projection): the upper bound."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        sublinear_tf=True,
        strip_accents="unicode",
        max_features=max_features,
        dtype=np.float32,
    ).fit_transform(texts)
    return matrix.toarray()


def separability(pool_vectors, target_vectors, is_clean, k: int = 5) -> float:
    """ROC AUC of "mean cosine similarity to the k most similar target rows" for clean vs typo rows.

    Independent of GIO: 0.5 means the embedding does not place clean rows nearer the target.
    """
    from sklearn.metrics import roc_auc_score

    pool_unit = pool_vectors / np.maximum(np.linalg.norm(pool_vectors, axis=1, keepdims=True), 1e-12)
    target_unit = target_vectors / np.maximum(np.linalg.norm(target_vectors, axis=1, keepdims=True), 1e-12)
    similarity = pool_unit @ target_unit.T
    score = np.sort(similarity, axis=1)[:, -k:].mean(axis=1)
    return float(roc_auc_score(is_clean, score))


def models(include_variants: bool):
    chosen = {
        "tfidf (built in)": lambda texts: embed_texts(texts, [], model="tfidf")[0],
    }
    if "minilm" in available_text_models():
        chosen["minilm"] = lambda texts: embed_texts(texts, [], model="minilm")[0]
    chosen["word tfidf + SVD-100"] = tfidf_svd
    if include_variants:
        chosen.update(
            {
                "char_wb 2-5, exact vocabulary": lambda texts: tfidf_dense_vocabulary(texts),
                "char_wb 2-5, top 2048 n-grams": lambda texts: tfidf_dense_vocabulary(texts, max_features=2048),
                "char_wb 2-5 sketch 1024": lambda texts: tfidf_embed(texts, ngram_range=(2, 5)),
                "char_wb 2-4 sketch 1024": lambda texts: tfidf_embed(texts, ngram_range=(2, 4)),
                "char_wb 1-3 sketch 2048": lambda texts: tfidf_embed(texts, ngram_range=(1, 3), dimensions=2048),
                "char_wb 2-4 sketch 2048": lambda texts: tfidf_embed(texts, ngram_range=(2, 4), dimensions=2048),
                "char_wb 2-5 sketch 256": lambda texts: tfidf_embed(texts, ngram_range=(2, 5), dimensions=256),
                "char_wb 2-5 sketch 512": lambda texts: tfidf_embed(texts, ngram_range=(2, 5), dimensions=512),
                "char_wb 2-5 sketch 2048": lambda texts: tfidf_embed(texts, ngram_range=(2, 5), dimensions=2048),
                "char_wb 2-5 sketch 4096": lambda texts: tfidf_embed(texts, ngram_range=(2, 5), dimensions=4096),
                "char_wb 1-3 sketch 1024": lambda texts: tfidf_embed(texts, ngram_range=(1, 3)),
                "char_wb 3-5 sketch 1024": lambda texts: tfidf_embed(texts, ngram_range=(3, 5)),
                "char 2-5 sketch 1024": lambda texts: tfidf_embed(texts, analyzer="char", ngram_range=(2, 5)),
                "char_wb 1-4 no idf 1024": lambda texts: tfidf_embed(texts, use_idf=False),
                "char_wb 1-4 raw tf 1024": lambda texts: tfidf_embed(texts, sublinear_tf=False),
                "word 1-2 sketch 1024": lambda texts: tfidf_embed(texts, analyzer="word", ngram_range=(1, 2)),
            }
        )
    return chosen


def draw(pool: pd.DataFrame, target: pd.DataFrame, seed: int, *, pool_sentences: int, target_rows: int, layout: str):
    rng = np.random.default_rng(seed)
    sentence_ids = np.sort(pool["sentence_id"].unique())
    drawn = rng.choice(sentence_ids, size=min(pool_sentences, len(sentence_ids)), replace=False)
    rows = pool[pool["sentence_id"].isin(drawn)]
    if layout == "unpaired":
        clean_half = set(drawn[: len(drawn) // 2].tolist())
        keep = rows["sentence_id"].isin(clean_half) == (rows["is_clean"] == 1)
        rows = rows[keep]
    rows = rows.reset_index(drop=True)
    target_sample = target.iloc[np.sort(rng.choice(len(target), size=min(target_rows, len(target)), replace=False))]
    return rows, target_sample.reset_index(drop=True)


def _dsir_row(name: str, pool: pd.DataFrame, target: pd.DataFrame, args, budget: int) -> None:
    """DSIR on the raw sentences of every seed's draw, printed as one more row of the table."""
    from sklearn.metrics import roc_auc_score

    shares, firsts, aucs, picks, seconds = [], [], [], [], []
    for seed in range(args.seeds):
        rows, target_rows = draw(
            pool, target, seed, pool_sentences=args.pool_sentences, target_rows=args.target_rows, layout=args.layout
        )
        started = time.perf_counter()
        selector = DSIRSelector(n_select=budget, random_state=seed).fit(
            rows["text"].tolist(), target_rows["text"].tolist()
        )
        seconds.append(time.perf_counter() - started)
        chosen = rows.iloc[selector.selected_indices_]
        shares.append(float(chosen["is_clean"].mean()))
        firsts.append(float(chosen["is_clean"].iloc[:20].mean()))
        aucs.append(float(roc_auc_score(rows["is_clean"], selector.log_importance_weights_)))
        picks.append(len(chosen))
    per_seed = " ".join(f"{share:.2f}" for share in shares)
    print(
        f"{name:<32} {per_seed:<36} {np.mean(shares):>6.3f} {np.mean(firsts):>7.3f} {np.mean(aucs):>6.3f} "
        f"{np.mean(picks):>6.1f} {np.mean(seconds):>7.1f}",
        flush=True,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--pool-sentences", type=int, default=400)
    parser.add_argument("--target-rows", type=int, default=150)
    parser.add_argument("--layout", choices=("paired", "unpaired"), default="paired")
    parser.add_argument("--variants", action="store_true", help="also the TF-IDF variants tried while tuning")
    parser.add_argument("--max-iter", type=int, default=None, help="GIO max_iter (default: the engine's)")
    parser.add_argument("--only", nargs="+", default=None, help="run only models whose name contains one of these")
    args = parser.parse_args(argv)

    pool = pd.read_csv(ROOT / "assets" / "text" / "pool.csv")
    target = pd.read_csv(ROOT / "assets" / "text" / "target.csv")
    params = GIOSelector().get_params()
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    print(
        f"GIO parameters: k={params['k']}, max_iter={params['max_iter']}, stop_criterion={params['stop_criterion']}, "
        f"v_init={params['v_init']} (engine defaults unless set); layout={args.layout}; "
        f"{args.pool_sentences} pool sentences, {args.target_rows} target rows; seeds 0..{args.seeds - 1}"
    )
    print(
        f"{'model':<32} {'clean share of picks per seed':<36} {'mean':>6} {'first20':>7} {'AUC':>6} "
        f"{'picks':>6} {'s/seed':>7}"
    )
    for name, embed in models(args.variants).items():
        if args.only and not any(part in name for part in args.only):
            continue
        shares, firsts, aucs, picks, seconds = [], [], [], [], []
        for seed in range(args.seeds):
            rows, target_rows = draw(
                pool, target, seed, pool_sentences=args.pool_sentences, target_rows=args.target_rows, layout=args.layout
            )
            started = time.perf_counter()
            texts = rows["text"].tolist() + target_rows["text"].tolist()
            vectors = np.asarray(embed(texts), dtype=np.float32)
            pool_vectors, target_vectors = vectors[: len(rows)], vectors[len(rows) :]
            selector = GIOSelector(**{**params, "random_state": seed}).fit(pool_vectors, target_vectors)
            seconds.append(time.perf_counter() - started)
            chosen = rows.iloc[selector.selected_indices_]
            shares.append(float(chosen["is_clean"].mean()) if len(chosen) else float("nan"))
            firsts.append(float(chosen["is_clean"].iloc[:20].mean()) if len(chosen) else float("nan"))
            aucs.append(separability(pool_vectors, target_vectors, rows["is_clean"].to_numpy()))
            picks.append(len(chosen))
        per_seed = " ".join(f"{share:.2f}" for share in shares)
        print(
            f"{name:<32} {per_seed:<36} {np.nanmean(shares):>6.3f} {np.nanmean(firsts):>7.3f} {np.mean(aucs):>6.3f} "
            f"{np.mean(picks):>6.1f} {np.mean(seconds):>7.1f}",
            flush=True,
        )
    dsir_name = "DSIR (hashed n-grams, raw text)"
    if not args.only or any(part in dsir_name for part in args.only):
        _dsir_row(dsir_name, pool, target, args, params["max_iter"])
    print("chance: 0.50 of the pool rows are clean (mean, first20); AUC 0.5 = no separation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
