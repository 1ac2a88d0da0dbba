"""What the verification QR code costs: issuing with and without ``[service] public_url``.

Issues the four bundled sample letters round-robin through the library
(``api.issue_letter``: validate, trial render, number, render, write, register;
SQLite register, ``[layout] fit = "off"`` so LibreOffice is not involved),
first without ``public_url`` (the baseline), then with it (the same plus the
room check on the trial render, the QR code made by segno and placed with its
caption).  Also times the final render step alone.  Prints ms per letter and
the ratios; figures are noisy on a shared machine.

    .venv/bin/python benchmarks/bench_qr.py [--letters 200]
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lettergen import api  # noqa: E402
from lettergen.config import PROJECT_DIR, Config, load_config  # noqa: E402
from lettergen.letters import prepare, render_context, template_for  # noqa: E402

KINDS = ("sales_letter", "payment_reminder", "complaint_response", "after_sales")


def settings(folder: Path, public_url: str) -> Config:
    base = load_config(PROJECT_DIR / "lettergen.toml")
    data = copy.deepcopy(base.data)
    data["register"]["url"] = f"sqlite:///{folder / 'register.sqlite'}"
    data["output"]["dir"] = str(folder / "out")
    data["layout"] = {**data.get("layout", {}), "fit": "off"}
    data.setdefault("service", {})["public_url"] = public_url
    return Config(data, base.base_dir, base.source)


def issue_ms(config: Config, samples: dict, letters: int) -> float:
    api.issue_letter(KINDS[0], samples[KINDS[0]], config=config)  # warm: templates, register
    start = time.perf_counter()
    for i in range(letters):
        kind = KINDS[i % len(KINDS)]
        api.issue_letter(kind, samples[kind], config=config)
    return (time.perf_counter() - start) / letters * 1000


def render_ms(config: Config, samples: dict, letters: int, code: str | None) -> float:
    prepared = {k: (template_for(config, k), prepare(k, samples[k], config).context) for k in KINDS}
    start = time.perf_counter()
    for i in range(letters):
        template, context = prepared[KINDS[i % len(KINDS)]]
        render_context(template, context, f"禾丰函〔2026〕{i + 1}号", None, code)
    return (time.perf_counter() - start) / letters * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=200)
    args = parser.parse_args()
    samples = {k: api.load_data(PROJECT_DIR / "samples" / f"{k}.yaml") for k in KINDS}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, url in (("without public_url", ""), ("with public_url", "https://letters.example.cn")):
            folder = Path(tmp) / label.replace(" ", "_")
            folder.mkdir()
            config = settings(folder, url)
            code = "TK7R7G2H54" if url else None
            rows.append((label, render_ms(config, samples, args.letters, code), issue_ms(config, samples, args.letters)))
    (_, render0, issue0), (_, render1, issue1) = rows
    print(f"{args.letters} letters each, the four sample kinds round-robin, SQLite, fit off")
    for label, render, issue in rows:
        print(f"  {label:20s} render {render:6.2f} ms/letter   issue {issue:6.2f} ms/letter")
    print(f"  QR code: render x{render1 / render0:.2f} (+{render1 - render0:.1f} ms), "
          f"issue x{issue1 / issue0:.2f} (+{issue1 - issue0:.1f} ms)")


if __name__ == "__main__":
    main()
