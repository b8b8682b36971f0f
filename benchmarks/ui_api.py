"""Web app timings through its API (gradio_client), against the engine called directly.

Builds the seed corpus into a temporary folder, starts the app on a free local port, then times:
start-up, /ask (the bundled example questions, several rounds) next to Engine.ask on the same
questions, /status, /list, /article, and an upload until the new article is answerable.

    PYTHONPATH=. python -m benchmarks.ui_api [--rounds 5] [--out benchmarks/results/ui_api.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradio_client import Client, handle_file

from benchmarks.corpora import RESULTS, ROOT
from rag import Engine, Settings
from ui.app import launch

NEW_ARTICLE = "# Lumora bridge\n\nThe Lumora tidal bridge in Vestrand was designed by the engineer Katja Holm.\n"


def timed(fn: Callable[[], Any], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(name: str, seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "what": name,
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[min(len(ms) - 1, int(0.9 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "ui_api.json")
    args = parser.parse_args()

    examples = [e["question"] for e in json.loads((ROOT / "ui/assets/examples.json").read_text())]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings().with_dirs(shutil.copytree(ROOT / "corpus", Path(tmp) / "corpus"), Path(tmp) / "index")
        engine = Engine(settings)
        t = time.perf_counter()
        engine.build()
        rows.append(summary("build the seed corpus (cold, model load included)", [time.perf_counter() - t]))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        t = time.perf_counter()
        app = launch(engine, "127.0.0.1", port, block=False)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        rows.append(summary("start the app and connect a client", [time.perf_counter() - t]))
        try:
            client.predict(examples[0], api_name="/ask")  # Warm-up.
            api, direct = [], []
            for _ in range(args.rounds):
                for q in examples:
                    api += timed(functools.partial(client.predict, q, api_name="/ask"), 1)
                    direct += timed(functools.partial(engine.ask, q), 1)
            rows.append(summary("/ask via gradio_client", api))
            rows.append(summary("Engine.ask directly (same questions)", direct))
            rows.append(summary("/status", timed(lambda: client.predict(api_name="/status"), args.rounds)))
            rows.append(summary("/list", timed(lambda: client.predict(api_name="/list"), args.rounds)))
            doc = engine.ask(examples[0]).passages[0]
            rows.append(
                summary(
                    "/article",
                    timed(lambda: client.predict(doc.doc, doc.start, doc.end, api_name="/article"), args.rounds),
                )
            )
            path = Path(tmp) / "lumora.md"
            path.write_text(NEW_ARTICLE, encoding="utf-8")
            t = time.perf_counter()
            client.predict([handle_file(path)], False, api_name="/upload")
            answer = client.predict("Who designed the Lumora tidal bridge?", api_name="/ask")
            assert answer["quotes"] and answer["quotes"][0]["doc"] == "lumora.md", answer
            rows.append(summary("upload one article until it is answerable", [time.perf_counter() - t]))
        finally:
            app.close()

    width = max(len(r["what"]) for r in rows)
    print(f"{'what':<{width}}  {'n':>3}  {'median ms':>10}  {'p90 ms':>9}  {'max ms':>9}")
    for r in rows:
        print(f"{r['what']:<{width}}  {r['n']:>3}  {r['median_ms']:>10}  {r['p90_ms']:>9}  {r['max_ms']:>9}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
