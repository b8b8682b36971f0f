"""The kind of answer a question asks for, and whether a sentence holds one.

:func:`answer_type` reads the question's words ("when" → a date, "how many" → a number, "who" →
a name); :func:`asked_kind` is the stricter reading the reader's ``asked_type_absent`` uses;
:func:`holds` says whether a text holds an answer of a kind. The question is read once
(:class:`rag.question.record.Query`); retrieval's ``answer_type`` feature and the reader's
answer-type features read that record.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from typing import Literal

__all__ = ["ASKS_CALENDAR_DATE", "AnswerKind", "AnswerType", "answer_type", "asked_kind", "holds"]

_YEAR_OR_DATE = re.compile(
    r"\b(1\d{3}|20\d{2})s?\b|\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December|century|centuries|decade|BC|AD)\b"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WEEKDAY = re.compile(rf"\b({_WEEKDAYS})\b", re.I)
_TIME = re.compile(
    rf"\b(\d{{1,4}}s?|{_WEEKDAYS}|spring|summer|autumn|fall|winter|"
    r"days?|weeks?|months?|years?|seasons?|ago|since|until|before|after|during|era|age|period|today|yesterday|"
    r"tomorrow|morning|evening|night|now|recently|soon|later|earlier|once|when|while)\b",
    re.I,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|"
    "million|billion|dozen|half"
)
_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I)
_AMOUNT = re.compile(rf"\d[\d,.]*|\b({_NUMBER_WORDS}|trillion)\b", re.I)
_YEAR = re.compile(r"^(1\d{3}|20\d{2})$")
ASKS_CALENDAR_DATE = r"\b(what|which)\s+(year|date|day|month|century|decade)s?\b"
"""A question naming the calendar unit it asks for ("on what date", "in which year"): a date, not
any time ("when")."""
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_ASKS = (
    (
        "date",
        re.compile(
            rf"^(when\b|what time\b|(by|since|until|till) when\b)|{ASKS_CALENDAR_DATE}",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|far|old|large|big|high|tall|often)\b|\bwhat (percentage|"
            r"percent|number|amount)\b",
            re.I,
        ),
    ),
    ("name", re.compile(r"^(who|whom|whose)\b|\b(who|whom|whose)\b", re.I)),
)
AnswerKind = Literal["date", "when", "number", "amount", "name"]
AnswerType = Literal["date", "number", "name"]


def answer_type(question: str) -> AnswerType | None:
    """The kind of answer ``question`` asks for: ``"date"`` ("when", "on what date", "in which
    year"), ``"number"`` ("how many", "what percentage"), ``"name"`` ("who") or ``None``."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def holds(kind: AnswerKind, text: str, question_words: AbstractSet[str]) -> bool:
    """Whether ``text`` holds an answer of ``kind``: ``"date"`` a year, month, century or weekday;
    ``"when"`` that or any word of time ("after", "in the evening", "1990s"); ``"number"`` a digit
    or a number word; ``"amount"`` a number that is neither a year nor in ``question_words``;
    ``"name"`` a capitalised word, not starting a sentence, that is not in ``question_words``
    (lower case)."""
    if kind == "date":
        return _YEAR_OR_DATE.search(text) is not None or _WEEKDAY.search(text) is not None
    if kind == "when":
        return _YEAR_OR_DATE.search(text) is not None or _TIME.search(text) is not None
    if kind == "number":
        return _NUMBER.search(text) is not None
    if kind == "amount":
        found = (m.group(0).lower().rstrip(".,") for m in _AMOUNT.finditer(text))
        return any(w not in question_words and not _YEAR.match(w) for w in found)
    return any(m.group(0).lower() not in question_words for m in _NAME.finditer(text))


_ASKS_AMOUNT = re.compile(
    r"\b(what|which)\s+(\w+\s+)?(rate|percentage|percent|proportion|amount|number|sum|price|cost|figure)\b", re.I
)
_ASKS_DATE = re.compile(ASKS_CALENDAR_DATE, re.I)


def asked_kind(question: str) -> AnswerKind | None:
    """What ``question`` asks for, as ``asked_type_absent`` reads it: ``"date"`` ("what year", "on
    what date": a year, a month, a day), ``"when"`` (a date or any time: "in the evening", "after
    the war"), ``"amount"`` (a number that is not a year) or ``None``. Names are left out: "who" is
    answered by "teachers" as often as by a name."""
    kind = answer_type(question)
    if kind == "number" or (kind is None and _ASKS_AMOUNT.search(question)):
        return "amount"
    if kind == "date":
        return "date" if _ASKS_DATE.search(question) else "when"
    return None
