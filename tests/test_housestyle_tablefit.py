"""Table widths from a letter's content (lettergen.housestyle.tablefit)."""
from __future__ import annotations

import io
import re
import zipfile

import pytest

import lettergen
from lettergen.housestyle import PROFILES
from lettergen.housestyle.tablefit import _refit, fit_document, fit_table_columns, words
from lettergen.housestyle.tables import text_width_pt
from lettergen.letters import prepare, render_context, template_for

NUMBER = "禾丰催函〔2026〕12号"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def grid(docx: bytes) -> list[int]:
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    return [int(w) for w in re.findall(r'<w:gridCol w:w="(\d+)"', xml)]


def test_words_are_the_unbreakable_latin_runs():
    assert words("合同 HT-2026-000123") == ["HT-2026-000123"]
    assert words("发票 No. 33012345") == ["No.", "33012345"]
    assert words("2026年10月10日") == ["2026", "10", "10"]
    assert words("第1批次（含运费）") == ["1"]


def _table(widths: list[int], rows: list[list[str]]):
    from lxml import etree

    cells = "".join(
        "<w:tr>" + "".join(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{w}"/></w:tcPr>'
                           f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>" for w, text in zip(widths, row))
        + "</w:tr>" for row in rows)
    cols = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return etree.fromstring(f'<w:tbl xmlns:w="{W}"><w:tblGrid>{cols}</w:tblGrid>{cells}</w:tbl>')


def _widths(tbl) -> tuple[list[int], list[list[int]]]:
    ns = {"w": W}
    return ([int(c.get(f"{{{W}}}w")) for c in tbl.findall("w:tblGrid/w:gridCol", ns)],
            [[int(c.get(f"{{{W}}}w")) for c in tr.findall("w:tc/w:tcPr/w:tcW", ns)] for tr in tbl.findall("w:tr", ns)])


def test_a_long_number_takes_room_the_short_columns_do_not_use():
    tbl = _table([1500, 2000, 2000], [["HT-2026-000123", "2026年8月1日", "1.00"]])
    assert _refit(tbl, 10.5)
    cols, rows = _widths(tbl)
    assert sum(cols) == 5500 and rows == [cols]
    need = round(text_width_pt("HT-2026-000123", 10.5) * 20)
    assert cols[0] - 2 * 108 >= need  # the number fits between the cell margins
    for text, width in (("2026年8月1日", cols[1]), ("1.00", cols[2])):  # short values still on one line
        assert width - 2 * 108 >= text_width_pt(text, 10.5) * 20


def test_nothing_moves_when_everything_fits_or_nothing_can_give():
    fits = _table([2000, 2000], [["HT-1", "2026年8月1日"]])
    assert not _refit(fits, 10.5)
    full = _table([1500, 1700], [["HT-2026-000123", "2026年10月10日"]])  # the date needs all of its column
    assert not _refit(full, 10.5) and _widths(full)[0] == [1500, 1700]


@pytest.mark.parametrize("profile", PROFILES)
def test_rendered_reminder_gives_a_long_reference_its_room(project_config, sample_data, profile):
    project_config.data["style"]["profile"] = profile
    data = sample_data("payment_reminder")
    data["items"][1]["ref"] = "合同 HT-2026-000123"
    prepared = prepare("payment_reminder", data, project_config)
    template = template_for(project_config, "payment_reminder")
    raw = template.render({"corrects": None, **prepared.context, "number": NUMBER})
    letter = render_context(template, prepared.context, NUMBER)
    before, after = grid(raw), grid(letter)
    assert sum(before) == sum(after) and after[0] > before[0]
    assert after[0] - 216 >= text_width_pt("HT-2026-000123", 10.5) * 20  # the number never breaks
    if profile == "fangsong":  # the wider type area has room for the whole line
        assert after[0] - 216 >= text_width_pt("合同 HT-2026-000123", 10.5) * 20
    assert fit_table_columns(letter) == letter  # settled: a second pass changes nothing
    refitted = fit_table_columns(raw)
    # the renderer's document hook (refit before zipping) gives what refitting the package gives
    assert template.render({"corrects": None, **prepared.context, "number": NUMBER},
                           document_hook=fit_document) == refitted
    with zipfile.ZipFile(io.BytesIO(raw)) as old, zipfile.ZipFile(io.BytesIO(refitted)) as new:
        assert new.testzip() is None and old.namelist() == new.namelist()
        assert [old.read(n) for n in old.namelist() if n != "word/document.xml"] == [
            new.read(n) for n in new.namelist() if n != "word/document.xml"]  # the other parts copied as they were


def test_letters_without_tables_keep_their_bytes(project_config, sample_data):
    docx = lettergen.render("sales_letter", sample_data("sales_letter"), number=NUMBER, config=project_config)
    assert fit_table_columns(docx) == docx


# --- the one-pass reading of plain tables gives exactly the cells of the exact reading ----------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lettergen.housestyle.tablefit import _cells, _plain_cells  # noqa: E402

_TEXT = st.text(alphabet="合同发票 No.-12AB年月日\u3000 ", max_size=14)
_RUN = st.one_of(_TEXT.map(lambda t: f'<w:t xml:space="preserve">{t}</w:t>'), st.sampled_from(["<w:br/>", "<w:tab/>", "<w:t/>"]))
_PARA = st.tuples(st.sampled_from(["", "LGTableHeader", "LGTableText"]), st.lists(_RUN, max_size=4)).map(
    lambda p: "<w:p>" + (f'<w:pPr><w:pStyle w:val="{p[0]}"/><w:jc w:val="left"/></w:pPr>' if p[0] else "")
    + (f"<w:r>{''.join(p[1])}</w:r>" if p[1] else "") + "</w:p>")
_CELL = st.tuples(st.integers(1, 3), st.booleans(), st.lists(_PARA, min_size=1, max_size=3)).map(
    lambda c: "<w:tc><w:tcPr>" + (f'<w:tcW w:type="dxa" w:w="{1000 * c[0]}"/>' if c[1] else "")
    + (f'<w:gridSpan w:val="{c[0]}"/>' if c[0] > 1 else "") + "</w:tcPr>" + "".join(c[2]) + "</w:tc>")
_ROW = st.lists(_CELL, min_size=1, max_size=4).map(lambda cells: "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cells) + "</w:tr>")


@settings(max_examples=200, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=4))
def test_plain_tables_read_in_one_pass_give_the_same_cells(rows):
    from lxml import etree

    xml = (f'<w:tbl xmlns:w="{W}"><w:tblPr/><w:tblGrid>' + '<w:gridCol w:w="1000"/>' * 6 + "</w:tblGrid>"
           + "".join(rows) + "</w:tbl>")
    tbl = etree.fromstring(xml)
    assert _plain_cells(tbl) == _cells(tbl)


def test_tables_that_are_not_plain_are_read_cell_by_cell(project_config, sample_data, monkeypatch):
    """A content control around a row: the one-pass reading would see cells Word does not
    place in the grid, so such a document is read by the exact walk (and its bytes still fit)."""
    import lettergen.housestyle.tablefit as tablefit

    seen = []
    monkeypatch.setattr(tablefit, "_plain_cells", lambda tbl: seen.append(tbl) or _cells(tbl))
    docx = render_context(template_for(project_config, "payment_reminder"),
                          prepare(lettergen.schemas.load_kind(project_config.schemas_dir, "payment_reminder"),
                                  sample_data("payment_reminder"), project_config).context, NUMBER)
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")
    styles = zipfile.ZipFile(io.BytesIO(docx)).read("word/styles.xml")
    fit_document(xml, lambda name: styles)
    assert seen  # a plain letter takes the one-pass reading
    seen.clear()
    wrapped = xml.replace(b"<w:tr>", b"<w:sdt><w:sdtContent><w:tr>", 1).replace(b"</w:tr>", b"</w:tr></w:sdtContent></w:sdt>", 1)
    fit_document(wrapped, lambda name: styles)
    assert not seen


def test_a_damaged_document_is_left_to_the_integrity_check(project_config):
    """Not well-formed XML (a template's tag split a table): no lxml error from the fitting;
    the renderer's integrity check refuses the letter with its clear message."""
    styles = template_for(project_config, "payment_reminder").blobs["word/styles.xml"]
    assert fit_document(b'<w:document xmlns:w="' + W.encode() + b'"><w:tbl><w:tr></w:tbl>', lambda name: styles) is None
