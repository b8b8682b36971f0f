"""Find: every sentence of the collection that mentions a name or a phrase (``rag find``).

A sentence mentions the query when its words, lower-cased and reduced to their Snowball stems
(PyStemmer, as the lexical index does), hold the query's words in the same order: "tariff" finds
"Tariffs", "Camp David" finds "Camp David's". A person is also found by surname alone: "Shigeru
Ishiba" finds "Ishiba said". The query is taken for a person when a document's metadata names
them as an author, or when the collection uses the name as one: its given names never stand
apart from the surname, and the surname stands alone in a document holding the full name, or
as often as the full name in the collection.

Only the sentences that hold every indexed term of the query are read (the lexical index's
postings), so a query reads a few hundred sentences, not the collection; a query of stop words
only ("with") reads an index of every stem, built on the first such query. Mentions are grouped by
document (ordered by the document's date, undated last); the same sentence standing in several
places (an article quoting another, a repeated paragraph) is listed once, with its other places.
Each mention carries the document's date and the dates the sentence states (:mod:`rag.views.dates`).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import QuestionError
from ..index import DocRecord, StoredIndex
from ..index.per_index import PerIndex
from ..ingest.formats import page_at
from ..question.scope import source_names
from .dates import document_date, stated_dates
from .records import FindResult, Mention, MentionGroup, Place

__all__ = ["MAX_QUERY_CHARS", "ORDERS", "check_order", "find_mentions", "prepare_query", "words"]

MAX_QUERY_CHARS = 200
"""A query is a name or a phrase; a longer one is refused (a question goes to ``rag ask``)."""
ORDERS = ("doc", "date")
"""How mentions may be ordered: by document (their date) or by the date each sentence states."""

_WORD = re.compile(r"\w+")
_APOSTROPHES = "'’"


def check_order(by: str) -> str:
    """``by`` if it is one of :data:`ORDERS`, else :class:`QuestionError` naming them."""
    if by not in ORDERS:
        raise QuestionError(f"unknown order {by!r}: use --by doc (by document) or --by date (by stated date)")
    return by


def prepare_query(query: object) -> str:
    """``query`` with white space folded; :class:`QuestionError` when empty, wordless or too long."""
    if not isinstance(query, str):
        raise QuestionError("the query must be text")
    cleaned = " ".join(query.split())
    if not cleaned or not _WORD.search(cleaned):
        raise QuestionError("the query is empty: give a name or a phrase to find, such as Camp David")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QuestionError(
            f"the query has {len(cleaned)} characters, at most {MAX_QUERY_CHARS}: give a name or a short phrase"
        )
    return cleaned


def words(text: str) -> list[tuple[int, int, str]]:
    """``text``'s words as ``(start, end, lower-cased word)``; the "s" of a possessive is left out."""
    out = []
    for found in _WORD.finditer(text):
        start = found.start()
        if found.group(0) in ("s", "S") and start and text[start - 1] in _APOSTROPHES:
            continue
        out.append((start, found.end(), found.group(0).lower()))
    return out


class _Stems:
    """Snowball stems, cached (the same words recur across sentences)."""

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWord
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            stem = self._cache[word] = self._stem(word)
        return stem


class _Collection:
    """What find keeps per open index: stems, each sentence's dates and each document's date."""

    def __init__(self, index: StoredIndex) -> None:
        self.stems = _Stems()
        self.dates: dict[int, tuple[str, ...]] = {}
        self.doc_dates = [document_date(d.meta.date) for d in index.documents]
        self.stop_stems = {self.stems(w) for w in index.lexical.stopwords}
        self._postings: dict[str, list[int]] | None = None
        self._lock = threading.Lock()
        self._tokens: dict[int, tuple[list[tuple[int, int, str]], list[str]]] = {}

    def tokens(self, index: StoredIndex, sid: int) -> tuple[list[tuple[int, int, str]], list[str]]:
        """Sentence ``sid``'s words (:func:`words`) and their stems, kept once read."""
        found = self._tokens.get(sid)
        if found is None:
            tokens = words(index.sentence_text(sid))
            found = self._tokens[sid] = (tokens, [self.stems(w) for _, _, w in tokens])
        return found

    def postings(self, index: StoredIndex) -> dict[str, list[int]]:
        """Every stem's sentences (stop words and one-letter words too), built on the first query
        the lexical index cannot narrow ("with", "U.S."), then kept."""
        with self._lock:
            if self._postings is None:
                built: dict[str, list[int]] = {}
                for sid in range(len(index.sentence_doc)):
                    for stem in set(self.tokens(index, sid)[1]):
                        built.setdefault(stem, []).append(sid)
                self._postings = built
            return self._postings


_collection: PerIndex[_Collection] = PerIndex(_Collection)
"""Each open index's words and stems, read on its first query and dropped with the index."""


def _candidates(index: StoredIndex, form: str, known: _Collection) -> np.ndarray:
    """The sentences that may mention ``form``: those holding each of its terms in the lexical
    index, or, where it has none there (stop words only, an index not stemmed as find reads),
    those holding each of its stems (:meth:`_Collection.postings`)."""
    lexical = index.lexical
    holding: np.ndarray | None = None
    for term in dict.fromkeys(lexical.terms(form)) if lexical.stemmer == "english" else ():
        if term in known.stop_stems:
            continue  # A sentence's stop word is not indexed, yet may share this stem.
        rows = lexical.sentences_with(term)
        holding = rows if holding is None else np.intersect1d(holding, rows, assume_unique=True)
    if holding is not None:
        return holding
    postings = known.postings(index)
    for stem in {known.stems(w) for _, _, w in words(form)}:
        rows = np.asarray(postings.get(stem, ()), dtype=np.int64)
        holding = rows if holding is None else np.intersect1d(holding, rows, assume_unique=True)
    return np.zeros(0, dtype=np.int64) if holding is None else holding


def _spans(tokens: list[tuple[int, int, str]], stemmed: list[str], phrase: Sequence[str]) -> list[tuple[int, int]]:
    """Where a sentence (its ``tokens`` and their ``stemmed`` forms) holds the stemmed ``phrase``,
    as offsets inside the sentence."""
    n = len(phrase)
    return [
        (tokens[i][0], tokens[i + n - 1][1])
        for i in range(len(stemmed) - n + 1)
        if stemmed[i] == phrase[0] and stemmed[i : i + n] == list(phrase)
    ]


def _matches(
    index: StoredIndex, form: str, known: _Collection, within: Iterable[int] | None = None
) -> dict[int, list[tuple[int, int]]]:
    phrase = [known.stems(w) for _, _, w in words(form)]
    ids = _candidates(index, form, known) if within is None else within
    found = {}
    for sid in ids:
        spans = _spans(*known.tokens(index, int(sid)), phrase)
        if spans:
            found[int(sid)] = spans
    return found


def _is_author(index: StoredIndex, query: str) -> bool:
    lowered = query.lower()
    return any(n.person and n.text.lower() == lowered for d in index.documents for n in source_names(d.meta))


def _surname(index: StoredIndex, query: str, full: dict[int, list[tuple[int, int]]], known: _Collection) -> str | None:
    """The surname to find ``query`` by too, when it names a person (see the module's docstring)."""
    names = query.split()
    if not 2 <= len(names) <= 3 or not all(w[:1].isupper() and w.isalpha() for w in names) or len(names[-1]) < 3:
        return None
    if any(w.lower() in index.lexical.stopwords for w in names):
        return None  # "The Hague", "In Washington": not a given name and a surname.
    if _is_author(index, query):
        return names[-1]
    if not full:
        return None
    holding_full = {int(index.sentence_doc[s]) for s in full}
    given = " ".join(names[:-1])
    for sid, spans in _matches(index, given, known).items():
        if sid not in full or len(spans) > len(full[sid]):
            return None  # The given name stands apart: "Camp" in "summer camp", "South" in "South China Sea".
    alone = {s: len(spans) - len(full.get(s, ())) for s, spans in _matches(index, names[-1], known).items()}
    if any(n > 0 and int(index.sentence_doc[s]) in holding_full for s, n in alone.items()):
        return names[-1]
    return names[-1] if sum(alone.values()) >= sum(len(spans) for spans in full.values()) else None


def _dates(index: StoredIndex, sid: int, known: _Collection) -> tuple[str, ...]:
    found = known.dates.get(sid)
    if found is None:
        found = known.dates[sid] = stated_dates(index.sentence_text(sid), known.doc_dates[int(index.sentence_doc[sid])])
    return found


def _shingles(key: str) -> set[str]:
    tokens = key.split()
    return {" ".join(tokens[i : i + 3]) for i in range(max(1, len(tokens) - 2))}


def _collapse(sids: list[int], index: StoredIndex, known: _Collection) -> dict[int, list[int]]:
    """Each kept sentence and the near-duplicates collapsed into it (the same words, lower-cased,
    however punctuated or spaced; or word 3-shingles with a Jaccard similarity of 0.8 or more),
    ``sids`` in order: the first of a set is kept."""
    keys = {sid: " ".join(w for _, _, w in known.tokens(index, sid)[0]) for sid in sids}
    shingles = {sid: _shingles(keys[sid]) for sid in sids}
    frequency = Counter(s for sid in sids for s in shingles[sid])
    limit = max(20, len(sids) // 10)
    by_shingle: dict[str, list[int]] = {}
    kept: dict[int, list[int]] = {}
    exact: dict[str, int] = {}
    for sid in sids:
        first = exact.get(keys[sid])
        if first is None:
            shared = Counter(o for s in shingles[sid] if frequency[s] <= limit for o in by_shingle.get(s, ()))
            mine = shingles[sid]
            first = next(
                (o for o, n in shared.most_common(5) if n / len(mine | shingles[o]) >= 0.8),
                None,
            )
        if first is not None:
            kept[first].append(sid)
            continue
        exact[keys[sid]] = sid
        kept[sid] = []
        for s in shingles[sid]:
            if frequency[s] <= limit:
                by_shingle.setdefault(s, []).append(sid)
    return kept


def _page(index: StoredIndex, record: DocRecord, offset: int) -> int | None:
    return page_at(index.document_text(record.id), offset) if record.kind == "pdf" else None


def _date_order(iso: str | None) -> tuple[int, str]:
    return (0, iso) if iso else (1, "")


def find_mentions(index: StoredIndex, query: str, by: str = "doc") -> FindResult:
    """Every mention of ``query`` in ``index`` (see the module's docstring), grouped by document
    ordered by date; ``by="date"`` also lists them as a timeline ordered by the date each states."""
    check_order(by)
    query = prepare_query(query)
    known = _collection(index)
    found = _matches(index, query, known)
    forms = [query]
    surname = _surname(index, query, found, known)
    if surname:
        forms.append(surname)
        for sid, spans in _matches(index, surname, known).items():
            full = found.get(sid, [])
            alone = [(s, e) for s, e in spans if not any(fs <= s and e <= fe for fs, fe in full)]
            found[sid] = sorted([*full, *alone])
    order = sorted(
        found,
        key=lambda s: (*_date_order(known.doc_dates[int(index.sentence_doc[s])]), int(index.sentence_doc[s]), s),
    )
    groups: dict[int, list[Mention]] = {}
    for sid, others in _collapse(order, index, known).items():
        record = index.documents[int(index.sentence_doc[sid])]
        start, end = int(index.sentence_start[sid]), int(index.sentence_end[sid])
        places = []
        for other in others:
            where = index.documents[int(index.sentence_doc[other])]
            o_start, o_end = int(index.sentence_start[other]), int(index.sentence_end[other])
            places.append(
                Place(
                    doc=where.doc,
                    title=where.meta.display_name(where.doc),
                    start=o_start,
                    end=o_end,
                    page=_page(index, where, o_start),
                )
            )
        groups.setdefault(record.id, []).append(
            Mention(
                text=index.sentence_text(sid),
                doc=record.doc,
                title=record.meta.display_name(record.doc),
                start=start,
                end=end,
                page=_page(index, record, start),
                spans=tuple(found[sid]),
                date=known.doc_dates[record.id],
                dates=_dates(index, sid, known),
                also=tuple(places),
            )
        )
    documents = tuple(
        MentionGroup(
            doc=index.documents[doc_id].doc,
            title=index.documents[doc_id].meta.display_name(index.documents[doc_id].doc),
            publisher=index.documents[doc_id].meta.publisher,
            author=index.documents[doc_id].meta.author,
            url=index.documents[doc_id].meta.url,
            date=known.doc_dates[doc_id],
            count=len(mentions),
            mentions=tuple(mentions),
        )
        for doc_id, mentions in groups.items()
    )
    timeline: tuple[Mention, ...] = ()
    if by == "date":
        timeline = timeline_order([m for g in documents for m in g.mentions])
    return FindResult(
        query=query,
        forms=tuple(forms),
        by=by,
        total=sum(g.count for g in documents),
        places=len(found),
        documents=documents,
        timeline=timeline,
    )


def timeline_order(items: Sequence[Mention]) -> tuple[Mention, ...]:
    """``items`` ordered by the first date each sentence states (else its document's date),
    undated last, keeping their order otherwise."""
    return tuple(sorted(items, key=lambda m: _date_order(m.dates[0] if m.dates else m.date)))
