"""``lettergen register correct`` and ``reissue``: the register commands that render."""
from __future__ import annotations

from pathlib import Path

import click

from .. import api
from .letters import echo_warnings, naming_keys
from .options import pass_app
from .register_cmds import register_group


@register_group.command("correct")
@click.argument("number")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reason", required=True, help="Why the letter is corrected (订正原因), kept in the register.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the corrected letter.")
@pass_app
def correct_cmd(app, number: str, input_path: Path, reason: str, output: Path | None) -> None:
    """Correct NUMBER (订正): issue a new letter from INPUT that supersedes it.

    The new letter states which letter it corrects; the old entry stays in the
    register, marked superseded with the reason.
    """
    with naming_keys(input_path):
        issued = api.correct(number, api.load_data(input_path), reason=reason, output=output, config=app.config)
    echo_warnings(issued.prepared.warnings, keys=True)
    click.echo(f"已签发订正函 {issued.entry.number}：{issued.path}")
    click.echo(f"原文号 {number} 已标记为已被订正：{reason}")


@register_group.command("reissue")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Where to write it (default: the recorded path).")
@pass_app
def reissue_cmd(app, number: str, output: Path | None) -> None:
    """Regenerate NUMBER byte-identically from the stored data (补发 / restore a lost file).

    Refuses, saying why, when the template changed since the letter was issued.
    """
    path = api.reissue(number, output=output, config=app.config)
    click.echo(f"已重新生成 {number}（与登记的校验值一致）：{path}")
