"""A list kept in an anonymous temporary file: append, then read back by index or in order.

Big batches use it so that what they collect per row or per letter (the
rows of a sheet, the planned letters, the results) costs a few bytes of
memory each, whatever the size of the batch.  The file has no name (it is
unlinked as soon as it is made), so nothing lingers after a crash, and it
goes when the list is closed or garbage-collected.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from typing import Any, Iterator


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
        return (self[i] for i in range(len(self._starts)))

    def close(self) -> None:
        self._file.close()
