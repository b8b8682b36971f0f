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
from .engine import CandidateFeatures, Engine
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
from .fetch import parse_urls
from .load import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from .present import answer_markdown, answer_text, report_text, safe_url, scope_note, status_text, to_json
from .present_views import by_source_markdown, by_source_text, find_csv, find_markdown, find_text
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
    Notice,
    Quote,
    Skipped,
    SourceGroup,
)
from .records_find import FindResult, Mention, MentionGroup, Place
from .retrieve import Feature

__all__ = [
    "MAX_FILE_BYTES",
    "STATUSES",
    "SUPPORTED_SUFFIXES",
    "UNCERTAIN_NOTE",
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
    "find_csv",
    "find_markdown",
    "find_text",
    "parse_urls",
    "report_text",
    "safe_url",
    "scope_note",
    "status_text",
    "to_json",
]
