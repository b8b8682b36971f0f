"""The REST API under load, and its memory over a long run, on loopback only, bounded in time.

    python -m benchmarks.rest_load                       # targets: single client, 20 clients for 30 s
    python -m benchmarks.rest_load --soak                # 30 min at a steady load, server RSS every 10 s
    python -m benchmarks.rest_load --soak --minutes 10 --clients 4
    python -m benchmarks.rest_load --ask-threads 1       # the worker model, measured (see RELIABILITY.md)
    python -m benchmarks.rest_load --workers 2           # REST only, 2 processes (uvicorn workers)
    python -m benchmarks.rest_load --malloc-arenas 0     # without the malloc arena cap

The server runs as ``rag serve`` runs it (``ui.app.launch``: page, REST, MCP on one port) in a
process of its own on 127.0.0.1 and a free port, over the seed corpus indexed into a temporary
folder. ``--workers N`` instead serves only the REST routes from N uvicorn worker processes, each
with its own engine (the page and Gradio's queue cannot be shared across processes).

Targets (issue 13): single-client ``POST /api/ask`` p50 within 5 ms of ``Engine.ask`` on the same
questions (also shown per question: the median over questions of each one's REST time minus its
engine time, which the p50 of a mix of fast and slow questions can exaggerate either way); 20
concurrent clients for 30 s with 0 errors and a throughput at least 0.7x the engine's single-thread
rate measured in the same run; over the soak, RSS after warm-up grows by < 5 %.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from benchmarks.corpora import RESULTS, ROOT
from benchmarks.load_test import QUESTIONS, REFUSED, free_port, server_command, stop, tree_rss_mib, wait_until_up
from rag import ServeSettings, Settings
from rag.evaluate.squad import percentile

POOL = QUESTIONS * 3 + REFUSED  # The load test's mix: answerable, off-topic, other scripts, refused.


def server_settings(corpus: Path, index: Path, ask_threads: int, arenas: int) -> Settings:
    """The served engine's settings: the shipped ones with the serving settings under measurement."""
    return replace(
        Settings().with_dirs(corpus, index), serve=ServeSettings(ask_threads=ask_threads, malloc_arenas=arenas)
    )


def serve(corpus: Path, index: Path, port: int, ask_threads: int, arenas: int, workers: int) -> None:
    """The server process (``--serve``)."""
    from rag import Engine

    engine = Engine(server_settings(corpus, index, ask_threads, arenas))
    engine.build()
    engine.ask(QUESTIONS[0])  # Load the model before the clients arrive.
    if workers > 1:
        import uvicorn

        # The workers are new processes (spawned): the settings under measurement travel in the
        # environment and each worker builds the same ones from them.
        os.environ["RAG_BENCH_CORPUS"], os.environ["RAG_BENCH_INDEX"] = str(corpus), str(index)
        os.environ["RAG_BENCH_ASK_THREADS"], os.environ["RAG_BENCH_ARENAS"] = str(ask_threads), str(arenas)
        uvicorn.run(
            "benchmarks.rest_load:rest_only_app",
            factory=True,
            host="127.0.0.1",
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    from ui.app import launch

    launch(engine, "127.0.0.1", port, block=True)


def rest_only_app() -> Any:
    """One worker process of ``--workers N``: its own engine, the REST routes only."""
    from rag import Engine
    from ui.actions import Actions
    from ui.rest import create_api
    from ui.server import ask_pool, limit_malloc_arenas

    env = os.environ
    settings = server_settings(
        Path(env["RAG_BENCH_CORPUS"]),
        Path(env["RAG_BENCH_INDEX"]),
        int(env["RAG_BENCH_ASK_THREADS"]),
        int(env["RAG_BENCH_ARENAS"]),
    )
    limit_malloc_arenas(settings.serve.malloc_arenas)
    engine = Engine(settings)
    engine.ask(QUESTIONS[0])
    return create_api(Actions(engine, ask_pool(settings.serve.ask_threads)))


def engine_baseline(corpus: Path, index: Path, rounds: int) -> dict[str, Any]:
    """``Engine.ask`` in this process, one thread, on the pool's questions."""
    from rag import Engine, QuestionError, Settings

    engine = Engine(Settings().with_dirs(corpus, index))
    engine.ask(QUESTIONS[0])
    times: list[float] = []
    started = time.perf_counter()
    for i in range(rounds * len(POOL)):
        t0 = time.perf_counter()
        try:
            engine.ask(POOL[i % len(POOL)])
        except QuestionError:
            pass
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {"p50_ms": 1000 * percentile(times, 0.5), "rate_per_s": len(times) / elapsed, **by_question(times)}


def by_question(times: list[float]) -> dict[str, Any]:
    """Each question's median time (``times`` asked in the order of ``POOL``, round after round)."""
    per: dict[int, list[float]] = {}
    for i, t in enumerate(times):
        per.setdefault(i % len(POOL), []).append(t)
    return {"by_question_ms": [1000 * statistics.median(per[j]) for j in sorted(per)]}


def paired_overhead(engine: dict[str, Any], rest: dict[str, Any]) -> float:
    """The median over questions of (REST - engine), each the question's median time: the API's
    own cost, with the mix of fast and slow questions (the cross-encoder runs on some) taken out."""
    return statistics.median(r - e for r, e in zip(rest["by_question_ms"], engine["by_question_ms"]))


def ask(client: httpx.Client, url: str, question: str) -> str:
    """One request: "ok", "refused" (a 400 for a question that must be refused), or "error: ..."."""
    try:
        response = client.post(url + "api/ask", json={"question": question})
    except httpx.HTTPError as err:
        return f"error: {type(err).__name__}: {err}"
    if question in REFUSED:
        return "refused" if response.status_code == 400 and "error" in response.json() else "error: not refused"
    if response.status_code != 200 or "abstained" not in response.json():
        return f"error: HTTP {response.status_code} {response.text[:100]}"
    return "ok"


def single_client(url: str, rounds: int) -> dict[str, Any]:
    times: list[float] = []
    with httpx.Client(timeout=60) as client:
        ask(client, url, QUESTIONS[0])
        for i in range(rounds * len(POOL)):
            t0 = time.perf_counter()
            outcome = ask(client, url, POOL[i % len(POOL)])
            times.append(time.perf_counter() - t0)
            if outcome.startswith("error"):
                raise SystemExit(outcome)
    return {"p50_ms": 1000 * percentile(times, 0.5), **by_question(times)}


def concurrent_clients(url: str, clients: int, seconds: float, on_sample: Any = None) -> dict[str, Any]:
    results: list[tuple[float, str]] = []
    barrier = threading.Barrier(clients + 1)

    def loop(offset: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            deadline = time.monotonic() + seconds
            i = offset
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                outcome = ask(client, url, POOL[i % len(POOL)])
                results.append((time.perf_counter() - t0, outcome))
                i += 1

    threads = [threading.Thread(target=loop, args=(7 * i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    while any(t.is_alive() for t in threads):
        if on_sample is not None:
            on_sample(time.monotonic() - started)
        time.sleep(1)
        if time.monotonic() - started > seconds + 120:
            break
    elapsed = time.monotonic() - started
    latencies = [t for t, outcome in results if outcome == "ok"]
    errors = [outcome for _, outcome in results if outcome.startswith("error")]
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "refused_as_expected": sum(1 for _, o in results if o == "refused"),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "throughput_per_s": len(results) / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p95_ms": 1000 * percentile(latencies, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=None, help="Concurrent clients [20; 4 with --soak].")
    parser.add_argument("--seconds", type=float, default=30.0, help="Length of the concurrent part.")
    parser.add_argument("--rounds", type=int, default=4, help="Passes over the questions, single client and engine.")
    parser.add_argument("--soak", action="store_true", help="Steady load for --minutes, RSS every 10 s.")
    parser.add_argument("--minutes", type=float, default=30.0, help="Length of the soak.")
    parser.add_argument("--ask-threads", type=int, default=None, help="Threads answering /api/ask [ServeSettings'].")
    parser.add_argument("--malloc-arenas", type=int, default=None, help="glibc arenas; 0: no cap [ServeSettings'].")
    parser.add_argument("--workers", type=int, default=1, help="Processes serving the REST API only (>1).")
    parser.add_argument("--out", type=Path, default=RESULTS / "rest_load.json")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    shipped = ServeSettings()
    ask_threads = args.ask_threads or shipped.ask_threads
    arenas = shipped.malloc_arenas if args.malloc_arenas is None else args.malloc_arenas
    clients = args.clients or (4 if args.soak else 20)
    if not (1 <= clients <= 64 and 1 <= args.seconds <= 600 and 0.5 <= args.minutes <= 240 and 1 <= args.workers <= 8):
        parser.error("keep it bounded: 1-64 clients, 1-600 seconds, a soak of 0.5-240 minutes, 1-8 workers")
    if args.serve:
        serve(args.corpus.resolve(), args.index.resolve(), args.port, ask_threads, arenas, args.workers)
        return

    tmp = Path(tempfile.mkdtemp(prefix="rag-rest-load-"))
    index = tmp / "index"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command, env = server_command("benchmarks.rest_load", port, args.corpus)
    command += ["--index", str(index), "--ask-threads", str(ask_threads), "--malloc-arenas", str(arenas)]
    command += ["--workers", str(args.workers)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    log_path = args.out.with_suffix(".server.log")
    summary: dict[str, Any] = {
        "ask_threads": ask_threads,
        "malloc_arenas": arenas,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
    }
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            wait_until_up(url + "api/status", server, timeout=300)
            if args.soak:
                summary["soak"] = soak(url, server.pid, clients, args.minutes)
            else:
                summary["engine"] = engine_baseline(args.corpus.resolve(), index, args.rounds)
                summary["single_client"] = single_client(url, args.rounds)
                summary["concurrent"] = concurrent_clients(url, clients, args.seconds)
                summary["rss_mib_after"] = round(tree_rss_mib(server.pid), 1)
        finally:
            stop(server)
            shutil.rmtree(tmp, ignore_errors=True)
    summary["loadavg_at_end"] = os.getloadavg()
    summary["tracebacks_in_server_log"] = log_path.read_text(errors="replace").count("Traceback")
    args.out.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print_table(summary)
    print(f"written to {args.out} (server log: {log_path})")


def soak(url: str, pid: int, clients: int, minutes: float) -> dict[str, Any]:
    samples: list[tuple[float, float]] = []
    next_sample = [0.0]

    def sample(t: float) -> None:
        if t >= next_sample[0]:
            samples.append((round(t, 1), round(tree_rss_mib(pid), 1)))
            next_sample[0] += 10
            print(f"  {t / 60:5.1f} min  RSS {samples[-1][1]:.1f} MiB", flush=True)

    load = concurrent_clients(url, clients, minutes * 60, on_sample=sample)
    warm = [m for t, m in samples if t >= min(120, minutes * 60 / 4)]  # After two minutes (or a quarter).
    first, last = statistics.fmean(warm[:6]), statistics.fmean(warm[-6:])  # One minute at each end.
    return {
        **load,
        "rss_after_warmup_mib": round(first, 1),
        "rss_at_end_mib": round(last, 1),
        "rss_growth_pct": round(100 * (last - first) / first, 2),
        "rss_max_mib": max(m for _, m in samples),
        "rss_samples": samples,
    }


def print_table(s: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = [
        ("server", f"{s['workers']} process(es), {s['ask_threads']} ask threads, arenas {s['malloc_arenas']}", ""),
    ]
    if "soak" in s:
        k = s["soak"]
        rows += [
            ("soak", f"{k['clients']} clients, {k['seconds'] / 60:.1f} min, {k['requests']} requests", ""),
            ("errors", str(k["errors"]), "0"),
            ("throughput", f"{k['throughput_per_s']:.1f}/s", ""),
            ("RSS after warm-up -> end", f"{k['rss_after_warmup_mib']} -> {k['rss_at_end_mib']} MiB", ""),
            ("RSS growth", f"{k['rss_growth_pct']:+.2f} %", "< 5 %"),
        ]
    else:
        e, one, many = s["engine"], s["single_client"], s["concurrent"]
        rows += [
            ("Engine.ask p50 / rate (1 thread)", f"{e['p50_ms']:.1f} ms / {e['rate_per_s']:.1f}/s", ""),
            ("POST /api/ask p50, 1 client", f"{one['p50_ms']:.1f} ms (+{one['p50_ms'] - e['p50_ms']:.1f})", "≤ +5 ms"),
            ("  the same, per question (median of differences)", f"+{paired_overhead(e, one):.1f} ms", "≤ +5 ms"),
            (
                f"{many['clients']} clients, {many['seconds']:.0f} s",
                f"{many['requests']} requests, {many['refused_as_expected']} refused as expected",
                "",
            ),
            ("errors", str(many["errors"]), "0"),
            (
                "throughput / engine rate",
                f"{many['throughput_per_s']:.1f}/s ({many['throughput_per_s'] / e['rate_per_s']:.2f}x)",
                "≥ 0.7x",
            ),
            ("latency p50 / p95 under load", f"{many['p50_ms']:.0f} / {many['p95_ms']:.0f} ms", ""),
            ("server RSS after", f"{s['rss_mib_after']} MiB", ""),
        ]
    rows.append(("tracebacks in the server log", str(s["tracebacks_in_server_log"]), "0"))
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'value':<{value_width}}  target")
    print("-" * (width + value_width + 10))
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {target}")


if __name__ == "__main__":
    main()
