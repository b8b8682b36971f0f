"""Typed results: every value that crosses a module boundary is one of these frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, get_args

__all__ = [
    "STATUSES",
    "UNCERTAIN_NOTE",
    "Answer",
    "BuildReport",
    "Chunks",
    "CitedPassage",
    "Document",
    "DocumentMeta",
    "DocumentState",
    "DocumentStateName",
    "EvalReport",
    "IndexStatus",
    "Missing",
    "MissingKind",
    "Notice",
    "Quote",
    "Record",
    "Skipped",
    "SourceGroup",
    "SourceStatus",
    "Status",
]


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: records by their ``to_dict``, tuples as lists."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


class Record:
    """The one ``to_dict`` of every record (a dataclass): its fields in order, or the names in
    ``json_fields`` where the JSON differs (a property, a field left out); floats rounded to
    ``json_round`` digits when that is set."""

    json_fields: ClassVar[tuple[str, ...] | None] = None
    json_round: ClassVar[int | None] = None
    json_unless_none: ClassVar[tuple[str, ...]] = ()
    """Fields the JSON leaves out while they are ``None`` (what was not asked for)."""

    def to_dict(self) -> dict[str, Any]:
        names = self.json_fields or tuple(f.name for f in fields(self))  # type: ignore[arg-type]
        digits = self.json_round
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            if value is None and name in self.json_unless_none:
                continue
            out[name] = round(value, digits) if digits is not None and isinstance(value, float) else _plain(value)
        return out


@dataclass(frozen=True, kw_only=True)
class DocumentMeta(Record):
    """What the document says about itself (or its ``.meta.json`` sidecar); ``None`` where unknown."""

    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None

    def display_name(self, doc: str) -> str:
        """The one name a person is shown for the document ``doc`` (page, terminal, Markdown,
        REST): its title; else "publisher — author" (or the one of them known); else ``doc``, its
        file name. The loader already takes a title from the document itself where it has one
        (a first heading or line, HTML, PDF or Word metadata; a sidecar wins), so the file name
        shows only when nothing names the document."""
        if self.title:
            return self.title
        return " — ".join(x for x in (self.publisher, self.author) if x) or doc


@dataclass(frozen=True, kw_only=True)
class Document(Record):
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
    note: str | None = None
    """How the text was found, when the build report should say (e.g. a page's visible text taken
    because no article was found). Not stored in the index."""

    @property
    def title(self) -> str:
        """Its display name (:meth:`DocumentMeta.display_name`)."""
        return self.meta.display_name(self.doc)


@dataclass(frozen=True, kw_only=True)
class Chunks(Record):
    """A document cut into passages and sentences; all spans are ``(start, end)`` offsets in its text."""

    passages: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]
    sentence_passage: tuple[int, ...]
    """For each sentence, the index of the passage that holds it."""


@dataclass(frozen=True, kw_only=True)
class Quote(Record):
    """A quoted sentence: its verbatim text, where it stands (``doc``, ``start``, ``end``) and its score."""

    json_round = 6

    n: int
    """Citation number: the number of the cited passage that holds this sentence."""
    text: str
    doc: str
    title: str
    start: int
    end: int
    page: int | None = None
    """1-based page of a PDF the quote starts on; ``None`` for other formats."""
    score: float
    date: str | None = None
    """The document's date (ISO), when its metadata gives one."""
    dates: tuple[str, ...] = ()
    """The dates the sentence states, ISO, relative ones resolved against ``date`` (:mod:`rag.views.dates`)."""


@dataclass(frozen=True, kw_only=True)
class CitedPassage(Record):
    """A cited passage with its quotes marked; its JSON keeps ``url`` (from ``meta``) and leaves ``meta`` out."""

    json_fields = ("n", "doc", "title", "url", "page", "text", "start", "end", "quote_spans")

    n: int
    doc: str
    title: str
    text: str
    start: int
    end: int
    quote_spans: tuple[tuple[int, int], ...]
    """Quoted sentences as offsets *inside* ``text``: ``text[s:e]`` is the quote."""
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    page: int | None = None
    """1-based page of a PDF the passage starts on; ``None`` for other formats."""

    @property
    def url(self) -> str | None:
        return self.meta.url


MissingKind = Literal["name", "number", "date", "qualifier", "negation"]


@dataclass(frozen=True, kw_only=True)
class Missing(Record):
    """Something a question asks that its first quote does not hold (:mod:`rag.read.missing`): a name, a
    number, a date or a qualifier ("first", "only", a negation), as the question writes it, and
    the near variant the text holds instead, if any ("George IV Bridge" for "George V Bridge")."""

    json_fields = ("term", "text_says", "kind", "text")

    term: str
    text_says: str | None = None
    kind: MissingKind

    @property
    def text(self) -> str:
        """How the answer's ``"missing"`` list writes it: "George V Bridge (the text says George IV Bridge)"."""
        return f"{self.term} (the text says {self.text_says})" if self.text_says else self.term


SourceStatus = Literal["answered", "uncertain", "nothing relevant"]


@dataclass(frozen=True, kw_only=True)
class SourceGroup(Record):
    """One document's part of an answer by source: its metadata, whether it answers, its own best quotes."""

    doc: str
    title: str
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    status: SourceStatus
    quotes: tuple[Quote, ...] = ()


Status = Literal["answered", "uncertain", "abstained"]
STATUSES: tuple[Status, ...] = get_args(Status)
"""Every :data:`Status`, in order: the best first."""

UNCERTAIN_NOTE = "The articles may not answer this directly; these are the closest quotes."
"""What the terminal and the page say above the quotes of an ``"uncertain"`` answer."""


@dataclass(frozen=True, kw_only=True)
class Answer(Record):
    """The JSON contract of ``rag ask --json`` and the ``/ask`` API endpoint is its ``to_dict``."""

    json_fields = (
        "question",
        "abstained",
        "status",
        "confidence",
        "sources",
        "answer",
        "quotes",
        "passages",
        "missing",
        "missing_detail",
        "by_source",
    )
    json_round = 4
    json_unless_none = ("by_source",)

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
    sources: tuple[str, ...] = ()
    """The sources the question asked to hear from ("According to Chatham House, …"), as their
    documents' metadata names them: the quotes come from these only (:mod:`rag.question.scope`). Empty
    when it named none."""
    missing: tuple[Missing, ...] = ()
    """What the question asks that the first quote (with the sentence before it, its passage's
    heading and its document's title) does not hold, when the status is ``"uncertain"``
    (:mod:`rag.read.missing`); empty otherwise. Its JSON is a list of strings ("George V Bridge (the
    text says George IV Bridge)"), and ``"missing_detail"`` the same as objects."""
    by_source: tuple[SourceGroup, ...] | None = None
    """The answer grouped per document (``rag ask --by-source``, or a question naming several
    sources), ordered by the document's date; ``None`` (and not in the JSON) when not asked."""

    @property
    def missing_detail(self) -> tuple[Missing, ...]:
        return self.missing

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["missing"] = [m.text for m in self.missing]
        return out

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", "abstained" if self.abstained else "answered")
        if self.abstained != (self.status == "abstained"):
            raise ValueError(f"an answer with status {self.status!r} cannot have abstained={self.abstained}")


@dataclass(frozen=True, kw_only=True)
class Skipped(Record):
    """A corpus file that was not indexed, and why."""

    doc: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Notice(Record):
    """Something the build report says about an indexed document (a fallback, a duplicate)."""

    doc: str
    note: str


@dataclass(frozen=True, kw_only=True)
class BuildReport(Record):
    json_round = 3

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[Notice, ...] = ()
    """Indexed documents worth a word: visible text taken for want of an article, duplicates."""
    embedded: int = 0
    """Texts (sentences and passages) sent to the encoder in this build."""
    reused: int = 0
    """Texts whose vectors were taken from the previous index instead."""
    full_rebuild: str | None = None
    """Why everything was re-chunked (no index, model or chunk settings changed), else ``None``."""
    seconds: float = 0.0
    written: bool = False
    """Whether a new index generation was written (``False`` when already up to date)."""


@dataclass(frozen=True, kw_only=True)
class IndexStatus(Record):
    json_fields = (
        "corpus_dir",
        "index_dir",
        "built",
        "documents",
        "passages",
        "sentences",
        "model",
        "built_at",
        "generation",
        "docs",
    )

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
    texts: int = 0
    """Distinct embedded texts (rows of vectors) the index holds; not in the JSON."""


DocumentStateName = Literal["indexed", "not indexed yet", "deleted"]


@dataclass(frozen=True, kw_only=True)
class DocumentState(Record):
    """A document of the corpus folder or the index, and where it stands: ``indexed``, ``not
    indexed yet`` (in the folder, not in the index) or ``deleted`` (in the index, not in the folder)."""

    doc: str
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    """What the index holds about it (empty until it is indexed)."""
    state: DocumentStateName

    @property
    def name(self) -> str:
        """Its display name (:meth:`DocumentMeta.display_name`)."""
        return self.meta.display_name(self.doc)


@dataclass(frozen=True, kw_only=True)
class EvalReport(Record):
    """Answer quality on a SQuAD file (``rag eval``; see :mod:`rag.evaluate.squad`); its JSON rounds
    every share and mean to 4 digits."""

    dataset: str
    """The SQuAD file's name."""
    part: str
    """Which articles were indexed: ``tuning``, ``check`` or ``all``."""
    articles: int
    questions: int
    k: int
    mrr: float
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    passage_recall_at_1: float
    passage_recall_at_5: float
    abstained: float
    """Share of answerable questions abstained on (each one a miss above)."""
    out_of_corpus_questions: int
    out_of_corpus_refused: float | None
    """Share of questions about articles not in the corpus that were refused."""
    follow_up_questions: int
    follow_up_mrr: float
    follow_up_recall_at_1: float
    """Follow-up pairs (:mod:`rag.evaluate.followup_pairs`), each asked after its first question: sentence MRR, R@1."""
    statuses: dict[str, int]
    """How many answerable questions were ``answered``, ``uncertain``, ``abstained``."""
    out_of_corpus_statuses: dict[str, int]
    calibration_error: float | None
    """ECE of the confidence against "the first quote holds the answer" over all questions
    asked (``None`` without the trained reader)."""
    mean_quote_words: float
    mean_sentence_words: float
    """Mean length of the first quote and of the corpus's sentences, in words."""
    build_seconds: float
    latency_p50_ms: float
    latency_p95_ms: float
    impossible_questions: int = 0
    impossible_statuses: dict[str, int] = field(default_factory=dict)
    confidence_auroc: float | None = None
    """SQuAD 2.0 questions without an answer, counted apart; AUROC: right first vs them (:mod:`rag.evaluate.squad`)."""

    json_round = 4
