"""The question, parsed once into records that every later stage reads.

:func:`parse_question` turns what was asked (and the question asked before it) into a
:class:`Question`: the cleaned text, the sources it names (:mod:`rag.question.scope`), the words
retrieval reads, and the previous question as context (:mod:`rag.question.followup`). Each text a
ranking reads becomes a :class:`Query`: its words and the kind of answer it asks for
(:mod:`rag.question.answer_type`), worked out once for retrieval and the reader alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import QuestionError
from ..index import StoredIndex
from .answer_type import AnswerKind, AnswerType, answer_type, asked_kind
from .scope import Scope, conversation_scope

__all__ = ["Query", "Question", "parse_question", "prepare_question"]


def prepare_question(question: str, max_chars: int) -> str:
    """The question with control characters removed and white space folded, cut at a word
    boundary near ``max_chars``. Raises :class:`QuestionError` if nothing is left."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") else ch for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(cleaned) > max_chars:
        cut = cleaned.rfind(" ", 0, max_chars + 1)
        cleaned = cleaned[: cut if cut > max_chars // 2 else max_chars]
    if not re.search(r"\w", cleaned):
        raise QuestionError("the question has no words: type a question about the articles")
    return cleaned


@dataclass(frozen=True, kw_only=True, eq=False)
class Query:
    """One text a ranking reads (a question, or a follow-up in its conversation's context)."""

    text: str
    kind: AnswerType | None
    """The kind of answer it asks for (:func:`~rag.question.answer_type.answer_type`)."""
    asked: AnswerKind | None
    """The same, as the reader's ``asked_type_absent`` reads it (:func:`~rag.question.answer_type.asked_kind`)."""
    words: frozenset[str]
    """Its words in lower case (a name the question holds is no answer to it)."""

    @classmethod
    def of(cls, text: str) -> Query:
        return cls(
            text=text,
            kind=answer_type(text),
            asked=asked_kind(text),
            words=frozenset(w.lower() for w in re.findall(r"\w+", text)),
        )


@dataclass(frozen=True, kw_only=True, eq=False)
class Question:
    """A question as asked and as the stages read it."""

    cleaned: str
    """The question as asked, cleaned (:func:`prepare_question`): what the answer repeats."""
    asked: str
    """What retrieval reads: the cleaned question, a named source's name taken out."""
    previous: str | None
    """The question before it as the conversation reads it (``None``: asked alone)."""
    scope: Scope | None
    """The sources it asks to hear from (``None``: every source)."""

    @property
    def within(self) -> np.ndarray | None:
        """The only sentences that may be quoted (``None``: all)."""
        return self.scope.sentences if self.scope else None


def parse_question(
    question: str, previous: str | None, max_chars: int, index: Callable[[], StoredIndex]
) -> tuple[Question, StoredIndex]:
    """``question`` (asked after ``previous``, ``None``: first) read once: cleaned, then, with the
    index ``index()`` opens (only for a question that can be asked), its named sources found.
    Raises :class:`QuestionError` for a question with nothing to ask; an unusable previous question
    is no context, not an error in this one. Returns the question and the index it was read for."""
    cleaned = prepare_question(question, max_chars)
    try:
        context = prepare_question(previous, max_chars) if previous else None
    except QuestionError:
        context = None
    opened = index()
    scope, asked, context = conversation_scope(opened, cleaned, context)
    return Question(cleaned=cleaned, asked=asked, previous=context, scope=scope), opened
