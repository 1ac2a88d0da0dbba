"""``lettergen register backup / rebuild / recover``: keeping the register safe.

``verify`` (in :mod:`.register_cmds`) also reports letters on disk that the
register does not know; these commands back a register up, rebuild a lost
one from the letters and settle interrupted reservations.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..identity import letters_for_rebuild
from ..issuing import open_register, recover
from .options import pass_app
from .register_cmds import register_group


@register_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup_cmd(app, file: Path) -> None:
    """Copy the register to FILE (SQLite online backup, safe while letters are issued).

    Never overwrites FILE.  A PostgreSQL register is backed up with pg_dump
    (the command says how).  Restore: copy FILE back to [register] url.
    """
    with open_register(app.config) as register:
        target = register.backup(file)
        register_id = register.register_id
    click.echo(f"已备份登记簿（编号 {register_id}）到 {target}")


@register_group.command("rebuild")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_app
def rebuild_cmd(app, folder: Path) -> None:
    """Rebuild a lost register from the letters under FOLDER (any depth).

    The register must be empty (new).  Every letter carries its register id,
    number, kind and sequence in its document properties; numbers with no
    letter on disk are entered as void, so no number is handed out twice.
    """
    letters = letters_for_rebuild(folder)
    with open_register(app.config) as register:
        counts = register.rebuild(letters)
        register_id = register.register_id
    click.echo(f"已从 {folder} 重建登记簿（编号 {register_id}）：已签发 {counts['issued']} 封，"
               f"无信函的文号 {counts['void']} 个登记为作废，{counts['sequences']} 个序列")


@register_group.command("recover")
@pass_app
def recover_cmd(app) -> None:
    """Settle numbers left reserved by interrupted runs (completed if the file exists, else void)."""
    with open_register(app.config) as register:
        settled = recover(register)
    for entry in settled:
        click.echo(f"{entry.number}：{entry.status_label}" + (f"（{entry.status_reason}）" if entry.status_reason else ""))
    click.echo(f"已处理中断的预留文号 {len(settled)} 个")
