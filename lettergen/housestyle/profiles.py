"""House-style profiles: the page and type settings every letter template follows.

A profile is plain data read by both the template builder
(:mod:`lettergen.housestyle.builder`) and the layout checker
(:mod:`lettergen.housestyle.check`), so the two cannot drift apart.

``song`` (default) follows the domain brief: A4, Word's default margins,
宋体 小四 body on fixed 23 pt lines, 黑体 小二 title.  ``fangsong`` follows GB/T 9704-2012 as far as a
business letter needs: its margins, 仿宋 四号 body on fixed 28 pt lines and a
方正小标宋简体 二号 title.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

TWIPS_PER_MM = 1440 / 25.4

#: East Asian font names (and their usual aliases) per body font family.
#: The checker accepts any alias; the builder writes the first one.
FONT_FAMILIES: dict[str, tuple[str, ...]] = {
    "song": ("宋体", "SimSun", "新宋体", "NSimSun", "华文宋体", "STSong", "Songti SC",
             "方正书宋_GBK", "方正书宋简体", "Noto Serif CJK SC", "Source Han Serif SC",
             "思源宋体"),
    "fangsong": ("仿宋", "FangSong", "仿宋_GB2312", "FangSong_GB2312", "华文仿宋",
                 "STFangsong", "方正仿宋_GBK", "方正仿宋简体"),
}

#: Body sizes (pt) the brief allows: 小四 and 四号.
BODY_SIZES_PT: tuple[float, ...] = (12.0, 14.0)


@dataclass(frozen=True)
class Profile:
    """One house style.  Lengths in millimetres, font sizes in points."""

    name: str
    description: str
    margin_top_mm: float
    margin_bottom_mm: float
    margin_left_mm: float
    margin_right_mm: float
    body_family: str            # key of FONT_FAMILIES
    body_size_pt: float
    title_font: str
    title_size_pt: float
    title_bold: bool = False
    latin_font: str = "Times New Roman"
    #: Fixed line pitch in pt (``w:lineRule="exact"``); ``None`` = proportional.
    line_exact_pt: float | None = None
    #: Proportional line spacing, used when ``line_exact_pt`` is ``None``.
    line_multiple: float = 1.5
    #: The tightest line spacing the fitting step may use (pt for exact lines,
    #: a multiple for proportional ones), reached in ``fit_steps`` steps; the
    #: paragraph spacing shrinks with it down to half.
    fit_line_min: float = 1.2
    fit_steps: int = 3
    #: Table text size (五号) and the page-number footer: "song" (第2页 共3页,
    #: centred) or "gbt9704" (— 2 —, on the outside edge).
    table_size_pt: float = 10.5
    page_number_style: str = "song"
    #: Distance of the footer's bottom from the page's bottom edge.
    footer_mm: float = 17.5
    page_width_mm: float = 210.0
    page_height_mm: float = 297.0

    @property
    def body_font(self) -> str:
        return FONT_FAMILIES[self.body_family][0]

    @property
    def body_font_aliases(self) -> tuple[str, ...]:
        return FONT_FAMILIES[self.body_family]

    @property
    def first_line_twips(self) -> int:
        """Two characters of body text, in twips (what LibreOffice reads)."""
        return round(2 * self.body_size_pt * 20)

    @property
    def text_width_twips(self) -> int:
        return mm_to_twips(self.page_width_mm - self.margin_left_mm - self.margin_right_mm)

    def margins_twips(self) -> dict[str, int]:
        return {
            side: mm_to_twips(getattr(self, f"margin_{side}_mm"))
            for side in ("top", "bottom", "left", "right")
        }


def mm_to_twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


_PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="song",
            description="默认：A4，Word 默认页边距，宋体小四正文，黑体小二标题",
            margin_top_mm=25.4,
            margin_bottom_mm=25.4,
            # Word shows 3.17 cm but stores 1800 twips (31.75 mm).
            margin_left_mm=31.75,
            margin_right_mm=31.75,
            body_family="song",
            body_size_pt=12.0,
            title_font="黑体",
            title_size_pt=18.0,
            # Word's "1.5 lines" of 小四 宋体, as a fixed pitch: the same in Word
            # and LibreOffice whatever the substitute face's own line height.
            line_exact_pt=23.0,
            fit_line_min=20.0,
        ),
        Profile(
            name="fangsong",
            description="参照 GB/T 9704-2012：仿宋四号正文，方正小标宋简体二号标题，固定行距 28 磅",
            margin_top_mm=37.0,
            margin_bottom_mm=35.0,
            margin_left_mm=28.0,
            margin_right_mm=26.0,
            body_family="fangsong",
            body_size_pt=14.0,
            title_font="方正小标宋简体",
            title_size_pt=22.0,
            line_exact_pt=28.0,
            # 四号 on 23 pt at the tightest: the song profile's floor (小四 on 20 pt) in proportion
            fit_line_min=23.0,
            fit_steps=5,
            page_number_style="gbt9704",
            # GB/T 9704 §7.5: page numbers 7 mm below the type area (35 mm - 7 mm - 四号 digits)
            footer_mm=23.0,
        ),
    )
}

#: Profile names; the first is the default.
PROFILES: tuple[str, ...] = tuple(_PROFILES)
DEFAULT_PROFILE = "song"


def load_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name`` (default ``song``)."""
    key = name or DEFAULT_PROFILE
    try:
        return _PROFILES[key]
    except KeyError:
        raise ConfigError(
            f"未知的版式方案「{key}」；可用方案：{'、'.join(PROFILES)}"
        ) from None
