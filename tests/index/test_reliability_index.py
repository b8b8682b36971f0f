"""A damaged index is detected with a clear message naming the one command that fixes it, and that
command restores the same answers. Never a traceback, never a silently wrong answer."""

from __future__ import annotations

import json
import pickle
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rag import Engine, Settings
from rag.embed.onnx import OnnxEmbedder
from rag.errors import IndexCorruptError, IndexMissingError
from rag.index import FORMAT_VERSION, StoredIndex, current_generation

from ..conftest import copy_collection, copy_seed_corpus
from ..fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent.parent
QUESTIONS = [
    "Who is expected to serve as secretary of state?",
    "What is the primary source of friction between Japan and South Korea?",
]
DATA_FILES = [
    "meta.sqlite",
    "vectors.npy",
    "sentences.faiss",
    "passages.faiss",
    "lexical/params.index.json",
    "lexical/vocab.index.json",
    "lexical/tokenizer.json",
    "lexical/data.csc.index.npy",
    "lexical/indices.csc.index.npy",
    "lexical/indptr.csc.index.npy",
]


def answers(engine: Engine) -> list[dict[str, Any]]:
    return [engine.ask(q, k=4).to_dict() for q in QUESTIONS]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("pristine")
    settings = Settings().with_dirs(copy_seed_corpus(root / "corpus"), root / "index")
    engine = Engine(settings, FakeEmbedder())
    engine.build()
    return {"settings": settings, "answers": answers(engine)}


@pytest.fixture
def damaged(pristine: dict[str, Any], tmp_path: Path) -> Settings:
    """A private copy of the pristine corpus and index, to damage."""
    settings: Settings = pristine["settings"]
    return copy_collection(settings, tmp_path)


def live(settings: Settings) -> Path:
    gen = current_generation(settings.index_dir)
    assert gen is not None
    return gen


def fix_command(settings: Settings) -> str:
    return f"rag build --rebuild --corpus {settings.corpus_dir} --index {settings.index_dir}"


def assert_detected(settings: Settings, *fragments: str) -> IndexCorruptError:
    """Asking fails with one line that names what is wrong and the full rebuild command."""
    with pytest.raises(IndexCorruptError) as caught:
        Engine(settings, FakeEmbedder()).ask(QUESTIONS[0])
    message = str(caught.value)
    assert "\n" not in message and f"`{fix_command(settings)}`" in message
    for fragment in fragments:
        assert fragment in message
    return caught.value


def assert_fixed(settings: Settings, pristine: dict[str, Any]) -> None:
    engine = Engine(settings, FakeEmbedder())
    report = engine.build(rebuild=True)
    assert report.written and len(report.added) == 5
    assert answers(engine) == pristine["answers"]


def test_the_manifest_lists_every_file_with_size_and_checksum(damaged: Settings):
    manifest = json.loads((live(damaged) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert sorted(manifest["files"]) == sorted(DATA_FILES)
    on_disk = sorted(p.relative_to(live(damaged)).as_posix() for p in live(damaged).rglob("*") if p.is_file())
    assert on_disk == sorted([*DATA_FILES, "manifest.json"])
    for rel, entry in manifest["files"].items():
        assert entry["size"] == (live(damaged) / rel).stat().st_size
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
    assert StoredIndex(damaged.index_dir).verify() == sum(e["size"] for e in manifest["files"].values())


@pytest.mark.parametrize("name", DATA_FILES)
def test_truncated_file_is_detected_on_open(damaged: Settings, pristine: dict[str, Any], name: str):
    path = live(damaged) / name
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_detected(damaged, name, "truncated or modified")
    assert_fixed(damaged, pristine)


@pytest.mark.parametrize("name", [*DATA_FILES, "manifest.json"])
def test_missing_file_is_detected_on_open(damaged: Settings, pristine: dict[str, Any], name: str):
    (live(damaged) / name).unlink()
    assert_detected(damaged, name, "missing")
    assert_fixed(damaged, pristine)


@pytest.mark.parametrize("name", DATA_FILES)
def test_same_size_damage_is_caught_by_verify_and_repaired_by_the_next_build(
    damaged: Settings, pristine: dict[str, Any], name: str
):
    path = live(damaged) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # One flipped byte: same size, so only the checksum can tell.
    path.write_bytes(bytes(data))
    # Some damage already breaks the file's structure on open; the rest is caught by the checksum.
    with pytest.raises(IndexCorruptError, match=f"{re.escape(name.split('/')[0])}.*(damaged|checksum)") as caught:
        Engine(damaged, FakeEmbedder()).verify()
    assert f"`{fix_command(damaged)}`" in str(caught.value)
    # A plain build verifies the index it would reuse, sees the damage and rebuilds everything.
    engine = Engine(damaged, FakeEmbedder())
    report = engine.build()
    assert report.written and report.full_rebuild and "previous index could not be used" in report.full_rebuild
    assert name.split("/")[0] in report.full_rebuild
    assert answers(engine) == pristine["answers"]


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda m: {**m, "model": "other-model"}, ["built with the model other-model, not fake-bow"]),
        (lambda m: {**m, "format_version": 1}, ["format 1, this version reads"]),
        (lambda m: {k: v for k, v in m.items() if k != "counts"}, ["lacks or garbles counts"]),
        (lambda m: {**m, "dim": "384"}, ["lacks or garbles dim"]),
        (lambda m: {**m, "generation": "gen-000009"}, ["belongs to gen-000009"]),
        (lambda m: {**m, "files": {k: v for k, v in m["files"].items() if k != "vectors.npy"}}, ["does not list"]),
        (lambda m: {**m, "counts": {**m["counts"], "sentences": 3}}, ["inconsistent", "sentences: "]),
        (lambda m: [m], ["holds no manifest"]),
    ],
    ids=["other-model", "old-format", "no-counts", "bad-dim", "other-generation", "unlisted-file", "counts", "list"],
)
def test_manifest_problems_are_detected_on_open(damaged: Settings, pristine: dict[str, Any], edit, fragments):
    path = live(damaged) / "manifest.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")
    assert_detected(damaged, *fragments)
    assert_fixed(damaged, pristine)


def test_garbled_manifest_json(damaged: Settings, pristine: dict[str, Any]):
    (live(damaged) / "manifest.json").write_text('{"format_version": 2, "mod', encoding="utf-8")
    assert_detected(damaged, "manifest.json is unreadable")
    assert_fixed(damaged, pristine)


@pytest.mark.parametrize("content", [b"gen-000042\n", b"../../etc\n", b"", b"\x00\xff garbage"])
def test_current_pointing_nowhere_is_detected_and_rebuilt(damaged: Settings, pristine: dict[str, Any], content):
    (damaged.index_dir / "CURRENT").write_bytes(content)
    assert_detected(damaged)
    assert_fixed(damaged, pristine)


def test_swapped_tables_are_detected_on_open(damaged: Settings, pristine: dict[str, Any], tmp_path: Path):
    """A generation's database taken from another index with other counts is not used."""
    other = Settings().with_dirs(tmp_path / "other-corpus", tmp_path / "other-index")
    other.corpus_dir.mkdir()
    shutil.copy(damaged.corpus_dir / "001_e9bcd94228df86bd.txt", other.corpus_dir)
    Engine(other, FakeEmbedder()).build()
    shutil.copy(live(other) / "meta.sqlite", live(damaged) / "meta.sqlite")
    manifest_path = live(damaged) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"]["meta.sqlite"]["size"] = (live(damaged) / "meta.sqlite").stat().st_size
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    assert_detected(damaged, "inconsistent")
    assert_fixed(damaged, pristine)


def test_the_engine_refuses_an_index_of_another_model(damaged: Settings, pristine: dict[str, Any]):
    class Other(FakeEmbedder):
        name = "other-model"

    with pytest.raises(IndexCorruptError, match="built with the model fake-bow, not other-model"):
        Engine(damaged, Other()).ask(QUESTIONS[0])
    # Building with the new model re-embeds everything, without being asked to.
    report = Engine(damaged, Other()).build()
    assert report.full_rebuild and "model changed" in report.full_rebuild


def test_missing_index_names_the_build_command(tmp_path: Path):
    settings = Settings().with_dirs(tmp_path / "corpus", tmp_path / "index")
    with pytest.raises(IndexMissingError, match=re.escape(f"rag build --index {settings.index_dir}")):
        Engine(settings, FakeEmbedder()).ask(QUESTIONS[0])


def test_nothing_is_unpickled_when_opening_and_asking(damaged: Settings, monkeypatch: pytest.MonkeyPatch):
    """Index files and the model are read without pickle: any unpickling here fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("something tried to unpickle data")

    class RefusingUnpickler(pickle.Unpickler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            refuse()

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", RefusingUnpickler)
    assert not Engine(damaged, FakeEmbedder()).ask(QUESTIONS[0]).abstained
    vectors = OnnxEmbedder().encode([QUESTIONS[0]])  # Loads the model from disk again.
    assert vectors.shape == (1, 384)


def test_no_code_reads_pickles():
    sources = [*ROOT.glob("rag/**/*.py"), *ROOT.glob("ui/*.py")]
    assert sources
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(pickle|joblib|dill|cloudpickle)\b", text, re.M), path
        assert "allow_pickle=True" not in text and "torch.load" not in text, path


@pytest.mark.slow
def test_command_line_names_a_fix_that_works(tmp_path: Path, embedder: OnnxEmbedder):
    """On the command line, with the real model: a damaged index gives one line naming a
    command; running exactly that command brings back the same answers."""
    settings = Settings().with_dirs(copy_seed_corpus(tmp_path / "corpus"), tmp_path / "index")
    where = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]

    def rag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, timeout=600, cwd=ROOT
        )

    def quotes(answer: dict[str, Any]) -> list[tuple[str, str, int, int]]:
        return [(q["text"], q["doc"], q["start"], q["end"]) for q in answer["quotes"]]

    engine = Engine(settings, embedder)
    engine.build()
    before = answers(engine)
    verified = rag("status", "--verify", *where)
    assert verified.returncode == 0 and "every index file matches" in verified.stdout

    vectors = live(settings) / "vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-7] ^= 0x40
    vectors.write_bytes(bytes(data))
    damaged = rag("status", "--verify", *where)
    assert damaged.returncode == 1 and damaged.stderr.count("\n") == 1
    assert damaged.stderr.startswith("error: ") and "vectors.npy does not match its checksum" in damaged.stderr
    command = re.search(r"`(rag build --rebuild [^`]+)`", damaged.stderr)
    assert command is not None
    fixed = rag(*shlex.split(command.group(1))[1:], "-q")
    assert fixed.returncode == 0, fixed.stderr
    after = answers(Engine(settings, embedder))
    assert [quotes(a) for a in after] == [quotes(a) for a in before]
    assert [a["passages"] for a in after] == [a["passages"] for a in before]
