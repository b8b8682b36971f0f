"""Watch: keep the index up to date with the corpus folder while it changes (``rag watch``,
``rag serve --watch``).

watchfiles (Rust ``notify``: inotify on Linux, FSEvents on macOS, polling elsewhere) reports
changes below the corpus folder; they are collected until the folder has been quiet for
``settings.watch.quiet_ms`` (or changes have kept coming for ``max_wait_ms``), then one
incremental build runs. Builds run one at a time on this
thread: changes made during a build are collected and answered by the next one. A build that finds
the index locked by another (an upload through the page, a ``rag build``) is retried. Files the
loader ignores (hidden files, such as the ``.NAME.part`` files written while copying) trigger
nothing; a sidecar's change does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ..config import WatchSettings
from ..errors import IndexLockedError, RagError
from ..records import BuildReport
from .load import SIDECAR_SUFFIX, SUPPORTED_SUFFIXES

__all__ = ["WatchEvent", "relevant_change", "start_watching", "watch_corpus"]

WatchEvent = Callable[[BuildReport | RagError], None]
"""Called after each build with its report, or with the error that stopped it."""


def relevant_change(corpus_dir: Path, path: str) -> bool:
    """Whether a change to ``path`` can change what the corpus holds."""
    try:
        rel = Path(path).relative_to(corpus_dir)
    except ValueError:
        return False
    if any(part.startswith(".") for part in rel.parts):
        return False
    name = rel.name.lower()
    if name.endswith(SIDECAR_SUFFIX):
        return True
    suffix = Path(name).suffix
    return suffix in SUPPORTED_SUFFIXES or not suffix  # No suffix: perhaps a folder that came or went.


def _build(build: Callable[[], BuildReport], retry_s: float, stop: threading.Event) -> BuildReport:
    while True:
        try:
            return build()
        except IndexLockedError:
            if stop.wait(retry_s):
                raise


def watch_corpus(
    corpus_dir: Path,
    build: Callable[[], BuildReport],
    on_build: WatchEvent,
    settings: WatchSettings,
    stop: threading.Event,
    ready: threading.Event | None = None,
) -> None:
    """Run ``build`` whenever the corpus folder changes, until ``stop`` is set.

    ``ready`` is set once the watcher is listening (changes from then on are seen)."""
    from watchfiles import watch

    corpus_dir = corpus_dir.resolve()

    def keep(_change: object, path: str) -> bool:
        return relevant_change(corpus_dir, path)

    watcher = watch(
        corpus_dir,
        watch_filter=keep,
        debounce=settings.max_wait_ms,
        step=settings.quiet_ms,
        stop_event=stop,
        yield_on_timeout=True,
        rust_timeout=500,
        raise_interrupt=False,
    )
    for changes in watcher:
        if ready is not None:
            ready.set()  # The first (empty) timeout: the watcher is running.
        if not changes or stop.is_set():
            continue
        try:
            on_build(_build(build, settings.retry_s, stop))
        except RagError as err:
            on_build(err)


def start_watching(
    corpus_dir: Path,
    build: Callable[[], BuildReport],
    on_build: WatchEvent,
    settings: WatchSettings,
) -> threading.Event:
    """:func:`watch_corpus` on a daemon thread, listening when this returns; set the event to stop it."""
    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(
        target=watch_corpus,
        args=(corpus_dir, build, on_build, settings, stop, ready),
        name="rag-watch",
        daemon=True,
    )
    thread.start()
    ready.wait(10)
    return stop
