"""Several real processes against one register, and processes that die mid-way.

Workers are separate Python processes (``subprocess``) running the code in
:data:`WORKER`; they start together at a shared moment to collide as much as
possible.  Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lettergen.register import STALE_REASON, Register

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import hashlib, sys, time
from datetime import date
from pathlib import Path
from lettergen.numbering import format_number, sequence_key
from lettergen.register import Register

url, name, mode, count, out, start_at = sys.argv[1:7]
count, start_at, out = int(count), float(start_at), Path(out)
pattern = "{org}{code}函〔{year}〕{seq}号"

def spec(i):
    return dict(kind="payment_reminder", sequence_key=sequence_key(pattern, org="华贸", code="催", year=2026),
                year=2026, make_number=make_number, letter_date=date(2026, 5, 1), customer=f"{name}-客户{i}",
                subject="催款", data={"worker": name, "i": i}, template_name="t.docx", template_hash="h",
                issued_by=name)

def make_number(seq):
    if mode == "hang":  # inside the reserving transaction, with the sequence locked
        print("locked", flush=True)
        time.sleep(600)
    return format_number(pattern, org="华贸", code="催", year=2026, seq=seq)

def write(entry):
    path = out / f"{entry.seq}.docx"
    path.write_bytes(f"{entry.number} {entry.customer}".encode())
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()

register = Register(url)
while time.time() < start_at:
    time.sleep(0.002)
if mode == "single":
    for i in range(count):
        with register.issuing(**spec(i)) as entry:
            register.mark_issued(entry.number, **dict(zip(("output_path", "file_hash"), write(entry))))
        print(entry.number, flush=True)
elif mode == "batch":
    for start in range(0, count, 10):
        entries = register.reserve_many([spec(i) for i in range(start, min(start + 10, count))])
        register.mark_issued_many([(e.number, *write(e)) for e in entries])
        for e in entries:
            print(e.number, flush=True)
elif mode in ("reserve_and_wait", "hang"):
    entry = register.reserve(**spec(0))
    print(entry.number, flush=True)
    time.sleep(600)
"""


def start_worker(url: str, name: str, mode: str, count: int, out: Path, start_at: float) -> subprocess.Popen:
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, url, name, mode, str(count), str(out), str(start_at)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


def finish(proc: subprocess.Popen, timeout: float = 180) -> list[str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out.split()


@pytest.mark.slow
@pytest.mark.parametrize("modes", [("single",) * 4, ("single", "batch", "single", "batch")], ids=["single", "mixed"])
def test_four_processes_issuing_50_each_get_numbers_1_to_200(register_url, tmp_path, modes):
    Register(register_url).close()  # schema created up front; workers race only for numbers
    start_at = time.time() + 4  # every worker imported and waiting, even on a busy machine
    procs = [start_worker(register_url, f"w{i}", mode, 50, tmp_path / f"w{i}", start_at)
             for i, mode in enumerate(modes)]
    printed = [finish(p) for p in procs]

    everything = [n for numbers in printed for n in numbers]
    assert len(everything) == 200 and len(set(everything)) == 200
    with Register(register_url) as register:
        entries = register.list()
        assert [e.seq for e in entries] == list(range(1, 201))
        assert {e.number for e in entries} == set(everything)
        assert all(e.status == "issued" for e in entries)
        for i, numbers in enumerate(printed):  # each worker saw its own numbers rise
            seqs = [register.get(n).seq for n in numbers]
            assert seqs == sorted(seqs) and {register.get(n).issued_by for n in numbers} == {f"w{i}"}
        report = register.verify()
    assert report.ok, report.problems
    assert report.checked["files"] == 200
    interleaved = sum(1 for a, b in zip(entries, entries[1:]) if a.issued_by != b.issued_by)
    assert interleaved > 3  # the workers really ran at the same time


@pytest.mark.slow
def test_process_killed_after_reserving_is_voided_and_number_never_reused(register_url, tmp_path, spec):
    register = Register(register_url)
    before = register.reserve(**spec())
    register.mark_issued(before.number, output_path="/x", file_hash="h")
    proc = start_worker(register_url, "victim", "reserve_and_wait", 1, tmp_path, 0)
    number = proc.stdout.readline().strip()
    assert number == "华贸催函〔2026〕2号"
    assert register.verify(check_files=False).in_progress == [number]  # alive: in progress, fine
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    report = register.verify(check_files=False)
    assert not report.ok and any(number in p and "进程已退出" in p for p in report.problems)
    [recovered] = register.recover_stale()
    assert (recovered.number, recovered.status, recovered.status_reason) == (number, "void", STALE_REASON)
    assert register.verify(check_files=False).ok
    assert register.recover_stale() == []
    after = register.reserve(**spec())
    assert after.number == "华贸催函〔2026〕3号"
    assert register.get(number).status == "void"
    register.close()


@pytest.mark.slow
def test_process_killed_inside_the_reserving_transaction_leaves_no_trace(register_url, tmp_path, spec):
    register = Register(register_url)
    proc = start_worker(register_url, "victim", "hang", 1, tmp_path, 0)
    assert proc.stdout.readline().strip() == "locked"  # holds the sequence lock, nothing committed
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    started = time.monotonic()
    entry = register.reserve(**spec())
    assert time.monotonic() - started < 10  # the dead process's lock was released
    assert entry.seq == 1  # the uncommitted reservation never existed
    assert register.verify(check_files=False).ok
    register.close()

