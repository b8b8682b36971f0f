"""The running app against hostile requests, over real HTTP: a file path the server never received,
malformed Word and PDF files, wrong argument types, k out of range, and password guessing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file

from rag import Engine

from .. import hostile
from ..uiserver import Running, private_app

AUTH = ("reader", "s3cret")
SECRET = "The vault combination is 31-47-5 and nobody may know it."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    with private_app(seed_engine, tmp_path_factory.mktemp("hostile")) as running:
        yield running


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, seed_engine: Engine) -> Iterator[Running]:
    with private_app(seed_engine, tmp_path_factory.mktemp("hostile-auth"), AUTH, api_token="t0ken") as running:
        yield running


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "server-secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def listing(server: Running) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(server.corpus_dir.rglob("*")) if p.is_file()}


def call(http: httpx.Client, url: str, api: str, data: list[Any]) -> tuple[str, str]:
    """Gradio's HTTP API, as curl would use it: POST the call, read its event stream; the last
    event's type and data."""
    posted = http.post(f"{url}gradio_api/call/{api}", json={"data": data})
    posted.raise_for_status()
    event, payload = "", ""
    with http.stream("GET", f"{url}gradio_api/call/{api}/{posted.json()['event_id']}", timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                payload = line.split(":", 1)[1].strip()
    return event, payload


def _server_path_upload(server: Running, http: httpx.Client, secret_file: Path) -> None:
    before = listing(server)
    for path in (str(secret_file), f"{secret_file.parent}/../{secret_file.parent.name}/{secret_file.name}"):
        file_data = {"path": path, "meta": {"_type": "gradio.FileData"}}
        event, payload = call(http, server.url, "upload", [[file_data], False])
        assert event == "error", payload
        assert listing(server) == before
        assert all(SECRET.encode() not in data for data in listing(server).values())
    assert http.get(f"{server.url}api/documents/{secret_file.name}").status_code in (401, 404)
    assert http.get(f"{server.url}gradio_api/file={secret_file}").status_code in (401, 403)  # Nor served.


def test_a_server_path_is_not_an_upload(server: Running, secret_file: Path):
    with httpx.Client(timeout=60) as http:
        _server_path_upload(server, http, secret_file)


def test_a_server_path_is_not_an_upload_when_signed_in(guarded: Running, secret_file: Path):
    with httpx.Client(timeout=60) as http:
        assert http.post(f"{guarded.url}login", data={"username": AUTH[0], "password": AUTH[1]}).status_code == 200
        _server_path_upload(guarded, http, secret_file)


def test_a_file_the_server_received_is_still_an_upload(server: Running, tmp_path: Path):
    """The check refuses what the server never received, not ordinary uploads."""
    path = tmp_path / "lumora.txt"
    path.write_text("The Lumora tidal bridge was designed by the engineer Katja Holm.\n", encoding="utf-8")
    client = Client(server.url, verbose=False)
    assert "Added lumora.txt" in client.predict([handle_file(path)], False, api_name="/upload")
    client.predict("lumora.txt", api_name="/remove")


MALFORMED = {
    "broken.docx": hostile.broken_xml_docx,
    "nested.docx": hostile.deeply_nested_docx,
    "bomb.docx": lambda: hostile.zip_bomb_docx(200 * 2**20),
    "inflates.pdf": hostile.pdf_bomb,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_upload_is_a_clear_400(server: Running, name: str):
    before = listing(server)
    data = MALFORMED[name]()
    response = httpx.post(f"{server.url}api/documents", files=[("files", (name, data))], timeout=120)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(f"{name}: ")
    assert listing(server) == before


def test_a_malformed_file_in_the_corpus_does_not_stop_a_rebuild(server: Running):
    bad = server.corpus_dir / "broken.docx"
    bad.write_bytes(hostile.broken_xml_docx())
    try:
        response = httpx.post(f"{server.url}api/rebuild", timeout=300)
        assert response.status_code == 200, response.text
        skipped = {s["doc"]: s["reason"] for s in response.json()["skipped"]}
        assert "XMLSyntaxError" in skipped["broken.docx"]
    finally:
        bad.unlink()


@pytest.mark.parametrize(
    ("api", "data", "message"),
    [
        ("article", ["001_e9bcd94228df86bd.txt", "abc", 10], "start must be a whole number"),
        ("article", ["001_e9bcd94228df86bd.txt", 0, [1]], "end must be a whole number"),
        ("mcp_ask", ["Who is expected to serve as secretary of state?", "", 10**9, False], "from 1 to 100"),
        ("mcp_ask", ["Who is expected to serve as secretary of state?", "", 0, False], "from 1 to 100"),
        ("mcp_article", [42], "not in the index"),
        ("mcp_remove", [["a", "b"]], "no document chosen"),
        ("mcp_add_url", [{"url": "x"}, False], "no link given"),
    ],
)
def test_wrong_argument_types_are_refused_without_a_traceback(
    server: Running, capfd: pytest.CaptureFixture[str], api: str, data: list[Any], message: str
):
    with httpx.Client(timeout=60) as http:
        event, payload = call(http, server.url, api, data)
    assert event == "error" and message in json.loads(payload)["error"], payload
    assert "Traceback" not in capfd.readouterr().err


def test_repeated_wrong_passwords_are_slowed_down_with_a_clear_message(guarded: Running):
    """After a few failed sign-ins a client must wait, on the page's login and on the REST API alike;
    the right password works again once the pause is over."""
    url = guarded.url
    with httpx.Client(timeout=30) as http:
        assert http.post(f"{url}login", data={"username": AUTH[0], "password": AUTH[1]}).status_code == 200
        answers = [http.post(f"{url}login", data={"username": "reader", "password": f"guess{i}"}) for i in range(5)]
        assert [a.status_code for a in answers] == [400] * 5
        throttled = http.post(f"{url}login", data={"username": AUTH[0], "password": AUTH[1]})
        assert throttled.status_code == 429 and "too many failed sign-ins" in throttled.json()["error"]
        assert int(throttled.headers["Retry-After"]) >= 1
        rest = http.get(f"{url}api/status", auth=AUTH)
        assert rest.status_code == 429  # The same client, another door.
        time.sleep(float(throttled.headers["Retry-After"]) + 0.2)
        assert http.post(f"{url}login", data={"username": AUTH[0], "password": AUTH[1]}).status_code == 200
        guesses = [http.get(f"{url}api/status", auth=("reader", f"guess{i}")).status_code for i in range(6)]
        assert guesses == [401] * 5 + [429]
        time.sleep(1.2)
        assert http.get(f"{url}api/status", headers={"Authorization": "Bearer t0ken"}).status_code == 200
