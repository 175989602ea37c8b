"""Selection quality: every method, the same budgets, offline tasks, mean ± std over seeds.

Usage::

    .venv/bin/python benchmarks/quality.py            # 4 tasks x 5 seeds x budgets 50 and 150 (a few minutes)
    .venv/bin/python benchmarks/quality.py --quick    # 3 tasks x 2 seeds x budget 150 (well under a minute)
    .venv/bin/python benchmarks/quality.py --jobs 1   # no worker processes

Each method gets the pool and the target a task defines, is asked for ``budget`` picks with its
own defaults (``init=None``, as a user calling it out of the box), and is scored by
:func:`gio_core.evaluate.metrics.evaluate_selection` against a held-out sample of the target that no method
saw: KL (standard k-NN estimator, k=5), MMD² (RBF, the held-out target's median distance as
bandwidth), coverage, precision (in-target or clean picks) and the accuracy of a logistic regression
trained on the picks and scored on the held-out rows. The best mean per column and task is marked
with ``*``. The table goes to stdout and to ``benchmarks/out/quality.md``.

Methods are :data:`gio_core.methods.METHODS`: ``GIO`` is ``GIOSelector`` with its defaults (those
the study in ``benchmarks/gio_variants.py`` chose), ``GIO (paper)`` pins grad-info-opt's values;
``TSDS`` and ``GTP-style pursuit`` are :mod:`gio_core.methods.tsds` and :mod:`gio_core.methods.pursuit`. On the text
task, which has the sentences behind its vectors, the text methods of :data:`gio_core.methods.dsir.TEXT_METHODS`
(DSIR) run too, on the sentences, and are scored on the same vectors as the others.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality_tasks as qt

from gio_core.evaluate.metrics import METRIC_DIRECTIONS, evaluate_selection
from gio_core.methods.dsir import TEXT_METHODS
from gio_core.methods.registry import METHODS

OUT = Path(__file__).resolve().parent / "out"
METRICS = ("kl", "mmd2", "coverage", "precision", "accuracy")


def _run_method(name: str, task: qt.Task, budget: int, seed: int) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    if name in METHODS:
        fitted = METHODS[name](budget, seed).fit(task.pool, task.target)
    else:
        text_method = TEXT_METHODS[name](budget, seed, pool_texts=task.pool_texts, target_texts=task.target_texts)
        fitted = text_method.fit(task.pool, task.target)
    picks = fitted.selected_indices_
    assert picks is not None  # rows, not a Quantization
    return picks, time.perf_counter() - started


def _one(job) -> list[dict]:
    family, seed, budgets, names = job
    task = qt.build(family, seed)
    if task is None:
        return []
    rows = []
    if task.pool_texts is not None:
        names = [*names, *TEXT_METHODS]
    for budget in budgets:
        for name in names:
            picks, seconds = _run_method(name, task, budget, seed)
            metrics = evaluate_selection(task.pool, picks, task.heldout, k=5, **task.metric_kwargs(), random_state=0)
            rows.append(
                {"task": task.name, "budget": budget, "method": name, "seed": seed, "seconds": seconds, **metrics}
            )
    return rows


def run(families, seeds, budgets, *, jobs: int = 2) -> list[dict]:
    names = list(METHODS)
    work = [(family, seed, budgets, names) for family in families for seed in seeds]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as executor:
            results = list(executor.map(_one, work))
    else:
        results = [_one(job) for job in work]
    return [row for rows in results for row in rows]


def table(rows: list[dict], seeds) -> str:
    """One markdown table: mean ± std of every metric per task, budget and method."""
    lines = [
        f"Mean ± std over seeds {list(seeds)}; `*` marks the best mean per task, budget and column "
        f"({', '.join(f'{m} {METRIC_DIRECTIONS[m]}' for m in METRICS)} is better).",
        "",
        "| task | budget | method | KL ↓ | MMD² ↓ | coverage ↑ | precision ↑ | accuracy ↑ | s/run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["task"], row["budget"]), {}).setdefault(row["method"], []).append(row)
    for (task, budget), methods in groups.items():
        means = {
            name: {metric: np.nanmean([r.get(metric, math.nan) for r in runs]) for metric in METRICS}
            for name, runs in methods.items()
        }
        best = {}
        for metric in METRICS:
            values = {name: value[metric] for name, value in means.items() if not math.isnan(value[metric])}
            if values:
                pick = min if METRIC_DIRECTIONS[metric] == "lower" else max
                best[metric] = pick(values.values())
        for name, runs in methods.items():
            cells = []
            for metric in METRICS:
                scores = np.array([r.get(metric, math.nan) for r in runs], dtype=float)
                if np.all(np.isnan(scores)):
                    cells.append("–")
                    continue
                digits = 3 if metric == "mmd2" else 2
                is_best = metric in best and np.isclose(np.nanmean(scores), best[metric], rtol=0, atol=1e-12)
                mark = "*" if is_best else ""
                cells.append(f"{np.nanmean(scores):.{digits}f} ± {np.nanstd(scores):.{digits}f}{mark}")
            seconds = np.mean([r["seconds"] for r in runs])
            lines.append(f"| {task} | {budget} | {name} | " + " | ".join(cells) + f" | {seconds:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 tasks, 2 seeds, budget 150")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    budgets: tuple[int, ...]
    if args.quick:
        families, seeds, budgets = ["digits_subset", "digits_corrupted", "mixture"], range(2), (150,)
    else:
        families, seeds, budgets = ["digits_subset", "digits_corrupted", "mixture", "text"], range(5), (50, 150)
    started = time.perf_counter()
    rows = run(families, seeds, budgets, jobs=args.jobs)
    text = table(rows, seeds)
    elapsed = time.perf_counter() - started
    command = "benchmarks/quality.py" + (" --quick" if args.quick else "")
    text += f"\n\n{len(rows)} runs in {elapsed:.0f} s ({args.jobs} worker(s)); `{command}`."
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ("quality_quick.md" if args.quick else "quality.md")).write_text(text + "\n")


if __name__ == "__main__":
    main()
