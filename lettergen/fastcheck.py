"""A fast path for validating valid letters: each kind's schema compiled into plain checks.

Cerberus stays the reference (:mod:`lettergen.validation`).  Validating a
row with Cerberus costs about 2 ms, most of it in its generic machinery, and
a batch validates thousands of rows that are almost all valid.  So each
kind's rules are compiled once into plain Python checks that normalise a
document exactly as Cerberus does (defaults, default setters, coercion —
with the very same coercer methods — nested dicts and lists, in Cerberus's
order) and then test every rule.

The fast path only ever answers "valid, and this is the normalised
document".  Whenever a rule does not plainly pass — a problem, a warning to
give, a value of an unexpected type, an exception, a rule it does not know —
it answers ``None`` and the caller asks Cerberus, which then produces the
problems and messages as always.  ``tests/test_fastcheck.py`` checks with
hypothesis, on random and hostile documents, that whenever the fast path
answers, Cerberus gives no problem, no warning and the same document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from .models import value_at
from .schemas import KindSchema

# Rules the compiler understands; a kind using any other rule is always validated by Cerberus.
KNOWN_RULES = {"type", "required", "empty", "maxlength", "minlength", "regex", "allowed", "min", "max", "coerce",
               "default", "default_setter", "schema", "meta", "max_decimals", "after_field", "not_before_field",
               "uscc", "required_if"}
_EXACT_TYPES = {"string": str, "integer": int, "boolean": bool, "date": date, "datetime": datetime,
                "decimal": Decimal, "dict": dict, "list": list}
_NO_DEFAULT = object()


class _Unsure(Exception):
    """Not plainly valid: let Cerberus decide."""


class Unsupported(Exception):
    """The schema uses something the compiler does not know."""


@dataclass
class _Rule:
    name: str | int
    type: type
    required: bool = False
    coerce: Callable[[Any], Any] | None = None
    default: Any = _NO_DEFAULT
    setter: bool = False
    checks: list[Callable[[Any], bool]] = field(default_factory=list)
    compare: tuple[str, bool] | None = None  # (other field, strictly later)
    uscc: bool = False
    fields: dict[str, "_Rule"] | None = None  # dict: its fields
    item: "_Rule | None" = None  # list: its item rule


def _compile_rule(name: str | int, rules: dict, coercers: dict[str, Callable], *, in_mapping: bool) -> _Rule:
    unknown = set(rules) - KNOWN_RULES
    if unknown or rules.get("type") not in _EXACT_TYPES:
        raise Unsupported(f"{name}: {sorted(unknown) or rules.get('type')}")
    rule = _Rule(name, _EXACT_TYPES[rules["type"]], bool(rules.get("required")))
    if "coerce" in rules:
        if rules["coerce"] not in coercers:
            raise Unsupported(f"{name}: coerce {rules['coerce']}")
        rule.coerce = coercers[rules["coerce"]]
    if "default" in rules:
        rule.default = rules["default"]
    if "default_setter" in rules:
        if rules["default_setter"] != "today":
            raise Unsupported(f"{name}: default_setter {rules['default_setter']}")
        rule.setter = True
    if (rule.default is not _NO_DEFAULT or rule.setter or rule.required) and not in_mapping:
        raise Unsupported(f"{name}: defaults of list items")
    checks = rule.checks
    if "maxlength" in rules:
        checks.append(lambda v, n=rules["maxlength"]: len(v) <= n)
    if "minlength" in rules:
        checks.append(lambda v, n=rules["minlength"]: len(v) >= n)
    if "regex" in rules:
        pattern = rules["regex"] if rules["regex"].endswith("$") else rules["regex"] + "$"  # as Cerberus
        checks.append(lambda v, rx=re.compile(pattern): rx.match(v) is not None)
    if "allowed" in rules:
        checks.append(lambda v, allowed=rules["allowed"]: not isinstance(v, (list, dict)) and v in allowed)
    if "min" in rules:
        checks.append(lambda v, n=rules["min"]: not v < n)
    if "max" in rules:
        checks.append(lambda v, n=rules["max"]: not v > n)
    if "max_decimals" in rules:
        checks.append(lambda v, n=rules["max_decimals"]: not (isinstance(v, Decimal) and v.as_tuple().exponent < -n))
    for key, strict in (("after_field", True), ("not_before_field", False)):
        if key in rules:
            if not in_mapping:
                raise Unsupported(f"{name}: {key} on a list item")
            rule.compare = (rules[key], strict)
    rule.uscc = bool(rules.get("uscc"))
    sub = rules.get("schema")
    if rule.type is dict and isinstance(sub, dict):
        rule.fields = _compile_mapping(sub, coercers)
    elif rule.type is list and isinstance(sub, dict):
        rule.item = _compile_rule(0, sub, coercers, in_mapping=False)
    elif sub is not None:
        raise Unsupported(f"{name}: schema of a {rules['type']}")
    return rule


def _compile_mapping(schema: dict, coercers: dict[str, Callable]) -> dict[str, _Rule]:
    return {name: _compile_rule(name, rules, coercers, in_mapping=True) for name, rules in schema.items()}


class NoFastCheck:
    """For a kind whose schema cannot be compiled: always ask Cerberus."""

    def valid_document(self, document: dict, today: date | None = None) -> None:
        return None


class FastCheck:
    """One kind's compiled checks; :meth:`valid_document` or ``None``."""

    def __init__(self, kind: KindSchema, validator: Any):
        prefix = "_normalize_coerce_"
        coercers = {name[len(prefix):]: getattr(validator, name) for name in dir(validator) if name.startswith(prefix)}
        self.fields = _compile_mapping(kind.rules, coercers)

    def valid_document(self, document: dict, today: date | None = None) -> dict | None:
        """The document as Cerberus would normalise it, if it is plainly valid; else None."""
        try:
            normal = _normalise_mapping(document, self.fields, today)
            _check_mapping(normal, self.fields, normal)
            return normal
        except _Unsure:
            return None
        except Exception:  # noqa: BLE001 - anything odd is Cerberus's to judge
            return None


def fast_check_for(kind: KindSchema, validator: Any) -> FastCheck | NoFastCheck:
    """The kind's compiled checks, made once per loaded kind (``validator``: its Cerberus validator)."""
    fast = kind.cache.get("fastcheck")
    if fast is None:
        try:
            fast = FastCheck(kind, validator)
        except Unsupported:
            fast = NoFastCheck()
        kind.cache["fastcheck"] = fast
    return fast


def _normalise_mapping(mapping: Any, fields: dict[str, _Rule], today: date | None) -> dict:
    if type(mapping) is not dict or not mapping.keys() <= fields.keys():
        raise _Unsure  # unknown fields or not a mapping: Cerberus reports them
    out = dict(mapping)
    empty = [name for name in fields if out.get(name) is None]
    for name in empty:
        if fields[name].default is not _NO_DEFAULT:
            out[name] = fields[name].default
    for name in empty:
        if fields[name].setter:
            out[name] = today or date.today()
    for name, value in out.items():
        out[name] = _normalise_value(value, fields[name], today)
    return out


def _normalise_value(value: Any, rule: _Rule, today: date | None) -> Any:
    if rule.coerce is not None:
        value = rule.coerce(value)
    if rule.fields is not None and isinstance(value, dict):
        return _normalise_mapping(value, rule.fields, today)
    if rule.item is not None and isinstance(value, list):
        return [_normalise_value(v, rule.item, today) for v in value]
    return value


def _check_mapping(mapping: dict, fields: dict[str, _Rule], root: dict) -> None:
    for name, rule in fields.items():
        if name not in mapping:
            if rule.required:
                raise _Unsure
            continue
        _check_value(mapping[name], rule, mapping, root)


def _check_value(value: Any, rule: _Rule, mapping: dict | None, root: dict) -> None:
    if type(value) is not rule.type or (hasattr(value, "__len__") and len(value) == 0):
        raise _Unsure
    for check in rule.checks:
        if not check(value):
            raise _Unsure
    if rule.compare is not None:
        _check_order(value, rule.compare, mapping, root)
    if rule.uscc and len(value) == 18:
        from .parsing import uscc_is_valid

        if not uscc_is_valid(value):
            raise _Unsure  # a warning to give: Cerberus's path gives it
    if rule.fields is not None:
        _check_mapping(value, rule.fields, root)
    elif rule.item is not None:
        for item in value:
            _check_value(item, rule.item, None, root)


def _check_order(value: Any, compare: tuple[str, bool], mapping: dict, root: dict) -> None:
    """``after_field`` / ``not_before_field`` as :meth:`LetterValidator._compare` reads them."""
    from .validation import _comparable

    other, strict = compare
    scope = root if "." in other or other not in mapping else mapping
    pair = _comparable(value, value_at(scope, other))
    if pair is None:
        return
    mine, theirs = pair
    if (strict and not mine > theirs) or (not strict and mine < theirs):
        raise _Unsure
