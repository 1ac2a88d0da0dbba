"""Idempotency keys of ``POST /letters``: a retry returns the letter already issued.

The claim row records the request's hash; the letter itself carries the key
(``register_entries.idempotency_key``), set in the same transaction that
takes its number.  So whatever instant a server dies at, a retry finds either
the letter (returned again, never a second number) or nothing (issued now).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import sqlalchemy as sa

from ..errors import IdempotencyConflict
from . import process
from .entry import ISSUED, SUPERSEDED, VOID, Entry, entry_from_row, utcnow
from .schema import api_idempotency, entries

if TYPE_CHECKING:
    from .core import Register

_local_lock = threading.Lock()
_local_in_flight: set[str] = set()
IN_PROGRESS = "同一 Idempotency-Key 的请求正在处理中，请稍后重试"


@contextmanager
def in_flight(key: str) -> Iterator[None]:
    """Refuse a second request with ``key`` while one runs in this process (threads share a pid)."""
    with _local_lock:
        if key in _local_in_flight:
            raise IdempotencyConflict(IN_PROGRESS, in_progress=True)
        _local_in_flight.add(key)
    try:
        yield
    finally:
        with _local_lock:
            _local_in_flight.discard(key)


class IdempotencyStore:
    """Claims of idempotency keys in ``register``'s database."""

    def __init__(self, register: "Register"):
        self.register = register

    def claim(self, key: str, request_hash: str) -> Entry | None:
        """The letter already issued under ``key``, or None after claiming it for this request.

        Raises :class:`IdempotencyConflict` when the key was used with another
        request, or while another live process is issuing under it.
        """
        me = process.current()
        with self.register.transaction() as conn:
            row = conn.execute(sa.select(api_idempotency).where(api_idempotency.c.key == key)
                               .with_for_update()).mappings().first()
            if row is None:
                conn.execute(sa.insert(api_idempotency).values(
                    key=key, request_hash=request_hash, created_at=utcnow(), pid=me.pid, host=me.host,
                    proc_start=me.start))
                return None
            if row["request_hash"] != request_hash:
                raise IdempotencyConflict("此 Idempotency-Key 已用于另一份不同的请求；同一个键只能重试同一份请求")
            letter = conn.execute(sa.select(entries).where(entries.c.idempotency_key == key, entries.c.status != VOID)
                                  .order_by(entries.c.id.desc()).limit(1)).mappings().first()
            if letter is not None and letter["status"] in (ISSUED, SUPERSEDED):
                return entry_from_row(letter)
            holder = process.ProcessId(row["pid"], row["host"], row["proc_start"])
            if letter is not None or (holder.pid != me.pid and process.is_alive(holder) is not False):
                raise IdempotencyConflict(IN_PROGRESS, in_progress=True)
            conn.execute(sa.update(api_idempotency).where(api_idempotency.c.key == key)
                         .values(pid=me.pid, host=me.host, proc_start=me.start))
            return None

    def release(self, key: str) -> None:
        """Forget the claim of a request that issued nothing (e.g. invalid data), so it can be fixed and retried."""
        with self.register.transaction() as conn:
            taken = conn.execute(sa.select(entries.c.id).where(entries.c.idempotency_key == key,
                                                               entries.c.status != VOID).limit(1)).first()
            if taken is None:
                conn.execute(sa.delete(api_idempotency).where(api_idempotency.c.key == key))
