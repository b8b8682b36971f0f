"""Present: render answers, build reports and status for people (the terminal) and programs (JSON).

The Gradio app renders its own HTML from the same :class:`~rag.records.Answer` (``ui/render.py``).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from .records import UNCERTAIN_NOTE, Answer, BuildReport, IndexStatus

__all__ = ["answer_text", "report_text", "status_text", "to_json"]


def to_json(obj: Any) -> str:
    return json.dumps(obj.to_dict() if hasattr(obj, "to_dict") else obj, ensure_ascii=False)


def answer_text(answer: Answer, width: int = 100) -> str:
    if answer.abstained:
        return f"Q: {answer.question}\n\n{answer.answer}\n"
    lines = [f"Q: {answer.question}", ""]
    if answer.status == "uncertain":
        lines += [textwrap.fill(UNCERTAIN_NOTE, width), ""]
    for quote in answer.quotes:
        body = textwrap.fill(f"“{' '.join(quote.text.split())}” [{quote.n}]", width, subsequent_indent="  ")
        lines.append(body)
    lines.append("")
    for passage in answer.passages:
        meta = passage.meta
        source = ", ".join(x for x in (meta.publisher, meta.author, meta.date) if x)
        where = f"{passage.doc}, characters {passage.start}-{passage.end}"
        lines.append(f"[{passage.n}] {passage.title}" + (f" ({source})" if source else ""))
        lines.append(f"    {where}" + (f"  {passage.url}" if passage.url else ""))
    return "\n".join(lines) + "\n"


def report_text(report: BuildReport) -> str:
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
    for skipped in report.skipped:
        text += (
            f"\n  skipped: {skipped.reason}"
            if skipped.reason.startswith(skipped.doc)
            else f"\n  skipped: {skipped.doc}: {skipped.reason}"
        )
    return text


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
