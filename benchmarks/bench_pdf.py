"""Seconds per PDF: warm converters (1 and N instances in parallel) vs one cold soffice per letter.

Builds N one-page Chinese letters with python-docx, converts them all with
:class:`lettergen.convert.ConverterPool` of 1 instance and of ``--instances``
(default: every core) — each pool started and warmed on one letter per
instance first, so the steady state is measured — then again with one
``soffice --headless --convert-to pdf`` process per letter (cold path, same
private profile and font configuration, profile created beforehand so only
the process start is measured), and prints the figures and ratios.

    .venv/bin/python benchmarks/bench_pdf.py [-n 20] [--instances N]
"""
from __future__ import annotations

import argparse
import os
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

from lettergen.convert import ConverterPool, default_instances, find_soffice  # noqa: E402
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


def warm(docs: list[Path], out: Path, instances: int) -> tuple[float, float]:
    """(start-up and warm-up seconds, steady seconds for all ``docs``) with ``instances`` offices."""
    started = time.monotonic()
    with ConverterPool(instances) as pool:
        warmup = pool.convert_many([(docs[i % len(docs)], out / f"warmup{i}.pdf") for i in range(instances)])
        startup = time.monotonic() - started
        steady_start = time.monotonic()
        results = pool.convert_many([(d, out / f"{d.stem}.pdf") for d in docs])
        steady = time.monotonic() - steady_start
    assert all(r.ok for r in warmup + results), [r.error for r in warmup + results if not r.ok]
    return startup, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="number of letters (default 20)")
    parser.add_argument("--instances", type=int, default=max(default_instances(), 2),
                        help="warm LibreOffice instances of the parallel run (default: cores, at least 2)")
    args = parser.parse_args()
    n = args.n
    soffice = find_soffice()
    if soffice is None:
        sys.exit("LibreOffice (soffice) not found")
    tmp = Path(tempfile.mkdtemp(prefix="lettergen-bench-"))
    try:
        docs = [tmp / f"letter{i:03d}.docx" for i in range(n)]
        for i, doc in enumerate(docs):
            make_letter(doc, i)
        start1, steady1 = warm(docs, tmp / "warm1", 1)
        startn, steadyn = warm(docs, tmp / "warmn", args.instances)
        cold_total = cold(soffice, docs, tmp / "cold", tmp / "cold-profile")

        per1, pern, per_cold = steady1 / n, steadyn / n, cold_total / n
        print(f"letters: {n}, {os.cpu_count()} cores")
        print(f"1 warm instance:   start-up {start1:5.2f} s, {per1:.3f} s per PDF, {1 / per1:5.1f} letters/s")
        print(f"{args.instances} warm instances:  start-up {startn:5.2f} s, {pern:.3f} s per PDF, {1 / pern:5.1f} letters/s")
        print(f"speed-up {args.instances} vs 1 instance: x{per1 / pern:.2f}")
        print(f"cold, per PDF (soffice per letter): {per_cold:.3f} s")
        print(f"ratio cold / warm ({args.instances} instances): {per_cold / pern:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
