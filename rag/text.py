"""Text helpers shared by the build, the index and the quoting: how a text is normalised and keyed."""

from __future__ import annotations

import hashlib

__all__ = ["normalize_text", "text_key"]


def normalize_text(text: str) -> str:
    """The form a text is embedded (and keyed) in: white space folded to single spaces."""
    return " ".join(text.split())


def text_key(text: str) -> str:
    """The key a text's vector is stored under: a hash of its normalised form."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()
