"""Batch jobs of the HTTP service, kept in the register's database.

Any process (another worker, another host, ``lettergen`` itself) reads a
job's state from here.  A job records the process running it; when that
process has died (``kill -9``, a restart), :meth:`JobStore.claim_orphans`
hands the job to a live process, which runs it again: the batch's resume by
source key keeps every letter already issued, so nothing is numbered twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import UnknownJob
from . import process
from .entry import aware, utcnow
from .schema import api_jobs

if TYPE_CHECKING:
    from .core import Register

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
JOB_STATES = (QUEUED, RUNNING, DONE, FAILED)


@dataclass
class JobState:
    """A batch job as any process sees it."""

    id: str
    kind: str
    status: str
    options: dict[str, Any]
    source_name: str
    work_dir: str
    actor: str | None
    done: int
    total: int
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    created_at: datetime
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)


def _state(row) -> JobState:
    return JobState(
        row["id"], row["kind"], row["status"], json.loads(row["options"]), row["source_name"], row["work_dir"],
        row["actor"], row["done"], row["total"], json.loads(row["result"]) if row["result"] else None,
        json.loads(row["error"]) if row["error"] else None, row["attempts"], aware(row["created_at"]),
        aware(row["updated_at"]))


class JobStore:
    """Create, update and read batch jobs in ``register``'s database."""

    def __init__(self, register: "Register"):
        self.register = register

    def create(self, job_id: str, *, kind: str, options: dict[str, Any], source_name: str, work_dir: str,
               actor: str | None) -> JobState:
        """A queued job owned by this process."""
        now, me = utcnow(), process.current()
        with self.register.transaction() as conn:
            conn.execute(sa.insert(api_jobs).values(
                id=job_id, kind=kind, status=QUEUED, options=json.dumps(options, ensure_ascii=False),
                source_name=source_name, work_dir=work_dir, actor=actor, done=0, total=0, result=None, error=None,
                attempts=0, created_at=now, updated_at=now, pid=me.pid, host=me.host, proc_start=me.start))
        return self.get(job_id)

    def get(self, job_id: str) -> JobState:
        with self.register.transaction(write=False) as conn:
            row = conn.execute(sa.select(api_jobs).where(api_jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise UnknownJob(job_id)
        return _state(row)

    def _update(self, job_id: str, **values: Any) -> None:
        with self.register.transaction() as conn:
            conn.execute(sa.update(api_jobs).where(api_jobs.c.id == job_id).values(updated_at=utcnow(), **values))

    def start(self, job_id: str) -> None:
        me = process.current()
        self._update(job_id, status=RUNNING, attempts=api_jobs.c.attempts + 1, pid=me.pid, host=me.host,
                     proc_start=me.start)

    def progress(self, job_id: str, done: int, total: int) -> None:
        self._update(job_id, done=done, total=total)

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        self._update(job_id, status=DONE, result=json.dumps(result, ensure_ascii=False))

    def fail(self, job_id: str, error: dict[str, Any], result: dict[str, Any] | None = None) -> None:
        self._update(job_id, status=FAILED, error=json.dumps(error, ensure_ascii=False),
                     result=json.dumps(result, ensure_ascii=False) if result else None)

    def claim_orphans(self) -> list[JobState]:
        """Unfinished jobs whose process has exited, now owned by this one (to be run again)."""
        me = process.current()
        claimed = []
        with self.register.transaction() as conn:
            rows = conn.execute(sa.select(api_jobs).where(api_jobs.c.status.in_((QUEUED, RUNNING)))
                                .order_by(api_jobs.c.created_at).with_for_update()).mappings().all()
            for row in rows:
                holder = process.ProcessId(row["pid"], row["host"], row["proc_start"])
                if process.is_alive(holder) is False:
                    conn.execute(sa.update(api_jobs).where(api_jobs.c.id == row["id"]).values(
                        status=QUEUED, pid=me.pid, host=me.host, proc_start=me.start, updated_at=utcnow()))
                    claimed.append(row["id"])
        return [self.get(job_id) for job_id in claimed]
