"""Markdown shown as text: the page shows a ``.md`` document's passages and article without the
markup characters (``#`` of a heading, ``*``/``_`` of emphasis, link brackets and URLs, front
matter), for display only. The stored text, the quotes and every offset stay those of the file:
:func:`plain_markdown` also maps offsets of the text to offsets of what is shown, so highlights
land on the same words.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

__all__ = ["MARKDOWN_SUFFIXES", "Shown", "is_markdown", "plain_markdown"]

MARKDOWN_SUFFIXES = (".md", ".markdown")

# Each pattern's named groups ``cut`` (one or more) are the characters left out.
_PATTERNS = [
    re.compile(r"\A(?P<cut>(?:\ufeff)?---[ \t]*\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z))", re.S),  # Front matter.
    re.compile(r"^(?P<cut>[ \t]{0,3}#{1,6}[ \t]+)", re.M),  # A heading's hashes.
    re.compile(r"(?P<cut>[ \t]+#+)[ \t]*$", re.M),  # A heading's closing hashes.
    re.compile(r"^(?P<cut>[ \t]{0,3}>[ \t]?)", re.M),  # A blockquote's marker.
    re.compile(r"^(?P<cut>[ \t]{0,3}(?:[-*_][ \t]*){3,})$", re.M),  # A rule.
    re.compile(r"(?P<cut>!?\[)(?=[^\]\n]*\]\()"),  # A link's or image's opening bracket ...
    re.compile(r"(?<=[^\[\n])(?P<cut>\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\))"),  # ... and its target.
    re.compile(r"(?P<cut>\*\*|__)(?=\S)(?:.+?)(?<=\S)(?P<cut2>\1)"),  # Strong emphasis.
    re.compile(r"(?<![\w*])(?P<cut>\*)(?=[^\s*])(?:[^*\n]+?)(?<=[^\s*])(?P<cut2>\*)(?![\w*])"),  # *emphasis*
    re.compile(r"(?<![\w_])(?P<cut>_)(?=[^\s_])(?:[^_\n]+?)(?<=[^\s_])(?P<cut2>_)(?![\w_])"),  # _emphasis_
    re.compile(r"(?P<cut>`+)(?=[^`\n])(?:[^`\n]+?)(?P<cut2>\1)"),  # Code's backticks.
    re.compile(r"(?P<cut>\\)(?=[\\`*_{}\[\]()#+\-.!>])"),  # A backslash escape.
]


def is_markdown(doc: str) -> bool:
    return doc.lower().endswith(MARKDOWN_SUFFIXES)


class Shown:
    """What is shown of a text: the text without the cut characters, and the map from offsets of
    the text to offsets of what is shown."""

    def __init__(self, text: str, cuts: Sequence[tuple[int, int]]) -> None:
        kept: list[str] = []
        self._starts: list[int] = []  # Each cut's start and end, in the text,
        self._ends: list[int] = []
        self._before: list[int] = []  # and the characters cut up to its end.
        pos = total = 0
        for start, end in sorted(cuts):
            start = max(start, pos)
            if end <= start:
                continue
            kept.append(text[pos:start])
            total += end - start
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(total)
            pos = end
        kept.append(text[pos:])
        self.text = "".join(kept)

    def offset(self, pos: int) -> int:
        """Where offset ``pos`` of the text falls in what is shown."""
        i = bisect.bisect_right(self._starts, pos) - 1
        if i < 0:
            return pos
        if pos < self._ends[i]:  # Inside a cut: where the cut was.
            return self._starts[i] - (self._before[i] - (self._ends[i] - self._starts[i]))
        return pos - self._before[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.offset(start), self.offset(end)


def plain_markdown(text: str) -> Shown:
    """``text`` (Markdown) without its markup characters, with the offset map."""
    cuts: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            for name in ("cut", "cut2"):
                if name in pattern.groupindex and match.group(name) is not None:
                    cuts.append(match.span(name))
    return Shown(text, cuts)
