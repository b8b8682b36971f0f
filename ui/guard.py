"""The project's errors as Gradio's: what the page and the MCP tools (Gradio endpoints) raise."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import gradio as gr

from rag import RagError

__all__ = ["guard"]


def guard(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's errors into ``gr.Error`` (a message on the page, an error for clients,
    no traceback in the server's log)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RagError as err:
            raise gr.Error(str(err), print_exception=False) from err

    return wrapper
