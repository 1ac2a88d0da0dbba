"""Settings are checked as a whole when loaded: exit 3 naming file, section and key."""
from __future__ import annotations

import re

import pytest

from lettergen.cli import main
from lettergen.config import PROJECT_DIR, load_config
from lettergen.errors import ConfigError

BUNDLED = (PROJECT_DIR / "lettergen.toml").read_text(encoding="utf-8")
SAMPLE = str(PROJECT_DIR / "samples" / "payment_reminder.csv")


def _settings(tmp_path, text: str):
    text = text.replace('url = "sqlite:///lettergen-register.sqlite"', f'url = "sqlite:///{(tmp_path / "reg.sqlite").as_posix()}"')
    text = text.replace('dir = "out"', f'dir = "{(tmp_path / "out").as_posix()}"')
    path = tmp_path / "lettergen.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    return info.value.code, capsys.readouterr().err


CASES = [
    ('url = "sqlite:///lettergen-register.sqlite"', "url = 42", "[register] url：应为文本"),
    ('dir = "out"', "dir = 5", "[output] dir：应为文本"),
    ("holidays = []", 'holidays = ["2026-13-45"]', "[calendar] holidays（第 1 项）：应为日期 YYYY-MM-DD"),
    ('payment_reminder = "催"', 'payment_reminder = ["催"]', "[numbering.codes] payment_reminder：应为文本"),
    ("[organisation]", "[organisaton]", "[organisaton]：未知的设置节，是否想写「organisation」？"),
    ('profile = "song"', 'profile = "comic_sans"', "[style] profile：未知的版式方案「comic_sans」"),
    ("return_days = 7", "return_dys = 7", "[policy] return_dys：未知的设置项，是否想写「return_days」？"),
    ("width = 0 ", "width = \"3\" ", "[numbering] width：应为整数"),
    ('filename = "{number}_{customer}"', 'filename = "{number_{customer}"', "[output] filename：格式「{number_{customer}」的花括号不配对"),
    ('# journal = "wal"', 'journal = "memory"', "[register] journal："),
]


@pytest.mark.parametrize("old, new, message", CASES, ids=[c[1] for c in CASES])
def test_bad_settings_exit_3_naming_file_section_and_key(tmp_path, capsys, old, new, message):
    assert old in BUNDLED
    path = _settings(tmp_path, BUNDLED.replace(old, new, 1))
    code, err = _run(["--config", str(path), "batch", "payment_reminder", SAMPLE, "--dry-run"], capsys)
    assert code == 3, err
    assert str(path) in err and message in err
    assert "Traceback" not in err and "第2行" not in err  # one settings error, not a per-row data error
    assert not (tmp_path / "reg.sqlite").exists()


def test_every_problem_is_listed_at_once(tmp_path):
    text = BUNDLED.replace("url = \"sqlite", "url = 42 #", 1).replace('profile = "song"', 'profile = "x"')
    with pytest.raises(ConfigError) as info:
        load_config(_settings(tmp_path, text))
    assert "2 处问题" in str(info.value)


def test_the_bundled_settings_and_toml_dates_are_accepted(tmp_path):
    load_config(PROJECT_DIR / "lettergen.toml")
    load_config(_settings(tmp_path, BUNDLED.replace("holidays = []", "holidays = [2027-01-01, \"2027-01-02\"]")))


def test_missing_organisation_is_one_settings_error_not_a_problem_per_row(tmp_path, capsys):
    text = re.sub(r"\[organisation\][^\[]*", "", BUNDLED, count=1)
    path = _settings(tmp_path, text)
    code, err = _run(["--config", str(path), "batch", "payment_reminder", SAMPLE, "--dry-run"], capsys)
    assert code == 3, err
    assert str(path) in err and "缺少 [organisation]" in err and "第2行" not in err


def test_register_journal_setting_reaches_the_register(tmp_path):
    import sqlite3

    from lettergen.issuing import open_register

    path = _settings(tmp_path, BUNDLED.replace('# journal = "wal"', 'journal = "delete"', 1))
    open_register(load_config(path)).close()
    with sqlite3.connect(tmp_path / "reg.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
