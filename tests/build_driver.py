"""Run a real build (real model, real write path) that stops dead at one chosen point, so a test can
SIGKILL it there. Usage::

    python -m tests.build_driver CORPUS INDEX POINT MARKER [--rebuild]

When the build reaches POINT it writes its pid to MARKER and sleeps until killed. Points:

- ``embedding``: after the first of several encoder batches (run with ``--rebuild`` so there are many)
- ``files``: every data file of the new generation written in its ``.tmp`` folder, no manifest yet
- ``swap``: the new generation complete under its final name, ``CURRENT`` not yet swapped
- ``cleanup``: ``CURRENT`` swapped, older generations not yet removed
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag import Engine, Settings
from rag.index import writer as index_module

POINTS = ("embedding", "files", "swap", "cleanup")


def main(argv: list[str]) -> None:
    corpus, index, point, marker = argv[:4]
    if point not in POINTS:
        raise SystemExit(f"unknown point {point!r}; one of {', '.join(POINTS)}")

    def stop_here() -> None:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(600)

    def progress(stage: str, done: int, total: int) -> None:
        if point == "embedding" and stage == "embedding" and done < total:
            stop_here()

    if point == "files":
        real_lexical = index_module.lexical.build_and_save

        def lexical_then_stop(texts: Any, path: Path) -> None:
            real_lexical(texts, path)
            stop_here()

        index_module.lexical.build_and_save = lexical_then_stop  # type: ignore[assignment]
    elif point == "swap":
        real_replace = os.replace

        def stop_before_swap(src: Any, dst: Any) -> None:
            if Path(dst).name == index_module.CURRENT:
                stop_here()
            real_replace(src, dst)

        index_module.os.replace = stop_before_swap  # type: ignore[assignment]
    elif point == "cleanup":
        real_rmtree = shutil.rmtree

        def stop_in_cleanup(path: Any, *args: Any, **kwargs: Any) -> None:
            if Path(path).name.startswith("gen-") and ".tmp" not in Path(path).name:
                stop_here()
            real_rmtree(path, *args, **kwargs)

        index_module.shutil.rmtree = stop_in_cleanup  # type: ignore[assignment]

    settings = replace(Settings.from_env(), batch_size=4).with_dirs(corpus, index)  # The tests' encoder precision.
    Engine(settings).build(rebuild="--rebuild" in argv, progress=progress)
    Path(marker).write_text("finished", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
