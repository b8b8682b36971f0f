"""Text helpers shared by the build, the index, the quoting and the reading of questions: how a
text is normalised and keyed, and which words of a question are function words."""

from __future__ import annotations

import hashlib

__all__ = ["FUNCTION_WORDS", "normalize_text", "text_key"]

FUNCTION_WORDS = frozenset(
    """a an the of in on at to for from by with about as and or but is are was were be been being do does did
    has have had what which who whom whose when where why how that this these those it its his her their they he
    she him them than then there into onto over under during after before between through not no yes can could
    will would shall should may might must s ’s 's ? , . ! ; : " ( ) -""".split()
)
"""Words (and punctuation tokens) that say how a question is put, not what it is about: articles,
prepositions, pronouns, question words, auxiliaries."""


def normalize_text(text: str) -> str:
    """The form a text is embedded (and keyed) in: white space folded to single spaces."""
    return " ".join(text.split())


def text_key(text: str) -> str:
    """The key a text's vector is stored under: a hash of its normalised form."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()
