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
  worker) and the peak of the tree's summed RSS / PSS sampled from /proc
  every 100 ms for the first 3 s of a run, then every 500 ms (PSS counts pages
  shared by the forked workers once; see SAMPLE_SECONDS).

Then: 1,000 vs ``rows`` letters with ``--jobs 1`` and with every core (peak
memory ratio: flat ≈ 1.0), and each stage of a letter in ms (read, validate —
Cerberus and the fast path —, compute, spill, render, checks, write,
register) beside the renderer alone.

    .venv/bin/python benchmarks/bench_batch.py [--rows 10000] [--small 1000] [--jobs N] [--keep]
        [--memory-rows 100000] [--pg URL] [--baseline DIR] [--fit]
"""
from __future__ import annotations

import argparse
import dataclasses
import csv
import json
import os
import statistics
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
from tests.register_fixtures import fresh_pg_database  # noqa: E402  (one helper for tests and benchmark)

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


FIT = False  # --fit: keep [layout] fit = "auto" (LibreOffice measures the letters that may overflow)


def write_settings(folder: Path, register_url: str | None = None) -> Path:
    text = (PROJECT / "lettergen.toml").read_text(encoding="utf-8")
    url = register_url or f"sqlite:///{(folder / 'register.sqlite').as_posix()}"
    text = re.sub(r"^url = .*$", f'url = "{url}"', text, count=1, flags=re.M)
    text = re.sub(r"^dir = .*$", f'dir = "{(folder / "out").as_posix()}"', text, count=1, flags=re.M)
    # the pipeline without LibreOffice (fitting costs one or more conversions a letter it
    # measures), unless --fit: then letters are fitted as by default
    if not FIT:
        text = re.sub(r"^fit = .*$", 'fit = "off"', text, count=1, flags=re.M)
    path = folder / "lettergen.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- process-tree sampling ----------------------------------------------------

def _children(pid: int) -> list[int]:
    """The child processes of ``pid``, from /proc/PID/task/*/children (reading every
    process's stat instead cost a millisecond a sample on a quiet machine)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(child) for child in fh.read().split()]
        except OSError:
            continue
    return found


def _tree_memory(root: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in kB over ``root`` and its descendants."""
    stack, rss, pss = [root], 0, 0
    while stack:
        pid = stack.pop()
        stack += _children(pid)
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


#: How often the process tree's memory is read: every SAMPLE_SECONDS for the first
#: FAST_SECONDS of a run (a 1,000-row run is over in two seconds), then every
#: SLOW_SAMPLE_SECONDS.  A sample costs about 3 ms of CPU (smaps_rollup walks each process's
#: page tables): every 20 ms, as before, that was a fifth of a core taken from the batch it
#: measured; every 100 ms throughout, 2-job runs were still 3 % slower than unobserved ones
#: (859 against 882 letters/s, medians of three alternating runs).  A long run's memory moves
#: over seconds, and ru_maxrss (the kernel's own peak) is reported beside the samples.
SAMPLE_SECONDS, FAST_SECONDS, SLOW_SAMPLE_SECONDS = 0.1, 3.0, 0.5


class Sampler(threading.Thread):
    def __init__(self, pid: int, out: Path):
        super().__init__(daemon=True)
        self.pid, self.out = pid, out
        self.peak_rss = self.peak_pss = 0
        self.first_letter: float | None = None  # time.time() when the first letter appeared
        self.stop = threading.Event()

    def run(self) -> None:
        started = next_sample = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_sample:
                rss, pss = _tree_memory(self.pid)
                self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
                next_sample = now + (SAMPLE_SECONDS if now - started < FAST_SECONDS else SLOW_SAMPLE_SECONDS)
            if self.first_letter is None and self.out.is_dir() and any(self.out.glob("*.docx")):
                self.first_letter = time.time()
            # the first letter is looked for every SAMPLE_SECONDS (a directory read, cheap)
            self.stop.wait(SAMPLE_SECONDS if self.first_letter is None else max(0.0, next_sample - time.monotonic()))


# --- one run ------------------------------------------------------------------

#: The runs' folders, removed when the benchmark ends (see :func:`remove_folders`).
FOLDERS: list[Path] = []


def remove_folders() -> None:
    """Remove the runs' folders, all at the end and not after each run: on an ext4 file system
    without a journal (this project's test machines), a file created within minutes of many
    deletions in the same block group costs the kernel about 0.4 ms more, as it skips the
    recently freed inodes one by one; so a run that followed the removal of the last run's
    10,000 letters measured the deletion (a sixth of a 2-job run's CPU), not lettergen."""
    while FOLDERS:
        shutil.rmtree(FOLDERS.pop(), ignore_errors=True)


def run_batch(rows: int, jobs: int, keep: bool, code: str | None = None, register_url: str | None = None) -> dict:
    """One batch in a fresh process; ``code``: another checkout's folder to run instead (the baseline)."""
    folder = Path(tempfile.mkdtemp(prefix=f"bench-batch-{rows}-j{jobs}-"))
    if not keep:
        FOLDERS.append(folder)
    settings = write_settings(folder, register_url)
    sheet = folder / "overdue.csv"
    write_sheet(sheet, rows)
    stats = folder / "rusage.json"
    env = {k: v for k, v in os.environ.items() if k != "LETTERGEN_REGISTER_URL"}
    if code:
        env["PYTHONPATH"] = code
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


# --- per-letter stages, single core ----------------------------------------------

def _ms(started: float, n: int) -> float:
    return (time.perf_counter() - started) / n * 1000


def stage_costs(n: int = 1000) -> dict[str, float]:
    """ms per letter of each stage of a batch, measured one after another in this process.

    read: CSV → records; validate: Cerberus alone, and the compiled fast path
    (what a batch uses); compute: computed fields + template context; spill:
    pickling the validated letter and reading it back; render: the compiled
    renderer; checks: wording, tone and time limits on the rendered XML;
    write: temporary file + one syncfs, renames and folder fsync per 100;
    register: reserve (with the file names) and mark 100 letters at a time (SQLite).
    """
    import pickle

    from lettergen.batch import source_fields
    from lettergen.config import load_config
    from lettergen.fastcheck import NoFastCheck
    from lettergen.files import commit_parts, write_unsynced
    from lettergen.issuing import reserve_spec
    from lettergen.letters import calendar_for, render_with_text, template_for, with_defaults
    from lettergen.compute import enrich
    from lettergen.letters import Prepared
    from lettergen.quality import check_letter_quality
    from lettergen.register import Register
    from lettergen.rendering import to_context
    from lettergen.schemas import load_kind
    from lettergen.sources import read_records
    from lettergen.validation import validate

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = load_config(write_settings(folder))
        sheet = folder / "sheet.csv"
        write_sheet(sheet, n)
        kind = load_kind(config.schemas_dir, "payment_reminder")
        started = time.perf_counter()
        records = read_records(sheet, source_fields(kind), group_by="recipient.name").records
        out["read"] = _ms(started, n)
        inputs = [with_defaults(kind, r.data, config) for r in records]

        # a copy with its own cache: load_kind's instance is shared by everything in this process
        cerberus_only = dataclasses.replace(kind, cache={"fastcheck": NoFastCheck()})
        started = time.perf_counter()
        for data in inputs:
            validate(cerberus_only, data)
        out["validate (Cerberus)"] = _ms(started, n)
        started = time.perf_counter()
        results = [validate(kind, data) for data in inputs]
        out["validate (fast path)"] = _ms(started, n)

        calendar = calendar_for(config)
        started = time.perf_counter()
        contexts = [to_context(enrich(kind, r.document, config, calendar), kind.rules) for r in results]
        out["compute"] = _ms(started, n)

        started = time.perf_counter()
        blobs = [pickle.dumps((r.document, c), pickle.HIGHEST_PROTOCOL) for r, c in zip(results, contexts)]
        letters = [pickle.loads(b) for b in blobs]
        out["spill"] = _ms(started, n)

        template = template_for(config, "payment_reminder")
        numbers = [f"禾丰催函〔2026〕{i}号" for i in range(1, n + 1)]
        started = time.perf_counter()
        for context, number in zip(contexts, numbers):
            template.render({"corrects": None, **context, "number": number})
        out["render (renderer alone)"] = _ms(started, n)
        started = time.perf_counter()
        rendered = [render_with_text(template, c, number) for c, number in zip(contexts, numbers)]
        out["render (+ XML text for checks)"] = _ms(started, n)
        started = time.perf_counter()
        for context, (_docx, xml) in zip(contexts, rendered):
            check_letter_quality("payment_reminder", context, None, config, xml=xml)
        out["checks"] = _ms(started, n)

        target = folder / "out"
        target.mkdir()
        started = time.perf_counter()
        for start in range(0, n, 100):
            parts = [(write_unsynced(target / f"{i}.docx", rendered[i][0])[0], str(target / f"{i}.docx"))
                     for i in range(start, min(start + 100, n))]
            commit_parts(parts, target)
        out["write"] = _ms(started, n)

        prepared = [Prepared(kind, doc, ctx) for doc, ctx in letters]
        with Register(config.register_url) as register:
            started = time.perf_counter()
            for start in range(0, n, 100):
                chunk = prepared[start:start + 100]
                entries = register.reserve_many([reserve_spec(config, p, template.name, template.sha256,
                                                              batch_id="bench", source_key=f"k{start + i}")
                                                 for i, p in enumerate(chunk)],
                                                plan=lambda i, number, seq: str(target / f"{seq}.docx"))
                register.mark_issued_many([(e.number, str(target / f"{e.seq}.docx"), "0" * 64) for e in entries])
            out["register"] = _ms(started, n)
    return out


def bench_render_script() -> str:
    """The last lines of benchmarks/bench_render.py (renderer-only benchmark), or its error."""
    done = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / "bench_render.py"), "1000"],
                          capture_output=True, text=True, cwd=PROJECT)
    if done.returncode != 0:
        return "bench_render.py failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return done.stdout.strip()


def show(r: dict, label: str) -> None:
    print(f"  {label}rows={r['rows']:>6} jobs={r['jobs']}: {r['wall']:7.1f} s  {r['letters'] / r['wall']:7.1f} letters/s  "
          f"{r['wall'] / r['letters'] * 1000:6.2f} ms/letter  first letter after {r['first_letter']:5.1f} s  "
          f"peak: batch process {r['self_mb']:6.1f} MB, largest worker {r['worker_mb']:6.1f} MB, "
          f"tree RSS {r['tree_rss_mb']:6.1f} MB / PSS {r['tree_pss_mb']:6.1f} MB  "
          f"verify {'ok' if r['verify_ok'] else 'FAILED'}" + (f"  [{r['folder']}]" if r["folder"] else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows (= letters) of the large run")
    parser.add_argument("--small", type=int, default=1_000, help="rows of the small run (memory comparison)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes of the parallel runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--memory-rows", type=int, default=0,
                        help="also one run of this many rows with --jobs, for its peak memory (e.g. 100000)")
    parser.add_argument("--pg", metavar="URL",
                        help="also one run of --rows with --jobs on PostgreSQL: a fresh database is created "
                             "through this URL (e.g. $LETTERGEN_TEST_PG_URL; the role needs CREATEDB)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="an earlier checkout (e.g. `git archive main | tar -x -C DIR`): each run is done "
                             "with it too, alternately, and the ratio printed")
    parser.add_argument("--fit", action="store_true",
                        help='keep [layout] fit = "auto" (needs LibreOffice): the cost of fitting, e.g. with --baseline')
    parser.add_argument("--repeat", type=int, default=1,
                        help="run --rows with 1 and --jobs jobs this many times, alternately, and print every "
                             "figure and the medians (the disk's state moves single runs by a fifth)")
    args = parser.parse_args()
    global FIT
    FIT = args.fit
    try:
        run_all(args)
    finally:
        remove_folders()


def run_all(args: argparse.Namespace) -> None:

    print(f"lettergen batch benchmark: payment_reminder, SQLite in a temp dir, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")
    runs = []
    for jobs in dict.fromkeys((1, args.jobs)):
        for rows in (args.small, args.rows):
            if args.baseline:
                base = run_batch(rows, jobs, args.keep, args.baseline)
                show(base, "baseline ")
            r = run_batch(rows, jobs, args.keep)
            runs.append(r)
            show(r, "this     " if args.baseline else "")
            if args.baseline:
                print(f"    this / baseline: x{base['wall'] / r['wall']:.2f} letters/s, first letter "
                      f"x{base['first_letter'] / max(r['first_letter'], 1e-3):.2f} sooner, "
                      f"tree PSS x{r['tree_pss_mb'] / base['tree_pss_mb']:.2f}", flush=True)

    print("\nsummary")
    by = {(r["rows"], r["jobs"]): r for r in runs}
    for jobs in dict.fromkeys((1, args.jobs)):
        small, large = by[(args.small, jobs)], by[(args.rows, jobs)]
        print(f"  jobs={jobs}: {large['letters'] / large['wall']:.1f} letters/s at {args.rows} rows; "
              f"peak memory {args.rows} vs {args.small} rows: batch process x{large['self_mb'] / small['self_mb']:.2f}, "
              f"tree PSS x{large['tree_pss_mb'] / small['tree_pss_mb']:.2f} "
              f"({small['tree_pss_mb']:.0f} -> {large['tree_pss_mb']:.0f} MB)")
    if args.pg:
        with fresh_pg_database(args.pg, prefix="lettergen_bench_") as url:
            pg = run_batch(args.rows, args.jobs, args.keep, register_url=url)
        show(pg, "PostgreSQL ")
        print(f"  jobs={args.jobs}: {pg['letters'] / pg['wall']:.1f} letters/s at {args.rows} rows on PostgreSQL "
              f"(SQLite: {by[(args.rows, args.jobs)]['letters'] / by[(args.rows, args.jobs)]['wall']:.1f})")
    if args.memory_rows:
        huge, small = run_batch(args.memory_rows, args.jobs, args.keep), by[(args.small, args.jobs)]
        show(huge, "")
        print(f"  jobs={args.jobs}: peak memory {args.memory_rows} vs {args.small} rows: batch process "
              f"x{huge['self_mb'] / small['self_mb']:.2f}, tree PSS x{huge['tree_pss_mb'] / small['tree_pss_mb']:.2f} "
              f"({small['tree_pss_mb']:.0f} -> {huge['tree_pss_mb']:.0f} MB), tree RSS "
              f"x{huge['tree_rss_mb'] / small['tree_rss_mb']:.2f}; {huge['letters'] / huge['wall']:.1f} letters/s")
    if args.jobs != 1:
        one, many = by[(args.rows, 1)], by[(args.rows, args.jobs)]
        print(f"  speed-up with {args.jobs} jobs at {args.rows} rows: x{one['wall'] / many['wall']:.2f}")
    if args.repeat > 1:
        rates = {jobs: [by[(args.rows, jobs)]["letters"] / by[(args.rows, jobs)]["wall"]] for jobs in (1, args.jobs)}
        for _ in range(args.repeat - 1):
            for jobs in rates:
                r = run_batch(args.rows, jobs, args.keep)
                rates[jobs].append(r["letters"] / r["wall"])
        for jobs, seen in rates.items():
            print(f"  jobs={jobs}, {args.rows} rows, {args.repeat} runs: "
                  f"{', '.join(f'{x:.0f}' for x in seen)} letters/s (median {statistics.median(seen):.0f})")
        print(f"  speed-up of the medians: x{statistics.median(rates[args.jobs]) / statistics.median(rates[1]):.2f}")

    stages = stage_costs()
    one = by[(args.rows, 1)]
    batch_ms = one["wall"] / one["letters"] * 1000
    print("\nper letter, single core, each stage measured alone (1,000 letters, ms):")
    for name, ms in stages.items():
        print(f"  {name:<32} {ms:6.3f}")
    counted = sum(ms for name, ms in stages.items() if name not in ("validate (Cerberus)", "render (renderer alone)"))
    print(f"  {'sum of the stages a batch runs':<32} {counted:6.3f}")
    print(f"  batch end to end (jobs=1, {args.rows} rows): {batch_ms:.3f} ms  = x{batch_ms / stages['render (renderer alone)']:.1f} "
          f"the renderer alone; validation fast path x{stages['validate (Cerberus)'] / stages['validate (fast path)']:.1f} "
          "faster than Cerberus")
    print("renderer-only benchmark (benchmarks/bench_render.py 1000):")
    print("  " + bench_render_script().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
