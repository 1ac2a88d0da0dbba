"""Collections for big batches that cost a few bytes of memory per item.

:class:`SpilledList` is a list kept in an anonymous temporary file (append,
then read back by index or in order): the rows of a sheet, the planned
letters and the results of a batch go there.  The file has no name (it is
unlinked as soon as it is made), so nothing lingers after a crash, and it
goes when the list is closed or garbage-collected.

:class:`DigestMap` maps 128-bit digests (duplicate rows, duplicate
contents, file names taken) to small numbers in flat arrays: about 30 bytes
an entry, where a dict of bytes and ints costs about 120.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from array import array
from typing import Any, Iterator


_BLOCK = 1 << 20  # bytes read at a time when iterating


class SpilledList:
    """Picklable items appended to a temporary file; only their offsets stay in memory."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="lettergen-")
        self._starts = array("q")
        self._end = 0

    def append(self, item: Any) -> None:
        blob = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
        self._file.write(blob)
        self._starts.append(self._end)
        self._end += len(blob)

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self._starts)
        start = self._starts[index]
        end = self._starts[index + 1] if index + 1 < len(self._starts) else self._end
        self._file.flush()  # a no-op once written out
        return pickle.loads(os.pread(self._file.fileno(), end - start, start))

    def __iter__(self) -> Iterator[Any]:
        """The items appended so far, in order, read sequentially through a buffer
        (not a system call per item: a batch reads its planned letters this way)."""
        count, end = len(self._starts), self._end
        self._file.flush()
        block, block_start = b"", 0
        for i in range(count):
            start = self._starts[i]
            stop = self._starts[i + 1] if i + 1 < count else end
            if stop > block_start + len(block):  # pread: the file's own offset (for appends) is left alone
                block, block_start = os.pread(self._file.fileno(), max(_BLOCK, stop - start), start), start
            yield pickle.loads(block[start - block_start:stop - block_start])

    def close(self) -> None:
        self._file.close()


def text_digest(text: str) -> bytes:
    """The 16-byte digest of any text (lone surrogates included) that a :class:`DigestMap` keeps."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class DigestMap:
    """16-byte digests → ints in 0 .. 2**32-2; open addressing over three arrays (exact: whole digests compared)."""

    def __init__(self) -> None:
        self._count = 0
        self._make(1 << 10)

    def _make(self, size: int) -> None:
        self._mask = size - 1
        self._high, self._low = array("Q", bytes(8 * size)), array("Q", bytes(8 * size))
        self._values = array("I", bytes(4 * size))  # value + 1; 0: empty slot

    def _slot(self, high: int, low: int) -> int:
        i = low & self._mask
        while self._values[i] and (self._high[i] != high or self._low[i] != low):
            i = (i + 1) & self._mask
        return i

    def setdefault(self, digest: bytes, value: int) -> int:
        """The value of ``digest``, storing ``value`` first when it is new."""
        high, low = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little")
        i = self._slot(high, low)
        if self._values[i]:
            return self._values[i] - 1
        self._high[i], self._low[i], self._values[i] = high, low, value + 1
        self._count += 1
        if self._count * 4 > 3 * (self._mask + 1):
            self._grow()
        return value

    def get(self, digest: bytes) -> int | None:
        i = self._slot(int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little"))
        return self._values[i] - 1 if self._values[i] else None

    def __contains__(self, digest: bytes) -> bool:
        return self.get(digest) is not None

    def __len__(self) -> int:
        return self._count

    def _grow(self) -> None:
        high, low, values = self._high, self._low, self._values  # moved over slot by slot: no list of entries
        self._make(2 * (self._mask + 1))
        for i, value in enumerate(values):
            if value:
                j = self._slot(high[i], low[i])
                self._high[j], self._low[j], self._values[j] = high[i], low[i], value
