"""``lettergen doctor`` and ``lettergen pdf``: PDF output from the command line."""
from __future__ import annotations

from pathlib import Path

import click

from ..convert import ConverterPool, doctor, merge_pdfs
from ..errors import CheckFailed, ConversionError
from .options import cli


@cli.command("doctor")
def doctor_cmd() -> None:
    """Check LibreOffice and the Chinese fonts used for PDF output.

    Shows the LibreOffice version, whether the free CJK faces are installed,
    which face each template font (宋体, 仿宋_GB2312, 黑体, 楷体, 方正小标宋简体…)
    is drawn with, and what to install.  Exits 1 when something is missing.
    """
    report = doctor()
    click.echo(report.format())
    if not report.ok:
        raise CheckFailed("PDF 输出环境检查未通过（见上方 Problems / To fix）")


@cli.command("pdf")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the PDFs (default: next to each .docx).")
@click.option("--merge", "merge_to", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write one combined PDF of all converted letters, in the given order.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds allowed per document before LibreOffice is restarted.")
@click.option("--instances", type=click.IntRange(min=0), default=0, show_default=True,
              help="Warm LibreOffice instances converting in parallel (0: one per core).")
@click.option("--pdfa", is_flag=True, help="Archival PDF/A-2b (GB/T 23286 = ISO 19005-2), every font embedded.")
def pdf_cmd(files: tuple[Path, ...], out_dir: Path | None, merge_to: Path | None, timeout: float, instances: int,
            pdfa: bool) -> None:
    """Convert existing .docx letters to PDF with warm LibreOffice instances (one per core).

    Every file is tried; failures are listed and the command exits 6 if any
    failed.  With --merge, the combined PDF holds the letters that converted.
    """
    pairs = [(f, (out_dir or f.parent) / f"{f.stem}.pdf") for f in files]
    with ConverterPool(instances or None, timeout=timeout, pdfa=pdfa) as pool:
        results = pool.convert_many(pairs)
    for r in results:
        if r.ok:
            click.echo(f"ok      {r.source} -> {r.target} ({r.seconds:.2f} s)")
        else:
            click.echo(f"FAILED  {r.source}: {r.error}", err=True)
    done = [r.target for r in results if r.ok]
    if merge_to is not None and done:
        merge_pdfs(done, merge_to)
        click.echo(f"merged  {len(done)} PDF(s) -> {merge_to}")
    failed = [r for r in results if not r.ok]
    if failed:
        raise ConversionError(f"{len(failed)} 个文件转换失败（共 {len(results)} 个）："
                              + "、".join(str(r.source) for r in failed))
