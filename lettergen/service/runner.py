"""Where batch jobs run: small and swappable.

:class:`EmbeddedRunner` (``[service] runner = "embedded"``, the default) runs
jobs one at a time in a thread of each server process: no extra server to
start.  At start-up and then every :data:`ADOPT_EVERY` seconds it adopts jobs
whose process died (``kill -9``, a restart) and runs them again; the batch's
resume by source key makes that safe.  A runner only needs ``submit(job_id)``,
``start()`` and ``stop()``: a Celery runner would submit
``lettergen.jobs.run_job(job_id)`` as a task instead.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Callable, Protocol

from .. import jobs
from ..config import Config
from ..errors import ConfigError
from ..register import Register

log = logging.getLogger("lettergen.jobs")
ADOPT_EVERY = 5.0  # seconds


class JobRunner(Protocol):
    def submit(self, job_id: str) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class EmbeddedRunner:
    """Jobs in a background thread of this process, in the order submitted."""

    def __init__(self, config: Config, register: Callable[[], Register]):
        self.config = config
        self.register = register
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def submit(self, job_id: str) -> None:
        self._queue.put(job_id)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._work, name="lettergen-jobs", daemon=True),
                         threading.Thread(target=self._adopt, name="lettergen-adopt", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(None)

    def _work(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                jobs.run_job(job_id, config=self.config, register=self.register())
            except Exception:  # noqa: BLE001 (keep the runner alive; run_job records failures itself)
                log.exception("batch job %s could not be run", job_id)

    def _adopt(self) -> None:
        while True:
            try:
                for job in jobs.orphaned_jobs(register=self.register()):
                    log.info("adopting batch job %s of a process that exited", job.id)
                    self.submit(job.id)
            except Exception:  # noqa: BLE001
                log.exception("could not look for orphaned batch jobs")
            if self._stop.wait(ADOPT_EVERY):
                return


RUNNERS = {"embedded": EmbeddedRunner}


def make_runner(config: Config, register: Callable[[], Register]) -> JobRunner:
    name = str(config.service("runner"))
    if name not in RUNNERS:
        raise ConfigError(f"配置项 service.runner 为「{name}」，可用：{'、'.join(RUNNERS)}")
    return RUNNERS[name](config, register)
