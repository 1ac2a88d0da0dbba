"""The verification QR code printed on issued letters ([service] public_url)."""
from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import docx
import pdfplumber
import pytest

from lettergen import api
from lettergen.batch import run_batch
from lettergen.config import PROJECT_DIR, Config
from lettergen.errors import ConfigError
from lettergen.verification import VERIFY_KEY, qr_png, verification_url

from .test_pdf_letters import need_soffice  # noqa: F401  (autouse: skip or, under CI, fail)
from .test_pictures import seal_png

PUBLIC_URL = "https://letters.example.cn/"
CM = 72 / 2.54


def with_public_url(config: Config, url: str | None = PUBLIC_URL, **layout) -> Config:
    data = copy.deepcopy(config.data)
    data.setdefault("service", {})["public_url"] = url or ""
    data["layout"] = {**data.get("layout", {}), "fit": "off", **layout}
    return Config(data, config.base_dir, config.source)


def media(path: Path | bytes) -> dict[str, bytes]:
    source = path if isinstance(path, Path) else __import__("io").BytesIO(path)
    with zipfile.ZipFile(source) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("word/media/")}


def qr_of(path: Path, config: Config) -> bytes:
    """The QR code (PNG) the letter ``path`` should carry: its register entry's check page."""
    entry = next(e for e in api.letters(config=config)[0] if Path(e.output_path) == path)
    url = verification_url(config, entry)
    assert url.startswith("https://letters.example.cn/v/") and url.endswith(f"?c={entry.verify_code}")
    return qr_png(url)


def test_an_issued_letter_carries_the_qr_code_of_its_check_page(project_config, sample_data):
    config = with_public_url(project_config)
    issued = api.issue_letter("sales_letter", sample_data("sales_letter"), config=config)
    assert list(media(issued.path).values()) == [qr_of(issued.path, config)]
    document = docx.Document(str(issued.path))
    name = next(p for p in document.paragraphs if p.style.name == "LG Signature")
    anchor = name._p.xpath(".//wp:anchor[.//pic:pic]")
    assert len(anchor) == 1 and anchor[0].xpath("./wp:wrapNone")  # floating: the text does not move
    caption = name._p.xpath(".//wp:anchor[not(.//pic:pic)]")
    assert len(caption) == 1 and caption[0].xpath("./wp:wrapNone")
    assert "".join(caption[0].xpath(".//w:t/text()")) == "扫码核验"
    assert anchor[0].xpath("./wp:positionH[@relativeFrom='margin']/wp:posOffset")[0].text == "0"
    extent = anchor[0].xpath("./wp:extent")[0]
    assert int(extent.get("cx")) == int(extent.get("cy")) == 720000  # 2 cm
    assert issued.entry.data["context"][VERIFY_KEY] == PUBLIC_URL.rstrip("/")


def test_on_the_pdf_it_stands_at_the_left_margin_beside_the_signature_block(project_config, sample_data, tmp_path):
    project_config.data["organisation"]["seal"] = seal_png(tmp_path / "seal.png")
    plain = api.issue_letter("sales_letter", sample_data("sales_letter"), config=with_public_url(project_config, None),
                             pdf=True)
    config = with_public_url(project_config)
    issued = api.issue_letter("sales_letter", sample_data("sales_letter"), config=config, pdf=True)
    left_margin = docx.Document(str(issued.path)).sections[0].left_margin.pt
    with pdfplumber.open(plain.path.with_suffix(".pdf")) as pdf:
        plain_pages = len(pdf.pages)
        plain_words = [(w["text"], round(w["top"])) for w in pdf.pages[-1].extract_words()]
    with pdfplumber.open(issued.path.with_suffix(".pdf")) as pdf:
        assert len(pdf.pages) == plain_pages == 1  # kept on one page
        page = pdf.pages[-1]
        words = page.extract_words()
        qr = next(im for im in page.images if abs(im["width"] - im["height"]) < 1 and im["width"] < 3 * CM)
    caption = next(w for w in words if w["text"] == "扫码核验")
    words = [w for w in words if w is not caption]
    assert [(w["text"], round(w["top"])) for w in words][1:] == plain_words[1:]  # the text did not move
    assert qr["width"] == pytest.approx(2 * CM, abs=1.5)
    assert qr["x0"] == pytest.approx(left_margin, abs=1.5)
    name = next(w for w in words if w["text"].startswith("杭州禾丰贸易有限公司"))
    date = next(w for w in reversed(words) if w["text"].startswith("2026年"))
    assert name["top"] - 2 < qr["top"] and qr["bottom"] < date["bottom"] + 2  # beside the name … date lines
    assert qr["x1"] + 0.5 * CM <= min(w["x0"] for w in words if w["top"] >= name["top"] - 1)  # clear of the text
    assert qr["bottom"] <= caption["top"] < qr["bottom"] + 6 and caption["bottom"] < date["bottom"] + 2
    assert abs((caption["x0"] + caption["x1"]) / 2 - (qr["x0"] + qr["x1"]) / 2) < 2  # centred under the code
    assert scanned(issued.path.with_suffix(".pdf"), tmp_path) == [verification_url(config, issued.entry)]


def scanned(pdf: Path, tmp_path: Path, dpi: int = 150) -> list[str]:
    """What a phone reads from the printed last page: the QR codes' texts."""
    import subprocess

    import zxingcpp
    from PIL import Image

    with pdfplumber.open(pdf) as doc:
        last = str(len(doc.pages))
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", last, "-l", last, "-png", "-singlefile", str(pdf),
                    str(tmp_path / "scan")], check=True)
    return [code.text for code in zxingcpp.read_barcodes(Image.open(tmp_path / "scan.png"))]


def test_the_trial_render_before_numbering_is_the_letter_without_its_qr_code(project_config, sample_data, tmp_path):
    """Fitting and the quality gate measure the letter as it will be: seal and signature
    included (the QR code and its caption float beside the text and move nothing)."""
    from lettergen.issuing import PLACEHOLDER_NUMBER
    from lettergen.letters import prepare, render_context, template_for
    from .test_pictures import small_png

    org = project_config.data["organisation"]
    org["seal"] = seal_png(tmp_path / "seal.png")
    org["signature"] = small_png(tmp_path / "signature.png", (240, 80), (20, 20, 20, 255))
    data = sample_data("after_sales")
    template = template_for(project_config, "after_sales")
    trials = [render_context(template, prepare("after_sales", data, config).context, PLACEHOLDER_NUMBER)
              for config in (with_public_url(project_config), with_public_url(project_config, None))]
    assert trials[0] == trials[1] and len(media(trials[0])) == 2


def test_reissue_gives_the_same_bytes_even_after_the_public_url_changed(project_config, sample_data):
    config = with_public_url(project_config)
    issued = api.issue_letter("after_sales", sample_data("after_sales"), config=config)
    original = issued.path.read_bytes()
    issued.path.unlink()
    moved = with_public_url(project_config, "https://elsewhere.example.cn")
    api.reissue(issued.entry.number, config=moved)
    assert issued.path.read_bytes() == original
    assert api.letter_docx(issued.entry.number, config=moved) == original


def test_a_letter_issued_before_public_url_was_set_is_reissued_without_a_qr_code(project_config, sample_data):
    issued = api.issue_letter("after_sales", sample_data("after_sales"), config=with_public_url(project_config, None))
    original = issued.path.read_bytes()
    issued.path.unlink()
    api.reissue(issued.entry.number, config=with_public_url(project_config))
    assert issued.path.read_bytes() == original and not media(original)


def test_drafts_and_letters_without_public_url_carry_no_qr_code(project_config, sample_data):
    data = sample_data("payment_reminder")
    with_url, without = with_public_url(project_config), with_public_url(project_config, None)
    assert api.draft("payment_reminder", data, config=with_url).docx == api.draft("payment_reminder", data,
                                                                                  config=without).docx
    assert not media(api.draft("payment_reminder", data, config=with_url).docx)
    issued = api.issue_letter("payment_reminder", data, config=without)
    assert not media(issued.path) and VERIFY_KEY not in issued.entry.data["context"]
    assert b"<wp:anchor" not in zipfile.ZipFile(issued.path).read("word/document.xml")


def test_no_room_for_the_qr_code_is_refused_before_a_number_is_taken(project_config, sample_data):
    config = with_public_url(project_config)
    config.data["organisation"]["name"] = "杭州禾丰贸易有限公司" * 4
    with pytest.raises(ConfigError, match="二维码.*未占用文号"):
        api.issue_letter("sales_letter", sample_data("sales_letter"), config=config)
    assert api.letters(config=config)[1] == 0


def test_a_batch_prints_each_letters_own_qr_code(project_config, tmp_path):
    config = with_public_url(project_config)
    result = run_batch("payment_reminder", PROJECT_DIR / "samples" / "payment_reminder.csv", config,
                       tmp_path / "batch", jobs=2)
    assert result.ok and result.count("issued") >= 2
    codes = set()
    for r in result.results:
        pictures = list(media(Path(r.path)).values())
        assert pictures == [qr_of(Path(r.path), config)]
        codes.add(pictures[0])
    assert len(codes) == result.count("issued")
