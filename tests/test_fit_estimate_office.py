"""The fitting pre-check is sound: every letter it lets skip measuring is one page in LibreOffice.

Over every sample letter in both profiles, and over generated letters made as
long as the estimate still accepts them: long text, Latin-heavy text, table
rows with long descriptions and 9-digit amounts, table plus text, random mixed
text.  Prints how many sample letters skip measuring.
"""
from __future__ import annotations

import copy
import random

import pytest

from lettergen import api
from lettergen.batch import plan_batch
from lettergen.config import PROJECT_DIR, Config
from lettergen.convert import measure
from lettergen.errors import InvalidInput
from lettergen.housestyle.estimate import page_bound, surely_one_page

from .conftest import KINDS
from .test_fit_estimate import config_for, rendered
from .test_pdf_letters import need_soffice  # noqa: F401  (autouse: skip or, under CI, fail)

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]

def sample_letters(config: Config) -> list[tuple[str, dict]]:
    out = []
    for kind in KINDS:
        out.append((kind, api.load_data(PROJECT_DIR / "samples" / f"{kind}.yaml")))
        out += [(kind, letter.record.data)
                for letter in plan_batch(kind, PROJECT_DIR / "samples" / f"{kind}.csv", config).letters]
    return out


def _random_text(seed: int, n: int) -> str:
    rng = random.Random(seed)
    words = ["合同", "发票", "HF-2026-0331", "No.", "1202 0212", "WWW", "mmm", "（附件）", "“质量”",
             "，", "。", "、", "：", "Invoice", "¥48,600.00", "2026年11月", "——", "……", "；", "设备"]
    return "".join(rng.choice(words) + (" " if rng.random() < 0.2 else "") for _ in range(n))


def growers(config: Config, sample_data):
    """(kind, data for size k): short letters that grow with k in text, Latin text, table rows."""
    shortest = min((data for kind, data in sample_letters(config) if kind == "after_sales"),
                   key=lambda data: page_bound(rendered(config, "after_sales", data))[0])
    after = {k: v for k, v in shortest.items() if k != "details"}
    reminder = {k: v for k, v in sample_data("payment_reminder").items() if k != "attachments"}
    sales = sample_data("sales_letter")
    item = {"ref": "发票 No. 33012345", "date": "2026-08-15", "amount": "123,456,789.00",
            "due_date": "2026-09-14", "description": "8 月份五金配件货款及安装调试服务费用（含税）"}

    def details(text: str):
        return lambda k: dict(after, details=text * k) if k else after
    return {
        "long text": ("after_sales", details("设备运行中出现异常，已安排检修。")),
        "latin text": ("after_sales", details("Model HF-300 unit 2026-11 OK; ")),
        "wide latin": ("after_sales", details("WWW-MMM-0000 ")),
        "random mixed": ("after_sales", lambda k: dict(after, details=_random_text(k, 6 * k)) if k else after),
        "table rows": ("payment_reminder", lambda k: dict(reminder, items=[item] * (k + 1))),
        "table and text": ("sales_letter", lambda k: dict(sales, products=sales["products"][:1] * (k + 1),
                                                        intro="冬季是餐饮旺季。", offer="九折。")),
    }


def longest_accepted(config: Config, kind: str, make) -> int | None:
    """The largest k (0..80) whose letter the estimate accepts, or None."""
    def accepted(k: int) -> bool:
        try:
            return surely_one_page(rendered(config, kind, make(k)))
        except InvalidInput:
            return False
    if not accepted(0):
        return None
    low, high = 0, 80
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if accepted(mid) else (low, mid - 1)
    return low


@pytest.mark.parametrize("profile", ["song", "fangsong"])
def test_every_letter_the_estimate_accepts_is_one_page_in_libreoffice(profile, project_config, sample_data):
    config = config_for(project_config, profile)
    accepted = 0
    for kind, data in sample_letters(config):
        docx = rendered(config, kind, data)
        if surely_one_page(docx):
            accepted += 1
            assert measure.count_pages(docx) == 1, (kind, data)
    print(f"{profile}: {accepted} of {len(sample_letters(config))} sample letters skip measuring")
    grown = 0
    for name, (kind, make) in growers(config, sample_data).items():
        k = longest_accepted(config, kind, make)
        if k is None:
            continue
        grown += k > 0
        docx = rendered(config, kind, make(k))
        assert measure.count_pages(docx) == 1, (profile, name, k)
        assert not surely_one_page(rendered(config, kind, make(k + 1))) or k == 80
    assert grown >= 3  # the generated letters reach the estimate's limit, not just their start


@pytest.mark.parametrize("profile", ["song", "fangsong"])
def test_letters_with_seal_logo_and_signature_too(profile, project_config, sample_data, tmp_path):
    from .test_pictures import seal_png, small_png

    config = config_for(project_config, profile)
    config.data["organisation"] = {**config.data["organisation"], "seal": seal_png(tmp_path / "seal.png"),
                                   "logo": small_png(tmp_path / "logo.png"),
                                   "signature": small_png(tmp_path / "signature.png", (240, 80), (0, 0, 0, 255))}
    checked = 0
    for name in ("long text", "table and text"):
        kind, make = growers(config, sample_data)[name]
        k = longest_accepted(config, kind, make)
        if k is not None:
            checked += 1
            assert measure.count_pages(rendered(config, kind, make(k))) == 1, (profile, name, k)
    assert checked or profile == "fangsong"
