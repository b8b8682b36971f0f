"""Question: what a question asks, worked out once before any search. ``record`` (the question parsed
into records every later stage reads), ``answer_type`` (the kind of answer it asks for), ``scope`` (the
sources it names, "according to X") and ``followup`` (a follow-up read with the question before it)."""
