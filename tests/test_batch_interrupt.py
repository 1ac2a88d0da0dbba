"""Interrupted batches are safe to run again.

A real ``lettergen batch`` process on a 600-letter sheet is interrupted while
it writes letters — Ctrl-C (SIGINT to its process group, as a terminal sends
it) or SIGKILL — and the same command is run again.  Afterwards every input
record has exactly one issued letter; the letters issued before the
interruption keep their numbers and files; numbers run 1..n without gaps
(void ones only with a reason); no temporary ``.part`` file is left; every
file matches its register hash and ``Register.verify()`` passes.

Two deterministic cases pin down the window between writing a letter and
registering it: a process that dies after renaming the file but before
``mark_issued`` (its entry must be completed and the row kept, not issued
twice), and one that dies before writing (its number is voided with a
reason and the row issued again).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from lettergen.register import Register
from tests.test_batch import Workspace, invoice_row, read_csv_rows, sha256, write_csv
from tests.test_batch import _no_register_override, ws  # noqa: F401 - shared fixtures

LETTERS = 600


def big_sheet(path: Path, letters: int = LETTERS) -> Path:
    """``letters`` customers; every tenth has a second invoice (two rows, one letter)."""
    rows = []
    for i in range(1, letters + 1):
        rows.append(invoice_row(i))
        if i % 10 == 0:
            rows.append(invoice_row(i, {"发票或合同号": f"合同 HT-{i}", "金额": "99.00"}))
    return write_csv(path, rows)


def batch_command(ws: Workspace, source: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "lettergen", "--config", str(ws.settings), "batch", "payment_reminder",
            str(source), "--out", str(ws.out), *options]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("LETTERGEN_REGISTER_URL", None)
    return env


def count_letters(out: Path) -> int:
    return len(list(out.glob("*.docx"))) if out.is_dir() else 0


def interrupt_when_letters_exist(command: list[str], out: Path, sig: signal.Signals, at_least: int = 3):
    """Start ``command``, send ``sig`` to its process group once ``at_least`` letters exist."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while count_letters(out) < at_least:
            if proc.poll() is not None:
                pytest.fail(f"batch ended (exit {proc.returncode}) before it could be interrupted: "
                            f"{proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("no letters were written within 120 s")
            time.sleep(0.005)
        os.killpg(proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=60)
        return proc.returncode, stdout.decode(), stderr.decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        _reap_group(proc.pid)


def _reap_group(pgid: int) -> None:
    """Kill workers of the interrupted run that might have outlived it (same process group)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def letter_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def assert_every_record_issued_once(ws: Workspace, letters: int, before: dict[str, tuple[str, str]]) -> None:
    """The register, the folder and the manifest after the batch was run to the end."""
    with Register(ws.url) as register:
        entries = register.list()
        report = register.verify()
    assert report.ok, report.problems
    assert sorted(e.seq for e in entries) == list(range(1, len(entries) + 1))  # no gaps, no duplicates
    assert not [e for e in entries if e.status == "reserved"]
    voided = [e for e in entries if e.status == "void"]
    assert all((e.status_reason or "").strip() for e in voided)
    issued = [e for e in entries if e.status == "issued"]
    assert len(issued) == letters
    assert len({e.source_key for e in issued}) == letters  # one letter per source record

    # the letters issued before the interruption kept their numbers and files
    by_key = {e.source_key: e for e in issued}
    for key, (number, digest) in before.items():
        assert (by_key[key].number, by_key[key].file_hash) == (number, digest)

    files = {p for p in ws.out.iterdir() if p.suffix == ".docx"}
    assert files == {Path(e.output_path) for e in issued}  # no second file for a record, none for void numbers
    leftovers = [p.name for p in ws.out.iterdir() if p.name.startswith(".~") or ".part" in p.name]
    assert leftovers == []
    for entry in issued:
        path = Path(entry.output_path)
        assert sha256(path) == entry.file_hash
        xml = letter_xml(path)
        assert entry.number in xml and entry.customer in xml

    manifest = json.loads((ws.out / "manifest.json").read_text(encoding="utf-8"))["letters"]
    assert len(manifest) == letters
    assert {r["status"] for r in manifest} <= {"issued", "kept"}
    assert sorted(r["source_key"] for r in manifest) == sorted(by_key)
    assert all(by_key[r["source_key"]].number == r["number"] for r in manifest)
    assert [r["行号"] for r in read_csv_rows(ws.out / "manifest.csv")][:10] == [
        "2", "3", "4", "5", "6", "7", "8", "9", "10", "11-12"]


def settled_before_rerun(ws: Workspace) -> tuple[dict[str, tuple[str, str]], int]:
    """Letters issued so far (source key → number, hash) and how many a rerun will keep."""
    with Register(ws.url) as register:
        entries = register.list()
    issued = {e.source_key: (e.number, e.file_hash) for e in entries if e.status == "issued"}
    written = [e for e in entries if e.status == "reserved" and e.output_path and Path(e.output_path).is_file()]
    return issued, len(issued) + len(written)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_batch_resumes_without_duplicates_or_gaps(ws, tmp_path, sig):
    source = big_sheet(tmp_path / "overdue.csv")
    command = batch_command(ws, source, "--jobs", "2")

    code, _out, err = interrupt_when_letters_exist(command, ws.out, sig)
    if sig == signal.SIGINT:
        assert code == 130 and "已中止" in err
    else:
        assert code == -signal.SIGKILL
    issued, kept = settled_before_rerun(ws)
    assert kept < LETTERS, "the batch was not really interrupted"

    rerun = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"签发 {LETTERS - kept} 封，保留此前已签发 {kept} 封" in rerun.stdout
    assert_every_record_issued_once(ws, LETTERS, issued)

    third = subprocess.run(command, capture_output=True, text=True, env=child_env(), timeout=600)
    assert third.returncode == 0 and f"签发 0 封，保留此前已签发 {LETTERS} 封" in third.stdout


CRASH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from lettergen.batch import plan_batch
    from lettergen.config import load_config
    from lettergen.files import write_atomic
    from lettergen.issuing import output_name, reserve_spec
    from lettergen.letters import prepare, render_context, template_for
    from lettergen.register import Register

    settings, source, out, when = sys.argv[1:5]
    config = load_config(settings)
    record = plan_batch("payment_reminder", Path(source), config).letters[0].record
    prepared = prepare("payment_reminder", record.data, config)
    template = template_for(config, "payment_reminder")
    register = Register(config.register_url)
    spec = reserve_spec(config, prepared, template.name, template.sha256, batch_id="crashed",
                        source_key=record.source_key)
    [entry] = register.reserve_many([spec])
    path = Path(out) / output_name(config, prepared, entry.number, entry.seq, set())
    register.plan_outputs([(entry.number, str(path))])
    if when == "after_rename":
        write_atomic(path, render_context(template, prepared.context, entry.number))
    os._exit(9)  # dies before mark_issued
""")


def test_letter_written_but_not_registered_is_completed_and_kept(ws, tmp_path):
    source = write_csv(tmp_path / "three.csv", [invoice_row(1), invoice_row(2), invoice_row(3)])
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(ws.settings), str(source), str(ws.out), "after_rename"],
                             capture_output=True, text=True, env=child_env())
    assert crashed.returncode == 9, crashed.stderr
    [stale] = ws.entries()
    assert stale.status == "reserved" and Path(stale.output_path).is_file()
    written = sha256(Path(stale.output_path))

    run = ws.batch("payment_reminder", source, "-j", "1")
    assert run.code == 0, run.err
    assert "签发 2 封，保留此前已签发 1 封" in run.out and "收回中断的文号 1 个" in run.out
    entries = ws.entries()
    assert [(e.seq, e.status, e.customer) for e in entries] == [
        (1, "issued", "测试客户0001有限公司"), (2, "issued", "测试客户0002有限公司"), (3, "issued", "测试客户0003有限公司")]
    assert (entries[0].output_path, entries[0].file_hash) == (stale.output_path, written)
    assert [(r["行号"], r["状态"], r["文号"]) for r in ws.manifest()] == [
        ("2", "已存在（保留）", stale.number), ("3", "已签发", entries[1].number), ("4", "已签发", entries[2].number)]
    assert len(ws.letters()) == 3
    assert ws.verify().ok


def test_letter_not_yet_written_is_voided_with_reason_and_issued_again(ws, tmp_path):
    source = write_csv(tmp_path / "three.csv", [invoice_row(1), invoice_row(2), invoice_row(3)])
    crashed = subprocess.run([sys.executable, "-c", CRASH, str(ws.settings), str(source), str(ws.out), "before_write"],
                             capture_output=True, text=True, env=child_env())
    assert crashed.returncode == 9, crashed.stderr

    run = ws.batch("payment_reminder", source, "-j", "1")
    assert run.code == 0, run.err
    assert "签发 3 封，保留此前已签发 0 封" in run.out
    entries = ws.entries()
    assert [(e.seq, e.status) for e in entries] == [(1, "void"), (2, "issued"), (3, "issued"), (4, "issued")]
    assert entries[0].status_reason == "签发中断（进程已退出）"
    assert entries[1].customer == "测试客户0001有限公司"  # the row got the next number
    assert len(ws.letters()) == 3
    assert ws.verify().ok


KILLED_BEFORE_MARKING = textwrap.dedent("""
    import os, sys
    import lettergen.register.core as core
    core.Register.mark_issued_many = lambda self, items: os._exit(9)
    from lettergen.cli import main
    main(sys.argv[1:])
""")


def test_real_batch_killed_between_writing_and_registering_keeps_every_letter(ws, tmp_path):
    source = write_csv(tmp_path / "thirty.csv", [invoice_row(i) for i in range(1, 31)])
    args = batch_command(ws, source, "--jobs", "2")[3:]
    crashed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_MARKING, *args],
                             capture_output=True, text=True, env=child_env())
    assert crashed.returncode == 9, crashed.stderr
    stale = ws.entries()
    assert len(stale) == 30 and {e.status for e in stale} == {"reserved"}
    hashes = {e.number: sha256(Path(e.output_path)) for e in stale}

    run = ws.batch("payment_reminder", source, "-j", "2")
    assert run.code == 0, run.err
    assert "签发 0 封，保留此前已签发 30 封" in run.out
    entries = ws.entries()
    assert [(e.seq, e.status) for e in entries] == [(i, "issued") for i in range(1, 31)]
    assert {e.number: e.file_hash for e in entries} == hashes
    assert len(ws.letters()) == 30
    assert ws.verify().ok


def test_spill_folder_of_a_killed_batch_is_removed_by_the_next_one(ws, tmp_path):
    import tempfile

    from lettergen.batch.work import SPILL_PREFIX

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Path(tempfile.gettempdir()) / f"{SPILL_PREFIX}{int(dead.stdout)}-test{os.getpid()}"
    stale.mkdir()
    (stale / "123.spill").write_bytes(b"letters' data of a killed batch")
    source = write_csv(tmp_path / "one.csv", [invoice_row(1)])
    assert ws.batch("payment_reminder", source, "-j", "1").code == 0
    assert not stale.exists()
    mine = list(Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}{os.getpid()}-*"))
    assert mine == []  # the batch's own folder is gone too
