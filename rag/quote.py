"""Quote: turn ranked candidate sentences into an answer made only of verbatim, cited sentences.

- If no candidate is close enough to the question, the answer is an abstention: the evidence is
  the best sentence similarity plus a small weight times the best share of the question's terms
  found in one passage (see :func:`evidence`), and the cut-off ``abstain_below`` is calibrated
  on data (docs/answer-quality.md).
- With the trained reader (:mod:`rag.read.reader`), its :class:`~rag.read.reader.Reading` decides instead: the
  status (``"abstained"`` quotes nothing), the confidence, and which quotes span a lead-in
  sentence and the next one (one verbatim span, from the first sentence's start to the second's
  end).
- Otherwise the top ``k`` distinct sentences are quoted, best first. Each cited passage gets a
  number in order of first use; a quote's number is its passage's, so [2] always points at the
  same passage, which comes back with the spans of its quotes marked inside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from .config import RetrievalSettings
from .index import DocRecord, StoredIndex
from .ingest.formats import page_at
from .read.missing import missing_from
from .read.reader import Reading
from .records import Answer, CitedPassage, Missing, Quote
from .retrieve import Candidate
from .text import normalize_text

__all__ = ["ABSTENTION", "abstention", "answer_from_reading", "combine_evidence", "evidence"]

T = TypeVar("T")

ABSTENTION = "The articles do not answer this question."


def abstention(question: str, confidence: float | None = None, sources: tuple[str, ...] = ()) -> Answer:
    return Answer(
        question=question,
        abstained=True,
        answer=ABSTENTION,
        status="abstained",
        confidence=confidence,
        sources=sources,
    )


def combine_evidence(best_dense: T, best_coverage: T, coverage_weight: float) -> T:
    """The abstention evidence from its parts (numbers, or numpy arrays of many questions'):
    the best dense similarity plus ``coverage_weight`` times the best term coverage."""
    return best_dense + coverage_weight * best_coverage  # type: ignore[operator, return-value]


def evidence(candidates: Sequence[Candidate], settings: RetrievalSettings) -> float:
    """How strongly the corpus answers this question (-1 without candidates); see
    :func:`combine_evidence`. Below ``settings.abstain_below``, the answer is an abstention."""
    if not candidates:
        return -1.0
    best_dense = max(c.dense for c in candidates)
    best_coverage = max(c.coverage for c in candidates)
    return combine_evidence(best_dense, best_coverage, settings.abstain_coverage_weight)


def _page(index: StoredIndex, doc: DocRecord, offset: int) -> int | None:
    """The PDF page (1-based) of ``offset`` in ``doc``; ``None`` for other formats."""
    return page_at(index.document_text(doc.id), offset) if doc.kind == "pdf" else None


def answer_from_reading(
    index: StoredIndex,
    question: str,
    reading: Reading,
    k: int,
    settings: RetrievalSettings,
    *,
    sources: tuple[str, ...] = (),
    asked: str | None = None,
) -> Answer:
    """The answer quoting the best of the ``reading``'s candidates (best first). Its ``status``
    and ``confidence`` come from the reader; without them (no reader) the evidence rule decides
    between answering and abstaining. Its ``span_ends`` map a sentence id to the id of the
    sentence its quote ends with (a span is cut short where an earlier quote already holds the
    sentence it would take in); its ``further`` are the only sentences that may be quoted after
    the first quote (``None``: any, up to ``k``). ``sources``: the sources the question named, the
    only ones the candidates come from. ``asked``: the question as retrieval read it (a named
    source taken out), whose terms an ``"uncertain"`` answer says the first quote lacks
    (:func:`missing_from`; the reading's ``lacks``: what the reader already found it lacks, when
    it judged the same quote)."""
    candidates, status, confidence = reading.candidates, reading.status, reading.confidence
    further, lacks = reading.further, reading.lacks
    if status is None:
        status = (
            "abstained" if not candidates or evidence(candidates, settings) < settings.abstain_below else "answered"
        )
    if not candidates or status == "abstained":
        return abstention(question, confidence, sources)

    ends = reading.span_ends
    chosen: list[tuple[Candidate, int, str]] = []
    seen: set[str] = set()
    covered: set[int] = set()
    for cand in candidates:
        if len(chosen) >= k:
            break
        sid = cand.sentence_id
        if chosen and further is not None and sid not in further:
            continue  # Not likely to answer: k is a maximum, not a quota.
        if sid in covered:
            continue  # Already inside an earlier quote's span.
        last = ends.get(sid, sid)
        # A span that would run into a sentence an earlier quote holds stops before it: no sentence
        # is quoted twice in one answer.
        last = next((i - 1 for i in range(sid + 1, last + 1) if i in covered), last)
        start, end = int(index.sentence_start[sid]), int(index.sentence_end[last])
        text = index.document_text(int(index.sentence_doc[sid]))[start:end]
        key = normalize_text(text)
        if key in seen:
            continue  # The same sentence in two documents (or twice in one) is quoted once.
        seen.add(key)
        covered.update(range(sid, last + 1))
        chosen.append((cand, last, text))

    number: dict[int, int] = {}
    quotes: list[Quote] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    for cand, last, text in chosen:
        sid = cand.sentence_id
        pid = int(index.sentence_passage[sid])
        n = number.setdefault(pid, len(number) + 1)
        doc = index.documents[int(index.sentence_doc[sid])]
        start, end = int(index.sentence_start[sid]), int(index.sentence_end[last])
        quotes.append(
            Quote(
                n=n,
                text=text,
                doc=doc.doc,
                title=doc.meta.display_name(doc.doc),
                start=start,
                end=end,
                page=_page(index, doc, start),
                score=cand.score,
            )
        )
        p_start = int(index.passage_start[pid])
        spans.setdefault(pid, []).append((start - p_start, end - p_start))

    passages = []
    for pid, n in number.items():
        doc = index.documents[int(index.passage_doc[pid])]
        start, end = int(index.passage_start[pid]), int(index.passage_end[pid])
        passages.append(
            CitedPassage(
                n=n,
                doc=doc.doc,
                title=doc.meta.display_name(doc.doc),
                text=index.document_text(doc.id)[start:end],
                start=start,
                end=end,
                quote_spans=tuple(sorted(spans[pid])),
                meta=doc.meta,
                page=_page(index, doc, start),
            )
        )
    answer = " ".join(f"{q.text} [{q.n}]" for q in quotes)
    missing: tuple[Missing, ...] = ()
    if status == "uncertain":
        first, last, read_as = chosen[0][0].sentence_id, chosen[0][1], asked or question
        missing = lacks.of(index, read_as, first, last) if lacks else missing_from(index, read_as, first, last)
    return Answer(
        question=question,
        abstained=False,
        answer=answer,
        quotes=tuple(quotes),
        passages=tuple(passages),
        status=status,
        confidence=confidence,
        sources=sources,
        missing=missing,
    )
