"""The watched corpus folder: how fast a change is noticed, and how fast it is answerable.

    python -m benchmarks.watch                 # 20 notifications per watcher, 3 drop/remove rounds
    python -m benchmarks.watch --rounds 5

1. Notification latency of the file-watching libraries considered: watchfiles (what ``rag watch``
   uses) and watchdog (only if installed: ``pip install watchdog``), each told to report at once
   (watchfiles ``debounce=0``): the time from writing a file to the library reporting it.
2. End to end with the shipped settings (``WatchSettings``: 0.5 s of quiet) through
   ``Engine.start_watching`` and the real model: from copying an article into the corpus folder
   to the index holding it and ``Engine.ask`` quoting it, and from deleting it to the index no
   longer holding it. Prints a table and writes JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.corpora import RESULTS, ROOT
from rag import Engine, Settings

PAGES = ROOT / "benchmarks" / "extraction_pages"
QUESTION = "When will the joint company take over the ferries?"


def watchfiles_latency(folder: Path, n: int) -> list[float]:
    from watchfiles import watch

    stop = threading.Event()
    seen: dict[str, float] = {}
    ready = threading.Event()

    def run() -> None:
        for changes in watch(folder, debounce=0, step=1, stop_event=stop, yield_on_timeout=True, rust_timeout=100):
            ready.set()
            now = time.perf_counter()
            for _, path in changes:
                seen.setdefault(Path(path).name, now)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    return _measure(folder, n, seen, stop, thread, "wf")


def watchdog_latency(folder: Path, n: int) -> list[float] | None:
    try:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        return None
    seen: dict[str, float] = {}

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            seen.setdefault(Path(str(event.src_path)).name, time.perf_counter())

    observer = Observer()
    observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()
    stop = threading.Event()
    try:
        return _measure(folder, n, seen, stop, None, "wd")
    finally:
        observer.stop()
        observer.join()


def _measure(
    folder: Path, n: int, seen: dict[str, float], stop: threading.Event, thread: threading.Thread | None, tag: str
) -> list[float]:
    latencies = []
    for i in range(n):
        name = f"{tag}-{i}.txt"
        start = time.perf_counter()
        (folder / name).write_text("A sentence.", encoding="utf-8")
        deadline = start + 10
        while name not in seen and time.perf_counter() < deadline:
            time.sleep(0.0005)
        latencies.append(seen.get(name, float("inf")) - start)
        time.sleep(0.05)
    stop.set()
    if thread is not None:
        thread.join(5)
    return latencies


def end_to_end(root: Path, rounds: int) -> dict[str, list[float]]:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(PAGES / "05-paywall-teaser.html", corpus / "rates.html")
    engine = Engine(Settings().with_dirs(corpus, root / "index"))
    engine.build()
    engine.ask("warm up the question encoder?")
    events: list[Any] = []
    stop = engine.start_watching(events.append)
    added: list[float] = []
    removed: list[float] = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            shutil.copy(PAGES / "01-harbour-news.html", corpus / "ferry.html")
            while not any(q.doc == "ferry.html" for q in engine.ask(QUESTION).quotes):
                time.sleep(0.05)
            added.append(time.perf_counter() - start)
            start = time.perf_counter()
            (corpus / "ferry.html").unlink()
            while "ferry.html" in engine.status().docs:
                time.sleep(0.05)
            removed.append(time.perf_counter() - start)
    finally:
        stop.set()
    return {"dropped file answerable (s)": added, "removed file gone from the index (s)": removed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notifications", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "watch.json")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (("watchfiles", watchfiles_latency), ("watchdog", watchdog_latency)):
            folder = Path(tmp) / name
            folder.mkdir()
            found = fn(folder, args.notifications)
            results[f"{name} notification (ms)"] = None if found is None else [x * 1000 for x in found]
        results.update(end_to_end(Path(tmp) / "e2e", args.rounds))
    print(f"{'measure':<44}{'median':>10}{'max':>10}{'n':>5}")
    for key, values in results.items():
        if values is None:
            print(f"{key:<44}{'not installed':>20}")
            continue
        print(f"{key:<44}{statistics.median(values):>10.2f}{max(values):>10.2f}{len(values):>5}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\nwritten {args.out}")


if __name__ == "__main__":
    main()
