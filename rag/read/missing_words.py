"""The words :mod:`rag.read.missing` reads: tokens, numbers, dates and qualifiers, and when two words
are the same word (a stem, a folded spelling, a longer form: "German" and "Germany")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ..text import FUNCTION_WORDS

__all__ = [
    "CONNECTORS",
    "MONTHS",
    "NEGATIONS",
    "NEGATIVE_WORDS",
    "NOT_NAMES",
    "QUALIFIERS",
    "WEEKDAYS",
    "Number",
    "Token",
    "capital_for_country",
    "join",
    "numbers",
    "one_edit",
    "qualifier_group",
    "same_word",
    "tokens",
]

_TOKEN = re.compile(
    r"(?:[A-Z]\.){2,}|[A-Z]+&[A-Z]+"  # An acronym with dots or an ampersand: "U.S.", "R&B"
    r"|['’]?[$€£¥]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|st\b|nd\b|rd\b|th\b|s\b)?"  # 1,500 / $2.5 / 40% / 21st
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*"  # A word, with its apostrophes: "don't", "O'Brien", "Beyoncé's"
)
_SENTENCE_END = re.compile(r"(?:^|[.!?…:;][\"'”’)\]]*)[\s\"'“‘(\[]*$")


class Token(NamedTuple):
    text: str
    """As written (a possessive's "'s" kept)."""
    low: str
    """Folded: lower case, accents and a possessive "'s" off, dots out of an acronym."""
    stem: str
    cap: bool
    """Starts with a capital letter, or has one inside ("iPod")."""
    initial: bool
    """First word of a sentence (its capital says nothing)."""
    quote: bool
    """Stands in the quote itself (not in its context)."""
    gap: str = " "
    """What stands between it and the next word: " " for white space, else the characters
    themselves ("-" in "thirty-fourth", ", " in "Paris, France")."""


def join(toks: Sequence[Token]) -> str:
    """``toks`` as the text writes them ("thirty-fourth", "George IV Bridge")."""
    return "".join(t.text + t.gap for t in toks[:-1]) + (toks[-1].text if toks else "")


def fold(word: str) -> str:
    word = unicodedata.normalize("NFKD", word.replace("’", "'"))
    word = "".join(ch for ch in word if not unicodedata.combining(ch)).lower().replace(".", "").lstrip("'")
    return word[:-2] if word.endswith("'s") and len(word) > 2 else word


def tokens(text: str, stem: Callable[[str], str], *, quote: bool = True) -> list[Token]:
    """The words and numbers of ``text``, in order."""
    out: list[Token] = []
    matches = list(_TOKEN.finditer(text))
    for m, after in zip(matches, [*matches[1:], None]):
        word = m.group(0)
        low = fold(word)
        cap = word[:1].isupper() or any(ch.isupper() for ch in word[1:])
        initial = _SENTENCE_END.search(text[: m.start()]) is not None
        gap = text[m.end() : after.start()] if after else ""
        out.append(Token(word, low, stem(low), cap, initial, quote, " " if gap.isspace() else gap))
    return out


CONNECTORS = frozenset("of the de du da del della di von van der den la le y bin al".split())
"""Lower-case words inside a name: "Bank of England", "Leonardo da Vinci"."""

WH_WORDS = frozenset("what which who whom whose when where why how whatever whichever".split())

NOT_NAMES = (
    FUNCTION_WORDS
    | WH_WORDS
    | frozenset(
        """i name list give describe identify explain according besides along aside apart other another
        approximately roughly nearly almost about after before during following despite unlike like upon
        since until although though while because excluding including outside inside beyond within without
        against toward towards across around among compared except instead rather some many most much
        both each every all any either neither if once also only just even what's who's where's how's
        i'm it's isn't wasn't aren't weren't don't doesn't didn't can't won't""".split()
    )
)
"""Capitalised words that are not names (a question's first word, a sentence's)."""

MONTHS = {
    name: k
    for k, names in enumerate(
        [
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        ]
    )
    for name in names.split()
}
WEEKDAYS = {
    name: k
    for k, names in enumerate(
        "monday mon|tuesday tue tues|wednesday wed|thursday thu thurs|friday fri|saturday sat|sunday".split("|")
    )
    for name in names.split()
}

NEGATIONS = frozenset("not never no cannot none nobody nothing neither nor".split())
"""A question's negations (and any word ending in "n't")."""
NEGATIVE_WORDS = NEGATIONS | frozenset(
    """without lack lacks lacked lacking unable fail fails failed refuse refused absent instead rather except
    deny denies denied forbid forbade forbidden ban banned prohibit prohibited prevent prevented reject rejected
    decline declined unlikely unused unknown unwilling unsuccessful removed discontinued ceased stopped
    abolished excluded missing neglected ignored""".split()
)
"""Words that make a quote hold a negation (any of them: a false "missing" is worse than silence)."""

_DEMONYMS = [
    "france french",
    "england english",
    "britain british uk",
    "netherlands holland dutch",
    "switzerland swiss",
    "spain spanish spaniard",
    "wales welsh",
    "ireland irish",
    "scotland scottish scots",
    "greece greek",
    "denmark danish dane",
    "sweden swedish swede",
    "finland finnish finn",
    "norway norwegian",
    "poland polish pole",
    "turkey turkish turk",
    "thailand thai",
    "philippines filipino",
    "portugal portuguese",
    "america american us usa",
    "china chinese prc",
    "arab arabic arabia arabian",
]
_SAME_PLACE = {w: k for k, line in enumerate(_DEMONYMS) for w in line.split()}


def same_word(a: Token, b: Token) -> bool:
    """Whether ``a`` and ``b`` are one word: the same stem or folded form, a longer form of it
    ("Japan" and "Japanese", "Canada" and "Canadian"; common prefix all but the shorter's last
    letter, at least four letters, and at most five more), or a country and its people's name.
    Numbers only by their digits."""
    x, y = a.low, b.low
    if x == y or (a.stem == b.stem and a.stem):
        return True
    if not (x.isalpha() and y.isalpha()):
        return False
    if x in _SAME_PLACE and _SAME_PLACE[x] == _SAME_PLACE.get(y):
        return True
    short, long = sorted((x, y), key=len)
    common = len(short) if long.startswith(short) else next(k for k in range(len(short)) if short[k] != long[k])
    return (common >= max(4, len(short) - 1) and len(long) - common <= 5) or (len(short) >= 5 and one_edit(x, y))


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter added, dropped or changed ("Roberson" and
    "Robertson": a question's typo for a word, or, for an acronym, another name: "OAPEC")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:k] + long[k + 1 :] == short for k in range(len(long)))


class Number(NamedTuple):
    value: float
    kind: str
    """``"year"``, ``"decade"`` ("1990s"), ``"percent"``, ``"money"``, ``"ordinal"`` ("21st") or ``"plain"``."""
    start: int
    end: int
    """The tokens ``[start, end)`` that write it ("$2 billion", "forty percent")."""
    vague: bool = False
    """A lone "one" ("one of the …"), or a small count of what a question asks to list ("what two
    instruments"): not worth naming as missing."""


_UNITS = {
    w: k
    for k, w in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
        seventeen eighteen nineteen""".split()
    )
}
_TENS = {w: 10 * k for k, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if k > 1}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_MONEY = frozenset("dollar dollars euro euros pound pounds yuan yen rupees rupee usd francs franc marks".split())
_PERCENT = frozenset("percent percentage pct".split())
_LISTING = frozenset("what which the name list give these those other were are".split())
"""Words before a count of things the question asks to list ("What two instruments …?"), not a number it asks about."""
_COUNT_WORDS = {"both": 2, "bilateral": 2, "trilateral": 3, "tripartite": 3}
"""Words that hold a count a question may write as a number ("three-way ties" are "trilateral"): held, never asked."""
_DIGITS = re.compile(r"^['’]?([$€£¥]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(%|st|nd|rd|th|s)?$")


def numbers(toks: Sequence[Token]) -> list[Number]:
    """The numbers written in ``toks``: digits ("1,500", "$2.5", "40%", "1990s", "21st") and number
    words ("twenty-five", "two hundred"), each with the scale words after it ("million") and what
    makes it a percentage or an amount of money."""
    out: list[Number] = []
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        m = _DIGITS.match(tok.text)
        if m:
            currency, body, suffix = m.group(1), m.group(2), m.group(3) or ""
            value, j, words = float(body.replace(",", "")), i + 1, False
        elif tok.low in _UNITS or tok.low in _TENS:
            value, j, words, currency, body, suffix = 0.0, i, True, "", "", ""
            while j < n and (toks[j].low in _UNITS or toks[j].low in _TENS):
                value += _UNITS.get(toks[j].low, 0) + _TENS.get(toks[j].low, 0)
                j += 1
        else:
            if tok.low in _COUNT_WORDS:
                out.append(Number(_COUNT_WORDS[tok.low], "plain", i, i + 1, vague=True))
            i += 1
            continue
        if words and j < n and toks[j].low in _ORDINALS and value >= 20:
            value, j, suffix = value + _ORDINALS[toks[j].low], j + 1, "th"  # "thirty-fourth"
        elif words and j < n and toks[j].low == "first" and value >= 20:
            value, j, suffix = value + 1, j + 1, "st"
        scaled = False
        while j < n and toks[j].low in _SCALES:
            value, j, scaled = value * _SCALES[toks[j].low], j + 1, True
        kind = "plain"
        if suffix == "%" or (j < n and toks[j].low in _PERCENT):
            kind, j = "percent", j + (suffix != "%")
        elif j + 1 < n and toks[j].low == "per" and toks[j + 1].low == "cent":
            kind, j = "percent", j + 2
        elif currency or (j < n and toks[j].low in _MONEY):
            kind = "money"
        elif suffix in ("st", "nd", "rd", "th"):
            kind = "ordinal"
        elif suffix == "s" and not words:
            kind, value = "decade", value + (1900 if value < 100 else 0)  # "'50s"
        elif not words and not scaled and re.fullmatch(r"\d{4}", body) and 1000 <= value <= 2100:
            kind = "year"
        before = toks[i - 1].low if i else ""
        after = toks[j].low if j < n else ""
        counts = kind == "plain" and value <= 12 and (before in _LISTING or after == "of")
        vague = (words and value == 1 and j == i + 1 and kind == "plain") or counts
        out.append(Number(value, kind, i, j, vague))
        i = j
    return out


_QUALIFIER_WORDS = {
    "first": "first firstly 1st",
    "initial": "initial initially original originally inaugural debut",
    "last": "last lastly final finally",
    "only": "only sole solely alone exclusively unique single",
    "big": "largest biggest greatest",
    "small": "smallest tiniest",
    "high": "highest tallest top maximum peak",
    "low": "lowest minimum",
    "long": "longest",
    "short": "shortest",
    "old": "oldest",
    "young": "youngest newest",
    "early": "earliest",
    "late": "latest recent recently",
    "best": "best",
    "worst": "worst",
    "most": "most",
    "least": "least fewest",
}
_GROUP = {w: g for g, words in _QUALIFIER_WORDS.items() for w in words.split()}
_ORDINALS = {
    w: k + 2
    for k, w in enumerate("second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())
}
_ASKED = frozenset(
    """first last only largest biggest greatest smallest highest lowest longest shortest oldest youngest newest
    earliest latest best worst most least fewest""".split()
) | frozenset(_ORDINALS)
"""The qualifiers a question is read for (the other words of a group only count in the text)."""

_O = frozenset(f"ord{k}" for k in range(2, 40))
QUALIFIERS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    g: (frozenset(same.split()), frozenset(other.split()))
    for g, same, other in [
        ("first", "first initial early old", "last late"),
        ("last", "last late final young", "first initial early"),
        ("only", "only", ""),
        ("big", "big most high long", "small least"),
        ("small", "small least low short", "big most"),
        ("high", "high big most best", "low least"),
        ("low", "low small least worst", "high"),
        ("long", "long big most", "short"),
        ("short", "short small least", "long"),
        ("old", "old early first initial", "young"),
        ("young", "young late last", "old"),
        ("early", "early first initial old", "late last"),
        ("late", "late last young", "early first initial"),
        ("best", "best high top most big", "worst"),
        ("worst", "worst low least", "best"),
        ("most", "most big high best long", "least"),
        ("least", "least small low worst short", "most"),
    ]
} | {f"ord{k}": (frozenset({f"ord{k}"}), (_O - {f"ord{k}"}) | {"first"}) for k in range(2, 40)}
"""For each qualifier group, the groups that hold it (a text that says "earliest" holds
"first") and those that hold a near variant ("last" for "first", "third" for "second")."""
QUALIFIERS["first"] = (QUALIFIERS["first"][0], QUALIFIERS["first"][1] | _O)

_DATE_FOLLOWERS = (
    frozenset("year years week weeks month months decade century season summer winter spring autumn fall".split())
    | frozenset("night weekend time".split())
    | frozenset(MONTHS)
    | frozenset(WEEKDAYS)
)


def qualifier_group(toks: Sequence[Token], k: int, *, asked: bool = False) -> str | None:
    """The qualifier group of the word at ``k`` (``None``: not a qualifier). ``asked``: in a
    question, where only the plainest words count. Not a qualifier: "at first", "at least", "not
    only", "most of", "last year", "30 second", "the second of May"."""
    tok = toks[k]
    low = tok.low
    before = toks[k - 1].low if k else ""
    after = toks[k + 1].low if k + 1 < len(toks) else ""
    if asked and low not in _ASKED:
        return None
    if before in _TENS or before in ("at", "not") or (before.isdigit() and low in _ORDINALS):
        return None  # "at first", "not only", "twenty-fourth" (a number), "30 second"
    if low == "most" and after == "of":
        return None
    if low in ("last", "next", "past") and after in _DATE_FOLLOWERS:
        return None
    if low in _ORDINALS:
        return f"ord{_ORDINALS[low]}"
    m = re.fullmatch(r"(\d+)(st|nd|rd|th)", low)
    if m:
        return "first" if m.group(1) == "1" else f"ord{int(m.group(1))}"
    return _GROUP.get(low)


_CAPITALS = {
    "washington": "america us usa american",
    "beijing": "china chinese prc",
    "tokyo": "japan japanese",
    "seoul": "korea korean rok",
    "pyongyang": "korea korean dprk",
    "moscow": "russia russian",
    "kremlin": "russia russian",
    "london": "britain british uk",
    "paris": "france french",
    "berlin": "germany german",
    "kyiv": "ukraine ukrainian",
    "taipei": "taiwan taiwanese",
    "delhi": "india indian",
    "tehran": "iran iranian",
}
"""Capitals that news writes for their countries' governments ("Seoul and Tokyo", "Pyongyang's
missiles"), with the words that name the country."""
_PLACE_WORDS = frozenset("in at to from near into outside inside visit visited visiting visits held".split())
"""Words before a capital that make it the city, not its country ("took place in Tokyo")."""


def capital_for_country(q_toks: Sequence[Token], i: int, j: int, text: Sequence[Token]) -> bool:
    """Whether the question's name ``q_toks[i:j]`` is a capital standing for its country (not
    after "in", "at", "to" ...) and the text names that country, or is a country whose capital the
    text names ("Japan" asked, "visited Tokyo" in the text)."""
    word = q_toks[i].low.removesuffix("'s")
    if j - i != 1:
        return False
    if word in _CAPITALS:
        if i and q_toks[i - 1].low in _PLACE_WORDS:
            return False
        country = _CAPITALS[word].split()
        return any(t.low in country for t in text)
    capitals = {city for city, names in _CAPITALS.items() if word in names.split()}
    return bool(capitals) and any(t.low.removesuffix("'s") in capitals for t in text)
