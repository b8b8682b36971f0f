"""Scope: the sources a question asks to hear from, and the sentences it is answered from.

An analyst often asks what one source says: "According to Chatham House, …", "What does Terrence
Matsuo say about …?", "What does the 360info article say …?". A question that attributes what it
asks for to a document's publisher, author or title (:func:`attributes`) is answered from that
document only (from every document the name belongs to), and from the author's own section where
the document signs its sections with a byline ("– By Rorry Daniels", as a brief by several
experts does). The name is taken out of the words retrieval reads: it says whose words to quote,
not what they are about, and left in it pulls the author's biography or the editor's note first.

A name that does not attribute ("Where does Terrence Matsuo work?") is what the question is about:
it scopes nothing and stays. Nor does a name that is not distinctive: one that an indexed sentence
of another document holds ("The Peninsula", a publisher, when "Korean Peninsula" stands in other
articles). A person is also named by the last word of their name ("Matsuo").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..index import DocRecord, StoredIndex
from ..index.per_index import PerIndex
from ..records import DocumentMeta
from ..text import FUNCTION_WORDS
from .followup import leans_on_previous

__all__ = ["Scope", "SourceName", "attributed", "attributes", "conversation_scope", "named_scope", "source_names"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Scope:
    """What a question's named sources restrict it to."""

    names: tuple[str, ...]
    """The names as the metadata spells them ("Chatham House", "Rorry Daniels"), in the order
    the question names them."""
    sentences: np.ndarray
    """The ids of the sentences the question is answered from, ascending."""
    question: str
    """The question retrieval reads: attributing names taken out."""


class SourceName(NamedTuple):
    """A name a question may call a document by."""

    text: str
    """As the question may spell it."""
    shown: str
    """As the metadata spells it (the full name of a person named by surname)."""
    person: bool


_PARENTHESIS = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^)]*)\)\s*$")
_AUTHORS_SPLIT = re.compile(r"\s*(?:;|&|\band\b)\s*")


def source_names(meta: DocumentMeta) -> list[SourceName]:
    """The names a question may call ``meta``'s document by (:class:`SourceName`). The publisher
    and each author (``;``, ``&`` or "and" between authors), each also without a leading "The" and
    without a trailing parenthesis, whose content counts too where it is capitalised ("Asia Society
    Policy Institute (ASPI)"), and the publisher by its initials (:func:`_initials`); a person also
    by the last word of the name; the title without a trailing parenthesis."""
    names: list[SourceName] = []

    def add(text: str, person: bool) -> None:
        text = " ".join(text.split()).strip(" ,.")
        if len(text) < 3 or not any(ch.isalnum() for ch in text):
            return
        names.append(SourceName(text, text, person))
        if text.lower().startswith("the "):
            names.append(SourceName(text[4:], text, person))
        words = text.split()
        if person and len(words) >= 2 and len(words[-1]) >= 3:
            names.append(SourceName(words[-1], text, person))
        short = _GENERIC_TAIL.sub("", text)
        if not person and short != text and len(short.split()) >= 2:
            names.append(SourceName(short, text, person))  # "Asia Society" for "Asia Society Policy Institute"

    def add_parts(text: str, person: bool, *, inner: bool) -> None:
        found = _PARENTHESIS.match(text)
        if not found:
            add(text, person)
            return
        add(found["name"], person)
        if inner and found["inner"][:1].isupper():
            add(found["inner"], person)

    # A site's name often carries a tagline ("Chatham House – International Affairs Think Tank"),
    # a page's title the site's name ("The unpromising future … | Chatham House").
    publisher_name = meta.publisher or ""
    site = _SEPARATOR.split(publisher_name) if publisher_name else []
    titles = _SEPARATOR.split(meta.title) if meta.title else []
    if len(site) > 1:
        add_parts(publisher_name, False, inner=True)
    for publisher in site[:1] + titles[1:][-1:]:
        add_parts(publisher, False, inner=True)
        full = _PARENTHESIS.sub(r"\g<name>", publisher)
        names += [SourceName(initials, full, False) for initials in _initials(full)]
    for author in _AUTHORS_SPLIT.split(meta.author or ""):
        if author:
            add_parts(author, True, inner=False)
    if meta.title:
        add_parts(meta.title, False, inner=False)
        if len(titles) > 1:
            add_parts(titles[0], False, inner=False)
    return list(dict.fromkeys(names))


_SEPARATOR = re.compile(r"\s+[|–—-]\s+")
_GENERIC_TAIL = re.compile(r"(?:\s+(?:Policy|Research|Institute|Center|Centre|Foundation|Program|Programme))+$")


def _initials(name: str) -> list[str]:
    """The initials a reader may call an institution by: those of the first three or more of its
    capitalised words ("Korea Economic Institute of America" → "KEI", "KEIA")."""
    capitals = [w[0] for w in name.split() if w[:1].isupper()]
    return ["".join(capitals[:n]) for n in range(3, len(capitals) + 1)]


_SAYING = (
    "say said argue write wrote written think thought believe claim suggest warn expect predict describe conclude "
    "contend mention report observe note view assess explain recommend propose stress emphasize emphasise "
    "characterize characterise portray highlight tell told"
).split()
"""Verbs of saying and judging: "X says", "does X argue" (not "Warsaw has seen", "X is called")."""
_VERBS = rf"(?:{'|'.join(_SAYING)})(?:s|es|ed|d)?"
_NOUNS = (
    r"(?:article|comment|commentary|brief|report|piece|analysis|essay|expert|author|writer|paper|website|"
    r"column|op-ed|editorial|analyst|view)s?"
)
"""What a source writes or who writes it: "the X article", "X's view", "the X experts"."""
_ACCORDING = r"(?:according to|in the view of)\s+(?:the\s+)?"
"""How a question attributes before the name: "according to (the) X", "in the view of X"."""
_BEFORE = re.compile(rf"\b{_ACCORDING}$", re.I)
_GAP = rf"(?:(?!(?:is|was|are|were|be|been|a|an|the|not|and|or|their|its|his|her|{_VERBS})\b)[\w-]+\s+)"
"""One word between a name and its noun ("the Chatham House expert comment", "X's latest article")."""
_NOUN_AFTER = re.compile(rf"^(?:['’]s?)?\s*{_GAP}?{_NOUNS}\b", re.I)
_VERB_AFTER = re.compile(rf"^\s*{_VERBS}\b", re.I)
_PREPOSITION_BEFORE = re.compile(r"\b(?:of|in|to|for|about|with|from|by|on|at|against|than)\s+(?:the\s+)?$", re.I)


def attributes(question: str, start: int, end: int) -> bool:
    """Whether the name at ``question[start:end]`` says whose words the question asks for
    ("according to X", "X says", "does X argue", "X's view", "the X article") rather than what
    it is about ("Where does X work?", "What do supporters of X believe?")."""
    before, after = question[:start], question[end:]
    if _BEFORE.search(before) or _NOUN_AFTER.match(after):
        return True
    return bool(_VERB_AFTER.match(after)) and not _PREPOSITION_BEFORE.search(before)


_JOIN = re.compile(r"\s*(?:,\s*(?:(?:and|or)\s+)?|\s(?:and|or|&|vs\.?|versus)\s+)(?:the\s+)?", re.I)
"""What stands between two names of a list ("X, Y and the Z")."""
_CONTRAST_AFTER = re.compile(r"^\s*(?:differ|compare|contrast|disagree|agree|diverge)\w*\b", re.I)
_CONTRAST_BEFORE = re.compile(
    r"\b(?:compare|comparing|contrast|contrasting|between)\s+(?:the\s+)?(?:views?\s+of\s+)?(?:the\s+)?$",
    re.I,
)


def _chains(question: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The lists of two or more names in ``question`` ("Chatham House and 360info"), each as the
    span from its first name's start to its last name's end."""
    chains: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    for start, end in _outermost(spans):
        if run and _JOIN.fullmatch(question, run[-1][1], start):
            run.append((start, end))
            continue
        if len(run) > 1:
            chains.append((run[0][0], run[-1][1]))
        run = [(start, end)]
    if len(run) > 1:
        chains.append((run[0][0], run[-1][1]))
    return chains


def attributed(question: str, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether the name at ``question[start:end]`` attributes (:func:`attributes`), alone or as
    one of a list of names (``spans``: every name found) that does: "What do KEI and the Asia
    Society say", "How do Chatham House and 360info differ", "Compare Chatham House and 360info"."""
    for first, last in _chains(question, spans):
        if first <= start and end <= last:  # Judged as a list: "supporters of X and Y believe" does not.
            return (
                attributes(question, first, last)
                or bool(_CONTRAST_AFTER.match(question[last:]))
                or bool(_CONTRAST_BEFORE.search(question[:first]))
            )
    return attributes(question, start, end)


def _phrase(text: str, flags: int) -> re.Pattern[str]:
    """``text`` as a whole phrase: not inside a longer word or hyphenated name."""
    return re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w-])", flags)


def _occurrences(name: SourceName, question: str, lowered: str) -> Iterator[re.Match[str]]:
    if name.text.lower() not in lowered:
        return
    for found in _phrase(name.text, re.I).finditer(question):
        # A one-word name spelled with a capital is named with it: "time" is not the magazine Time,
        # "rand" not RAND.
        spelled = found.group(0)
        if " " not in name.text and name.text[:1].isupper() and not spelled[:1].isupper():
            continue
        if name.text.isupper() and spelled != name.text:
            continue
        yield found


def _distinctive(index: StoredIndex, text: str, doc_ids: set[int], *, exact: bool) -> bool:
    """Whether no indexed sentence outside ``doc_ids`` holds the phrase ``text``: as spelled when
    ``exact`` ("Foreign Policy", "The Peninsula" as a name, not "foreign policy" or "on the
    Peninsula"), else in any case. Only the sentences holding every term of it are read."""
    terms = set(index.lexical.terms(text))
    if not terms:
        return False
    holding: np.ndarray | None = None
    for term in terms:
        rows = index.lexical.sentences_with(term)
        holding = rows if holding is None else np.intersect1d(holding, rows, assume_unique=True)
    assert holding is not None
    others = holding[~np.isin(index.sentence_doc[holding], list(doc_ids))]
    phrase = _phrase(text, 0 if exact else re.I)
    return not any(phrase.search(index.sentence_text(int(sid))) for sid in others)


_BYLINE = r"^[ \t]*(?:[–—-][ \t]*)?By[ \t]+{}[ \t]*\.?[ \t]*$"
_ANY_BYLINE = re.compile(_BYLINE.format(r"[A-Z][^\n]{0,80}"), re.M)


def _section(index: StoredIndex, doc: DocRecord, person: str) -> tuple[int, int] | None:
    """The offsets of ``person``'s section of ``doc`` (from the line "By PERSON" to the next
    byline), or ``None`` where the document signs no section with the name."""
    text = index.document_text(doc.id)
    line = re.search(_BYLINE.format(re.escape(person)), text, re.M)
    if line is None:
        return None
    following = _ANY_BYLINE.search(text, line.end())
    return line.end(), following.start() if following else len(text)


def _named(index: StoredIndex, found: re.Match[str], text: str, doc_ids: set[int]) -> bool:
    """Whether ``found``, the name ``text``, names the documents ``doc_ids``: it is distinctive in
    any case, or the question spells it exactly as the metadata does and it is distinctive so spelled."""
    if _distinctive(index, text, doc_ids, exact=False):
        return True
    return found.group(0) == text and _distinctive(index, text, doc_ids, exact=True)


class SourceNameTable:
    """Every indexed document's names (:func:`source_names`), by the first word of each, so a
    question is compared only with the names that start with one of its words."""

    def __init__(self, records: Sequence[DocRecord]) -> None:
        self._by_word: dict[str, list[tuple[SourceName, DocRecord]]] = {}
        for record in records:
            for name in source_names(record.meta):
                words = _WORDS.findall(name.text.lower())
                if words:
                    self._by_word.setdefault(words[0], []).append((name, record))

    def candidates(self, question: str) -> Iterator[tuple[SourceName, DocRecord]]:
        for word in dict.fromkeys(_WORDS.findall(question.lower())):
            yield from self._by_word.get(word, ())


_WORDS = re.compile(r"\w+")
_table: PerIndex[SourceNameTable] = PerIndex(lambda index: SourceNameTable(index.documents))
"""Each open index's name table, built on its first question and dropped with the index."""


def named_scope(index: StoredIndex, question: str) -> Scope | None:
    """The scope of ``question``: the sentences of the documents (or authors' sections) whose
    words it asks for by a distinctive publisher, author or title ("according to X", :func:`attributes`),
    or ``None`` where it attributes to none."""
    lowered = question.lower()
    # Each place the question names something, with every document that name belongs to: whether
    # it attributes, and whether it names those documents, is decided once for them all.
    owners: dict[tuple[int, int], tuple[re.Match[str], list[tuple[SourceName, DocRecord]]]] = {}
    for name, record in _table(index).candidates(question):
        for found in _occurrences(name, question, lowered):
            owners.setdefault(found.span(), (found, []))[1].append((name, record))
    kept = [
        (found, name, record)
        for (start, end), (found, named) in owners.items()
        if attributed(question, start, end, list(owners))
        and _named(index, found, named[0][0].text, {r.id for _, r in named})
        for name, record in named
    ]
    if not kept:
        return None
    allowed = np.zeros(len(index.sentence_doc), dtype=bool)
    for _, name, record in kept:
        in_doc = index.sentence_doc == record.id
        section = _section(index, record, name.shown) if name.person else None
        if section is not None:
            in_doc &= (index.sentence_start >= section[0]) & (index.sentence_start < section[1])
        allowed |= in_doc
    retrieval = question
    spans = [m.span() for m, _, _ in kept]
    for start, end in reversed(_outermost(spans + _chains(question, spans))):
        retrieval = retrieval[:start] + re.sub(r"^['’]s?", "", retrieval[end:])
    retrieval = _tidy(retrieval) or question
    names = tuple(dict.fromkeys(n.shown for _, n, _ in sorted(kept, key=lambda k: k[0].start())))
    return Scope(names=names, sentences=np.flatnonzero(allowed), question=retrieval)


def conversation_scope(index: StoredIndex, question: str, previous: str | None) -> tuple[Scope | None, str, str | None]:
    """The scope of ``question`` asked after ``previous`` (``None``: asked first): its own, else
    the one its previous question named when it leans on that question (a follow-up keeps asking
    that source; a question of its own in the same conversation does not), and the two
    questions as retrieval reads them. A follow-up that asks nothing but what a source says
    ("What does Chatham House say about it?") is the previous question asked of that source."""
    own = named_scope(index, question)
    asked = own.question if own else question
    if previous is None or (own is None and not leans_on_previous(question)):
        # Asked first, or a question of its own ("Who is Camilla Cavarape?"): every source, and
        # the previous question is not read.
        return own, asked, previous
    before = named_scope(index, previous)
    earlier = before.question if before else previous
    if own and not _asks_anything(own.question):
        # "And what does Chatham House say?": the question before, asked of that source.
        return own, earlier, None
    return own or before, asked, earlier


_ALSO_FUNCTION = frozenset("also too else instead any".split())
"""Words a follow-up adds to the function words without asking anything ("What does X say too?")."""


def _asks_anything(question: str) -> bool:
    """Whether ``question`` (its source's name taken out) holds a word of its own besides verbs
    of saying and function words: "What does say about it?" holds none."""
    words = re.findall(r"[a-z]+", question.lower())
    return any(w not in FUNCTION_WORDS and w not in _ALSO_FUNCTION and not re.fullmatch(_VERBS, w) for w in words)


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` without those inside another ("Cavarape" in "Camilla Cavarape"), in order."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(end, kept[-1][1]))
        else:
            kept.append((start, end))
    return kept


def _tidy(question: str) -> str:
    """``question`` once its attributing names are out: "According to , what …" → "What …"."""
    text = re.sub(rf"^\s*{_ACCORDING}(?:[\w-]+\s*){{0,3}}?,\s*", "", question, flags=re.I)
    text = re.sub(rf",?\s*{_ACCORDING}\s*([?.!]*)\s*$", r"\1", text, flags=re.I)
    text = " ".join(text.split())
    text = re.sub(r"\s+([,?.!])", r"\1", text)
    return text[:1].upper() + text[1:]
