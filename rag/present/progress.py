"""Progress on a terminal: a tqdm bar per build stage, for the command line (``rag build``,
``rag add``, ``rag remove``, ``rag watch``). The page shows the same stages with ``gr.Progress``."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressBars"]


class ProgressBars:
    """A tqdm bar per build stage, on stderr (only when stderr is a terminal: logs stay readable)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            unit = "texts" if stage == "embedding" else "files" if stage == "reading" else "step"
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr, leave=True)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
