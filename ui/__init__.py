"""The Gradio front end of rag: ``rag serve`` starts it."""
