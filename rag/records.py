"""Typed results: every value that crosses a module boundary is one of these frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "UNCERTAIN_NOTE",
    "Answer",
    "BuildReport",
    "Chunks",
    "CitedPassage",
    "Document",
    "DocumentMeta",
    "IndexStatus",
    "Quote",
    "Skipped",
    "Status",
]


@dataclass(frozen=True)
class DocumentMeta:
    """What the document says about itself (or its ``.meta.json`` sidecar); ``None`` where unknown."""

    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Document:
    """A loaded document. ``text`` is what offsets index: the file's own decoded text for
    ``.txt``/``.md``, the extracted text for ``.html``/``.pdf``."""

    doc: str
    """Path relative to the corpus folder, with forward slashes."""
    text: str
    sha256: str
    """Hash of the file's bytes (and its sidecar), used to detect changes."""
    kind: str
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    body_start: int = 0
    """Offset where the body starts (after Markdown front matter); nothing before it is indexed."""

    @property
    def title(self) -> str:
        return self.meta.title or self.doc


@dataclass(frozen=True)
class Chunks:
    """A document cut into passages and sentences; all spans are ``(start, end)`` offsets in its text."""

    passages: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]
    sentence_passage: tuple[int, ...]
    """For each sentence, the index of the passage that holds it."""


@dataclass(frozen=True)
class Quote:
    n: int
    """Citation number: the number of the cited passage that holds this sentence."""
    text: str
    doc: str
    title: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "text": self.text,
            "doc": self.doc,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class CitedPassage:
    n: int
    doc: str
    title: str
    url: str | None
    text: str
    start: int
    end: int
    quote_spans: tuple[tuple[int, int], ...]
    """Quoted sentences as offsets *inside* ``text``: ``text[s:e]`` is the quote."""
    meta: DocumentMeta = field(default_factory=DocumentMeta)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc": self.doc,
            "title": self.title,
            "url": self.url,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "quote_spans": [list(span) for span in self.quote_spans],
        }


Status = Literal["answered", "uncertain", "abstained"]

UNCERTAIN_NOTE = "The articles may not answer this directly; these are the closest quotes."
"""What the terminal and the page say above the quotes of an ``"uncertain"`` answer."""


@dataclass(frozen=True)
class Answer:
    question: str
    abstained: bool
    answer: str
    quotes: tuple[Quote, ...] = ()
    passages: tuple[CitedPassage, ...] = ()
    status: Status | None = None
    """``"answered"``, ``"uncertain"`` (quotes kept, but the articles may not answer this
    directly) or ``"abstained"`` (no quotes); derived from ``abstained`` when not given."""
    confidence: float | None = None
    """Calibrated probability (0-1) that the first quote answers the question; ``None`` without
    the trained reader."""

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", "abstained" if self.abstained else "answered")
        if self.abstained != (self.status == "abstained"):
            raise ValueError(f"an answer with status {self.status!r} cannot have abstained={self.abstained}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``rag ask --json`` and the ``/ask`` API endpoint."""
        return {
            "question": self.question,
            "abstained": self.abstained,
            "status": self.status,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "answer": self.answer,
            "quotes": [q.to_dict() for q in self.quotes],
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not indexed, and why."""

    doc: str
    reason: str


@dataclass(frozen=True)
class BuildReport:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    embedded: int = 0
    """Texts (sentences and passages) sent to the encoder in this build."""
    reused: int = 0
    """Texts whose vectors were taken from the previous index instead."""
    full_rebuild: str | None = None
    """Why everything was re-chunked (no index, model or chunk settings changed), else ``None``."""
    seconds: float = 0.0
    written: bool = False
    """Whether a new index generation was written (``False`` when already up to date)."""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "skipped": [{"doc": s.doc, "reason": s.reason} for s in self.skipped],
            "embedded": self.embedded,
            "reused": self.reused,
            "full_rebuild": self.full_rebuild,
            "seconds": round(self.seconds, 3),
            "written": self.written,
        }


@dataclass(frozen=True)
class IndexStatus:
    corpus_dir: str
    index_dir: str
    built: bool
    documents: int = 0
    passages: int = 0
    sentences: int = 0
    model: str | None = None
    built_at: str | None = None
    generation: str | None = None
    docs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus_dir": self.corpus_dir,
            "index_dir": self.index_dir,
            "built": self.built,
            "documents": self.documents,
            "passages": self.passages,
            "sentences": self.sentences,
            "model": self.model,
            "built_at": self.built_at,
            "generation": self.generation,
            "docs": list(self.docs),
        }
