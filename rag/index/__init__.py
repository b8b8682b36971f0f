"""Index (private to the package): the on-disk store, written atomically as generations and read back with checks.

Layout of an index folder::

    index/
      CURRENT              name of the live generation, swapped atomically (os.replace)
      .lock                held by a build (fcntl), so two builds never interleave
      gen-000003/
        manifest.json      format, model, chunk settings, documents with content hashes, counts
        meta.sqlite        documents (with their text), passages, sentences, texts (vector keys)
        vectors.npy        float32 [texts, dim]: one row per distinct embedded text
        sentences.faiss    FAISS index over the sentences' vectors (ids = sentence ids)
        passages.faiss     FAISS index over the passages' vectors (ids = passage ids)
        lexical/           bm25s arrays and JSON over the sentences

A build writes a whole new generation, then points ``CURRENT`` at it, so a reader sees the old
index or the new one, never a half-written one; a killed build leaves only ``.tmp`` files that the
next build removes. Nothing is pickled: arrays are ``.npy`` loaded with ``allow_pickle=False``.

The manifest records the size and SHA-256 of every other file. Opening a generation checks that
every file is there with its recorded size, that the manifest is complete and that the tables,
vectors and search indexes agree with each other; :meth:`StoredIndex.verify` (``rag status
--verify``, and every build before it reuses anything) also checks the hashes. A damaged index
raises :class:`~rag.errors.IndexCorruptError` naming the one command that fixes it.

Files by job: :mod:`.generations` (the ``CURRENT`` pointer, the lock, leftovers),
:mod:`.writer` (a new generation), :mod:`.reader` (opening one, with its checks),
:mod:`.per_index` (what a stage derives from an open index once).
"""

from __future__ import annotations

from .generations import FORMAT_VERSION, IndexLock, current_generation, rebuild_hint, remove_leftovers
from .reader import DocRecord, StoredIndex
from .writer import IndexContent, write_generation

__all__ = [
    "FORMAT_VERSION",
    "DocRecord",
    "IndexContent",
    "IndexLock",
    "StoredIndex",
    "current_generation",
    "rebuild_hint",
    "remove_leftovers",
    "write_generation",
]
