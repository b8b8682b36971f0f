"""Read: the candidates re-scored by the trained reader. ``features`` (what the reader knows of each),
``reader`` (the model, confidence, status and spans), ``trees`` (the LightGBM trees in numpy),
``cross_encoder`` (rescoring the best few) and ``conversation`` (a follow-up's two rankings fused)."""
