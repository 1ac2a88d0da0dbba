"""Seconds per PDF: one warm converter vs one cold soffice start per letter.

Builds N one-page Chinese letters with python-docx, converts them all with
:class:`lettergen.convert.Converter` (warm path), then again with one
``soffice --headless --convert-to pdf`` process per letter (cold path, same
private profile and font configuration, profile created beforehand so only
the process start is measured), and prints both figures and the ratio.

    .venv/bin/python benchmarks/bench_pdf.py [-n 20]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Pt  # noqa: E402

from lettergen.convert import Converter, find_soffice  # noqa: E402
from lettergen.convert.fonts import fontconfig_env  # noqa: E402


def make_letter(path: Path, n: int) -> None:
    doc = Document()
    for text, size, align in (
        (f"关于货款结算的函（第{n}号）", 22, WD_ALIGN_PARAGRAPH.CENTER),
        ("尊敬的客户：贵公司于本年度向我司采购的货物已全部交付，请于收到本函后五个工作日内结清余款。" * 3, 16, None),
        ("2026年11月22日", 16, WD_ALIGN_PARAGRAPH.RIGHT),
    ):
        para = doc.add_paragraph()
        para.alignment = align
        run = para.add_run(text)
        run.font.size = Pt(size)
        run.font.name = "仿宋_GB2312"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    doc.save(path)


def cold(soffice: str, docs: list[Path], out: Path, profile: Path) -> float:
    args = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
            "--convert-to", "pdf", "--outdir", str(out)]
    subprocess.run(args + [str(docs[0])], env=fontconfig_env(), check=True, capture_output=True)
    started = time.monotonic()
    for doc in docs:
        subprocess.run(args + [str(doc)], env=fontconfig_env(), check=True, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="number of letters (default 20)")
    n = parser.parse_args().n
    soffice = find_soffice()
    if soffice is None:
        sys.exit("LibreOffice (soffice) not found")
    tmp = Path(tempfile.mkdtemp(prefix="lettergen-bench-"))
    try:
        docs = [tmp / f"letter{i:03d}.docx" for i in range(n)]
        for i, doc in enumerate(docs):
            make_letter(doc, i)

        started = time.monotonic()
        with Converter() as converter:
            first = time.monotonic()
            converter.convert(docs[0], tmp / "warm" / "first.pdf")
            startup = time.monotonic() - first
            steady_start = time.monotonic()
            results = converter.convert_many([(d, tmp / "warm" / f"{d.stem}.pdf") for d in docs])
            steady = time.monotonic() - steady_start
        total = time.monotonic() - started
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]

        cold_total = cold(soffice, docs, tmp / "cold", tmp / "cold-profile")

        per_warm, per_cold = steady / n, cold_total / n
        print(f"letters:                        {n}")
        print(f"warm start (first letter):      {startup:.2f} s")
        print(f"warm, per PDF (steady state):   {per_warm:.3f} s")
        print(f"warm, per PDF (incl. startup):  {(steady + startup) / n:.3f} s   (whole run {total:.2f} s)")
        print(f"cold, per PDF (soffice per letter): {per_cold:.3f} s")
        print(f"ratio cold / warm (steady):     {per_cold / per_warm:.1f}x")
        print(f"ratio cold / warm (incl. startup): {per_cold / ((steady + startup) / n):.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
