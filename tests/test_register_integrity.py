"""The register is never fooled: letters carry their register's identity; an emptied or
replaced register refuses to number; backup, rebuild, verify of unknown letters; one
letter per input row even when the same sheet runs twice at once; reissue never overwrites."""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from lettergen import api
from lettergen.batch.run import run_batch
from lettergen.docprops import read_identity
from lettergen.errors import OutputExists, RegisterError
from lettergen.register import Register
from lettergen.register import engine as db
from tests.test_batch import SAMPLES, Workspace, _no_register_override, invoice_row, write_csv  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ws(tmp_path, capsys) -> Workspace:
    return Workspace(tmp_path / "ws", capsys)


def _issue_sample(ws: Workspace, kind: str = "complaint_response") -> None:
    run = ws.batch(kind, SAMPLES / f"{kind}.csv", "-j", "1")
    assert run.code == 0, run.err


def test_every_letter_carries_its_register_identity(ws, sample_data):
    _issue_sample(ws)
    single = api.issue_letter("after_sales", sample_data("after_sales"), config=ws.config)
    with Register(ws.url) as register:
        register_id = register.register_id
        entries = register.list()
    assert len(register_id) == 32 and len(entries) == 4
    for entry in entries:
        ident = read_identity(entry.output_path)
        assert ident["register_id"] == register_id
        assert (ident["number"], ident["kind"], ident["sequence_key"], ident["seq"], ident["year"]) == (
            entry.number, entry.kind, entry.sequence_key, str(entry.seq), str(entry.year))
    assert read_identity(single.path)["kind"] == "after_sales"
    with zipfile.ZipFile(single.path) as zf:
        assert "docProps/custom.xml" in zf.namelist()
        assert b"custom-properties" in zf.read("_rels/.rels")


def test_an_emptied_register_refuses_to_number_again_and_says_how_to_restore(ws, sample_data):
    _issue_sample(ws)
    Path(ws.url.removeprefix("sqlite:///")).unlink()  # lost / replaced by an empty one
    run = ws.batch("payment_reminder", SAMPLES / "payment_reminder.csv", "-j", "1")
    assert run.code == 5
    assert "是空的" in run.err and "register rebuild" in run.err and "register backup" in run.err
    with pytest.raises(RegisterError, match="重复使用已签发的文号"):
        api.issue_letter("complaint_response", sample_data("complaint_response"), config=ws.config)
    assert ws.entries() == []  # nothing numbered


def test_a_register_other_than_the_one_in_the_settings_refuses(ws, sample_data):
    text = ws.settings.read_text(encoding="utf-8").replace("[register]\n", '[register]\nid = "0123456789abcdef"\n')
    ws.settings.write_text(text, encoding="utf-8")
    run = ws.batch("complaint_response", SAMPLES / "complaint_response.csv", "-j", "1")
    assert run.code == 5 and "0123456789abcdef" in run.err and "[register] id" in run.err
    assert ws.entries() == [] and not list(ws.out.glob("*.docx"))


def test_backup_is_a_consistent_copy_and_never_overwrites(ws):
    _issue_sample(ws)
    target = ws.folder / "backups" / "register-copy.sqlite"
    run = ws.lettergen("register", "backup", target)
    assert run.code == 0 and str(target) in run.out
    with Register(f"sqlite:///{target}") as copy, Register(ws.url) as original:
        assert [e.number for e in copy.list()] == [e.number for e in original.list()]
        assert copy.register_id == original.register_id and copy.verify().ok
    assert sqlite3.connect(target).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = ws.lettergen("register", "backup", target)
    assert again.code == 2 and "文件已存在" in again.err


@pytest.mark.postgres
def test_backup_of_a_postgresql_register_gives_pg_dump_advice(tmp_path):
    from tests.register_fixtures import _fresh_pg_database

    for url in _fresh_pg_database():
        with Register(url) as register, pytest.raises(RegisterError) as info:
            register.backup(tmp_path / "x.dump")
        assert "pg_dump --format=custom" in str(info.value) and "pg_restore" in str(info.value)
        assert ":lettergen@" not in str(info.value)  # no password in the advice


def test_rebuild_restores_entries_and_sequences_from_the_letters(ws):
    _issue_sample(ws)
    _issue_sample(ws, "sales_letter")
    with Register(ws.url) as register:
        before = {e.number: e for e in register.list()}
        register_id = register.register_id
    lost = before["禾丰诉函〔2026〕2号"]
    Path(lost.output_path).unlink()  # this letter's file is gone too
    Path(ws.url.removeprefix("sqlite:///")).unlink()
    run = ws.lettergen("register", "rebuild", ws.out)
    assert run.code == 0, run.err
    assert "已签发 5 封" in run.out and "1 个登记为作废" in run.out
    with Register(ws.url) as register:
        after = {e.number: e for e in register.list()}
        assert register.register_id == register_id
        assert register.verify().ok
    assert set(after) == set(before)
    assert after[lost.number].status == "void"
    for number, entry in before.items():
        if number != lost.number:
            got = after[number]
            assert (got.status, got.file_hash, got.customer, got.letter_date, got.seq) == (
                "issued", entry.file_hash, entry.customer, entry.letter_date, entry.seq)
    # numbering goes on after the highest number found, never reusing one
    row = write_csv(ws.folder / "one.csv", [invoice_row(1)])
    assert ws.batch("payment_reminder", row, "-j", "1").code == 0
    _issue_more = ws.batch("complaint_response", SAMPLES / "complaint_response.csv", "-j", "1")
    assert "保留此前已签发 2 封" in _issue_more.out  # rows are recognised again by their source keys
    assert ws.verify().ok
    again = ws.lettergen("register", "rebuild", ws.out)
    assert again.code == 5 and "不是空的" in again.err


def test_verify_reports_letters_the_register_does_not_know(ws, make_ws):
    _issue_sample(ws)
    other = make_ws("other")
    _issue_sample(other, "sales_letter")
    stray = next(other.out.glob("*.docx"))
    shutil.copy(stray, ws.out / stray.name)
    run = ws.lettergen("register", "verify")
    assert run.code == 1
    assert f"{stray.name} 是另一登记簿" in run.out
    # and a register that lost entries: the letters on disk are reported with the way back
    Path(ws.url.removeprefix("sqlite:///")).unlink()
    run = ws.lettergen("register", "verify", "--dir", ws.out)
    assert run.code == 1 and "不在登记簿中" in run.out and "register rebuild" in run.out


@pytest.fixture
def make_ws(tmp_path, capsys):
    return lambda name: Workspace(tmp_path / name, capsys)


def test_same_sheet_run_twice_at_once_gives_one_letter_per_row(ws, monkeypatch):
    """The second run looked for earlier letters before the first had reserved (the race)."""
    source = write_csv(ws.folder / "rows.csv", [invoice_row(i) for i in range(1, 6)])
    first = run_batch("payment_reminder", source, ws.config, ws.out, jobs=1)
    assert first.count("issued") == 5
    monkeypatch.setattr(Register, "find_by_source_keys", lambda self, kind, keys: {})
    second = run_batch("payment_reminder", source, ws.config, ws.out, jobs=1)
    assert second.count("issued") == 0 and second.count("kept") == 5
    assert sorted(r.number for r in second.results) == sorted(r.number for r in first.results)
    assert len(ws.entries()) == 5 and ws.verify().ok


CLAIMER = r"""
import json, sys, time
from lettergen.register import Register
from tests.register_fixtures import letter_spec

url, name, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
register = Register(url)
specs = [letter_spec(source_key=f"rows.csv#{i}", customer=f"客户{i}", issued_by=name) for i in range(40)]
while time.time() < start_at:
    time.sleep(0.001)
new = []
for start in range(0, 40, 5):
    fresh, taken = register.claim_many(specs[start:start + 5])
    new += [e.number for e in fresh]
print(json.dumps(new))
"""


def test_two_processes_claiming_the_same_rows_at_once_number_each_row_once(register_url):
    Register(register_url).close()
    start_at = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, register_url, name, str(start_at)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in "AB"]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    numbers = [n for out, _ in outputs for n in json.loads(out)]
    assert len(numbers) == 40 == len(set(numbers))
    with Register(register_url) as register:
        entries = register.list()
        assert len(entries) == 40 and sorted(e.seq for e in entries) == list(range(1, 41))
        assert len({e.source_key for e in entries}) == 40
        # no gap, no duplicate: the only findings are the reservations the exited test processes left
        assert all("仍为“预留”" in p for p in register.verify(check_files=False).problems)


def test_register_with_duplicate_source_keys_from_before_upgrades(register_url, spec):
    engine = db.create_register_engine(register_url)
    db.migrate(engine, "0002")
    engine.dispose()
    raw = sa.create_engine(register_url)
    with raw.begin() as conn:
        conn.execute(sa.text("INSERT INTO register_sequences VALUES ('华贸催函〔2026〕{seq}号', 2026, 2)"))
        for seq in (1, 2):
            conn.execute(sa.text(
                "INSERT INTO register_entries (number, sequence_key, seq, year, kind, letter_date, customer, subject,"
                " data, template_name, template_hash, source_key, status, status_at, issued_by, created_at)"
                f" VALUES ('华贸催函〔2026〕{seq}号', '华贸催函〔2026〕{{seq}}号', {seq}, 2026, 'payment_reminder',"
                " '2026-03-01', 'c', 's', '{}', 't', 'h', 'rows.csv#2', 'issued', '2026-03-01 10:00:00', 'x',"
                " '2026-03-01 10:00:00')"))
    raw.dispose()
    with Register(register_url) as register:
        keys = [e.source_key for e in register.list()]
        assert keys == ["rows.csv#2", "rows.csv#2#重复:华贸催函〔2026〕2号"]
        assert len(register.register_id) == 32


def test_reissue_never_overwrites_an_existing_file(ws, sample_data, capsys):
    issued = api.issue_letter("after_sales", sample_data("after_sales"), config=ws.config)
    other = ws.folder / "keep.docx"
    other.write_bytes(b"someone's file")
    run = ws.lettergen("register", "reissue", issued.entry.number, "-o", other)
    assert run.code == 2 and "文件已存在" in run.err
    assert other.read_bytes() == b"someone's file"
    before = issued.path.stat().st_mtime_ns
    assert api.reissue(issued.entry.number, config=ws.config) == issued.path  # intact: compared, not written
    assert issued.path.stat().st_mtime_ns == before
    original = issued.path.read_bytes()
    issued.path.write_bytes(original + b"changed")  # the recorded file was altered: never overwritten
    with pytest.raises(OutputExists):
        api.reissue(issued.entry.number, config=ws.config)
    assert issued.path.read_bytes() == original + b"changed"
    issued.path.unlink()
    restored = api.reissue(issued.entry.number, config=ws.config)
    assert restored == issued.path and read_identity(restored)["number"] == issued.entry.number
    assert ws.verify().ok


def test_rerunning_a_sheet_after_a_letter_was_corrected_issues_nothing_new(ws, tmp_path):
    source = write_csv(ws.folder / "rows.csv", [invoice_row(i) for i in (1, 2)])
    first = run_batch("payment_reminder", source, ws.config, ws.out, jobs=1)
    old = first.results[0]
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text((ROOT / "samples" / "payment_reminder.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    api.correct(old.number, api.load_data(fixed), reason="金额有误", config=ws.config)
    again = run_batch("payment_reminder", source, ws.config, ws.out, jobs=1)
    assert again.count("issued") == 0 and again.count("kept") == 2
    kept = {r.number: r.message for r in again.results}
    assert "已由 禾丰催函〔2026〕3号 订正" in kept[old.number]
    assert len(ws.entries()) == 3


@pytest.mark.libreoffice
def test_an_office_suite_sees_the_register_identity_as_document_properties(ws, sample_data, tmp_path):
    from tests.test_batch import _needs_soffice

    _needs_soffice()
    issued = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=ws.config)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "odt",
                    "--outdir", str(tmp_path), str(issued.path)], check=True, capture_output=True, timeout=180)
    odt = tmp_path / (issued.path.stem + ".odt")
    with zipfile.ZipFile(odt) as zf:
        meta = zf.read("meta.xml").decode("utf-8")
    with Register(ws.url) as register:
        register_id = register.register_id
    found = dict(re.findall(r'<meta:user-defined meta:name="lettergen\.(\w+)"[^>]*>([^<]*)<', meta))
    assert found["register_id"] == register_id and found["number"] == issued.entry.number
    assert (found["kind"], found["seq"], found["sequence_key"]) == ("payment_reminder", "1", "禾丰催函〔2026〕{seq}号")


def test_an_old_backup_put_back_refuses_to_number_again(ws):
    first = write_csv(ws.folder / "first.csv", [invoice_row(i) for i in (1, 2)])
    assert ws.batch("payment_reminder", first, "-j", "1").code == 0
    backup = ws.folder / "backup.sqlite"
    assert ws.lettergen("register", "backup", backup).code == 0
    later = write_csv(ws.folder / "later.csv", [invoice_row(i) for i in (3, 4)])
    assert ws.batch("payment_reminder", later, "-j", "1").code == 0  # numbers 3 and 4
    shutil.copy(backup, ws.url.removeprefix("sqlite:///"))  # the register is put back to before them
    more = write_csv(ws.folder / "more.csv", [invoice_row(5)])
    run = ws.batch("payment_reminder", more, "-j", "1")
    assert run.code == 5 and "比已签发的信函旧" in run.err and "register rebuild" in run.err
    assert "超出了该序列在登记簿中的最后一号（2）" in run.err
    assert [e.seq for e in ws.entries()] == [1, 2]  # nothing numbered


def test_verify_advises_a_command_and_register_recover_settles_a_dead_reservation(ws):
    Register(ws.url).close()
    code = ("import sys; from lettergen.register import Register; from tests.register_fixtures import letter_spec;"
            "Register(sys.argv[1]).reserve(**letter_spec())")  # the process exits holding a reservation
    subprocess.run([sys.executable, "-c", code, ws.url], check=True, cwd=ROOT, timeout=60)
    run = ws.lettergen("register", "verify")
    assert run.code == 1 and "请运行 lettergen register recover" in run.out and "recover_stale" not in run.out
    recovered = ws.lettergen("register", "recover")
    assert recovered.code == 0 and "华贸催函〔2026〕1号：已作废（签发中断（进程已退出））" in recovered.out
    assert "已处理中断的预留文号 1 个" in recovered.out
    assert ws.lettergen("register", "verify").code == 0
