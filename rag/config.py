"""Settings: one frozen object, passed explicitly. Environment variables are read only in
:meth:`Settings.from_env`, which the CLI and the UI call at their edges."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from .errors import RagError

__all__ = [
    "ChunkSettings",
    "FetchSettings",
    "FollowUpSettings",
    "RetrievalSettings",
    "ServeSettings",
    "Settings",
    "WatchSettings",
    "default_cache_dir",
    "default_reader_dir",
]


def _here(name: str) -> Path:
    return Path.cwd() / name


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into passages (the citation unit) and sentences (the quote unit).

    Changing any of these re-chunks every document on the next build."""

    max_passage_chars: int = 1200
    """A paragraph longer than this is split into windows of whole sentences."""
    max_sentence_chars: int = 600
    """A 'sentence' longer than this (a run-on list, a table row) is split at clause marks."""

    def as_dict(self) -> dict[str, Any]:
        return {"max_passage_chars": self.max_passage_chars, "max_sentence_chars": self.max_sentence_chars}


def default_cache_dir() -> Path:
    """``~/.cache/rag-quotes`` (``Settings.from_env`` also reads ``RAG_CACHE_DIR`` and ``XDG_CACHE_HOME``)."""
    return Path.home() / ".cache" / "rag-quotes"


def default_reader_dir() -> Path:
    """The shipped answer reader: ``models/`` of the source tree (a checkout, an editable install),
    or ``rag/models/`` of an installed package, where the wheel puts it (``pyproject.toml``)."""
    package = Path(__file__).resolve().parent
    installed = package / "models"
    return installed if (installed / "reader.txt").is_file() else package.parent / "models"


@dataclass(frozen=True)
class RetrievalSettings:
    """How candidate sentences are gathered, scored and cut off.

    The weights were fitted, and the abstention threshold calibrated, on the tuning part of the
    SQuAD evaluation set with ``benchmarks/quality.py`` (docs/answer-quality.md)."""

    candidates: int = 100
    """Sentences taken from each retriever (dense, lexical, passage) before scoring."""
    passage_weight: float = 1.21
    """Weight of the passage's similarity added to the sentence's own (whose weight is 1)."""
    lexical_weight: float = 0.75
    """Weight of the sentence's BM25 score divided by the best sentence's."""
    answer_type_weight: float = 0.31
    """Weight of the answer-type cue (when → a date, how many → a number, who → a name)."""
    coverage_weight: float = 0.88
    """Weight of the share of the question's terms found in the sentence's passage."""
    length_weight: float = -0.2
    """Weight of the sentence's length in characters / 100 (negative: shorter is preferred). The
    smallest penalty that keeps the first quote no longer than the corpus's mean sentence on the
    tuning part; without it the fitted weights favour long sentences."""
    abstain_below: float = 0.627
    """The corpus does not answer when the best sentence similarity plus ``abstain_coverage_weight``
    times the best passage coverage of the question's terms is below this."""
    abstain_coverage_weight: float = 0.3
    max_question_chars: int = 1000
    """Longer questions are cut at a word boundary before anything else happens."""
    reader_dir: Path | None = field(default_factory=default_reader_dir)
    """Folder of the trained answer reader (``reader.txt``, ``reader.json``; see :mod:`rag.read.reader`;
    ``RAG_READER_DIR``, by default :func:`default_reader_dir`): it re-scores the best candidates,
    grades the answer's status and joins lead-in sentences to the sentence that answers. ``None``
    ranks by the weighted sum above and abstains by ``abstain_below`` alone (every answer is then
    ``"answered"`` or ``"abstained"``)."""
    cross_encoder: bool = True
    """Whether the reader's best few candidates are rescored by the cross-encoder of
    ``reader_dir`` (:mod:`rag.read.cross_encoder`) when its best two are close: the right first quote
    more often, for about 30 ms on the questions it runs on (a third of SQuAD's on the tuning
    part). ``False``: the reader's scores alone."""
    further_quotes: Literal["likely", "all"] = "likely"
    """``"likely"``: after the first quote, only candidates that would be ``answered`` by
    themselves are quoted (:meth:`rag.read.reader.Reader.further`), so ``k`` is a maximum, not a
    quota; ``"all"``: ``k`` quotes, however unlikely the later ones."""
    missing_caps: bool = True
    """Whether a first quote that lacks what the question asks (a name, number, date or qualifier
    that neither the quote nor its context holds: :mod:`rag.read.missing`) is at most
    ``"uncertain"``: a question that almost matches a sentence (another name, another year, a
    negation) is not answered as if it matched. ``False``: the reader's confidence alone decides."""
    missing_logit_shift: float = -3.0
    """With ``missing_caps``, what such a first quote's confidence loses, in log-odds, before its
    status is decided: fitted by log loss on the SQuAD 2.0 questions of the tuning articles
    (``python -m benchmarks.missing_shift``; 2.7% of the right first quotes lack something there,
    28% of the impossible questions' first quotes)."""


@dataclass(frozen=True, kw_only=True)
class FetchSettings:
    """How ``rag add URL`` and the page's "Add by link" download pages (:mod:`rag.ingest.fetch`)."""

    timeout_s: float = 20.0
    """For the whole download of one URL, redirects included."""
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    allow_private: bool = False
    """Whether hosts that resolve to loopback, private, link-local or multicast addresses may be
    fetched. The web app uses this (``RAG_ALLOW_PRIVATE_URLS=1``); the CLI always allows them."""


@dataclass(frozen=True, kw_only=True)
class WatchSettings:
    """How ``rag watch`` and ``rag serve --watch`` follow the corpus folder (:mod:`rag.ingest.watch`)."""

    quiet_ms: int = 500
    """Changes are collected until the folder has been quiet this long, then one build runs."""
    max_wait_ms: int = 5000
    """... or until changes have kept coming for this long (a folder being filled file by file)."""
    retry_s: float = 2.0
    """Wait before trying again when another build holds the index."""


@dataclass(frozen=True, kw_only=True)
class FollowUpSettings:
    """How a follow-up question is read with the previous one (see :mod:`rag.question.followup`)."""

    own_weight: float = 0.5
    """Weight of the follow-up's own ranking when it clearly leans on the previous question (short,
    with a pronoun or a linking word); the rest goes to the previous question plus the follow-up."""
    weak_own_weight: float = 0.7
    """The same for a longer question that merely holds a pronoun."""
    rrf_k: float = 60.0
    """The rankings are fused by ``weight / (rrf_k + rank)``."""
    confidence_floor: float = 0.1
    """With the reader, each ranking's weight is multiplied by its reading's confidence plus this
    (so a reading that is sure of its first quote counts more, and an unsure one still counts)."""


@dataclass(frozen=True, kw_only=True)
class ServeSettings:
    """How ``rag serve`` answers its clients (both measured: RELIABILITY.md, "Load")."""

    ask_threads: int = 2
    """Threads that answer every question, from the page, REST and MCP alike."""
    malloc_arenas: int = 2
    """glibc malloc arenas of the server process (0: no cap): threads taking turns on requests
    otherwise each grow an arena of their own."""
    auth: str | None = field(default=None, repr=False)
    """``user:password`` (``RAG_AUTH``): every door of ``rag serve`` (page, REST, MCP) asks for
    them; ``None``: no login."""
    api_token: str | None = field(default=None, repr=False)
    """A bearer token programs may send instead of the login (``RAG_API_TOKEN``); needs ``auth``."""

    def credentials(self) -> tuple[tuple[str, str] | None, str | None]:
        """``auth`` as ``(user, password)`` (``None``: no login) and the token; a
        :class:`~rag.errors.RagError` naming the fix when either is malformed."""
        login = None
        if self.auth:
            user, sep, password = self.auth.partition(":")
            if not sep or not user or not password:
                raise RagError("RAG_AUTH must look like user:password (both non-empty); fix it or unset it")
            login = (user, password)
        if self.api_token and login is None:
            raise RagError("RAG_API_TOKEN is set without RAG_AUTH: set RAG_AUTH=user:password too, or unset the token")
        return login, self.api_token or None


@dataclass(frozen=True)
class Settings:
    """Everything the engine is told. The folders default to ``corpus/`` and ``index/`` in the
    current directory (where ``make serve`` runs: the project's root), so an installed package
    works the same as a checkout."""

    corpus_dir: Path = field(default_factory=lambda: _here("corpus"))
    index_dir: Path = field(default_factory=lambda: _here("index"))
    model_path: str | None = None
    """Path of a sentence-transformers model folder; ``None`` means the bundled all-MiniLM-L6-v2."""
    batch_size: int = 64
    """Texts per step of an encoding (progress is reported after each step; the steps are shared
    out among the cores). The encoder still runs each text alone (see :mod:`rag.embed.onnx`)."""
    encoder_precision: str = "auto"
    """The ONNX encoder's weights: ``auto`` (int8 for this CPU's instruction set where it has one,
    else fp32), ``fp32``, or an int8 kind: ``avx512_vnni``, ``avx512``, ``avx2``, ``arm64``. Part of
    the model's identity in the index: another precision re-embeds everything."""
    cache_dir: Path = field(default_factory=default_cache_dir)
    """Where the model's ONNX export is kept (made once per model and precision)."""
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    followup: FollowUpSettings = field(default_factory=FollowUpSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)

    def with_dirs(self, corpus_dir: Path | str | None = None, index_dir: Path | str | None = None) -> Settings:
        """A copy with other folders (``None`` keeps the current one)."""
        return replace(
            self,
            corpus_dir=Path(corpus_dir).expanduser().resolve() if corpus_dir else self.corpus_dir,
            index_dir=Path(index_dir).expanduser().resolve() if index_dir else self.index_dir,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``RAG_CORPUS_DIR``, ``RAG_INDEX_DIR``, ``RAG_MODEL_PATH``,
        ``RAG_ALLOW_PRIVATE_URLS`` (``1`` lets the web app fetch private addresses),
        ``RAG_ENCODER_PRECISION``, ``RAG_READER_DIR`` (the answer reader's folder),
        ``RAG_FURTHER_QUOTES`` (``all``: answers padded to ``k`` quotes, see
        :attr:`RetrievalSettings.further_quotes`),
        ``RAG_CACHE_DIR`` (else ``$XDG_CACHE_HOME/rag-quotes``), and ``RAG_AUTH`` and
        ``RAG_API_TOKEN`` (``rag serve``'s login and bearer token)."""
        env = os.environ if env is None else env
        base = cls()
        cache = env.get("RAG_CACHE_DIR") or (
            str(Path(env["XDG_CACHE_HOME"]) / "rag-quotes") if env.get("XDG_CACHE_HOME") else None
        )
        further = env.get("RAG_FURTHER_QUOTES", "").strip() or base.retrieval.further_quotes
        if further not in ("likely", "all"):
            raise RagError(f"RAG_FURTHER_QUOTES must be 'likely' or 'all', not {further!r}; fix it or unset it")
        retrieval = replace(base.retrieval, further_quotes=cast(Literal["likely", "all"], further))
        if env.get("RAG_READER_DIR"):
            retrieval = replace(retrieval, reader_dir=Path(env["RAG_READER_DIR"]).expanduser())
        return replace(
            base.with_dirs(env.get("RAG_CORPUS_DIR") or None, env.get("RAG_INDEX_DIR") or None),
            model_path=env.get("RAG_MODEL_PATH") or None,
            fetch=replace(base.fetch, allow_private=env.get("RAG_ALLOW_PRIVATE_URLS", "").strip() == "1"),
            encoder_precision=env.get("RAG_ENCODER_PRECISION") or base.encoder_precision,
            cache_dir=Path(cache).expanduser() if cache else base.cache_dir,
            retrieval=retrieval,
            serve=replace(base.serve, auth=env.get("RAG_AUTH") or None, api_token=env.get("RAG_API_TOKEN") or None),
        )
