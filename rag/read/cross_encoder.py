"""The cross-encoder: reads the question and a candidate sentence together and scores whether the
sentence answers it. Part of the read stage (:mod:`rag.read.reader`): it rescores the reader's best few
candidates, the ones whose order decides the first quote.

The model is the bundled all-MiniLM-L6-v2 fine-tuned as a cross-encoder (one relevance logit per
pair) on the tuning part of the SQuAD evaluation set, exported to ONNX with int8 weights and
committed in ``models/`` (``make train-cross-encoder``; ``models/README.md`` says what data, what
licence and what it measured). It runs with onnxruntime and ``tokenizers`` only: no torch on the
question path.

Its score is not used alone: :func:`fuse` adds it to the reader's, scaled to the spread of the
reader's scores over the same candidates, so either can overrule a small lead of the other. And it
runs only when the reader's first two candidates are close (their score gap below ``below_gap``):
on the SQuAD tuning part, where the reader leads by more the cross-encoder almost never changes the
first quote, and two questions in three are settled without it.

It leans towards a lead-in that names the question's subject over the next sentence, which
answers; when it puts such a lead-in first where the reader had put the next sentence first
(:func:`lead_in_first`), the first quote holds both.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..embed.onnx import one_thread_session
from ..errors import ModelError

__all__ = ["CrossEncoder", "fuse", "lead_in_first", "needed", "rescore"]

CONFIG = "cross_encoder.json"


def needed(scores: np.ndarray, below_gap: float) -> bool:
    """Whether the reader's ``scores`` leave the first place open: its best two are closer than
    ``below_gap``."""
    if len(scores) < 2:
        return False
    best = np.partition(-scores, 1)[:2]
    return float(best[1] - best[0]) < below_gap


def fuse(scores: np.ndarray, cross: np.ndarray, weight: float, floor: float) -> np.ndarray:
    """The reader's ``scores`` of some candidates plus ``weight`` times their cross-encoder scores
    ``cross``, each standardised over these candidates and put on the reader's scale: the result
    keeps the reader's mean and ``weight`` sets how much the cross-encoder moves it. ``floor`` is
    the least spread of cross-encoder scores that counts as a full one (candidates it scores
    within a fraction of a logit of each other are not pulled apart)."""
    if len(scores) < 2:
        return scores.astype(np.float64)
    spread = float(np.std(scores))
    z = (cross - cross.mean()) / max(float(np.std(cross)), floor)
    return scores + weight * spread * z


def lead_in_first(ids: np.ndarray, own: np.ndarray, fused: np.ndarray, has_next: np.ndarray) -> bool:
    """Whether the fused scores put first the sentence just before the one the reader's ``own``
    scores put first, in the same passage (``has_next``: each sentence has a next one in its
    passage). ``ids`` are the candidates' sentence ids, in the order of all three arrays."""
    if len(ids) == 0:
        return False
    first = int(np.argmax(fused))
    return bool(has_next[first]) and int(ids[int(np.argmax(own))]) == int(ids[first]) + 1


def rescore(
    scores: np.ndarray,
    question: str,
    text_of: Callable[[int], str],
    pair_scores: Callable[[str, list[str]], np.ndarray],
    *,
    top: int,
    weight: float,
    floor: float,
    below_gap: float,
) -> np.ndarray:
    """The reader's ``scores`` of its candidates, with its best ``top`` fused (:func:`fuse`) with
    ``pair_scores(question, their texts)`` when the first place is open (:func:`needed`); the
    others unchanged. ``text_of(row)`` is the text of candidate ``row``. One rule for serving
    (:meth:`CrossEncoder.rescore`) and for choosing ``top``, ``weight`` and ``below_gap``."""
    if not needed(scores, below_gap):
        return scores
    head = np.argsort(-scores, kind="stable")[:top]
    out = scores.astype(np.float64)
    out[head] = fuse(scores[head], pair_scores(question, [text_of(int(r)) for r in head]), weight, floor)
    return out


class CrossEncoder:
    """The committed cross-encoder of a reader folder, loaded on first use (``cross_encoder.json``
    names the ONNX file, its tokenizer and how its scores are fused)."""

    def __init__(self, folder: Path) -> None:
        path = folder / CONFIG
        try:
            params = json.loads(path.read_text(encoding="utf-8"))
            self.model_path = folder / params["model"]
            self.tokenizer_path = folder / params["tokenizer"]
            self.top = int(params["top"])
            self.weight = float(params["weight"])
            self.floor = float(params["spread_floor"])
            self.below_gap = float(params["below_gap"])
            self.max_length = int(params["max_length"])
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(
                f"cannot read the cross-encoder's settings {path} ({err}); restore models/ from git "
                "or retrain it with `make train-cross-encoder`"
            ) from err
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None
        self._pool: ThreadPoolExecutor | None = None

    def _load(self) -> tuple[Any, Any]:
        """The onnxruntime session (one thread per call: the pairs of a question run in parallel,
        one per core) and the tokenizer, loaded once."""
        with self._lock:
            if self._loaded is None:
                from tokenizers import Tokenizer

                fix = "restore models/ from git or retrain the cross-encoder with `make train-cross-encoder`"
                session = one_thread_session(self.model_path, fix, "the cross-encoder ")
                try:
                    tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
                except Exception as err:  # tokenizers raises its own exception type
                    raise ModelError(
                        f"cannot load the cross-encoder's tokenizer {self.tokenizer_path} ({err}): {fix}"
                    ) from err
                tokenizer.enable_truncation(self.max_length)
                tokenizer.no_padding()
                self._loaded = (session, tokenizer)
                workers = min(self.top, os.cpu_count() or 1)
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="rag-cross") if workers > 1 else None
            return self._loaded

    def rescore(self, question: str, scores: np.ndarray, text_of: Callable[[int], str]) -> np.ndarray:
        """:func:`rescore` with this model and its settings."""
        return rescore(
            scores,
            question,
            text_of,
            self.scores,
            top=self.top,
            weight=self.weight,
            floor=self.floor,
            below_gap=self.below_gap,
        )

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One relevance logit per sentence (higher: more likely to answer ``question``). Each
        pair runs alone, unpadded, so a sentence's score never depends on the others'."""
        session, tokenizer = self._load()

        def run(encoding: Any) -> float:
            ids = np.asarray([encoding.ids], dtype=np.int64)
            feeds = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
            }
            return float(session.run(None, feeds)[0][0])

        encodings = tokenizer.encode_batch([(question, s) for s in sentences])
        pool = self._pool if len(encodings) > 1 else None
        return np.array(list(pool.map(run, encodings) if pool else map(run, encodings)), dtype=np.float64)
