"""The web app, driven through its API with gradio_client: the real model, a real index, one
server for the module. Ask, list, status, article, upload, rebuild, remove, and bad uploads."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from rag import Engine

from ..uiserver import Running, private_app, private_engine, running_app
from ..website import FERRY_PATH

SEED_QUESTION = "Who is expected to serve as secretary of state?"
NEW_ARTICLE = """# Vestrand opens the Lumora tidal bridge

The Lumora tidal bridge in Vestrand was designed by the engineer Katja Holm.

The bridge carries a tram line and generates electricity from the tides under its deck.
"""
NEW_QUESTION = "Who designed the Lumora tidal bridge?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    with private_app(seed_engine, tmp_path_factory.mktemp("ui-api")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Running) -> Client:
    return Client(server.url, verbose=False)


def corpus_listing(server: Running) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(server.corpus_dir.rglob("*")) if p.is_file()}


def test_endpoints_are_named(client: Client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/ask", "/list", "/upload", "/add_url", "/remove", "/rebuild", "/status", "/article"} <= names


def test_ask_returns_the_json_contract_with_verbatim_quotes(client: Client, server: Running):
    answer = client.predict(SEED_QUESTION, api_name="/ask")
    assert set(answer) == {
        "question",
        "abstained",
        "status",
        "confidence",
        "sources",
        "answer",
        "quotes",
        "passages",
        "missing",
        "missing_detail",
    }
    assert answer["abstained"] is False and answer["quotes"]
    assert answer == server.engine.ask(SEED_QUESTION).to_dict()  # Same object as `rag ask --json`.
    for quote in answer["quotes"]:
        text = (server.corpus_dir / quote["doc"]).read_text(encoding="utf-8")
        assert text[quote["start"] : quote["end"]] == quote["text"]
    for passage in answer["passages"]:
        for s, e in passage["quote_spans"]:
            assert passage["text"][s:e] in {q["text"] for q in answer["quotes"] if q["n"] == passage["n"]}


def test_ask_abstains_when_the_articles_do_not_answer(client: Client):
    answer = client.predict("What is the recipe for banana bread?", api_name="/ask")
    assert answer["abstained"] is True and answer["quotes"] == [] and answer["passages"] == []
    assert answer["status"] == "abstained"


def test_follow_up_is_read_with_the_previous_question(client: Client, server: Running):
    previous = "What did Trump's advisers tell Seoul and Tokyo?"
    follow_up = "And what did Japan say?"
    answer = client.predict(follow_up, previous, api_name="/ask")
    assert answer == server.engine.ask(follow_up, previous=previous).to_dict()
    assert answer != server.engine.ask(follow_up).to_dict()  # The previous question changed the retrieval.


def test_empty_question_is_a_clear_error(client: Client):
    with pytest.raises(Exception, match=r"(?i)question"):
        client.predict("   ", api_name="/ask")


def test_status_and_list(client: Client, server: Running):
    status = client.predict(api_name="/status")
    assert status == server.engine.status().to_dict()
    assert status["built"] and status["documents"] == 5 and status["model"]
    docs = client.predict(api_name="/list")
    assert sorted(d["doc"] for d in docs) == sorted(status["docs"])
    assert all(d["state"] == "indexed" for d in docs)
    titled = {d["doc"]: d["title"] for d in docs}
    assert titled["001_e9bcd94228df86bd.txt"].startswith("The Prospect for US-Korea-Japan Trilateralism")


def test_article_highlights_the_cited_passage(client: Client):
    answer = client.predict(SEED_QUESTION, api_name="/ask")
    passage = answer["passages"][0]
    page = client.predict(passage["doc"], passage["start"], passage["end"], api_name="/article")
    first_words = passage["text"].split("(")[0]  # Plain text before any markup-sensitive character.
    assert f'<mark class="rq-hit" id="rq-hit">{first_words}' in page


def test_upload_then_ask_about_the_new_article_then_remove(client: Client, server: Running, tmp_path: Path):
    before = client.predict(NEW_QUESTION, api_name="/ask")
    assert all(q["doc"] != "lumora.md" for q in before["quotes"])

    path = tmp_path / "lumora.md"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    message = client.predict([handle_file(path)], False, api_name="/upload")
    assert "lumora.md" in message and "1 added" in message
    assert (server.corpus_dir / "lumora.md").read_text(encoding="utf-8") == NEW_ARTICLE

    after = client.predict(NEW_QUESTION, api_name="/ask")
    assert after["abstained"] is False
    best = after["quotes"][0]
    assert best["doc"] == "lumora.md" and "Katja Holm" in best["text"]
    assert NEW_ARTICLE[best["start"] : best["end"]] == best["text"]
    assert "lumora.md" in {d["doc"] for d in client.predict(api_name="/list")}

    # The same name again is refused unless replacing is asked for.
    with pytest.raises(Exception, match="already in the corpus"):
        client.predict([handle_file(path)], False, api_name="/upload")
    message = client.predict([handle_file(path)], True, api_name="/upload")
    assert "up to date" in message  # Same content: nothing to re-embed.

    message = client.predict("lumora.md", api_name="/remove")
    assert "1 removed" in message and not (server.corpus_dir / "lumora.md").exists()
    assert "lumora.md" not in {d["doc"] for d in client.predict(api_name="/list")}
    gone = client.predict(NEW_QUESTION, api_name="/ask")
    assert all(q["doc"] != "lumora.md" for q in gone["quotes"])


def test_add_by_link_refuses_private_hosts_unless_allowed(client: Client, server: Running, site: str):
    url = site + FERRY_PATH
    before = corpus_listing(server)
    with pytest.raises(Exception, match="RAG_ALLOW_PRIVATE_URLS=1"):
        client.predict(url, False, api_name="/add_url")
    with pytest.raises(Exception, match="no link given"):
        client.predict("  \n ", False, api_name="/add_url")
    assert corpus_listing(server) == before

    settings = server.engine.settings  # As if served with RAG_ALLOW_PRIVATE_URLS=1.
    server.engine.settings = replace(settings, fetch=replace(settings.fetch, allow_private=True))
    try:
        with pytest.raises(Exception, match="answered 404"):
            client.predict(f"{url}\n{site}/missing.html", False, api_name="/add_url")
        assert corpus_listing(server) == before
        message = client.predict(f"{url}\n", False, api_name="/add_url")
        name = "harbour-towns-vote-to-share-a-ferry-fleet.html"
        assert "1 added" in message and name in message
        answer = client.predict("When will the joint company take over the ferries?", api_name="/ask")
        assert answer["quotes"][0]["doc"] == name and answer["passages"][0]["url"] == url
        assert name in {d["doc"] for d in client.predict(api_name="/list")}
    finally:
        server.engine.settings = settings
        if (server.corpus_dir / name).exists():
            client.predict(name, api_name="/remove")
    assert corpus_listing(server) == before


def test_rebuild_picks_up_a_file_dropped_into_the_corpus(client: Client, server: Running):
    dropped = server.corpus_dir / "dropped.txt"
    dropped.write_text(NEW_ARTICLE, encoding="utf-8")
    try:
        states = {d["doc"]: d["state"] for d in client.predict(api_name="/list")}
        assert states["dropped.txt"].startswith("not indexed")
        message = client.predict(api_name="/rebuild")
        assert "1 added" in message
        states = {d["doc"]: d["state"] for d in client.predict(api_name="/list")}
        assert states["dropped.txt"] == "indexed"
        assert client.predict(NEW_QUESTION, api_name="/ask")["quotes"][0]["doc"] == "dropped.txt"
    finally:
        client.predict("dropped.txt", api_name="/remove")


def test_markup_in_an_article_is_shown_as_text(client: Client, server: Running, tmp_path: Path):
    path = tmp_path / "markup.txt"
    path.write_text(
        "Harbour notes\n\nThe Orvane accord was signed by <b>four harbour cities</b> "
        "<script>alert('x')</script> in ${year} {{value}}.\n",
        encoding="utf-8",
    )
    client.predict([handle_file(path)], False, api_name="/upload")
    try:
        page = client.predict("markup.txt", 0, 0, api_name="/article")
        assert "<script>" not in page and "<b>" not in page and "${" not in page and "{{" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
        assert "&lt;b&gt;four harbour cities&lt;/b&gt;" in page
    finally:
        client.predict("markup.txt", api_name="/remove")


def _binary(p: Path) -> None:
    p.write_bytes(b"\x00\x01\x02binary\x00" * 100)


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _blank(p: Path) -> None:
    p.write_text("  \n\n \t\n", encoding="utf-8")


def _text(p: Path) -> None:
    p.write_text("A perfectly fine sentence about harbours.\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "write", "message"),
    [
        ("binary.txt", _binary, "looks binary"),
        ("empty.txt", _empty, "no text to index"),
        ("blank.md", _blank, "no text to index"),
        ("tool.exe", _text, "(?i)unsupported type|invalid file type"),
        ("notes.odt", _text, "(?i)unsupported type|invalid file type"),
        ("notes.docx", _text, "not a Word .docx file"),
        ("noext", _text, "(?i)unsupported type|invalid file type"),
    ],
)
def test_bad_upload_is_refused_and_changes_nothing(
    client: Client, server: Running, tmp_path: Path, name, write, message
):
    before = corpus_listing(server)
    status = server.engine.status()
    path = tmp_path / name
    write(path)
    with pytest.raises(Exception, match=message):
        client.predict([handle_file(path)], False, api_name="/upload")
    assert corpus_listing(server) == before
    assert server.engine.status() == status


def test_too_large_upload_is_refused(client: Client, server: Running, tmp_path: Path):
    from rag.ingest.load import MAX_FILE_BYTES

    before = corpus_listing(server)
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(Exception, match=r"(?i)size|limit"):
        client.predict([handle_file(path)], False, api_name="/upload")
    assert corpus_listing(server) == before


@pytest.mark.parametrize("name", ["../../escape.txt", "..", "/etc/passwd.txt", "..\\..\\escape.txt"])
def test_upload_name_cannot_escape_the_corpus(client: Client, server: Running, name: str):
    """A client sending a crafted file name: the file lands inside the corpus under a safe name,
    or is refused; nothing is written outside the corpus folder."""
    before = corpus_listing(server)
    outside = server.corpus_dir.parent
    outside_before = sorted(p.name for p in outside.iterdir())
    uploaded = httpx.post(
        server.url + "gradio_api/upload",
        files=[("files", (name, b"The Lumora tidal bridge was designed by Katja Holm.\n", "text/plain"))],
    )
    if uploaded.status_code != 200:  # Refused by the server's upload route already.
        assert uploaded.status_code == 400 and "file name" in uploaded.text
        assert corpus_listing(server) == before
        return
    server_path = uploaded.json()[0]
    try:
        client.predict([handle_file(server_path)], False, api_name="/upload")
    except Exception as err:
        assert "file name" in str(err) or "unsupported" in str(err)
        assert corpus_listing(server) == before
    else:
        added = set(corpus_listing(server)) - set(before)
        assert len(added) == 1 and ".." not in added.pop()
        client.predict(next(iter(set(corpus_listing(server)) - set(before))), api_name="/remove")
    assert sorted(p.name for p in outside.iterdir()) == outside_before


def test_remove_needs_an_existing_document(client: Client, server: Running):
    before = corpus_listing(server)
    for doc in ("no-such-file.txt", "../index/CURRENT"):
        with pytest.raises(Exception, match="corpus"):
            client.predict(doc, api_name="/remove")
    assert corpus_listing(server) == before


def test_login_is_required_when_auth_is_set(seed_engine: Engine, tmp_path: Path):
    engine = private_engine(seed_engine, tmp_path)
    with running_app(engine, auth=("reader", "s3cret")) as running:
        assert httpx.get(running.url + "config").status_code == 401
        with pytest.raises(Exception):  # noqa: B017 -- gradio_client raises a plain error on 401
            Client(running.url, verbose=False)
        authed = Client(running.url, auth=("reader", "s3cret"), verbose=False)
        assert authed.predict(api_name="/status")["documents"] == 5


def test_serve_refuses_malformed_credentials(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "serve", "--corpus", str(tmp_path), "--index", str(tmp_path / "index")],
        env={**os.environ, "RAG_AUTH": "no-colon-here"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: RAG_AUTH must look like user:password (both non-empty); fix it or unset it"
    ]
