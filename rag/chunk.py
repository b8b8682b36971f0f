"""Chunk: cut a document's text into passages (what a citation shows) and sentences (what is quoted).

Every span is a pair of character offsets into the document's text, so ``text[start:end]`` is
exactly the passage or sentence. Nothing here changes the text; spans only skip white space.

- Paragraphs are separated by blank lines, or by single line breaks when lines are not hard-wrapped.
- A short line with no closing punctuation (a heading, a byline, "Share this article") is not a
  sentence: it is never quoted, but it is kept at the head of the passage that follows it. So is a
  one-line paragraph of site chrome: a call to action ("Click here to continue reading …"), a
  credit ("Originally published under …") or a teaser cut off by an ellipsis.
- Sentences end at ``. ! ? …`` (plus closing quotes or brackets) before a capital, a digit or an
  opening quote; abbreviations (``Mr.``, ``e.g.``), initials (``J. Smith``) and dotted acronyms
  inside a sentence (``U.S. President``) do not end one. CJK full stops end a sentence directly.
- A paragraph longer than ``max_passage_chars`` becomes several passages of whole sentences.
"""

from __future__ import annotations

import re

from .config import ChunkSettings
from .records import Chunks

__all__ = ["chunk_text", "split_paragraphs", "split_sentences"]

Span = tuple[int, int]

_BLANK_LINES = re.compile(r"\n[ \t\r\f\v\u00a0\ufeff]*\n\s*")
_TERMINAL = ".!?…。！？"
_CLOSERS = "\"'”’»)]}"
_OPENERS = "\"'“‘«([{"
# A candidate boundary: terminal punctuation, optional closers, then white space.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]}]*(?=\s)|[。！？]+[”’」』)]*")
_WORD_BEFORE = re.compile(r"([\w.\-']+)$")

ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt ft vs etc e.g i.e cf al inc ltd co corp plc llc dept est approx
    no nos vol vols fig figs pp p ed eds rev gen gov sen rep col lt sgt capt cmdr adm maj brig
    pres supt jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri
    sat sun a.m p.m u.s.a ph.d b.a m.a b.sc m.sc op no. art sec ch ave blvd rd hon messrs""".split()
)

# After a dotted acronym such as "U.S.", a sentence ends only if one of these words follows.
SENTENCE_STARTERS = frozenset(
    """the a an this that these those it its he she they we i you his her their our my there here
    in on at by for with from to of as but and or so yet if when while after before since although
    though despite however meanwhile moreover furthermore still also then thus instead indeed
    what which who how why where some many most all both each one two such no not""".split()
)


def _is_soft_wrapped(lines: list[str]) -> bool:
    """Hard-wrapped text: every line short, and some long-ish line ends mid-sentence."""
    if len(lines) < 2 or max(len(line) for line in lines) > 100:
        return False
    return any(
        len(line.rstrip()) >= 40 and line.rstrip()[-1:] not in _TERMINAL + _CLOSERS + ":;" for line in lines[:-1]
    )


def _strip(text: str, start: int, end: int) -> Span:
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == "\ufeff"):
        end -= 1
    return start, end


def split_paragraphs(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Paragraph spans of ``text[start:end]``, stripped of surrounding white space."""
    end = len(text) if end is None else end
    blocks: list[Span] = []
    pos = start
    for match in _BLANK_LINES.finditer(text, start, end):
        blocks.append((pos, match.start()))
        pos = match.end()
    blocks.append((pos, end))

    paragraphs: list[Span] = []
    for b_start, b_end in blocks:
        b_start, b_end = _strip(text, b_start, b_end)
        if b_start == b_end:
            continue
        block = text[b_start:b_end]
        lines = block.split("\n")
        if _is_soft_wrapped(lines):
            paragraphs.append((b_start, b_end))
            continue
        offset = b_start
        for line in lines:
            span = _strip(text, offset, offset + len(line))
            if span[0] < span[1]:
                paragraphs.append(span)
            offset += len(line) + 1
    return paragraphs


def _ends_sentence(text: str, punct_start: int, punct_end: int, next_pos: int) -> bool:
    """Whether the punctuation at ``text[punct_start:punct_end]`` ends a sentence."""
    punct = text[punct_start:punct_end]
    if punct[0] in "。！？":
        return True
    if next_pos >= len(text):
        return True
    nxt = text[next_pos]
    if nxt.islower():
        return False
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS or not nxt.isalpha()):
        return False
    if punct.rstrip(_CLOSERS) != ".":
        return True  # "?", "!", "...", ".!" end sentences before a capital.
    if punct != "." and punct.rstrip(_CLOSERS) == ".":
        return True  # A period inside closing quotes: 'he said "no."' ends the sentence.
    match = _WORD_BEFORE.search(text, max(0, punct_start - 40), punct_start)
    word = match.group(1) if match else ""
    bare = word.lstrip("('\"-").lower()
    if not bare:
        return True
    if bare in ABBREVIATIONS:
        return False
    if len(bare) == 1 and bare.isalpha() and word[-1:].isupper():
        return False  # An initial: "J. Smith".
    if "." in bare:  # A dotted acronym such as "U.S" (the final period is the punctuation).
        next_word = re.match(r"[\w']+", text[next_pos : next_pos + 30])
        return next_word is not None and next_word.group(0).lower() in SENTENCE_STARTERS
    return True


def _split_long(text: str, start: int, end: int, limit: int) -> list[Span]:
    """Split an over-long sentence at '; ' or ', ' (then at spaces) into pieces under ``limit``."""
    spans: list[Span] = []
    while end - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind("; "), window.rfind(", "))
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit - 1
        piece = _strip(text, start, start + cut + 1)
        if piece[0] < piece[1]:
            spans.append(piece)
        start = _strip(text, start + cut + 1, end)[0]
    tail = _strip(text, start, end)
    if tail[0] < tail[1]:
        spans.append(tail)
    return spans


def split_sentences(text: str, start: int = 0, end: int | None = None, max_chars: int = 600) -> list[Span]:
    """Sentence spans of ``text[start:end]`` (one paragraph), stripped of white space."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    sent_start = start
    for match in _BOUNDARY.finditer(text, start, end):
        next_pos = match.end()
        while next_pos < end and text[next_pos].isspace():
            next_pos += 1
        if next_pos >= end and match.group(0)[0] not in "。！？":
            break  # The paragraph's last sentence: taken below.
        if _ends_sentence(text, match.start(), match.end(), next_pos):
            spans.extend(_split_long(text, sent_start, match.end(), max_chars))
            sent_start = next_pos
    if sent_start < end:
        spans.extend(_split_long(text, sent_start, end, max_chars))
    return [s for s in spans if s[0] < s[1]]


_SITE_CHROME = re.compile(
    r"^\W*(click here|subscribe\b|sign up\b|follow us\b|share (this|on)\b|read (more|the full)\b|"
    r"continue reading\b|originally published\b|original article\b|photo (from|by|credit)\b|cover photo\b|"
    r"image credit\b)|\bcredits? cc[ -]by\b|(…|\.\.\.)$",
    re.I,
)
"""A line of the site around an article, not of the article: a call to action ("Click here to
continue reading …", "Sign up for our mailing list"), a credit ("Originally published under
Creative Commons by …", "Photo from Shutterstock."), or a teaser cut off by an ellipsis ("The Oval
Office meltdown indicates a hardening of stance by the Trump team, which has…")."""


def _is_heading(text: str, span: Span) -> bool:
    """A line that is not a sentence of the article: a short one that does not end like a sentence
    (a heading, byline or navigation item), or a line of site chrome (:data:`_SITE_CHROME`)."""
    line = text[span[0] : span[1]]
    if "\n" in line:
        return False
    return (len(line) <= 120 and line.rstrip(_CLOSERS)[-1:] not in _TERMINAL) or (
        len(line) <= 300 and _SITE_CHROME.search(line) is not None
    )


def chunk_text(text: str, settings: ChunkSettings, body_start: int = 0) -> Chunks:
    """Cut ``text[body_start:]`` into passages and sentences."""
    passages: list[Span] = []
    sentences: list[Span] = []
    owner: list[int] = []
    pending_heading: int | None = None  # Start of heading lines waiting for their paragraph.
    for para in split_paragraphs(text, body_start):
        if _is_heading(text, para):
            if pending_heading is None:
                pending_heading = para[0]
            continue
        para_sentences = split_sentences(text, para[0], para[1], settings.max_sentence_chars)
        head = pending_heading if pending_heading is not None else para[0]
        pending_heading = None
        window: list[Span] = []
        for sent in para_sentences:
            if window and sent[1] - head > settings.max_passage_chars:
                passages.append((head, window[-1][1]))
                head = sent[0]
                window = []
            window.append(sent)
            sentences.append(sent)
            owner.append(len(passages))
        if window:
            passages.append((head, window[-1][1]))
    return Chunks(passages=tuple(passages), sentences=tuple(sentences), sentence_passage=tuple(owner))
