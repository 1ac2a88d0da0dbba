"""One warm LibreOffice: a headless soffice plus the UNO bridge that drives it.

:class:`Office` owns two processes: ``soffice`` (in its own session, so its
whole tree — the launcher script, oosplash and soffice.bin — can be killed as
one process group) listening on a private named pipe, and
:mod:`lettergen.convert.uno_bridge` run by a Python with ``uno``.  Each start
gets a fresh private profile under the converter's work folder; the user's
own LibreOffice profile is never read or written.
"""
from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import subprocess
import time
import uuid
from pathlib import Path

from .fonts import fontconfig_env

BRIDGE = Path(__file__).resolve().parent / "uno_bridge.py"


class OfficeHung(Exception):
    """No reply within the timeout."""


class OfficeDied(Exception):
    """soffice or the bridge exited (crash, kill, failed start)."""


class Office:
    """A started soffice + bridge pair; not restartable (make a new one)."""

    def __init__(self, soffice: str, uno_python: str, workdir: Path, *, start_timeout: float):
        self.profile = workdir / f"profile-{uuid.uuid4().hex[:8]}"
        pipe = f"lettergen-{os.getpid()}-{uuid.uuid4().hex}"
        self._sockets = [_osl_pipe(pipe), _osl_pipe("SingleOfficeIPC_" + _profile_hash(self.profile.as_uri()))]
        self._buffer = b""
        self._killed = False
        self.soffice = subprocess.Popen(
            [
                soffice, f"-env:UserInstallation={self.profile.as_uri()}",
                "--headless", "--invisible", "--nologo", "--nodefault", "--norestore",
                "--nolockcheck", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
            ],
            # TMPDIR: a killed office's temp files go away with our work folder.
            env=fontconfig_env({**os.environ, "TMPDIR": str(workdir)}),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._bridge_log = open(workdir / "bridge.log", "ab")
        try:
            self.bridge = subprocess.Popen(
                [uno_python, str(BRIDGE), pipe, str(self.soffice.pid), str(start_timeout),
                 *map(str, self._sockets), str(workdir)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._bridge_log,
                env=_bridge_env(),
            )
        except OSError as exc:
            os.killpg(self.soffice.pid, signal.SIGKILL)
            self.soffice.wait()
            self._bridge_log.close()
            raise OfficeDied(f"无法运行 {uno_python}：{exc}") from None
        try:
            reply = self._read(start_timeout + 5)
        except OfficeHung:
            self.kill()
            raise OfficeDied(f"LibreOffice 在 {start_timeout:g} 秒内未能启动") from None
        except OfficeDied:
            self.kill()
            raise
        if not reply.get("ready"):
            self.kill()
            raise OfficeDied(reply.get("error") or "LibreOffice 未能启动")

    def convert(self, src: Path, dst: Path, timeout: float, *, pdfa: bool = False) -> None:
        """Convert ``src`` to ``dst`` (PDF/A-2b with ``pdfa``); raises OfficeHung, OfficeDied or RuntimeError."""
        if not self.alive():
            raise OfficeDied("LibreOffice 进程已退出")
        request = {"src": str(src), "dst": str(dst), **({"pdfa": True} if pdfa else {})}
        reply = self._request(request, timeout)
        if reply.get("ok"):
            return
        # A failed store may be the first sign of a dying office: ask it.
        if not reply.get("fatal") and self.alive():
            try:
                if self._request({"cmd": "ping"}, 10).get("ok"):
                    raise RuntimeError(reply.get("error") or "未知错误")
            except OfficeHung:
                pass
        self.kill()
        raise OfficeDied(reply.get("error") or "LibreOffice 进程已退出")

    def _request(self, obj: dict, timeout: float) -> dict:
        self._send(obj)
        return self._read(timeout)

    def _send(self, obj: dict) -> None:
        try:
            self.bridge.stdin.write((json.dumps(obj) + "\n").encode())
            self.bridge.stdin.flush()
        except OSError as exc:
            raise OfficeDied(f"与 LibreOffice 的连接中断：{exc}") from None

    def alive(self) -> bool:
        return self.soffice.poll() is None and self.bridge.poll() is None

    def pids(self) -> list[int]:
        """Live pids of the office's process group (Linux /proc), for diagnostics."""
        return _group_pids(self.soffice.pid)

    def close(self, timeout: float = 10.0) -> None:
        """Ask the office to quit; kill it if it does not within ``timeout``."""
        if self.alive():
            try:
                self._send({"cmd": "quit"})
                self.soffice.wait(timeout)
                self.bridge.wait(timeout)
            except (OfficeDied, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill both processes (the whole office process group) and reap them."""
        if self._killed:
            return  # the group id may belong to someone else by now
        self._killed = True
        try:
            os.killpg(self.soffice.pid, signal.SIGKILL)
        except OSError:
            pass  # already gone
        for proc in (self.bridge, self.soffice):
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdin:
                proc.stdin.close()
            if proc.stdout:
                proc.stdout.close()
        self._bridge_log.close()
        # A killed office cannot remove its pipe sockets; they are ours alone.
        for sock in self._sockets:
            if sock.is_socket():
                sock.unlink(missing_ok=True)

    def _read(self, timeout: float) -> dict:
        """One JSON line from the bridge, waiting at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        fd = self.bridge.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OfficeHung()
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                if self.soffice.poll() is not None:
                    raise OfficeDied("LibreOffice 进程意外退出")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise OfficeDied("LibreOffice 连接进程意外退出")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)


def _bridge_env() -> dict[str, str]:
    # The venv's variables would make a system Python load the wrong packages.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _osl_pipe(name: str) -> Path:
    """Where LibreOffice (sal/osl) puts the Unix socket of a named pipe."""
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{name}"


def _profile_hash(url: str) -> str:
    """LibreOffice's single-instance pipe id for a profile: MD5 of the UTF-16
    URL, bytes in hex without zero padding (desktop/source/app/officeipcthread.cxx)."""
    return "".join(format(b, "x") for b in hashlib.md5(url.encode("utf-16-le")).digest())


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the ")" closing the command name: state ppid pgrp ...
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return sorted(pids)
