"""Export models to ONNX, at fp32 or with int8 weights: the encoder's transformer
(:func:`export_model`) and the fine-tuned cross-encoder (:func:`export_cross_encoder`).

:func:`export_model` runs once per model, precision and cache folder, from
:meth:`rag.embed.onnx.OnnxEmbedder.ensure_exported`; :func:`export_cross_encoder` once per training
(``make train-cross-encoder``). The only code of the package that imports torch (and
transformers), both installed with sentence-transformers. Builds and questions afterwards need
only onnxruntime and tokenizers.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .spec import ModelSpec

__all__ = ["export_cross_encoder", "export_model"]

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _quantize(fp32: Path, dest: Path, *, reduce_range: bool) -> None:
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
            reduce_range=reduce_range,
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


def _sample(tokenizer_file: Path, texts: list[Any]) -> tuple[Any, ...]:
    """The tensors of :data:`INPUTS` for ``texts`` (texts or pairs), padded: what a model is traced with."""
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_padding()
    sample = tokenizer.encode_batch(texts)
    return tuple(
        torch.tensor([getattr(e, f) for e in sample], dtype=torch.int64) for f in ("ids", "attention_mask", "type_ids")
    )


def _trace(
    model: Any, take: Callable[[Any], Any], inputs: tuple[Any, ...], dest: Path, output: str, *, tokens: bool
) -> None:
    """Trace ``model`` (a transformers model called with :data:`INPUTS`) to ONNX at ``dest``, its
    output ``take(outputs)`` named ``output``; batch and token axes are dynamic (the output's token
    axis too where ``tokens``)."""
    import torch

    class _Output(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return take(self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids))

    axes = {n: {0: "batch", 1: "tokens"} for n in INPUTS}
    axes[output] = {0: "batch", 1: "tokens"} if tokens else {0: "batch"}
    with torch.inference_mode():
        torch.onnx.export(
            _Output(),
            inputs,
            str(dest),
            input_names=list(INPUTS),
            output_names=[output],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def export_model(spec: ModelSpec, dest: Path, precision: str) -> None:
    """Export the model's transformer to ``dest`` (an ONNX file) at ``precision``.

    Uses torch and transformers (installed with sentence-transformers), once per model, precision
    and cache folder; written to a temporary file and renamed, so concurrent exports (Ray actors)
    never leave a partial file."""
    try:
        import torch  # noqa: F401  (the tracer needs it: fail here, with the fix)
        from transformers import AutoModel
    except ImportError as err:
        raise ModelError(f"exporting the model to ONNX needs torch and transformers ({err})") from err
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
        sample = _sample(
            spec.transformer_dir / "tokenizer.json", ["an example sentence to trace the model with", "a short one"]
        )
        fp32 = Path(tmp) / "model.onnx"
        _trace(model, lambda out: out.last_hidden_state, sample, fp32, "last_hidden_state", tokens=True)
        out = fp32
        if precision != "fp32":
            out = Path(tmp) / "model-int8.onnx"
            _quantize(fp32, out, reduce_range=precision in ("avx2", "avx512"))
        optimized = Path(tmp) / "model-optimized.onnx"
        _optimize(out, optimized)
        os.replace(optimized, dest)


def export_cross_encoder(trained: Path, dest: Path, tokenizer_dest: Path) -> None:
    """Export a fine-tuned cross-encoder (a transformers folder with a one-logit head) to ``dest``
    with int8 weights, 7-bit (``reduce_range``) so every x86 CPU computes the same, and copy its
    tokenizer to ``tokenizer_dest``. Not optimised for one CPU: the file is committed."""
    import shutil

    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(trained), attn_implementation="eager").eval()
    inputs = _sample(trained / "tokenizer.json", [("a question?", "a sentence of an article."), ("another", "short")])
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".export-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # The tracer's notes on Python-level conditions (none matter here).
        fp32 = Path(tmp) / "fp32.onnx"
        _trace(model, lambda out: out.logits[:, 0], inputs, fp32, "score", tokens=False)
        _quantize(fp32, Path(tmp) / "int8.onnx", reduce_range=True)
        os.replace(Path(tmp) / "int8.onnx", dest)
    shutil.copyfile(trained / "tokenizer.json", tokenizer_dest)
