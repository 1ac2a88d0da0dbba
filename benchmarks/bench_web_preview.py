"""The web page's live preview: time from a changed form to its page images.

Starts a real ``lettergen serve`` on 127.0.0.1 (free port, private register),
signs in as a clerk and times, over HTTP, what the 写信 page does after a pause
in typing: the server check (validation + wording/time-limit warnings), and
the preview (draft -> PDF with the warm LibreOffice -> PNG pages) for data it
has not seen before.  Baseline in the same run: the service's own
``POST /kinds/{kind}/drafts?format=pdf``, which starts a LibreOffice per draft.

    .venv/bin/python benchmarks/bench_web_preview.py [-n 15]
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-pass-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sample(i: int) -> dict:
    data = yaml.safe_load((ROOT / "samples" / "payment_reminder.yaml").read_text(encoding="utf-8"))
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    data["items"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()}
                     for item in data["items"]]
    data["items"][0]["amount"] = f"{10000 + i}.00"  # new data each time: no cache hit
    return data


def timed(call) -> float:
    start = time.perf_counter()
    answer = call()
    assert answer.status_code in (200, 201), answer.text[:300]
    return time.perf_counter() - start


def summary(label: str, seconds: list[float]) -> float:
    ordered = sorted(seconds)
    p50, p90 = statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.9) - 1)]
    print(f"{label:<52} p50 {p50 * 1000:7.0f} ms   p90 {p90 * 1000:7.0f} ms   (n={len(seconds)})")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lettergen-bench-web-"))
    settings = folder / "lettergen.toml"
    text = (ROOT / "lettergen.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///lettergen-register.sqlite"', f'url = "sqlite:///{folder}/register.sqlite"')
    settings.write_text(text + f'\n[paths]\ntemplates = "{ROOT}/templates/letters"\nschemas = "{ROOT}/schemas"\n'
                        f'samples = "{ROOT}/samples"\n', encoding="utf-8")
    base = [sys.executable, "-m", "lettergen", "--config", str(settings)]
    subprocess.run(base + ["users", "add", "bench", "--role", "clerk"], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True, cwd=folder)
    token = subprocess.run(base + ["keys", "create", "bench", "--scope", "draft"], text=True, check=True,
                           capture_output=True, cwd=folder).stdout.strip()
    port = free_port()
    server = subprocess.Popen(base + ["serve", "--host", "127.0.0.1", "--port", str(port)], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(100):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ui/login").text).group(1)
            client.post("/ui/login", data={"name": "bench", "password": PASSWORD, "csrf_token": csrf})
            opened = time.perf_counter()
            session_csrf = re.search(r'data-csrf="([^"]+)"', client.get("/ui/write").text).group(1)
            headers = {"X-CSRF-Token": session_csrf}  # opening 写信 starts LibreOffice in the background
            first = timed(lambda: client.post("/ui/api/kinds/payment_reminder/preview", headers=headers,
                                              json={"data": sample(-1)}))
            print(f"first preview right after opening 写信 (office still starting): {first * 1000:5.0f} ms")
            time.sleep(max(0.0, 8 - (time.perf_counter() - opened)))
            second = timed(lambda: client.post("/ui/api/kinds/payment_reminder/preview", headers=headers,
                                               json={"data": sample(-2)}))
            print(f"first preview 8 s after opening 写信 (filling the form):        {second * 1000:5.0f} ms")
            checks, previews, cached = [], [], []
            for i in range(args.n):
                body = {"data": sample(i)}
                checks.append(timed(lambda: client.post("/ui/api/kinds/payment_reminder/check", headers=headers, json=body)))
                previews.append(timed(lambda: client.post("/ui/api/kinds/payment_reminder/preview", headers=headers, json=body)))
                cached.append(timed(lambda: client.post("/ui/api/kinds/payment_reminder/preview", headers=headers, json=body)))
            print()
            check = summary("check (validation + wording/time-limit warnings)", checks)
            warm = summary("preview, new data (draft -> warm PDF -> PNG pages)", previews)
            summary("preview, unchanged data (cached)", cached)
            cold = [timed(lambda: client.post("/kinds/payment_reminder/drafts?format=pdf", json=sample(100 + i),
                                              headers={"Authorization": f"Bearer {token}"})) for i in range(min(args.n, 5))]
            baseline = summary("baseline: POST /kinds/…/drafts?format=pdf (cold office)", cold)
            print(f"\npage pause (0.4 s) + check + preview, p50:  {0.4 + check + warm:.2f} s  (target: about 1 s)")
            print(f"baseline PDF draft / web preview, p50:       {baseline / warm:.1f}x")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
