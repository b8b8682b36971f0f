"""``rag serve --watch`` as a user runs it: files dropped into or removed from the corpus folder are
answerable, or never quoted, without a restart; the page's document list and status follow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from gradio_client import Client

from rag import Engine

from ..conftest import copy_collection
from ..uiserver import free_port
from ..website import PAGES

QUESTION = "When will the joint company take over the ferries?"
LIMIT_S = 90.0
"""Generous: the target is 60 s on an idle machine; the test machine is shared."""


def _within(limit: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(1.0)
    return False


def _docs(client: Client) -> dict[str, str]:
    return {d["doc"]: d["state"] for d in client.predict(api_name="/list")}


def test_serve_watch_follows_the_corpus_folder(seed_engine: Engine, tmp_path: Path):
    settings = copy_collection(seed_engine.settings, tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    folders = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    server = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--watch", "--port", str(port), *folders],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}/"
    try:

        def up() -> bool:
            try:
                return httpx.get(url + "config", timeout=2).status_code == 200
            except httpx.HTTPError:
                return server.poll() is not None

        assert _within(180, up) and server.poll() is None, (tmp_path / "serve.log").read_text()
        client = Client(url, verbose=False)
        dropped = settings.corpus_dir / "ferry.html"
        shutil.copy(PAGES / "01-harbour-news.html", dropped)

        def answered() -> bool:
            quotes = client.predict(QUESTION, api_name="/ask")["quotes"]
            return bool(quotes) and quotes[0]["doc"] == "ferry.html"

        assert _within(LIMIT_S, answered), (tmp_path / "serve.log").read_text()
        assert _docs(client)["ferry.html"] == "indexed"
        assert "ferry.html" in client.predict(api_name="/status")["docs"]

        dropped.unlink()

        def forgotten() -> bool:
            return "ferry.html" not in client.predict(api_name="/status")["docs"]

        assert _within(LIMIT_S, forgotten), (tmp_path / "serve.log").read_text()
        assert all(q["doc"] != "ferry.html" for q in client.predict(QUESTION, api_name="/ask")["quotes"])
        assert "ferry.html" not in _docs(client)
        assert "1 added" in (tmp_path / "serve.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_rag_watch_builds_on_changes_and_prints_each_report(seed_engine: Engine, tmp_path: Path):
    settings = copy_collection(seed_engine.settings, tmp_path)
    log_path = tmp_path / "watch.log"
    log = log_path.open("w")
    folders = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    watcher = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "watch", *folders],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    try:
        assert _within(120, lambda: "watching" in log_path.read_text()), log_path.read_text()
        assert "index is up to date" in log_path.read_text()  # The first build found nothing to do.
        shutil.copy(PAGES / "01-harbour-news.html", settings.corpus_dir / "ferry.html")
        assert _within(LIMIT_S, lambda: "added: ferry.html" in log_path.read_text()), log_path.read_text()
        assert "ferry.html" in Engine(settings, seed_engine.embedder).status().docs
        (settings.corpus_dir / "ferry.html").unlink()
        assert _within(LIMIT_S, lambda: "removed: ferry.html" in log_path.read_text()), log_path.read_text()
        assert watcher.poll() is None and "Traceback" not in log_path.read_text()
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
        log.close()
