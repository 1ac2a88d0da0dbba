"""Issuing single letters through the register: numbers, void, correct, reissue."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document

from lettergen import api
from lettergen.cli import main
from lettergen.config import PROJECT_DIR
from lettergen.errors import InvalidInput, RegisterError, TemplateError
from lettergen.register import Register


def _text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def _register(config) -> Register:
    return Register(config.register_url)


def test_numbers_come_from_the_register_consecutively(project_config, sample_data):
    first = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config)
    second = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config)
    other = api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config)
    assert [first.entry.number, second.entry.number, other.entry.number] == ["禾丰催函〔2026〕1号", "禾丰催函〔2026〕2号", "禾丰销函〔2026〕1号"]
    assert first.path.name == "禾丰催函〔2026〕1号_宁波海曙恒达五金有限公司.docx"
    assert _text(first.path).startswith("禾丰催函〔2026〕1号\n关于催付逾期款项的通知")
    with _register(project_config) as reg:
        entry = reg.get("禾丰催函〔2026〕1号")
        assert entry.status == "issued" and entry.customer == "宁波海曙恒达五金有限公司"
        assert entry.template_name == "payment_reminder" and entry.file_hash
        assert reg.verify().ok


def test_invalid_input_consumes_no_number_and_writes_nothing(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["items"][0]["amount"] = "abc"
    with pytest.raises(InvalidInput):
        api.issue_letter("payment_reminder", data, config=project_config)
    assert not project_config.output_dir.exists() or not any(project_config.output_dir.iterdir())
    with _register(project_config) as reg:
        assert reg.list() == []
    issued = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config)
    assert issued.entry.seq == 1


def test_sequence_restarts_each_year(project_config, sample_data):
    data = sample_data("sales_letter")
    api.issue_letter("sales_letter", data, config=project_config)
    data["letter_date"] = "2027-01-04"
    data["valid_from"], data["valid_to"] = "2027-01-05", "2027-01-31"
    issued = api.issue_letter("sales_letter", data, config=project_config)
    assert issued.entry.number == "禾丰销函〔2027〕1号"


def test_template_error_consumes_no_number(project_config, sample_data, tmp_path):
    shutil.copytree(PROJECT_DIR / "templates" / "letters", tmp_path / "tpl")
    src = tmp_path / "tpl" / "sales_letter.docx"
    broken = tmp_path / "tpl" / "broken.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            blob = zin.read(info.filename)
            if info.filename == "word/document.xml":
                blob = blob.replace("现将我公司的产品与服务介绍如下：".encode(), b"{{ no_such_field }}")
            zout.writestr(info, blob)
    broken.replace(src)
    project_config.data["paths"]["templates"] = str(tmp_path / "tpl")
    with pytest.raises(TemplateError):
        api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config)
    with _register(project_config) as reg:
        assert reg.list() == []


def test_write_failure_voids_the_number_with_reason(project_config, sample_data, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(OSError):
        api.issue_letter("sales_letter", sample_data("sales_letter"), output=blocker / "letter.docx", config=project_config)
    with _register(project_config) as reg:
        (entry,) = reg.list()
        assert entry.status == "void" and entry.status_reason.startswith("签发失败：")
        assert reg.verify().ok
    assert api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config).entry.seq == 2


def test_reissue_is_byte_identical_and_restores_a_lost_file(project_config, sample_data):
    issued = api.issue_letter("complaint_response", sample_data("complaint_response"), config=project_config)
    original = issued.path.read_bytes()
    issued.path.unlink()
    with _register(project_config) as reg:
        assert not reg.verify().ok
    path = api.reissue(issued.entry.number, config=project_config)
    assert path == issued.path and path.read_bytes() == original
    with _register(project_config) as reg:
        assert reg.verify().ok


def test_reissue_refuses_when_template_changed(project_config, sample_data, tmp_path):
    issued = api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config)
    shutil.copytree(PROJECT_DIR / "templates" / "letters", tmp_path / "tpl")
    changed = tmp_path / "tpl" / "sales_letter.docx"
    with zipfile.ZipFile(changed, "a") as zf:
        zf.writestr("customXml/extra.xml", "<x/>")
    project_config.data["paths"]["templates"] = str(tmp_path / "tpl")
    with pytest.raises(RegisterError) as info:
        api.reissue(issued.entry.number, output=tmp_path / "again.docx", config=project_config)
    assert "已被修改" in str(info.value) and "register correct" in str(info.value)
    assert not (tmp_path / "again.docx").exists()


def test_void_then_reissue_is_refused(project_config, sample_data):
    issued = api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config)
    with _register(project_config) as reg:
        reg.mark_void(issued.entry.number, "客户已取消")
    with pytest.raises(RegisterError) as info:
        api.reissue(issued.entry.number, config=project_config)
    assert "已作废" in str(info.value)


def test_correct_supersedes_and_references_the_old_letter(project_config, sample_data):
    old = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config)
    data = sample_data("payment_reminder")
    data["items"][1]["amount"] = "12000.00"
    new = api.correct(old.entry.number, data, reason="第二张发票金额有误", config=project_config)
    assert new.entry.number == "禾丰催函〔2026〕2号" and new.entry.supersedes == old.entry.number
    text = _text(new.path)
    assert "本函系对我方2026年11月23日所发《关于催付逾期款项的通知》（禾丰催函〔2026〕1号）的订正" in text
    assert "¥60,600.00" in text
    assert "订正" not in _text(old.path)
    with _register(project_config) as reg:
        entry = reg.get(old.entry.number)
        assert entry.status == "superseded" and entry.superseded_by == new.entry.number
        assert entry.status_reason == "第二张发票金额有误"
        assert reg.verify().ok
    with pytest.raises(RegisterError):
        api.correct(old.entry.number, data, reason="再次订正", config=project_config)


def _cli(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_cli_render_validate_and_register(project_config, tmp_path, capsys):
    cfg = tmp_path / "lettergen.toml"
    text = (PROJECT_DIR / "lettergen.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///lettergen-register.sqlite"', f'url = "sqlite:///{tmp_path / "reg.sqlite"}"')
    cfg.write_text(text.replace('dir = "out"', f'dir = "{tmp_path / "out"}"'), encoding="utf-8")
    sample = PROJECT_DIR / "samples" / "after_sales.yaml"
    code, out, _ = _cli(["--config", str(cfg), "render", "after_sales", str(sample)], capsys)
    assert code == 0 and "禾丰服函〔2026〕1号" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("recipient: {name: 李}\norder_no: SO-1\nservice_type: 修理\nprice: 12.345\n", encoding="utf-8")
    code, out, err = _cli(["--config", str(cfg), "validate", "after_sales", str(bad)], capsys)
    assert code == 2
    # a YAML input: each problem names the key path beside the Chinese label
    assert "「服务类型」（service_type）：只能填写：维修（repair）" in err and "「售价」（price）：最多保留2位小数" in err
    assert "「产品名称」（product）：必填" in err
    code, _, err = _cli(["--config", str(cfg), "render", "after_sales", str(bad)], capsys)
    assert code == 2 and "输入数据有" in err
    code, out, _ = _cli(["--config", str(cfg), "register", "list"], capsys)
    assert "禾丰服函〔2026〕1号" in out and "共 1 条" in out
    code, out, _ = _cli(["--config", str(cfg), "render", "after_sales", str(sample), "--number", "草稿", "-o", str(tmp_path / "d.docx")], capsys)
    assert code == 0 and "未登记" in out
    code, out, _ = _cli(["--config", str(cfg), "register", "list"], capsys)
    assert "共 1 条" in out
    code, out, _ = _cli(["--config", str(cfg), "kinds"], capsys)
    assert code == 0 and all(k in out for k in ("销售信函", "催款通知", "投诉处理函", "售后服务函"))
    code, out, _ = _cli(["--config", str(cfg), "schema", "payment_reminder"], capsys)
    import json
    schema = json.loads(out)
    assert schema["properties"]["items"]["items"]["properties"]["amount"]["title"] == "金额"
    code, out, _ = _cli(["--config", str(cfg), "sample", "sales_letter"], capsys)
    assert code == 0 and "products:" in out


def test_an_existing_file_is_never_overwritten(project_config, sample_data, tmp_path):
    from lettergen.errors import OutputExists

    target = tmp_path / "letter.docx"
    first = api.issue_letter("sales_letter", sample_data("sales_letter"), output=target, config=project_config)
    before = target.read_bytes()
    with pytest.raises(OutputExists) as info:
        api.issue_letter("sales_letter", sample_data("sales_letter"), output=target, config=project_config)
    assert "文件已存在" in str(info.value) and info.value.exit_code == 2
    assert target.read_bytes() == before
    with _register(project_config) as reg:
        assert [e.number for e in reg.list()] == [first.entry.number]  # no number used by the refusal


def test_bad_filename_pattern_is_a_settings_error_that_costs_no_number(project_config, sample_data):
    from lettergen.errors import ConfigError

    project_config.data["output"]["filename"] = "{number}_{client}"
    with pytest.raises(ConfigError) as info:
        api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config)
    assert "未知占位符：client" in str(info.value)
    with _register(project_config) as reg:
        assert reg.list() == []
