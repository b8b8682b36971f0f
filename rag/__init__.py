"""Quote-only question answering over a folder of articles.

Every answer is made of sentences that stand in the corpus character for character, each cited
with its document and offsets; when the corpus does not answer, the answer says so.

    >>> from rag import Engine, Settings
    >>> engine = Engine(Settings())
    >>> engine.build()                      # embeds only new or changed documents
    >>> answer = engine.ask("What did Trump's advisers tell Seoul and Tokyo?")
    >>> answer.quotes[0].text, answer.quotes[0].doc, answer.quotes[0].start

:class:`Engine` is the one API; the names below are everything an adapter (the CLI, the web app,
a service) needs. The stored index (``rag.index``) is private to the package.
"""

from __future__ import annotations

from ._version import __version__
from .config import ChunkSettings, FetchSettings, RetrievalSettings, ServeSettings, Settings, WatchSettings
from .engine import Engine
from .errors import (
    CorpusError,
    DocumentNotFoundError,
    DocumentTooLargeError,
    FetchError,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    ModelError,
    QuestionError,
    RagError,
)
from .evaluate.probes import CandidateFeatures
from .ingest.fetch import parse_urls
from .ingest.load import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from .present.markdown import answer_markdown
from .present.text import (
    STATUS_WORDS,
    UNKNOWN,
    answer_text,
    byline,
    missing_note,
    quoted,
    report_text,
    safe_url,
    scope_note,
    status_label,
    status_text,
    to_json,
)
from .present.views import by_source_markdown, by_source_text, find_csv, find_markdown, find_text
from .records import (
    STATUSES,
    UNCERTAIN_NOTE,
    Answer,
    BuildReport,
    CitedPassage,
    Document,
    DocumentMeta,
    DocumentState,
    EvalReport,
    IndexStatus,
    Missing,
    Notice,
    Quote,
    Skipped,
    SourceGroup,
)
from .retrieve import Feature
from .views.records import FindResult, Mention, MentionGroup, Place

__all__ = [
    "MAX_FILE_BYTES",
    "STATUSES",
    "STATUS_WORDS",
    "SUPPORTED_SUFFIXES",
    "UNCERTAIN_NOTE",
    "UNKNOWN",
    "Answer",
    "BuildReport",
    "CandidateFeatures",
    "ChunkSettings",
    "CitedPassage",
    "CorpusError",
    "Document",
    "DocumentMeta",
    "DocumentNotFoundError",
    "DocumentState",
    "DocumentTooLargeError",
    "Engine",
    "EvalReport",
    "Feature",
    "FetchError",
    "FetchSettings",
    "FindResult",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexStatus",
    "Mention",
    "MentionGroup",
    "Missing",
    "ModelError",
    "Notice",
    "Place",
    "QuestionError",
    "Quote",
    "RagError",
    "RetrievalSettings",
    "ServeSettings",
    "Settings",
    "Skipped",
    "SourceGroup",
    "WatchSettings",
    "__version__",
    "answer_markdown",
    "answer_text",
    "by_source_markdown",
    "by_source_text",
    "byline",
    "find_csv",
    "find_markdown",
    "find_text",
    "missing_note",
    "parse_urls",
    "quoted",
    "report_text",
    "safe_url",
    "scope_note",
    "status_label",
    "status_text",
    "to_json",
]
