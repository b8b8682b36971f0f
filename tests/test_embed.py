"""The numpy question encoder against sentence-transformers on the real model, and which path
the embedder takes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import Engine
from rag.embed import LIGHT_MAX_TEXTS, SentenceTransformerEmbedder
from rag.embed_numpy import load

from .conftest import PROJECT_ROOT

TEXTS = [
    "Who is expected to serve as secretary of state?",
    "x",
    "Ünïcode — “curly quotes”, 東京 and an emoji 🙂, tabs\tand   spaces.",
    "What did Trump's advisers tell Seoul and Tokyo about the 2023 Camp David summit?",
    "word " * 600,  # Longer than the model's 256 tokens: both must cut it the same way.
]


def test_numpy_encoder_matches_sentence_transformers(embedder: SentenceTransformerEmbedder):
    light = embedder.light
    assert light is not None, "the bundled all-MiniLM-L6-v2 is a model the numpy encoder reproduces"
    ours = light.encode(TEXTS)
    reference = embedder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert np.abs(ours - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    # Different texts stay different (the check above is not passing on constant output).
    assert float(ours[0] @ ours[1]) < 0.9


def test_small_inputs_use_the_numpy_encoder_and_batches_the_model(embedder: SentenceTransformerEmbedder):
    before = embedder.texts_encoded
    few = embedder.encode(TEXTS[:LIGHT_MAX_TEXTS])
    many = embedder.encode(TEXTS * 2)
    assert embedder.texts_encoded - before == LIGHT_MAX_TEXTS + 2 * len(TEXTS)
    assert np.abs(few - many[:LIGHT_MAX_TEXTS]).max() < 1e-5


def test_models_it_cannot_reproduce_fall_back(tmp_path: Path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
            ]
        )
    )
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_act": "gelu"}))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 256}))
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert load(str(tmp_path)) is None  # CLS pooling: not reproduced, sentence-transformers is used.
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "roberta", "hidden_act": "gelu"}))
    assert load(str(tmp_path)) is None
    assert load(str(tmp_path / "missing")) is None


def test_rag_ask_does_not_import_torch_or_gradio(seed_engine: Engine):
    """A cold `rag ask` answers without importing torch, transformers or gradio."""
    script = (
        "import sys\n"
        "from rag.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'gradio') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    s = seed_engine.settings
    args = ["ask", "Who is expected to serve as secretary of state?", "--json"]
    args += ["--corpus", str(s.corpus_dir), "--index", str(s.index_dir)]
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert "Marco Rubio" in answer["quotes"][0]["text"]
    assert "HEAVY []" in out.stderr


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_questions_are_refused_before_any_encoding(seed_engine: Engine, question: str):
    from rag.errors import QuestionError

    embedder = seed_engine.embedder
    before = embedder.texts_encoded  # type: ignore[attr-defined]
    with pytest.raises(QuestionError):
        seed_engine.ask(question)
    assert embedder.texts_encoded == before  # type: ignore[attr-defined]
