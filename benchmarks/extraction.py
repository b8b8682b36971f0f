"""Web page extraction: the loader before trafilatura (``visible_text``) against the loader now
(``extract_html``), on saved pages with hand-made expected bodies.

    python -m benchmarks.extraction                          # the check set in benchmarks/extraction_pages/
    python -m benchmarks.extraction --pages DIR              # any folder of NAME.html + NAME.txt pairs

Scores each page by shingle F1 of the body: the texts are lower-cased and cut into word tokens,
every run of 4 consecutive tokens is a shingle, and precision and recall count the shingles (as
multisets) that the extracted and the expected body share. Also counts the pages where each loader
found a title, an author and a date, and the pages it refused or indexed by the visible-text
fallback. Prints a table and writes JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.corpora import RESULTS, ROOT
from rag.errors import CorpusError
from rag.ingest.formats.html import extract_html, visible_text
from rag.ingest.load import decode_html
from rag.records import DocumentMeta

SHINGLE = 4


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text.lower())
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def prf(extracted: str, expected: str) -> tuple[float, float, float]:
    got, want = shingles(extracted), shingles(expected)
    common = sum((got & want).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(want.values()) if want else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


Loader = Callable[[str], tuple[str, DocumentMeta, bool]]


def old_loader(raw: str) -> tuple[str, DocumentMeta, bool]:
    text, meta = visible_text(raw)
    return text, meta, False


def new_loader(raw: str) -> tuple[str, DocumentMeta, bool]:
    extracted = extract_html(raw)
    return extracted.text, extracted.meta, extracted.note is not None


def score(pages: list[tuple[str, str, str]], loader: Loader) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name, raw, expected in pages:
        text, meta, fallback = loader(raw)
        p, r, f = prf(text, expected)
        rows.append(
            {
                "page": name,
                "precision": p,
                "recall": r,
                "f1": f,
                "refused": not text.strip(),
                "fallback": fallback,
                "title": bool(meta.title),
                "author": bool(meta.author),
                "date": bool(meta.date),
            }
        )
    n = len(rows)
    return {
        "pages": rows,
        "f1": sum(r["f1"] for r in rows) / n,
        "precision": sum(r["precision"] for r in rows) / n,
        "recall": sum(r["recall"] for r in rows) / n,
        "refused": sum(r["refused"] for r in rows),
        "fallback": sum(r["fallback"] for r in rows),
        "title": sum(r["title"] for r in rows),
        "author": sum(r["author"] for r in rows),
        "date": sum(r["date"] for r in rows),
        "seconds_per_page": (time.perf_counter() - started) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=ROOT / "benchmarks" / "extraction_pages")
    parser.add_argument("--out", type=Path, default=RESULTS / "extraction.json")
    args = parser.parse_args()
    pages = []
    for html in sorted(args.pages.glob("*.html")):
        expected = html.with_suffix(".txt")
        if not expected.is_file():
            continue
        try:
            raw = decode_html(html.read_bytes(), html.name)
        except CorpusError as err:
            sys.exit(f"error: {err}")
        pages.append((html.stem, raw, expected.read_text(encoding="utf-8")))
    if not pages:
        sys.exit(f"error: no NAME.html with NAME.txt in {args.pages}")
    results = {"old (visible text)": score(pages, old_loader), "new (trafilatura)": score(pages, new_loader)}

    print(f"{len(pages)} pages in {args.pages}; shingle F1 ({SHINGLE}-word shingles) of the body\n")
    names = list(results)
    print(f"{'page':<28}" + "".join(f"{n:>20}" for n in names))
    for i, (name, _, _) in enumerate(pages):
        cells = [f"F1 {results[n]['pages'][i]['f1']:.3f} P {results[n]['pages'][i]['precision']:.2f}" for n in names]
        print(f"{name:<28}" + "".join(f"{c:>20}" for c in cells))
    print()
    for key, label in (
        ("f1", "mean F1"),
        ("precision", "mean precision"),
        ("recall", "mean recall"),
        ("refused", "pages refused (no text)"),
        ("fallback", "visible-text fallbacks"),
        ("title", "title found"),
        ("author", "author found"),
        ("date", "date found"),
        ("seconds_per_page", "seconds per page"),
    ):
        cells = [
            f"{results[n][key]:.3f}" if isinstance(results[n][key], float) else f"{results[n][key]}/{len(pages)}"
            for n in names
        ]
        print(f"{label:<28}" + "".join(f"{c:>20}" for c in cells))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\nwritten {args.out}")


if __name__ == "__main__":
    main()
