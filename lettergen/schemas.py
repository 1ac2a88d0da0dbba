"""Letter kinds and their input contracts, read from ``schemas/*.yaml``.

A kind is a schema file plus a template file: ``schemas/KIND.yaml`` and
``templates/letters/KIND.docx``.  Schema files hold Cerberus rules plus
lettergen's own (documented in ``schemas/_common.yaml``).  This module turns
them into plain Cerberus schemas, a field catalogue (paths and Chinese
labels, for CSV headers and messages) and JSON Schema for other systems.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from .config import deep_merge
from .errors import ConfigError, UnknownKind

COMMON_FILE = "_common.yaml"


@dataclass(frozen=True)
class FieldInfo:
    """One field of a kind: ``path`` uses dots for nesting and ``[]`` for list items."""

    path: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass
class KindSchema:
    """A letter kind's resolved schema and description."""

    kind: str
    name: str
    description: str
    title_suffix: str
    rules: dict[str, Any]
    computed: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    batch: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def fields(self) -> list[FieldInfo]:
        """Every field (leaves and containers), depth first, in schema order."""
        return list(_walk(self.rules, "", ""))

    def label_of(self, path: tuple) -> str:
        """Chinese label chain for a Cerberus document path, e.g. 欠款明细第1项·金额."""
        parts: list[str] = []
        rules: dict[str, Any] | None = {"schema": self.rules, "type": "dict"}
        for step in path:
            if isinstance(step, int):
                if parts:
                    parts[-1] += f"第{step + 1}项"
                else:
                    parts.append(f"第{step + 1}项")
                rules = rules.get("schema") if rules and rules.get("type") == "list" else None
                continue
            schema = (rules or {}).get("schema")
            child = schema.get(step) if isinstance(schema, dict) else None
            if child is None and isinstance(schema, dict) and schema.get("type") == "dict":
                child = (schema.get("schema") or {}).get(step)
            parts.append((child.get("meta") or {}).get("label", step) if child else str(step))
            rules = child
        return "·".join(parts)

    def json_schema(self) -> dict[str, Any]:
        """The input contract as JSON Schema (draft 2020-12)."""
        body = _json_dict(self.rules)
        body.update(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"urn:lettergen:kind:{self.kind}",
                "title": f"{self.name}（{self.kind}）",
                "description": self.description,
            }
        )
        if self.computed:
            body["x-computed"] = copy.deepcopy(self.computed)
        return body


def _walk(rules: dict[str, Any], prefix: str, label_prefix: str) -> Iterator[FieldInfo]:
    for name, rule in rules.items():
        meta = rule.get("meta") or {}
        label = meta.get("label", name)
        path = f"{prefix}{name}"
        ftype = rule.get("type", "string")
        choices = tuple((meta.get("choices") or {}).items())
        yield FieldInfo(path, label, ftype, bool(rule.get("required")), meta.get("help", ""), choices,
                        tuple(meta.get("aliases") or ()))
        if ftype == "dict" and isinstance(rule.get("schema"), dict):
            yield from _walk(rule["schema"], path + ".", label)
        elif ftype == "list" and isinstance(rule.get("schema"), dict):
            item = rule["schema"]
            if item.get("type") == "dict":
                yield from _walk(item["schema"], path + "[].", label)
            else:
                imeta = item.get("meta") or {}
                yield FieldInfo(path + "[]", label, item.get("type", "string"), False, imeta.get("help", ""))


_JSON_TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "boolean": {"type": ["boolean", "string"]},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "decimal": {"type": ["string", "number"], "pattern": r"^[¥￥]?\s*-?[0-9,]+(\.[0-9]{1,2})?\s*元?$"},
}


def _json_field(rule: dict[str, Any]) -> dict[str, Any]:
    ftype = rule.get("type", "string")
    meta = rule.get("meta") or {}
    if ftype == "dict":
        out = _json_dict(rule.get("schema") or {})
    elif ftype == "list":
        out = {"type": "array", "items": _json_field(rule.get("schema") or {})}
        if "minlength" in rule:
            out["minItems"] = rule["minlength"]
        if "maxlength" in rule:
            out["maxItems"] = rule["maxlength"]
    else:
        out = dict(_JSON_TYPES.get(ftype, {}))
        if ftype == "string":
            if "maxlength" in rule:
                out["maxLength"] = rule["maxlength"]
            if rule.get("empty") is False:
                out["minLength"] = 1
            if "regex" in rule:
                out["pattern"] = f"^(?:{rule['regex']})$"
        if "allowed" in rule:
            out["enum"] = list(rule["allowed"])
            choices = meta.get("choices") or {}
            if choices:
                out["x-choices"] = dict(choices)
                out["enum"] += [choices[v] for v in rule["allowed"] if v in choices]
        for key, jkey in (("min", "minimum"), ("max", "maximum")):
            if key in rule and ftype == "integer":
                out[jkey] = rule[key]
    if "label" in meta:
        out["title"] = meta["label"]
    if meta.get("aliases"):
        out["x-aliases"] = list(meta["aliases"])
    description = meta.get("help") or ""
    if meta.get("hint"):
        description = f"{description}（格式：{meta['hint']}）" if description else f"格式：{meta['hint']}"
    if description:
        out["description"] = description
    if "default" in rule:
        out["default"] = rule["default"]
    return out


def _json_dict(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: _json_field(rule) for name, rule in schema.items()},
        "required": [name for name, rule in schema.items() if rule.get("required") and "default" not in rule and "default_setter" not in rule],
        "additionalProperties": False,
    }


def _resolve_uses(rule: Any, definitions: dict[str, Any], source: Path, seen: tuple = ()) -> Any:
    """Expand ``use: NAME`` references recursively (the local keys win)."""
    if isinstance(rule, list):
        return [_resolve_uses(r, definitions, source, seen) for r in rule]
    if not isinstance(rule, dict):
        return rule
    rule = dict(rule)
    name = rule.pop("use", None)
    if name is not None:
        if name not in definitions:
            raise ConfigError(f"{source}：引用了未定义的共享定义「{name}」")
        if name in seen:
            raise ConfigError(f"{source}：共享定义「{name}」循环引用")
        base = _resolve_uses(definitions[name], definitions, source, seen + (name,))
        rule = deep_merge(base, rule)
    return {k: (_resolve_uses(v, definitions, source, seen) if k in ("schema",) or isinstance(v, dict) and k not in ("meta", "default", "required_if") else v) for k, v in rule.items()}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取模式文件 {path}：{exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"模式文件 {path} 应为映射（YAML 字典）")
    return data


@lru_cache(maxsize=64)
def _load_cached(schemas_dir: str, kind: str, mtimes: tuple) -> KindSchema:
    folder = Path(schemas_dir)
    common = _read_yaml(folder / COMMON_FILE) if (folder / COMMON_FILE).is_file() else {}
    path = folder / f"{kind}.yaml"
    own = _read_yaml(path)
    definitions = dict(common.get("definitions") or {})
    definitions.update(own.get("definitions") or {})
    merged = deep_merge(common.get("fields") or {}, own.get("fields") or {})
    rules = {name: _resolve_uses(rule, definitions, path) for name, rule in merged.items()}
    return KindSchema(
        kind=own.get("kind", kind),
        name=own.get("name", kind),
        description=own.get("description", ""),
        title_suffix=own.get("title_suffix", "函"),
        rules=rules,
        computed=dict(own.get("computed") or {}),
        path=path,
        batch=dict(own.get("batch") or {}),
    )


def kind_names(schemas_dir: Path) -> list[str]:
    """Kinds that have a schema file (files starting with ``_`` are shared parts)."""
    return sorted(p.stem for p in Path(schemas_dir).glob("*.yaml") if not p.stem.startswith("_"))


def load_kind(schemas_dir: Path, kind: str) -> KindSchema:
    """Load one kind's resolved schema; :class:`UnknownKind` if there is none.

    The schema is shared by every caller while its files are unchanged (its
    ``cache`` keeps the compiled validators): treat it as read-only.
    """
    folder = Path(schemas_dir)
    path = folder / f"{kind}.yaml"
    if not kind or "/" in kind or "\\" in kind or kind.startswith(("_", ".")) or not path.is_file():
        raise UnknownKind(kind, kind_names(folder))
    common = folder / COMMON_FILE
    mtimes = (path.stat().st_mtime_ns, common.stat().st_mtime_ns if common.is_file() else 0)
    return _load_cached(str(folder.resolve()), kind, mtimes)
