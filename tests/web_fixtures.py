"""A real ``lettergen serve`` process on 127.0.0.1 and Debian's chromium (Playwright).

``web_site`` starts the server once per test module on a free port, with a
private register, output folder and three accounts (clerk ``li``, manager
``wang``, admin ``root``; password :data:`PASSWORD`).  ``browser`` launches
``/usr/bin/chromium`` through Playwright (never a downloaded browser).  When
chromium or Playwright is missing the browser tests skip, unless ``CI`` is
set: then they fail.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from lettergen.config import PROJECT_DIR
from lettergen.register import Register

PASSWORD = "pass-word-1"
USERS = {"li": "clerk", "wang": "manager", "root": "admin"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# `make screenshots` sets this to docs/ (the README's pictures); a plain test run
# keeps its pictures out of the working tree.
SCREENSHOTS = Path(os.environ.get("LETTERGEN_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lettergen-screenshots")


@dataclass
class Site:
    url: str
    folder: Path
    settings: Path
    process: subprocess.Popen

    def entry(self, number: str):
        """The register entry of ``number``, read straight from the database."""
        with Register(f"sqlite:///{self.folder / 'register.sqlite'}") as register:
            return register.get(number)

    def lettergen(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "lettergen", "--config", str(self.settings), *args],
                              input=stdin, capture_output=True, text=True, timeout=120, cwd=self.folder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_settings(folder: Path) -> Path:
    settings = folder / "lettergen.toml"
    text = (PROJECT_DIR / "lettergen.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///lettergen-register.sqlite"', f'url = "sqlite:///{folder / "register.sqlite"}"')
    text = text.replace('dir = "out"', f'dir = "{folder / "out"}"')
    text += (f'\n[paths]\ntemplates = "{PROJECT_DIR / "templates" / "letters"}"\n'
             f'schemas = "{PROJECT_DIR / "schemas"}"\nsamples = "{PROJECT_DIR / "samples"}"\n')
    settings.write_text(text, encoding="utf-8")
    return settings


def start_site(folder: Path, env: dict[str, str] | None = None) -> Site:
    settings = write_settings(folder)
    port = free_port()
    site = Site(f"http://127.0.0.1:{port}", folder, settings, None)  # type: ignore[arg-type]
    for name, role in USERS.items():
        done = site.lettergen("users", "add", name, "--role", role, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    log = open(folder / "server.log", "w")
    site.process = subprocess.Popen(
        [sys.executable, "-m", "lettergen", "--config", str(settings), "serve", "--host", "127.0.0.1",
         "--port", str(port)], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})}, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            raise RuntimeError(f"lettergen serve exited: {(folder / 'server.log').read_text()}")
        try:
            if httpx.get(site.url + "/ui/login", timeout=2).status_code == 200:
                return site
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_site(site)
    raise RuntimeError("lettergen serve did not answer within 60 s")


def stop_site(site: Site) -> None:
    site.process.terminate()
    try:
        site.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        site.process.kill()
        site.process.wait()


@pytest.fixture(scope="module")
def web_site(tmp_path_factory) -> Iterator[Site]:
    site = start_site(tmp_path_factory.mktemp("web"))
    yield site
    stop_site(site)


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing (apt-get install chromium; scripts/system-deps.sh)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """``new_page(width=1280, height=800)``: a fresh context (no cookies) in Chinese."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def log_in(page, site: Site, name: str, password: str = PASSWORD, then: str = "/ui/write") -> None:
    page.goto(site.url + then)
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    if password == PASSWORD:
        wait_path(page, then.split("?")[0])


def wait_path(page, path: str) -> None:
    """Wait until the browser shows ``path`` (``page.url`` can lag behind a redirect after a POST)."""
    page.wait_for_function("path => location.pathname === path", arg=path)


def screenshot(page, name: str, *, top: bool = False) -> Path:
    """Save ``NAME.png`` under SCREENSHOTS (docs/ for the README); ``top``: scrolled to the top first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if top:
        page.evaluate("window.scrollTo(0, 0)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def fill_reminder(page, amount: str = "¥12,345.67") -> None:
    page.wait_for_selector("[data-path='recipient.name']")
    page.fill("[data-path='recipient.name']", "宁波海曙恒达五金有限公司")
    page.fill("[data-path='items.0.ref']", "发票 No. 33012345")
    page.fill("[data-path='items.0.date']", "2026-08-15")
    page.fill("[data-path='items.0.due_date']", "2026-09-14")
    page.fill("[data-path='items.0.amount']", amount)


def error_beside(page, path: str) -> str:
    """The text of the error slot tied to the field (through aria-describedby)."""
    return page.evaluate("""path => {
        const input = document.querySelector(`[data-path="${path}"]`);
        const ids = (input.getAttribute('aria-describedby') || '').split(' ');
        const slot = ids.map(id => document.getElementById(id)).find(el => el && el.classList.contains('field-error'));
        return slot ? slot.textContent : null; }""", path)


def wait_preview(page, after: float = 0) -> float:
    """Wait for a preview newer than ``after`` (ms since epoch); return its time."""
    page.wait_for_function("after => Number(document.getElementById('preview').dataset.updated || 0) > after",
                           arg=after, timeout=60_000)
    return float(page.get_attribute("#preview", "data-updated"))


def issue_reminder(page, site) -> str:
    log_in(page, site, "li")
    fill_reminder(page)
    wait_preview(page)
    page.click("#issue")
    page.wait_for_selector("#issued-number")
    return page.inner_text("#issued-number")


__all__ = ["Site", "web_site", "browser", "new_page", "log_in", "wait_path", "screenshot", "start_site", "stop_site",
           "PASSWORD", "USERS",
           "fill_reminder", "error_beside", "wait_preview", "issue_reminder"]
