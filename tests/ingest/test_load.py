from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.ingest.load import read_document, scan_corpus

from ..pdfgen import write_pdf


def test_txt_keeps_the_files_own_text(tmp_path: Path):
    raw = "Title line\r\n\r\nFirst sentence.\r\nSecond “quoted” line.\n"
    (tmp_path / "a.txt").write_bytes(raw.encode("utf-8"))
    doc = read_document(tmp_path / "a.txt", tmp_path)
    assert doc.text == raw  # No newline translation: offsets index the file as written.
    assert doc.title == "Title line" and doc.kind == "txt"


def test_sidecar_metadata_wins(tmp_path: Path):
    (tmp_path / "a.txt").write_text("Headline\n\nBody.", encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text(json.dumps({"title": "Real", "url": "https://x.example/a"}))
    doc = read_document(tmp_path / "a.txt", tmp_path)
    assert (doc.meta.title, doc.meta.url) == ("Real", "https://x.example/a")


def test_markdown_front_matter_is_metadata_not_text(tmp_path: Path):
    raw = "---\ntitle: Alliance notes\nauthor: A. Writer\n---\n# Heading\n\nBody sentence here.\n"
    (tmp_path / "n.md").write_text(raw, encoding="utf-8")
    doc = read_document(tmp_path / "n.md", tmp_path)
    assert doc.meta.title == "Alliance notes" and doc.meta.author == "A. Writer"
    assert doc.text == raw and doc.text[doc.body_start :].startswith("# Heading")


def test_html_main_text_and_metadata(tmp_path: Path):
    html = """<html><head><title>T</title><meta property="og:title" content="The Summit">
    <meta name="author" content="Jane Doe"><link rel="canonical" href="https://news.example/summit">
    <script>alert('x')</script><style>p{}</style></head>
    <body><nav>Home | About</nav><article><h1>The Summit</h1><p>Leaders met in Tokyo.</p>
    <p>They agreed to talk &amp; trade.</p></article><footer>© News</footer></body></html>"""
    (tmp_path / "s.html").write_text(html, encoding="utf-8")
    doc = read_document(tmp_path / "s.html", tmp_path)
    assert doc.text == "The Summit\n\nLeaders met in Tokyo.\n\nThey agreed to talk & trade."
    assert doc.meta.title == "The Summit" and doc.meta.author == "Jane Doe"
    assert doc.meta.url == "https://news.example/summit"


def test_pdf_text_layer(tmp_path: Path):
    write_pdf(tmp_path / "r.pdf", ["Seoul and Tokyo signed an accord.", "It covers trade."], title="Accord")
    doc = read_document(tmp_path / "r.pdf", tmp_path)
    assert "Seoul and Tokyo signed an accord." in doc.text and doc.meta.title == "Accord"


def test_utf16_with_bom_is_read(tmp_path: Path):
    (tmp_path / "u.txt").write_bytes("Korean text: 한국.".encode("utf-16"))
    assert read_document(tmp_path / "u.txt", tmp_path).text == "Korean text: 한국."


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "no text"),
        ("blank.md", b" \n\n\t\n", "no text"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        ("latin1.txt", "café au lait".encode("latin-1"), "UTF-8"),
        ("fake.pdf", b"this is not a pdf", "not a PDF"),
        ("broken.pdf", b"%PDF-1.4\n garbage", "PDF"),
    ],
)
def test_bad_files_raise_a_clear_error_naming_the_file(tmp_path: Path, name: str, data: bytes, message: str):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(CorpusError) as err:
        read_document(tmp_path / name, tmp_path)
    assert name in str(err.value) and message in str(err.value)


def test_scan_skips_unsupported_and_hidden_files(tmp_path: Path):
    for name in ("a.txt", "b.md", "c.odt", ".hidden.txt", "a.txt.meta.json"):
        (tmp_path / name).write_text("Some text.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.html").write_text("<p>Hi.</p>", encoding="utf-8")
    files, skipped = scan_corpus(tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.txt", "b.md", "sub/d.html"]
    assert [s.doc for s in skipped] == ["c.odt"] and "unsupported" in skipped[0].reason


def test_missing_corpus_folder(tmp_path: Path):
    with pytest.raises(CorpusError, match="does not exist"):
        scan_corpus(tmp_path / "nope")
