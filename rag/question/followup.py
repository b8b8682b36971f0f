"""Follow-up questions: a dependent question read with the one asked before it.

"Which Japanese official did he meet?" means little alone; after "Which former National Security
Council chief of staff visited Japan?" it asks about Fred Fleitz. Gluing the previous question in
front of the follow-up lets the previous question's words dominate retrieval (after "What did the
Lee-Ishiba meeting produce?", "And what about North Korea?" then finds the meeting again). So a
follow-up is retrieved twice and the two rankings are fused:

1. **own words**: the follow-up alone;
2. **in context**: the previous question, then the follow-up with its pronouns (he, she, it, his,
   them, …) replaced by the name it most likely stands for: the first new name in the previous
   answer (one with a word the previous question does not hold: the name it asked for) when the
   previous question asked for one ("Who …?", "Which official …?"; not "Who is Camilla
   Cavarape?", which asks about a name it holds), else the first name in the previous question.

The rankings are fused by weighted reciprocal rank, ``w / (rrf_k + rank)`` summed over the two
(scores of two different queries are not on one scale; ranks are). The follow-up's own ranking
gets ``own_weight`` when the question clearly leans on the previous one (short, and a pronoun or a
linking word such as "and", "what about"), ``weak_own_weight`` when it merely holds a pronoun, and
a question with neither is retrieved alone, as if asked first. With the reader, each weight is
then multiplied by its reading's confidence plus ``confidence_floor`` (:func:`reading_weights`):
when the follow-up's own words find a sentence the reader is sure of ("What does his
administration lack?" → "And his administration lacks …"), the previous question's words do not
pull the first quote back to the previous answer. A fused candidate keeps the larger
of its two similarities and term coverages, so a terse follow-up ("And under Yoon?") is judged
answerable on the words of the conversation, not on its own three.

The choices were measured on the tuning halves only (docs/answer-quality.md, "Follow-up questions").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "WeightedQuery",
    "asks_for_name",
    "is_follow_up",
    "leans_on_previous",
    "names",
    "own_weight",
    "queries",
    "resolve",
]

_LINKING_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|what else|why|how come|same for|or)\b", re.I
)
_DEPENDENT = re.compile(r"\b(he|she|they|them|him|it|its|his|her|their|this|that|these|those|there|then)\b", re.I)
_PRONOUN = re.compile(r"\b(he|she|they|them|him|it|his|her|its|their)\b", re.I)
_POSSESSIVE = frozenset(("his", "its", "their"))
_OBJECT_NEXT = re.compile(
    r"\s*(?:[^\w\s]|$|(?:in|on|at|to|for|from|with|about|by|of|into|after|before|during|over|the|a|an|this|that|"
    r"these|those|and|or|as|again|back|up|down|out|off|now|then|there|here|first|last|so|too|also|if|when)\b)",
    re.I,
)
"""What may follow "her" used as an object ("meet her in Tokyo", "tell her?"); before anything else
it is possessive ("her PhD")."""
_NAME = re.compile(r"[A-Z][\w’'.\-]*(?:(?:\s+(?:of|de|du|van|von|al|bin))?\s+[A-Z][\w’'.\-]*)*")
_NOT_NAMES = frozenset(
    """What Which Who Whom Whose When Where Why How Is Are Was Were Do Does Did Has Have Had Can Could Will Would
    Should May Might And But Also So Then Or The A An In On At To For From By With About As Of It He She They
    This That These Those There I""".split()
)
_ASKS_ABOUT_NAME = re.compile(r"^\s*(?i:who\s+(?:is|was|are|were))\s+[A-Z]")
_ASKS_FOR_NAME = re.compile(r"^\s*(who|whom|whose|which|what (?:official|person|leader|country|company))\b", re.I)


@dataclass(frozen=True, kw_only=True)
class WeightedQuery:
    text: str
    weight: float


def is_follow_up(question: str) -> bool:
    """Whether ``question`` clearly leans on the one before: at most 12 words, and either starting
    with a linking word or, in at most 9 words, using a pronoun."""
    words = question.split()
    if len(words) > 12:
        return False
    return bool(_LINKING_START.match(question.strip())) or (len(words) <= 9 and bool(_DEPENDENT.search(question)))


def leans_on_previous(question: str) -> bool:
    """Whether ``question`` needs the one before it to be understood: it clearly leans on it
    (:func:`is_follow_up`) or merely holds a pronoun."""
    return is_follow_up(question) or bool(_DEPENDENT.search(question))


def own_weight(question: str, strong: float, weak: float) -> float:
    """The weight of the follow-up's own ranking: ``strong`` when it clearly leans on the previous
    question, ``weak`` when it merely holds a pronoun, else 1 (the previous question is not used)."""
    if is_follow_up(question):
        return strong
    return weak if leans_on_previous(question) else 1.0


def names(text: str) -> list[str]:
    """Capitalised runs of words in ``text`` ("Fred Fleitz", "South Korea", "Lee-Ishiba"), first
    seen first, without question words and other capitalised function words."""
    found: list[str] = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        name = re.sub(r"['’]s$", "", " ".join(words)).rstrip(".’'")
        if name and name not in found:
            found.append(name)
    return found


def resolve(question: str, previous: str, previous_answer: str | None = None) -> str:
    """``question`` with its pronouns replaced by the name they most likely stand for: the first
    name of ``previous_answer`` with a word ``previous`` does not hold, if ``previous`` asked for a
    name, else the first of ``previous``; names the question already holds are skipped."""
    referents = names(previous)
    if previous_answer and asks_for_name(previous):
        asked = {w.lower() for w in re.findall(r"\w+", previous)}
        new = [n for n in names(previous_answer) if any(w.lower() not in asked for w in re.findall(r"\w+", n))]
        referents = new + referents
    own = question.lower()
    referent = next((n for n in referents if n.lower() not in own), None)
    if referent is None:
        return question

    def replacement(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word in _POSSESSIVE or (word == "her" and not _OBJECT_NEXT.match(question, match.end())):
            return f"{referent}’s"
        return referent

    return _PRONOUN.sub(replacement, question)


def asks_for_name(question: str) -> bool:
    """Whether ``question`` asks who or which one ("Who …?", "Which official …?"); not "Who is
    Camilla Cavarape?", which asks about the name it already holds."""
    return bool(_ASKS_FOR_NAME.match(question)) and not _ASKS_ABOUT_NAME.match(question)


def queries(
    question: str, previous: str | None, weight: float, previous_answer: str | None = None
) -> tuple[WeightedQuery, ...]:
    """The texts to retrieve with for ``question`` after ``previous``, and their weights; ``weight``
    is the follow-up's own (:func:`own_weight`)."""
    if weight >= 1.0 or not previous:
        return (WeightedQuery(text=question, weight=1.0),)
    context = f"{previous} {resolve(question, previous, previous_answer)}"
    return (WeightedQuery(text=question, weight=weight), WeightedQuery(text=context, weight=1.0 - weight))
