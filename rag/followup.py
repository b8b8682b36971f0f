"""Follow-up questions: read a short, dependent question together with the one before it.

"And what did Japan say?" means nothing alone; after "What did the US say about the summit?" it
means "what did Japan say about the summit". A question counts as a follow-up when it is short and
either starts with a linking word or leans on a pronoun; retrieval then uses both questions.
"""

from __future__ import annotations

import re

__all__ = ["is_follow_up", "retrieval_text"]

_LINKING_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|what else|why|how come|same for|or)\b", re.I
)
_DEPENDENT = re.compile(r"\b(he|she|they|them|it|its|his|her|their|this|that|these|those|there|then)\b", re.I)


def is_follow_up(question: str) -> bool:
    words = question.split()
    if len(words) > 12:
        return False
    return bool(_LINKING_START.match(question.strip())) or (len(words) <= 7 and bool(_DEPENDENT.search(question)))


def retrieval_text(question: str, previous: str | None) -> str:
    """The text to retrieve with: the question, preceded by ``previous`` if this is a follow-up."""
    if previous and previous.strip() and is_follow_up(question):
        return f"{previous.strip()} {question}"
    return question
