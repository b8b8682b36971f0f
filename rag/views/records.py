"""The records of ``rag find`` (:mod:`rag.views.find`): keyword-only frozen dataclasses like those of
:mod:`rag.records`, with the same ``to_dict``."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import Record

__all__ = ["FindResult", "Mention", "MentionGroup", "Place"]


@dataclass(frozen=True, kw_only=True)
class Place(Record):
    """Another place the same sentence stands (a near-duplicate collapsed into a mention)."""

    doc: str
    title: str
    start: int
    end: int
    page: int | None = None


@dataclass(frozen=True, kw_only=True)
class Mention(Record):
    """A sentence that mentions what ``rag find`` looked for: ``text`` is ``doc``'s text from
    ``start`` to ``end``; ``spans`` are the mentions inside ``text``."""

    text: str
    doc: str
    title: str
    start: int
    end: int
    page: int | None = None
    spans: tuple[tuple[int, int], ...] = ()
    date: str | None = None
    """The document's date (ISO)."""
    dates: tuple[str, ...] = ()
    """The dates the sentence states (ISO; :mod:`rag.views.dates`)."""
    also: tuple[Place, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MentionGroup(Record):
    doc: str
    title: str
    publisher: str | None = None
    author: str | None = None
    url: str | None = None
    date: str | None = None
    count: int
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FindResult(Record):
    """``rag find``: every mention, grouped by document (by date, undated last)."""

    json_fields = ("query", "forms", "by", "total", "places", "documents", "timeline")

    query: str
    forms: tuple[str, ...] = ()
    """What was looked for: the query, and a person's surname too."""
    by: str = "doc"
    total: int = 0
    """Mentions listed (near-duplicates counted once)."""
    places: int = 0
    """Sentences that mention it, near-duplicates included."""
    documents: tuple[MentionGroup, ...] = ()
    timeline: tuple[Mention, ...] = ()
    """With ``by="date"``: every mention, ordered by the date it states (else its document's)."""
