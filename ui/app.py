"""The Gradio app: a thin adapter over :class:`rag.Engine` (filled in by the UI work)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from rag import Engine, RagError

__all__ = ["create_app", "serve"]


def create_app(engine: Engine) -> gr.Blocks:
    def ask(question: str) -> dict[str, Any]:
        try:
            return engine.ask(question).to_dict()
        except RagError as err:
            raise gr.Error(str(err)) from err

    with gr.Blocks(title="Quoted answers") as app:
        question = gr.Textbox(label="Question")
        out = gr.JSON(label="Answer")
        question.submit(ask, question, out, api_name="ask")
    return app


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 7860) -> None:
    engine.build()
    create_app(engine).launch(server_name=host, server_port=port)
