"""Answer-quality experiments on a SQuAD v1.1 file: one feature at a time, then fitted weights.

    python -m benchmarks.quality [DATASET.json] [--work DIR] [--out benchmarks/quality.json]

Both parts of the dataset (see :mod:`rag.evaluate.squad`) are indexed through the normal build path
(in ``--work``, reused between runs); every question is encoded once and its candidates' features
(:func:`rag.retrieve.candidate_features`) are computed once, so each variant is only a re-ranking.
Weights are chosen or fitted on the tuning part; every row also shows the check part, which is
never used to choose. The abstention threshold is calibrated on the tuning part: its questions
against its own index (answerable) and the check part's questions (out of corpus).

Prints a table and writes JSON. The final numbers of the shipped settings come from ``rag eval``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from benchmarks.corpora import SQUAD_PATH
from rag import EvalReport, Feature, RetrievalSettings, Settings, report_text
from rag.embed.interface import Embedder
from rag.engine import Engine
from rag.evaluate.probes import candidates, sentence_texts
from rag.evaluate.squad import (
    Article,
    load_squad,
    mean_sentence_words,
    score_answer,
    split_articles,
    summarize,
    write_corpus,
)
from rag.index.lexical import LexicalIndex, from_texts
from rag.quote import combine_evidence
from rag.retrieve import FEATURES, weights


@dataclass
class PartData:
    """Per answerable question: candidate features and which candidates hold a gold answer start."""

    features: list[np.ndarray]
    labels: list[np.ndarray]
    best_dense_answerable: np.ndarray
    best_dense_out_of_corpus: np.ndarray
    coverage_answerable: np.ndarray
    coverage_out_of_corpus: np.ndarray
    """Best passage coverage of the question's terms among the candidates."""


def _engine(articles: list[Article], folder: Path) -> Engine:
    if not (folder / "corpus").is_dir():
        write_corpus(articles, folder / "corpus")
    engine = Engine(Settings().with_dirs(folder / "corpus", folder / "index"))
    engine.build()
    return engine


def cached_vectors(embedder: Embedder, texts: list[str], cache: Path) -> np.ndarray:
    """The vectors of ``texts``, from ``cache`` (a ``.npy`` file) when the key beside it
    (``.key.json``: the encoder's name and a digest of the texts) says they are these texts' by
    this encoder, else encoded and saved there: questions are encoded once across runs of the
    benchmarks, and again when the encoder or the questions change."""
    key = {"encoder": embedder.name, "texts": hashlib.sha256("\n".join(texts).encode()).hexdigest()}
    key_file = cache.with_suffix(".key.json")
    if cache.is_file() and key_file.is_file() and json.loads(key_file.read_text(encoding="utf-8")) == key:
        return np.load(cache, allow_pickle=False)
    vectors = embedder.encode(texts)
    np.save(cache, vectors, allow_pickle=False)
    key_file.write_text(json.dumps(key), encoding="utf-8")
    return vectors


def collect(
    engine: Engine, articles: list[Article], others: list[Article], work: Path, lexical: LexicalIndex | None = None
) -> PartData:
    """Every question's candidates and features (``lexical``: another BM25 index than the stored one)."""
    questions = [(a.doc, q) for a in articles for q in a.questions]
    out = [q for a in others for q in a.questions]
    vectors = cached_vectors(engine.embedder, [q.text for _, q in questions], work / "questions.npy")
    out_vectors = cached_vectors(engine.embedder, [q.text for q in out], work / "out-of-corpus.npy")
    data = PartData([], [], np.zeros(len(questions)), np.zeros(len(out)), np.zeros(len(questions)), np.zeros(len(out)))
    for i, ((doc, q), vec) in enumerate(zip(questions, vectors)):
        found = candidates(engine, q.text, vec, lexical=lexical)
        feats = found.features
        starts = np.array(q.answer_starts)
        s, e = found.start, found.end
        hit = (np.array(found.doc, dtype=object) == doc) & (
            (starts[None, :] >= s[:, None]) & (starts[None, :] < e[:, None])
        ).any(1)
        data.features.append(feats)
        data.labels.append(hit)
        data.best_dense_answerable[i] = feats[:, Feature.DENSE].max() if len(feats) else -1
        data.coverage_answerable[i] = feats[:, Feature.COVERAGE].max() if len(feats) else 0
    for i, (q, vec) in enumerate(zip(out, out_vectors)):
        feats = candidates(engine, q.text, vec, lexical=lexical).features
        data.best_dense_out_of_corpus[i] = feats[:, Feature.DENSE].max() if len(feats) else -1
        data.coverage_out_of_corpus[i] = feats[:, Feature.COVERAGE].max() if len(feats) else 0
    return data


def metrics(data: PartData, w: np.ndarray, k: int = 10) -> dict[str, float]:
    ranks = []
    first_chars = []
    for feats, hit in zip(data.features, data.labels):
        order = np.argsort(-(feats @ w), kind="stable")[:k]
        first_chars.append(100 * feats[order[0], Feature.LENGTH] if len(order) else 0.0)
        pos = np.flatnonzero(hit[order])
        ranks.append(int(pos[0]) + 1 if len(pos) else 0)
    r = np.array(ranks)
    return {
        "mrr": float(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0).mean()),
        "r1": float(((r > 0) & (r <= 1)).mean()),
        "r5": float(((r > 0) & (r <= 5)).mean()),
        "r10": float((r > 0).mean()),
        "first_quote_chars": float(np.mean(first_chars)),
    }


def fit(data: PartData, features: list[Feature], l2: float = 1e-3) -> np.ndarray:
    """Weights of ``features`` maximising the softmax likelihood of the gold sentences among each
    question's candidates (questions whose candidates hold none are left out); dense scaled to 1."""
    columns = [int(f) for f in features]
    pairs = [(f[:, columns].astype(np.float64), h) for f, h in zip(data.features, data.labels) if h.any()]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for f, h in pairs:
            z = f @ w
            z -= z.max()
            p = np.exp(z)
            p /= p.sum()
            gold = p[h].sum()
            total -= np.log(gold + 1e-12)
            q = np.where(h, p / (gold + 1e-12), 0.0)
            grad -= f.T @ (q - p)
        return total / len(pairs) + l2 * float(w @ w), grad / len(pairs) + 2 * l2 * w

    start = np.zeros(len(columns))
    start[0] = 10.0
    w = minimize(loss, start, jac=True, method="L-BFGS-B").x
    full = np.zeros(len(FEATURES))
    full[columns] = w / w[0]
    return full


def evidence(data: PartData, coverage_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """The abstention evidence (best dense similarity + coverage_weight * best coverage) of the
    answerable and the out-of-corpus questions."""
    return (
        combine_evidence(data.best_dense_answerable, data.coverage_answerable, coverage_weight),
        combine_evidence(data.best_dense_out_of_corpus, data.coverage_out_of_corpus, coverage_weight),
    )


def calibrate(data: PartData, coverage_weight: float, max_answerable_abstained: float) -> dict[str, float]:
    """The highest threshold on the evidence that abstains on at most the given share of
    answerable questions, and what it does to out-of-corpus ones."""
    answerable, out = evidence(data, coverage_weight)
    threshold = round(float(np.quantile(answerable, max_answerable_abstained)), 3)
    return {
        "coverage_weight": coverage_weight,
        "threshold": threshold,
        "answerable_abstained": float((answerable < threshold).mean()),
        "out_of_corpus_refused": float((out < threshold).mean()),
    }


def apply(data: PartData, coverage_weight: float, threshold: float) -> dict[str, float]:
    answerable, out = evidence(data, coverage_weight)
    return {
        "answerable_abstained": float((answerable < threshold).mean()),
        "out_of_corpus_refused": float((out < threshold).mean()),
    }


def harness(
    engine: Engine,
    articles: list[Article],
    others: list[Article],
    work: Path,
    k: int = 10,
    *,
    vectors: dict[str, np.ndarray] | None = None,
    part: str = "check",
) -> EvalReport:
    """What ``rag eval`` reports (minus timings), from cached question vectors (``vectors`` by
    question text, else the caches in ``work``): the engine's settings through ``Engine.ask``,
    scored by :mod:`rag.evaluate.squad`."""
    questions = [(a.doc, q) for a in articles for q in a.questions]
    out = [q for a in others for q in a.questions]
    if vectors is None:
        q_vectors = list(cached_vectors(engine.embedder, [q.text for _, q in questions], work / "questions.npy"))
        out_vectors = list(cached_vectors(engine.embedder, [q.text for q in out], work / "out-of-corpus.npy"))
    else:
        q_vectors = [vectors[q.text] for _, q in questions]
        out_vectors = [vectors[q.text] for q in out]
    scored = [
        score_answer(engine.ask(q.text, k, vector=v), doc, q.answer_starts) for (doc, q), v in zip(questions, q_vectors)
    ]
    refused = [score_answer(engine.ask(q.text, 1, vector=v), "", ()) for q, v in zip(out, out_vectors)]
    return summarize(
        scored,
        refused,
        dataset=f"{part} part",
        part=part,
        articles=len(articles),
        k=k,
        mean_sentence_words=mean_sentence_words(engine),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=SQUAD_PATH)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-quality"))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("quality.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    tuning, check = split_articles(load_squad(args.dataset))
    rs = RetrievalSettings()
    parts: dict[str, dict[str, PartData]] = {}
    parts_index_sentence_chars: dict[str, float] = {}
    check_report = harness(_engine(check, args.work / "check"), check, tuning, args.work / "check")
    print("Shipped settings on the check part, scored as `rag eval` scores (no timings):")
    print(report_text(check_report))
    for name, articles, others in (("tuning", tuning, check), ("check", check, tuning)):
        folder = args.work / name
        folder.mkdir(parents=True, exist_ok=True)
        engine = _engine(articles, folder)
        stemmed = collect(engine, articles, others, folder)
        texts = sentence_texts(engine)
        parts_index_sentence_chars[name] = float(np.mean([len(t) for t in texts]))
        unstemmed = from_texts(texts, stemmer=None)  # Beside the stored index, which stays as built.
        parts[name] = {"stemmed": stemmed, "unstemmed": collect(engine, articles, others, folder, unstemmed)}

    def w(**kw: float) -> np.ndarray:
        base = dict.fromkeys(FEATURES, 0.0)
        base.update(kw)
        return np.array([base[f] for f in FEATURES])

    rows: list[tuple[str, str, np.ndarray]] = [
        ("dense only", "unstemmed", w(dense=1)),
        ("BM25 only", "unstemmed", w(lexical=1)),
        ("BM25 only, stemmed", "stemmed", w(lexical=1)),
        ("previous default: dense + 0.5 passage + 0.25 BM25", "unstemmed", w(dense=1, passage=0.5, lexical=0.25)),
        ("previous default, stemmed BM25", "stemmed", w(dense=1, passage=0.5, lexical=0.25)),
    ]
    base = dict(dense=1.0, passage=0.5, lexical=0.25)
    for feature, grid in (
        ("lexical", [0.1, 0.25, 0.5, 0.75, 1.0]),
        ("passage", [0.25, 0.5, 0.75, 1.0]),
        ("answer_type", [0.05, 0.1, 0.2, 0.3]),
        ("coverage", [0.1, 0.25, 0.5, 0.75, 1.0]),
    ):
        scored = [(metrics(parts["tuning"]["stemmed"], w(**{**base, feature: g}))["mrr"], g) for g in grid]
        best = max(scored)[1]
        rows.append(
            (f"stemmed default, {feature} = {best} (best of {grid} on tuning)", "stemmed", w(**{**base, feature: best}))
        )
    fitted_features: tuple[tuple[str, list[Feature]], ...] = (
        ("fitted: dense, passage, BM25", [Feature.DENSE, Feature.PASSAGE, Feature.LEXICAL]),
        ("fitted: dense, passage, BM25, coverage", [Feature.DENSE, Feature.PASSAGE, Feature.LEXICAL, Feature.COVERAGE]),
        ("fitted: dense, passage, BM25, answer type, coverage", [f for f in Feature if f is not Feature.LENGTH]),
    )
    for label, columns in fitted_features:
        rows.append((label, "stemmed", fit(parts["tuning"]["stemmed"], columns)))
    fitted = rows[-1][2]
    for length in (-0.02, -0.05, -0.1, -0.15, -0.2, -0.25):
        rows.append((f"fitted + length weight {length}", "stemmed", fitted + w(length=length)))
    rows.append(("shipped RetrievalSettings()", "stemmed", weights(rs).astype(np.float64)))

    results = []
    index = parts_index_sentence_chars
    print(f"mean sentence length in characters: tuning {index['tuning']:.1f}, check {index['check']:.1f}")
    print(f"{'variant':<78} {'tuning MRR  R@1   R@5   R@10  1st':<34} {'check MRR  R@1   R@5   R@10  1st'}")
    for label, lex, weight in rows:
        t = metrics(parts["tuning"][lex], weight)
        c = metrics(parts["check"][lex], weight)
        results.append(
            {
                "variant": label,
                "lexical": lex,
                "weights": dict(zip(FEATURES, map(float, weight))),
                "tuning": t,
                "check": c,
            }
        )
        print(
            f"{label:<78} {t['mrr']:.3f} {t['r1']:.3f} {t['r5']:.3f} {t['r10']:.3f} {t['first_quote_chars']:4.0f}   "
            f"{c['mrr']:.3f} {c['r1']:.3f} {c['r5']:.3f} {c['r10']:.3f} {c['first_quote_chars']:4.0f}"
        )
    calibration = []
    print("abstain when best dense + c * best coverage < t; t chosen on tuning for a share of answerable abstentions")
    for cw in (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0):
        for share in (0.02, 0.03, 0.04):
            cal = calibrate(parts["tuning"]["stemmed"], cw, share)
            on_check = apply(parts["check"]["stemmed"], cw, cal["threshold"])
            calibration.append({"tuning": cal, "check": on_check})
            print(
                f"c={cw:<5} t={cal['threshold']:.3f}  tuning: answerable abstained {cal['answerable_abstained']:.3f} "
                f"out-of-corpus refused {cal['out_of_corpus_refused']:.3f}   "
                f"check: {on_check['answerable_abstained']:.3f} {on_check['out_of_corpus_refused']:.3f}"
            )
    shipped = {
        "coverage_weight": rs.abstain_coverage_weight,
        "threshold": rs.abstain_below,
        "tuning": apply(parts["tuning"]["stemmed"], rs.abstain_coverage_weight, rs.abstain_below),
        "check": apply(parts["check"]["stemmed"], rs.abstain_coverage_weight, rs.abstain_below),
    }
    print(f"shipped abstention: {shipped}")
    args.out.write_text(
        json.dumps(
            {
                "dataset": str(args.dataset),
                "settings": asdict(replace(rs)),
                "results": results,
                "calibration": calibration,
                "shipped_abstention": shipped,
                "check_report": check_report.to_dict(),
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=1,
        )
    )
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
