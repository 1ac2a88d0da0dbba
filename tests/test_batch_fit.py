"""A batch fits its letters in its worker processes, exactly as one process would.

The pre-check and any LibreOffice measurement run in the workers (each
with its own warm office), a chunk at a time before numbering; the fit each
letter gets is stored with it in the register and is the one
:func:`lettergen.letters.fit_letter` gives in a single process.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from lettergen import jsondata, letters
from lettergen.batch.outputs import generate
from lettergen.housestyle.fit import FIT_KEY
from lettergen.issuing import PLACEHOLDER_NUMBER
from lettergen.letters import template_for
from lettergen.register import Register

from .test_pdf_layout import profile_config
from .test_pdf_letters import need_soffice  # noqa: F401  (autouse: skip or, under CI, fail)

pytestmark = [pytest.mark.libreoffice, pytest.mark.slow]


HEADER = "发函日期,客户编号,客户名称,客户联系人,客户地址,催告级别,发票或合同号,开票日期,金额,到期日,摘要"


def sheet(path: Path) -> Path:
    """Customers with 1 to 4 invoices: on the fangsong page (22 lines) they overflow a little and are fitted."""
    rows = [HEADER]
    for customer in range(1, 5):
        for invoice in range(customer):
            rows.append(f"2026-11-23,C-{customer:04d},宁波海曙恒达五金有限公司{customer}号店,陈立新经理,"
                        f"浙江省宁波市海曙区中山西路 88 号,正式催告,发票 No. 3301{customer}{invoice:03d},"
                        f"2026-08-15,\"48,600.00\",2026-09-14,8 月份五金配件货款")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_fits_are_measured_by_the_workers_and_match_one_process(tmp_path, monkeypatch):
    config = profile_config(tmp_path, "fangsong")
    calls = tmp_path / "fit-calls"
    real = letters.fit_letter

    def recorded(*args, **kwargs):
        with open(calls, "a") as fh:  # forked workers inherit this patch; each notes its pid
            fh.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(letters, "fit_letter", recorded)
    result, _ = generate("payment_reminder", sheet(tmp_path / "overdue.csv"), config, tmp_path / "out", jobs=2)
    issued = [r for r in result.results if r.status == "issued"]
    assert issued
    fitting_pids = set(calls.read_text().split())
    assert fitting_pids and str(os.getpid()) not in fitting_pids  # not in the batch process

    monkeypatch.setattr(letters, "fit_letter", real)
    template = template_for(config, "payment_reminder")
    fitted = 0
    with Register(config.register_url) as register:
        for r in issued:
            context = jsondata.decode(register.get(r.number).data["context"])
            stored = context.pop(FIT_KEY, None)
            real(template, context, config, PLACEHOLDER_NUMBER)
            assert context.get(FIT_KEY) == stored, r.number
            fitted += stored is not None
    assert fitted >= 2  # the measuring really happened, and its result reached the register
