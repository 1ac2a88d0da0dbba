"""The results of a batch, one per input record, kept on disk in input order as they settle.

Letters settle a chunk at a time, and within a chunk not in input order
(kept rows first, failures, letters from the chunks in flight); the log
holds a result back only until every earlier record has one, then writes
it to an anonymous temporary file (:class:`lettergen.spilled.SpilledList`).
So a batch of 100,000 rows holds a few chunks of results in memory,
and the manifest is written from the log at the end.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator

from ..spilled import SpilledList


class ResultLog:
    """LetterResults added by input index (in any order), read back in input order."""

    def __init__(self) -> None:
        self._items = SpilledList()
        self._waiting: dict[int, object] = {}
        self.counts: Counter[str] = Counter()
        self.most_waiting = 0  # the most results ever held back in memory (tests check it stays small)

    def add(self, index: int, result) -> None:
        """Record the result of input record ``index`` (each index exactly once)."""
        self.counts[result.status] += 1
        self._waiting[index] = result
        self.most_waiting = max(self.most_waiting, len(self._waiting))
        while len(self._items) in self._waiting:
            done = self._waiting.pop(len(self._items))
            done.letter.spilled = None  # the spill folder is gone after the batch
            self._items.append(done)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator:
        if self._waiting:
            raise RuntimeError(f"batch results incomplete: {len(self._waiting)} held back")
        return iter(self._items)
