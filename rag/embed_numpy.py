"""Embed questions without torch: the same BERT encoder, run with numpy.

``rag ask`` embeds one question. Importing torch, transformers and sentence-transformers to do
that costs several seconds before the first answer, while the forward pass itself is a few
milliseconds of matrix products. This module runs that forward pass directly from the model
folder (``tokenizer.json`` with the ``tokenizers`` library, weights from ``model.safetensors``),
so a question is embedded in well under a second from a cold start.

It supports exactly the models it can reproduce: BERT encoders with absolute positions, GELU,
mean pooling and normalised output, which includes all-MiniLM-L6-v2. :func:`load` returns
``None`` for anything else and the caller keeps using sentence-transformers. Its vectors match
sentence-transformers' to float32 rounding (``tests/test_embed.py`` checks it on the real model).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NumpyBertEncoder", "load"]

_BLAS_LIMIT_LOCK = threading.Lock()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    """erf with fractional error below 1.2e-7 (Numerical Recipes' Chebyshev fit of erfc), so
    GELU matches torch's exact (erf-based) one to float32 rounding without importing scipy."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    c = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
         0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)  # fmt: skip
    poly = np.full_like(z, c[-1])
    for coef in reversed(c[:-1]):
        poly = poly * t + coef
    erfc = t * np.exp(-z * z + poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


class NumpyBertEncoder:
    """A BERT sentence encoder (mean pooling, unit-length output) as numpy matrix products."""

    def __init__(self, tokenizer: Any, weights: dict[str, np.ndarray], config: dict[str, Any], max_len: int) -> None:
        self._blas = _numpy_blas()
        self._tokenizer = tokenizer
        self._tokenizer.enable_truncation(max_len)
        self._tokenizer.no_padding()
        self._w = {k: v.astype(np.float32, copy=False) for k, v in weights.items()}
        self._layers = int(config["num_hidden_layers"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])

    def _encode_one(self, text: str) -> np.ndarray:
        w = self._w
        enc = self._tokenizer.encode(text)
        ids = np.asarray(enc.ids, dtype=np.int64)
        types = np.asarray(enc.type_ids, dtype=np.int64)
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        h, d = self._heads, self.dim // self._heads
        for i in range(self._layers):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = dense(x, "attention.self.query").reshape(n, h, d).transpose(1, 0, 2)
            k = dense(x, "attention.self.key").reshape(n, h, d).transpose(1, 0, 2)
            v = dense(x, "attention.self.value").reshape(n, h, d).transpose(1, 0, 2)
            att = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = _layer_norm(
                dense(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            y = dense(_gelu(dense(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(y + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self._eps)
        pooled = x.mean(0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # One question's matrices are small: one BLAS thread is as fast when the CPU is idle and
        # several times faster when other processes keep the cores busy (threads wait on each other).
        # threadpoolctl's limit is process-wide and restored on exit, so overlapping calls (the app
        # answers on several threads) would undo each other's limits: one limited section at a time.
        with _BLAS_LIMIT_LOCK, self._blas.limit(limits=1):
            for i, text in enumerate(texts):
                out[i] = self._encode_one(text)
        return out


def _numpy_blas() -> Any:
    """A threadpoolctl controller over numpy's own BLAS only (not FAISS's or torch's)."""
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    return controller.select(filepath=[lib.filepath for lib in controller.lib_controllers if "numpy" in lib.filepath])


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load(model_dir: str) -> NumpyBertEncoder | None:
    """The numpy encoder for the sentence-transformers folder ``model_dir``, or ``None`` when that
    model is not one it reproduces exactly (then use sentence-transformers)."""
    root = Path(model_dir)
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in _read_json(root / "modules.json")]
        config = _read_json(root / "config.json")
        pooling_dir = next(
            (root / m["path"] for m in _read_json(root / "modules.json") if m["type"].endswith("Pooling")), None
        )
        pooling = _read_json(pooling_dir / "config.json") if pooling_dir else {}
        st_config = _read_json(root / "sentence_bert_config.json")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    supported = (
        modules == ["Transformer", "Pooling", "Normalize"]
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
        and not st_config.get("do_lower_case", False)
        and (root / "tokenizer.json").is_file()
        and (root / "model.safetensors").is_file()
    )
    if not supported:
        return None
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    weights = load_file(str(root / "model.safetensors"))
    if any(k.startswith("bert.") for k in weights):
        weights = {k.removeprefix("bert."): v for k, v in weights.items()}
    if "embeddings.word_embeddings.weight" not in weights:
        return None
    max_len = min(int(st_config.get("max_seq_length", 512)), int(config.get("max_position_embeddings", 512)))
    return NumpyBertEncoder(Tokenizer.from_file(str(root / "tokenizer.json")), weights, config, max_len)
