"""Nothing that can be checked before a number is reserved fails after it: the filename
pattern, a read-only output folder, a disk too small for the batch (small tmpfs mounts,
as root; skipped with the reason otherwise, and never skipped under CI)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lettergen.register import Register
from tests.test_batch import Workspace, _no_register_override, invoice_row, write_csv  # noqa: F401


@pytest.fixture
def tmpfs(tmp_path):
    """``mount(name, size, read_only)`` → a fresh tmpfs folder; unmounted afterwards."""
    mounted: list[Path] = []

    def mount(name: str, size: str, read_only: bool = False) -> Path:
        reason = None
        if os.geteuid() != 0:
            reason = "mounting a small tmpfs needs root (CI runs as root)"
        else:
            target = tmp_path / name
            target.mkdir()
            options = f"size={size}" + (",ro" if read_only else "")
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                                  capture_output=True, text=True)
            if done.returncode == 0:
                mounted.append(target)
                return target
            reason = f"cannot mount a tmpfs here: {done.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _no_number_taken(ws: Workspace) -> None:
    if Path(ws.url.removeprefix("sqlite:///")).exists():
        with Register(ws.url) as register:
            assert register.list() == [] and register.last_seq("禾丰催函〔2026〕{seq}号", 2026) == 0


@pytest.mark.parametrize("pattern, message", [
    ("{number:d}_{customer}", "无法生成文件名"),
    ("{number!x}", "无法生成文件名"),
    ("{}_{customer}", "空的或按位置的占位符"),
    ("{0}", "空的或按位置的占位符"),
    ("{number}_{customer.upper}", "未知占位符"),
])
def test_a_bad_filename_pattern_is_refused_before_any_number(tmp_path, capsys, pattern, message):
    ws = Workspace(tmp_path / "ws", capsys, filename=pattern)
    rows = write_csv(tmp_path / "rows.csv", [invoice_row(i) for i in (1, 2)])
    run = ws.batch("payment_reminder", rows, "-j", "1")
    assert run.code == 3, run.err
    assert message in run.err and "[output] filename" in run.err and "Traceback" not in run.err
    _no_number_taken(ws)
    dry = ws.batch("payment_reminder", rows, "-j", "1", "--dry-run")  # a dry run says so too
    assert dry.code == 3 and message in dry.err


def test_unbalanced_braces_are_a_settings_error(tmp_path, capsys):
    ws = Workspace(tmp_path / "ws", capsys)
    text = ws.settings.read_text(encoding="utf-8")
    ws.settings.write_text(text.replace('filename = "{number}_{customer}"', 'filename = "{number_{customer}"'), encoding="utf-8")
    run = ws.batch("payment_reminder", write_csv(tmp_path / "rows.csv", [invoice_row(1)]), "-j", "1")
    assert run.code == 3 and "花括号不配对" in run.err
    _no_number_taken(ws)


def test_a_read_only_output_folder_is_refused_before_any_number(tmp_path, capsys, tmpfs, sample_data):
    from lettergen import api
    from lettergen.errors import OutputFolderError

    folder = tmpfs("ro", "1m", read_only=True)
    ws = Workspace(tmp_path / "ws", capsys)
    run = ws.batch("payment_reminder", write_csv(tmp_path / "rows.csv", [invoice_row(1)]), "-j", "1",
                   "--out", folder / "letters")
    assert run.code == 3 and "无法创建输出文件夹" in run.err and "未占用文号" in run.err
    with pytest.raises(OutputFolderError, match="不能写入文件|无法创建"):
        api.issue_letter("after_sales", sample_data("after_sales"), output=folder / "x.docx", config=ws.config)
    _no_number_taken(ws)
    with Register(ws.url) as register:
        assert register.list() == []


def test_a_disk_too_small_for_the_batch_is_refused_before_any_number(tmp_path, capsys, tmpfs):
    folder = tmpfs("small", "3m")
    ws = Workspace(tmp_path / "ws", capsys)
    rows = write_csv(tmp_path / "rows.csv", [invoice_row(i) for i in range(1, 201)])
    run = ws.batch("payment_reminder", rows, "--out", folder)
    assert run.code == 3, run.err
    assert "磁盘只剩" in run.err and "这 200 封信函约需" in run.err
    _no_number_taken(ws)
    assert not list(folder.glob("*.docx"))
    few = write_csv(tmp_path / "few.csv", [invoice_row(i) for i in range(1, 11)])
    ok = ws.batch("payment_reminder", few, "-j", "1", "--out", folder)  # what fits is issued
    assert ok.code == 0 and len(list(folder.glob("*.docx"))) == 10


def test_settings_built_by_a_program_are_type_checked_before_any_number(tmp_path, capsys, sample_data):
    import copy

    from lettergen import api
    from lettergen.batch.run import run_batch
    from lettergen.config import Config
    from lettergen.errors import ConfigError

    ws = Workspace(tmp_path / "ws", capsys)
    data = copy.deepcopy(ws.config.data)
    data["numbering"]["codes"]["payment_reminder"] = ["催"]  # would number 禾丰['催']函〔2026〕1号 for ever
    config = Config(data, ws.config.base_dir)
    rows = write_csv(tmp_path / "rows.csv", [invoice_row(1)])
    with pytest.raises(ConfigError, match=r"\[numbering.codes\] payment_reminder：应为文本"):
        run_batch("payment_reminder", rows, config, ws.out, jobs=1)
    with pytest.raises(ConfigError, match="程序传入的设置"):
        api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=config)
    _no_number_taken(ws)
