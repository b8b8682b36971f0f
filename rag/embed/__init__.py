"""Embed: texts → unit float32 vectors, with one encoder. ``interface`` (what an encoder is), ``spec``
(what a model folder says), ``onnx`` (the encoder: ONNX on onnxruntime), ``export`` (its one-time
export, the only import of torch) and ``ray_actors`` (the same encoder on Ray actors)."""
