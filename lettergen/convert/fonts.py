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

#: Debian packages providing each face.
FACE_PACKAGES = {SERIF: "fonts-noto-cjk", SANS: "fonts-noto-cjk", KAI: "fonts-arphic-ukai"}

#: Template font name -> face it should be drawn with.
TEMPLATE_FONTS: dict[str, str] = {
    "宋体": SERIF, "SimSun": SERIF,
    "仿宋": SERIF, "仿宋_GB2312": SERIF, "FangSong": SERIF,
    "方正小标宋简体": SERIF, "华文中宋": SERIF, "STZhongsong": SERIF,
    "黑体": SANS, "SimHei": SANS,
    "楷体": KAI, "楷体_GB2312": KAI, "KaiTi": KAI,
}


def fontconfig_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with our fonts.conf selected."""
    env = dict(os.environ if base is None else base)
    env["FONTCONFIG_FILE"] = str(FONTS_CONF)
    return env


def fc_match(name: str, *, lang: str = "zh-cn") -> str | None:
    """Family fontconfig draws ``name`` with under our config; None without fc-match."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    proc = subprocess.run(
        [exe, "--format=%{family[0]}", f"{name}:lang={lang}"],
        env=fontconfig_env(), capture_output=True, text=True, timeout=30,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def installed_families() -> set[str] | None:
    """All installed font family names, or None without fc-list."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    proc = subprocess.run([exe, "--format=%{family}\n"], capture_output=True, text=True, timeout=60)
    return {fam.strip() for line in proc.stdout.splitlines() for fam in line.split(",")}
