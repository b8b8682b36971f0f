"""The data the answer reader is trained and measured on (:mod:`training.reranker`,
:mod:`training.cross_encoder`): the SQuAD articles indexed together and each part alone, every
question encoded once, and the reader rows of each set of questions, all cached in a work folder."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import rag.question.answer_type
import rag.read.features
import rag.retrieve
from benchmarks.quality import cached_vectors
from rag import Engine, Settings
from rag.evaluate.probes import reader_rows
from rag.evaluate.squad import Article, load_squad, split_articles, write_corpus

__all__ = ["TOP_N", "Item", "K", "Part", "Prepared", "cached", "collect", "prepare"]

TOP_N = 40
"""The reader's candidates per question."""
K = 10
"""The quotes a question is measured on."""


@dataclass
class Item:
    """One question against one index: its reader rows and what they are worth."""

    article: int
    ids: np.ndarray
    x: np.ndarray
    hit: np.ndarray
    lengths: np.ndarray
    next_hit: np.ndarray
    has_next: np.ndarray
    """Whether each row's sentence has a next sentence in its passage."""
    base: np.ndarray
    """Retrieval features of all candidates (for the confidence)."""


@dataclass
class Part:
    items: list[Item] = field(default_factory=list)


def _build(articles: Sequence[Article], folder: Path, seed_index: Path | None = None) -> Engine:
    if not (folder / "corpus").is_dir():
        write_corpus(articles, folder / "corpus")
        if seed_index is not None and not (folder / "index").exists():
            shutil.copytree(seed_index, folder / "index", ignore=shutil.ignore_patterns(".lock"))
    engine = Engine(Settings().with_dirs(folder / "corpus", folder / "index"))
    report = engine.build()
    print(f"  {folder.name}: {len(articles)} articles, embedded {report.embedded} texts, {report.seconds:.0f} s")
    return engine


def _inside(doc: tuple[str, ...], start: np.ndarray, end: np.ndarray, gold_doc: str, starts: np.ndarray) -> np.ndarray:
    """Which spans (``doc``, ``start``, ``end``) hold one of the gold answer ``starts`` of ``gold_doc``."""
    inside = (starts[None, :] >= start[:, None]) & (starts[None, :] < end[:, None])
    return (np.array(doc) == gold_doc) & inside.any(1) if len(doc) else np.zeros(0, dtype=bool)


def collect(
    engine: Engine,
    articles: Sequence[Article],
    vectors: dict[str, np.ndarray],
    gold_in_index: bool,
    drop_gold: bool = False,
) -> Part:
    """Reader rows for every question of ``articles`` against ``engine``'s index. With
    ``drop_gold``, the sentences holding the answer are taken out of the candidates first."""
    part = Part()
    for a_i, article in enumerate(articles):
        gold_doc = article.doc if gold_in_index else ""
        for q in article.questions:
            starts = np.array(q.answer_starts)
            exclude = [(article.doc, int(s)) for s in starts] if drop_gold else []
            rows = reader_rows(engine, q.text, vectors[q.text], top_n=TOP_N, exclude=exclude)
            has_next = rows.next_end >= 0
            part.items.append(
                Item(
                    article=a_i,
                    ids=rows.ids,
                    x=rows.x,
                    hit=_inside(rows.doc, rows.start, rows.end, gold_doc, starts),
                    lengths=(rows.end - rows.start).astype(np.float64),
                    next_hit=_inside(rows.doc, rows.next_start, rows.next_end, gold_doc, starts) & has_next,
                    has_next=has_next,
                    base=rows.retrieval,
                )
            )
    return part


def _features_source(encoder: str) -> str:
    """A digest of the code that computes the reader's features and of the encoder's name (the
    cache's key)."""
    modules = (rag.read.features, rag.retrieve, rag.question.answer_type)
    code = b"".join(Path(m.__file__).read_bytes() for m in modules if m.__file__)
    return hashlib.sha256(code + encoder.encode()).hexdigest()


def cached(path: Path, make: Callable[[], Part], encoder: str) -> Part:
    """``make()``, saved to (or loaded from) ``path`` as plain arrays, so a re-run reads the
    features instead of computing them again (unless the feature code or ``encoder`` changed)."""
    fields = ("ids", "x", "hit", "lengths", "next_hit", "has_next")
    key = _features_source(encoder)
    data = np.load(path, allow_pickle=False) if path.is_file() else None
    if data is not None and ("source" not in data or str(data["source"]) != key):
        data = None  # Computed by other reader-feature code or from another encoder's vectors: again.
    if data is not None:
        cut, base_cut = np.cumsum(data["rows"])[:-1], np.cumsum(data["base_rows"])[:-1]
        split = {f: np.split(data[f], cut) for f in fields}
        bases = np.split(data["base"], base_cut)
        return Part(
            [
                Item(article=int(a), base=bases[i], **{f: split[f][i] for f in fields})
                for i, a in enumerate(data["article"])
            ]
        )
    part = make()
    items = part.items
    arrays: dict[str, np.ndarray] = {f: np.concatenate([getattr(it, f) for it in items]) for f in fields}
    arrays["rows"] = np.array([len(it.x) for it in items])
    arrays["base_rows"] = np.array([len(it.base) for it in items])
    arrays["article"] = np.array([it.article for it in items])
    arrays["base"] = np.concatenate([it.base for it in items])
    arrays["source"] = np.array(key)
    np.savez(path, allow_pickle=False, **arrays)
    return part


@dataclass
class Prepared:
    """The indexes, question vectors and reader rows every trained stage is measured on."""

    tuning: list[Article]
    check: list[Article]
    together: Engine
    alone: dict[str, Engine]
    data: dict[str, Part]
    """Answerable: every question of each part against the 24 articles indexed together."""
    on_topic: dict[str, Part]
    """The same questions with their answer's sentences taken out of the candidates."""
    off_topic: dict[str, Part]
    """Each part's questions against the other part alone."""


def prepare(dataset: Path, work: Path) -> Prepared:
    """Index the SQuAD articles (24 together, then each part alone from that index), encode every
    question once and compute the reader rows of each set, all cached in ``work``."""
    started = time.perf_counter()
    articles = load_squad(dataset)
    tuning, check = split_articles(articles)
    work.mkdir(parents=True, exist_ok=True)
    print("indexing (24 together, then each part alone from it):")
    together = _build(articles, work / "all")
    seed = together.settings.index_dir
    alone = {"tuning": _build(tuning, work / "tuning", seed), "check": _build(check, work / "check", seed)}
    texts = list(dict.fromkeys(q.text for a in articles for q in a.questions))
    vectors = dict(zip(texts, cached_vectors(together.embedder, texts, work / "questions.npy")))
    print(f"  {len(texts)} questions encoded ({time.perf_counter() - started:.0f} s)")

    w = work
    encoder = together.embedder.name
    data = {
        "tuning": cached(w / "f-tuning.npz", lambda: collect(together, tuning, vectors, True), encoder),
        "check": cached(w / "f-check.npz", lambda: collect(together, check, vectors, True), encoder),
    }
    on_topic = {
        "tuning": cached(
            w / "f-on-tuning.npz", lambda: collect(together, tuning, vectors, True, drop_gold=True), encoder
        ),
        "check": cached(w / "f-on-check.npz", lambda: collect(together, check, vectors, True, drop_gold=True), encoder),
    }
    off_topic = {
        "tuning": cached(w / "f-off-tuning.npz", lambda: collect(alone["tuning"], check, vectors, False), encoder),
        "check": cached(w / "f-off-check.npz", lambda: collect(alone["check"], tuning, vectors, False), encoder),
    }
    print(f"features computed ({time.perf_counter() - started:.0f} s)")
    return Prepared(tuning, check, together, alone, data, on_topic, off_topic)
