"""Faults during builds: killed builds, failed writes, two builds at once, readers during a rebuild.

Every test here works on the real write path; the killed builds run the real model in a subprocess
(``tests/build_driver.py``) and are SIGKILLed at a chosen point of the build.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rag import Engine, Settings
from rag.embed.onnx import OnnxEmbedder
from rag.errors import IndexLockedError, RagError
from rag.index import IndexLock, StoredIndex, current_generation
from rag.index import writer as index_module
from rag.quote import answer_from_reading
from rag.read.reader import Reading
from rag.retrieve import retrieve

from .conftest import copy_collection, copy_seed_corpus
from .fakes import FakeEmbedder
from .index.test_build import NEW_ARTICLE

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Who is expected to serve as secretary of state?",
    "What did JD Vance say at the Munich Security Conference?",
    "Where did the foreign ministers meet to discuss shipbuilding?",
]
BUSAN_QUESTION = QUESTIONS[2]
HELD_OUT = "004_90e34d0e3a6c28e6.txt"


def answers(engine: Engine) -> list[dict[str, Any]]:
    return [engine.ask(q, k=4).to_dict() for q in QUESTIONS]


def without_scores(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer with its scores and confidence left out: vectors of the same text encoded in
    another batch may differ in the last bits, and the confidence reads the whole corpus's term
    statistics (another article changes it); neither must count as a different answer."""
    quotes = [{k: v for k, v in q.items() if k != "score"} for q in answer["quotes"]]
    return {**{k: v for k, v in answer.items() if k != "confidence"}, "quotes": quotes}


def folders(settings: Settings) -> list[str]:
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


def leftovers(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if ".tmp" in p.name)


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("gen-*") if ".tmp" not in p.name)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder) -> dict[str, Any]:
    """The seed articles indexed with the real model in two generations, and their answers."""
    root = tmp_path_factory.mktemp("faults")
    settings = Settings().with_dirs(copy_seed_corpus(root / "corpus"), root / "index")
    held = root / HELD_OUT
    shutil.move(settings.corpus_dir / HELD_OUT, held)
    engine = Engine(settings, embedder)
    engine.build()
    shutil.move(held, settings.corpus_dir / HELD_OUT)
    engine.build()
    assert generations(settings.index_dir) == ["gen-000001", "gen-000002"]
    return {"settings": settings, "answers": answers(engine)}


@pytest.fixture
def copy(base: dict[str, Any], tmp_path: Path) -> Settings:
    """A private copy of the base corpus and index, with one new article added to the corpus."""
    settings: Settings = base["settings"]
    copied = copy_collection(settings, tmp_path)
    (copied.corpus_dir / "busan.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return copied


def start_driver(settings: Settings, point: str, marker: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    args = [str(settings.corpus_dir), str(settings.index_dir), point, str(marker), *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "tests.build_driver", *args], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )


def wait_for(marker: Path, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the build ended before the kill point: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the build never reached the kill point")
        time.sleep(0.1)
    assert marker.read_text() == str(proc.pid)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "extra"), [("embedding", ("--rebuild",)), ("files", ()), ("swap", ()), ("cleanup", ())]
)
def test_build_killed_at_any_stage_leaves_a_working_index(
    copy: Settings,
    base: dict[str, Any],
    embedder: OnnxEmbedder,
    tmp_path: Path,
    point: str,
    extra: tuple[str, ...],
):
    marker = tmp_path / "reached"
    proc = start_driver(copy, point, marker, *extra)
    try:
        wait_for(marker, proc)
        if point == "embedding":
            # While the build holds the lock, a second build is refused with a clear message.
            with pytest.raises(IndexLockedError, match=f"another build \\(pid {proc.pid}\\) is updating"):
                Engine(copy, embedder).build()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    if point == "files":
        assert leftovers(copy.index_dir), "the kill came mid-write, with an unfinished generation on disk"
    if point == "swap":
        assert "gen-000003" in generations(copy.index_dir)
    killed_after_swap = point == "cleanup"
    assert current_generation(copy.index_dir) == copy.index_dir / ("gen-000003" if killed_after_swap else "gen-000002")

    after_kill = answers(Engine(copy, embedder))
    if killed_after_swap:
        # The new generation is live and complete: it answers the new question from the new article.
        assert after_kill[2]["quotes"][0]["doc"] == "busan.txt"
        assert [without_scores(a) for a in after_kill[:2]] == [without_scores(a) for a in base["answers"][:2]]
    else:
        assert after_kill == base["answers"], "the previous index answers exactly as before the killed build"

    # The next build finishes the work and leaves no unfinished files behind.
    engine = Engine(copy, embedder)
    report = engine.build()
    assert report.full_rebuild is None
    assert report.added == (() if killed_after_swap else ("busan.txt",))
    assert leftovers(copy.index_dir) == []
    final = answers(engine)
    assert final[2]["quotes"][0]["doc"] == "busan.txt"
    assert [without_scores(a) for a in final[:2]] == [without_scores(a) for a in base["answers"][:2]]
    # The next build that writes also removes the generations the killed one left behind.
    os.remove(copy.corpus_dir / "busan.txt")
    assert engine.build().removed == ("busan.txt",)
    assert len(generations(copy.index_dir)) == 2


def test_second_build_gets_a_clear_message_on_the_command_line(copy: Settings):
    with IndexLock(copy.index_dir):
        result = subprocess.run(
            [sys.executable, "-m", "rag.cli", "build", *folders(copy)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, "one line, no traceback"
    assert f"error: another build (pid {os.getpid()}) is updating {copy.index_dir}" in result.stderr
    assert "wait for it to finish" in result.stderr
    assert current_generation(copy.index_dir) == copy.index_dir / "gen-000002"


def test_failed_write_keeps_the_previous_index(copy: Settings, monkeypatch: pytest.MonkeyPatch):
    fake = FakeEmbedder()
    engine = Engine(copy, fake)
    engine.build(rebuild=True)
    before = answers(engine)
    live = current_generation(copy.index_dir)

    def disk_full(texts: Any, path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_module.lexical, "build_and_save", disk_full)
    (copy.corpus_dir / "more.txt").write_text("Another article about the alliance.\n", encoding="utf-8")
    with pytest.raises(RagError, match=r"No space left on device.*previous index is unchanged"):
        engine.build()
    assert current_generation(copy.index_dir) == live and leftovers(copy.index_dir) == []
    assert answers(Engine(copy, fake)) == before
    monkeypatch.undo()
    assert engine.build().added == ("more.txt",)


def test_interrupted_embedding_keeps_the_previous_index_and_releases_the_lock(copy: Settings):
    fake = FakeEmbedder()
    Engine(copy, fake).build(rebuild=True)
    before = answers(Engine(copy, fake))

    class Interrupted(FakeEmbedder):
        def encode(self, texts, progress=None):
            raise KeyboardInterrupt

    (copy.corpus_dir / "more.txt").write_text("Another article about the alliance.\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        Engine(copy, Interrupted()).build()
    assert answers(Engine(copy, fake)) == before
    assert Engine(copy, fake).build().added == ("more.txt",)  # The lock was released.


def test_reader_holding_an_old_generation_keeps_answering(copy: Settings):
    """A reader that opened a generation before two builds removed it still answers from it."""
    fake = FakeEmbedder()
    engine = Engine(copy, fake)
    engine.build(rebuild=True)
    held = StoredIndex(copy.index_dir)
    question = "Who is expected to serve as secretary of state?"
    vector = fake.encode([question])[0]
    rs = copy.retrieval
    expected = answer_from_reading(held, question, Reading.unread(retrieve(held, question, vector, rs)), 3, rs)
    os.remove(copy.corpus_dir / "busan.txt")
    engine.build()
    (copy.corpus_dir / "busan.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    engine.build()
    assert not held.path.exists(), "the generation the reader holds was removed from disk"
    held._texts.clear()  # Read the document texts again, from the removed database file.
    again = answer_from_reading(held, question, Reading.unread(retrieve(held, question, vector, rs)), 3, rs)
    assert again == expected and not again.abstained


def test_queries_keep_working_while_rebuilds_run(copy: Settings, embedder: OnnxEmbedder):
    """One thread asks in a loop while another builds repeatedly: every answer is the old index's or
    the new one's, never an error and never a mix."""
    builder = Engine(copy, embedder)
    builder.build()
    with_busan = without_scores(builder.ask(BUSAN_QUESTION).to_dict())
    os.remove(copy.corpus_dir / "busan.txt")
    builder.build()
    without_busan = without_scores(builder.ask(BUSAN_QUESTION).to_dict())
    assert with_busan != without_busan

    reader = Engine(copy, embedder)
    seen: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def ask_in_a_loop() -> None:
        while not done.is_set():
            try:
                seen.append(without_scores(reader.ask(BUSAN_QUESTION).to_dict()))
            except BaseException as err:  # Any error at all fails the test.
                errors.append(err)

    thread = threading.Thread(target=ask_in_a_loop)
    thread.start()
    try:
        for i in range(6):
            if i % 2 == 0:
                (copy.corpus_dir / "busan.txt").write_text(NEW_ARTICLE, encoding="utf-8")
            else:
                os.remove(copy.corpus_dir / "busan.txt")
            assert builder.build().written
            time.sleep(0.2)
    finally:
        done.set()
        thread.join(timeout=60)
    assert errors == []
    assert len(seen) > 6
    assert all(answer in (with_busan, without_busan) for answer in seen)
    assert with_busan in seen and without_busan in seen
