"""Question: what a question asks, worked out before any search. ``scope`` (the sources it names,
"according to X") and ``followup`` (a follow-up read with the question before it)."""
