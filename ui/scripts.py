"""The page's scripts (``ui/assets/NAME.js``), each run by its HTML component (``js_on_load``): clicks
on citation markers and "open" buttons become events carrying data, the newest turn and a
highlighted passage scroll into view, the documents table filters and sorts, Copy buttons copy."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS", "script"]

ASSETS = Path(__file__).resolve().parent / "assets"


def script(name: str) -> str:
    """``ui/assets/NAME.js`` after the helpers every script may call (``copy.js``)."""
    return "\n".join((ASSETS / f"{part}.js").read_text(encoding="utf-8") for part in ("copy", name))
