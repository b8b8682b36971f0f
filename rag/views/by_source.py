"""The analyst's views over the collection, as methods of :class:`~rag.engine.Engine` (a mixin):
``find`` (every mention of a name or phrase, :mod:`rag.views.find`) and the answer by source.

An answer by source (``Engine.ask(..., by_source=True)``, and every question that names two or
more sources) keeps today's answer and adds one group per document: its title, publisher, author
and date, whether it answers (``answered``, ``uncertain``, ``nothing relevant``) and its own best
quotes, read by the same reader with the question asked of that document alone (and ``uncertain``
rather than nothing where the document is among the question's best candidates, :data:`NEAR_TOP`). A question that
named its sources is read in each named document; any other in each document among the best
candidates of the whole collection, every other document being named as saying nothing relevant.
Groups that answer come first, each set ordered by the document's date (undated last).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..quote import answer_from_reading
from ..records import Answer, Quote, SourceGroup, SourceStatus
from .dates import document_date, stated_dates
from .find import find_mentions
from .records import FindResult

if TYPE_CHECKING:
    from ..config import Settings
    from ..index import StoredIndex
    from ..question.record import Question
    from ..read.conversation import Conversation
    from ..read.reader import Reading

__all__ = ["CANDIDATE_POOL", "MAX_READ_DOCUMENTS", "NEAR_TOP", "AnalystViews", "grouped", "with_dates"]

CANDIDATE_POOL = 30
"""A question not naming its sources is read in each document among its best this many candidates…"""
MAX_READ_DOCUMENTS = 8
"""…at most this many documents (each read costs one pass of the reader)."""
NEAR_TOP = 5
"""A document whose own reading would abstain still has something relevant (``uncertain``) when
one of its sentences is among the best this many candidates of a question not naming its sources
(the whole collection's reading): the reader's confidence
is that its first quote answers the whole question, which a question asking what several
articles say is rarely answered by one document."""


def with_dates(index: StoredIndex, quotes: tuple[Quote, ...]) -> tuple[Quote, ...]:
    """``quotes`` carrying their document's date and the dates each states (:mod:`rag.views.dates`)."""
    out = []
    for quote in quotes:
        record = index.document_by_name(quote.doc)
        day = document_date(record.meta.date) if record else None
        out.append(replace(quote, date=day, dates=stated_dates(quote.text, day)))
    return tuple(out)


def _order(iso: str | None) -> tuple[int, str]:
    return (0, iso) if iso else (1, "")


def grouped(question: Question, asked_for: bool) -> bool:
    """Whether the answer to ``question`` is grouped by source: asked for, or several sources named."""
    return asked_for or (question.scope is not None and len(question.scope.names) > 1)


class AnalystViews:
    """``find`` and the answer by source; mixed into :class:`~rag.engine.Engine`."""

    if TYPE_CHECKING:
        settings: Settings
        _conversation: Conversation

        def _live(self, *, will_encode: bool = False) -> StoredIndex: ...

    def find(self, query: str, by: str = "doc") -> FindResult:
        """Every sentence that mentions ``query`` (a name or phrase; case and inflection do not
        matter, a person is also found by surname), grouped by document ordered by date;
        ``by="date"`` adds a timeline ordered by the dates the sentences state (:mod:`rag.views.find`).
        Raises :class:`~rag.errors.QuestionError` for an empty, overlong query or unknown order."""
        return find_mentions(self._live(), query, by)

    def _by_source(
        self,
        index: StoredIndex,
        answer: Answer,
        question: Question,
        reading: Reading,
        k: int,
        vector: np.ndarray | None,
    ) -> Answer:
        """``answer`` with its quotes dated, and grouped by source when ``vector`` (the asked
        question's, encoded once by the caller) is given: see :func:`grouped` and the module's
        docstring."""
        answer = replace(answer, quotes=with_dates(index, answer.quotes))
        scope, asked = question.scope, question.asked
        if vector is None:
            return answer
        allowed = None if scope is None else np.zeros(len(index.sentence_doc), dtype=bool)
        if scope is not None and allowed is not None:
            allowed[scope.sentences] = True
            to_read = list(dict.fromkeys(int(d) for d in index.sentence_doc[scope.sentences]))
            listed = to_read
        else:
            ranked = [int(index.sentence_doc[c.sentence_id]) for c in reading.candidates[:CANDIDATE_POOL]]
            to_read = list(dict.fromkeys(ranked))[:MAX_READ_DOCUMENTS]
            listed = [d.id for d in index.documents]
        rs = self.settings.retrieval
        near = (
            {int(index.sentence_doc[c.sentence_id]) for c in reading.candidates[:NEAR_TOP]} if scope is None else set()
        )
        groups: list[SourceGroup] = []
        for doc_id in listed:
            record = index.documents[doc_id]
            quotes: tuple[Quote, ...] = ()
            status: SourceStatus = "nothing relevant"
            if doc_id in to_read:
                within_doc = index.sentence_doc == doc_id
                within = np.flatnonzero(within_doc if allowed is None else within_doc & allowed)
                own = self._conversation.read(index, asked, question.previous, vector, within)
                judged = "uncertain" if own.status == "abstained" and doc_id in near else own.status
                part = answer_from_reading(index, asked, replace(own, status=judged), k, rs)
                if not part.abstained:
                    status = "uncertain" if part.status == "uncertain" else "answered"
                    quotes = with_dates(index, part.quotes)
            meta = record.meta
            groups.append(
                SourceGroup(
                    doc=record.doc,
                    title=meta.display_name(record.doc),
                    publisher=meta.publisher,
                    author=meta.author,
                    date=document_date(meta.date),
                    url=meta.url,
                    status=status,
                    quotes=quotes,
                )
            )
        groups.sort(key=lambda g: (g.status == "nothing relevant", *_order(g.date), g.doc))
        numbered = tuple(
            replace(g, quotes=tuple(replace(q, n=i) for q in g.quotes)) for i, g in enumerate(groups, start=1)
        )
        return replace(answer, by_source=numbered)
