"""The REST API, the MCP server and the login on them, served as `rag serve` serves them: the real
model, a real index, one server per module (and one with a login and write tools over MCP)."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import http.client
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client

from rag import MAX_FILE_BYTES, Engine

from ..uiserver import Running, private_app

SEED_QUESTION = "Who is expected to serve as secretary of state?"
NEW_ARTICLE = """# Vestrand opens the Lumora tidal bridge

The Lumora tidal bridge in Vestrand was designed by the engineer Katja Holm.
"""
USER, PASSWORD, TOKEN = "reader", "s3cret", "tok-9f2c"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    with private_app(seed_engine, tmp_path_factory.mktemp("rest")) as running:
        yield running


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    """With RAG_AUTH and RAG_API_TOKEN, and `--mcp-write`."""
    root = tmp_path_factory.mktemp("guarded")
    with private_app(seed_engine, root, (USER, PASSWORD), api_token=TOKEN, mcp_write=True) as running:
        yield running


def api(server: Running, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, server.url + "api/" + path, timeout=120, **kwargs)


def assert_verbatim(answer: dict[str, Any], corpus_dir: Path) -> None:
    assert answer["quotes"]
    for quote in answer["quotes"]:
        text = (corpus_dir / quote["doc"]).read_text(encoding="utf-8")
        assert text[quote["start"] : quote["end"]] == quote["text"]


# -- REST: answers -----------------------------------------------------------------------------


def test_ask_returns_exactly_the_json_of_rag_ask(server: Running):
    response = api(server, "POST", "ask", json={"question": SEED_QUESTION, "k": 2})
    assert response.status_code == 200
    answer = response.json()
    assert answer == server.engine.ask(SEED_QUESTION, k=2).to_dict()
    assert 1 <= len(answer["quotes"]) <= 2
    assert_verbatim(answer, server.corpus_dir)


def test_ask_reads_a_follow_up_with_the_previous_question(server: Running):
    previous, follow_up = "What did Trump's advisers tell Seoul and Tokyo?", "And what did Japan say?"
    answer = api(server, "POST", "ask", json={"question": follow_up, "previous": previous}).json()
    assert answer == server.engine.ask(follow_up, previous=previous).to_dict()
    assert answer != server.engine.ask(follow_up).to_dict()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "   "}, "question"),
        ({"question": "🤝🇯🇵🇰🇷"}, "question"),
        ({"question": SEED_QUESTION, "k": 0}, "k"),
        ({"k": 3}, "question"),
        ({"question": 12}, "question"),
    ],
)
def test_a_bad_question_is_a_400_with_one_message_and_no_traceback(
    server: Running, capfd: pytest.CaptureFixture[str], body: dict[str, Any], message: str
):
    response = api(server, "POST", "ask", json=body)
    assert response.status_code == 400
    error = response.json()
    assert set(error) == {"error"} and message in error["error"].lower()
    assert "Traceback" not in "".join(capfd.readouterr())


def test_a_refused_question_is_no_traceback_on_the_other_doors(server: Running, capfd: pytest.CaptureFixture[str]):
    with pytest.raises(Exception, match=r"(?i)question"):
        Client(server.url, verbose=False).predict("   ", api_name="/ask")
    _, result = asyncio.run(mcp_call(server.url, "ask", {"question": "   "}))
    assert result.isError and "question" in result.content[0].text.lower()
    assert "Traceback" not in "".join(capfd.readouterr())


def test_a_body_that_is_not_json_is_a_400(server: Running):
    response = api(server, "POST", "ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "error" in response.json()


# -- REST: status and documents ----------------------------------------------------------------


def test_status_and_document_list(server: Running):
    assert api(server, "GET", "status").json() == server.engine.status().to_dict()
    listed = api(server, "GET", "documents").json()
    assert {d["doc"] for d in listed} == set(server.engine.status().docs)
    assert all(d["state"] == "indexed" and "title" in d for d in listed)


def test_a_document_comes_with_the_text_its_offsets_index(server: Running):
    answer = server.engine.ask(SEED_QUESTION)
    quote = answer.quotes[0]
    document = api(server, "GET", f"documents/{quote.doc}").json()
    assert document["text"][quote.start : quote.end] == quote.text
    assert document["title"] == quote.title


def test_an_unknown_document_is_a_404(server: Running):
    for method in ("GET", "DELETE"):
        response = api(server, method, "documents/no-such-file.txt")
        assert response.status_code == 404, method
        assert "no-such-file.txt" in response.json()["error"]


def test_upload_answer_remove(server: Running):
    files = {"files": ("lumora.md", NEW_ARTICLE.encode(), "text/markdown")}
    report = api(server, "POST", "documents", files=files).json()
    assert report["added"] == ["lumora.md"] and report["written"]
    answer = api(server, "POST", "ask", json={"question": "Who designed the Lumora tidal bridge?"}).json()
    assert "Katja Holm" in answer["quotes"][0]["text"]
    again = api(server, "POST", "documents", files=files)
    assert again.status_code == 400 and "already in the corpus" in again.json()["error"]
    assert api(server, "DELETE", "documents/lumora.md").json()["removed"] == ["lumora.md"]
    assert not (server.corpus_dir / "lumora.md").exists()
    assert api(server, "GET", "trash").json()[0] == "lumora.md"
    restored = api(server, "POST", "trash/lumora.md")
    assert restored.status_code == 200 and restored.json()["added"] == ["lumora.md"]
    assert (server.corpus_dir / "lumora.md").read_text(encoding="utf-8") == NEW_ARTICLE
    assert api(server, "POST", "trash/lumora.md").status_code == 404  # Already back.
    assert api(server, "DELETE", "documents/lumora.md").json()["removed"] == ["lumora.md"]


def test_bad_uploads_are_refused_and_change_nothing(server: Running):
    before = sorted(p.name for p in server.corpus_dir.iterdir())
    binary = api(server, "POST", "documents", files={"files": ("x.txt", b"\x00\x01\x02binary", "text/plain")})
    assert binary.status_code == 400 and "x.txt" in binary.json()["error"]
    escape = api(server, "POST", "documents", files={"files": ("../evil.txt", b"text", "text/plain")})
    assert escape.status_code == 400
    none = api(server, "POST", "documents", data={"overwrite": "false"})
    assert none.status_code == 400 and "files" in none.json()["error"]
    too_large = announced_upload(server, MAX_FILE_BYTES * 2)  # Refused before a byte of the body is read.
    assert too_large[0] == 413 and "MiB" in too_large[1]["error"]
    by_url = api(server, "POST", "documents", json={"url": "ftp://example.com/a"})
    assert by_url.status_code == 400 and "ftp://example.com/a" in by_url.json()["error"]
    assert sorted(p.name for p in server.corpus_dir.iterdir()) == before


def announced_upload(server: Running, length: int) -> tuple[int, Any]:
    """Send only the headers of an upload of ``length`` bytes; the status and JSON of the reply."""
    host, port = server.url.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.putrequest("POST", "/api/documents")
        connection.putheader("Content-Type", "multipart/form-data; boundary=b")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_build_already_running_is_a_409(server: Running):
    fd = os.open(server.engine.settings.index_dir / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # As a build in another process holds it.
        response = api(server, "POST", "rebuild")
        assert response.status_code == 409 and "another build" in response.json()["error"]
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert api(server, "POST", "rebuild").json()["written"] is False


def test_no_index_yet_is_a_503(seed_engine: Engine, tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from rag import Settings
    from ui.actions import Actions
    from ui.rest import create_api

    engine = Engine(Settings().with_dirs(tmp_path / "corpus", tmp_path / "index"), seed_engine.embedder)
    with TestClient(create_api(Actions(engine, ThreadPoolExecutor(1)))) as client:
        response = client.post("/api/ask", json={"question": SEED_QUESTION})
    assert response.status_code == 503 and "rag build" in response.json()["error"]


def test_openapi_and_offline_docs(server: Running):
    spec = api(server, "GET", "openapi.json").json()
    assert {"/api/ask", "/api/status", "/api/documents", "/api/documents/{doc}", "/api/rebuild"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/documents/{doc}"]) == {"get", "delete"}
    assert set(spec["paths"]["/api/ask"]["post"]["responses"]) == {"200", "400", "503"}
    docs = api(server, "GET", "docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert assets and all(a.startswith("/") for a in assets)  # Nothing from a CDN.
    assert all(httpx.get(server.url + a.lstrip("/")).status_code == 200 for a in assets)


def test_the_answer_schema_names_every_field_of_a_real_answer(server: Running):
    spec = api(server, "GET", "openapi.json").json()
    schema = spec["paths"]["/api/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    answer = api(server, "POST", "ask", json={"question": SEED_QUESTION, "by_source": True}).json()
    assert set(schema["properties"]) == set(answer)
    plain = api(server, "POST", "ask", json={"question": SEED_QUESTION}).json()
    assert set(schema["required"]) == set(plain)  # "by_source" only when asked for.
    for part in ("quotes", "passages", "by_source"):
        assert set(schema["properties"][part]["items"]["properties"]) == set(answer[part][0]), part


# -- MCP ---------------------------------------------------------------------------------------


async def mcp_call(url: str, tool: str | None, arguments: dict[str, Any], headers: dict[str, str] | None = None):
    """The tool names, and the text of ``tool``'s result (if given), from the official MCP client."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async with streamablehttp_client(url + "gradio_api/mcp/", headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            names = sorted(t.name for t in (await session.list_tools()).tools)
            if tool is None:
                return names, None
            result = await session.call_tool(tool, arguments)
            return names, result


def test_mcp_ask_returns_verbatim_quotes_with_citations(server: Running):
    names, result = asyncio.run(mcp_call(server.url, "ask", {"question": SEED_QUESTION}))
    assert names == ["article", "ask", "find", "list_documents", "status"]  # No write tools without --mcp-write.
    assert not result.isError
    answer = json.loads(result.content[0].text)
    assert answer == server.engine.ask(SEED_QUESTION).to_dict()
    assert_verbatim(answer, server.corpus_dir)


def test_mcp_tools_describe_themselves(server: Running):
    async def tools() -> dict[str, Any]:
        from mcp import ClientSession
        from mcp.client.streamable_http import streamablehttp_client

        async with streamablehttp_client(server.url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return {t.name: t for t in (await session.list_tools()).tools}

    tools_by_name = asyncio.run(tools())
    assert all(len(tool.description) > 80 for tool in tools_by_name.values())
    ask = tools_by_name["ask"]
    assert "verbatim" in ask.description and "abstained" in ask.description
    parameters = ask.inputSchema["properties"]
    assert set(parameters) == {"question", "previous", "k", "by_source"}
    assert "follow-up" in parameters["previous"]["description"]
    assert set(tools_by_name["find"].inputSchema["properties"]) == {"query", "by"}


def test_mcp_find_and_ask_by_source(server: Running):
    _, found = asyncio.run(mcp_call(server.url, "find", {"query": "Camp David"}))
    assert json.loads(found.content[0].text) == server.engine.find("Camp David").to_dict()
    _, bad = asyncio.run(mcp_call(server.url, "find", {"query": ""}))
    assert bad.isError and "empty" in bad.content[0].text
    _, asked = asyncio.run(mcp_call(server.url, "ask", {"question": SEED_QUESTION, "by_source": True}))
    groups = json.loads(asked.content[0].text)["by_source"]
    assert sorted(g["doc"] for g in groups) == sorted(server.engine.status().docs)


def test_mcp_write_tools_need_the_flag(server: Running, guarded: Running):
    before = sorted(p.name for p in server.corpus_dir.iterdir())
    _, result = asyncio.run(mcp_call(server.url, "remove", {"doc": before[0]}))
    assert result.isError and "remove" in result.content[0].text  # Not a tool here: nothing removed.
    assert sorted(p.name for p in server.corpus_dir.iterdir()) == before
    names, _ = asyncio.run(mcp_call(guarded.url, None, {}, {"Authorization": f"Bearer {TOKEN}"}))
    assert names == ["add_url", "article", "ask", "find", "list_documents", "rebuild", "remove", "status"]


def test_mcp_write_tools_work_behind_the_login(guarded: Running, site: str):
    """An agent with the token removes an article and rebuilds, over MCP (a login once shut
    Gradio's own client out of the write tools); a refused link comes back as a tool error."""
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    before = sorted(p.name for p in guarded.corpus_dir.iterdir())
    doc = guarded.engine.status().docs[0]
    kept = {p.name: p.read_bytes() for p in guarded.corpus_dir.iterdir() if p.name.startswith(doc)}
    _, result = asyncio.run(mcp_call(guarded.url, "remove", {"doc": doc}, bearer))
    assert not result.isError and result.content[0].text.startswith(f"Removed {doc}")
    assert doc not in guarded.engine.status().docs and not (guarded.corpus_dir / doc).exists()
    for name, data in kept.items():  # Put it back in the folder: `rebuild` indexes it again.
        (guarded.corpus_dir / name).write_bytes(data)
    _, result = asyncio.run(mcp_call(guarded.url, "rebuild", {}, bearer))
    assert not result.isError and result.content[0].text.startswith("Rebuilt")
    assert doc in guarded.engine.status().docs
    assert sorted(p.name for p in guarded.corpus_dir.iterdir()) == before
    _, result = asyncio.run(mcp_call(guarded.url, "add_url", {"urls": site + "/news/ferry.html"}, bearer))
    assert result.isError and "127.0.0.1" in result.content[0].text  # The web app fetches public hosts only.
    _, result = asyncio.run(mcp_call(guarded.url, "remove", {"doc": "no-such.txt"}, bearer))
    assert result.isError and "no-such.txt" in result.content[0].text


# -- one login everywhere ----------------------------------------------------------------------


def test_every_door_refuses_without_credentials(guarded: Running):
    assert httpx.get(guarded.url + "config").status_code == 401  # The page's configuration.
    with pytest.raises(Exception):  # noqa: B017 -- gradio_client raises a plain error on 401
        Client(guarded.url, verbose=False)
    for path, method in (("ask", "POST"), ("status", "GET"), ("documents", "GET"), ("rebuild", "POST")):
        response = api(guarded, method, path, json={"question": SEED_QUESTION})
        assert response.status_code == 401 and "error" in response.json(), path
    wrong = base64.b64encode(f"{USER}:wrong".encode()).decode()
    for header in (f"Basic {wrong}", "Bearer nope", ""):
        assert api(guarded, "GET", "status", headers={"Authorization": header}).status_code == 401
    with pytest.raises(Exception):  # noqa: B017 -- the MCP client raises on a 401
        asyncio.run(mcp_call(guarded.url, None, {}))
    assert httpx.get(guarded.url + "gradio_api/mcp/").status_code == 401


def test_every_door_opens_with_credentials(guarded: Running):
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for header in (f"Basic {basic}", f"Bearer {TOKEN}"):
        response = api(guarded, "POST", "ask", json={"question": SEED_QUESTION}, headers={"Authorization": header})
        assert response.status_code == 200 and response.json()["quotes"]
    _, result = asyncio.run(mcp_call(guarded.url, "status", {}, {"Authorization": f"Basic {basic}"}))
    assert json.loads(result.content[0].text)["documents"] == 5
    assert Client(guarded.url, auth=(USER, PASSWORD), verbose=False).predict(api_name="/status")["documents"] == 5


def test_every_error_of_the_package_has_its_own_status():
    import rag
    from ui.rest import STATUS_BY_ERROR, http_status

    errors = {e for e in map(rag.__dict__.get, rag.__all__) if isinstance(e, type) and issubclass(e, rag.RagError)}
    assert {cls for cls, _ in STATUS_BY_ERROR} == errors  # A new error must be given a status.
    assert http_status(rag.DocumentNotFoundError("x")) == 404 and http_status(rag.CorpusError("x")) == 400
