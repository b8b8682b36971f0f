"""Fuzzing the loaders (hypothesis): valid Word, PDF and HTML files, made here, truncated and with
bytes flipped (in the file, and inside a Word file's XML), are read or refused with the project's
own error, never anything else, each within a few seconds, without the process growing."""

from __future__ import annotations

import io
import resource
import time
import zipfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.errors import CorpusError
from rag.ingest.load import read_document

from .. import hostile

SECONDS_PER_FILE = 5.0
HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Ferry terminal</title></head><body>"
    "<article><h1>Ferry terminal approved</h1>"
    + "".join(f"<p>{text}</p>" for text in hostile.PARAGRAPHS)
    + "<table><tr><td>Cost</td><td>140 m€</td></tr></table></article></body></html>"
)


@cache
def originals() -> dict[str, bytes]:
    return {"docx": hostile.docx_bytes(), "pdf": hostile.pdf_bytes(), "html": HTML.encode("utf-8")}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@st.composite
def mangled(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["docx", "pdf", "html", "docx-xml"]))
    data = originals()["docx" if kind == "docx-xml" else kind]
    part = b""
    if kind == "docx-xml":  # Mangle the document's XML inside an intact zip package.
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            part = package.read("word/document.xml")
    target = bytearray(part or data)
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(target) - 1))
        target[at] ^= draw(st.integers(1, 255))
    if draw(st.booleans()):
        target = target[: draw(st.integers(0, len(target)))]
    if kind == "docx-xml":
        return "docx", hostile.with_part(data, "word/document.xml", bytes(target))
    return kind, bytes(target)


@pytest.fixture(scope="module")
def rss_before() -> float:
    return _peak_rss_mib()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mangled())
def test_mangled_files_are_read_or_refused_with_the_projects_error(tmp_path: Path, rss_before: float, case):
    kind, data = case
    path = tmp_path / f"mangled.{kind}"
    path.write_bytes(data)
    started = time.monotonic()
    try:
        document = read_document(path, tmp_path)
    except CorpusError as err:
        assert str(err).startswith("mangled.") and "\n" not in str(err)
    else:
        assert document.text.strip()
    assert time.monotonic() - started < SECONDS_PER_FILE
    assert _peak_rss_mib() - rss_before < 300, "reading one small file grew the process by hundreds of MiB"
