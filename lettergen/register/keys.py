"""API keys of the HTTP service, stored in the register's database.

A key is a random token (``lg_`` + 43 URL-safe characters, 256 bits) shown
once when it is created; only its SHA-256 is stored.  A fast hash is the
right one here: the token is random, not a password a person chose, so
there is nothing to guess, and every request checks a key (argon2 would add
tens of milliseconds to each call).  Scopes say what a key may do.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..errors import RegisterError
from .entry import aware, utcnow
from .schema import api_keys

if TYPE_CHECKING:
    from .core import Register

#: What a key may do: read letters, make drafts, issue letters, void/correct/reissue.
KEY_SCOPES = ("read", "draft", "issue", "manage")
TOKEN_PREFIX = "lg_"
_NAME = re.compile(r"^[\w.@-]{1,100}$")


@dataclass(frozen=True)
class ApiKey:
    """One API key as listed (never with its token)."""

    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


_revocations = 0


def revocations() -> int:
    """How many times this process has revoked a key: a cache of verified keys is stale once it changes."""
    return _revocations


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(row) -> ApiKey:
    return ApiKey(row["name"], tuple(row["scopes"].split()), aware(row["created_at"]), aware(row["revoked_at"]))


class KeyStore:
    """Create, list, revoke and check API keys in ``register``'s database."""

    def __init__(self, register: "Register"):
        self.register = register

    def create(self, name: str, scopes: list[str] | tuple[str, ...]) -> tuple[ApiKey, str]:
        """A new key and its token (shown once; only its hash is kept)."""
        if not _NAME.match(name or ""):
            raise RegisterError(f"密钥名称「{name}」无效：只能用字母、数字、下划线、点、@ 和连字符，1 到 100 个字符")
        unknown = [s for s in scopes if s not in KEY_SCOPES]
        if unknown or not scopes:
            raise RegisterError(f"未知或缺少权限范围：{'、'.join(unknown) or '（无）'}；可用：{'、'.join(KEY_SCOPES)}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        ordered = " ".join(s for s in KEY_SCOPES if s in scopes)
        row = dict(name=name, token_hash=token_hash(token), scopes=ordered, created_at=utcnow(), revoked_at=None)
        try:
            with self.register.transaction() as conn:
                conn.execute(sa.insert(api_keys).values(**row))
        except IntegrityError:
            raise RegisterError(f"已有名为「{name}」的密钥（名称不能重复，也不能重用已吊销的名称）") from None
        return _key(row), token

    def list(self) -> list[ApiKey]:
        with self.register.transaction(write=False) as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.name)).mappings().all()
        return [_key(r) for r in rows]

    def revoke(self, name: str) -> ApiKey:
        global _revocations
        _revocations += 1  # keys this process has verified must be checked again (see revocations())
        with self.register.transaction() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.name == name).with_for_update()).mappings().first()
            if row is None:
                raise RegisterError(f"没有名为「{name}」的密钥")
            if row["revoked_at"] is None:
                conn.execute(sa.update(api_keys).where(api_keys.c.id == row["id"]).values(revoked_at=utcnow()))
            row = conn.execute(sa.select(api_keys).where(api_keys.c.id == row["id"])).mappings().first()
        return _key(row)

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key whose token this is, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        query = sa.select(api_keys).where(api_keys.c.token_hash == token_hash(token), api_keys.c.revoked_at.is_(None))
        with self.register.transaction(write=False) as conn:
            row = conn.execute(query).mappings().first()
        return _key(row) if row else None
