"""A batch's memory does not grow with its sheet (issue 13: "memory flat").

Not a timed test and not a measurement of bytes (``benchmarks/bench_batch.py``
measures the peak memory of the process tree): the batch process is watched
while it runs, through its own hooks (the validation of each record, the
progress callback after each chunk), and the objects it holds per input
record are counted with :func:`gc.get_objects` — sheet records, planned
letters and letter results.  Before letters were streamed, a batch held all
of them until the end; now a batch of 12 chunks holds no more of them than a
batch of 4, a few chunks' worth, and still reports every letter, in input
order, in its result and manifest.
"""
from __future__ import annotations

import gc
from collections import Counter

import pytest

import lettergen.batch.plan as plan_module
import lettergen.batch.run as run_module
from lettergen.batch import generate
from lettergen.batch.plan import PlannedLetter
from lettergen.batch.run import LetterResult
from lettergen.sources import Record
from tests.test_batch import Workspace, invoice_row, read_csv_rows, write_csv

CHUNK = 10
WATCHED = (Record, PlannedLetter, LetterResult)


def _held() -> Counter:
    return Counter(type(o).__name__ for o in gc.get_objects() if isinstance(o, WATCHED))


def _batch(tmp_path, capsys, monkeypatch, rows: int, *, group: bool = False) -> tuple[Counter, Workspace]:
    """Run a ``rows``-row batch (jobs=1, CHUNK letters a chunk); the most of each watched type held at once."""
    ws = Workspace(tmp_path / f"n{rows}", capsys)
    if group:  # two invoice rows per customer, one letter each
        data = [invoice_row(i // 2, {"发票或合同号": f"发票 No. {i:08d}"}) for i in range(2 * rows)]
    else:
        data = [invoice_row(i) for i in range(1, rows + 1)]
    source = write_csv(tmp_path / f"n{rows}.csv", data)
    most: Counter = Counter()

    def look() -> None:
        gc.collect()
        most.update({k: v - most[k] for k, v in _held().items() if v > most[k]})

    checked = 0
    validate = plan_module.check_record

    def check_record(data):
        nonlocal checked
        checked += 1
        if checked % 40 == 0:
            look()
        return validate(data)

    monkeypatch.setattr(run_module, "CHUNK", CHUNK)
    monkeypatch.setattr(plan_module, "check_record", check_record)
    result, outputs = generate("payment_reminder", source, ws.config, ws.out, jobs=1,
                               group_by="客户名称" if group else None, progress=lambda done, total: look())
    assert checked == rows
    look()
    assert result.count("issued") == rows and result.ok
    letters = list(result.iter_results())  # read back from disk, in input order
    assert [r.status for r in letters] == ["issued"] * rows
    assert [r.letter.record.rows[0] for r in letters] == sorted(r.letter.record.rows[0] for r in letters)
    manifest = read_csv_rows(outputs.manifest_csv)
    assert [m["文号"] for m in manifest] == [r.number for r in letters]
    assert len(ws.letters()) == rows
    return most, ws


@pytest.mark.parametrize("group", [False, True], ids=["one row a letter", "grouped rows"])
def test_a_batch_holds_a_few_chunks_of_letters_whatever_its_size(tmp_path, capsys, monkeypatch, group):
    small, _ = _batch(tmp_path / "small", capsys, monkeypatch, 4 * CHUNK, group=group)
    large, _ = _batch(tmp_path / "large", capsys, monkeypatch, 12 * CHUNK, group=group)
    for name in ("Record", "PlannedLetter", "LetterResult"):
        # a chunk being prepared, one rendering, one settling (+ the one being read)
        assert large[name] <= 3 * CHUNK + 2, (name, large)
        assert large[name] <= small[name] + 2, (name, small, large)
    assert large["PlannedLetter"] >= CHUNK  # the watch saw letters being issued (the test can fail)


def test_the_batch_process_reads_no_letter_context_only_registrations(tmp_path, capsys, monkeypatch):
    """The workers read each letter's context (to render it); the batch process numbers and
    files letters from their compact registrations and reads one context only, for its trial
    render before numbers are taken.  Each read notes its process (forked workers inherit the patch)."""
    import os

    import lettergen.batch.work as work_module
    from lettergen import jsondata

    ws = Workspace(tmp_path / "ws", capsys)
    source = write_csv(tmp_path / "rows.csv", [invoice_row(i) for i in range(1, 31)])
    reads = tmp_path / "reads"
    real = work_module.load_spilled

    def noted(spilled):
        with open(reads, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(spilled)

    monkeypatch.setattr(work_module, "load_spilled", noted)
    result, _ = generate("payment_reminder", source, ws.config, ws.out, jobs=2)
    assert result.ok and result.count("issued") == 30
    pids = Counter(reads.read_text().split())
    assert pids.pop(str(os.getpid())) == 1  # the trial render
    assert sum(pids.values()) == 30  # every letter's context was read where it was rendered
    entries = ws.entries()
    assert [e.customer for e in entries] == [f"测试客户{i:04d}有限公司" for i in range(1, 31)]
    context = jsondata.decode(entries[0].data["context"])  # the registration's JSON text, stored as made
    assert context["recipient"]["name"] == "测试客户0001有限公司"


def test_records_are_read_at_most_AHEAD_RECORDS_ahead_of_their_validation(tmp_path, capsys, monkeypatch):
    """``Pool.imap`` takes its input as fast as its task thread can; the sheet's reader waits
    for room instead of building every record while the batch process lags behind, and a
    reader that stops early leaves no thread waiting."""
    import queue
    import threading
    import time

    from lettergen.batch.work import set_state
    from lettergen.schemas import load_kind

    monkeypatch.setattr(plan_module, "AHEAD_RECORDS", 6)
    ws = Workspace(tmp_path / "ws", capsys)
    source = write_csv(tmp_path / "rows.csv", [invoice_row(i) for i in range(1, 41)])
    kind = load_kind(ws.config.schemas_dir, "payment_reminder")
    set_state(None, kind, ws.config)
    taken, threads, done = [], [], object()

    def eager_map(func, items):  # like Pool.imap: a thread takes the input as fast as it can
        results: queue.Queue = queue.Queue()

        def feed():
            for item in items:
                taken.append(item)
                results.put(func(item))
            results.put(done)

        threads.append(threading.Thread(target=feed, daemon=True))
        threads[-1].start()
        while (result := results.get()) is not done:
            yield result

    read = 0
    for letter in plan_module.stream_plan(kind, source, ws.config, mapper=eager_map):
        read += 1
        time.sleep(0.002)  # the batch process, slower than its workers
        assert letter.ok and len(taken) - read <= 6 + 1, (len(taken), read)
    assert read == len(taken) == 40
    stream = iter(plan_module.stream_plan(kind, source, ws.config, mapper=eager_map))
    next(stream)
    time.sleep(0.05)
    assert len(taken) - 40 <= 6 + 1  # waiting for room
    stream.close()  # the reader stops early
    threads[-1].join(timeout=5)
    assert not threads[-1].is_alive()
