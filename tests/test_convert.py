"""Tests for lettergen.convert: real LibreOffice conversions, fonts, hangs, crashes.

Tests marked ``libreoffice`` need soffice and the CJK fonts; they are skipped
when soffice is missing, except with $CI set, where that is a failure.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from pypdf import PdfReader, PdfWriter

from lettergen.convert import Converter, doctor, find_soffice, merge_pdfs
from lettergen.convert.fonts import FANG, KAI, LATIN_SERIF, SANS, SERIF, TEMPLATE_FONTS
from lettergen.errors import ConversionError

PROJECT = Path(__file__).resolve().parent.parent
BODY = "尊敬的客户：贵公司于本年度向我司采购的货物已全部交付，请于收到本函后五个工作日内结清余款。"
TITLE = "关于货款结算的函"
DATE = "2026年11月22日"
# Face -> fragment of the PostScript name LibreOffice embeds for it.
PS_NAME = {SERIF: "NotoSerifCJK", SANS: "NotoSansCJK", KAI: "UKaiCN", FANG: "FandolFang",
           LATIN_SERIF: "LiberationSerif"}


@pytest.fixture(scope="session")
def soffice() -> str:
    path = find_soffice()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("soffice not found, but CI is set: LibreOffice is required there")
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui python3-uno")
    return path


@pytest.fixture(scope="module")
def warm(soffice):
    """One converter shared by the tests that do not break it."""
    with Converter(timeout=60) as converter:
        yield converter


def _font(run, name: str, size: float) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    # font.name sets only ascii/hAnsi; Chinese text uses w:eastAsia.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def make_letter(path: Path, *, title_font="方正小标宋简体", body_font="仿宋_GB2312",
                body=BODY, pages: int = 1, marker: str = "") -> Path:
    """An A4 letter: centred 22 pt title, body paragraphs, right-aligned date."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(26)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(TITLE + marker), title_font, 22)
    for page in range(pages):
        if page:
            doc.add_page_break()
        _font(doc.add_paragraph().add_run(body), body_font, 16)
    date = doc.add_paragraph()
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _font(date.add_run(DATE), body_font, 16)
    doc.save(path)
    return path


def _fonts_of(page, text: str) -> set[str]:
    """Fonts of the non-ASCII characters drawn for ``text`` (spaces ignored)."""
    chars = [c for c in page.chars if not c["text"].isspace()]
    start = "".join(c["text"] for c in chars).find(text)
    assert start >= 0, f"{text!r} not found on the page"
    return {c["fontname"] for c in chars[start:start + len(text)] if not c["text"].isascii()}


def _span(page, text: str) -> tuple[float, float]:
    """x0, x1 of the drawn characters spelling ``text`` (spaces ignored)."""
    chars = [c for c in page.chars if not c["text"].isspace()]
    start = "".join(c["text"] for c in chars).find(text)
    assert start >= 0, f"{text!r} not found on the page"
    run = chars[start:start + len(text)]
    return run[0]["x0"], run[-1]["x1"]


def _squash(text: str) -> str:
    return "".join(text.split())


# --- without LibreOffice -------------------------------------------------------

def test_missing_soffice_fails_per_document_with_chinese_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERGEN_SOFFICE", str(tmp_path / "no-soffice"))
    assert find_soffice() is None
    docs = [make_letter(tmp_path / f"{n}.docx") for n in "ab"]
    with Converter() as converter:
        with pytest.raises(ConversionError) as err:
            converter.convert(docs[0], tmp_path / "a.pdf")
        results = converter.convert_many([(d, d.with_suffix(".pdf")) for d in docs])
    assert "a.docx" in str(err.value) and "未找到 LibreOffice" in str(err.value)
    assert "apt-get install libreoffice-writer-nogui" in str(err.value)
    assert [r.ok for r in results] == [False, False]
    assert all(r.source.name in r.error for r in results)
    assert not list(tmp_path.glob("*.pdf"))


def test_doctor_without_soffice_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("LETTERGEN_SOFFICE", str(tmp_path / "no-soffice"))
    report = doctor()
    assert not report.ok
    assert report.soffice is None
    assert any("libreoffice-writer-nogui" in h for h in report.hints)


def test_not_a_docx_is_refused(tmp_path):
    stray = tmp_path / "notes.docx"
    stray.write_text("not a letter", encoding="utf-8")
    with Converter() as converter, pytest.raises(ConversionError, match="notes.docx.*不是有效的 .docx"):
        converter.convert(stray, tmp_path / "notes.pdf")


def test_merge_keeps_order_and_pages(tmp_path):
    widths = [200, 300, 400]
    paths = []
    for n, width in enumerate(widths):
        writer = PdfWriter()
        for _ in range(n + 1):
            writer.add_blank_page(width=width, height=500)
        paths.append(tmp_path / f"{n}.pdf")
        writer.write(paths[-1])
    merge_pdfs(list(reversed(paths)), tmp_path / "all.pdf")
    pages = PdfReader(tmp_path / "all.pdf").pages
    assert [round(p.mediabox.width) for p in pages] == [400] * 3 + [300] * 2 + [200]
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".*part*"))


def test_merge_of_nothing_or_a_broken_file_is_an_error(tmp_path):
    with pytest.raises(ConversionError):
        merge_pdfs([], tmp_path / "all.pdf")
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    with pytest.raises(ConversionError, match="bad.pdf"):
        merge_pdfs([tmp_path / "bad.pdf"], tmp_path / "all.pdf")
    assert not (tmp_path / "all.pdf").exists()


# --- real conversions --------------------------------------------------------

@pytest.mark.libreoffice
def test_doctor_all_good(soffice):
    report = doctor()
    assert report.ok, report.format()
    assert report.version and "LibreOffice" in report.version
    assert all(check.ok for check in report.fonts), report.format()


@pytest.mark.libreoffice
def test_letter_pdf_fonts_text_and_layout(warm, tmp_path):
    pdf = tmp_path / "letter.pdf"
    warm.convert(make_letter(tmp_path / "letter.docx"), pdf)

    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        # LibreOffice, like Word, spaces digits from Han characters, hence squash.
        text = _squash(page.extract_text())
        assert text == TITLE + BODY + DATE
        # 仿宋 body in a real FangSong face, 小标宋 title in a Song-style serif;
        # never the sans fallback.
        for part, face in ((BODY, "FandolFang"), (TITLE, "NotoSerifCJK")):
            fonts = _fonts_of(page, part)
            assert fonts and all(face in f for f in fonts), fonts
        x0, x1 = _span(page, TITLE)
        assert abs((x0 + x1) / 2 - page.width / 2) < 3, "title not centred"
        right_margin = 26 / 25.4 * 72
        date_x0, date_x1 = _span(page, DATE)
        assert abs(date_x1 - (page.width - right_margin)) < 3, "date not at the right margin"
        assert date_x0 > page.width / 2
        assert abs(page.width - 595.3) < 1  # A4 kept

    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)],
                   check=True)
    from PIL import Image
    with Image.open(png.with_suffix(".png")) as image:
        dark = sum(image.convert("L").histogram()[:128])
    assert dark > 200, "page 1 renders blank"


@pytest.mark.libreoffice
def test_every_template_font_is_drawn_with_its_intended_face(warm, tmp_path):
    doc = Document()
    names = [name for name, face in TEMPLATE_FONTS.items() if face != LATIN_SERIF]
    markers = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"
    for n, name in enumerate(names):
        _font(doc.add_paragraph().add_run(f"第{'一二三四五六七八九十'[n % 10]}段落文字{markers[n]}"),
              name, 14)
    latin = [name for name, face in TEMPLATE_FONTS.items() if face == LATIN_SERIF]
    for n, name in enumerate(latin):
        run = doc.add_paragraph().add_run(f"Invoice No. {n}{n}Q")
        run.font.name = name
    doc.save(tmp_path / "fonts.docx")
    warm.convert(tmp_path / "fonts.docx", tmp_path / "fonts.pdf")
    with pdfplumber.open(tmp_path / "fonts.pdf") as pdf:
        chars = pdf.pages[0].chars
    for n, name in enumerate(names):
        used = {c["fontname"] for c in chars if c["text"] == markers[n]}
        assert used and all(PS_NAME[TEMPLATE_FONTS[name]] in f for f in used), (name, used)
    used = {c["fontname"] for c in chars if c["text"] == "Q"}
    assert latin and used and all(PS_NAME[LATIN_SERIF] in f for f in used), used


@pytest.mark.libreoffice
def test_batch_stays_warm_and_merges_in_order(warm, tmp_path):
    starts = warm.starts
    docs = [make_letter(tmp_path / f"{n}.docx", pages=n + 1, marker="甲乙丙"[n]) for n in range(3)]
    results = warm.convert_many([(d, tmp_path / "out" / f"{d.stem}.pdf") for d in docs])
    assert all(r.ok for r in results), results
    assert warm.starts == max(starts, 1), "office restarted during a healthy batch"
    merge_pdfs([r.target for r in reversed(results)], tmp_path / "all.pdf")
    with pdfplumber.open(tmp_path / "all.pdf") as pdf:
        assert len(pdf.pages) == 3 + 2 + 1
        firsts = [i for i, page in enumerate(pdf.pages) if TITLE in (page.extract_text() or "")]
        titles = [pdf.pages[i].extract_text().split("\n")[0] for i in firsts]
    assert firsts == [0, 3, 5]
    assert titles == [TITLE + "丙", TITLE + "乙", TITLE + "甲"]


def _signal_all(pids, sig):
    for pid in pids:
        os.kill(pid, sig)


def _gone(pids) -> bool:
    def alive(pid):
        try:
            return open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0] != "Z"
        except OSError:
            return False
    return not any(alive(pid) for pid in pids)


@pytest.mark.libreoffice
def test_hung_office_times_out_is_killed_and_replaced(soffice, tmp_path):
    a, b = make_letter(tmp_path / "a.docx"), make_letter(tmp_path / "b.docx")
    (tmp_path / "b.pdf").write_bytes(b"previous")
    with Converter(timeout=4) as converter:
        converter.convert(a, tmp_path / "a.pdf")
        hung = converter.pids()
        _signal_all(hung, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(ConversionError, match=r"b\.docx.*4 秒内未完成"):
            converter.convert(b, tmp_path / "b.pdf")
        assert time.monotonic() - started < 8
        assert _gone(hung), "the hung office was not killed"
        assert (tmp_path / "b.pdf").read_bytes() == b"previous", "failed conversion touched the target"
        converter.convert(b, tmp_path / "b.pdf")
        assert converter.starts == 2
    assert PdfReader(tmp_path / "b.pdf").pages[0].extract_text().startswith(TITLE)
    assert not list(tmp_path.glob(".*part*"))


@pytest.mark.libreoffice
def test_one_hang_never_stalls_the_batch(soffice, tmp_path):
    docs = [make_letter(tmp_path / f"{n}.docx") for n in range(4)]
    with Converter(timeout=3) as converter:
        converter.convert(docs[0], tmp_path / "0.pdf")
        _signal_all(converter.pids(), signal.SIGSTOP)
        results = converter.convert_many([(d, d.with_suffix(".pdf")) for d in docs[1:]])
    assert [r.ok for r in results] == [False, True, True]
    assert "1.docx" in results[0].error and "未完成" in results[0].error
    assert 2.5 < results[0].seconds < 6


@pytest.mark.libreoffice
def test_office_killed_between_documents_is_restarted(soffice, tmp_path):
    a = make_letter(tmp_path / "a.docx")
    with Converter(timeout=30) as converter:
        converter.convert(a, tmp_path / "1.pdf")
        _signal_all(converter.pids(), signal.SIGKILL)
        converter.convert(a, tmp_path / "2.pdf")
        assert converter.starts == 2
    assert PdfReader(tmp_path / "2.pdf").pages


@pytest.mark.libreoffice
def test_office_killed_during_a_document_is_retried(soffice, tmp_path):
    big = make_letter(tmp_path / "big.docx", pages=40)
    with Converter(timeout=60) as converter:
        converter.convert(big, tmp_path / "warmup.pdf")
        pids = converter.pids()
        # One killpg, as a crash or the OOM killer takes the office down: killing the
        # processes one by one lets a half-killed office answer with a failed store.
        group = converter._state.office.soffice.pid
        killer = threading.Timer(0.05, os.killpg, (group, signal.SIGKILL))
        killer.start()
        converter.convert(big, tmp_path / "big.pdf")
        killer.join()
        assert converter.starts == 2
        assert _gone(pids)
    assert len(PdfReader(tmp_path / "big.pdf").pages) == 40


@pytest.mark.libreoffice
def test_retry_after_a_death_mid_store_writes_a_fresh_file(soffice, tmp_path, monkeypatch):
    # An office killed while storing leaves a partial PDF and LibreOffice's lock file
    # under the name it was given; the retry on a fresh office must not trip over them.
    from lettergen.convert.office import Office, OfficeDied
    a = make_letter(tmp_path / "a.docx")
    real_convert, targets = Office.convert, []

    def dies_storing_the_first_time(office, src, dst, timeout, **kwargs):
        targets.append(dst)
        if len(targets) > 1:
            return real_convert(office, src, dst, timeout, **kwargs)
        dst.write_bytes(b"%PDF-1.7 partial")
        dst.with_name(f".~lock.{dst.name}#").write_text(",someone,host,01.01.2026 10:00,;")
        os.killpg(office.soffice.pid, signal.SIGKILL)
        raise OfficeDied("killed while storing")

    monkeypatch.setattr(Office, "convert", dies_storing_the_first_time)
    with Converter(timeout=60) as converter:
        converter.convert(a, tmp_path / "a.pdf")
        assert converter.starts == 2
        assert targets[0] != targets[1]
        assert not targets[0].exists() and not targets[0].with_name(f".~lock.{targets[0].name}#").exists()
    assert PdfReader(tmp_path / "a.pdf").pages


@pytest.mark.libreoffice
def test_close_leaves_no_process_profile_or_socket(soffice, tmp_path):
    converter = Converter()
    converter.convert(make_letter(tmp_path / "a.docx"), tmp_path / "a.pdf")
    pids, workdir = converter.pids(), converter._state.workdir
    sockets = list(converter._state.office._sockets)
    assert workdir.is_dir() and all(s.is_socket() for s in sockets)
    converter.close()
    assert _gone(pids) and not workdir.exists() and not any(s.exists() for s in sockets)
    assert str(Path.home()) not in str(workdir)


@pytest.mark.libreoffice
def test_office_dies_with_its_parent(soffice, tmp_path):
    make_letter(tmp_path / "a.docx")
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from lettergen.convert import Converter\n"
        "c = Converter()\n"
        f"c.convert(Path({str(tmp_path / 'a.docx')!r}), Path({str(tmp_path / 'a.pdf')!r}))\n"
        "print(c._state.workdir, *c._state.office._sockets, flush=True)\n"
        "print(*c.pids(), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=PROJECT, timeout=120)
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stderr
    leftovers, pids = [Path(p) for p in lines[0].split()], [int(p) for p in lines[1].split()]
    deadline = time.monotonic() + 10
    while not (_gone(pids) and not any(p.exists() for p in leftovers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(pids), "soffice outlived a killed parent"
    assert not [p for p in leftovers if p.exists()], "private profile or sockets left behind"


# --- command line ----------------------------------------------------------

def _run_cli(args: list[str], capsys) -> tuple[int, str]:
    """Run the console entry point; return its exit code and everything printed."""
    from lettergen.cli import convert_cmds  # noqa: F401  (registers the commands)
    from lettergen.cli import main
    with pytest.raises(SystemExit) as exit_:
        main(args)
    captured = capsys.readouterr()
    return exit_.value.code, captured.out + captured.err


@pytest.mark.libreoffice
def test_cli_pdf_converts_merges_and_exits_6_on_failure(soffice, tmp_path, capsys):
    a = make_letter(tmp_path / "a.docx", marker="甲")
    b = make_letter(tmp_path / "b.docx", marker="乙")
    out = tmp_path / "out"
    code, output = _run_cli(["pdf", str(a), str(b), "--out-dir", str(out),
                             "--merge", str(out / "all.pdf"), "--timeout", "30"], capsys)
    assert code == 0, output
    pages = PdfReader(out / "all.pdf").pages
    assert [p.extract_text().split("\n")[0] for p in pages] == [TITLE + "甲", TITLE + "乙"]

    bad = tmp_path / "bad.docx"
    bad.write_text("x", encoding="utf-8")
    code, output = _run_cli(["pdf", str(bad), str(a), "--out-dir", str(out)], capsys)
    assert code == 6
    assert "FAILED" in output and "bad.docx" in output and "ok " in output


def test_cli_doctor_exit_code_follows_the_report(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LETTERGEN_SOFFICE", str(tmp_path / "no-soffice"))
    code, output = _run_cli(["doctor"], capsys)
    assert code == 1
    assert "apt-get install" in output and "libreoffice-writer-nogui" in output


def test_cli_help_is_in_english(capsys):
    code, output = _run_cli(["pdf", "--help"], capsys)
    assert code == 0 and "--merge" in output and "Convert existing .docx" in output
