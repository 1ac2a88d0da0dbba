"""Chinese template fonts and the faces they are drawn with on Linux.

Templates name Windows fonts (宋体, 仿宋_GB2312, 黑体, 楷体, 方正小标宋简体…)
that Linux lacks.  ``lettergen/fonts/fonts.conf`` maps them to free faces; it
is handed only to the converter's LibreOffice via ``FONTCONFIG_FILE``.
:data:`TEMPLATE_FONTS` states the intended face per name (kept in step with
that file); :func:`fc_match` asks fontconfig what it will really pick.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FONTS_CONF = Path(__file__).resolve().parent.parent / "fonts" / "fonts.conf"

SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
KAI = "AR PL UKai CN"
FANG = "FandolFang"
LATIN_SERIF = "Liberation Serif"

#: Debian packages providing each face.  FandolFang (a FangSong face covering
#: all of GB 2312) comes with TeX Live's Chinese fonts; Liberation Serif has the
#: metrics of Times New Roman, so Latin text and digits break as in Word.
FACE_PACKAGES = {SERIF: "fonts-noto-cjk", SANS: "fonts-noto-cjk", KAI: "fonts-arphic-ukai",
                 FANG: "texlive-lang-chinese", LATIN_SERIF: "fonts-liberation2"}

#: Template font name -> face it should be drawn with.
TEMPLATE_FONTS: dict[str, str] = {
    "宋体": SERIF, "SimSun": SERIF,
    "仿宋": FANG, "仿宋_GB2312": FANG, "FangSong": FANG,
    "方正小标宋简体": SERIF, "华文中宋": SERIF, "STZhongsong": SERIF,
    "黑体": SANS, "SimHei": SANS,
    "楷体": KAI, "楷体_GB2312": KAI, "KaiTi": KAI,
    "Times New Roman": LATIN_SERIF,
}


def fontconfig_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with our fonts.conf selected."""
    env = dict(os.environ if base is None else base)
    env["FONTCONFIG_FILE"] = str(FONTS_CONF)
    return env


def fc_match(name: str, *, lang: str = "zh-cn", what: str = "family[0]") -> str | None:
    """Family (or, with ``what="file"``, the font file) fontconfig draws ``name``
    with under our config; None without fc-match."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    proc = subprocess.run(
        [exe, f"--format=%{{{what}}}", f"{name}:lang={lang}"],
        env=fontconfig_env(), capture_output=True, text=True, timeout=30,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def installed_families() -> set[str] | None:
    """Font family names the converter can use (our config: the system's fonts
    plus the Fandol folder), or None without fc-list."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    proc = subprocess.run([exe, "--format=%{family}\n"], env=fontconfig_env(),
                          capture_output=True, text=True, timeout=60)
    return {fam.strip() for line in proc.stdout.splitlines() for fam in line.split(",")}


def coverage(font_file: str | Path) -> set[int] | None:
    """Code points the font file has glyphs for (from ``fc-query``), or None without it."""
    exe = shutil.which("fc-query")
    if exe is None:
        return None
    proc = subprocess.run([exe, "--format=%{charset}", str(font_file)], capture_output=True,
                          text=True, timeout=60)
    points: set[int] = set()
    for part in proc.stdout.split():
        low, _, high = part.partition("-")
        points.update(range(int(low, 16), int(high or low, 16) + 1))
    return points
