"""Evaluate: answer quality measured through the normal build and ask paths. ``squad`` (``rag eval``
on a SQuAD v1.1 file), ``followup_pairs`` (follow-up questions made from SQuAD's) and ``probes``
(what evaluation, the benchmarks and training read of an engine's index besides answers)."""
