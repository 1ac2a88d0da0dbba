"""Seal, logo and signature pictures: checked settings, in the .docx and on the PDF page."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pdfplumber
import pytest
from PIL import Image, ImageDraw

from lettergen import api
from lettergen.errors import ConfigError
from lettergen.pictures import load_pictures

from .test_pdf_letters import need_soffice  # noqa: F401  (autouse: skip or, under CI, fail)


def seal_png(path, px: int = 400) -> str:
    """A red ring and star on a transparent background, as a seal picture is."""
    image = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, px - 8, px - 8), outline=(220, 0, 0, 255), width=px // 25)
    c = px / 2
    draw.polygon([(c, c - 60), (c + 18, c - 18), (c + 60, c - 18), (c + 26, c + 8), (c + 38, c + 50),
                  (c, c + 24), (c - 38, c + 50), (c - 26, c + 8), (c - 60, c - 18), (c - 18, c - 18)],
                 fill=(220, 0, 0, 255))
    image.save(path)
    return str(path)


def small_png(path, size=(300, 90), colour=(0, 0, 120, 255)) -> str:
    Image.new("RGBA", size, colour).save(path)
    return str(path)


def test_bad_pictures_get_an_error_naming_the_setting(tmp_path):
    (tmp_path / "seal.gif").write_bytes(b"GIF89a" + b"\0" * 100)
    with pytest.raises(ConfigError, match=r"organisation\.seal（印章图片）.*不是 PNG 或 JPEG"):
        load_pictures({"seal": "seal.gif"}, lambda v: tmp_path / v)
    with pytest.raises(ConfigError, match=r"organisation\.logo（标志图片）：找不到图片文件"):
        load_pictures({"logo": "missing.png"}, lambda v: tmp_path / v)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * (1024 * 1024 + 10))
    with pytest.raises(ConfigError, match=r"organisation\.signature（签名图片）.*不能超过 1 MB"):
        load_pictures({"signature": "big.png"}, lambda v: tmp_path / v)
    small_png(tmp_path / "tiny.png", (10, 10))
    with pytest.raises(ConfigError, match=r"10×10 像素"):
        load_pictures({"seal": "tiny.png"}, lambda v: tmp_path / v)
    seal_png(tmp_path / "seal.png")
    assert load_pictures({"seal": "seal.png", "name": "x"}, lambda v: tmp_path / v) == {
        "seal": str((tmp_path / "seal.png").resolve())}


def _seal_and_words(pdf_path):
    date_text = next(p.text for p in docx.Document(str(pdf_path.with_suffix(".docx"))).paragraphs
                     if p.style.name == "LG Date")
    with pdfplumber.open(pdf_path) as pdf:
        page = pdf.pages[-1]
        seal = max(page.images, key=lambda im: im["width"])
        words = page.extract_words()
        name = next(w for w in words if w["text"].startswith("杭州禾丰贸易有限公司"))
        date = next(w for w in reversed(words) if w["text"].startswith(date_text))
        return seal, name, date, len(pdf.pages[0].images)


def _covered(seal, word) -> tuple[float, float]:
    """Fractions of the word's width and height under the seal."""
    wide = min(seal["x1"], word["x1"]) - max(seal["x0"], word["x0"])
    high = min(seal["bottom"], word["bottom"]) - max(seal["top"], word["top"])
    return wide / (word["x1"] - word["x0"]), high / (word["bottom"] - word["top"])


@pytest.mark.parametrize("profile", ["song", "fangsong"])
def test_seal_covers_the_name_and_the_date(project_config, sample_data, tmp_path, profile):
    project_config.data["style"]["profile"] = profile
    project_config.data["organisation"]["seal"] = seal_png(tmp_path / "seal.png")
    issued = api.issue_letter("sales_letter", sample_data("sales_letter"), config=project_config, pdf=True)
    with zipfile.ZipFile(issued.path) as zf:
        body = zf.read("word/document.xml").decode("utf-8")
        assert [n for n in zf.namelist() if n.startswith("word/media/")] == ["word/media/image1.png"]
    assert body.count("<wp:anchor") == 1 and 'behindDoc="0"' in body and "<wp:wrapNone/>" in body
    seal, name, date, _ = _seal_and_words(issued.path.with_suffix(".pdf"))
    assert abs(seal["width"] - 4.2 / 2.54 * 72) < 2 and abs(seal["height"] - seal["width"]) < 2
    for word in (name, date):  # all of it, or as much as 4.2 cm can (a ten-character 四号 name is wider)
        wide, high = _covered(seal, word)
        most = min(0.95, (seal["x1"] - seal["x0"]) / (word["x1"] - word["x0"]) - 0.05)
        assert wide >= most and high == pytest.approx(1), (seal, word)
    centres = (name["x0"] + name["x1"] + date["x0"] + date["x1"]) / 4
    assert abs((seal["x0"] + seal["x1"]) / 2 - centres) < 3  # centred on the name and the date
    assert abs((seal["top"] + seal["bottom"]) / 2 - (name["top"] + date["bottom"]) / 2) < 8


def test_logo_and_signature(project_config, sample_data, tmp_path):
    org = project_config.data["organisation"]
    org["seal"] = seal_png(tmp_path / "seal.png")
    org["logo"] = small_png(tmp_path / "logo.png")
    org["signature"] = small_png(tmp_path / "signature.png", (240, 80), (20, 20, 20, 255))
    issued = api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config, pdf=True)
    with zipfile.ZipFile(issued.path) as zf:
        assert len([n for n in zf.namelist() if n.startswith("word/media/")]) == 3
    document = docx.Document(str(issued.path))
    assert document.sections[0].first_page_header._element.xpath(".//pic:pic")  # logo on page 1
    assert len(document.inline_shapes) == 1  # the signature, in the body above the contact's name
    texts = [p.text for p in document.paragraphs]
    signature_at = next(i for i, p in enumerate(document.paragraphs) if p._p.xpath(".//pic:pic")
                        and not p._p.xpath(".//wp:anchor"))
    assert texts[signature_at - 1] == "杭州禾丰贸易有限公司" and texts[signature_at + 1].startswith("客户服务部经理")
    seal, name, date, first_page_images = _seal_and_words(issued.path.with_suffix(".pdf"))
    assert _covered(seal, name) >= (0.95, 1.0)
    assert _covered(seal, date)[1] > 0  # the taller block: the seal still reaches the date
    assert first_page_images >= 1  # the logo


def test_a_letter_with_pictures_is_reissued_byte_identically(project_config, sample_data, tmp_path):
    project_config.data["layout"] = {"fit": "off"}
    project_config.data["organisation"]["seal"] = seal_png(tmp_path / "seal.png")
    issued = api.issue_letter("after_sales", sample_data("after_sales"), config=project_config)
    original = issued.path.read_bytes()
    issued.path.unlink()
    assert api.reissue(issued.entry.number, config=project_config).read_bytes() == original
    assert b"word/media/image1.png" in original


def test_place_picture_inline_or_floating_in_front_or_behind(tmp_path):
    from docx.shared import Cm

    from lettergen.pictures import place_picture

    png = small_png(tmp_path / "qr.png", (100, 100), (0, 0, 0, 255))
    document = docx.Document()
    first, second, third = (document.add_paragraph(t) for t in ("甲", "乙", "丙"))
    place_picture(first, png, width=Cm(2))
    place_picture(second, png, width=Cm(2), x=Cm(1), y=Cm(-0.5))
    place_picture(third, Path(png).read_bytes(), width=Cm(2), x=Cm(3), behind=True)
    out = io.BytesIO()
    document.save(out)
    body = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("word/document.xml").decode()
    assert body.count("<wp:inline") == 1 and body.count("<wp:anchor") == 2
    assert 'behindDoc="0"' in body and 'behindDoc="1"' in body
    assert f"<wp:posOffset>{Cm(1)}</wp:posOffset>" in body and f"<wp:posOffset>{Cm(-0.5)}</wp:posOffset>" in body
    assert body.count(f'<wp:extent cx="{Cm(2)}" cy="{Cm(2)}"/>') == 3
