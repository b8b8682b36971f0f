"""Missing: what a question asks that a quote does not hold.

When the first quote may not answer, an analyst acts on *why*: the question names "George V
Bridge" and the text says George IV Bridge; it asks about 2019 and the text speaks of 2018; it asks
what can *not* be done and the text says what can. :func:`missing_terms` names the question's

- names: capitalised words and runs of them ("George V Bridge", "Notre Dame"), acronyms ("NATO",
  "U.S."), words with an inner capital ("iPod"); a person is also named by the last word of the
  name alone ("Obama" for "Barack Obama"), an acronym by the initials of a name;
- numbers: digits and number words, percentages and money ("five", "1,500", "$2 billion",
  "40%" = "40 percent");
- dates: years, decades, months and weekdays ("2019", "the 1990s", "last August");
- qualifiers: ordinals and superlatives ("first", "only", "largest", "third"), a negation ("not",
  "never", "can't", "non-"), a word whose opposite the quote says ("closed" for "opened",
  :mod:`rag.read.opposites`)

that stand neither in the quote nor in its context (the sentence before it, the passage's heading,
the document's title; a negation only counts in the quote itself), and, where the text holds a near
variant of one (the same name with another part, another year or month, the opposite superlative,
the same verb without the negation), that too. Words are matched case-insensitively and by their
Snowball stems, so plurals, possessives and inflections match ("Beyoncé's" finds "Beyonce"). A
false "missing" on a right answer is worse than silence: every rule errs towards finding the term
(see ``benchmarks/missing.py`` for the rates).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..index import StoredIndex
from ..records import Missing, MissingKind
from .missing_words import (
    CONNECTORS,
    MONTHS,
    NEGATIONS,
    NEGATIVE_WORDS,
    NOT_NAMES,
    QUALIFIERS,
    WEEKDAYS,
    Number,
    Token,
    capital_for_country,
    join,
    numbers,
    one_edit,
    qualifier_group,
    same_word,
    tokens,
)
from .opposites import said_instead

__all__ = ["Lacks", "Missing", "missing_from", "missing_terms"]

_ROMAN = re.compile(r"^[IVXLC]+$")


def _is_name_word(tok: Token) -> bool:
    return tok.cap and tok.low not in NOT_NAMES and tok.low not in MONTHS and tok.low not in WEEKDAYS


def _acronym(tok: Token) -> bool:
    letters = tok.text.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper() and not _ROMAN.match(letters)


def name_runs(toks: Sequence[Token], *, asked: bool) -> list[tuple[int, int]]:
    """Spans ``[i, j)`` of ``toks`` that form a name: capitalised words, with a connector ("of",
    "de") or a roman numeral or a small number between or after them ("Bank of England",
    "George IV Bridge", "Super Bowl 50"). ``asked``: ``toks`` are a question's, whose first word
    counts only when the next one is a name word too (or it is an acronym)."""
    runs: list[tuple[int, int]] = []
    i, n = 0, len(toks)
    while i < n:
        tok = toks[i]
        if not _is_name_word(tok) or (tok.text == "I" and not runs):
            i += 1
            continue
        j = i + 1
        while j < n and toks[j - 1].gap in ("", " ", "-"):  # A name stops at punctuation: "Japan, Korea".
            nxt = toks[j]
            if _is_name_word(nxt) and not nxt.initial:
                j += 1
            elif nxt.low.isdigit() and len(nxt.low) <= 3 and not nxt.text[-1:].isalpha():
                j += 1  # "Super Bowl 50", "Apollo 11"
            elif nxt.low in CONNECTORS:
                k = j
                while k < n and toks[k].low in CONNECTORS:
                    k += 1  # "Video of the Year"
                if k == n or not _is_name_word(toks[k]) or toks[k].initial:
                    break
                j = k + 1
            else:
                break
        if asked and tok.initial and j == i + 1 and not _acronym(tok) and tok.low == tok.text.lower():
            i = j  # The question's first word alone: "Chopin was born where?" says nothing reliable.
            continue
        k = i
        while j - k > 2 and toks[k].low in _TITLES:
            k += 1  # "Prime Minister Shigeo Ishiba" is named "Shigeo Ishiba".
        runs.append((k, j))
        i = j
    return runs


def _content(toks: Sequence[Token]) -> list[Token]:
    return [t for t in toks if t.low not in CONNECTORS]


def _initials(toks: Sequence[Token]) -> str:
    return "".join(t.low[0] for t in _content(toks) if t.low and not t.low.isdigit())


def _find(name: Sequence[Token], text: Sequence[Token]) -> bool:
    """Whether ``text`` holds the name: every content word of it somewhere (by stem, by folded
    form or as a longer form of it: "German" in "Germany"), or, for an acronym, a name with its
    initials ("UN": "United Nations"), or, for a name of two to four words, its last word on its
    own as a name ("Obama" said, for "Barack Obama"; not "Bay Bridge" for "Golden Gate Bridge")."""
    words = _content(name)
    if all(any(same_word(w, t) for t in text) for w in words):
        return True
    if len(name) == 1 and _acronym(name[0]):
        letters = name[0].low
        return any(_initials(text[i:j]) == letters for i, j in name_runs(text, asked=False))
    if len(words) > 1 and not any(_acronym(w) for w in words):
        spelled = _initials(words)
        if any(_acronym(t) and t.low == spelled for t in text):
            return True  # "United Nations" for "UN"
    if 2 <= len(words) <= 4 and words[-1].low.isalpha():
        last = words[-1]
        for i, j in name_runs(text, asked=False):
            run = [t for t in _content(text[i:j]) if t.low not in NOT_NAMES]
            if any(same_word(last, t) for t in run) and all(
                t.low in _TITLES or any(same_word(t, w) for w in words) for t in run
            ):
                return True
    return False


_TITLES = frozenset(
    """president mr mrs ms dr sir lord lady king queen prince princess pope general senator governor
    chancellor minister prime secretary saint st professor prof judge justice emperor empress""".split()
)


def _name_variant(name: Sequence[Token], q_toks: Sequence[Token], at: tuple[int, int], text: Sequence[Token]) -> str:
    """A name of ``text`` that differs from ``name`` in one word ("George IV Bridge" for "George V
    Bridge", "John Brown" for "John Smith"; an acronym by one letter: "OAPEC" for "OPEC"), or, for
    a one-word name, a name in the same place: before the same word ("French words" for "English
    words"). '' when none."""
    words = _content(name)
    found: list[Sequence[Token]] = []
    for i, j in name_runs(text, asked=False):
        run = _content(text[i:j])
        if len(words) == 1 and len(run) == 1 and _acronym(words[0]) and _acronym(run[0]):
            if min(len(words[0].low), len(run[0].low)) >= 3 and one_edit(words[0].low, run[0].low):
                found.append(text[i:j])
        elif len(words) > 1 and len(run) == len(words):
            differ = [k for k, (a, b) in enumerate(zip(words, run)) if not same_word(a, b)]
            if len(differ) == 1:
                found.append(text[i:j])
        elif len(words) == 1 and len(run) == 1 and at[1] < len(q_toks) and j < len(text):
            after = q_toks[at[1]]
            if after.low not in NOT_NAMES and not after.cap and same_word(after, text[j]):
                found.append(text[i:j])
    return _pick(found)


def _pick(found: Sequence[Token | Sequence[Token]]) -> str:
    """The text of the first of ``found`` that stands in the quote, else the first: '' if none."""
    if not found:
        return ""
    spans = [[f] if isinstance(f, Token) else list(f) for f in found]
    return join(next((s for s in spans if s[0].quote), spans[0]))


def _number_variant(asked: Number, q_toks: Sequence[Token], held: Sequence[Number], text: Sequence[Token]) -> str:
    """A number of the text of the same kind as ``asked`` (a year for a year, the closest first; a
    percentage for a percentage; an amount of money for one) or, for another number, one before
    the same word ("30 students" for "25 students"). '' when none."""
    if asked.kind in ("year", "decade"):
        same = [h for h in held if h.kind in ("year", "decade")]
        same.sort(key=lambda h: (not text[h.start].quote, abs(h.value - asked.value)))
    elif asked.kind in ("percent", "money", "ordinal"):
        same = [h for h in held if h.kind == asked.kind]
    elif asked.end < len(q_toks) and q_toks[asked.end].low not in NOT_NAMES:
        after = q_toks[asked.end]
        same = [h for h in held if h.kind == "plain" and h.end < len(text) and same_word(after, text[h.end])]
    else:
        same = []
    same = [h for h in same if h.value != asked.value]
    return _pick([list(text[h.start : h.end]) for h in same])


def _number_held(asked: Number, held: Sequence[Number]) -> bool:
    for h in held:
        if abs(h.value - asked.value) <= 1e-9 * max(1.0, abs(asked.value)):
            return True
        if asked.kind == "decade" and h.kind == "year" and asked.value <= h.value < asked.value + 10:
            return True
    return False


def _negation(q_toks: Sequence[Token], quote: Sequence[Token]) -> list[Missing]:
    """The question's negation when the quote holds none ("can not", with "the text says can" when
    the quote has the same verb without it; "non-X" where the quote says X); the quote's negation
    of a verb the question asks plainly ("can be used" where the quote says "cannot be used")."""
    negations = [k for k in range(len(q_toks)) if _negates(q_toks, k)]
    if negations:
        if any(t.low in NEGATIVE_WORDS or _negates(quote, k) for k, t in enumerate(quote)):
            return []
        k = negations[0]
        tok, aux = q_toks[k], _aux(q_toks, k)
        term = join(q_toks[k - 1 : k + 1]) if aux and tok.low == "not" else tok.text
        says = next((t.text for t in quote if aux and t.low == aux), None)
        return [Missing(term=term, text_says=says, kind="negation")]
    for tok, nxt in pairwise(q_toks):  # "the non-Muslim Brotherhood" of "the Muslim Brotherhood"
        if tok.low == "non" and tok.gap == "-" and all(t.low != "non" for t in quote):
            if any(same_word(nxt, t) for t in quote):
                return [Missing(term=f"non-{nxt.text}", text_says=nxt.text, kind="negation")]
    for k in range(len(quote)):
        aux = _aux(quote, k) if _negates(quote, k) else ""
        after = _next_content(quote, k + 1)
        if not aux or after is None:
            continue
        for i in (i for i, t in enumerate(q_toks) if t.low == aux):
            j = _next_content(q_toks, i + 1)
            if j is not None and same_word(q_toks[j], quote[after]):
                span = quote[k - 1 if quote[k].low == "not" else k : after + 1]
                return [Missing(term=join(q_toks[i : j + 1]), text_says=join(span), kind="negation")]
    return []


def _next_content(toks: Sequence[Token], start: int) -> int | None:
    """The first word from ``start`` on (at most three on) that is not a function word."""
    return next((k for k in range(start, min(start + 3, len(toks))) if toks[k].low not in NOT_NAMES), None)


def _qualifier_variant(q_toks: Sequence[Token], i: int, text: Sequence[Token], others: frozenset[str]) -> str:
    """A qualifier of the ``others`` groups in the text in the question's qualifier's place (next
    to the same word): "oldest" in "the oldest actress" for "the youngest actress"; '' if none."""
    found = []
    for k in range(len(text)):
        if qualifier_group(text, k) not in others:
            continue
        for dq, dt in ((-1, -1), (1, 1), (1, 2), (2, 1), (2, 2)):
            qi, tk = i + dq, k + dt
            if 0 <= qi < len(q_toks) and 0 <= tk < len(text) and q_toks[qi].low not in NOT_NAMES:
                if same_word(q_toks[qi], text[tk]):
                    found.append(text[k])
                    break
    return _pick(found)


def _negates(toks: Sequence[Token], k: int) -> bool:
    low = toks[k].low
    if low == "no" and ((toks[k].cap and not toks[k].initial) or (k + 1 < len(toks) and toks[k + 1].low.isdigit())):
        return False  # "No Doubt", "No. 5"
    return low in NEGATIONS or low.endswith("n't")


def _aux(toks: Sequence[Token], k: int) -> str:
    """The verb a negation at ``k`` belongs to: "can" for "can not", "cannot", "can't"; '' if none."""
    low = toks[k].low
    if low == "cannot":
        return "can"
    if low.endswith("n't"):
        return {"ca": "can", "wo": "will", "sha": "shall"}.get(low[:-3], low[:-3])
    if low == "not" and k > 0 and toks[k - 1].low in _AUXILIARIES:
        return toks[k - 1].low
    return ""


_AUXILIARIES = frozenset(
    "can could will would shall should may might must do does did is are was were has have had be been".split()
)


def missing_terms(question: str, quote: str, context: Sequence[str] = ()) -> tuple[Missing, ...]:
    """What ``question`` asks that ``quote`` and its ``context`` (the sentence before it, its
    passage's heading, its document's title) do not hold, in the question's order; see the
    module's docstring. ``question`` without the name of a source it was scoped to."""
    import Stemmer  # PyStemmer: one stemmer per call, since a stemmer is not safe across threads.

    stem = Stemmer.Stemmer("english").stemWord
    q_toks = tokens(question, stem)
    quote_toks = tokens(quote, stem)
    text = quote_toks + [t for c in context if c for t in tokens(c, stem, quote=False)]
    held = numbers(text)
    found: list[tuple[int, Missing]] = []
    used: set[int] = set()
    for i, j in name_runs(q_toks, asked=True):
        used.update(range(i, j))
        name = q_toks[i:j]
        if all(len(t.low) < 2 or t.low in _TITLES for t in _content(name)):
            continue  # "U", "Emperor": too little to name.
        if not _find(name, text) and not capital_for_country(q_toks, i, j, text):
            term = join(name)
            says = _name_variant(name, q_toks, (i, j), text) or None
            found.append((i, Missing(term=term, text_says=says, kind="name")))
    for num in numbers(q_toks):
        if used & set(range(num.start, num.end)) or (num.kind == "ordinal" and num.end - num.start == 1):
            continue
        used.update(range(num.start, num.end))
        if num.vague or _number_held(num, held):
            continue
        kind: MissingKind = "date" if num.kind in ("year", "decade") else "number"
        term = join(q_toks[num.start : num.end])
        says = _number_variant(num, q_toks, held, text) or None
        found.append((num.start, Missing(term=term, text_says=says, kind=kind)))
    for i, tok in enumerate(q_toks):
        if i in used:
            continue
        for table in (MONTHS, WEEKDAYS):
            if tok.low in table and tok.cap and not (tok.initial and tok.low == "may"):
                if not any(t.low in table and table[t.low] == table[tok.low] for t in text):
                    others = [t for t in text if t.low in table and (t.cap or not t.initial)]
                    says = _pick(others) or None
                    prev = q_toks[i - 1].text + " " if i and q_toks[i - 1].low in ("last", "next", "this") else ""
                    found.append((i, Missing(term=prev + tok.text, text_says=says, kind="date")))
        group = qualifier_group(q_toks, i, asked=True)
        if group in QUALIFIERS and not any(qualifier_group(text, k) in QUALIFIERS[group][0] for k in range(len(text))):
            # Reported only with a variant in its place: a question's "first" or "only" is often
            # not in the answer sentence (SQuAD: 3.7% of answerable questions).
            says = _qualifier_variant(q_toks, i, text, QUALIFIERS[group][1])
            if says:
                found.append((i, Missing(term=tok.text, text_says=says, kind="qualifier")))
    for i, tok in enumerate(q_toks):
        says = "" if i in used else said_instead(q_toks, i, quote_toks, text)
        if says:  # "unofficial" or "closed the bridge" asked, "official" or "the bridge was opened" quoted
            found.append((i, Missing(term=tok.text, text_says=says, kind="negation")))
    for item in _negation(q_toks, quote_toks):
        found.append((len(q_toks), item))
    out: list[Missing] = []
    seen: set[str] = set()
    for _, item in sorted(found, key=lambda f: f[0]):
        if item.term.lower() not in seen and not (item.text_says or "").lower() == item.term.lower():
            seen.add(item.term.lower())
            out.append(item)
    return tuple(out)


@dataclass(frozen=True, kw_only=True)
class Lacks:
    """What the quote of sentences ``first`` to ``last`` lacks of the question it was read for."""

    first: int
    last: int
    missing: tuple[Missing, ...]

    def of(self, index: StoredIndex, question: str, first: int, last: int) -> tuple[Missing, ...]:
        """``missing`` when the quote is this one, else read now (:func:`missing_from`)."""
        return self.missing if (first, last) == (self.first, self.last) else missing_from(index, question, first, last)


def missing_from(index: StoredIndex, question: str, first: int, last: int) -> tuple[Missing, ...]:
    """What ``question`` asks that the quote of sentences ``first`` to ``last`` does not hold, read
    with its context: its passage up to the quote (a heading, the sentences before), the sentence
    before it and its document's title, publisher and author (:func:`missing_terms`)."""
    doc_id = int(index.sentence_doc[first])
    text = index.document_text(doc_id)
    start, end = int(index.sentence_start[first]), int(index.sentence_end[last])
    passage_start = int(index.passage_start[int(index.sentence_passage[first])])
    before = index.sentence_text(first - 1) if first and int(index.sentence_doc[first - 1]) == doc_id else ""
    meta = index.documents[doc_id].meta
    context = (meta.title or "", meta.publisher or "", meta.author or "", text[passage_start:start], before)
    return missing_terms(question, text[start:end], context)
