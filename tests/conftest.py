from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag import Engine, Settings
from rag.embed.onnx import OnnxEmbedder
from rag.evaluate.probes import ReaderRows, reader_rows

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own corpus/index settings or reaches a model hub."""
    for var in ("RAG_CORPUS_DIR", "RAG_INDEX_DIR", "RAG_MODEL_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder() -> OnnxEmbedder:
    """The real all-MiniLM-L6-v2, loaded once for the whole run, at the precision
    ``RAG_ENCODER_PRECISION`` names, as the command line reads it (default: int8 for this CPU)."""
    return OnnxEmbedder(precision=Settings.from_env().encoder_precision)


def copy_seed_corpus(dest: Path) -> Path:
    shutil.copytree(SEED_CORPUS, dest)
    return dest


def copy_collection(settings: Settings, root: Path) -> Settings:
    """A private copy of a built collection (corpus and index) under ``root``; nothing is re-embedded."""
    copied = Settings().with_dirs(root / "corpus", root / "index")
    shutil.copytree(settings.corpus_dir, copied.corpus_dir)
    shutil.copytree(settings.index_dir, copied.index_dir, ignore=shutil.ignore_patterns(".lock"))
    return copied


def reader_view(engine: Engine, question: str) -> tuple[ReaderRows, np.ndarray, np.ndarray]:
    """What the answer reader of ``engine`` makes of ``question``: its rows (the best candidates in
    retrieval's order), its own scores of them, and those scores fused with the cross-encoder's."""
    index, reader = engine._live(), engine.reader()
    assert reader is not None
    rows = reader_rows(engine, question, engine.encode_question(question), top_n=reader.top_n)
    own = reader.scores(rows.x)
    return rows, own, reader.rescored(index, question, rows.ids, own)


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder) -> Iterator[Engine]:
    """The five seed articles, indexed once with the real model (read-only for tests)."""
    root = tmp_path_factory.mktemp("seed")
    settings = Settings().with_dirs(copy_seed_corpus(root / "corpus"), root / "index")
    engine = Engine(settings, embedder)
    engine.build()
    yield engine


def padded(engine: Engine) -> Engine:
    """``engine``'s collection with answers padded to ``k`` quotes (for tests of what holds for
    every quote, however far down)."""
    s = engine.settings
    return Engine(replace(s, retrieval=replace(s.retrieval, further_quotes="all")), engine.embedder)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local web site (see ``tests/website.py``); its base URL."""
    from .website import serving

    with serving(tmp_path_factory.mktemp("site")) as url:
        yield url


@pytest.fixture
def fresh_corpus(tmp_path: Path) -> Settings:
    """A private copy of the seed corpus and an empty index folder."""
    return Settings().with_dirs(copy_seed_corpus(tmp_path / "corpus"), tmp_path / "index")
