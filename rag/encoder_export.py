"""Export a sentence-transformers model's transformer to ONNX, at fp32 or with int8 weights.

Run once per model, precision and cache folder by :meth:`rag.encoder.OnnxEmbedder.ensure_exported`;
the only code of the package that imports torch (and transformers), both installed with
sentence-transformers. Builds and questions afterwards need only onnxruntime and tokenizers.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from .encoder import ModelSpec
from .errors import ModelError

__all__ = ["export_model"]


def _quantize(fp32: Path, dest: Path, precision: str) -> None:
    """int8 weights by onnxruntime's dynamic quantization: the MatMuls, per channel, signed weights,
    and the embedding tables (``Gather``): the file shrinks from 59 to 23 MB, and loading it (a
    cold `rag ask`) from 0.17 to 0.05 s.

    Without VNNI (AVX2, AVX-512F) x86 multiplies u8 x s8 pairs with a 16-bit saturating add, so
    the weights keep 7 bits there (``reduce_range``), as onnxruntime advises. Measured on AVX2
    (benchmarks/encoder.py): faster than unsigned weights, cosine to torch >= 0.98 per text."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # onnxruntime suggests a pre-processing step through the root logger.
    try:
        quantize_dynamic(
            fp32,
            dest,
            per_channel=True,
            reduce_range=precision in ("avx2", "avx512"),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gather"],
        )
    finally:
        root.setLevel(level)


def _optimize(source: Path, dest: Path) -> None:
    """Save the graph as onnxruntime optimises it when it loads (node fusions, constant folding),
    so every later load skips that work: a cold `rag ask` loads the encoder in about 0.14 s
    instead of 0.22 s. The "extended" level only: the "all" level adds layout changes that are
    specific to one CPU, and the cache may be shared by machines of one instruction set."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(dest)
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def export_model(spec: ModelSpec, dest: Path, precision: str) -> None:
    """Export the model's transformer to ``dest`` (an ONNX file) at ``precision``.

    Uses torch and transformers (installed with sentence-transformers), once per model, precision
    and cache folder; written to a temporary file and renamed, so concurrent exports (Ray actors)
    never leave a partial file."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as err:
        raise ModelError(f"exporting the model to ONNX needs torch and transformers ({err})") from err
    from tokenizers import Tokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".export-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # The tracer's notes on Python-level conditions (none matter here).
        try:
            model = AutoModel.from_pretrained(
                str(spec.transformer_dir), attn_implementation="eager", local_files_only=True
            )
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot load the model from {spec.transformer_dir}: {err}") from err
        model.eval()
        tokenizer = Tokenizer.from_file(str(spec.transformer_dir / "tokenizer.json"))
        tokenizer.enable_padding()
        sample = tokenizer.encode_batch(["an example sentence to trace the model with", "a short one"])
        ids = torch.tensor([e.ids for e in sample], dtype=torch.int64)
        mask = torch.tensor([e.attention_mask for e in sample], dtype=torch.int64)
        types = torch.tensor([e.type_ids for e in sample], dtype=torch.int64)

        class _Hidden(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return out.last_hidden_state

        fp32 = Path(tmp) / "model.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with torch.inference_mode():
            torch.onnx.export(
                _Hidden(),
                (ids, mask, types),
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        out = fp32
        if precision != "fp32":
            out = Path(tmp) / "model-int8.onnx"
            _quantize(fp32, out, precision)
        optimized = Path(tmp) / "model-optimized.onnx"
        _optimize(out, optimized)
        os.replace(optimized, dest)
