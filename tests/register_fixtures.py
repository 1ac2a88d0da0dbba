"""Fixtures for the register tests, imported by ``tests/conftest.py``.

``register_url`` runs each test twice: on a fresh SQLite file and on a fresh
PostgreSQL database (created for the test on the server named by
``LETTERGEN_TEST_PG_URL`` and dropped afterwards).  Without that variable the
PostgreSQL cases skip, unless ``CI`` is set: then they fail.
"""
from __future__ import annotations

import os
import time
import uuid
import warnings
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lettergen.numbering import format_number, sequence_key
from lettergen.register import Register

PG_ENV = "LETTERGEN_TEST_PG_URL"
PATTERN = "{org}{code}函〔{year}〕{seq}号"


def pg_admin_url() -> str:
    """The PostgreSQL URL from the environment; skip (or fail under CI) without it."""
    url = os.environ.get(PG_ENV)
    if not url:
        message = (f"set {PG_ENV} to a PostgreSQL server URL (e.g. "
                   "postgresql+psycopg://lettergen:lettergen@127.0.0.1:5432/lettergen_test; "
                   "the role needs CREATEDB) to run the PostgreSQL register tests")
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {PG_ENV} is not: {message}")
        pytest.skip(message)
    return url


def _fresh_pg_database() -> Iterator[str]:
    with fresh_pg_database(pg_admin_url()) as url:
        yield url


@contextmanager
def fresh_pg_database(admin_url: str, prefix: str = "lettergen_t_") -> Iterator[str]:
    """A new, empty database on the server of ``admin_url`` (the role needs CREATEDB), dropped afterwards."""
    admin = make_url(admin_url)
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(engine, name)
        engine.dispose()


def _drop(engine, name: str) -> None:
    """Drop a test database.  A server process that is still closing its connections (a killed
    ``lettergen serve``'s backend) can make ``FORCE`` fail for a moment: retry, and leave a
    database that still cannot go with a warning, not a failed test."""
    for attempt in range(6):
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.DBAPIError as exc:
            if attempt == 5:
                warnings.warn(f"test database {name} left behind: {exc}", stacklevel=2)
                return
            time.sleep(0.5)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def register_url(request, tmp_path) -> Iterator[str]:
    """A URL of an empty register, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
    else:
        yield from _fresh_pg_database()


@pytest.fixture
def register(register_url) -> Iterator[Register]:
    reg = Register(register_url)
    yield reg
    reg.close()


def letter_spec(*, org: str = "华贸", code: str = "催", year: int = 2026, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for :meth:`Register.reserve` with sensible test values."""
    spec = dict(
        kind="payment_reminder",
        sequence_key=sequence_key(PATTERN, org=org, code=code, year=year),
        year=year,
        make_number=lambda seq: format_number(PATTERN, org=org, code=code, year=year, seq=seq),
        letter_date=date(year, 3, 15),
        customer="上海某某贸易有限公司",
        subject="关于支付逾期货款的函",
        data={"amount": Decimal("12345.67"), "due": date(year, 2, 28), "items": [{"name": "货款", "qty": 2}]},
        template_name="payment_reminder.docx",
        template_hash="t" * 64,
        issued_by="张三",
    )
    spec.update(overrides)
    return spec


@pytest.fixture
def spec():
    """The :func:`letter_spec` factory."""
    return letter_spec
