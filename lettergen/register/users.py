"""Web accounts and sessions in the register database (tables ``web_users``, ``web_sessions``).

Plain storage: no password hashing and no policy here (that is
:mod:`lettergen.accounts`).  Every function takes an open :class:`Register`
and runs one transaction through its helper.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..errors import RegisterError
from .core import Register
from .entry import utcnow
from .schema import web_sessions, web_users


@dataclass(frozen=True)
class UserRow:
    """One account as stored (``password_hash`` never leaves :mod:`lettergen.accounts`)."""

    name: str
    role: str
    password_hash: str
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None


def _user(row: Any) -> UserRow:
    return UserRow(row["name"], row["role"], row["password_hash"], bool(row["disabled"]), row["failed_logins"] or 0,
                   row["locked_until"], row["created_at"], row["last_login_at"])


def insert_user(register: Register, name: str, role: str, password_hash: str) -> UserRow:
    try:
        with register.transaction() as conn:
            conn.execute(sa.insert(web_users).values(name=name, role=role, password_hash=password_hash,
                                                     disabled=False, failed_logins=0, created_at=utcnow()))
    except (IntegrityError, RegisterError) as exc:
        if find_user(register, name) is not None:
            raise RegisterError(f"用户「{name}」已存在") from None
        raise exc
    return find_user(register, name)


def find_user(register: Register, name: str) -> UserRow | None:
    with register.transaction(write=False) as conn:
        row = conn.execute(sa.select(web_users).where(web_users.c.name == name)).mappings().first()
    return _user(row) if row else None


def list_users(register: Register) -> list[UserRow]:
    with register.transaction(write=False) as conn:
        return [_user(r) for r in conn.execute(sa.select(web_users).order_by(web_users.c.name)).mappings()]


def update_user(register: Register, name: str, **values: Any) -> UserRow:
    """Set columns of the account ``name`` (``RegisterError`` if there is none)."""
    with register.transaction() as conn:
        done = conn.execute(sa.update(web_users).where(web_users.c.name == name).values(**values))
        if done.rowcount == 0:
            raise RegisterError(f"没有用户「{name}」")
        if values.get("disabled"):
            conn.execute(sa.delete(web_sessions).where(web_sessions.c.user_name == name))
    return find_user(register, name)


def record_failure(register: Register, name: str, limit: int, lock_until: datetime) -> int:
    """Count one failed login; lock the account until ``lock_until`` at ``limit``. Returns the count."""
    with register.transaction() as conn:
        where = web_users.c.name == name
        count = conn.execute(sa.select(web_users.c.failed_logins).where(where).with_for_update()).scalar()
        if count is None:
            return 0
        count += 1
        values: dict[str, Any] = {"failed_logins": count}
        if count >= limit:
            values.update(failed_logins=0, locked_until=lock_until)
        conn.execute(sa.update(web_users).where(where).values(**values))
        return count


# --- sessions -----------------------------------------------------------------

def insert_session(register: Register, token_hash: str, user_name: str, csrf_token: str, expires_at: datetime) -> None:
    now = utcnow()
    with register.transaction() as conn:
        conn.execute(sa.delete(web_sessions).where(web_sessions.c.expires_at < now))
        conn.execute(sa.insert(web_sessions).values(token_hash=token_hash, user_name=user_name,
                                                    csrf_token=csrf_token, created_at=now, expires_at=expires_at))
        conn.execute(sa.update(web_users).where(web_users.c.name == user_name)
                     .values(failed_logins=0, locked_until=None, last_login_at=now))


def find_session(register: Register, token_hash: str) -> tuple[UserRow, str] | None:
    """The (enabled) account and CSRF token of a live session, or None."""
    query = (sa.select(web_users, web_sessions.c.csrf_token)
             .join(web_sessions, web_sessions.c.user_name == web_users.c.name)
             .where(web_sessions.c.token_hash == token_hash, web_sessions.c.expires_at > utcnow(),
                    web_users.c.disabled == sa.false()))
    with register.transaction(write=False) as conn:
        row = conn.execute(query).mappings().first()
    return (_user(row), row["csrf_token"]) if row else None


def delete_session(register: Register, token_hash: str) -> None:
    with register.transaction() as conn:
        conn.execute(sa.delete(web_sessions).where(web_sessions.c.token_hash == token_hash))
