"""``lettergen users …``: accounts of the web page (add, list, disable, password).

Passwords are read from a hidden prompt (asked twice), or from standard input
(first line) when it is not a terminal, and stored only as argon2 hashes in the register.
"""
from __future__ import annotations

import sys

import click

from .. import accounts
from .options import cli, pass_app
from .register_cmds import format_table


@cli.group("users")
def users() -> None:
    """Accounts of the web page (网页用户): clerk 经办, manager 主管, admin 管理员.

    \b
    clerk    draft and issue letters
    manager  also void, correct, reissue and export
    admin    also users and API keys
    """


def _password() -> str:
    if not sys.stdin.isatty():  # scripts: echo "$PW" | lettergen users add …
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password (密码)", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True, help="clerk 经办 / manager 主管 / admin 管理员.")
@pass_app
def users_add(app, name: str, role: str) -> None:
    """Create the account NAME; asks for its password (at least 8 characters)."""
    user = accounts.add_user(name, role, _password(), app.config)
    click.echo(f"已添加用户 {user.name}（{user.role_label}）")


@users.command("list")
@pass_app
def users_list(app) -> None:
    """List the accounts with role, state and last login."""
    rows = [[u.name, f"{u.role}（{accounts.ROLE_LABELS.get(u.role, u.role)}）", "已停用" if u.disabled else "启用",
             u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "-"]
            for u in accounts.list_users(app.config)]
    if not rows:
        click.echo("（尚无用户；用 lettergen users add NAME --role clerk 添加）")
        return
    click.echo(format_table(["用户", "角色", "状态", "最近登录 (UTC)"], rows))


@users.command("disable")
@click.argument("name")
@pass_app
def users_disable(app, name: str) -> None:
    """Disable the account NAME and end its sessions (accounts are never deleted)."""
    accounts.disable_user(name, app.config)
    click.echo(f"已停用用户 {name}")


@users.command("password")
@click.argument("name")
@pass_app
def users_password(app, name: str) -> None:
    """Set a new password for NAME (also lifts a lock after failed logins)."""
    accounts.set_password(name, _password(), app.config)
    click.echo(f"已更新用户 {name} 的密码")
