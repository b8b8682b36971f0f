"""A follow-up test set made from SQuAD: pairs of questions on one paragraph, the second's subject
replaced by a pronoun.

For two questions asked about the same paragraph, the *subject* of the second is the longest run
of its words that the first question also contains, holding a content word ("the Apollo program",
"Genghis Khan"), trimmed of function words at its edges. The pair is kept when replacing that run by a
pronoun leaves the second question at least one content word of its own. The pronoun is chosen by
simple rules, not by a parser:

- its case: possessive before ``'s`` ("his army"), object after a preposition or another word
  that is not an auxiliary, or at the end ("who defeated him"), subject otherwise ("what did he do");
- its person: ``he``/``she`` for a capitalised name when the paragraph itself refers to someone
  with that pronoun more often than with the other one, ``they`` for a plural
  common noun ("the Mongols", "the students"), ``it`` otherwise.

Each paragraph's questions are paired in order (first with second, second with third, …), so
every question is a follow-up at most once. Some pairs read awkwardly; they are all a reader
could resolve from the previous question, which is what the set measures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..text import FUNCTION_WORDS

__all__ = ["FollowUpPair", "make_pair", "make_pairs", "pronoun_for"]

_WORD = re.compile(r"\w+(?:[.\-]\w+)*|['’]s\b|[^\w\s]")
_WH = frozenset("what which who whom whose when where why how".split())
_PREPOSITIONS = frozenset(
    "of in on at to for from by with about as into onto over under during after before between through against "
    "among toward towards within without upon near".split()
)
_DETERMINERS = frozenset("the a an 's ’s his her its their my our your this that these those".split())
_AUXILIARIES = frozenset("did does do was is were are has have had will can could would should may might".split())
_GENERIC = frozenset(
    "name number year years type kind percentage amount part first last same other most best term word way time".split()
)
_SUBJECT = {"he": "he", "she": "she", "they": "they", "it": "it"}
_OBJECT = {"he": "him", "she": "her", "they": "them", "it": "it"}
_POSSESSIVE = {"he": "his", "she": "her", "they": "their", "it": "its"}


@dataclass(frozen=True, kw_only=True)
class FollowUpPair:
    previous: str
    """The first question, asked as it is."""
    question: str
    """The second question with its subject replaced by a pronoun."""
    original: str
    """The second question as SQuAD has it."""
    subject: str
    """The words the pronoun replaced."""


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def _is_content(token: str) -> bool:
    return token.lower() not in FUNCTION_WORDS and any(ch.isalnum() for ch in token)


def pronoun_for(subject: Sequence[str], context: str) -> str:
    """``he``, ``she``, ``they`` or ``it`` for the words ``subject``, judged from ``context``."""
    words = [w for w in subject if w.lower() not in ("the", "a", "an")]
    proper = bool(words) and subject[0].lower() != "the" and all(w[:1].isupper() for w in words if _is_content(w))
    if proper:
        counts = {p: len(re.findall(rf"\b{p}\b", context, re.I)) for p in ("he", "his", "him", "she", "her")}
        male, female = counts["he"] + counts["his"] + counts["him"], counts["she"] + counts["her"]
        if male >= 1 and male > female:
            return "he"
        if female >= 1 and female > male:
            return "she"
        return "it"
    head = words[-1] if words else ""
    if head.lower().endswith("s") and not head.lower().endswith("ss") and not head[:1].isupper():
        return "they"
    return "it"


def _shared_runs(first: list[str], second: list[str]) -> Iterable[tuple[int, int]]:
    """(start, end) token runs of ``second`` that also occur, word for word, in ``first``."""
    lowered = [t.lower() for t in first]
    text = " " + " ".join(lowered) + " "
    for i in range(len(second)):
        for j in range(len(second), i, -1):
            if " " + " ".join(t.lower() for t in second[i:j]) + " " in text:
                yield i, j
                break


def _is_name(words: Sequence[str]) -> bool:
    content = [w for w in words if _is_content(w)]
    return bool(content) and words[0][:1].isupper() and all(w[:1].isupper() or w[:1].isdigit() for w in content)


def _whole_phrase(second: list[str], i: int, j: int) -> bool:
    """Whether ``second[i:j]`` is a whole noun phrase: a name, or "the" and more, not cut out of a
    longer phrase ("the Super Bowl" of "the Super Bowl halftime show", "surface" of "Earth's surface")."""
    words = second[i:j]
    name = _is_name(words)
    if not (name or (words[0].lower() == "the" and len(words) > 1 and words[-1].lower() not in _GENERIC)):
        return False
    before = second[i - 1] if i > 0 else ""
    if before.lower() in _DETERMINERS or (_is_content(before) and (before[:1].isupper() or before[:1].isdigit())):
        return False
    after = second[j] if j < len(second) else ""
    # A name may be followed by its verb in an inverted question ("did Genghis Khan send").
    return not _is_content(after) or (name and before.lower() in _AUXILIARIES)


def make_pair(previous: str, question: str, context: str) -> FollowUpPair | None:
    """``question`` rewritten to lean on ``previous`` for its subject, or ``None`` if they share none."""
    matches = _tokens(question)
    first, second = [m.group(0) for m in _tokens(previous)], [m.group(0) for m in matches]
    best: tuple[int, int] | None = None
    for i, j in _shared_runs(first, second):
        while i < j and not _is_content(second[i]) and second[i].lower() != "the":
            i += 1
        while j > i and not _is_content(second[j - 1]):
            j -= 1
        if i >= j or second[i].lower() in _WH or not _whole_phrase(second, i, j):
            continue
        if best is None or len(" ".join(second[i:j])) > len(" ".join(second[best[0] : best[1]])):
            best = (i, j)
    if best is None:
        return None
    i, j = best
    rest = second[:i] + second[j:]
    if not any(_is_content(t) and t.lower() not in _WH for t in rest):
        return None
    person = pronoun_for(second[i:j], context)
    subject = question[matches[i].start() : matches[j - 1].end()]
    after = second[j].lower() if j < len(second) else ""
    before = second[i - 1].lower() if i > 0 else ""
    if after in ("'s", "’s"):
        pronoun, j = _POSSESSIVE[person], j + 1
    elif before in _PREPOSITIONS or after in ("?", "") or (_is_content(before) and before not in _AUXILIARIES):
        pronoun = _OBJECT[person]
    else:
        pronoun = _SUBJECT[person]
    if i == 0:
        pronoun = pronoun.capitalize()
    start, end = matches[i].start(), matches[j - 1].end()
    return FollowUpPair(
        previous=previous,
        question=question[:start] + pronoun + question[end:],
        original=question,
        subject=subject,
    )


def make_pairs(questions: Sequence[str], context: str) -> list[tuple[int, FollowUpPair]]:
    """Pairs of consecutive questions on one paragraph (``context``), as ``(index of the second
    question, pair)``."""
    pairs = []
    for n in range(1, len(questions)):
        pair = make_pair(questions[n - 1], questions[n], context)
        if pair is not None:
            pairs.append((n, pair))
    return pairs
