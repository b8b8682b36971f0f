"""What :mod:`benchmarks.run` reports besides its results: the table it prints (every section's
headline figures and their targets) and the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["machine", "table"]


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []

    def add(what: str, value: str, target: str = "") -> None:
        rows.append((what, value, target))

    if b := results.get("build"):
        add("build: documents / passages / sentences", f"{b['documents']} / {b['passages']} / {b['sentences']}")
        add(f"build: total ({results.get('encoder', '?')})", f"{b['build_s']:.1f} s", "")
        add("build: sentence-transformers (torch) encode of the same texts", f"{b['pure_encode_s']:.1f} s")
        add("build / torch encode", f"{b['build_over_encode']:.2f}x", "≤ 0.5x")
        add("build: sentences/s, passages/s", f"{b['sentences_per_s']:.0f}, {b['passages_per_s']:.0f}")
        add("build: texts/s (build vs torch)", f"{b['texts_per_s_build']:.0f} vs {b['texts_per_s_encode']:.0f}")
        add("build: texts embedded twice", f"{b['embedded_twice']} (of {b['texts_encoded']})", "0")
    if i := results.get("incremental"):
        add(
            f"add 1 document to {i['documents_before']}",
            f"{i['add_s']:.2f} s ({i['texts_encoded_by_add']} texts)",
        )
        add("  its own encoding / overhead", f"{i['own_encode_s']:.2f} s / {i['overhead_s']:.2f} s", "small constant")
        add("  add / full rebuild", f"{i['add_over_full']:.3f} ({i['full_build_s']:.1f} s full)")
    if lat := results.get("latency"):
        for name in ("seed", "squad"):
            r = lat[name]
            # Issue 10's yardstick for the whole ask (p50 ≤ 4x sentence-transformers' encoding of the
            # question, bundled corpus) is timed by benchmarks.quality_latency, which loads torch.
            add(
                f"ask p50 / p95, {name} index (warm)",
                f"{r['e2e_p50_ms']:.1f} / {r['e2e_p95_ms']:.1f} ms",
                "≤ 30 ms" if name == "seed" else "",
            )
            add(
                f"  encoder alone p50, {name}",
                f"{r['encode_p50_ms']:.1f} ms (ask / encoder {r['e2e_over_encode_p50']:.2f}x)",
                "≤ 4 ms",
            )
    if c := results.get("coldstart"):
        add("rag ask from a shell (median)", f"{c['rag_ask_s']:.2f} s", "≤ 1.0 s")
        add("  python start alone / rag status", f"{c['python_startup_s']:.2f} s / {c['rag_status_s']:.2f} s")
        add("  (avoided) torch + model load + encode", f"{c['torch_model_load_and_encode_s']:.2f} s")
        srv = c["serve"]
        if "first_answer_s" in srv:
            add("rag serve: HTTP up / first answer", f"{srv['http_up_s']:.1f} s / {srv['first_answer_s']:.1f} s")
        else:
            add("rag serve", srv.get("error", "?")[:70])
    if s := results.get("scale"):
        add(f"scale: {s['n']:,} vectors, index", s["index"])
        add("  build / index size", f"{s['build_s']:.1f} s / {s['index_bytes'] / 2**20:.0f} MiB", "≤ 1 GiB")
        add("  exact search p50 (float32 flat)", f"{s['exact_p50_ms']:.1f} ms")
        for r in s["nprobe"]:
            mark = " (default)" if r["default"] else ""
            add(
                f"  nprobe {r['nprobe']}{mark}: p50 / recall@10 / @100",
                f"{r['p50_ms']:.2f} ms / {r['recall@10']:.3f} / {r['recall@100']:.3f}",
                "≤ 20 ms, ≥ 0.95" if r["default"] else "",
            )
        for f in s.get("flat", []):
            add(f"  flat p50 at {f['n']:,}", f"{f['p50_ms']:.2f} ms")
    if p := results.get("peer"):
        if "error" in p:
            add("peer", p["error"][:70])
        else:
            o, q = p["ours"], p["peer"]
            add(f"peer ({p['questions']} SQuAD questions)", "ours | LangChain")
            add("  build", f"{o['build_s']:.1f} s | {q['build_s']:.1f} s")
            add(
                "  query p50 / p95",
                f"{o['p50_ms']:.1f} / {o['p95_ms']:.1f} ms | {q['p50_ms']:.1f} / {q['p95_ms']:.1f} ms",
            )
            add(
                "  passage R@1 / R@5",
                f"{o['passage']['R@1']:.3f} / {o['passage']['R@5']:.3f} | "
                f"{q['passage']['R@1']:.3f} / {q['passage']['R@5']:.3f}",
            )
            add("  sentence R@1 / R@5 (ours)", f"{o['sentence']['R@1']:.3f} / {o['sentence']['R@5']:.3f}")
    w1 = max(len(r[0]) for r in rows) if rows else 10
    w2 = max(len(r[1]) for r in rows) if rows else 10
    lines = [f"{'measure':<{w1}}  {'value':<{w2}}  target", "-" * (w1 + w2 + 12)]
    lines += [f"{a:<{w1}}  {b:<{w2}}  {c}".rstrip() for a, b, c in rows]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }
