"""The README is the user's manual: every command and option it shows must exist."""
from __future__ import annotations

import re
import shlex

import click
import pytest

from lettergen.cli import cli
from lettergen.config import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def _invocations() -> list[list[str]]:
    found = []
    for line in README.splitlines():
        for match in re.finditer(r"(?:^\$ |`)lettergen ([^`|#]+)", line.strip()):
            words = shlex.split(match.group(1).replace("…", ""), posix=True)
            if words:
                found.append(words)
    return found


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        sub = command.get_command(click.Context(command), name)
        assert sub is not None, f"README mentions `lettergen {' '.join(words)}` but there is no command {name!r}"
        command = sub
    return command, rest


@pytest.mark.parametrize("words", _invocations(), ids=lambda w: " ".join(w)[:40])
def test_readme_commands_and_options_exist(words):
    command, rest = _resolve(words)
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in rest:
        flag = word.split("=")[0].strip("[]")
        if flag.startswith("--"):
            assert flag in options, f"README shows {flag} for `{command.name}`, which has {sorted(options)}"


def test_every_command_is_in_the_readme():
    def walk(group: click.Group, prefix: str):
        for name, sub in group.commands.items():
            yield f"{prefix}{name}"
            if isinstance(sub, click.Group):
                yield from walk(sub, f"{prefix}{name} ")

    missing = [name for name in walk(cli, "") if f"{name}" not in README]
    assert missing == []


def test_exit_codes_table_matches_the_errors():
    from lettergen import errors

    codes = {cls.exit_code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.LettergenError)}
    table = {int(m) for m in re.findall(r"^\| (\d) \|", README, flags=re.M)}
    assert codes <= table
