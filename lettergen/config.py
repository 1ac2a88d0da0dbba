"""Settings: the organisation's defaults, numbering, policy, paths.

Read from ``lettergen.toml`` in the working folder (or the file given with
``--config``); anything not set there falls back to :data:`DEFAULTS`.
Relative paths in the file are relative to the file's folder.
"""
from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .settings_check import check_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_NAME = "lettergen.toml"

DEFAULTS: dict[str, Any] = {
    "organisation": {},
    "contact": {},
    "bank": {},
    "numbering": {
        "org": "",
        "pattern": "{org}{code}函〔{year}〕{seq}号",
        "width": 0,
        "codes": {
            "sales_letter": "销",
            "payment_reminder": "催",
            "complaint_response": "诉",
            "after_sales": "服",
        },
    },
    "policy": {
        "cancel_free_hours": 48,
        "cancel_fee_rate": "0.10",
        "return_days": 7,
        "payment_deadline_working_days": 5,
        "reply_working_days": 5,
        "thank_you_days": 7,
    },
    "calendar": {"holidays": [], "workdays": []},
    "register": {"url": "sqlite:///lettergen-register.sqlite", "id": ""},
    "output": {"dir": "out", "filename": "{number}_{customer}"},
    "style": {"profile": "song"},
    "layout": {"fit": "auto"},
    "pdf": {"instances": 0, "archival": False},
    "paths": {
        "templates": str(PROJECT_DIR / "templates" / "letters"),
        "schemas": str(PROJECT_DIR / "schemas"),
        "samples": str(PROJECT_DIR / "samples"),
    },
    "issued_by": "",
    # bounds on input files: rows, cells, xlsx members, nesting (see README "Limits")
    "limits": {"max_rows": 100_000, "max_cells": 2_000_000, "xlsx_max_member_mb": 200,
               "xlsx_max_ratio": 200, "max_depth": 64},
    "service": {
        "public_url": "",             # e.g. https://letters.example.cn: letters link to its /v/ page
        "data_dir": "service-data",   # uploaded sheets and batch results
        "max_upload_mb": 20,
        "rate_limit": 600,            # requests per minute per API key and worker (0: no limit)
        "verify_rate_limit": 30,      # /v/ page requests per minute per client address and worker
        "key_cache_seconds": 2,       # a verified API key is trusted this long (revocation takes effect within it)
        "batch_jobs": 1,              # processes per batch job
        "runner": "embedded",         # where batch jobs run: inside the server's own processes
    },
    "web": {                          # the web page for clerks (lettergen.web)
        "max_failed_logins": 5,       # wrong passwords in a row before an account is locked
        "lockout_minutes": 15,
        "session_hours": 8,
        "preview": "auto",            # "html": always the text preview, never LibreOffice
    },
}


def deep_merge(base: dict, over: dict) -> dict:
    """A copy of ``base`` with ``over`` merged in, nested dicts key by key."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Config:
    """Effective settings; ``source`` is the file they came from, if any."""

    data: dict[str, Any]
    base_dir: Path
    source: Path | None = None

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.data.get(name) or {})

    def path(self, value: str | os.PathLike) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def templates_dir(self) -> Path:
        return self.path(self.data["paths"]["templates"])

    @property
    def schemas_dir(self) -> Path:
        return self.path(self.data["paths"]["schemas"])

    @property
    def samples_dir(self) -> Path:
        return self.path(self.data["paths"]["samples"])

    @property
    def output_dir(self) -> Path:
        return self.path(self.data["output"]["dir"])

    @property
    def filename_pattern(self) -> str:
        return self.data["output"]["filename"]

    @property
    def style_profile(self) -> str:
        return self.data["style"]["profile"]

    @property
    def register_url(self) -> str:
        url = os.environ.get("LETTERGEN_REGISTER_URL") or self.data["register"]["url"]
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str(self.path(url[len(prefix):]))
        return url

    @property
    def issued_by(self) -> str:
        return self.data.get("issued_by") or os.environ.get("USER") or os.environ.get("USERNAME") or ""

    def service(self, key: str) -> Any:
        """A ``[service]`` setting (HTTP service), falling back to the default."""
        return self.data.get("service", {}).get(key, DEFAULTS["service"][key])

    def policy_decimal(self, key: str) -> Decimal:
        raw = self.data["policy"][key]
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            raise ConfigError(f"配置项 policy.{key} 应为数字，当前为 {raw!r}") from None

    def policy_int(self, key: str) -> int:
        raw = self.data["policy"][key]
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"配置项 policy.{key} 应为整数，当前为 {raw!r}")
        return raw

    def limit(self, key: str) -> int:
        """A bound from ``[limits]`` (see :data:`DEFAULTS`)."""
        return int(self.data.get("limits", {}).get(key, DEFAULTS["limits"][key]))

    def number_code(self, kind: str) -> str:
        return str(self.data["numbering"]["codes"].get(kind, ""))


def load_config(path: str | os.PathLike | None = None, *, cwd: str | os.PathLike | None = None) -> Config:
    """Load ``path``, or ``lettergen.toml`` in ``cwd`` if present, over the defaults."""
    folder = Path(cwd or os.getcwd())
    if path is None:
        candidate = folder / CONFIG_NAME
        if not candidate.is_file():
            return Config(copy.deepcopy(DEFAULTS), folder, None)
        path = candidate
    file = Path(path)
    try:
        with open(file, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件 {file}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {file} 格式错误：{exc}") from None
    check_settings(raw, file)
    return Config(deep_merge(DEFAULTS, raw), file.resolve().parent, file.resolve())
