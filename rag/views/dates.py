"""Dates: the dates a sentence states, normalised to ISO 8601 at the precision it states them.

"January 9, 2025" is ``2025-01-09``, "August 2023" ``2023-08``, "in 2023" ``2023``. A relative
date is resolved against the date of the document that says it: "last August" in an article of
July 2024 is ``2023-08``, "last year" ``2023``, "two years ago" ``2022``, "next month" ``2024-08``,
"this fall" ``2024``; a span of years ("2017-21") gives both;
without a document date it is left out rather than guessed. A month named without a year ("in
August", "on August 18") is taken in the document's year.

Expressions are found by the patterns below (a month's name only with a capital, and a bare month
only after a word that makes it a date: "in May", not "May I"; a year from 1800 to 2099); each is
read by ``python-dateutil``'s parser and resolved with its ``relativedelta``. Reading a sentence
takes microseconds and imports nothing heavy, so every quote and mention carries its dates.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

__all__ = ["document_date", "stated_dates"]

_MONTH_NAMES = "January February March April May June July August September October November December".split()
_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
    r"Sep(?:tember|t\.|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)(?![\w-])"
)
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_NUMBER = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty)"
_NUMBERS = dict(
    zip(
        "a an one two three four five six seven eight nine ten eleven twelve".split(),
        [1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    )
) | {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_SEASON = r"(?i:spring|summer|autumn|fall|winter)"
_PREPOSITION = (
    r"(?i:in|on|since|until|till|by|from|through|during|before|after|of|early|late|mid|end of|beginning of|the)"
)

_RELATIVE_PERIOD = r"(?i:last|this|next|previous|coming)\s+(?i:year|month)|(?i:earlier|later)\s+this\s+(?i:year|month)"
_NOT_DATED = rf"(?!,?\s+(?:of\s+)?(?:{_YEAR}|{_DAY}\b))"
"""After a month: no year or day follows (those make another kind of expression)."""

_EXPRESSION = re.compile(
    rf"""
    (?<![\w-])(?P<iso>{_YEAR}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)(?![\w-])
  | (?P<mdy>{_MONTH}\s+{_DAY},?\s+{_YEAR})(?!\d)
  | (?<![\w-])(?P<dmy>{_DAY}\s+{_MONTH},?\s+{_YEAR})(?!\d)
  | (?P<my>{_MONTH},?\s+(?:of\s+)?{_YEAR})(?!\d)
  | (?P<season>{_SEASON},?\s+(?:of\s+)?{_YEAR})(?!\d)
  | (?P<relmonth>(?i:last|this|next|past|coming)\s+){_MONTH}{_NOT_DATED}
  | (?P<md>{_MONTH}\s+{_DAY})(?![\w,]|,\s*\d)
  | (?<![\w-])(?P<dm>{_DAY}\s+{_MONTH})
  | (?P<prepmonth>(?<![\w-]){_PREPOSITION}[\s-]+(?:(?i:early|late|mid)[\s-]+)?){_MONTH}{_NOT_DATED}
  | (?<![\w-])(?P<relperiod>{_RELATIVE_PERIOD})(?![\w-])
  | (?<![\w-])(?P<ago>{_NUMBER}\s+(?i:years?|months?|decades?)\s+ago)(?![\w-])
  | (?<![\w-])(?P<thisseason>(?i:this)\s+{_SEASON})(?![\w-])
  | (?<![\w$£€.,-])(?P<years>{_YEAR}[–-](?:{_YEAR}|\d\d))(?![\w%-])
  | (?<![\w-])(?P<day>(?i:yesterday|today))(?![\w-])
  | (?<![\w$£€.,-])(?P<year>{_YEAR})(?![\w%-]|[.,]\d)
    """,
    re.X,
)


def _month_number(text: str) -> int:
    return next(i for i, name in enumerate(_MONTH_NAMES, 1) if text.lower().startswith(name[:3].lower()))


def _month_in(text: str) -> int:
    found = re.search(_MONTH, text)
    assert found is not None
    return _month_number(found.group(0))


@functools.lru_cache(maxsize=1)
def _parser() -> tuple[object, object]:
    """``dateutil``'s parser and ``relativedelta`` (imported once, when a date is first read)."""
    from dateutil import parser
    from dateutil.relativedelta import relativedelta

    return parser, relativedelta


def _parse(text: str) -> date | None:
    parser, _ = _parser()
    cleaned = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text).replace("Sept.", "Sep.")
    try:
        return parser.parse(cleaned, default=_DEFAULT).date()  # type: ignore[attr-defined]
    except (ValueError, OverflowError):
        return None


_DEFAULT = datetime(2000, 1, 1)


def _shift(base: date, **delta: int) -> date:
    _, relativedelta = _parser()
    return base + relativedelta(**delta)  # type: ignore[operator]


def document_date(text: str | None) -> str | None:
    """A document's date (metadata) as ISO ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, or ``None``."""
    if not text:
        return None
    iso = re.match(rf"\s*({_YEAR})(?:-(\d\d)(?:-(\d\d))?)?", text)
    if iso:
        return "-".join(part for part in iso.groups() if part)
    found = stated_dates(text)
    return found[0] if found else None


def _base(doc_date: str | None) -> tuple[date, int] | None:
    """The document's date as a day and its precision (1 year, 2 month, 3 day)."""
    if not doc_date:
        return None
    parts = [int(p) for p in doc_date.split("-")[:3]]
    try:
        return date(parts[0], *(parts[1:] + [1] * (3 - len(parts)))), len(parts)
    except ValueError:
        return None


def _iso(day: date, precision: int) -> str:
    return day.isoformat()[: {1: 4, 2: 7, 3: 10}[precision]]


def _resolve(found: re.Match[str], base: tuple[date, int] | None) -> str | None:
    kind, text = found.lastgroup, found.group(0)
    if kind == "iso":
        return text
    if kind in ("mdy", "dmy"):
        day = _parse(text)
        return _iso(day, 3) if day else None
    if kind in ("my", "season"):
        year = int(re.findall(_YEAR, text)[-1])
        return str(year) if kind == "season" else f"{year}-{_month_in(text):02d}"
    if kind == "year":
        return text
    if kind == "years":
        first, last = re.split("[–-]", text)
        return f"{first} {first[: 4 - len(last)]}{last}"  # Two dates: split by the caller.
    if base is None:
        return None  # Relative to a date the document does not give.
    on, precision = base
    if kind in ("md", "dm", "prepmonth", "relmonth"):
        month = _month_in(text)
        year = on.year
        if kind == "relmonth":
            word = text.split()[0].lower()
            if word in ("last", "past"):
                year = on.year if month < on.month else on.year - 1
            elif word in ("next", "coming"):
                year = on.year if month > on.month else on.year + 1
        if kind in ("md", "dm"):
            day = _parse(f"{text} {year}")
            return _iso(day, 3) if day else None
        return f"{year}-{month:02d}"
    lowered = " ".join(text.lower().split())
    if kind == "relperiod":
        step = -1 if lowered.startswith(("last", "previous")) else 1 if lowered.startswith(("next", "coming")) else 0
        if lowered.endswith("year"):
            return str(on.year + step)
        return _iso(_shift(on, months=step), 2) if precision >= 2 else None
    if kind == "ago":
        count, unit = lowered.split()[:2]
        n = int(count) if count.isdigit() else _NUMBERS[count]
        if unit.startswith(("year", "decade")):
            return str(on.year - n * (10 if unit.startswith("decade") else 1))
        return _iso(_shift(on, months=-n), 2) if precision >= 2 else None
    if kind == "thisseason":
        return str(on.year)
    if kind == "day" and precision == 3:
        return _iso(_shift(on, days=-1 if lowered == "yesterday" else 0), 3)
    return None


def stated_dates(sentence: str, doc_date: str | None = None) -> tuple[str, ...]:
    """The dates ``sentence`` states, in order, each once, as ISO strings; relative ones resolved
    against ``doc_date`` (ISO, as :func:`document_date` gives it) and left out without it."""
    base = _base(doc_date)
    out: dict[str, None] = {}
    for found in _EXPRESSION.finditer(sentence):
        for resolved in (_resolve(found, base) or "").split():
            out[resolved] = None
    return tuple(out)
