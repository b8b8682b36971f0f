"""Present: render answers, build reports and status for people (the terminal) and programs (JSON).

Markdown is :mod:`rag.present.markdown`; the Gradio app renders its own HTML from the same
:class:`~rag.records.Answer` (``ui/render.py``).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any
from urllib.parse import urlsplit

from ..records import STATUSES, UNCERTAIN_NOTE, Answer, BuildReport, DocumentMeta, EvalReport, IndexStatus

__all__ = [
    "STATUS_WORDS",
    "UNKNOWN",
    "answer_text",
    "byline",
    "missing_note",
    "quoted",
    "report_text",
    "safe_url",
    "scope_note",
    "status_label",
    "status_text",
    "to_json",
]

STATUS_WORDS = {"answered": "Answered", "uncertain": "May not answer", "abstained": "No answer in the articles"}
"""How every door that shows an answer to a person names its status."""
UNKNOWN = "unknown"
"""What a person is shown for a publisher or date the document does not give."""
_OPENING_MARKS = '"“„«‹‘‚「『'
_CLOSING_MARKS = '"”»」』'  # Not ’ or ': those also close a possessive.


def to_json(obj: Any) -> str:
    return json.dumps(obj.to_dict() if hasattr(obj, "to_dict") else obj, ensure_ascii=False)


def scope_note(answer: Answer) -> str | None:
    """What the answer was limited to, when the question named its sources (``None`` else)."""
    if not answer.sources:
        return None
    named = "; ".join(answer.sources)
    return f"Searched only {named}, as asked." if answer.abstained else f"Quoting only from {named}, as asked."


def missing_note(answer: Answer) -> str | None:
    """What the question asks that the first quote does not hold ("Not in the quote: George V
    Bridge (the text says George IV Bridge)."; "Not in the first quote: …" under several), shown
    under the quotes; ``None`` when nothing is missing (always for an ``"answered"`` answer)."""
    if not answer.missing:
        return None
    which = "the first quote" if len(answer.quotes) > 1 else "the quote"
    return f"Not in {which}: " + "; ".join(m.text for m in answer.missing) + "."


def status_label(answer: Answer) -> str:
    """The answer's status in words, with its confidence as a number where it has one:
    "Answered · 0.83", "May not answer · 0.31", "No answer in the articles"."""
    words = STATUS_WORDS[answer.status or "answered"]
    if answer.status == "abstained" or answer.confidence is None:
        return words
    return f"{words} · {answer.confidence:.2f}"


def quoted(text: str) -> str:
    """``text`` between quotation marks, unless it opens or closes with one already (a sentence
    that starts a quotation is not wrapped again, which would double its marks)."""
    text = " ".join(text.split())
    if text[:1] in _OPENING_MARKS or text.rstrip(".,;:!?…)")[-1:] in _CLOSING_MARKS:
        return text
    return f"“{text}”"


def byline(meta: DocumentMeta) -> list[str]:
    """Publisher, author (when known) and date of a document, for a person: an unknown publisher
    or date is said to be unknown rather than left out."""
    return [
        meta.publisher or f"publisher {UNKNOWN}",
        *([meta.author] if meta.author else []),
        meta.date or f"date {UNKNOWN}",
    ]


def answer_text(answer: Answer, width: int = 100) -> str:
    scope = scope_note(answer)
    lines = [f"Q: {answer.question}", status_label(answer), ""]
    lines += [textwrap.fill(scope, width), ""] if scope else []
    if answer.abstained:
        return "\n".join([*lines, answer.answer]) + "\n"
    if answer.status == "uncertain":
        lines += [textwrap.fill(UNCERTAIN_NOTE, width), ""]
    for quote in answer.quotes:
        body = textwrap.fill(f"{quoted(quote.text)} [{quote.n}]", width, subsequent_indent="  ")
        lines.append(body)
    lines.append("")
    missing = missing_note(answer)
    if missing:
        lines += [textwrap.fill(missing, width), ""]
    for passage in answer.passages:
        meta = passage.meta
        page = f", p. {passage.page}" if passage.page is not None else ""
        where = f"{passage.doc}{page}, characters {passage.start}-{passage.end}"
        lines.append(f"[{passage.n}] {passage.title} ({', '.join(byline(meta))})")
        lines.append(f"    {where}" + (f"  {meta.url}" if meta.url else ""))
    return "\n".join(lines) + "\n"


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain web link (http or https), else ``None``: only these become links."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def report_text(report: BuildReport | EvalReport) -> str:
    """A build report (or an evaluation report) for the terminal."""
    if isinstance(report, EvalReport):
        return _eval_text(report)
    if not report.written:
        text = f"index is up to date ({len(report.unchanged)} documents unchanged)"
    else:
        parts = [
            f"{len(report.added)} added",
            f"{len(report.updated)} updated",
            f"{len(report.removed)} removed",
            f"{len(report.unchanged)} unchanged",
        ]
        text = (
            f"index updated: {', '.join(parts)}; embedded {report.embedded} texts, "
            f"reused {report.reused} in {report.seconds:.1f} s"
        )
        if report.full_rebuild:
            text += f"\nfull rebuild because {report.full_rebuild}"
    for name, docs in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for doc in docs:
            text += f"\n  {name}: {doc}"
    for notice in report.notices:
        text += f"\n  note: {notice.doc}: {notice.note}"
    for skipped in report.skipped:
        text += (
            f"\n  skipped: {skipped.reason}"
            if skipped.reason.startswith(skipped.doc)
            else f"\n  skipped: {skipped.doc}: {skipped.reason}"
        )
    return text


def _status_line(counts: dict[str, int]) -> str:
    return " / ".join(str(counts.get(s, 0)) for s in STATUSES)


def _eval_text(report: EvalReport) -> str:
    """The evaluation report as a small table."""
    refused = (
        f"{report.out_of_corpus_refused:.1%} of {report.out_of_corpus_questions}"
        if report.out_of_corpus_refused is not None
        else "n/a (no out-of-corpus questions)"
    )
    rows = [
        ("dataset", f"{report.dataset} ({report.part}: {report.articles} articles, {report.questions} questions)"),
        (f"sentence MRR@{report.k}", f"{report.mrr:.3f}"),
        (
            "sentence R@1 / R@5 / R@10",
            f"{report.recall_at_1:.3f} / {report.recall_at_5:.3f} / {report.recall_at_10:.3f}",
        ),
        ("passage R@1 / R@5", f"{report.passage_recall_at_1:.3f} / {report.passage_recall_at_5:.3f}"),
        ("answerable abstained", f"{report.abstained:.1%}"),
        ("answerable: answered / uncertain / abstained", _status_line(report.statuses)),
        ("out-of-corpus refused", refused),
        (
            "follow-ups MRR / R@1",
            f"{report.follow_up_mrr:.3f} / {report.follow_up_recall_at_1:.3f} ({report.follow_up_questions} pairs)",
        ),
        ("out-of-corpus: answered / uncertain / abstained", _status_line(report.out_of_corpus_statuses)),
        (
            "confidence calibration error (ECE)",
            "n/a (no trained reader)" if report.calibration_error is None else f"{report.calibration_error:.3f}",
        ),
        *(
            [
                (
                    "impossible (SQuAD 2.0): answered / uncertain / abstained",
                    f"{_status_line(report.impossible_statuses)} (of {report.impossible_questions})",
                ),
                (
                    "confidence AUROC: right first vs impossible",
                    "n/a" if report.confidence_auroc is None else f"{report.confidence_auroc:.3f}",
                ),
            ]
            if report.impossible_questions
            else []
        ),
        ("first quote / corpus sentence", f"{report.mean_quote_words:.1f} / {report.mean_sentence_words:.1f} words"),
        ("build", f"{report.build_seconds:.1f} s"),
        ("latency p50 / p95", f"{report.latency_p50_ms:.1f} / {report.latency_p95_ms:.1f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def status_text(status: IndexStatus) -> str:
    if not status.built:
        return f"no index in {status.index_dir} yet (corpus: {status.corpus_dir}); run `rag build`"
    lines = [
        f"corpus:    {status.corpus_dir}",
        f"index:     {status.index_dir} ({status.generation})",
        f"model:     {status.model}",
        f"built at:  {status.built_at}",
        f"documents: {status.documents}   passages: {status.passages}   sentences: {status.sentences}",
    ]
    lines += [f"  {doc}" for doc in status.docs]
    return "\n".join(lines)
