"""Words of opposite meaning, for :func:`rag.read.missing.missing_terms`: a question that asks with a
word whose opposite stands in the quote, while the word itself does not, asks something the quote
does not say ("Who *closed* the bridge in 1887?" of "The bridge was opened in 1887 by King George
IV."). Questions written to look answerable are often made so (SQuAD 2.0's "antonym" kind).

The pairs are common words of news and reference text, written by hand; they are matched by their
Snowball stems, so inflections count ("opened", "opening"). Converse pairs are left out, since a
paraphrase may swap them with the roles ("lost to Beck" for "won by Beck", "before" and "after",
"buy" and "sell", comparatives). Superlatives ("largest" / "smallest") are qualifiers
(:data:`rag.read.missing_words.QUALIFIERS`), and a negating prefix ("official" / "unofficial") is
found without a list. :func:`said_instead` reads both.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from .missing_words import NOT_NAMES, Token, same_word

__all__ = ["PAIRS", "opposites", "said_instead"]

PAIRS = tuple(
    tuple(pair.split("/"))
    for pair in """
    open/close accept/reject allow/ban allow/forbid allow/prohibit permit/forbid permit/ban support/oppose
    agree/disagree approve/reject approve/veto increase/decrease increase/reduce rise/fall rise/decline
    raise/lower grow/shrink expand/shrink expand/contract strengthen/weaken improve/worsen succeed/fail
    success/failure enter/leave enter/exit arrive/depart arrival/departure join/leave hire/fire
    appoint/dismiss begin/end start/end start/finish include/exclude inclusion/exclusion
    internal/external inner/outer inside/outside domestic/foreign north/south east/west
    northern/southern eastern/western northeast/southwest northwest/southeast upper/lower above/below
    public/private military/civilian male/female men/women man/woman boy/girl king/queen
    prince/princess husband/wife father/mother son/daughter brother/sister positive/negative rich/poor
    wealthy/poor strong/weak modern/ancient alive/dead war/peace offense/defense offensive/defensive
    hot/cold warm/cool wet/dry fast/slow true/false same/different similar/different common/rare
    frequent/rare permanent/temporary full/empty urban/rural majority/minority maximum/minimum
    primary/secondary create/destroy build/destroy legal/illegal formal/informal liberal/conservative
    democratic/authoritarian add/remove
    """.split()
)
"""The pairs, each word against the other."""


@cache
def opposites() -> dict[str, frozenset[str]]:
    """Each word's Snowball stem, with the stems of its opposites (made once per process, with a
    stemmer of its own: a stemmer is not safe across threads)."""
    import Stemmer  # PyStemmer

    stem = Stemmer.Stemmer("english").stemWord
    found: dict[str, set[str]] = {}
    for a, b in PAIRS:
        sa, sb = stem(a), stem(b)
        if sa != sb:
            found.setdefault(sa, set()).add(sb)
            found.setdefault(sb, set()).add(sa)
    return {k: frozenset(v) for k, v in found.items()}


_NEGATING_PREFIXES = ("un", "non", "dis", "in", "im", "il", "ir")


def _prefixed(tok: Token, quote: Sequence[Token]) -> str:
    """A word of the quote that is ``tok`` with or without a negating prefix ("official" for
    "unofficial", "unpopular" for "popular") where the quote lacks ``tok`` itself; '' if none."""
    if not tok.low.isalpha() or len(tok.low) < 5 or tok.low in NOT_NAMES or any(same_word(tok, t) for t in quote):
        return ""
    for t in quote:
        short, long = sorted((tok.low, t.low), key=len)
        if len(short) >= 5 and any(long == p + short for p in _NEGATING_PREFIXES):
            return t.text
    return ""


def _in_place(q_toks: Sequence[Token], i: int, quote: Sequence[Token], stems: frozenset[str]) -> str:
    """A word of the quote with one of ``stems`` that stands where the question's word ``i`` does:
    within three words of a word that is within three of it in the question ("opened" in "the
    bridge was opened" for "closed the bridge"); '' if none."""
    near = [t for t in q_toks[max(0, i - 3) : i + 4] if t is not q_toks[i] and t.low not in NOT_NAMES]
    for k, t in enumerate(quote):
        if t.stem in stems and any(same_word(n, u) for n in near for u in quote[max(0, k - 3) : k + 4]):
            return t.text
    return ""


def said_instead(q_toks: Sequence[Token], i: int, quote: Sequence[Token], text: Sequence[Token]) -> str:
    """The word the ``quote`` says where the question's word ``i`` means the opposite: the same
    word with or without a negating prefix ("official" for "unofficial"), or one of its
    :data:`PAIRS` standing in its place ("opened" for "closed the bridge") while neither the
    quote nor its context (``text``) holds the word itself and the question does not name both
    ("male or female?"); '' if none."""
    tok = q_toks[i]
    prefixed = _prefixed(tok, quote)
    against = opposites().get(tok.stem)
    if prefixed or not against or any(same_word(tok, t) for t in text) or any(t.stem in against for t in q_toks):
        return prefixed
    return _in_place(q_toks, i, quote, against)
