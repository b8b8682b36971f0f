"""A value kept per open index (a table built from its documents on first use), dropped with the
index: what a stage derives from the stored index once, not per question."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from .reader import StoredIndex

__all__ = ["PerIndex"]

T = TypeVar("T")


class PerIndex(Generic[T]):
    """``PerIndex(make)(index)``: ``make(index)``, made once per open index (thread-safe) and
    forgotten when the index is (a rebuild opens a new one)."""

    def __init__(self, make: Callable[[StoredIndex], T]) -> None:
        self._make = make
        self._values: weakref.WeakKeyDictionary[StoredIndex, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, index: StoredIndex) -> T:
        with self._lock:
            value = self._values.get(index)
            if value is None:
                value = self._values[index] = self._make(index)
            return value
