"""Present: records → what people read. ``text`` (terminal text, JSON), ``markdown`` (an answer as
Markdown) and ``progress`` (build progress bars on a terminal); the page's HTML is ``ui/render.py``."""
