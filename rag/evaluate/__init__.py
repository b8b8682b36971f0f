"""Evaluate: answer quality measured through the normal build and ask paths. ``squad`` (``rag eval``
on a SQuAD v1.1 file) and ``followup_pairs`` (follow-up questions made from SQuAD's)."""
