"""Group commit: concurrent issue requests of one process share the register's transactions.

Issuing one letter costs two committed transactions (reserve the number
with the path its file will have, mark it issued) and one synced file.  On
SQLite every commit waits for the disk, so letters issued one by one queue
up behind each other's commits.  A :class:`GroupIssuer` lets each caller
validate, compute and trial-render its letter in its own thread (errors
there consume nothing, as with :func:`lettergen.issuing.issue`), then hands
it to one background thread that checks the output folder once for the
group (a synced test file: one disk wait, not one per letter; none when the
previous group's letters were written there less than :data:`RECHECK_SECONDS`
ago, in which case a folder that breaks in that second voids the group's
numbers with the reason instead of refusing them) and takes
every letter waiting at that moment through the same two transactions
(:meth:`Register.reserve_many` with its ``plan`` of output paths,
:meth:`~Register.mark_issued_entries`).  The register's own checks
(:func:`check_register`, :func:`recover`) run when a cheap read cannot show
that nothing changed since the last group (see :meth:`GroupIssuer._check_register`).
Numbers stay consecutive and in
arrival order; a letter that fails after its number was taken is voided with
the reason, exactly as in :func:`lettergen.issuing.issue`.  The group's files
are written and synced side by side.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .config import Config
from .errors import RegisterError
from .files import write_atomic
from .identity import check_register, letter_identity
from .issuing import PLACEHOLDER_NUMBER, Issued, output_name, quality_gate, recover, reserve_spec
from .letters import Prepared, Rendering, numbered, prepare, template_for, trial_letter
from .preflight import check_filename_pattern, check_output_folder
from .register import Entry, Register
from .register.engine import safe_url
from .sources import NameSet

MAX_GROUP = 64  # letters per group: bounds the time the register's write lock is held
WRITERS = 8  # letter files written (and synced) at the same time
RECHECK_SECONDS = 1.0  # the register and output folder checks run at least this often (see _issue_group)


@dataclass
class _Ticket:
    prepared: Prepared
    template: Any
    trial: Rendering  # numbered from here when that is exact (see letters.numbered)
    spec: dict[str, Any]
    findings: list
    size: int  # bytes of the trial rendering: the room the output folder must have
    done: threading.Event = field(default_factory=threading.Event)
    entry: Entry | None = None
    path: Path | None = None
    identity: dict[str, str] | None = None  # the register's identity, written into the letter's properties
    error: BaseException | None = None

    def fail(self, exc: BaseException) -> None:
        self.error = exc
        self.done.set()


class GroupIssuer:
    """Issues letters for the threads of one process, several per transaction."""

    def __init__(self, config: Config, register: Callable[[], Register]):
        self.config = config
        self.register = register
        self._queue: queue.Queue[_Ticket] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._names: NameSet | None = None
        self._writers: ThreadPoolExecutor | None = None
        self._mark: tuple[str | None, int] | None = None  # the register's watermark seen by the last group
        self._checked_at = 0.0  # when check_register and recover last ran (time.monotonic)
        self._wrote_at = 0.0  # when the last group's letters were all written (0: it failed)

    def issue(self, kind: str, data: dict[str, Any], *, strict: bool = False, actor: str | None = None,
              idempotency_key: str | None = None) -> Issued:
        """As :func:`lettergen.issuing.issue` (to the configured output folder), in a group."""
        cfg = self.config
        prepared = prepare(kind, data, cfg)
        template = template_for(cfg, kind)
        # the fit is stored with the context; the trial rendering: template errors consume no number
        trial = trial_letter(template, prepared.context, cfg, PLACEHOLDER_NUMBER)
        findings = quality_gate(prepared, trial.docx, cfg, strict=strict)
        check_filename_pattern(cfg.filename_pattern)  # settings problems must not cost a number
        spec = reserve_spec(cfg, prepared, template.name, template.sha256, actor=actor, idempotency_key=idempotency_key)
        ticket = _Ticket(prepared, template, trial, spec, findings, len(trial.docx))
        self._ensure_thread()
        self._queue.put(ticket)
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return Issued(ticket.entry, ticket.path, prepared, findings)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._mark, self._names, self._wrote_at = None, None, 0.0  # a new process checks for itself
                # each file is synced to disk; syncing a group's files side by side overlaps the waits
                self._writers = ThreadPoolExecutor(WRITERS, thread_name_prefix="lettergen-write")
                self._thread = threading.Thread(target=self._run, name="lettergen-issuer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._issue_group(group)
            except BaseException as exc:  # noqa: BLE001 (every waiting caller must get an answer)
                for ticket in group:
                    if not ticket.done.is_set():
                        ticket.fail(exc)

    def _issue_group(self, group: list[_Ticket]) -> None:
        # disk and register problems fail the whole group before any number is taken; the test file is
        # spared when the last group's letters were written into the folder just now (room is checked still)
        just_wrote = time.monotonic() - self._wrote_at < RECHECK_SECONDS
        check_output_folder(self.config.output_dir, len(group), max(t.size for t in group), probe=not just_wrote)
        register = self.register()
        self._check_register(register)
        out_dir = self.config.output_dir.resolve()

        def plan(index: int, number: str, seq: int) -> str:  # the file's path goes in with the number
            return str(out_dir / self._name(out_dir, group[index].prepared, number, seq))

        try:
            entries = register.reserve_many([t.spec for t in group], plan=plan)
        except BaseException:
            self._names = None  # names given to numbers that were not taken: read the folder again
            raise
        try:
            register_id = register.register_id
            for ticket, entry in zip(group, entries):
                ticket.entry = entry
                ticket.identity = letter_identity(entry, register_id)
                ticket.path = Path(entry.output_path)
        except BaseException as exc:
            self._void(register, group, exc)
            raise
        written = []
        self._wrote_at = 0.0
        for ticket, outcome in zip(group, self._writers.map(self._write, group)):
            if isinstance(outcome, Exception):  # this letter fails; the others go on
                self._void(register, [ticket], outcome)
            else:
                written.append((ticket, outcome))
        if len(written) == len(group):
            self._wrote_at = time.monotonic()
        try:  # the entries as stored come back from the same transaction
            final = register.mark_issued_entries([(t.entry.number, str(t.path), digest) for t, digest in written])
        except BaseException as exc:
            self._void(register, [t for t, _ in written], exc)
            raise
        for ticket, _digest in written:
            ticket.entry = final[ticket.entry.number]
            ticket.done.set()

    def _check_register(self, register: Register) -> None:
        """:func:`check_register` and :func:`recover`, or the proof that they would find nothing new.

        Both run for the first group, whenever the register's id or high water
        (:meth:`Register.watermark`) is not what the last group saw, and at
        least every :data:`RECHECK_SECONDS`; in between one cheap read shows
        that the register is the one checked (entries are never deleted, so an
        older copy put back has a lower high water).
        """
        mark = register.watermark()
        last, self._mark = self._mark, None
        if last is not None and mark[0] != last[0]:
            raise RegisterError(f"登记簿 {safe_url(register.url)} 在服务运行期间被换成了另一个（编号 {last[0]} → {mark[0]}）；"
                                "请确认登记簿无误后重启服务（未占用文号）")
        if last is None or mark[1] < last[1] or time.monotonic() - self._checked_at >= RECHECK_SECONDS:
            check_register(register, self.config, [self.config.output_dir])  # an emptied register takes no number
            recover(register)  # reservations left by dead processes are settled
            self._checked_at = time.monotonic()
        self._mark = mark

    def _name(self, out_dir: Path, prepared: Prepared, number: str, seq: int) -> str:
        if self._names is None:
            self._names = NameSet.in_folder(out_dir)
        while True:  # other processes write into the same folder: never take a name that exists
            name = output_name(self.config, prepared, number, seq, self._names)
            if not (out_dir / name).exists():
                return name
            self._names.add(name)

    @staticmethod
    def _write(ticket: _Ticket) -> str | Exception:
        """Render with the number and write (synced) one letter; its hash, or the error."""
        try:
            return write_atomic(ticket.path, numbered(ticket.template, ticket.trial, ticket.prepared.context,
                                                      PLACEHOLDER_NUMBER, ticket.entry.number, ticket.identity,
                                                      ticket.entry.verify_code))
        except Exception as exc:  # noqa: BLE001 (reported per letter)
            return exc

    @staticmethod
    def _void(register: Register, tickets: list[_Ticket], exc: BaseException) -> None:
        detail = str(exc).strip() or type(exc).__name__
        for ticket in tickets:
            try:
                register.mark_void(ticket.entry.number, f"签发失败：{detail}")
            except Exception as void_exc:  # noqa: BLE001 (keep the original error in front)
                exc.add_note(f"（文号 {ticket.entry.number} 未能作废：{void_exc}）")
            ticket.fail(exc)
