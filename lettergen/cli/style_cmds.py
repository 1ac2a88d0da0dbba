"""House-style commands: ``lettergen templates build`` and ``lettergen check``.

``check`` runs every function in :data:`LETTER_CHECKS` on each file; other
modules add theirs with :func:`register_letter_check` (e.g. wording checks).
A check takes ``(path, profile)`` and returns findings shaped like
:class:`lettergen.housestyle.Finding` (``is_failure(strict)`` and ``str()``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from ..errors import CheckFailed
from ..housestyle import PROFILES, Profile, build_all, check_letter, load_profile, template_dir_for
from .options import cli, pass_app

LetterCheck = Callable[[Path, "Profile | None"], list]
LETTER_CHECKS: list[LetterCheck] = [lambda path, profile: check_letter(path, profile)]


def register_letter_check(check: LetterCheck) -> LetterCheck:
    """Add ``check`` to those ``lettergen check`` runs (usable as a decorator)."""
    LETTER_CHECKS.append(check)
    return check


@cli.group("templates")
def templates() -> None:
    """Build and check the Word letter templates."""


@templates.command("build")
@click.option("--profile", "profile_name", type=click.Choice([*PROFILES, "all"]), default="all",
              show_default=True, help="House-style profile to build templates for.")
@pass_app
def build_cmd(app, profile_name: str) -> None:
    """Build templates/letters/KIND.docx from templates/source/KIND.yaml.

    The default profile (song) writes into the templates folder itself, any
    other profile into a sub-folder named after it (templates/letters/fangsong/).
    Files whose content did not change are left untouched.
    """
    templates_dir = app.config.templates_dir
    source_dir = templates_dir.parent / "source"
    names = PROFILES if profile_name == "all" else (profile_name,)
    for name in names:
        out_dir = template_dir_for(templates_dir, name)
        for path, changed in build_all(source_dir, out_dir, load_profile(name)):
            click.echo(f"{'已生成' if changed else '未变化'}：{path}")


@cli.command("check")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "profile_name", type=click.Choice(PROFILES), default=None,
              help="Check page and type sizes against this profile (default: generic house-style bounds).")
@click.option("--strict", is_flag=True, help="Treat warnings as failures.")
@click.option("--verbose", "-v", is_flag=True, help="Also show informational notes.")
def check_cmd(files: tuple[Path, ...], profile_name: str | None, strict: bool, verbose: bool) -> None:
    """Check .docx letters against the house style; exit 1 on any failure."""
    profile = load_profile(profile_name) if profile_name else None
    failed, all_findings = [], []
    for path in files:
        findings = [f for check in LETTER_CHECKS for f in check(path, profile)]
        all_findings += findings
        for finding in findings:
            if verbose or getattr(finding, "severity", "error") != "info":
                click.echo(f"{path}：{finding}")
        if any(f.is_failure(strict) for f in findings):
            failed.append(path)
        else:
            click.echo(f"{path}：通过")
    if failed:
        raise CheckFailed(f"{len(failed)} 个文件未通过检查：{'、'.join(map(str, failed))}", all_findings)
