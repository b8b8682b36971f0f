"""Train the answer reader (``make train-reranker``): ranker, confidence and spans, and measure them.

    python -m training.reranker [DATASET.json] [--work DIR] [--models models] [--out benchmarks/reader.json]

Data: the SQuAD v1.1 dev file in ``../shared/eval`` (CC BY-SA 4.0), split by :mod:`rag.evaluate.squad`
into a tuning part (even articles) and a check part (odd articles).

1. All 24 articles are indexed **together** through the normal build path (the hard setting: a
   question's answer competes with every article's sentences). The tuning part alone and the check
   part alone are then indexed by incremental builds from that index, which embed nothing new.
   Every question is encoded once (cached in ``--work``).
2. For every question, retrieval's candidates (:func:`rag.retrieve.candidate_features`) and the
   reader's features of the best ``top_n`` (:func:`rag.read.reader.reader_features`) are computed once.
3. Feature groups are measured one by one on the tuning part (2-fold cross-validation by article
   inside it) and on the check part (trained on the whole tuning part); the ranker that ships is
   trained on the whole tuning part. Numbers in the other direction (train on check, test on
   tuning) are reported too.
4. Confidence: a logistic regression on :func:`rag.read.reader.confidence_features`, fitted on
   out-of-fold scores of the tuning part's questions: answerable ones (label: the first quote holds
   the answer), the same questions with their answer's sentences taken out of the candidates
   (on-topic, unanswerable), and the check part's questions against the tuning part's index
   (off-topic). Status thresholds come from the same data: ``abstain_below`` and ``answered_from``
   as quantiles of the answerable questions' confidence; the three that read how far a question is
   from the articles (:func:`rag.read.reader.statuses`) on a grid, an answerable question abstained costing
   ``ABSTAIN_COST`` off-topic ones not abstained (:func:`topic_thresholds`). Its calibration error
   (ECE) and reliability table are measured on the check part, built the same way.
5. Spans: a logistic regression on :func:`rag.read.reader.span_features`, whether a quoted sentence's
   next sentence holds the answer when it does not; the threshold is the one that maximises R@1 on
   the tuning part with first quotes at most 1.2x the mean sentence.

Writes ``models/reader.txt`` (LightGBM text format), ``models/reader.json`` and a JSON report, and
prints the tables of docs/answer-quality.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from benchmarks.corpora import ROOT, SQUAD_PATH
from rag import STATUSES
from rag.evaluate.probes import sentence_texts
from rag.evaluate.squad import calibration_error
from rag.read.features import READER_FEATURES
from rag.read.reader import CONFIDENCE_FEATURES, SPAN_FEATURES, statuses
from rag.read.reader import logistic as probability
from training.calibration import confidence_rows, logistic, span_rows, topic_thresholds
from training.data import TOP_N, Item, K, prepare

PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [1, 10],
    "learning_rate": 0.1,
    "max_bin": 63,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "lambdarank_truncation_level": 20,
    "num_threads": 1,
    "seed": 7,
    "deterministic": True,
    "verbose": -1,
}
ROUNDS = 100
ANSWERABILITY = ("asked_type_absent", "content_coverage")
"""Reader columns made for the confidence; the ranker uses them too (they help it on tuning)."""

GROUPS: dict[str, tuple[str, ...]] = {
    "ranks and gaps": ("linear", "linear_gap", "linear_rank", "dense_gap", "dense_rank", "lexical_rank"),
    "neighbours": ("prev_dense", "next_dense", "prev_idf_overlap", "next_idf_overlap", "next_answer_type"),
    "contextual vectors": ("context_prev", "context_next"),
    "position": ("sentence_position", "sentences_in_passage", "passage_position"),
    "term overlap (IDF, share, bigrams, proximity, novel)": (
        "idf_overlap",
        "term_share",
        "bigram_overlap",
        "proximity",
        "novel_terms",
        "question_terms",
    ),
    "answer-type evidence": ("has_date", "has_number", "has_new_name"),
    "question word": tuple(f for f in READER_FEATURES if f.startswith("q_")),
}


def _columns(names: Sequence[str]) -> list[int]:
    return [READER_FEATURES.index(n) for n in names]


def train(items: Sequence[Item], columns: list[int], rounds: int = ROUNDS) -> lgb.Booster:
    use = [it for it in items if it.hit.any()]
    x = np.concatenate([it.x[:, columns] for it in use])
    y = np.concatenate([it.hit.astype(int) for it in use])
    data = lgb.Dataset(x, y, group=[len(it.x) for it in use], free_raw_data=False)
    return lgb.train(PARAMS, data, num_boost_round=rounds)


Scorer = Callable[[Item], np.ndarray]


def booster_scorer(booster: lgb.Booster, columns: list[int]) -> Scorer:
    def score(it: Item) -> np.ndarray:
        return np.asarray(booster.predict(it.x[:, columns], num_threads=1)) if len(it.x) else np.zeros(0)

    return score


def linear_scorer(it: Item) -> np.ndarray:
    return it.x[:, READER_FEATURES.index("linear")].astype(np.float64)


def linear_no_length_scorer(it: Item) -> np.ndarray:
    return linear_scorer(it) - it.x[:, READER_FEATURES.index("length")] * -0.2


def ranking(items: Sequence[Item], scorer: Scorer) -> dict[str, float]:
    ranks, chars = [], []
    for it in items:
        if not len(it.x):
            ranks.append(0)
            continue
        order = np.argsort(-scorer(it), kind="stable")[:K]
        pos = np.flatnonzero(it.hit[order])
        ranks.append(int(pos[0]) + 1 if len(pos) else 0)
        chars.append(it.lengths[order[0]])
    r = np.array(ranks)
    return {
        "mrr": float(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0).mean()),
        "r1": float((r == 1).mean()),
        "r5": float(((r > 0) & (r <= 5)).mean()),
        "r10": float((r > 0).mean()),
        "first_quote_chars": float(np.mean(chars)) if chars else 0.0,
    }


def fold_scorers(items: Sequence[Item], columns: list[int]) -> list[Scorer]:
    """Two rankers: fold f is trained on the items whose article is not at position f modulo 2."""
    return [booster_scorer(train([it for it in items if it.article % 2 != f], columns), columns) for f in (0, 1)]


def cross_fit(items: Sequence[Item], columns: list[int], scorers: list[Scorer] | None = None) -> list[np.ndarray]:
    """Out-of-fold scores of every item: 2 folds by article (even / odd position in the part)."""
    scorers = scorers or fold_scorers(items, columns)
    return [scorers[it.article % 2](it) for it in items]


def span_effect(
    items: Sequence[Item], scores: Sequence[np.ndarray], span: dict[str, Any], threshold: float
) -> dict[str, float]:
    """What joining first quotes to their next sentence (where the span model says so) does: R@1
    gained, share of first quotes spanned, and the mean first quote in characters."""
    fx, _, firsts = span_rows(items, scores, first_only=True)
    use = probability(span, fx) >= threshold if len(fx) else np.zeros(0, dtype=bool)
    gain = sum(1 for (_, _, _, h, n), u in zip(firsts, use) if u and n and not h)
    extra = sum(l2 - l1 for (_, l1, l2, _, _), u in zip(firsts, use) if u)
    base = ranking(items, fixed(scores)(items))["first_quote_chars"]
    return {
        "r1_gain": gain / len(items),  # A spanned quote still holds its first sentence: nothing is lost.
        "spanned": float(np.sum(use)) / len(items),
        "first_quote_chars": base + extra / len(items),
    }


def fixed(scores: Sequence[np.ndarray]) -> Callable[[Sequence[Item]], Scorer]:
    """Scores computed already: ``fixed(scores)(items)`` scores each of ``items`` with its own
    entry of ``scores`` (the same order)."""

    def make(items: Sequence[Item]) -> Scorer:
        by_id = {id(it): s for it, s in zip(items, scores)}
        return lambda it: by_id[id(it)]

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=SQUAD_PATH)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-reader"))
    parser.add_argument("--models", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reader.json")
    args = parser.parse_args()
    started = time.perf_counter()
    prep = prepare(args.dataset, args.work)
    alone, data, on_topic, off_topic = prep.alone, prep.data, prep.on_topic, prep.off_topic
    tun, chk = data["tuning"].items, data["check"].items
    recall_n = {n: float(np.mean([it.hit.any() for it in tun])) for n in (TOP_N,)}

    # 1. Feature groups, one at a time: CV inside tuning, and check (trained on all of tuning).
    all_cols = list(range(len(READER_FEATURES)))
    base_cols = _columns(READER_FEATURES[:6])
    experiments: list[dict[str, Any]] = []

    def experiment(
        label: str, columns: list[int] | None, scorer: Scorer | None = None, cv: bool = True
    ) -> dict[str, Any]:
        nan = {"mrr": float("nan"), "r1": float("nan"), "r5": float("nan"), "first_quote_chars": float("nan")}
        if scorer is None:
            assert columns is not None
            t = ranking(tun, fixed(cross_fit(tun, columns))(tun)) if cv else nan
            c = ranking(chk, booster_scorer(train(tun, columns), columns))
        else:
            t, c = ranking(tun, scorer), ranking(chk, scorer)
        row = {"variant": label, "tuning_cv": t, "check": c}
        experiments.append(row)
        print(
            f"{label:<58} {t['mrr']:.3f} {t['r1']:.3f} {t['r5']:.3f} {t['first_quote_chars']:4.0f}   "
            f"{c['mrr']:.3f} {c['r1']:.3f} {c['r5']:.3f} {c['first_quote_chars']:4.0f}"
        )
        return row

    print(
        f"\ntop {TOP_N} candidates hold an answer for {recall_n[TOP_N]:.3f} of tuning questions (24 indexed together)"
    )
    print(
        f"{'variant (24 articles indexed together)':<58} {'tuning (2-fold CV) MRR R@1 R@5 chars':<38} "
        "check MRR R@1 R@5 chars"
    )
    experiment("shipped linear sum (length weight -0.2)", None, linear_scorer)
    experiment("linear sum, length weight 0", None, linear_no_length_scorer)
    experiment("lambdarank, the six retrieval features", base_cols, cv=True)
    experiment(
        "lambdarank, every feature but the answerability columns",
        [c for c in all_cols if READER_FEATURES[c] not in ANSWERABILITY],
        cv=True,
    )
    cols = all_cols
    experiment("lambdarank, every feature (shipped)", cols, cv=True)
    for group, names in GROUPS.items():
        drop = set(_columns(names))
        experiment(f"  every feature but {group}", [c for c in cols if c not in drop], cv=False)

    # The shipped ranker: trained on the kept columns (``used_features`` in reader.json).
    final = train(tun, cols)
    score = booster_scorer(final, cols)
    shipped = {
        "check_24_together": ranking(chk, score),
    }
    for name, m in shipped.items():
        print(
            f"{name:<40} MRR {m['mrr']:.3f} R@1 {m['r1']:.3f} R@5 {m['r5']:.3f} R@10 {m['r10']:.3f} "
            f"chars {m['first_quote_chars']:.0f}"
        )

    # 2. Confidence on out-of-fold scores of the tuning part.
    folds = fold_scorers(tun, cols)
    oof = cross_fit(tun, cols, folds)
    on_m, off_m = on_topic["tuning"].items, off_topic["tuning"].items
    on_scores = cross_fit(on_m, cols, folds)
    off_scores = [folds[i % 2](it) for i, it in enumerate(off_m)]
    xa, ya = confidence_rows(tun, oof)
    xo, yo = confidence_rows(on_m, on_scores)
    xf, yf = confidence_rows(off_m, off_scores)
    conf = logistic(np.concatenate([xa, xo, xf]), np.concatenate([ya, np.zeros(len(yo)), np.zeros(len(yf))]))
    pa, po, pf = probability(conf, xa), probability(conf, xo), probability(conf, xf)
    dense = CONFIDENCE_FEATURES.index("best_dense")
    thresholds = {"abstain_below": float(np.quantile(pa, 0.02)), "answered_from": float(np.quantile(pa, 0.10))}
    thresholds |= topic_thresholds((pa, xa[:, dense]), (pf, xf[:, dense]), thresholds)
    t = thresholds
    print(
        f"\nconfidence: abstain below {t['abstain_below']:.3f} (2% of tuning answerable) where the best dense "
        f"similarity is below {t['on_topic_from']:.2f}, and below {t['far_abstain_below']:.2f} where it is below "
        f"{t['off_topic_below']:.2f}; answered from {t['answered_from']:.3f} (90%)"
    )

    absent_col = CONFIDENCE_FEATURES.index("top_asked_type_absent")

    def status_shares(p: np.ndarray, x: np.ndarray) -> dict[str, float]:
        """The share of each status, as :func:`rag.read.reader.statuses` decides it (spans and the
        never-mentioned-name cap aside: they need the question's text against the index)."""
        found = statuses(p, x[:, absent_col] == 1, x[:, dense], thresholds)
        return {s: float((found == s).mean()) for s in STATUSES}

    # The same on the check part, with the shipped ranker (never trained on it).
    chk_on, chk_off = on_topic["check"].items, off_topic["check"].items
    cxa, cya = confidence_rows(chk, [score(it) for it in chk])
    cxo, cyo = confidence_rows(chk_on, [score(it) for it in chk_on])
    cxf, cyf = confidence_rows(chk_off, [score(it) for it in chk_off])
    cpa, cpo, cpf = probability(conf, cxa), probability(conf, cxo), probability(conf, cxf)
    ece_tuning, _ = calibration_error(
        np.concatenate([pa, po, pf]).tolist(), np.concatenate([ya, yo * 0, yf * 0]).astype(bool).tolist()
    )
    ece_check, table = calibration_error(
        np.concatenate([cpa, cpo, cpf]).tolist(), np.concatenate([cya, cyo * 0, cyf * 0]).astype(bool).tolist()
    )
    status_rows = {
        "tuning answerable": status_shares(pa, xa),
        "tuning on-topic unanswerable": status_shares(po, xo),
        "tuning off-topic": status_shares(pf, xf),
        "check answerable": status_shares(cpa, cxa),
        "check on-topic unanswerable": status_shares(cpo, cxo),
        "check off-topic": status_shares(cpf, cxf),
    }
    for name, st in status_rows.items():
        print(
            f"{name:<32} answered {st['answered']:.3f} uncertain {st['uncertain']:.3f} abstained {st['abstained']:.3f}"
        )
    print(f"ECE tuning (out of fold) {ece_tuning:.3f}, check {ece_check:.3f}")
    for row in table:
        print(
            f"  {row['low']:.1f}-{row['high']:.1f}  n={row['n']:<5} confidence {row['confidence']:.3f}  "
            f"first quote right {row['right']:.3f}"
        )

    # 3. Spans: on out-of-fold scores of the tuning part.
    sx, sy, _ = span_rows(tun, oof)
    span = logistic(sx, sy)
    mean_sentence = float(np.mean([len(t) for t in sentence_texts(alone["tuning"])]))  # The corpus's sentences.
    best_t, best_gain = 1.01, 0.0
    for t in np.linspace(0.05, 0.95, 19):
        effect = span_effect(tun, oof, span, float(t))
        if effect["first_quote_chars"] <= 1.2 * mean_sentence and effect["r1_gain"] > best_gain:
            best_t, best_gain = float(t), effect["r1_gain"]
    span["threshold"] = best_t
    span_check = span_effect(chk, [score(it) for it in chk], span, best_t)
    print(
        f"\nspans: threshold {best_t:.2f}; tuning (out of fold) R@1 +{best_gain:.3f}; check R@1 "
        f"+{span_check['r1_gain']:.3f}, {span_check['spanned']:.1%} of first quotes spanned, first quote "
        f"{span_check['first_quote_chars']:.0f} chars vs mean sentence {mean_sentence:.0f} (tuning)"
    )

    args.models.mkdir(parents=True, exist_ok=True)
    (args.models / "reader.txt").write_text(final.model_to_string(), encoding="utf-8")
    params = {
        "features": list(READER_FEATURES),
        "used_features": [READER_FEATURES[i] for i in cols],
        "top_n": TOP_N,
        "confidence": {**conf, "features": list(CONFIDENCE_FEATURES)},
        **{key: round(value, 4) for key, value in thresholds.items()},
        "span": {**span, "features": list(SPAN_FEATURES)},
        "trained_on": f"{args.dataset.name}, tuning part (even articles), 24 articles indexed together",
    }
    (args.models / "reader.json").write_text(json.dumps(params, indent=1), encoding="utf-8")
    args.out.write_text(
        json.dumps(
            {
                "experiments": experiments,
                "used_features": [READER_FEATURES[i] for i in cols],
                "shipped": shipped,
                "status_thresholds": thresholds,
                "statuses": status_rows,
                "ece": {"tuning_out_of_fold": ece_tuning, "check": ece_check},
                "reliability_check": table,
                "span_threshold": best_t,
                "span_check": span_check,
                "mean_sentence_chars_tuning": mean_sentence,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
        )
    )
    print(f"wrote {args.models}/reader.txt, reader.json and {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
