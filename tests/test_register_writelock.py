"""SQLite writers queue on the register's lock file (lettergen.register.writelock)."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from lettergen.errors import RegisterUnavailable
from lettergen.numbering import format_number, sequence_key
from lettergen.register import Register, engine as register_engine, writelock

PATTERN = "{org}{code}函〔{year}〕{seq}号"


def _spec(i: int) -> dict:
    return dict(kind="payment_reminder", sequence_key=sequence_key(PATTERN, org="华贸", code="催", year=2026),
                year=2026, letter_date=date(2026, 5, 1), customer=f"客户{i}", subject="催款", data={"i": i},
                template_name="t.docx", template_hash="h", issued_by="测试",
                make_number=lambda seq: format_number(PATTERN, org="华贸", code="催", year=2026, seq=seq))


def _held_elsewhere(path: str) -> bool:
    """Whether another open file description holds the flock on ``path``."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_write_transaction_holds_the_lock_file_and_a_read_does_not(tmp_path):
    db = tmp_path / "register.sqlite"
    register = Register(f"sqlite:///{db}")
    lock_file = str(db) + writelock.SUFFIX
    with register.transaction() as conn:
        conn.exec_driver_sql("SELECT 1")
        assert _held_elsewhere(lock_file)
    assert not _held_elsewhere(lock_file)
    with register.transaction(write=False) as conn:
        conn.exec_driver_sql("SELECT 1")
        assert not _held_elsewhere(lock_file)
    assert os.path.getsize(lock_file) == 0


def test_threads_of_one_process_take_turns_and_every_number_is_kept(tmp_path):
    register = Register(f"sqlite:///{tmp_path / 'register.sqlite'}")
    inside, most, guard = [0], [0], threading.Lock()
    original = register_engine.transaction

    def counting(engine, *, write=True):
        cm = original(engine, write=write)

        class Wrapped:
            def __enter__(self):
                conn = cm.__enter__()
                if write:
                    with guard:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    time.sleep(0.002)
                return conn

            def __exit__(self, *exc):
                if write:
                    with guard:
                        inside[0] -= 1
                return cm.__exit__(*exc)
        return Wrapped()

    register_engine.transaction, saved = counting, register_engine.transaction
    try:
        def issue(start: int) -> None:
            for i in range(start, start + 10):
                register.reserve(**_spec(i))
        threads = [threading.Thread(target=issue, args=(k * 10,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        register_engine.transaction = saved
    assert most[0] == 1
    assert sorted(e.seq for e in register.list()) == list(range(1, 41))


def test_a_writer_waits_for_the_holder_and_starts_as_soon_as_it_lets_go(tmp_path):
    db = tmp_path / "register.sqlite"
    register = Register(f"sqlite:///{db}")
    register.reserve(**_spec(0))
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"fd = os.open({str(db) + writelock.SUFFIX!r}, os.O_RDWR)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\n"
         "sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done: list[float] = []
        writer = threading.Thread(target=lambda: (register.reserve(**_spec(1)), done.append(time.monotonic())))
        writer.start()
        time.sleep(0.3)
        assert not done, "wrote while another process held the writer lock"
        released = time.monotonic()
        holder.stdin.write("\n")
        holder.stdin.flush()
        writer.join(10)
        assert done and done[0] - released < 1.0
    finally:
        holder.kill()
        holder.wait()
    assert [e.seq for e in register.list()] == [1, 2]


def test_a_writer_that_waits_too_long_is_told_so_and_takes_no_number(tmp_path, monkeypatch):
    db = tmp_path / "register.sqlite"
    register = Register(f"sqlite:///{db}")
    register.reserve(**_spec(0))
    fd = os.open(str(db) + writelock.SUFFIX, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a new open file description: another holder, as another process
    monkeypatch.setattr(register_engine, "BUSY_TIMEOUT", 0.3)
    try:
        started = time.monotonic()
        with pytest.raises(RegisterUnavailable) as caught:
            register.reserve(**_spec(1))
        assert 0.3 <= time.monotonic() - started < 5
        assert "被其他进程占用" in str(caught.value) and "请稍后重试" in str(caught.value)
    finally:
        os.close(fd)
    assert [e.seq for e in register.list()] == [1]
    register.reserve(**_spec(1))  # the lock is free again for this process's threads
    assert [e.seq for e in register.list()] == [1, 2]


def test_no_lock_file_where_none_can_be_made(tmp_path):
    lock = writelock.WriterLock(str(tmp_path / "missing-folder" / "register.sqlite"))
    assert lock.acquire(1.0) is False
    assert lock.acquire(1.0) is False  # the thread lock was given back
    assert writelock.writer_lock(":memory:") is None and writelock.writer_lock(None) is None


def test_a_forked_child_has_locks_of_its_own(tmp_path):
    db = str(tmp_path / "register.sqlite")
    parent = writelock.writer_lock(db)
    assert parent.acquire(1.0)
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: its lock is not the parent's, and waits for the parent's
            child = writelock.writer_lock(db)
            try:
                child.acquire(0.2)
                os.write(write, b"took")
            except TimeoutError:
                os.write(write, b"waited")
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(read, 10) == b"waited"
    finally:
        parent.release()
