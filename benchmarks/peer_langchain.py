"""The peer: LangChain's FAISS vector store with HuggingFace embeddings, as its tutorials set it up.

Runs in its own virtual environment (see ``benchmarks/README.md``), called by ``run.py`` in a
subprocess: the same corpus folder, the same model folder and the same questions in; build time,
per-question latency and the spans of the top chunks out, as JSON. Nothing here imports ``rag``.

    python peer_langchain.py --corpus DIR --model DIR --questions Q.json --k 5 --out OUT.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    t_import = time.perf_counter()
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    import_s = time.perf_counter() - t_import

    t_model = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=args.model, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True}
    )
    embeddings.embed_query("warm up")
    model_s = time.perf_counter() - t_model

    t_build = time.perf_counter()
    docs = [
        Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
        for p in sorted(args.corpus.glob("*.txt"))
    ]
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = splitter.split_documents(docs)
    store = FAISS.from_documents(chunks, embeddings)
    build_s = time.perf_counter() - t_build

    questions = json.loads(args.questions.read_text(encoding="utf-8"))
    store.similarity_search(questions[0], k=args.k)  # Warm.
    latencies = []
    results = []
    for q in questions:
        t = time.perf_counter()
        found = store.similarity_search(q, k=args.k)
        latencies.append((time.perf_counter() - t) * 1000)
        results.append(
            [
                [d.metadata["source"], d.metadata["start_index"], d.metadata["start_index"] + len(d.page_content)]
                for d in found
            ]
        )
    args.out.write_text(
        json.dumps(
            {
                "import_s": import_s,
                "model_load_s": model_s,
                "build_s": build_s,
                "chunks": len(chunks),
                "latency_ms": latencies,
                "results": results,
            }
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
