"""The error hierarchy. The CLI turns these into one-line messages, the UI into ``gr.Error``."""

from __future__ import annotations

__all__ = [
    "CorpusError",
    "DocumentNotFoundError",
    "DocumentTooLargeError",
    "FetchError",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMissingError",
    "ModelError",
    "QuestionError",
    "RagError",
]


class RagError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is one line naming the fix."""


class QuestionError(RagError):
    """The question cannot be asked (empty, whitespace only, ...)."""


class CorpusError(RagError):
    """A corpus file or folder cannot be used (missing, unsupported, unsafe name, ...)."""


class DocumentNotFoundError(CorpusError):
    """The named document is not in the corpus or the index."""


class DocumentTooLargeError(CorpusError):
    """A file is over the size limit for one document."""


class FetchError(CorpusError):
    """A URL cannot be added (unreachable, refused, wrong type, too large, ...)."""


class IndexMissingError(RagError):
    """No index has been built yet in the index folder."""


class IndexCorruptError(RagError):
    """The index on disk is damaged, incomplete, or was built by another model or format."""


class IndexLockedError(RagError):
    """Another build holds the index lock."""


class ModelError(RagError):
    """The embedding model cannot be loaded."""
