"""Group commit: concurrent issues of one process share transactions, numbers stay gap-free."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from lettergen import issuing_group
from lettergen.errors import InvalidInput, OutputFolderError, RegisterError
from lettergen.issuing import open_register
from lettergen.issuing_group import GroupIssuer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def issuer(project_config):
    register = open_register(project_config)
    yield GroupIssuer(project_config, lambda: register), register
    register.close()


def seq(number: str) -> int:
    return int(re.search(r"〕(\d+)号$", number).group(1))


def test_concurrent_issues_get_consecutive_numbers_and_their_own_files(issuer, sample_data):
    group, register = issuer
    data = sample_data("after_sales")
    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(lambda i: group.issue("after_sales", data, actor=f"key:t{i % 3}"), range(40)))
    assert sorted(seq(i.entry.number) for i in issued) == list(range(1, 41))
    assert len({i.path for i in issued}) == 40 and all(zipfile.is_zipfile(i.path) for i in issued)
    entries = {e.number: e for e in register.list()}
    assert all(entries[i.entry.number].status == "issued" and i.entry.status == "issued" for i in issued)
    assert {i.entry.actor for i in issued} == {"key:t0", "key:t1", "key:t2"}
    assert register.verify().ok


def test_invalid_data_fails_in_the_callers_thread_and_takes_no_number(issuer, sample_data):
    group, register = issuer
    with pytest.raises(InvalidInput):
        group.issue("after_sales", {**sample_data("after_sales"), "service_type": "修理"})
    assert register.list() == []


def test_a_letter_that_cannot_be_written_is_voided_and_the_others_go_on(issuer, sample_data, monkeypatch):
    group, register = issuer
    real = issuing_group.write_atomic

    def flaky(path, data):
        if "〕2号" in str(path):
            raise OSError("磁盘已满")
        return real(path, data)

    monkeypatch.setattr(issuing_group, "write_atomic", flaky)
    data = sample_data("after_sales")
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: _try(lambda: group.issue("after_sales", data)), range(4)))
    failures = [o for o in outcomes if isinstance(o, OSError)]
    assert len(failures) == 1 and "磁盘已满" in str(failures[0])
    statuses = {e.seq: e.status for e in register.list()}
    assert statuses == {1: "issued", 2: "void", 3: "issued", 4: "issued"}
    assert "磁盘已满" in register.get(next(e.number for e in register.list() if e.seq == 2)).status_reason
    assert register.verify().ok


def _try(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001
        return exc


def test_an_output_folder_that_takes_no_file_fails_the_group_before_numbering(issuer, sample_data, project_config):
    group, register = issuer
    out = project_config.output_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("a file where the folder should be")  # cannot be created, takes no file
    data = sample_data("after_sales")
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _: _try(lambda: group.issue("after_sales", data)), range(4)))
    assert all(isinstance(o, OutputFolderError) and "未占用文号" in str(o) for o in outcomes)
    assert register.list() == []
    out.unlink()
    assert seq(group.issue("after_sales", data).entry.number) == 1


def test_the_register_checks_run_when_due_and_a_cheap_read_proves_the_rest(issuer, sample_data, monkeypatch):
    group, register = issuer
    calls = []
    real = issuing_group.check_register
    monkeypatch.setattr(issuing_group, "check_register", lambda *a: calls.append(1) or real(*a))
    data = sample_data("after_sales")
    for _ in range(3):
        group.issue("after_sales", data)
    assert len(calls) == 1  # the first group checks; the next ones see the same register, grown
    monkeypatch.setattr(issuing_group, "RECHECK_SECONDS", 0.0)
    group.issue("after_sales", data)
    assert len(calls) == 2  # due again: at least every RECHECK_SECONDS


def test_an_older_register_put_back_is_refused_before_numbering_even_between_checks(issuer, sample_data, project_config):
    group, register = issuer
    data = sample_data("after_sales")
    issued = [group.issue("after_sales", data) for _ in range(3)]
    with register.transaction() as conn:  # as if a backup from after the first letter were copied back
        conn.execute(sa.text("DELETE FROM register_entries WHERE seq > 1"))
        conn.execute(sa.text("UPDATE register_sequences SET last_seq = 1"))
    with pytest.raises(RegisterError, match="比已签发的信函旧"):
        group.issue("after_sales", data)  # within RECHECK_SECONDS: the lower high water forces the check
    assert [e.seq for e in register.list()] == [1]
    assert all(i.path.exists() for i in issued)


def test_a_register_replaced_by_another_while_serving_is_refused(issuer, sample_data):
    group, register = issuer
    data = sample_data("after_sales")
    group.issue("after_sales", data)
    with register.transaction() as conn:
        conn.execute(sa.text("UPDATE register_meta SET value = 'another' WHERE key = 'register_id'"))
    with pytest.raises(RegisterError, match="被换成了另一个"):
        group.issue("after_sales", data)
    assert len(register.list()) == 1


def test_a_reservation_left_by_a_dead_process_is_settled_by_a_later_group(issuer, sample_data, monkeypatch, project_config):
    group, register = issuer
    data = sample_data("after_sales")
    group.issue("after_sales", data)
    code = ("import sys; from lettergen.register import Register; from tests.register_fixtures import letter_spec;"
            "Register(sys.argv[1]).reserve(**letter_spec())")  # exits holding a reservation
    subprocess.run([sys.executable, "-c", code, project_config.register_url], check=True, cwd=ROOT, timeout=60)
    group.issue("after_sales", data)
    assert [e.status for e in register.list(status="reserved")] == ["reserved"]  # not yet due
    monkeypatch.setattr(issuing_group, "RECHECK_SECONDS", 0.0)
    group.issue("after_sales", data)
    assert register.list(status="reserved") == [] and register.verify().ok


def test_a_folder_that_breaks_is_refused_before_numbering_once_the_last_write_is_a_second_old(issuer, sample_data,
                                                                                             project_config, monkeypatch):
    group, register = issuer
    data = sample_data("after_sales")
    first = group.issue("after_sales", data)
    out = project_config.output_dir
    shutil.rmtree(out)
    out.write_text("a file where the folder was")
    # within RECHECK_SECONDS of a good write the test file is spared: the number is taken, then voided with the reason
    with pytest.raises(OSError):
        group.issue("after_sales", data)
    assert [(e.seq, e.status) for e in register.list()] == [(1, "issued"), (2, "void")]
    assert register.list(status="void")[0].status_reason.startswith("签发失败")
    # the failed group proved nothing: the next one probes the folder and takes no number
    with pytest.raises(OutputFolderError, match="未占用文号"):
        group.issue("after_sales", data)
    monkeypatch.setattr(issuing_group, "RECHECK_SECONDS", 0.0)
    out.unlink()
    assert seq(group.issue("after_sales", data).entry.number) == 3 and first.entry.seq == 1
    out.rename(out.with_name("gone"))  # no good write counts with RECHECK_SECONDS = 0
    out.write_text("again")
    with pytest.raises(OutputFolderError):
        group.issue("after_sales", data)
    assert len(register.list()) == 3 and register.verify(check_files=False).ok
