"""Differential templates benchmark: lettergen.Template against stock docxtpl, per template.

Renders every template of the differential suite (tests/docx_features.py)
with docxtpl (a new DocxTemplate, render with autoescape, save: what a
mail-merge loop does) and with ``lettergen.Template`` (compiled once, the
integrity check included), with the same context, and prints ms per letter,
the ratio per template and the median ratio, and what the integrity check
costs per letter (timed around the check itself, inside the lettergen loop).  The context is made per letter
in both loops (InlineImage and sub-documents belong to one render).

    .venv/bin/python benchmarks/bench_template_diff.py [N]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import lettergen
from lettergen.rendering import compiled, template

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.docx_features import FEATURES, assets, render_docxtpl  # noqa: E402


def lettergen_letter(tpl: lettergen.Template, feature, pictures) -> None:
    if feature.prepare:
        feature.prepare(tpl, pictures)
    tpl.render(feature.context(tpl, pictures))


def per_letter(fn, n: int) -> float:
    fn()  # warm up (compiles lettergen's template once)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1000


def main(n: int = 100) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pictures = assets(folder / "assets")
        ratios = []
        checks = []
        print(f"{'template':<12} {'docxtpl ms':>11} {'lettergen ms':>13} {'ratio':>7} {'check ms':>9}   ({n} letters each)")
        for feature in FEATURES:
            path = folder / f"{feature.name}.docx"
            feature.build(path, pictures)
            theirs = per_letter(lambda: render_docxtpl(path, feature, pictures), max(10, n // 5))
            tpl = lettergen.Template(path, filters=feature.filters)
            with TimedCheck() as check:
                ours = per_letter(lambda: lettergen_letter(tpl, feature, pictures), n)
            ratios.append(theirs / ours)
            checks.append(check.seconds / check.calls * 1000)
            print(f"{feature.name:<12} {theirs:11.3f} {ours:13.3f} {theirs / ours:6.1f}x {checks[-1]:9.3f}")
        print(f"median ratio: {statistics.median(ratios):.1f}x  (target >= 30x; sub-documents render through docxtpl)")
        print(f"integrity check: median {statistics.median(checks):.3f} ms per letter (included in lettergen ms)")


class TimedCheck:
    """Times every call of the renderer's integrity check while active."""

    def __enter__(self) -> "TimedCheck":
        self.real, self.seconds, self.calls = compiled.check_letter_parts, 0.0, 0

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return self.real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1
        compiled.check_letter_parts = template.check_letter_parts = timed
        return self

    def __exit__(self, *exc) -> None:
        compiled.check_letter_parts = template.check_letter_parts = self.real


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
