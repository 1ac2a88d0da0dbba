"""Commands about single letters: kinds, sample, schema, validate, render."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from .. import api
from ..errors import InvalidInput
from .options import cli, kind_argument, pass_app

input_argument = click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))


def echo_warnings(warnings, *, keys: bool = False) -> None:
    for warning in warnings:
        text = warning.describe(keys=keys) if hasattr(warning, "describe") else str(warning)
        click.echo(f"提示：{text}", err=True)


@contextmanager
def naming_keys(source: Path) -> Iterator[None]:
    """Problems in a YAML / JSON input name the key path beside the label: 「收函客户」（recipient）."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, exc.source or str(source), keys=True) from None


@cli.command("kinds")
@pass_app
def kinds_cmd(app) -> None:
    """List the letter kinds (信函类型) with their Chinese names."""
    for info in api.kinds(app.config):
        click.echo(f"{info.key:<20} {info.name}  {info.description}")


@cli.command("sample")
@kind_argument
@pass_app
def sample_cmd(app, kind: str) -> None:
    """Print a valid sample input (YAML) for KIND on stdout."""
    click.echo(api.sample_text(kind, app.config), nl=False)


@cli.command("schema")
@kind_argument
@pass_app
def schema_cmd(app, kind: str) -> None:
    """Print KIND's input contract as JSON Schema (for other systems)."""
    click.echo(json.dumps(api.json_schema(kind, app.config), ensure_ascii=False, indent=2))


@cli.command("validate")
@kind_argument
@input_argument
@pass_app
def validate_cmd(app, kind: str, input_path: Path) -> None:
    """Check INPUT (YAML or JSON) against KIND's schema; print every problem.

    Exit code 2 when the input is invalid (校验不通过).
    """
    result = api.validate(kind, api.load_data(input_path), app.config)
    echo_warnings(result.warnings, keys=True)
    if result.problems:
        raise InvalidInput(result.problems, source=str(input_path), keys=True)
    click.echo(f"{input_path}：校验通过")


@cli.command("render")
@kind_argument
@input_argument
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The .docx to write (default: [output] dir and filename pattern of the settings).")
@click.option("--number", help="Print this document number (文号) instead of taking the next one from the register; the letter is then NOT registered (drafts, previews).")
@click.option("--pdf", is_flag=True, help="Also write a PDF beside the .docx (LibreOffice) and record it.")
@click.option("--strict", is_flag=True, help="Refuse the letter (no number used) on wording or time-limit warnings (服务忌语, 时限).")
@pass_app
def render_cmd(app, kind: str, input_path: Path, output: Path | None, number: str | None, pdf: bool, strict: bool) -> None:
    """Render one KIND letter from INPUT (YAML or JSON) into a .docx.

    The document number comes from the register (发文登记簿) and the letter is
    recorded there.  Nothing is written and no number is used when the input
    is invalid (exit code 2).
    """
    data = api.load_data(input_path)
    if number:
        if output is None:
            raise click.UsageError("--number needs -o/--output")
        if pdf:
            raise click.UsageError("--pdf is for registered letters; convert drafts with `lettergen pdf`")
        with naming_keys(input_path):
            letter = api.render_to_file(kind, data, output, number=number, config=app.config)
        echo_warnings(letter.warnings, keys=True)
        click.echo(f"{output}  {letter.number}（未登记）")
        return
    with naming_keys(input_path):
        issued = api.issue_letter(kind, data, output=output, config=app.config, pdf=pdf, strict=strict)
    echo_warnings(issued.prepared.warnings, keys=True)
    echo_warnings(issued.findings)
    click.echo(f"{issued.path}  {issued.entry.number}")
    if issued.entry.pdf_path:
        click.echo(f"{issued.entry.pdf_path}")
