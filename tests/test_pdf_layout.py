"""Letters on paper, read as a reader sees them: text positions in real PDFs.

Every sample letter (the single samples and the batch samples), in both
profiles, goes through ``batch --pdf`` (so fitting runs as it does for users);
then: every one of them is one page (fitted where needed) with its closing
after the body; a letter that really is too long (the stress reminder) runs
onto more pages, never with the signature block alone, and its later pages
carry page numbers and the number header; table cells of dates, amounts,
counts and headers never break, and the payee block lines up with the body.
"""
from __future__ import annotations

import copy
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest

from lettergen import api
from lettergen.batch.outputs import generate
from lettergen.config import PROJECT_DIR, Config
from lettergen.convert.measure import count_pages
from lettergen.housestyle import PROFILES, load_profile
from lettergen.housestyle.fit import apply_fit, fit_ladder

from .conftest import KINDS
from .test_pdf_letters import need_soffice  # noqa: F401  (autouse: skip or, under CI, fail)

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

MM = 72 / 25.4


def profile_config(tmp: Path, profile: str) -> Config:
    from lettergen.config import load_config

    base = load_config(PROJECT_DIR / "lettergen.toml")
    data = copy.deepcopy(base.data)
    data["register"]["url"] = f"sqlite:///{tmp / 'register.sqlite'}"
    data["output"]["dir"] = str(tmp / "out")
    data["style"]["profile"] = profile
    data["layout"] = {"fit": "auto"}
    return Config(data, base.base_dir, base.source)


def lines_of(page) -> list[tuple[float, float, str]]:
    """(top, x0, text) of each text line on the page, top to bottom."""
    rows: dict[int, list[dict]] = {}
    for c in page.chars:
        rows.setdefault(round(c["top"]), []).append(c)
    return [(top, min(c["x0"] for c in cs), "".join(c["text"] for c in sorted(cs, key=lambda c: c["x0"])))
            for top, cs in sorted(rows.items())]


def table_cell_lines(page, size_pt: float) -> list[str]:
    """The text of each line in each table cell: characters at the table size,
    by row, split where the gap between two characters is a cell border."""
    rows: dict[int, list[dict]] = {}
    for c in page.chars:
        if abs(c["size"] - size_pt) < 0.3 and not c["text"].isspace():
            rows.setdefault(round(c["top"]), []).append(c)
    out = []
    for chars in rows.values():
        chars.sort(key=lambda c: c["x0"])
        text = chars[0]["text"]
        for a, b in zip(chars, chars[1:]):
            if b["x0"] - a["x1"] > 6:
                out.append(text)
                text = ""
            text += b["text"]
        out.append(text)
    return out


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def sample_pdfs(tmp_path_factory) -> dict[tuple[str, str], list[Path]]:
    """(profile, kind) -> the PDFs of the sample letter and of the sample batch."""
    out: dict[tuple[str, str], list[Path]] = {}
    for profile in PROFILES:
        tmp = tmp_path_factory.mktemp(profile)
        config = profile_config(tmp, profile)
        for kind in KINDS:
            single = api.issue_letter(kind, api.load_data(PROJECT_DIR / "samples" / f"{kind}.yaml"),
                                      config=config, pdf=True)
            result, _ = generate(kind, PROJECT_DIR / "samples" / f"{kind}.csv", config, tmp / kind,
                                 pdf=True, jobs=1)
            out[(profile, kind)] = [single.path.with_suffix(".pdf")] + [
                Path(r.path).with_suffix(".pdf") for r in result.results if r.status == "issued"]
    return out


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_letter_is_one_page_and_never_strands_the_signature(sample_pdfs, profile, kind):
    """Every sample letter, single and batch, in both profiles: one page (fitted
    where needed), the closing with at least two lines of the body above it, no
    page number on it.  (Letters that really are too long are the stress test's.)"""
    for pdf_path in sample_pdfs[(profile, kind)]:
        with pdfplumber.open(pdf_path) as pdf:
            pages = [lines_of(p) for p in pdf.pages]
            cell_lines = table_cell_lines(pdf.pages[0], load_profile(profile).table_size_pt)
        assert len(pages) == 1, f"{profile} {pdf_path.name}: {len(pages)} pages"
        lines = [squash(t) for _, _, t in pages[0]]
        closing = lines.index("此致")
        body_before = [t for t in lines[:closing] if not re.fullmatch(r".*〔\d{4}〕\d+号", t)]
        assert len(body_before) >= 2, (pdf_path.name, lines[:closing + 1])
        assert lines[-1].endswith("日") and "客户服务部经理：王敏" in lines[closing:]
        assert not any(re.fullmatch(r"第\d+页共\d+页|—\d+—", t) for t in lines)
        # no document number in a table broken at a hyphen (widths from the content)
        assert not [t for t in cell_lines if t.endswith("-")], (pdf_path.name, cell_lines)


def stress_data(profile: str) -> dict:
    data = api.load_data(PROJECT_DIR / "samples" / "payment_reminder.yaml")
    start = date(2026, 1, 10)
    data["items"] = [  # references like HT-2026-000100: never broken at a hyphen
        {"ref": f"HT-2026-{n + 100:06d}", "date": (start + timedelta(days=9 * n)).isoformat(),
         "due_date": (start + timedelta(days=9 * n + 30)).isoformat(),
         "amount": str(Decimal("123456789.99") - n * 1000),
         "description": "第{}批次五金配件、紧固件及包装材料货款（含运费与安装调试服务费）".format(n + 1)}
        for n in range(20)
    ]
    data["letter_date"] = "2026-11-23"
    return data


@pytest.fixture(scope="module")
def stress_pdfs(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    out = {}
    for profile in PROFILES:
        tmp = tmp_path_factory.mktemp(f"stress-{profile}")
        issued = api.issue_letter("payment_reminder", stress_data(profile),
                                  config=profile_config(tmp, profile), pdf=True)
        out[profile] = (issued.path.with_suffix(".pdf"), issued.entry.number)
    return out


@pytest.mark.parametrize("profile", PROFILES)
def test_stress_table_cells_never_break_short_fields(stress_pdfs, profile):
    pdf_path, _ = stress_pdfs[profile]
    with pdfplumber.open(pdf_path) as pdf:
        lines = [squash(t) for p in pdf.pages for _, _, t in lines_of(p)]
    table_lines = "\n".join(lines)
    for text in ("发票或合同号", "开票日期", "到期日", "金额（元）", "逾期天数"):
        assert any(text in line for line in lines), f"header {text} broken"
    data = stress_data(profile)
    for item in data["items"]:
        d = date.fromisoformat(item["date"])
        assert any(f"{d.year}年{d.month}月{d.day}日" in line for line in lines), (d, table_lines[:300])
        amount = f"{Decimal(item['amount']):,.2f}"
        assert any(amount in line for line in lines), amount
        assert any(item["ref"] in line for line in lines), item["ref"]
    total = sum(Decimal(item["amount"]) for item in data["items"])
    assert total >= 10 ** 9 and any(f"{total:,.2f}" in line for line in lines), f"{total:,.2f}"
    # long descriptions wrap inside their column rather than widening it
    assert not any("第1批次五金配件、紧固件及包装材料货款（含运费与安装调试服务费）" in line for line in lines)


@pytest.mark.parametrize("profile", PROFILES)
def test_long_letter_has_page_numbers_and_later_page_header(stress_pdfs, profile):
    pdf_path, number = stress_pdfs[profile]
    p = load_profile(profile)
    with pdfplumber.open(pdf_path) as pdf:
        assert len(pdf.pages) >= 2
        total = len(pdf.pages)
        # too long even at the tightest spacing the profile allows: not squeezed onto fewer pages
        tightest = apply_fit(pdf_path.with_suffix(".docx").read_bytes(), fit_ladder(p)[-1])
        assert count_pages(tightest) == total
        last = [squash(t) for _, _, t in lines_of(pdf.pages[-1])]
        closing = last.index("此致")
        body_before = [t for t in last[1:closing] if not re.fullmatch(r".*〔\d{4}〕\d+号", t)]
        assert len(body_before) >= 2, last[:closing + 1]  # the closing never stands alone
        for n, page in enumerate(pdf.pages, start=1):
            lines = lines_of(page)
            top, x0, header = lines[0]
            bottom, fx0, footer = lines[-1]
            if n == 1:
                assert squash(header) == number and top > p.margin_top_mm * MM - 30  # the number line, no header
                continue
            assert squash(header) == number and top < p.margin_top_mm * MM  # header above the type area
            assert bottom > page.height - p.margin_bottom_mm * MM  # footer below it
            chars = [c for c in page.chars if round(c["top"]) == round(bottom) and not c["text"].isspace()]
            if profile == "song":
                assert squash(footer) == f"第{n}页共{total}页"
                middle = (min(c["x0"] for c in chars) + max(c["x1"] for c in chars)) / 2
                assert abs(middle - page.width / 2) < 3
            else:
                assert squash(footer) == f"—{n}—"
                below_type_area = min(c["top"] for c in chars) - (page.height - p.margin_bottom_mm * MM)
                assert abs(below_type_area - 7 * MM) < 2 * MM  # GB/T 9704: 7 mm below the type area
                one_char = p.body_size_pt
                if n % 2 == 0:  # even pages: at the left, one character in
                    assert abs(min(c["x0"] for c in chars) - (p.margin_left_mm * MM + one_char)) < 2
                else:
                    assert abs(max(c["x1"] for c in chars) - (page.width - p.margin_right_mm * MM - one_char)) < 2


@pytest.mark.parametrize("profile", PROFILES)
def test_payee_block_aligns_with_the_body(sample_pdfs, profile):
    pdf_path = sample_pdfs[(profile, "payment_reminder")][0]
    p = load_profile(profile)
    with pdfplumber.open(pdf_path) as pdf:
        lines = [(x0, squash(t)) for page in pdf.pages for _, x0, t in lines_of(page)]
    body_start = next(x0 for x0, t in lines if t.startswith("敬请贵公司"))
    assert abs(body_start - (p.margin_left_mm * MM + 2 * p.body_size_pt)) < 1.5
    for label in ("户　名：", "开户行：", "账　号："):
        x0 = next(x0 for x0, t in lines if t.startswith(squash(label)))
        assert abs(x0 - body_start) < 1.5, (label, x0, body_start)
