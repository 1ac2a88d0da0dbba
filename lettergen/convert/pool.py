"""Several warm LibreOffice instances converting in parallel.

:class:`ConverterPool` runs ``size`` :class:`~lettergen.convert.Converter`
objects (default: one per core), each in its own thread with its own
office, private profile and pipe, timeout and restart.  Documents are handed
out one at a time, so a slow letter never holds up the others; results come
back in the order given (a combined PDF stays in register order).

All instances share one :class:`StartFailures` count: when LibreOffice fails
to start twice (missing, broken or hanging at start-up), nothing more is
tried for the rest of the batch and every unconverted document is reported.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from ..errors import ConversionError
from .converter import INSTALL_HINT, ConversionResult, Converter, StartFailures, find_soffice, find_uno_python


def default_instances() -> int:
    """One office per core (the machine's, or what this process may use)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def require_converter() -> None:
    """Refuse (:class:`ConversionError`, exit 6) when LibreOffice or its UNO Python is missing.

    Called before a batch with ``--pdf`` takes any number.  The hint is the
    one ``lettergen doctor`` prints.
    """
    soffice = find_soffice()
    packages = [] if soffice else ["libreoffice-writer-nogui"]
    if find_uno_python(soffice) is None:
        packages.append("python3-uno")
    if packages:
        missing = "LibreOffice（soffice）" if soffice is None else "可导入 uno 的 Python"
        raise ConversionError(
            f"无法生成 PDF：未找到 {missing}；未生成任何信函，也未占用文号。"
            f"请安装：apt-get install {' '.join(packages)}（完整检查：lettergen doctor；全部字体与组件：{INSTALL_HINT}）")


class ConverterPool:
    """``size`` warm converters in parallel; a context manager like :class:`Converter`."""

    def __init__(self, size: int | None = None, *, timeout: float = 60.0, start_timeout: float = 60.0,
                 soffice: str | None = None, max_failed_starts: int = 2, pdfa: bool = False):
        self.size = max(int(size or default_instances()), 1)
        self.failures = StartFailures(max_failed_starts)
        self._options = dict(timeout=timeout, start_timeout=start_timeout, soffice=soffice, failures=self.failures,
                             pdfa=pdfa)
        self._converters: list[Converter] = []
        self._closing = threading.Event()

    def __enter__(self) -> "ConverterPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def starts(self) -> int:
        """Offices started so far, over all instances."""
        return sum(c.starts for c in self._converters)

    def convert_many(self, pairs: list[tuple[Path, Path]]) -> list[ConversionResult]:
        """Convert every (docx, pdf) pair; one failure never stops the rest; results in the given order."""
        pairs = list(pairs)
        results: list[ConversionResult | None] = [None] * len(pairs)
        lock = threading.Lock()
        upcoming = iter(range(len(pairs)))

        def work(converter: Converter) -> None:
            while not self._closing.is_set():  # close() (e.g. after Ctrl-C): take no more documents
                with lock:
                    index = next(upcoming, None)
                if index is None:
                    return
                results[index] = converter.convert_many([pairs[index]])[0]

        while len(self._converters) < min(self.size, len(pairs)):
            self._converters.append(Converter(**self._options))
        threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in self._converters]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [r if r is not None else _not_run(pairs[i]) for i, r in enumerate(results)]

    def close(self) -> None:
        """Quit every office; conversions under way fail, no further document is started."""
        self._closing.set()
        for converter in self._converters:
            converter.close()
        self._converters = []


def _not_run(pair: tuple[Path, Path]) -> ConversionResult:
    return ConversionResult(Path(pair[0]), Path(pair[1]), False, "未转换（转换进程意外结束）", 0.0)
