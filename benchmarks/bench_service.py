"""HTTP service benchmark: latency (p50/p99) and throughput of validate, draft .docx and issue.

Not a timed test: one run prints the figures.  For each worker count (1 and
2) a fresh temporary folder gets settings (SQLite register), a real
``lettergen serve`` process on 127.0.0.1 (a free port) and an API key; then
8 client threads (httpx, keep-alive) each send ``--requests`` calls per
operation.  The same operations through the Python API in this process (no
HTTP, one thread) are measured in the same run, as the baseline: the ratio
shows what HTTP, auth and the server add.

"srv cpu" is the server's CPU time (all its processes, user + system) per
call, in ms: less noisy than throughput on a shared machine, since the
clients' and other programs' CPU is not in it.

Each operation is also timed with one client alone: its p50 is the latency
of an unloaded server; with 8 clients p50 is mostly queueing (8 clients /
throughput).  Caveat: the clients run on the same 2 cores as the server, and the machine
is shared, so absolute figures are noisy; compare the ratios.

    .venv/bin/python benchmarks/bench_service.py [--requests 25] [--clients 8] [--workers 1 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lettergen import api  # noqa: E402
from lettergen.config import load_config  # noqa: E402
from lettergen.issuing import open_register  # noqa: E402
from tests.service_fixtures import Server, create_token, sample_json, write_settings  # noqa: E402

KIND = "after_sales"
OPERATIONS = ("validate", "draft", "issue")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def http_run(server: Server, token: str, operation: str, clients: int, requests: int) -> tuple[list[float], float]:
    data = sample_json(KIND)
    latencies: list[float] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)

    def one_client() -> None:
        with server.client(token) as client:
            client.get("/healthz")  # connect before timing
            mine = []
            start_gate.wait()
            for _ in range(requests):
                t0 = time.perf_counter()
                if operation == "validate":
                    r = client.post(f"/kinds/{KIND}/validate", json=data)
                elif operation == "draft":
                    r = client.post(f"/kinds/{KIND}/drafts", json=data)
                else:
                    r = client.post("/letters", json={"kind": KIND, "data": data})
                mine.append(time.perf_counter() - t0)
                assert r.status_code in (200, 201), r.text
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0


def server_cpu(server: Server) -> float | None:
    """CPU seconds (user + system) used so far by the server's processes (its process group; Linux)."""
    total, found = 0, False
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        try:
            with open(f"/proc/{pid}/stat") as fh:
                raw = fh.read()
        except OSError:  # gone, or not a process
            continue
        fields = raw[raw.rfind(")") + 2:].split()
        if int(fields[2]) == server.proc.pid:  # process group: the server and its workers
            total, found = total + int(fields[11]) + int(fields[12]), True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def in_process(settings: Path, operation: str, count: int) -> tuple[list[float], float]:
    config = load_config(settings)
    data = sample_json(KIND)
    latencies = []
    with open_register(config) as register:
        api.issue_letter(KIND, data, config=config, register=register)  # warm caches
        t_all = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            if operation == "validate":
                api.validate(KIND, data, config)
            elif operation == "draft":
                api.draft(KIND, data, config=config)
            else:
                api.issue_letter(KIND, data, config=config, register=register)
            latencies.append(time.perf_counter() - t0)
        return latencies, time.perf_counter() - t_all


def row(label: str, latencies: list[float], wall: float, cpu: float | None = None) -> str:
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    per_call = f"{cpu * 1000 / len(latencies):>9.1f}" if cpu is not None else f"{'':>9}"
    return f"{label:<40} {len(latencies):>5} {p50:>8.1f} {p99:>8.1f} {len(latencies) / wall:>9.0f}{per_call}"


def timed(server: Server, run: Callable[[], tuple[list[float], float]]) -> tuple[list[float], float, float | None]:
    """``run()``'s latencies and wall time, and the server's CPU seconds meanwhile."""
    before = server_cpu(server)
    latencies, wall = run()
    after = server_cpu(server)
    return latencies, wall, (after - before) if before is not None and after is not None else None


def repeated_issue(folder: Path, workers: int, args: argparse.Namespace) -> str:
    """The many-client issue throughput, ``args.repeat`` more times, each on a fresh server and register."""
    rates = []
    for i in range(args.repeat):
        again = folder / f"repeat-{i}"
        again.mkdir()
        settings = write_settings(again, rate_limit=0)
        token = create_token(settings, "bench", "issue")
        server = Server(settings, workers=workers).start()
        try:
            http_run(server, token, "issue", args.clients, 3)
            _lat, wall = http_run(server, token, "issue", args.clients, args.requests)
            rates.append(args.clients * args.requests / wall)
        finally:
            server.stop()
    return (f"HTTP {workers} worker(s), {args.clients} clients: issue, {args.repeat} more runs of "
            f"{args.clients * args.requests}: {', '.join(f'{r:.0f}' for r in rates)} letters/s "
            f"(median {statistics.median(rates):.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=25, help="calls per client and operation")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the many-client issue figure this many times (a fresh register each): "
                             "every figure and the median (the shared machine moves single runs by a fifth)")
    args = parser.parse_args()
    print(f"{'':<40} {'calls':>5} {'p50 ms':>8} {'p99 ms':>8} {'per s':>9} {'srv cpu':>8}")
    medians: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        base = Path(tmp)
        (base / "inproc").mkdir()
        settings = write_settings(base / "inproc", rate_limit=0)
        for op in OPERATIONS:
            lat, wall = in_process(settings, op, args.requests * 4)
            medians[f"api {op}"] = percentile(lat, 50)
            print(row(f"in-process api {op}", lat, wall))
        for workers in args.workers:
            folder = base / f"w{workers}"
            folder.mkdir()
            settings = write_settings(folder, rate_limit=0)
            token = create_token(settings, "bench", "draft", "issue", "read")
            server = Server(settings, workers=workers).start()
            try:
                for op in OPERATIONS:
                    http_run(server, token, op, args.clients, 3)  # warm every worker
                    lat, wall, cpu = timed(server, lambda: http_run(server, token, op, 1, args.requests))
                    print(row(f"HTTP {workers} worker(s), 1 client: {op}", lat, wall, cpu))
                    lat, wall, cpu = timed(server, lambda: http_run(server, token, op, args.clients, args.requests))
                    medians[f"http{workers} {op}"] = percentile(lat, 50)
                    print(row(f"HTTP {workers} worker(s), {args.clients} clients: {op}", lat, wall, cpu))
            finally:
                server.stop()
            if args.repeat > 1:
                print(repeated_issue(folder, workers, args))
    print()
    for op in OPERATIONS:
        ratios = ", ".join(f"{w} worker(s) {medians[f'http{w} {op}'] / medians[f'api {op}']:.1f}x"
                           for w in args.workers)
        print(f"p50 HTTP / in-process {op:<9} {ratios}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"(clients share the {os.cpu_count()} cores with the server; load average now {load}: compare ratios, not absolutes)")


if __name__ == "__main__":
    main()
