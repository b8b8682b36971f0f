"""Embed with Ray Data: the embedding stage of a build spread over a Ray cluster.

:class:`RayEmbedder` is an :class:`~rag.embed.interface.Embedder`, so ``rag build --engine ray`` runs the
same build (same keys, same deduplication, same index format, see :mod:`rag.index.build`); only the
``encode`` call is distributed. The texts become a Ray dataset; ``map_batches`` hands batches to a
pool of actors, each holding the project's one encoder, :class:`~rag.embed.onnx.OnnxEmbedder` (same
model file, same precision, so the vectors are those a local build makes); the vectors come back
in order to the process that writes the index.

Without an address Ray starts a local instance on this machine. On a cluster, install
``rag-quotes[ray]`` on every node (the model ships inside the package, so nodes need no hub
access), start Ray (``ray start --head`` / ``ray start --address HEAD:6379``) and run the build
from a node of the cluster with ``RAY_ADDRESS=auto rag build --engine ray`` (or
``--ray-address HEAD:6379``). Needs the optional extra: ``pip install 'rag-quotes[ray]'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import ModelError
from .interface import DelegatingEmbedder, ProgressFn
from .onnx import OnnxEmbedder

__all__ = ["RayEmbedder"]


class _EncodeBatch:
    """A Ray Data actor: loads the model once, then embeds the batches it is given."""

    def __init__(self, settings: Settings) -> None:
        self._embedder = OnnxEmbedder.from_settings(settings, threads=1)  # Ray gives each actor one CPU.

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self._embedder.encode([str(t) for t in batch["text"]])
        return {"i": batch["i"], "vector": vectors}


class RayEmbedder(DelegatingEmbedder):
    """Encodes through Ray Data ``map_batches`` with ``actors`` model replicas; a question is
    encoded here, in this process, by the same encoder (``inner``).

    ``address`` is a Ray cluster address (``None``: start a local Ray with ``num_cpus`` CPUs)."""

    def __init__(
        self,
        settings: Settings,
        *,
        address: str | None = None,
        num_cpus: int | None = None,
        actors: int | None = None,
        rows_per_task: int = 1024,
    ) -> None:
        self._local = OnnxEmbedder.from_settings(settings)
        super().__init__(self._local)
        self._settings = settings
        self._address = address
        self._num_cpus = num_cpus
        self._actors = actors
        self._rows_per_task = rows_per_task
        self.texts_encoded = 0

    def _ray(self) -> Any:
        try:
            import ray
        except ImportError as err:
            raise ModelError("`--engine ray` needs Ray: pip install 'rag-quotes[ray]'") from err
        if not ray.is_initialized():
            if self._address:
                ray.init(address=self._address, log_to_driver=False)
            else:
                ray.init(num_cpus=self._num_cpus, include_dashboard=False, log_to_driver=False)
        return ray

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        total = len(texts)
        self.texts_encoded += total
        if total == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._local.ensure_exported()  # Once here, not in every actor (a local Ray shares this cache).
        ray = self._ray()
        # One single-threaded actor per CPU but one: Ray Data's own read and split tasks need a CPU
        # too, and with every CPU held by an actor they never run (the build waits forever).
        actors = self._actors or max(1, int(ray.cluster_resources().get("CPU", 1)) - 1)
        ds = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
        ds = ds.repartition(max(1, -(-total // self._rows_per_task)))
        encoded = ds.map_batches(
            _EncodeBatch,
            fn_constructor_args=(self._settings,),
            batch_size=self._rows_per_task,
            batch_format="numpy",
            concurrency=actors,
            num_cpus=1,
        )
        out: np.ndarray | None = None
        done = 0
        for batch in encoded.iter_batches(batch_format="numpy", batch_size=None):
            vectors = np.asarray(batch["vector"], dtype=np.float32)
            if out is None:
                out = np.zeros((total, vectors.shape[1]), dtype=np.float32)
            out[np.asarray(batch["i"], dtype=np.int64)] = vectors
            done += len(vectors)
            if progress:
                progress(done, total)
        if out is None or done != total:
            raise ModelError(f"Ray returned {done} of {total} vectors; see the Ray logs")
        return out
