"""``lettergen doctor``: can this machine make correct PDF letters?

Checks LibreOffice (and its version), a Python with ``uno`` for the bridge,
the three free CJK faces, and which face each template font name will be
drawn with under the project's fonts.conf, then says what to install.
"""
from __future__ import annotations

import subprocess
import unicodedata
from dataclasses import dataclass, field

from .converter import INSTALL_HINT, find_soffice, find_uno_python
from .fonts import FACE_PACKAGES, FONTS_CONF, TEMPLATE_FONTS, fc_match, installed_families


@dataclass(frozen=True)
class FontCheck:
    """One template font name: the face we want and the one fontconfig picks."""

    name: str
    expected: str
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


@dataclass
class DoctorReport:
    """Result of :func:`doctor`; ``ok`` is False when anything needs fixing."""

    soffice: str | None
    version: str | None
    uno_python: str | None
    faces: dict[str, bool]
    fonts: list[FontCheck]
    problems: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        """The report as text for the terminal."""
        yes = lambda flag: "ok" if flag else "MISSING"  # noqa: E731
        lines = [
            f"LibreOffice:  {self.version or '-'} ({self.soffice or 'not found'})",
            f"UNO Python:   {self.uno_python or 'not found'}",
            f"Font config:  {FONTS_CONF}",
            "Faces:",
            *(f"  {face:<20} {yes(present)}" for face, present in self.faces.items()),
            "Template fonts (name -> face used in PDFs):",
            *(f"  {_pad(c.name, 16)} -> {c.actual or '?'}" + ("" if c.ok else f"   (expected {c.expected})")
              for c in self.fonts),
        ]
        if self.problems:
            lines += ["Problems:", *(f"  - {p}" for p in self.problems)]
            lines += ["To fix:", *(f"  {h}" for h in self.hints)]
        else:
            lines.append("All good: PDF output is ready.")
        return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-justify for the terminal, counting CJK characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def soffice_version(soffice: str) -> str | None:
    """'LibreOffice 7.4.7.2 …' from ``soffice --version`` (creates no profile)."""
    try:
        proc = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = proc.stdout.strip().splitlines()
    return lines[0] if proc.returncode == 0 and lines else None


def doctor() -> DoctorReport:
    """Check LibreOffice, the UNO bridge's Python and the CJK fonts."""
    problems: list[str] = []
    packages: list[str] = []
    soffice = find_soffice()
    version = soffice_version(soffice) if soffice else None
    if soffice is None or version is None:
        problems.append("LibreOffice (soffice) not found or not working")
        packages.append("libreoffice-writer-nogui")
    uno_python = find_uno_python(soffice)
    if uno_python is None:
        problems.append("no Python that can 'import uno' (needed to drive LibreOffice)")
        packages.append("python3-uno")

    families = installed_families() or set()
    faces = {face: face in families for face in FACE_PACKAGES}
    for face, present in faces.items():
        if not present:
            problems.append(f"font '{face}' is not installed")
            packages.append(FACE_PACKAGES[face])

    checks = [FontCheck(name, face, fc_match(name)) for name, face in TEMPLATE_FONTS.items()]
    wrong = [c for c in checks if not c.ok]
    if wrong and all(faces.values()):
        problems.append("font substitution does not give the expected faces: "
                        + ", ".join(f"{c.name} -> {c.actual}" for c in wrong))
    hints = []
    if packages:
        hints.append("apt-get install " + " ".join(dict.fromkeys(packages)))
    if wrong and all(faces.values()):
        hints.append(f"check that fontconfig (fc-match) is installed and {FONTS_CONF} is intact")
    if problems and not hints:
        hints.append(INSTALL_HINT)
    return DoctorReport(soffice, version, uno_python, faces, checks, problems, hints)
