"""The ``rag`` command line, run as a user runs it: the installed console script, real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag import Settings
from rag.embed.onnx import OnnxEmbedder

RAG = [sys.executable, "-m", "rag.cli"]


def run(args: list[str], settings: Settings, stdin: str | None = None, env: dict[str, str] | None = None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*RAG, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=full_env,
        cwd=settings.corpus_dir.parent,
    )


def folders(settings: Settings) -> list[str]:
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from .conftest import copy_seed_corpus

    root = tmp_path_factory.mktemp("cli")
    settings = Settings().with_dirs(copy_seed_corpus(root / "corpus"), root / "index")
    result = run(["build", "--json", *folders(settings)], settings)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["added"]) == 5 and report["written"]
    return settings


def test_ask_json_contract(built: Settings):
    result = run(
        ["ask", "Who is expected to serve as secretary of state?", "--json", "--k", "4", *folders(built)], built
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
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
    assert answer["abstained"] is False and 1 <= len(answer["quotes"]) <= 4
    assert answer["status"] == "answered" and 0.5 <= answer["confidence"] <= 1
    assert answer["missing"] == [] and answer["missing_detail"] == []  # Nothing missing from an answer.
    for quote in answer["quotes"]:
        assert quote["page"] is None  # Not a PDF.
        assert set(quote) == {"n", "text", "doc", "title", "start", "end", "page", "score", "date", "dates"}
        text = (built.corpus_dir / quote["doc"]).read_text(encoding="utf-8")
        assert text[quote["start"] : quote["end"]] == quote["text"]
    for passage in answer["passages"]:
        assert set(passage) == {"n", "doc", "title", "url", "page", "text", "start", "end", "quote_spans"}
        for s, e in passage["quote_spans"]:
            assert passage["text"][s:e] in {q["text"] for q in answer["quotes"]}


def test_ask_reads_questions_from_stdin_one_json_per_line(built: Settings):
    questions = "Who is Terrence Matsuo?\n\nHow do I bake sourdough bread?\n   \n\x01\n"
    result = run(["ask", "--k", "2", *folders(built)], built, stdin=questions)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == ["Who is Terrence Matsuo?", "How do I bake sourdough bread?", "\x01"]
    assert lines[0]["abstained"] is False and "Matsuo" in lines[0]["quotes"][0]["text"]
    assert lines[1]["abstained"] is True and lines[1]["quotes"] == [] and lines[1]["status"] == "abstained"
    assert "error" in lines[2]


def test_text_output_has_numbered_citations(built: Settings):
    result = run(["ask", "Who is Terrence Matsuo?", *folders(built)], built)
    assert result.returncode == 0
    assert "[1]" in result.stdout and "001_e9bcd94228df86bd.txt" in result.stdout


def test_status_and_env_defaults(built: Settings, embedder: OnnxEmbedder):
    env = {"RAG_CORPUS_DIR": str(built.corpus_dir), "RAG_INDEX_DIR": str(built.index_dir)}
    result = run(["status", "--json"], built, env=env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["documents"] == 5 and status["sentences"] > 100
    assert status["model"] == embedder.name  # The model and the encoder's precision.


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "question is empty"),
        (["remove", "nope.txt"], "not in the corpus"),
        (["remove", "../outside.txt"], "not inside the corpus"),
    ],
)
def test_user_mistakes_are_one_line_errors(built: Settings, args: list[str], message: str):
    result = run([*args, *folders(built)], built)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1


def test_missing_index_names_the_fix(tmp_path: Path):
    """Asking and showing the status of a missing index fail alike: exit status 1, one line naming the fix."""
    settings = Settings().with_dirs(tmp_path / "corpus", tmp_path / "index")
    results = [
        run([*args, *folders(settings)], settings) for args in (["ask", "anything?"], ["status"], ["status", "--json"])
    ]
    assert [r.returncode for r in results] == [1, 1, 1]
    (line,) = results[0].stderr.splitlines()
    assert line.startswith("error: no index in") and "rag build" in line
    assert all(r.stderr == results[0].stderr and r.stdout == "" for r in results)


def test_add_and_remove(built: Settings, tmp_path: Path):
    article = tmp_path / "fisheries.md"
    article.write_text(
        "# Fisheries deal\n\nJapan and Korea signed a fisheries pact covering the East Sea squid catch.\n",
        encoding="utf-8",
    )
    result = run(["add", str(article), "--json", *folders(built)], built)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == ["fisheries.md"] and report["embedded"] == 2
    again = run(["add", str(article), *folders(built)], built)
    assert again.returncode == 1 and "already in the corpus" in again.stderr
    answer = json.loads(run(["ask", "What did the fisheries pact cover?", "--json", *folders(built)], built).stdout)
    assert answer["quotes"][0]["doc"] == "fisheries.md"
    result = run(["remove", "fisheries.md", "--json", *folders(built)], built)
    assert json.loads(result.stdout)["removed"] == ["fisheries.md"]
    assert (built.index_dir / ".trash" / "fisheries.md").read_text(encoding="utf-8") == article.read_text(
        encoding="utf-8"
    )
    assert run(["restore", *folders(built)], built).stdout.splitlines() == ["fisheries.md"]

    # A slip is undone: the file comes back from the trash and is answerable again.
    result = run(["restore", "fisheries.md", "--json", *folders(built)], built)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == ["fisheries.md"]
    assert (built.corpus_dir / "fisheries.md").is_file()
    answer = json.loads(run(["ask", "What did the fisheries pact cover?", "--json", *folders(built)], built).stdout)
    assert answer["quotes"][0]["doc"] == "fisheries.md"
    missing = run(["restore", "fisheries.md", *folders(built)], built)
    assert missing.returncode == 1 and "not in the trash" in missing.stderr
    assert run(["restore", *folders(built)], built).stdout.strip() == "the trash is empty"
    run(["remove", "fisheries.md", "-q", *folders(built)], built)


def test_answer_text_says_status_and_confidence_and_names_unknowns(built: Settings, embedder):
    from rag import Engine, status_label

    question = "What did Trump's advisers tell Seoul and Tokyo?"
    answer = Engine(built, embedder).ask(question)
    result = run(["ask", question, *folders(built)], built)
    lines = result.stdout.splitlines()
    assert lines[1] == status_label(answer) and " · " in lines[1]  # "Answered · 0.83"
    assert any("publisher unknown" in line and "date unknown" in line for line in lines if line.startswith("["))
    abstained = run(["ask", "What is the recipe for banana bread?", *folders(built)], built)
    assert abstained.stdout.splitlines()[1] == "No answer in the articles"


def test_ask_format_markdown_is_the_packages_renderer(built: Settings, embedder):
    from rag import Engine, answer_markdown

    question = "Who is expected to serve as secretary of state?"
    result = run(["ask", question, "--format", "markdown", "--k", "2", *folders(built)], built)
    assert result.returncode == 0, result.stderr
    assert result.stdout == answer_markdown(Engine(built, embedder).ask(question, k=2))
    assert result.stdout.count("\n> ") >= 1 and "[^1]: " in result.stdout


def test_the_answer_reader_is_found_installed_or_in_the_source_tree(tmp_path: Path):
    """The shipped reader is found from a checkout, and an installed package carries it as
    rag/models/ (pyproject.toml maps models/ there); RAG_READER_DIR names another folder."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the project also supports 3.10

    from rag.config import default_reader_dir

    assert (default_reader_dir() / "reader.txt").is_file()
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    assert setuptools["package-dir"]["rag.models"] == "models"
    shipped = {"reader.txt", "reader.json", "cross_encoder.onnx", "cross_encoder.json", "cross_encoder_tokenizer.json"}
    assert shipped <= set(setuptools["package-data"]["rag.models"])
    assert all((default_reader_dir() / name).is_file() for name in shipped)
    assert Settings.from_env({"RAG_READER_DIR": str(tmp_path)}).retrieval.reader_dir == tmp_path
