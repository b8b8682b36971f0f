"""How much confidence a first quote that lacks what the question asks should lose: the fit of
``RetrievalSettings.missing_logit_shift``.

    python -m benchmarks.missing_shift [--part tuning|check] [--v2 squad-v2.0-dev-a10.json]

Asks every SQuAD 2.0 question of one part of the articles (split as :mod:`rag.evaluate.squad`
splits the v1.1 file; ``tuning`` to choose) with the shift off, and prints, for each shift, the log
loss of the confidence against "the first quote holds the answer" (impossible questions: never)
and the AUROC between answerable questions right first and impossible ones. A first quote lacks
something when its answer names what is missing (it is then ``uncertain``).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.corpora import SQUAD_PATH
from benchmarks.squad2 import V2_DEV, asked, part_articles
from rag import Settings
from rag.evaluate.squad import auroc

__all__ = ["SHIFTS", "collect", "table"]

SHIFTS = (0.0, -0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0, -5.0)


def collect(v2: Path, squad: Path, part: str, settings: Settings) -> list[tuple[float, bool, bool, bool]]:
    """(confidence with no shift, lacks something, right first, impossible) for every question."""
    unshifted = replace(settings, retrieval=replace(settings.retrieval, missing_logit_shift=0.0))
    return [
        (float(answer.confidence or 0.0), bool(answer.missing), right, not q.answer_starts)
        for q, answer, right, _ in asked(part_articles(v2, squad, part), 3, unshifted)
    ]


def table(rows: list[tuple[float, bool, bool, bool]]) -> list[tuple[float, float, float | None]]:
    """(shift, log loss, AUROC) for each of :data:`SHIFTS`."""
    conf = np.clip(np.array([r[0] for r in rows]), 1e-4, 1 - 1e-4)
    lack = np.array([r[1] for r in rows], dtype=float)
    right = np.array([r[2] for r in rows])
    impossible = np.array([r[3] for r in rows])
    odds = np.log(conf / (1 - conf))
    out = []
    for shift in SHIFTS:
        p = 1 / (1 + np.exp(-(odds + shift * lack)))
        loss = float(-np.mean(right * np.log(p) + (1 - right) * np.log(1 - p)))
        out.append((shift, loss, auroc(list(p[right]), list(p[impossible]))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("tuning", "check"), default="tuning")
    parser.add_argument("--v2", type=Path, default=V2_DEV)
    parser.add_argument("--squad", type=Path, default=SQUAD_PATH)
    args = parser.parse_args()
    rows = collect(args.v2, args.squad, args.part, Settings.from_env())
    lack = [r for r in rows if r[1]]
    right = [r for r in rows if r[2]]
    impossible = [r for r in rows if r[3]]
    print(f"SQuAD 2.0 dev, {args.part} part: {len(rows)} questions, {len(impossible)} impossible")
    print(
        f"first quote lacks something: {sum(r[1] for r in right) / max(1, len(right)):.1%} of the right first, "
        f"{sum(r[1] for r in impossible) / max(1, len(impossible)):.1%} of the impossible ({len(lack)} in all)"
    )
    print(f"{'shift':>6} {'log loss':>9} {'AUROC':>6}")
    for shift, loss, area in table(rows):
        print(f"{shift:>6.1f} {loss:>9.4f} {area if area is not None else float('nan'):>6.3f}")


if __name__ == "__main__":
    main()
