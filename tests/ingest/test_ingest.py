"""Adding by URL (a local HTTP server, never the internet), PDF page numbers in answers, and the
watched corpus folder; the real model and real indexes."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from rag import Engine, Settings
from rag.embed.onnx import OnnxEmbedder
from rag.errors import FetchError
from rag.present.text import answer_text

from ..test_cli import folders, run
from ..website import FERRY_PATH, PAGES

FERRY_QUESTION = "When will the joint company take over the ferries?"


def _engine(root: Path, embedder: OnnxEmbedder) -> Engine:
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    settings = Settings().with_dirs(root / "corpus", root / "index")
    settings = replace(settings, fetch=replace(settings.fetch, timeout_s=1.5, max_bytes=200_000))
    return Engine(settings, embedder)


def test_added_page_is_answerable_at_once_and_cites_its_url(site: str, tmp_path: Path, embedder: OnnxEmbedder):
    engine = _engine(tmp_path, embedder)
    url = f"{site}/old-link"
    report = engine.add(urls=[url], allow_private=True)
    name = "harbour-towns-vote-to-share-a-ferry-fleet.html"
    assert report.added == (name,)
    corpus = engine.settings.corpus_dir
    assert (corpus / name).read_bytes() == (PAGES / "01-harbour-news.html").read_bytes()  # The original bytes.
    sidecar = json.loads((corpus / f"{name}.meta.json").read_text(encoding="utf-8"))
    assert sidecar["url"] == f"{site}{FERRY_PATH}" and sidecar["fetched_from"] == url and sidecar["fetched_at"]
    answer = engine.ask(FERRY_QUESTION)
    assert not answer.abstained and "September" in answer.quotes[0].text
    passage = answer.passages[0]
    assert passage.url == f"{site}{FERRY_PATH}" and passage.page is None
    assert passage.meta.author == "Marta Lindqvist"  # From the page; the sidecar only adds the URL.


def test_pdf_quotes_carry_their_page(site: str, tmp_path: Path, embedder: OnnxEmbedder):
    engine = _engine(tmp_path, embedder)
    engine.add(urls=[f"{site}/report.pdf"], allow_private=True)
    assert (engine.settings.corpus_dir / "report.pdf").is_file()  # Untitled in the URL's eyes: named from it.
    answer = engine.ask("When does dredging of the Carrow channel start?")
    quote = answer.quotes[0]
    assert "April" in quote.text and quote.page == 2 and answer.passages[0].page == 2
    data = answer.to_dict()
    assert data["quotes"][0]["page"] == 2 and data["passages"][0]["page"] == 2
    assert "report.pdf, p. 2, characters" in answer_text(answer)


def test_a_page_with_its_charset_only_in_the_http_header(site: str, tmp_path: Path, embedder: OnnxEmbedder):
    engine = _engine(tmp_path, embedder)
    assert engine.add(urls=[f"{site}/latin1.html"], allow_private=True).added == ("cafe-muller.html",)
    corpus = engine.settings.corpus_dir
    assert json.loads((corpus / "cafe-muller.html.meta.json").read_text(encoding="utf-8"))["charset"] == "iso-8859-1"
    meta, text = engine.document("cafe-muller.html")
    assert meta.title == "Café Müller" and "The café on the square reopened" in text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.html", "answered 404"),
        ("/gone.html", "answered 410"),
        ("/image.png", "image/png, not a web page or a PDF"),
        ("/big.html", "is over the 195 KiB limit"),
        ("/slow.html", "timed out after 1.5 s"),
        ("/loop", "more than 5 redirects"),
    ],
)
def test_a_bad_url_is_one_clear_error_and_adds_nothing(
    site: str, tmp_path: Path, embedder: OnnxEmbedder, path: str, reason: str
):
    engine = _engine(tmp_path, embedder)
    with pytest.raises(FetchError) as err:
        engine.add(urls=[f"{site}{FERRY_PATH}", f"{site}{path}"], allow_private=True)
    assert str(err.value).startswith(f"{site}{path}: ") and reason in str(err.value)
    assert list(engine.settings.corpus_dir.iterdir()) == [] and not engine.status().built


def test_private_addresses_are_refused_unless_allowed(site: str, tmp_path: Path, embedder: OnnxEmbedder):
    engine = _engine(tmp_path, embedder)  # The app's default: RAG_ALLOW_PRIVATE_URLS unset.
    for url in (f"{site}{FERRY_PATH}", "http://localhost:9/x.html", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(FetchError, match="RAG_ALLOW_PRIVATE_URLS=1") as err:
            engine.add(urls=[url])
        assert str(err.value).startswith(url)
    with pytest.raises(FetchError, match="not a web link"):
        engine.add(urls=["file:///etc/passwd"])
    with pytest.raises(FetchError, match="not a valid URL"):
        engine.add(urls=["http://example.com:99999/x.html"])
    assert list(engine.settings.corpus_dir.iterdir()) == []
    assert Settings.from_env({"RAG_ALLOW_PRIVATE_URLS": "1"}).fetch.allow_private
    assert not Settings.from_env({}).fetch.allow_private


def test_a_name_that_resolves_anew_to_a_private_address_never_reaches_it(
    tmp_path: Path, embedder: OnnxEmbedder, monkeypatch: pytest.MonkeyPatch
):
    """DNS rebinding: the name resolves to a public address when it is checked and to a private one
    afterwards. The host is looked up once and the connection goes to the address that was checked
    (here it is not reachable, so the fetch fails), never to the private one."""
    import socket

    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    lookups: list[str] = []
    connected: list[object] = []

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def connect(address: tuple, *args: object, **kwargs: object) -> socket.socket:
        connected.append(address[0])
        raise OSError("unreachable in this test")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket, "create_connection", connect)
    engine = _engine(tmp_path, embedder)
    with pytest.raises(FetchError, match="cannot fetch it"):
        engine.add(urls=["http://rebind.example/article.html"])
    assert lookups == ["rebind.example"] and connected == ["93.184.216.34"]
    assert list(engine.settings.corpus_dir.iterdir()) == []


def test_cli_add_url_and_its_errors(site: str, tmp_path: Path):
    settings = Settings().with_dirs(tmp_path / "corpus", tmp_path / "index")
    settings.corpus_dir.mkdir()
    bad = run(["add", f"{site}/image.png", *folders(settings)], settings)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == f"error: {site}/image.png: the server sent image/png, not a web page or a PDF"
    missing = run(["add", "no-such-file.html", *folders(settings)], settings)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert list(settings.corpus_dir.iterdir()) == []
    good = run(["add", f"{site}{FERRY_PATH}", "--json", *folders(settings)], settings)  # The CLI allows loopback.
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["added"] == ["harbour-towns-vote-to-share-a-ferry-fleet.html"]
    answer = json.loads(run(["ask", FERRY_QUESTION, "--json", *folders(settings)], settings).stdout)
    assert answer["passages"][0]["url"] == f"{site}{FERRY_PATH}"


def _wait_for(condition: object, limit: float = 90.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


def test_watched_folder_follows_added_changed_and_removed_files(tmp_path: Path, embedder: OnnxEmbedder):
    engine = _engine(tmp_path, embedder)
    corpus = engine.settings.corpus_dir
    shutil.copy(PAGES / "05-paywall-teaser.html", corpus / "rates.html")
    engine.build()
    events: list[object] = []
    stop = engine.start_watching(events.append)
    try:
        shutil.copy(PAGES / "01-harbour-news.html", corpus / "ferry.html")
        assert _wait_for(lambda: "ferry.html" in engine.status().docs), events
        assert engine.ask(FERRY_QUESTION).quotes[0].doc == "ferry.html"
        (corpus / "ferry.html").unlink()
        assert _wait_for(lambda: "ferry.html" not in engine.status().docs), events
        assert all(q.doc != "ferry.html" for q in engine.ask(FERRY_QUESTION, k=5).quotes)
        assert all(not isinstance(e, Exception) for e in events)
    finally:
        stop.set()
