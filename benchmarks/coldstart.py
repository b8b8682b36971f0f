"""The benchmark's ``coldstart`` section (``python -m benchmarks.run --only coldstart``): ``rag ask``
and ``rag status`` from a shell, the slowest imports of ``rag ask``, and ``rag serve`` to its first
answer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks.corpora import ROOT, SEED_QUESTIONS
from benchmarks.load_test import free_port, stop, wait_until_up
from rag import Engine, Settings

__all__ = ["bench_coldstart"]


def _timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr[-500:]}")
    return time.perf_counter() - t, out.stderr


def _import_profile(cmd: list[str], env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level imports of ``cmd`` (``python -X importtime``), in seconds."""
    _, err = _timed_run([cmd[0], "-X", "importtime", *cmd[1:]], env)
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (p.strip() for p in line.split("|"))
            if cumulative.isdigit() and not name.startswith(" "):
                rows.append((name, int(cumulative) / 1e6))
    top_level = [(n, s) for n, s in rows if "." not in n]
    return sorted(top_level, key=lambda r: -r[1])[:top]


def bench_coldstart(ctx: dict[str, Any]) -> dict[str, Any]:
    s: Settings = ctx["seed_settings"]
    Engine(s, ctx["embedder"]).build()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    folders = ["--corpus", str(s.corpus_dir), "--index", str(s.index_dir)]
    py = sys.executable
    ask = [py, "-m", "rag.cli", "ask", SEED_QUESTIONS[0], *folders]
    runs = ctx["cold_runs"]
    ask_s = [_timed_run(ask, env)[0] for _ in range(runs)]
    status_s = [_timed_run([py, "-m", "rag.cli", "status", *folders], env)[0] for _ in range(runs)]
    python_s = [_timed_run([py, "-c", "pass"], env)[0] for _ in range(runs)]
    model_path = ctx["embedder"].model_dir()
    torch_path = (
        "from sentence_transformers import SentenceTransformer;"
        f"SentenceTransformer({model_path!r}, device='cpu').encode(['warm up'])"
    )
    torch_s = [_timed_run([py, "-c", torch_path], env)[0] for _ in range(runs)]
    return {
        "runs": runs,
        "python_startup_s": statistics.median(python_s),
        "rag_ask_s": statistics.median(ask_s),
        "rag_ask_all_s": ask_s,
        "rag_status_s": statistics.median(status_s),
        "torch_model_load_and_encode_s": statistics.median(torch_s),
        "rag_ask_imports_s": _import_profile(ask, env),
        "serve": _serve_first_answer(ctx, env, folders),
    }


def _serve_first_answer(ctx: dict[str, Any], env: dict[str, str], folders: list[str]) -> dict[str, Any]:
    """Seconds from starting ``rag serve`` to its HTTP server answering, and to its first answer."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", str(port), *folders],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = {}
    try:
        wait_until_up(url, proc, timeout=240)
        result["http_up_s"] = time.perf_counter() - t
        from gradio_client import Client

        client = Client(url, verbose=False)
        endpoint = (
            "/ask" if "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"] else None
        )
        if endpoint is None:
            result["error"] = "the app has no /ask endpoint"
            return result
        client.predict(SEED_QUESTIONS[0], api_name=endpoint)
        result["first_answer_s"] = time.perf_counter() - t
    except Exception as err:  # The UI is not this benchmark's subject: report, go on.
        result["error"] = f"{type(err).__name__}: {err}"
    finally:
        stop(proc, timeout=20)
    return result
