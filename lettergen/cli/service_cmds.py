"""``lettergen serve`` (the HTTP service) and ``lettergen keys`` (its API keys)."""
from __future__ import annotations

import os

import click

from .. import api
from ..register.keys import KEY_SCOPES
from .options import cli, pass_app
from .register_cmds import format_table


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; with several, use a PostgreSQL register or one SQLite file on a local disk.")
@pass_app
def serve_cmd(app, host: str, port: int, workers: int) -> None:
    """Start the HTTP service (OpenAPI at /openapi.json, docs at /docs) with uvicorn.

    Uses the same settings file as every other command.  Create API keys with
    `lettergen keys create`.  Stop with Ctrl+C.
    """
    import uvicorn

    from ..service.app import CONFIG_ENV
    from ..service.protocol import server_options

    app.config  # a broken settings file fails here, not in every worker  # noqa: B018
    if app.config.source is not None:
        os.environ[CONFIG_ENV] = str(app.config.source)
    uvicorn.run("lettergen.service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                **server_options(), access_log=False, log_level="info", timeout_graceful_shutdown=10)


@cli.group("keys")
def keys_group() -> None:
    """API keys of the HTTP service (stored hashed in the register)."""


@keys_group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(KEY_SCOPES),
              help="What the key may do; repeat for several: read (查询), draft (校验与草稿), issue (签发), manage (作废、订正、重新生成).")
@pass_app
def keys_create_cmd(app, name: str, scopes: tuple[str, ...]) -> None:
    """Create the API key NAME and print its token (shown only this once)."""
    key, token = api.create_key(name, list(scopes), config=app.config)
    click.echo(token)
    click.echo(f"已创建密钥「{key.name}」，权限：{' '.join(key.scopes)}。令牌只显示这一次，请妥善保存。", err=True)


@keys_group.command("list")
@pass_app
def keys_list_cmd(app) -> None:
    """List API keys: name, scopes, created, revoked."""
    keys = api.list_keys(config=app.config)
    if not keys:
        click.echo("还没有 API 密钥。")
        return
    rows = [[k.name, " ".join(k.scopes), k.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
             ("已吊销 " + k.revoked_at.astimezone().strftime("%Y-%m-%d %H:%M")) if k.revoked_at else "有效"] for k in keys]
    click.echo(format_table(["名称", "权限", "创建时间", "状态"], rows))


@keys_group.command("revoke")
@click.argument("name")
@pass_app
def keys_revoke_cmd(app, name: str) -> None:
    """Revoke the API key NAME: requests with it get 401 from now on."""
    key = api.revoke_key(name, config=app.config)
    click.echo(f"已吊销密钥「{key.name}」")
