"""Ingest: what goes into the corpus folder and comes out as documents. ``fetch`` (a URL → a page or
PDF with its sidecar), ``load`` with ``formats/`` (a file → :class:`~rag.records.Document`), ``corpus``
(adding and removing files safely) and ``watch`` (a changed folder → a build)."""
