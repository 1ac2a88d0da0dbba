"""What fitting costs: rendering the sample letters with and without measuring.

Renders every bundled sample letter (the single samples and the batch rows) of
one profile twice through the library: with ``[layout] fit = "off"`` (the
baseline: validation, computation, rendering) and with ``"auto"`` (the same,
plus LibreOffice measuring each letter and, where it overflows, the tighter
spacings).  LibreOffice is started before the clock runs.  Prints ms per letter,
the ratio, and how many letters were fitted.

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


def run(config: Config, inputs: list[tuple[str, dict]]) -> tuple[float, int]:
    fitted = 0
    started = time.perf_counter()
    for kind, data in inputs:
        prepared = prepare(kind, data, config)
        template = template_for(config, kind)
        fit_letter(template, prepared.context, config, NUMBER)
        render_context(template, prepared.context, NUMBER)
        fitted += FIT_KEY in prepared.context
    return time.perf_counter() - started, fitted


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
    for mode in ("off", "auto"):
        data["layout"] = {"fit": mode}
        timings[mode] = run(Config(data, base.base_dir, base.source), inputs)
    n = len(inputs)
    off, auto = timings["off"][0], timings["auto"][0]
    print(f"profile {args.profile}, {n} sample letters")
    print(f"without fitting (baseline): {off / n * 1000:8.1f} ms/letter")
    print(f"with fitting:               {auto / n * 1000:8.1f} ms/letter  ({timings['auto'][1]} of {n} fitted)")
    print(f"fitting costs {auto / off:.0f}x the baseline, {(auto - off) / n * 1000:.0f} ms a letter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
