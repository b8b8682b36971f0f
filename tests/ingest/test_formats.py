"""Web pages (trafilatura), Word files, PDF pages and corpus hygiene, read as a build reads them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag import Settings
from rag.embed.onnx import OnnxEmbedder
from rag.errors import CorpusError
from rag.index.build import build_index
from rag.ingest.formats import page_at
from rag.ingest.formats.html import FALLBACK_NOTE
from rag.ingest.load import read_document, scan_corpus

from ..pdfgen import write_pdf

PAGES = Path(__file__).resolve().parent.parent.parent / "benchmarks" / "extraction_pages"
CHECK_SET = sorted(p.stem for p in PAGES.glob("*.html"))


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


@pytest.mark.parametrize("stem", CHECK_SET)
def test_check_set_page_keeps_the_article_paragraphs(tmp_path: Path, stem: str):
    shutil.copy(PAGES / f"{stem}.html", tmp_path / f"{stem}.html")
    doc = read_document(tmp_path / f"{stem}.html", tmp_path)
    expected = paragraphs((PAGES / f"{stem}.txt").read_text(encoding="utf-8"))
    got = paragraphs(doc.text)
    assert [p for p in expected if p not in got] == []  # Every paragraph, whole and apart from the others.
    assert len(got) <= len(expected) + 2  # At most a heading or a dateline more.
    assert doc.meta.title and doc.kind == "html"


FURNITURE = [
    ("01-harbour-news", ["cookies", "Share on Facebook", "Related", "Sign up", "mark my words", "All rights reserved"]),
    ("02-garden-blog", ["Skip to the content", "Share this", "Blight again", "Dougie", "Leave a Reply", "Archives"]),
    ("03-div-soup-magazine", ["Advertisement", "READ MORE", "You may also like", "Most read", "Imprint"]),
    ("05-paywall-teaser", ["Subscribe", "Nasdaq", "Trade smarter", "Trending", "Listen to this article"]),
]


@pytest.mark.parametrize(("stem", "furniture"), FURNITURE)
def test_page_furniture_is_not_indexed(tmp_path: Path, stem: str, furniture: list[str]):
    shutil.copy(PAGES / f"{stem}.html", tmp_path / "page.html")
    text = read_document(tmp_path / "page.html", tmp_path).text
    assert [f for f in furniture if f in text] == []


def test_metadata_comes_from_the_page(tmp_path: Path):
    for stem in ("01-harbour-news", "03-div-soup-magazine"):
        shutil.copy(PAGES / f"{stem}.html", tmp_path / f"{stem}.html")
    news = read_document(tmp_path / "01-harbour-news.html", tmp_path).meta
    assert (news.title, news.author, news.publisher) == (
        "Harbour towns vote to share a ferry fleet",
        "Marta Lindqvist",
        "The Coastal Ledger",
    )
    assert news.date == "2025-03-14" and news.url == "https://ledger.example/news/2025/03/harbour-ferry-fleet"
    magazine = read_document(tmp_path / "03-div-soup-magazine.html", tmp_path).meta  # JSON-LD only.
    assert (magazine.author, magazine.date) == ("Jonas Peters", "2023-11-02")


def test_a_page_without_an_article_falls_back_to_its_visible_text(tmp_path: Path):
    shutil.copy(PAGES / "07-section-front.html", tmp_path / "front.html")
    doc = read_document(tmp_path / "front.html", tmp_path)
    assert "Seagrass meadows store more carbon than thought" in doc.text and doc.note == FALLBACK_NOTE
    (tmp_path / "only-nav.html").write_text("<html><body><nav>Home | News</nav></body></html>", encoding="utf-8")
    assert read_document(tmp_path / "only-nav.html", tmp_path).text == "Home | News"  # Never refused.


def test_page_in_a_declared_legacy_charset(tmp_path: Path):
    shutil.copy(PAGES / "06-cp1252-local-news.html", tmp_path / "p.html")
    doc = read_document(tmp_path / "p.html", tmp_path)
    assert "Bäckerei" in doc.text and doc.meta.author == "Sabine Köhler"


def test_docx_paragraphs_headings_tables_and_core_properties(tmp_path: Path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Port survey"
    document.core_properties.author = "Ines Alvarez"
    document.add_heading("Findings", level=1)
    document.add_paragraph("The port handled 4.2 million containers in 2024.")
    document.add_paragraph("Most of the growth came from the new eastern terminal.")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Terminal", "Share"), ("East", "38%")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Dredging starts next spring.")
    document.save(str(tmp_path / "survey.docx"))
    doc = read_document(tmp_path / "survey.docx", tmp_path)
    assert doc.kind == "docx"
    assert doc.text == (
        "Findings\n\nThe port handled 4.2 million containers in 2024.\n\n"
        "Most of the growth came from the new eastern terminal.\n\nTerminal | Share\n\nEast | 38%\n\n"
        "Dredging starts next spring."
    )
    assert (doc.meta.title, doc.meta.author) == ("Port survey", "Ines Alvarez") and doc.meta.date


@pytest.mark.parametrize(("data", "message"), [(b"plain words", "not a Word"), (b"PK\x03\x04broken", "Word file")])
def test_bad_docx_is_one_clear_error(tmp_path: Path, data: bytes, message: str):
    (tmp_path / "bad.docx").write_bytes(data)
    with pytest.raises(CorpusError) as err:
        read_document(tmp_path / "bad.docx", tmp_path)
    assert "bad.docx" in str(err.value) and message in str(err.value)


def test_pdf_pages_are_numbered(tmp_path: Path):
    pages = [["Page one opens the report."], [], ["The third page holds the tariff figures."]]
    write_pdf(tmp_path / "r.pdf", [], pages=pages)
    doc = read_document(tmp_path / "r.pdf", tmp_path)
    first = doc.text.index("Page one")
    third = doc.text.index("The third page")
    assert (page_at(doc.text, first), page_at(doc.text, third)) == (1, 3)  # The empty page still counts.


def test_links_out_of_the_corpus_are_skipped_with_a_reason(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.txt").write_text("Outside text.", encoding="utf-8")
    (corpus / "a.txt").write_text("Inside text.", encoding="utf-8")
    os.symlink(outside, corpus / "passwd.txt")
    os.symlink(tmp_path / "elsewhere", corpus / "linked-folder")
    os.symlink(corpus / "a.txt", corpus / "alias.txt")  # Inside the corpus: fine.
    os.symlink(corpus / "loop.txt", corpus / "loop.txt")
    files, skipped = scan_corpus(corpus)
    assert [f.name for f in files] == ["a.txt", "alias.txt"]
    reasons = {s.doc: s.reason for s in skipped}
    assert set(reasons) == {"passwd.txt", "linked-folder", "loop.txt"}  # The linked folder is not entered.
    assert "outside the corpus folder" in reasons["passwd.txt"] and "leads nowhere" in reasons["loop.txt"]


def test_build_reports_duplicates_and_fallbacks(tmp_path: Path, embedder: OnnxEmbedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = "The lighthouse keeper retired after forty years.\n\nA volunteer group now runs the light."
    (corpus / "keeper.txt").write_text(body, encoding="utf-8")
    (corpus / "keeper-copy.txt").write_text(body + "\n", encoding="utf-8")
    shutil.copy(PAGES / "07-section-front.html", corpus / "front.html")
    report = build_index(Settings().with_dirs(corpus, tmp_path / "index"), embedder)
    notes = {n.doc: n.note for n in report.notices}
    assert set(notes) == {"keeper.txt", "front.html"}  # keeper-copy sorts first, so keeper is the duplicate.
    assert "keeper-copy.txt" in notes["keeper.txt"] and "duplicate" in notes["keeper.txt"]
    assert notes["front.html"] == FALLBACK_NOTE
    assert len(report.added) == 3 and report.skipped == ()
