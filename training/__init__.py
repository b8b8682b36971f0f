"""What makes ``models/``: ``python -m training.reranker`` (the answer reader, ``make train-reranker``)
and ``python -m training.cross_encoder`` (the cross-encoder, ``make train-cross-encoder``).
``benchmarks/`` only measures."""
