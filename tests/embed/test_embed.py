"""The ONNX encoder on the real model: against sentence-transformers (torch), determinism, batches,
truncation, its identity in the manifest, and a question path without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import Engine, Settings
from rag.embed.onnx import EXPORT_VERSION, OnnxEmbedder, cpu_precision, read_model_spec
from rag.errors import ModelError

from ..conftest import PROJECT_ROOT

TEXTS = [
    "Who is expected to serve as secretary of state?",
    "x",
    "Ünïcode — “curly quotes”, 東京 and an emoji 🙂, tabs\tand   spaces.",
    "What did Trump's advisers tell Seoul and Tokyo about the 2023 Camp David summit?",
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in "
    "France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway.",
    "Super Bowl 50 was an American football game to determine the champion of the National Football League.",
    "word " * 600,  # Longer than the model's 256 tokens: both must cut it the same way.
]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def reference(embedder: OnnxEmbedder) -> np.ndarray:
    """sentence-transformers on torch, the model's own code (imported by this test only)."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(embedder.model_dir(), device="cpu")
    return np.asarray(model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True))


@pytest.fixture(scope="module")
def fp32(embedder: OnnxEmbedder) -> OnnxEmbedder:
    return OnnxEmbedder(precision="fp32", cache_dir=embedder.cache_dir)


@pytest.fixture(scope="module")
def default(embedder: OnnxEmbedder) -> OnnxEmbedder:
    """The encoder at its default precision (int8 for this CPU), whatever precision the run's
    ``RAG_ENCODER_PRECISION`` gives the other tests."""
    return embedder if embedder.precision == cpu_precision() else OnnxEmbedder(cache_dir=embedder.cache_dir)


def test_fp32_matches_sentence_transformers(fp32: OnnxEmbedder, reference: np.ndarray):
    ours = fp32.encode(TEXTS)
    assert ours.shape == reference.shape == (len(TEXTS), 384)
    assert cosines(ours, reference).min() >= 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(ours[0] @ ours[1]) < 0.9  # Different texts stay different: not constant output.


def test_default_precision_matches_sentence_transformers(default: OnnxEmbedder, reference: np.ndarray):
    """int8 on CPUs with an int8 instruction set (this one: see ``default.precision``)."""
    assert default.precision == cpu_precision()
    ours = default.encode(TEXTS)
    sentences = [i for i, t in enumerate(TEXTS) if len(t.split()) > 3]
    assert cosines(ours[sentences], reference[sentences]).min() >= 0.98
    # A one-letter text is the worst case of int8 activation ranges: still far closer to its
    # own reference than to any other.
    assert cosines(ours, reference).min() >= 0.95
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (np.argmax(ours @ reference.T, axis=1) == np.arange(len(TEXTS))).all()


def test_deterministic_and_a_texts_vector_does_not_depend_on_its_company(default: OnnxEmbedder, fp32: OnnxEmbedder):
    """Texts run one per call (int8 activations are quantized per call), on several threads: a
    question's vector is bit for bit the one a build gives the same text, whatever else it encodes."""
    for enc in (default, fp32):
        many = TEXTS * 4  # Over LIGHT_MAX_TEXTS: the threaded path.
        batch = enc.encode(many)
        assert np.array_equal(batch, enc.encode(many)), "the same call gives the same bits"
        single = np.concatenate([enc.encode([t]) for t in TEXTS])
        assert np.array_equal(batch[: len(TEXTS)], single), enc.precision
        assert np.array_equal(batch[len(TEXTS) :], np.tile(single, (3, 1))), enc.precision


def test_long_texts_are_cut_at_the_models_max_seq_length(fp32: OnnxEmbedder):
    limit = fp32.spec.max_seq_length
    assert limit == 256  # sentence_bert_config.json of all-MiniLM-L6-v2
    words = [f"w{i}" for i in range(2000)]
    long = " ".join(words)
    vectors = fp32.encode([long, " ".join(words[:1000]), " ".join(words[:50])])
    assert float(vectors[0] @ vectors[1]) > 0.9999, "only the first max_seq_length tokens count"
    assert float(vectors[0] @ vectors[2]) < 0.99


def test_precision_is_part_of_the_models_identity(default: OnnxEmbedder, fp32: OnnxEmbedder, fresh_corpus: Settings):
    assert fp32.name != default.name and "fp32" in fp32.name
    # So is the export recipe: an index embedded by an older export is re-embedded, not mixed.
    assert f"export {EXPORT_VERSION}" in default.name and f"export {EXPORT_VERSION}" in fp32.name
    first = Engine(fresh_corpus, fp32).build()
    assert first.embedded > 0
    again = Engine(fresh_corpus, default).build()
    assert again.full_rebuild is not None and "model changed" in again.full_rebuild
    assert again.reused == 0 and again.embedded == first.embedded
    assert Engine(fresh_corpus, default).status().model == default.name


def test_unknown_precision_and_unsupported_models_are_refused(tmp_path: Path):
    with pytest.raises(ModelError, match="precision"):
        OnnxEmbedder(precision="int4")
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            ]
        )
    )
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True})
    )
    with pytest.raises(ModelError, match="pooling"):
        read_model_spec(tmp_path)
    with pytest.raises(ModelError, match=r"modules\.json"):
        read_model_spec(tmp_path / "missing")


def test_cpu_precision_follows_the_instruction_set():
    assert cpu_precision({"avx2", "avx512f", "avx512bw", "avx512_vnni"}, "x86_64") == "avx512_vnni"
    assert cpu_precision({"avx2", "avx512f", "avx512bw"}, "x86_64") == "avx512"
    assert cpu_precision({"avx2"}, "x86_64") == "avx2"
    assert cpu_precision({"sse4_2"}, "x86_64") == "fp32"
    assert cpu_precision(set(), "aarch64") == "arm64"


def test_rag_ask_does_not_import_torch_or_gradio(seed_engine: Engine, embedder: OnnxEmbedder):
    """A cold `rag ask` answers without importing torch, transformers, gradio, lightgbm and
    scikit-learn (the reader's trees are evaluated by rag.read.trees), or bm25s and scipy (the BM25
    arrays are read by rag.index.lexical), nor httpx (only fetching a URL needs it)."""
    script = (
        "import sys\n"
        "from rag.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'gradio', 'lightgbm', 'sklearn', "
        "'bm25s', 'scipy', 'httpx') "
        "if m in sys.modules)\n"
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
        env={
            "PYTHONPATH": str(PROJECT_ROOT),
            "PATH": "/usr/bin:/bin",
            "HF_HUB_OFFLINE": "1",
            "RAG_CACHE_DIR": str(embedder.cache_dir),
            "RAG_ENCODER_PRECISION": embedder.precision,  # The precision the seed index was built with.
        },
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
