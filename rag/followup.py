"""Follow-up questions: a dependent question read with the one asked before it.

"Which Japanese official did he meet?" means little alone; after "Which former National Security
Council chief of staff visited Japan?" it asks about Fred Fleitz. Gluing the previous question in
front of the follow-up lets the previous question's words dominate retrieval (after "What did the
Lee-Ishiba meeting produce?", "And what about North Korea?" then finds the meeting again). So a
follow-up is retrieved twice and the two rankings are fused:

1. **own words**: the follow-up alone;
2. **in context**: the previous question, then the follow-up with its pronouns (he, she, it, his,
   them, …) replaced by the name it most likely stands for: the first name in the previous answer
   when the previous question asked for one ("Who …?", "Which official …?"), else the first name
   in the previous question.

The rankings are fused by weighted reciprocal rank, ``w / (rrf_k + rank)`` summed over the two
(scores of two different queries are not on one scale; ranks are). The follow-up's own ranking
gets ``own_weight`` when the question clearly leans on the previous one (short, and a pronoun or a
linking word such as "and", "what about"), ``weak_own_weight`` when it merely holds a pronoun, and
a question with neither is retrieved alone, as if asked first. A fused candidate keeps the larger
of its two similarities and term coverages, so a terse follow-up ("And under Yoon?") is judged
answerable on the words of the conversation, not on its own three.

The choices were measured on the tuning halves only (README, "Follow-up questions").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .config import FollowUpSettings, RetrievalSettings
from .index import StoredIndex
from .retrieve import Candidate, retrieve

__all__ = [
    "Query",
    "asks_for_name",
    "fuse",
    "is_follow_up",
    "names",
    "own_weight",
    "queries",
    "resolve",
    "retrieve_follow_up",
]

_LINKING_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what|what else|why|how come|same for|or)\b", re.I
)
_DEPENDENT = re.compile(r"\b(he|she|they|them|him|it|its|his|her|their|this|that|these|those|there|then)\b", re.I)
_PRONOUN = re.compile(r"\b(he|she|they|them|him|it|his|her|its|their)\b", re.I)
_POSSESSIVE = frozenset(("his", "its", "their"))
_NAME = re.compile(r"[A-Z][\w’'.\-]*(?:(?:\s+(?:of|de|du|van|von|al|bin))?\s+[A-Z][\w’'.\-]*)*")
_NOT_NAMES = frozenset(
    """What Which Who Whom Whose When Where Why How Is Are Was Were Do Does Did Has Have Had Can Could Will Would
    Should May Might And But Also So Then Or The A An In On At To For From By With About As Of It He She They
    This That These Those There I""".split()
)
_ASKS_FOR_NAME = re.compile(r"^\s*(who|whom|whose|which|what (?:official|person|leader|country|company))\b", re.I)


@dataclass(frozen=True, kw_only=True)
class Query:
    text: str
    weight: float


def is_follow_up(question: str) -> bool:
    """Whether ``question`` clearly leans on the one before: at most 12 words, and either starting
    with a linking word or, in at most 9 words, using a pronoun."""
    words = question.split()
    if len(words) > 12:
        return False
    return bool(_LINKING_START.match(question.strip())) or (len(words) <= 9 and bool(_DEPENDENT.search(question)))


def own_weight(question: str, settings: FollowUpSettings) -> float:
    """The weight of the follow-up's own ranking (1: the previous question is not used)."""
    if is_follow_up(question):
        return settings.own_weight
    if _DEPENDENT.search(question):
        return settings.weak_own_weight
    return 1.0


def names(text: str) -> list[str]:
    """Capitalised runs of words in ``text`` ("Fred Fleitz", "South Korea", "Lee-Ishiba"), first
    seen first, without question words and other capitalised function words."""
    found: list[str] = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        name = " ".join(words).rstrip(".’'")
        if name and name not in found:
            found.append(name)
    return found


def resolve(question: str, previous: str, previous_answer: str | None = None) -> str:
    """``question`` with its pronouns replaced by the name they most likely stand for: the first
    name of ``previous_answer`` if ``previous`` asked for a name, else the first of ``previous``;
    names the question already holds are skipped."""
    referents = names(previous)
    if previous_answer and _ASKS_FOR_NAME.match(previous):
        referents = names(previous_answer) + referents
    own = question.lower()
    referent = next((n for n in referents if n.lower() not in own), None)
    if referent is None:
        return question
    return _PRONOUN.sub(lambda m: f"{referent}’s" if m.group(0).lower() in _POSSESSIVE else referent, question)


def asks_for_name(question: str) -> bool:
    """Whether ``question`` asks who or which one ("Who …?", "Which official …?")."""
    return bool(_ASKS_FOR_NAME.match(question))


def queries(
    question: str, previous: str | None, settings: FollowUpSettings, previous_answer: str | None = None
) -> tuple[Query, ...]:
    """The texts to retrieve with for ``question`` after ``previous``, and their weights."""
    weight = own_weight(question, settings) if previous else 1.0
    if weight >= 1.0 or not previous:
        return (Query(text=question, weight=1.0),)
    context = f"{previous} {resolve(question, previous, previous_answer)}"
    return (Query(text=question, weight=weight), Query(text=context, weight=1.0 - weight))


def fuse(ranked: Sequence[Sequence[Candidate]], weights: Sequence[float], rrf_k: float) -> list[Candidate]:
    """One ranking from several, by weighted reciprocal rank. A candidate's ``score`` becomes its
    fused score; its similarities and coverage are the largest any ranking gave it."""
    if len(ranked) == 1:
        return list(ranked[0])
    fused: dict[int, Candidate] = {}
    scores: dict[int, float] = {}
    for candidates, weight in zip(ranked, weights):
        for rank, cand in enumerate(candidates):
            sid = cand.sentence_id
            scores[sid] = scores.get(sid, 0.0) + weight / (rrf_k + rank)
            seen = fused.get(sid)
            fused[sid] = (
                cand
                if seen is None
                else replace(
                    seen,
                    dense=max(seen.dense, cand.dense),
                    passage=max(seen.passage, cand.passage),
                    lexical=max(seen.lexical, cand.lexical),
                    coverage=max(seen.coverage, cand.coverage),
                )
            )
    return sorted((replace(c, score=scores[sid]) for sid, c in fused.items()), key=lambda c: -c.score)


def retrieve_follow_up(
    index: StoredIndex,
    question: str,
    previous: str | None,
    encode: Callable[[list[str]], np.ndarray],
    retrieval: RetrievalSettings,
    settings: FollowUpSettings,
) -> list[Candidate]:
    """Candidate sentences for ``question`` asked after ``previous`` (``None``: asked first), best
    first. ``encode`` embeds a list of texts. When the previous question asked for a name, its
    best sentence (the previous answer) is retrieved first, for the name a pronoun stands for."""
    if not previous or own_weight(question, settings) >= 1.0:
        return retrieve(index, question, encode([question])[0], retrieval)
    previous_answer = None
    if asks_for_name(previous):
        found = retrieve(index, previous, encode([previous])[0], retrieval)
        previous_answer = index.sentence_text(found[0].sentence_id) if found else None
    plan = queries(question, previous, settings, previous_answer)
    vectors = encode([q.text for q in plan])
    ranked = [retrieve(index, q.text, vector, retrieval) for q, vector in zip(plan, vectors)]
    return fuse(ranked, [q.weight for q in plan], settings.rrf_k)
