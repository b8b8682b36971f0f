"""Quote-only question answering over a folder of articles.

Every answer is made of sentences that stand in the corpus character for character, each cited
with its document and offsets; when the corpus does not answer, the answer says so.

    >>> from rag import Engine, Settings
    >>> engine = Engine(Settings())
    >>> engine.build()                      # embeds only new or changed documents
    >>> answer = engine.ask("What did Trump's advisers tell Seoul and Tokyo?")
    >>> answer.quotes[0].text, answer.quotes[0].doc, answer.quotes[0].start
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import ChunkSettings, RetrievalSettings, Settings
from .engine import Engine
from .errors import (
    CorpusError,
    DocumentNotFoundError,
    DocumentTooLargeError,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    ModelError,
    QuestionError,
    RagError,
)
from .present import answer_markdown
from .records import Answer, BuildReport, CitedPassage, Document, DocumentMeta, IndexStatus, Quote, Skipped

__all__ = [
    "Answer",
    "BuildReport",
    "ChunkSettings",
    "CitedPassage",
    "CorpusError",
    "Document",
    "DocumentMeta",
    "DocumentNotFoundError",
    "DocumentTooLargeError",
    "Engine",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexStatus",
    "ModelError",
    "QuestionError",
    "Quote",
    "RagError",
    "RetrievalSettings",
    "Settings",
    "Skipped",
    "__version__",
    "answer_markdown",
]
