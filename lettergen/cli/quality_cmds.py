"""Quality commands: ``lettergen templates check`` and ``lettergen templates new``.

Importing this module also adds the taboo-wording check (服务忌语) to
``lettergen check``, which then reports taboo phrases in any .docx letter.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import CheckFailed
from ..quality import check_templates, new_kind
from ..quality.text import docx_paragraphs
from ..quality.wording import check_paragraphs, load_taboo
from .options import AppContext, pass_app
from .style_cmds import register_letter_check, templates


@register_letter_check
def wording_check(path: Path, profile) -> list:
    """Taboo phrases in a .docx file (the settings' own taboo file included)."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx else None
    return check_paragraphs(docx_paragraphs(path), load_taboo(app.config if app else None))


@templates.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as failures too.")
@pass_app
def check_cmd(app, strict: bool) -> None:
    """Check every template against its kind's schema (模板契约检查).

    Each template must compile; every variable it reads must be a schema
    field, a computed field or number/corrects; required fields should appear
    in some template; nothing may try to leave the Jinja sandbox (e.g.
    ``{{ ''.__class__ }}``).  The profile variants (templates/letters/fangsong/)
    are checked too.  Exit status 1 on errors (with --strict: on warnings).
    """
    findings = check_templates(app.config)
    for finding in findings:
        click.echo(str(finding))
    failed = [f for f in findings if f.is_failure(strict)]
    if failed:
        raise CheckFailed(f"模板检查未通过：{len(failed)} 个问题", findings)
    click.echo(f"模板检查通过（{len(findings)} 条提示或警告）" if findings else "模板检查通过")


@templates.command("new")
@click.argument("key")
@click.option("--name", "name_cn", required=True, help="Chinese name of the kind, e.g. 答谢信 (thank-you letter).")
@click.option("--title-suffix", default="函", show_default=True,
              help="Ending of the generated title 关于…的函 (e.g. 通知).")
@pass_app
def new_cmd(app, key: str, name_cn: str, title_suffix: str) -> None:
    """Create a new letter kind KEY (lowercase, e.g. thank_you).

    Writes schemas/KEY.yaml, templates/source/KEY.yaml, the built template
    templates/letters/KEY.docx and samples/KEY.yaml; the kind validates,
    renders and passes all checks at once.  Existing files are never
    overwritten.  Then edit the schema and the template source and run
    ``lettergen templates build``.
    """
    for path in new_kind(app.config, key, name_cn, title_suffix=title_suffix):
        click.echo(f"已生成：{path}")
    if not app.config.number_code(key):
        click.echo(f"提示：请在配置文件 [numbering.codes] 中为 {key} 设置发文字号代字，如 {key} = \"答\"")
    click.echo(f"试用：lettergen render {key} {app.config.samples_dir / f'{key}.yaml'}")
