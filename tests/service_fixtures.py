"""A real ``lettergen serve`` process on 127.0.0.1 for the service tests (imported by conftest).

:func:`write_settings` writes a settings file (the bundled one, with the
register, output and service folders under ``tmp_path``); :class:`Server`
starts ``python -m lettergen serve`` on a free port in its own process group,
waits for ``/healthz`` and can stop it gently or with ``kill -9``.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from lettergen import api
from lettergen.config import PROJECT_DIR, load_config

TESTS_DIR = Path(__file__).resolve().parent


def set_keys(text: str, section: str, values: dict) -> str:
    """``text`` (TOML) with ``values`` set in ``[section]`` (keys replaced in place or appended)."""
    lines, current, seen = text.splitlines(), None, set()
    out = []
    for line in lines:
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            if current == section:
                out += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items() if k not in seen]
            current = header.group(1).strip()
        key = re.match(r"^(\w+)\s*=", line)
        if current == section and key and key.group(1) in values:
            seen.add(key.group(1))
            line = f"{key.group(1)} = {json.dumps(values[key.group(1)], ensure_ascii=False)}"
        out.append(line)
    if current == section:
        out += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items() if k not in seen]
    elif section not in {m for m in re.findall(r"^\[([^\]]+)\]", text, flags=re.M)}:
        out += [f"[{section}]"] + [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
    return "\n".join(out) + "\n"


def write_settings(tmp_path: Path, register_url: str | None = None, **service) -> Path:
    """The bundled settings with everything the server writes under ``tmp_path``."""
    text = (PROJECT_DIR / "lettergen.toml").read_text(encoding="utf-8")
    text = set_keys(text, "register", {"url": register_url or f"sqlite:///{tmp_path / 'register.sqlite'}"})
    text = set_keys(text, "output", {"dir": str(tmp_path / "out")})
    text = set_keys(text, "paths", {"templates": str(PROJECT_DIR / "templates" / "letters"),
                                    "schemas": str(PROJECT_DIR / "schemas"), "samples": str(PROJECT_DIR / "samples")})
    text = set_keys(text, "service", {"data_dir": str(tmp_path / "service-data"), **service})
    path = tmp_path / "lettergen.toml"
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``lettergen serve`` (or ``script``) as a child process group, on a free port."""

    def __init__(self, settings: Path, *, workers: int = 1, script: Path | None = None, env: dict | None = None):
        self.settings, self.workers, self.script, self.env = settings, workers, script, env or {}
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log = settings.parent / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "Server":
        for _attempt in range(5):  # a port found free may be taken by another test's server meanwhile
            self.port = free_port()
            argv = ([sys.executable, str(self.script)] if self.script else [sys.executable, "-m", "lettergen"])
            argv += ["--config", str(self.settings), "serve", "--port", str(self.port), "--workers", str(self.workers)]
            log = open(self.log, "ab")
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True,
                                         env={**os.environ, **self.env}, cwd=self.settings.parent)
            log.close()
            if self._wait_ready(timeout):
                return self
            self.kill9()
        raise RuntimeError(f"server did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def client(self, token: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120, **kwargs)

    def kill9(self) -> None:
        """``kill -9`` the server and its workers (its own process group)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def access_lines(self) -> list[dict]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out


def create_token(settings: Path, name: str, *scopes: str) -> str:
    _key, token = api.create_key(name, list(scopes), config=load_config(settings))
    return token


def sample_json(kind: str) -> dict:
    """The bundled sample as a program would send it (JSON: dates as text)."""
    return json.loads(json.dumps(yaml.safe_load(api.sample_text(kind)), default=str, ensure_ascii=False))


@pytest.fixture
def server_factory(tmp_path):
    """Start servers (stopped at the end): ``server_factory(settings, workers=…)``."""
    started: list[Server] = []

    def start(settings: Path, **kwargs) -> Server:
        server = Server(settings, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def service(tmp_path, server_factory):
    """A server on a fresh SQLite register and a token with every scope: ``(server, token, settings)``."""
    settings = write_settings(tmp_path)
    token = create_token(settings, "tester", "read", "draft", "issue", "manage")
    return server_factory(settings), token, settings
