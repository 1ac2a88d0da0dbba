"""The batch converter: .docx to PDF through one warm LibreOffice.

:class:`Converter` starts LibreOffice on first use and keeps it for the whole
batch.  Each document has a timeout; when the office hangs it is killed and a
fresh one is started for the next document, and when it crashes during a
document that document is retried once on a fresh office.  Failures are
reported per document as :class:`~lettergen.errors.ConversionError` with a
Chinese message naming the file.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConversionError
from .office import Office, OfficeDied, OfficeHung

INSTALL_HINT = ("apt-get install libreoffice-writer-nogui python3-uno fonts-noto-cjk fonts-arphic-ukai"
                " texlive-lang-chinese fonts-liberation2")

_SOFFICE_CANDIDATES = [
    "/usr/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice*/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
]


def find_soffice() -> str | None:
    """Path of LibreOffice's ``soffice``: $LETTERGEN_SOFFICE, then PATH, then usual places."""
    explicit = os.environ.get("LETTERGEN_SOFFICE")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for pattern in _SOFFICE_CANDIDATES:
        for path in sorted(glob.glob(pattern), reverse=True):
            if os.access(path, os.X_OK):
                return path
    return None


def find_uno_python(soffice: str | None = None) -> str | None:
    """A Python that can ``import uno``: $LETTERGEN_UNO_PYTHON, LibreOffice's own, or /usr/bin/python3."""
    candidates = [os.environ.get("LETTERGEN_UNO_PYTHON")]
    if soffice:
        # Builds from libreoffice.org bundle their Python next to soffice.
        candidates.append(str(Path(os.path.realpath(soffice)).parent / "python"))
    candidates += ["/usr/bin/python3", "/usr/local/bin/python3"]
    for exe in filter(None, candidates):
        if not os.access(exe, os.X_OK):
            continue
        try:
            ok = subprocess.run([exe, "-c", "import uno"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return exe
    return None


class StartFailures:
    """Failed office starts, counted over a whole batch (shared by a pool's converters).

    After ``limit`` failures nothing more is started: a missing, broken or
    hanging LibreOffice costs two start timeouts per batch, not one per letter.
    Starts still under way count as possible failures, so parallel converters
    never attempt more than ``limit`` doomed starts between them.
    """

    def __init__(self, limit: int = 2):
        self.limit = limit
        self.count = 0
        self.last = ""
        self._pending = 0
        self._changed = threading.Condition()

    def begin(self) -> bool:
        """May a start be attempted?  (Waits while starts under way could use up the limit.)"""
        with self._changed:
            while self._pending and self.count + self._pending >= self.limit:
                self._changed.wait()
            if self.count >= self.limit:
                return False
            self._pending += 1
            return True

    @property
    def exhausted(self) -> bool:
        return self.count >= self.limit

    def end(self, failure: str | None = None) -> None:
        """A start begun with :meth:`begin` succeeded (``failure`` None) or failed."""
        with self._changed:
            self._pending -= 1
            if failure is not None:
                self.count += 1
                self.last = failure
            self._changed.notify_all()


@dataclass(frozen=True)
class ConversionResult:
    """Outcome of one document in :meth:`Converter.convert_many`."""

    source: Path
    target: Path
    ok: bool
    error: str | None
    seconds: float


class Converter:
    """Converts .docx to PDF with one LibreOffice kept warm for the whole batch.

    A context manager; LibreOffice starts on the first conversion and again
    after a hang or crash.  Not thread-safe: use one per thread.
    """

    def __init__(self, *, timeout: float = 60.0, soffice: str | None = None,
                 start_timeout: float = 60.0, failures: StartFailures | None = None, pdfa: bool = False):
        self.timeout = timeout
        #: Write PDF/A-2b (archival: every font embedded, XMP identification).
        self.pdfa = pdfa
        self.start_timeout = start_timeout
        self._soffice = soffice
        #: Failed starts so far (shared with the other converters of a pool).
        self.failures = failures or StartFailures()
        self._state = _State()
        # Kills the office and removes the profile even if close() is never
        # called (garbage collection or interpreter exit).
        self._finalizer = weakref.finalize(self, self._state.shutdown)
        #: How many times an office was started (1 for a healthy batch).
        self.starts = 0

    def __enter__(self) -> "Converter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def convert(self, docx: Path, pdf: Path) -> None:
        """Convert ``docx`` to ``pdf`` (written under a temporary name, then renamed)."""
        docx, pdf = Path(docx).resolve(), Path(pdf).resolve()
        if not docx.is_file():
            raise ConversionError(f"无法转换 {docx}：文件不存在")
        if not zipfile.is_zipfile(docx):
            # LibreOffice would happily print a stray text file as a "letter".
            raise ConversionError(f"无法转换 {docx}：不是有效的 .docx 文件")
        # LibreOffice writes into our private folder, so a kill mid-write
        # leaves its lock and temp files there, not beside the user's letters.
        part = pdf.with_name(f".{pdf.stem}.{uuid.uuid4().hex[:8]}.part.pdf")
        produced = None
        try:
            pdf.parent.mkdir(parents=True, exist_ok=True)
            produced = self._convert_with_retry(docx)
            shutil.copyfile(produced, part)
            os.replace(part, pdf)
        except OSError as exc:
            raise ConversionError(f"无法写入 {pdf}：{exc}") from None
        finally:
            if produced is not None:
                produced.unlink(missing_ok=True)
            part.unlink(missing_ok=True)

    def convert_many(self, pairs: list[tuple[Path, Path]]) -> list[ConversionResult]:
        """Convert every (docx, pdf) pair; one failure never stops the rest."""
        results = []
        for docx, pdf in pairs:
            started = time.monotonic()
            try:
                self.convert(docx, pdf)
                error = None
            except ConversionError as exc:
                error = exc.message
            results.append(ConversionResult(Path(docx), Path(pdf), error is None, error,
                                            time.monotonic() - started))
        return results

    def pids(self) -> list[int]:
        """Pids of the running office's processes (empty when none runs)."""
        return self._office.pids() if self._office else []

    def close(self) -> None:
        """Quit LibreOffice and delete the private profile; safe to call twice."""
        if self._state.office is not None:
            self._state.office.close()
        self._state.shutdown()

    def _convert_with_retry(self, docx: Path) -> Path:
        """Convert ``docx`` into the private folder; return the PDF made there."""
        for attempt in (1, 2):
            # A fresh name each attempt: an office killed while storing leaves its
            # partial file and lock file behind, and the retry would trip over them.
            produced = self._work() / f"{uuid.uuid4().hex}.pdf"
            try:
                self._attempt(docx, produced, last=attempt == 2)
                return produced
            except _Retry:
                _remove_leftovers(produced)
            except BaseException:
                _remove_leftovers(produced)
                raise
        raise AssertionError("unreachable")

    def _attempt(self, docx: Path, produced: Path, *, last: bool) -> None:
        """One conversion; raises :class:`_Retry` when the office died and may be retried."""
        office = self._ensure_office(docx)
        try:
            office.convert(docx, produced, self.timeout, pdfa=self.pdfa)
        except OfficeHung:
            self._discard_office()
            raise ConversionError(
                f"无法转换 {docx}：LibreOffice 在 {self.timeout:g} 秒内未完成，"
                "已终止并将为后续文档重新启动") from None
        except OfficeDied as exc:
            self._discard_office()
            if last:
                raise ConversionError(f"无法转换 {docx}：LibreOffice 两次在转换中崩溃（{exc}）") from None
            raise _Retry from None
        except RuntimeError as exc:
            if not _died(office):
                raise ConversionError(f"无法转换 {docx}：{exc}") from None
            # killed mid-document: the bridge can report the failed store before the death is seen
            self._discard_office()
            if last:
                raise ConversionError(f"无法转换 {docx}：LibreOffice 两次在转换中崩溃（{exc}）") from None
            raise _Retry from None

    def _ensure_office(self, docx: Path) -> Office:
        if self._office is not None and not self._office.alive():
            self._discard_office()  # died between documents: just start another
        if self._office is None:
            if self.failures.exhausted:
                raise self._not_started(docx)
            soffice = self._soffice or find_soffice()
            if soffice is None:
                raise ConversionError(f"无法转换 {docx}：未找到 LibreOffice（soffice）；请安装：{INSTALL_HINT}")
            uno_python = find_uno_python(soffice)
            if uno_python is None:
                raise ConversionError(
                    f"无法转换 {docx}：找不到可导入 uno 的 Python（Debian：apt-get install python3-uno），"
                    "或设置 LETTERGEN_UNO_PYTHON")
            if not self.failures.begin():
                raise self._not_started(docx)
            try:
                self._office = Office(soffice, uno_python, self._work(), start_timeout=self.start_timeout)
            except (OfficeDied, OSError) as exc:
                self.failures.end(str(exc))
                raise ConversionError(f"无法转换 {docx}：LibreOffice 启动失败（{exc}）") from None
            except BaseException:
                self.failures.end("启动被中断")
                raise
            self.failures.end()
            self.starts += 1
        return self._office

    def _not_started(self, docx: Path) -> ConversionError:
        return ConversionError(
            f"未转换 {docx}：LibreOffice 已 {self.failures.count} 次启动失败（{self.failures.last}），"
            "本批其余文档不再尝试；请运行 lettergen doctor 检查")

    def _discard_office(self) -> None:
        if self._office is not None:
            self._office.kill()
            shutil.rmtree(self._office.profile, ignore_errors=True)
            self._office = None

    @property
    def _office(self) -> Office | None:
        return self._state.office

    @_office.setter
    def _office(self, office: Office | None) -> None:
        self._state.office = office

    def _work(self) -> Path:
        if self._state.workdir is None:
            self._state.workdir = Path(tempfile.mkdtemp(prefix="lettergen-office-"))
        return self._state.workdir


class _State:
    """What must be cleaned up: the running office and the private work folder."""

    def __init__(self) -> None:
        self.office: Office | None = None
        self.workdir: Path | None = None

    def shutdown(self) -> None:
        if self.office is not None:
            self.office.kill()
            self.office = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


class _Retry(Exception):
    """The office died during a document: try it once more on a fresh office."""


def _remove_leftovers(produced: Path) -> None:
    """Remove a failed attempt's partial PDF and the lock file LibreOffice keeps beside it."""
    produced.unlink(missing_ok=True)
    produced.with_name(f".~lock.{produced.name}#").unlink(missing_ok=True)


def _died(office: Office, wait: float = 1.0) -> bool:
    """Whether ``office`` is gone, allowing ``wait`` seconds for a dying process to be seen as dead."""
    deadline = time.monotonic() + wait
    while office.alive():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
