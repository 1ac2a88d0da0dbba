"""Every kind's letter as a PDF: Song-style body face, extractable text, layout positions."""
from __future__ import annotations

import os
import re
import subprocess

import pdfplumber
import pytest
from docx import Document

from lettergen import api
from lettergen.convert import find_soffice
from lettergen.files import sha256_file
from lettergen.register import Register

from .conftest import KINDS

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module", autouse=True)
def need_soffice():
    if find_soffice() is None:
        if os.environ.get("CI"):
            pytest.fail("soffice not found, but CI is set: LibreOffice is required there")
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui python3-uno")


def _squash(text: str) -> str:
    return "".join(text.split())


def _line_chars(page, text: str, *, last: bool = False) -> list[dict]:
    """The drawn characters spelling ``text`` (its first or ``last`` occurrence)."""
    chars = [c for c in page.chars if not c["text"].isspace()]
    joined = "".join(c["text"] for c in chars)
    start = joined.rfind(text) if last else joined.find(text)
    assert start >= 0, f"{text!r} not on page"
    return chars[start:start + len(text)]


@pytest.mark.parametrize("kind", KINDS)
def test_letter_pdf(kind, project_config, sample_data, tmp_path):
    issued = api.issue_letter(kind, sample_data(kind), config=project_config, pdf=True)
    pdf = issued.path.with_suffix(".pdf")
    with Register(project_config.register_url) as reg:
        entry = reg.get(issued.entry.number)
    assert entry.pdf_path == str(pdf) and entry.pdf_hash == sha256_file(pdf)

    doc = Document(str(issued.path))
    paragraphs = [p.text for p in doc.paragraphs if p.text.strip()]
    title, date_text = paragraphs[1], paragraphs[-1]
    body = next(p.text for p in doc.paragraphs if p.style.name == "LG Body" and len(p.text) > 20)
    with pdfplumber.open(pdf) as document:
        text = _squash("".join(page.extract_text() for page in document.pages))
        first, last = document.pages[0], document.pages[-1]
        # the text is extractable and is the letter's text
        for paragraph in (paragraphs[0], title, body, date_text):
            assert _squash(paragraph) in text
        # body in a Song-style serif face, not the sans fallback
        body_fonts = {c["fontname"] for c in _line_chars(first, _squash(body)[:12]) if not c["text"].isascii()}
        assert body_fonts and all("NotoSerifCJK" in f for f in body_fonts), body_fonts
        # the title is centred on the text block (A4, symmetric margins in the song profile)
        t = _line_chars(first, _squash(title))
        assert abs((t[0]["x0"] + t[-1]["x1"]) / 2 - first.width / 2) < 3
        assert t[0]["size"] > _line_chars(first, _squash(body)[:4])[0]["size"]
        # the date sits at the right margin, below the signature
        d = _line_chars(last, _squash(date_text), last=True)
        right_margin = 3.17 / 2.54 * 72
        assert abs(d[-1]["x1"] - (last.width - right_margin)) < 3
        s = _line_chars(last, "客户服务部经理：王敏")
        assert d[0]["top"] > s[0]["top"]
    png = tmp_path / "page1"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png)], check=True)
    from PIL import Image

    with Image.open(png.with_suffix(".png")) as image:
        assert sum(image.convert("L").histogram()[:128]) > 500


def test_fangsong_profile_pdf_uses_a_fangsong_face(project_config, sample_data):
    """Without the shipped substitution a 仿宋 body comes out looking like 黑体 (or 宋体):
    the body is drawn with FandolFang, the 小标宋 title with a Song-style serif."""
    project_config.data["style"]["profile"] = "fangsong"
    issued = api.issue_letter("complaint_response", sample_data("complaint_response"), config=project_config, pdf=True)
    doc = Document(str(issued.path))
    body = next(p.text for p in doc.paragraphs if p.style.name == "LG Body" and len(p.text) > 20)
    title = next(p.text for p in doc.paragraphs if p.style.name == "LG Title")
    with pdfplumber.open(issued.path.with_suffix(".pdf")) as document:
        page = document.pages[0]
        for text, face in ((body, "FandolFang"), (title, "NotoSerifCJK")):
            fonts = {c["fontname"] for c in _line_chars(page, _squash(text)[:10]) if not c["text"].isascii()}
            assert fonts and all(face in f for f in fonts), fonts
        assert _line_chars(page, _squash(body)[:4])[0]["size"] == pytest.approx(14, abs=0.1)
        assert abs(page.width - 595.3) < 1


def _fonts_of_pdf(reader) -> dict[str, bool]:
    """Every font the pages use (descendants of Type0 fonts too) -> whether its program is embedded."""
    out: dict[str, bool] = {}

    def visit(font) -> None:
        font = font.get_object()
        for child in font.get("/DescendantFonts", []):
            visit(child)
        if "/DescendantFonts" in font:
            return
        descriptor = font.get("/FontDescriptor")
        embedded = descriptor is not None and any(
            key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        out[str(font.get("/BaseFont"))] = embedded

    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get_object().get("/Font") or {}).values():
            visit(font)
    return out


@pytest.mark.parametrize("profile", ["song", "fangsong"])
def test_archival_pdf_is_pdfa_2b_with_every_font_embedded(project_config, sample_data, profile):
    from pypdf import PdfReader

    project_config.data["style"]["profile"] = profile
    project_config.data["pdf"] = {"archival": True}
    issued = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config, pdf=True)
    reader = PdfReader(issued.path.with_suffix(".pdf"))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"<pdfaid:part>2</pdfaid:part>|pdfaid:part=\"2\"", xmp), xmp[:500]
    assert re.search(r"<pdfaid:conformance>B</pdfaid:conformance>|pdfaid:conformance=\"B\"", xmp)
    fonts = _fonts_of_pdf(reader)
    assert fonts and all(fonts.values()), fonts
    assert any("FandolFang" in name for name in fonts) == (profile == "fangsong")
    if profile == "song":  # an ordinary PDF does not claim PDF/A
        from lettergen.convert import Converter

        with Converter() as converter:
            converter.convert(issued.path, issued.path.with_name("plain.pdf"))
        metadata = PdfReader(issued.path.with_name("plain.pdf")).trailer["/Root"].get("/Metadata")
        assert metadata is None or b"pdfaid" not in metadata.get_object().get_data()


def test_archival_setting_must_be_a_boolean(project_config, sample_data):
    from lettergen.errors import ConfigError
    from lettergen.pdfs import archival

    project_config.data["pdf"] = {"archival": "yes"}
    with pytest.raises(ConfigError, match="pdf.archival"):
        archival(project_config)
    project_config.data["pdf"] = {}
    assert archival(project_config) is False
