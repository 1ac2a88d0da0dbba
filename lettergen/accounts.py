"""People who use the web page: accounts, roles, passwords, sessions (use cases).

Passwords are hashed with argon2 (argon2-cffi); the register database keeps
the hashes (:mod:`lettergen.register.users`).  Roles and what they may do:

=========  =====================================================
clerk      draft and issue letters (写信、批量)
manager    also void, correct, reissue and export (作废、订正、导出)
admin      also manage users and API keys
=========  =====================================================
"""
from __future__ import annotations

import functools

import hashlib
import hmac
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .config import Config
from .errors import LettergenError, RegisterError
from .issuing import open_register
from .register import Register
from .register import users as store
from .register.entry import utcnow

ROLES = ("clerk", "manager", "admin")
ROLE_LABELS = {"clerk": "经办", "manager": "主管", "admin": "管理员"}
#: What each role may do; every role has the rights of the roles before it.
ROLE_RIGHTS = {
    "clerk": frozenset({"read", "draft", "issue"}),
    "manager": frozenset({"read", "draft", "issue", "void", "correct", "reissue", "export"}),
    "admin": frozenset({"read", "draft", "issue", "void", "correct", "reissue", "export", "users", "keys"}),
}
MIN_PASSWORD = 8
_hasher = PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so the answer takes the same time.  Made on
    the first login (before the user is looked up), not on import: an argon2 hash costs
    tens of milliseconds and 64 MiB, and every command line imports this module."""
    return _hasher.hash("lettergen-no-such-user")


class LoginRefused(LettergenError):
    """Wrong name or password, a disabled account, or too many failed attempts."""

    exit_code = 2


@dataclass(frozen=True)
class User:
    """A signed-in person: ``actor`` is how the register names them (``user:NAME``)."""

    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"user:{self.name}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def may(self, right: str) -> bool:
        return right in ROLE_RIGHTS.get(self.role, frozenset())


@dataclass(frozen=True)
class Session:
    """A live web session: the cookie's token, its CSRF token and its user."""

    token: str
    csrf_token: str
    user: User


def web_setting(config: Config, key: str, default: int) -> int:
    value = config.section("web").get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


@contextmanager
def _opened(config: Config, register: Register | None):
    """``register`` when the caller keeps one open (the web app), else the configured one."""
    if register is not None:
        yield register
    else:
        with open_register(config) as own:
            yield own


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise RegisterError(f"未知的角色「{role}」；可用：{'、'.join(ROLES)}")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(c.isspace() or c in ":/" for c in name):
        raise RegisterError(f"用户名「{name}」无效：须为 1–100 个字符，不含空格、冒号或斜杠")
    return name


def add_user(name: str, role: str, password: str, config: Config, register: Register | None = None) -> User:
    """Create an account; the password is stored only as an argon2 hash."""
    name = _check_name(name)
    _check_role(role)
    if len(password or "") < MIN_PASSWORD:
        raise RegisterError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
    with _opened(config, register) as register:
        row = store.insert_user(register, name, role, _hasher.hash(password))
    return User(row.name, row.role)


def list_users(config: Config, register: Register | None = None) -> list[store.UserRow]:
    with _opened(config, register) as register:
        return store.list_users(register)


def disable_user(name: str, config: Config, register: Register | None = None) -> None:
    """Disable an account and end its sessions (accounts are never deleted)."""
    with _opened(config, register) as register:
        store.update_user(register, name, disabled=True)


def set_password(name: str, password: str, config: Config, register: Register | None = None) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise RegisterError(f"密码太短：至少 {MIN_PASSWORD} 个字符")
    with _opened(config, register) as register:
        store.update_user(register, name, password_hash=_hasher.hash(password), failed_logins=0, locked_until=None)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(name: str, password: str, config: Config, *, register: Register | None = None, now: datetime | None = None) -> Session:
    """Check the password and open a session; :class:`LoginRefused` says why not.

    After ``[web] max_failed_logins`` wrong passwords in a row the account is
    locked for ``[web] lockout_minutes``.
    """
    now = now or utcnow()
    limit = web_setting(config, "max_failed_logins", 5)
    lockout = web_setting(config, "lockout_minutes", 15)
    dummy = _dummy_hash()
    with _opened(config, register) as register:
        row = store.find_user(register, (name or "").strip())
        if row is not None and row.locked_until is not None and row.locked_until > now:
            minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
            raise LoginRefused(f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试")
        try:
            _hasher.verify(row.password_hash if row else dummy, password or "")
            ok = row is not None and not row.disabled
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            if row is not None and not row.disabled:
                count = store.record_failure(register, row.name, limit, now + timedelta(minutes=lockout))
                if count >= limit:
                    raise LoginRefused(f"登录失败次数过多，账户已锁定 {lockout} 分钟")
            raise LoginRefused("用户名或密码错误")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        hours = web_setting(config, "session_hours", 8)
        store.insert_session(register, _token_hash(token), row.name, csrf, now + timedelta(hours=hours))
    return Session(token, csrf, User(row.name, row.role))


def session_for(token: str | None, config: Config, register: Register | None = None) -> Session | None:
    """The live session behind a cookie token, or None (expired, logged out, disabled)."""
    if not token:
        return None
    with _opened(config, register) as register:
        found = store.find_session(register, _token_hash(token))
    if found is None:
        return None
    row, csrf = found
    return Session(token, csrf, User(row.name, row.role))


def logout(token: str | None, config: Config, register: Register | None = None) -> None:
    if token:
        with _opened(config, register) as register:
            store.delete_session(register, _token_hash(token))


def csrf_ok(session: Session, sent: str | None) -> bool:
    """Whether ``sent`` is the session's CSRF token (constant-time comparison)."""
    return bool(sent) and hmac.compare_digest(session.csrf_token.encode(), str(sent).encode())
