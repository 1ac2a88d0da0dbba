"""Render each bundled sample letter in each house-style profile to PNG pictures.

``make gallery`` runs this: every page of every sample letter goes to
``docs/gallery/PROFILE-KIND-N.png`` (60 dpi), through the same path as a
user's letter (validation, fitting, LibreOffice with the project's fonts),
and ``docs/gallery/README.md`` lists them.  Needs LibreOffice and pdftoppm.
"""
from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
from pathlib import Path

from lettergen import api
from lettergen.config import PROJECT_DIR, Config, load_config
from lettergen.convert import Converter
from lettergen.housestyle import PROFILES

KINDS = ("sales_letter", "payment_reminder", "complaint_response", "after_sales")
OUT = PROJECT_DIR / "docs" / "gallery"


def main() -> int:
    base = load_config(PROJECT_DIR / "lettergen.toml")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, Converter() as converter:
        for profile in PROFILES:
            data = copy.deepcopy(base.data)
            data["style"]["profile"] = profile
            config = Config(data, base.base_dir, base.source)
            for kind in KINDS:
                sample = api.load_data(config.samples_dir / f"{kind}.yaml")
                number = f"禾丰{config.number_code(kind)}函〔2026〕1号"
                docx = Path(tmp) / f"{profile}-{kind}.docx"
                docx.write_bytes(api.render(kind, sample, number=number, config=config))
                pdf = docx.with_suffix(".pdf")
                converter.convert(docx, pdf)
                subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(OUT / f"{profile}-{kind}")],
                               check=True)
                pages = sorted(OUT.glob(f"{profile}-{kind}-*.png"))
                rows.append((profile, kind, pages))
                print(f"{profile:9} {kind:19} {len(pages)} page(s)")
    lines = ["# Gallery: the sample letters as printed", "",
             "Made by `make gallery` (LibreOffice, the project's fonts, 60 dpi).", "",
             "| profile | kind | pages |", "|---|---|---|"]
    for profile, kind, pages in rows:
        images = " ".join(f"![{profile} {kind} p{n}]({p.name})" for n, p in enumerate(pages, 1))
        lines.append(f"| {profile} | {kind} | {images} |")
    (OUT / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
