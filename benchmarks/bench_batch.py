"""Batch benchmark: ``lettergen batch payment_reminder`` end to end on a generated sheet.

Not a timed test: one run prints the figures.  For each run a fresh temporary
folder gets settings (register = SQLite file in that folder), a CSV of
``rows`` distinct customers in the shape of ``samples/payment_reminder.csv``
(one invoice row per customer, so rows = letters) and an output folder; the
command runs in a fresh process (``python -m lettergen``), so every figure
includes reading the CSV, validating, numbering, rendering, writing (with
fsync) and registering.

Measured per run:

* wall time, letters per second, ms per letter;
* time from the start of the command (after Python start-up) until the first
  letter appears (≈ reading + validating the sheet);
* peak memory of the process tree, two ways: ``ru_maxrss`` of a wrapper
  process (RUSAGE_SELF = the batch process, RUSAGE_CHILDREN = the largest
  worker) and the peak of the tree's summed RSS / PSS sampled every 20 ms
  from /proc (PSS counts pages shared by the forked workers once).

Then: 1,000 vs ``rows`` letters with ``--jobs 1`` and with every core (peak
memory ratio: flat ≈ 1.0), and per-letter time against the renderer alone
(compiled template, as ``benchmarks/bench_render.py`` measures it) and
against validation alone (``prepare``).

    .venv/bin/python benchmarks/bench_batch.py [--rows 10000] [--small 1000] [--jobs N] [--keep]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
HEADER = ["发函日期", "客户编号", "客户名称", "客户联系人", "客户地址", "催告级别",
          "发票或合同号", "开票日期", "金额", "到期日", "摘要"]
LEVELS = ["首次提醒", "正式催告", "最后通知"]

# Runs inside the wrapper process: the CLI in-process, then its own rusage.
WRAPPER = """
import json, resource, sys, time
from lettergen.cli import main
start, started_at = time.perf_counter(), time.time()
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "wall": wall, "started_at": started_at,
               "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, fh)
"""


def write_sheet(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(1, rows + 1):
            writer.writerow([
                "2026-11-23", f"C-{i:06d}", f"测试客户{i:06d}贸易有限公司", "陈经理",
                f"浙江省宁波市海曙区中山西路 {i % 900 + 1} 号", LEVELS[i % 3], f"发票 No. {33000000 + i}",
                "2026-08-15", f"{1000 + (i * 37) % 90000}.{i % 100:02d}", "2026-09-14", "五金配件货款",
            ])


def write_settings(folder: Path) -> Path:
    text = (PROJECT / "lettergen.toml").read_text(encoding="utf-8")
    text = re.sub(r"^url = .*$", f'url = "sqlite:///{(folder / "register.sqlite").as_posix()}"', text, count=1, flags=re.M)
    text = re.sub(r"^dir = .*$", f'dir = "{(folder / "out").as_posix()}"', text, count=1, flags=re.M)
    # the pipeline without LibreOffice: fitting costs one or more conversions a letter
    text = re.sub(r"^fit = .*$", 'fit = "off"', text, count=1, flags=re.M)
    path = folder / "lettergen.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- process-tree sampling ----------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                raw = fh.read().decode("ascii", "replace")
        except OSError:
            continue
        ppid = int(raw[raw.rfind(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _tree_memory(root: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in kB over ``root`` and its descendants."""
    tree, stack, rss, pss = _children(), [root], 0, 0
    while stack:
        pid = stack.pop()
        stack += tree.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self, pid: int, out: Path):
        super().__init__(daemon=True)
        self.pid, self.out = pid, out
        self.peak_rss = self.peak_pss = 0
        self.first_letter: float | None = None  # time.time() when the first letter appeared
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            rss, pss = _tree_memory(self.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            if self.first_letter is None and self.out.is_dir() and any(self.out.glob("*.docx")):
                self.first_letter = time.time()
            self.stop.wait(0.02)


# --- one run ------------------------------------------------------------------

def run_batch(rows: int, jobs: int, keep: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-batch-{rows}-j{jobs}-"))
    try:
        settings = write_settings(folder)
        sheet = folder / "overdue.csv"
        write_sheet(sheet, rows)
        stats = folder / "rusage.json"
        env = {k: v for k, v in os.environ.items() if k != "LETTERGEN_REGISTER_URL"}
        command = [sys.executable, "-c", WRAPPER, str(stats), "--config", str(settings), "batch", "payment_reminder",
                   str(sheet), "--out", str(folder / "out"), "--jobs", str(jobs)]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=folder)
        sampler = Sampler(proc.pid, folder / "out")
        sampler.start()
        stdout, stderr = proc.communicate()
        sampler.stop.set()
        sampler.join()
        result = json.loads(stats.read_text())
        if result["code"] != 0:
            raise SystemExit(f"batch failed ({result['code']}):\n{stderr.decode()[-3000:]}")
        letters = len(list((folder / "out").glob("*.docx")))
        if letters != rows:
            raise SystemExit(f"expected {rows} letters, found {letters}: {stdout.decode()}")
        verify = subprocess.run([sys.executable, "-m", "lettergen", "--config", str(settings), "register", "verify"],
                                capture_output=True, text=True, env=env)
        return {
            "rows": rows, "jobs": jobs, "wall": result["wall"], "letters": letters,
            "first_letter": (sampler.first_letter or result["started_at"]) - result["started_at"], "self_mb": result["self_kb"] / 1024,
            "worker_mb": result["children_kb"] / 1024, "tree_rss_mb": sampler.peak_rss / 1024,
            "tree_pss_mb": sampler.peak_pss / 1024, "verify_ok": verify.returncode == 0,
            "folder": str(folder) if keep else "",
        }
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


# --- renderer and validation alone ----------------------------------------------

def per_letter_parts(n: int = 1000) -> dict[str, float]:
    """ms per letter of prepare() (validation + computation) and of the compiled renderer."""
    from lettergen.config import load_config
    from lettergen.letters import prepare, render_context, template_for
    from lettergen.sources import read_records
    from lettergen.batch import source_fields
    from lettergen.schemas import load_kind

    config = load_config(PROJECT / "lettergen.toml")
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "sheet.csv"
        write_sheet(sheet, n)
        kind = load_kind(config.schemas_dir, "payment_reminder")
        records = read_records(sheet, source_fields(kind), group_by="recipient.name").records
    start = time.perf_counter()
    prepared = [prepare(kind, r.data, config) for r in records]
    prepare_ms = (time.perf_counter() - start) / n * 1000
    template = template_for(config, "payment_reminder")
    start = time.perf_counter()
    for i, p in enumerate(prepared, start=1):
        render_context(template, p.context, f"禾丰催函〔2026〕{i}号")
    render_ms = (time.perf_counter() - start) / n * 1000
    return {"prepare_ms": prepare_ms, "render_ms": render_ms}


def bench_render_script() -> str:
    """The last lines of benchmarks/bench_render.py (renderer-only benchmark), or its error."""
    done = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "bench_render.py"), "1000"],
                          capture_output=True, text=True, cwd=PROJECT)
    if done.returncode != 0:
        return "bench_render.py failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows (= letters) of the large run")
    parser.add_argument("--small", type=int, default=1_000, help="rows of the small run (memory comparison)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes of the parallel runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()

    print(f"lettergen batch benchmark: payment_reminder, SQLite in a temp dir, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")
    runs = []
    for jobs in dict.fromkeys((1, args.jobs)):
        for rows in (args.small, args.rows):
            r = run_batch(rows, jobs, args.keep)
            runs.append(r)
            print(f"  rows={r['rows']:>6} jobs={jobs}: {r['wall']:7.1f} s  {r['letters'] / r['wall']:7.1f} letters/s  "
                  f"{r['wall'] / r['letters'] * 1000:6.2f} ms/letter  first letter after {r['first_letter']:5.1f} s  "
                  f"peak: batch process {r['self_mb']:6.1f} MB, largest worker {r['worker_mb']:6.1f} MB, "
                  f"tree RSS {r['tree_rss_mb']:6.1f} MB / PSS {r['tree_pss_mb']:6.1f} MB  "
                  f"verify {'ok' if r['verify_ok'] else 'FAILED'}" + (f"  [{r['folder']}]" if r["folder"] else ""),
                  flush=True)

    print("\nsummary")
    by = {(r["rows"], r["jobs"]): r for r in runs}
    for jobs in dict.fromkeys((1, args.jobs)):
        small, large = by[(args.small, jobs)], by[(args.rows, jobs)]
        print(f"  jobs={jobs}: {large['letters'] / large['wall']:.1f} letters/s at {args.rows} rows; "
              f"peak memory {args.rows} vs {args.small} rows: batch process x{large['self_mb'] / small['self_mb']:.2f}, "
              f"tree PSS x{large['tree_pss_mb'] / small['tree_pss_mb']:.2f} "
              f"({small['tree_pss_mb']:.0f} -> {large['tree_pss_mb']:.0f} MB)")
    if args.jobs != 1:
        one, many = by[(args.rows, 1)], by[(args.rows, args.jobs)]
        print(f"  speed-up with {args.jobs} jobs at {args.rows} rows: x{one['wall'] / many['wall']:.2f}")

    parts = per_letter_parts()
    one = by[(args.rows, 1)]
    batch_ms = one["wall"] / one["letters"] * 1000
    print(f"\nper letter, single core: batch end to end {batch_ms:.2f} ms = "
          f"prepare (validate + compute) {parts['prepare_ms']:.2f} ms + render {parts['render_ms']:.2f} ms + "
          f"rest (read, register, zip write + fsync, manifest) {batch_ms - parts['prepare_ms'] - parts['render_ms']:.2f} ms; "
          f"batch / renderer alone = x{batch_ms / parts['render_ms']:.1f}")
    print("renderer-only benchmark (benchmarks/bench_render.py 1000):")
    print("  " + bench_render_script().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
