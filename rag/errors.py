"""The error hierarchy. The CLI turns these into one-line messages, the UI into ``gr.Error``, the
REST API into the HTTP status each class names (``http_status``)."""

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

    http_status: int = 400
    """The REST API's status for it (a subclass names its own)."""


class QuestionError(RagError):
    """The question cannot be asked (empty, whitespace only, ...)."""

    http_status: int = 400


class CorpusError(RagError):
    """A corpus file or folder cannot be used (missing, unsupported, unsafe name, ...)."""

    http_status: int = 400


class DocumentNotFoundError(CorpusError):
    """The named document is not in the corpus or the index."""

    http_status: int = 404


class DocumentTooLargeError(CorpusError):
    """A file is over the size limit for one document."""

    http_status: int = 413


class FetchError(CorpusError):
    """A URL cannot be added (unreachable, refused, wrong type, too large, ...)."""

    http_status: int = 400


class IndexMissingError(RagError):
    """No index has been built yet in the index folder."""

    http_status: int = 503


class IndexCorruptError(RagError):
    """The index on disk is damaged, incomplete, or was built by another model or format."""

    http_status: int = 503


class IndexLockedError(RagError):
    """Another build holds the index lock."""

    http_status: int = 409


class ModelError(RagError):
    """The embedding model cannot be loaded."""

    http_status: int = 503
