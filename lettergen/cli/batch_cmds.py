"""``lettergen batch``: every row of a CSV / Excel sheet to a numbered, registered letter."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..batch import generate
from ..batch.report import STATUS_NAMES
from ..errors import BatchFailed, InvalidInput
from .options import cli, kind_argument, pass_app


@cli.command("batch")
@kind_argument
@click.argument("source", metavar="INPUT", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder for the letters (default: [output] dir of the settings).")
@click.option("--sheet", help="Excel sheet name (default: the first sheet).")
@click.option("--group-by", help="Column (header or field path) whose equal values make one letter, e.g. 客户名称; default per kind.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes (default: number of cores).")
@click.option("--skip-invalid", is_flag=True, help="Generate the valid rows and report the rest (default: nothing is generated if any row is invalid).")
@click.option("--strict", is_flag=True, help="Also refuse rows whose letter has wording or time-limit warnings (服务忌语, 时限), before anything is issued.")
@click.option("--dry-run", is_flag=True, help="Validate and show what would be issued; consumes no number, writes no letter.")
@click.option("--combine", "combine_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write one combined .docx of the batch for printing (each letter on a new page).")
@click.option("--pdf", is_flag=True, help="Also convert every letter to PDF with LibreOffice ([pdf] instances warm offices in parallel, default one per core). Refused before any number is taken when LibreOffice is missing (exit 6).")
@click.option("--combine-pdf", "combine_pdf", type=click.Path(dir_okay=False, path_type=Path), help="One combined PDF in register order (implies --pdf).")
@click.option("--pdfa", is_flag=True, help="Like --pdf, as archival PDF/A-2b (or set [pdf] archival = true).")
@pass_app
def batch_cmd(app, kind, source, out_dir, sheet, group_by, jobs, skip_invalid, strict, dry_run, combine_path, pdf, combine_pdf,
              pdfa):
    """Generate KIND letters (信函) for every row of INPUT (.csv or .xlsx).

    Columns may be headed by field names or their Chinese labels (客户名称,
    发票或合同号, 金额 …).  Every row is validated first; the letters are then
    numbered in input order, rendered in parallel and registered.  Running the
    same command again after an interruption keeps the letters already issued
    and issues the rest.  Exit code 2 if any row is invalid.
    """
    out_dir = out_dir or app.config.output_dir
    if pdfa:
        app.config.data.setdefault("pdf", {})["archival"] = pdf = True
    progress = _Progress() if sys.stderr.isatty() and not dry_run else None
    try:
        result, outputs = generate(
            kind, source, app.config, out_dir, combine=combine_path, pdf=pdf, combine_pdf=combine_pdf,
            sheet=sheet, group_by=group_by, jobs=jobs, skip_invalid=skip_invalid, dry_run=dry_run,
            strict=strict, progress=progress,
        )
    finally:
        if progress is not None:
            progress.finish()
    for warning in result.warnings:
        click.echo(f"提示：{warning}", err=True)
    if dry_run:
        for r in result.iter_results():
            click.echo(f"第{r.letter.rows}行  {STATUS_NAMES[r.status]}  {r.number or ''}  {r.letter.customer}")
        click.echo(f"试运行：将签发 {result.count('planned')} 封，保留 {result.count('kept')} 封，数据有误 {len(result.problems)} 处；未占用文号。")
        return
    if outputs.combined_docx:
        click.echo(f"合并文档：{outputs.combined_docx}")
    for number, reason in outputs.pdf_failures:
        click.echo(f"PDF 失败：{number}：{reason}", err=True)
    if outputs.combined_pdf:
        click.echo(f"合并 PDF：{outputs.combined_pdf}")
    noted, notes, examples = 0, 0, []  # one pass over the results on disk
    for r in result.iter_results():
        if r.status == "failed":
            click.echo(f"失败：第{r.letter.rows}行 {r.number}：{r.message}", err=True)
        if r.notes:
            noted, notes = noted + 1, notes + len(r.notes)
            examples += [f"  {r.number}：{r.notes[0]}"][:3 - len(examples)]
    if noted:
        click.echo(f"措辞与时限提示：{noted} 封信函共 {notes} 条（见清单“提示”列），例如：", err=True)
        for line in examples:
            click.echo(line, err=True)
    click.echo(
        f"{kind}：签发 {result.count('issued')} 封，保留此前已签发 {result.count('kept')} 封，"
        f"数据有误 {result.count('invalid')} 条，失败 {result.count('failed')} 封"
        + (f"，收回中断的文号 {result.recovered} 个" if result.recovered else "")
        + f"。清单：{outputs.manifest_csv}"
    )
    if result.problems:
        raise InvalidInput(result.problems, source=f"{source}（有误的行未生成；错误报告：{outputs.error_report}）")
    if result.count("failed"):
        raise BatchFailed(f"{result.count('failed')} 封信函生成失败，其文号已作废并注明原因（见上）")


class _Progress:
    """A progress bar on the terminal, created once the number of letters is known."""

    def __init__(self) -> None:
        self.bar = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="签发中", file=sys.stderr)
        self.bar.update(done - self.done)
        self.done = done

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
