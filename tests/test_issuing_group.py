"""Group commit: concurrent issues of one process share transactions, numbers stay gap-free."""
from __future__ import annotations

import re
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from lettergen import issuing_group
from lettergen.errors import InvalidInput, OutputFolderError
from lettergen.issuing import open_register
from lettergen.issuing_group import GroupIssuer


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
