"""Present: records → what people read. ``text`` (terminal text, Markdown, JSON) and ``progress``
(build progress bars on a terminal); the page's HTML is ``ui/render.py``."""
