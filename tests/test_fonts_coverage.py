"""Every character the templates and the samples print has a glyph in the face
it is drawn with: FandolFang for 仿宋, Noto Serif CJK for 宋体 / 小标宋, Noto Sans
CJK for 黑体, Liberation Serif for Latin text and digits (Times New Roman)."""
from __future__ import annotations

import os
import shutil
import zipfile

import pytest

from lettergen.config import PROJECT_DIR
from lettergen.convert.fonts import FANG, LATIN_SERIF, TEMPLATE_FONTS, coverage, fc_match
from lettergen.housestyle import PROFILES, load_profile
from lettergen.money import capital

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module", autouse=True)
def need_fontconfig():
    if shutil.which("fc-match") is None or shutil.which("fc-query") is None:
        if os.environ.get("CI"):
            pytest.fail("fontconfig tools missing, but CI is set")
        pytest.skip("fontconfig (fc-match, fc-query) not installed")


def printed_text() -> str:
    """The text of the template sources, the built templates, the samples and the
    settings, plus what the code adds (dates, amounts in capitals)."""
    parts = []
    for folder, pattern in (("templates/source", "*.yaml"), ("samples", "*"), (".", "lettergen.toml"),
                            ("schemas", "*.yaml")):
        for path in sorted((PROJECT_DIR / folder).glob(pattern)):
            parts.append(path.read_text(encoding="utf-8-sig"))
    for path in sorted((PROJECT_DIR / "templates" / "letters").rglob("*.docx")):
        with zipfile.ZipFile(path) as zf:
            parts += [zf.read(n).decode("utf-8") for n in zf.namelist()
                      if n.startswith(("word/document", "word/header", "word/footer"))]
    parts.append(capital("1234567890.12") + capital("10000.05") + "年月日时分第页共—")
    return "".join(parts)


def _missing(font_name: str, chars: set[str]) -> tuple[str, list[str]]:
    face_file = fc_match(font_name, what="file")
    assert face_file, f"fontconfig finds no face for {font_name}"
    points = coverage(face_file)
    assert points, f"no coverage for {face_file}"
    return face_file, sorted(c for c in chars if ord(c) not in points)


def test_fangsong_is_drawn_with_a_real_fangsong_face():
    for name in ("仿宋", "仿宋_GB2312", "FangSong"):
        assert fc_match(name) == FANG, name
    assert fc_match("Times New Roman") == LATIN_SERIF


def test_fangsong_face_covers_all_of_gb2312_hanzi():
    hanzi = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                hanzi.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    assert len(hanzi) == 6763
    face, missing = _missing("仿宋_GB2312", hanzi)
    assert not missing, (face, missing[:50])


@pytest.mark.parametrize("profile", PROFILES)
def test_every_printed_character_has_a_glyph(profile):
    p = load_profile(profile)
    text = printed_text()
    cjk = {c for c in text if ord(c) > 0x2E7F and not c.isspace()}
    latin = {c for c in text if 0x20 < ord(c) < 0x7F}
    for font in (p.body_font, p.title_font, "黑体"):
        assert font in TEMPLATE_FONTS
        face, missing = _missing(font, cjk)
        assert not missing, (font, face, "".join(missing))
    face, missing = _missing(p.latin_font, latin)
    assert not missing, (p.latin_font, face, missing)
