"""Several warm LibreOffice instances, and converters that are missing or never start.

* :class:`ConverterPool` converts with N offices at once (each its own
  process group and profile) and returns results in the order given.
* A LibreOffice that hangs at start-up costs two start timeouts per batch,
  after which every remaining letter is reported unconverted at once.
* ``batch --pdf`` without LibreOffice is refused before any number is taken.
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from lettergen.convert import Converter, ConverterPool
from tests.test_batch import invoice_row, write_csv
from tests.test_batch import _no_register_override, ws  # noqa: F401 - shared fixtures
from tests.test_convert import PROJECT, TITLE, make_letter, soffice  # noqa: F401 - shared fixture


def hanging_soffice(folder: Path) -> tuple[Path, Path]:
    """A fake ``soffice`` that logs each start and then never answers (a hung start-up)."""
    log = folder / "starts.log"
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\necho start >> '{log}'\nexec sleep 300\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def starts_logged(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.is_file() else 0


@pytest.mark.libreoffice
def test_pool_converts_on_two_offices_and_keeps_the_given_order(soffice, tmp_path):
    docs = [make_letter(tmp_path / f"{n}.docx", marker=f"（第{n}号）") for n in range(6)]
    pairs = [(d, tmp_path / "pdf" / f"{d.stem}.pdf") for d in docs]
    seen_pids: set[int] = set()
    with ConverterPool(2, timeout=60) as pool:
        results = pool.convert_many(pairs)
        for converter in pool._converters:
            seen_pids.update(converter.pids())
        assert pool.starts == 2 and len(pool._converters) == 2
    assert [r.ok for r in results] == [True] * 6, [r.error for r in results]
    assert [r.source for r in results] == docs
    for n, result in enumerate(results):
        text = PdfReader(result.target).pages[0].extract_text()
        assert text.startswith(TITLE) and f"第{n}号" in "".join(text.split())
    assert len(seen_pids) >= 2  # two separate office process groups


def test_converter_stops_starting_a_hung_office_after_two_failed_starts(tmp_path):
    fake, log = hanging_soffice(tmp_path)
    docs = [make_letter(tmp_path / f"{n}.docx") for n in range(5)]
    started = time.monotonic()
    with Converter(soffice=str(fake), start_timeout=1) as converter:
        results = converter.convert_many([(d, d.with_suffix(".pdf")) for d in docs])
    elapsed = time.monotonic() - started
    assert [r.ok for r in results] == [False] * 5
    assert starts_logged(log) == 2, "a hung LibreOffice was started again for later letters"
    assert all(r.source.name in r.error for r in results)  # every unconverted letter is named
    assert all("本批其余文档不再尝试" in r.error for r in results[2:])
    assert elapsed < 2 * (1 + 5) + 10  # two start timeouts (plus the bridge's grace), not five
    assert not list(tmp_path.glob("*.pdf"))


def test_pool_shares_the_two_failed_starts_over_all_instances(tmp_path):
    fake, log = hanging_soffice(tmp_path)
    docs = [make_letter(tmp_path / f"{n}.docx") for n in range(6)]
    with ConverterPool(2, soffice=str(fake), start_timeout=1) as pool:
        results = pool.convert_many([(d, d.with_suffix(".pdf")) for d in docs])
    assert [r.ok for r in results] == [False] * 6
    assert starts_logged(log) == 2
    assert [r.source for r in results] == docs


def test_batch_pdf_without_libreoffice_is_refused_before_any_number(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERGEN_SOFFICE", str(tmp_path / "no-soffice"))
    source = write_csv(tmp_path / "three.csv", [invoice_row(i) for i in (1, 2, 3)])
    for options in (["--pdf"], ["--pdf", "--combine-pdf", str(tmp_path / "all.pdf")],
                    ["--combine-pdf", str(tmp_path / "all.pdf")]):
        run = ws.batch("payment_reminder", source, "-j", "1", *options)
        assert run.code == 6, (options, run.out, run.err)
        assert "未找到 LibreOffice" in run.err and "未占用文号" in run.err
        assert "apt-get install libreoffice-writer-nogui" in run.err and "lettergen doctor" in run.err
        assert ws.letters() == []
        assert not (ws.folder / "register.sqlite").exists() or ws.entries() == []
    assert not (tmp_path / "all.pdf").exists()


def test_render_pdf_without_libreoffice_is_refused_before_any_number(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("LETTERGEN_SOFFICE", str(tmp_path / "no-soffice"))
    run = ws.lettergen("render", "payment_reminder", PROJECT / "samples" / "payment_reminder.yaml",
                       "-o", tmp_path / "letter.docx", "--pdf")
    assert run.code == 6, (run.out, run.err)
    assert "未找到 LibreOffice" in run.err and "未占用文号" in run.err
    assert not (tmp_path / "letter.docx").exists()
    assert not (ws.folder / "register.sqlite").exists() or ws.entries() == []
