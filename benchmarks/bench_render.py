"""Renderer benchmark: lettergen's compiled-template renderer against a plain docxtpl loop.

Both render the same template (payment_reminder) with the same context; the
baseline does what a mail-merge script does per letter: a new DocxTemplate,
render, save.  Prints ms per letter for both and the ratio, single core.

    .venv/bin/python benchmarks/bench_render.py [N]
"""
from __future__ import annotations

import io
import sys
import time

from docxtpl import DocxTemplate

from lettergen.api import load_data
from lettergen.config import PROJECT_DIR, load_config
from lettergen.letters import prepare, template_path
from lettergen.rendering import load_template, make_environment


def main(n: int = 2000) -> None:
    config = load_config(PROJECT_DIR / "lettergen.toml")
    prepared = prepare("payment_reminder", load_data(PROJECT_DIR / "samples" / "payment_reminder.yaml"), config)
    path = template_path(config, "payment_reminder")
    contexts = [{"corrects": None, **prepared.context, "number": f"禾丰催函〔2026〕{i}号"} for i in range(1, n + 1)]

    env = make_environment()
    baseline_n = max(50, n // 20)
    start = time.perf_counter()
    for ctx in contexts[:baseline_n]:
        tpl = DocxTemplate(str(path))
        tpl.render(ctx, env, autoescape=True)
        tpl.save(io.BytesIO())
    baseline = (time.perf_counter() - start) / baseline_n * 1000

    start = time.perf_counter()
    compiled = load_template(path)
    compile_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    for ctx in contexts:
        compiled.render(ctx)
    ours = (time.perf_counter() - start) / n * 1000

    print(f"template: {path.name}  ({n} letters; baseline {baseline_n} letters)")
    print(f"plain docxtpl loop (new DocxTemplate, render, save): {baseline:8.3f} ms/letter")
    print(f"lettergen compiled renderer:                        {ours:8.3f} ms/letter  (one-off compile {compile_ms:.1f} ms)")
    print(f"speed-up: {baseline / ours:.1f}x per core  (target >= 20x, <= 2 ms/letter)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
