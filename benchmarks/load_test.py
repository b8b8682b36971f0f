"""Load test: concurrent clients asking through the Gradio API, on loopback only, bounded in time.

    python -m benchmarks.load_test                      # 20 clients, 60 s, seed corpus
    python -m benchmarks.load_test --clients 5 --seconds 10
    python -m benchmarks.load_test --engine-only --out benchmarks/results/engine_only.json

Starts the app (``ui.app.launch``, as ``rag serve`` does) in a separate process on 127.0.0.1 and a free port,
over the given corpus (default: the seed corpus, indexed into a temporary folder). Then N
``gradio_client`` clients ask questions through the ``/ask`` endpoint in a loop until the time is
up: answerable and off-topic questions, other scripts, and a few that must be refused (empty,
emoji only), whose clear refusal is counted apart from errors. Meanwhile the server's resident
memory is sampled every second. Prints a table and writes JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.corpora import RESULTS, ROOT
from rag.evaluate.squad import percentile

QUESTIONS = [
    "Who is expected to serve as secretary of state?",
    "Which meeting produced the first joint statement between Japan and South Korea in 17 years?",
    "What is the primary source of friction between Japan and South Korea?",
    "Where did the first U.S.-Japan-South Korea Industry Ministers’ Meeting take place?",
    "Who gave a speech that shocked European allies in Munich?",
    "What did Trump's advisers tell officials in Seoul and Tokyo?",
    "How do I bake sourdough bread?",
    "한국과 일본의 관계는?",
    "日米韓の協力はどうなるか",
    "Japan 🤝 Korea?",
    "What did Fleitz say about the alliance? " + "very " * 2000,
]
REFUSED = ["", "   ", "🤝🇯🇵🇰🇷"]  # Each must come back as a clear message (gr.Error), not an answer.


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(corpus: Path, index: Path, port: int) -> None:
    """The server process: build the index if needed, then serve the app on loopback."""
    from rag import Engine, Settings
    from ui.app import launch

    engine = Engine(Settings().with_dirs(corpus, index))
    engine.build()
    engine.ask(QUESTIONS[0])  # Load the model before the clients arrive.
    launch(engine, "127.0.0.1", port, block=True)  # The app exactly as `rag serve` runs it.


def engine_only(corpus: Path, seconds: float, out: Path) -> None:
    """The engine alone, in this process and one thread, asking in a loop: memory without the app."""
    from rag import Engine, QuestionError, Settings

    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        engine = Engine(Settings().with_dirs(corpus, Path(tmp) / "index"))
        engine.build()
        engine.ask(QUESTIONS[0])
        pool = QUESTIONS * 3 + REFUSED
        samples: list[list[float]] = []
        started = time.monotonic()
        asked = 0
        while time.monotonic() - started < seconds:
            try:
                engine.ask(pool[asked % len(pool)])
            except QuestionError:
                pass
            asked += 1
            if asked % 50 == 0:
                samples.append([round(time.monotonic() - started, 1), round(rss_mib(os.getpid()), 1)])
    result = {"mode": "engine-only", "questions": asked, "seconds": seconds, "rss_samples": samples}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    first, last = samples[0][1] if samples else None, samples[-1][1] if samples else None
    print(f"engine only: {asked} questions in {seconds:.0f} s; RSS {first} -> {last} MiB; written to {out}")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mib(pid: int) -> float:
    """Resident memory of the server process and its children."""
    total = rss_mib(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(tree_rss_mib(int(c)) for c in children)


def stop(proc: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Terminate a server process, killing it if it does not exit within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def server_command(module: str, port: int, corpus: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run ``module --serve`` on loopback (no login)."""
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    env.pop("RAG_AUTH", None)
    return [sys.executable, "-m", module, "--serve", "--port", str(port), "--corpus", str(corpus)], env


def wait_until_up(url: str, proc: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before serving (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer on {url} within {timeout:.0f} s")


def client_loop(url: str, seconds: float, offset: int, results: list[dict[str, Any]], start: threading.Barrier) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    start.wait()
    deadline = time.monotonic() + seconds
    i = offset
    pool = QUESTIONS * 3 + REFUSED
    while time.monotonic() < deadline:
        question = pool[i % len(pool)]
        i += 1
        t0 = time.perf_counter()
        outcome = "ok"
        detail = ""
        try:
            answer = client.predict(question, api_name="/ask")
            if not isinstance(answer, dict) or "abstained" not in answer:
                outcome, detail = "error", f"unexpected reply {str(answer)[:100]}"
            elif question in REFUSED:
                outcome, detail = "error", "an unanswerable question got an answer"
        except AppError as err:
            outcome = "refused" if question in REFUSED else "error"
            detail = str(err)[:200]
        except Exception as err:  # Anything else is an error to report, not a crash of the test.
            outcome, detail = "error", f"{type(err).__name__}: {str(err)[:200]}"
        results.append(
            {"t": time.monotonic(), "seconds": time.perf_counter() - t0, "outcome": outcome, "detail": detail}
        )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, help="Index folder (default: a temporary one, removed after).")
    parser.add_argument("--out", type=Path, default=RESULTS / "load_test.json")
    parser.add_argument(
        "--engine-only", action="store_true", help="Ask the engine directly in one thread, without the app."
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (1 <= args.clients <= 64 and 1 <= args.seconds <= 600):
        parser.error("keep it bounded: 1-64 clients, 1-600 seconds")

    if args.serve:
        serve(args.corpus.resolve(), args.index.resolve(), args.port)
        return
    if args.engine_only:
        engine_only(args.corpus.resolve(), args.seconds, args.out)
        return

    tmp = Path(tempfile.mkdtemp(prefix="rag-load-"))
    index = args.index or tmp / "index"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command, env = server_command("benchmarks.load_test", port, args.corpus)
    log_path = args.out.with_suffix(".server.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # Closed after the server stops.
    server = subprocess.Popen([*command, "--index", str(index)], env=env, cwd=ROOT, stdout=log, stderr=log)
    memory: list[tuple[float, float]] = []
    results: list[dict[str, Any]] = []
    try:
        try:
            wait_until_up(url, server, timeout=300)
        except RuntimeError as err:
            raise SystemExit(str(err)) from err
        baseline = tree_rss_mib(server.pid)
        barrier = threading.Barrier(args.clients + 1)
        threads = [
            threading.Thread(target=client_loop, args=(url, args.seconds, i * 7, results, barrier), daemon=True)
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        barrier.wait(timeout=300)
        started = time.monotonic()
        while any(t.is_alive() for t in threads):
            memory.append((time.monotonic() - started, tree_rss_mib(server.pid)))
            time.sleep(1.0)
            if time.monotonic() - started > args.seconds + 120:
                break  # A client is stuck: report what there is.
        elapsed = time.monotonic() - started
    finally:
        stop(server)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)

    served = [r for r in results if r["outcome"] != "error"]
    errors = [r for r in results if r["outcome"] == "error"]
    latencies = [r["seconds"] for r in results if r["outcome"] == "ok"]
    rss = [m for _, m in memory]
    quarter = max(1, len(rss) // 4)
    summary = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "answered": len(latencies),
        "refused_as_expected": len(served) - len(latencies),
        "errors": len(errors),
        "error_examples": sorted({e["detail"] for e in errors})[:5],
        "throughput_per_s": round(len(results) / elapsed, 2) if elapsed else None,
        "latency_p50_ms": round(1000 * percentile(latencies, 0.50), 1),
        "latency_p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "latency_max_ms": round(1000 * max(latencies), 1) if latencies else None,
        "server_rss_mib": {
            "before_load": round(baseline, 1),
            "first_quarter_mean": round(statistics.fmean(rss[:quarter]), 1) if rss else None,
            "last_quarter_mean": round(statistics.fmean(rss[-quarter:]), 1) if rss else None,
            "max": round(max(rss), 1) if rss else None,
        },
        "rss_samples": [[round(t, 1), round(m, 1)] for t, m in memory],
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1), encoding="utf-8")

    m = summary["server_rss_mib"]
    rows = [
        ("clients", summary["clients"]),
        ("duration (s)", summary["seconds"]),
        ("requests", summary["requests"]),
        ("answered", summary["answered"]),
        ("refused as expected", summary["refused_as_expected"]),
        ("errors", summary["errors"]),
        ("throughput (req/s)", summary["throughput_per_s"]),
        ("latency p50 (ms)", summary["latency_p50_ms"]),
        ("latency p95 (ms)", summary["latency_p95_ms"]),
        ("latency max (ms)", summary["latency_max_ms"]),
        ("server RSS before (MiB)", m["before_load"]),
        ("server RSS 1st quarter (MiB)", m["first_quarter_mean"]),
        ("server RSS last quarter (MiB)", m["last_quarter_mean"]),
        ("server RSS max (MiB)", m["max"]),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for example in summary["error_examples"]:
        print(f"error: {example}")
    print(f"written to {args.out} (server log: {log_path})")


if __name__ == "__main__":
    main()
