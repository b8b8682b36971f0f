"""What a sentence-transformers folder says about running its model (:class:`ModelSpec`), read
once by the encoder (:mod:`rag.embed.onnx`) and by its one-time export (:mod:`rag.embed.export`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError

__all__ = ["ModelSpec", "read_model_spec"]

_POOLING_MODES = ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens")


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """What the sentence-transformers folder says about running its model."""

    root: Path
    transformer_dir: Path
    max_seq_length: int
    pooling: str
    """One of ``cls_token``, ``mean_tokens``, ``max_tokens``, ``mean_sqrt_len_tokens``."""
    do_lower_case: bool
    fingerprint: str
    """Changes when the weights file changes (its size and modification time)."""


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_model_spec(model_dir: str | Path) -> ModelSpec:
    """Read ``modules.json``, the transformer's and the pooling's configs; :class:`ModelError`
    naming the file when the folder is not a model this encoder runs."""
    root = Path(model_dir)
    modules_file = root / "modules.json"
    try:
        modules = _read_json(modules_file)
        kinds = {m["type"].rsplit(".", 1)[-1]: root / m.get("path", "") for m in modules}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelError(
            f"{modules_file} cannot be read ({err}): RAG_MODEL_PATH must name a sentence-transformers folder"
        ) from err
    unsupported = sorted(set(kinds) - {"Transformer", "Pooling", "Normalize"})
    if "Transformer" not in kinds or "Pooling" not in kinds or unsupported:
        raise ModelError(
            f"{modules_file} lists modules {sorted(kinds)}: this encoder runs Transformer, Pooling, Normalize"
        )
    transformer_dir = kinds["Transformer"]
    try:
        pooling_cfg = _read_json(kinds["Pooling"] / "config.json")
        st_cfg_file = transformer_dir / "sentence_bert_config.json"
        st_cfg = _read_json(st_cfg_file) if st_cfg_file.is_file() else {}
        config = _read_json(transformer_dir / "config.json")
    except (OSError, ValueError) as err:
        raise ModelError(f"the model folder {root} is incomplete ({err})") from err
    modes = [m for m in _POOLING_MODES if pooling_cfg.get(f"pooling_mode_{m}")]
    if len(modes) != 1:
        raise ModelError(
            f"{kinds['Pooling'] / 'config.json'} asks for pooling {modes or 'none'}: this encoder runs exactly one of "
            f"{', '.join(_POOLING_MODES)}"
        )
    if not (transformer_dir / "tokenizer.json").is_file():
        raise ModelError(f"{transformer_dir} has no tokenizer.json (a fast tokenizer file is needed)")
    weights = next(
        (transformer_dir / n for n in ("model.safetensors", "pytorch_model.bin") if (transformer_dir / n).is_file()),
        None,
    )
    if weights is None:
        raise ModelError(f"{transformer_dir} has no model.safetensors")
    stat = weights.stat()
    max_len = min(int(st_cfg.get("max_seq_length") or 512), int(config.get("max_position_embeddings", 512)))
    return ModelSpec(
        root=root,
        transformer_dir=transformer_dir,
        max_seq_length=max_len,
        pooling=modes[0],
        do_lower_case=bool(st_cfg.get("do_lower_case", False)),
        fingerprint=f"{stat.st_size}-{stat.st_mtime_ns}",
    )
