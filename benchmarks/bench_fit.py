"""What fitting costs: rendering the sample letters with and without measuring.

Renders every bundled sample letter (the single samples and the batch rows) of
one profile three times through the library: with ``[layout] fit = "off"`` (the
baseline: validation, computation, rendering); with ``"auto"`` but the
pre-check switched off (LibreOffice measures every letter, as before the
pre-check); and with ``"auto"`` (the pre-check of
:mod:`lettergen.housestyle.estimate` first, LibreOffice only for the letters
that may overflow).  LibreOffice is started before the clock runs.  Prints ms
per letter, the ratios, how many letters were measured and how many fitted.

    .venv/bin/python benchmarks/bench_fit.py [--profile fangsong]
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lettergen import api  # noqa: E402
from lettergen.batch import plan_batch  # noqa: E402
from lettergen.config import PROJECT_DIR, Config, load_config  # noqa: E402
from lettergen.convert.measure import can_measure, count_pages  # noqa: E402
from lettergen.housestyle.fit import FIT_KEY  # noqa: E402
from lettergen import letters as letters_module  # noqa: E402
from lettergen.letters import fit_letter, prepare, render_context, template_for  # noqa: E402

KINDS = ("sales_letter", "payment_reminder", "complaint_response", "after_sales")
NUMBER = "禾丰函〔2026〕1号"


def letters(config: Config) -> list[tuple[str, dict]]:
    out = []
    for kind in KINDS:
        out.append((kind, api.load_data(PROJECT_DIR / "samples" / f"{kind}.yaml")))
        out += [(kind, letter.record.data) for letter in plan_batch(kind, PROJECT_DIR / "samples" / f"{kind}.csv",
                                                                   config).letters]
    return out


def run(config: Config, inputs: list[tuple[str, dict]], precheck: bool = True) -> tuple[float, int, int, list]:
    """Seconds, letters fitted, letters measured, and each letter's bytes."""
    fitted, measured, out = 0, [0], []
    real = letters_module.surely_one_page

    def counting(docx: bytes) -> bool:
        sure = precheck and real(docx)
        measured[0] += not sure
        return sure
    letters_module.surely_one_page = counting
    try:
        started = time.perf_counter()
        for kind, data in inputs:
            prepared = prepare(kind, data, config)
            template = template_for(config, kind)
            fit_letter(template, prepared.context, config, NUMBER)
            out.append(render_context(template, prepared.context, NUMBER))
            fitted += FIT_KEY in prepared.context
        return time.perf_counter() - started, fitted, measured[0], out
    finally:
        letters_module.surely_one_page = real


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="song")
    args = parser.parse_args()
    if not can_measure():
        print("LibreOffice is not installed: nothing to measure")
        return 1
    base = load_config(PROJECT_DIR / "lettergen.toml")
    data = copy.deepcopy(base.data)
    data["style"]["profile"] = args.profile
    config = Config(data, base.base_dir, base.source)
    inputs = letters(config)
    warm_up = prepare(inputs[0][0], inputs[0][1], config).context
    count_pages(render_context(template_for(config, inputs[0][0]), warm_up, NUMBER))  # LibreOffice started
    timings = {}
    for mode, fit, precheck in (("off", "off", True), ("every", "auto", False), ("auto", "auto", True)):
        data["layout"] = {"fit": fit}
        timings[mode] = run(Config(data, base.base_dir, base.source), inputs, precheck)
    n = len(inputs)
    off, every, auto = (timings[m][0] for m in ("off", "every", "auto"))
    print(f"profile {args.profile}, {n} sample letters")
    print(f"without fitting (baseline):        {off / n * 1000:8.1f} ms/letter")
    print(f"fitting, every letter measured:    {every / n * 1000:8.1f} ms/letter  "
          f"({timings['every'][2]} measured, {timings['every'][1]} fitted)")
    print(f"fitting, with the pre-check:       {auto / n * 1000:8.1f} ms/letter  "
          f"({timings['auto'][2]} measured, {timings['auto'][1]} fitted)")
    print(f"fitting costs {every / off:.0f}x the baseline measuring every letter, {auto / off:.0f}x with the "
          f"pre-check ({(auto - off) / n * 1000:.0f} ms a letter); the pre-check makes it x{every / auto:.1f} faster")
    same = timings["every"][3] == timings["auto"][3]
    print(f"letters byte-identical with and without the pre-check: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
