"""Validation and normalisation of letter data: the only Cerberus user.

:func:`validate` returns the normalised document (dates, decimals, choice
keys) with every problem at once, each naming the field by path and Chinese
label, in Chinese.  Strings are trimmed; empty cells count as missing;
control characters other than newline and tab are rejected.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cerberus import TypeDefinition, Validator
from cerberus.schema import DefinitionSchema

from .fastcheck import fast_check_for
from .parsing import parse_date, parse_datetime, parse_decimal, uscc_is_valid  # noqa: F401 (public here too)
from .models import Problem, value_at
from .schemas import KindSchema

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")
_TRUE = {"是", "true", "yes", "y", "1", "√", "✓", "对"}
_FALSE = {"否", "false", "no", "n", "0", "×", "不是"}

TYPE_MESSAGES = {
    "string": "应为文字",
    "integer": "应为整数",
    "boolean": "应为“是”或“否”",
    "date": "不是有效的日期",
    "datetime": "不是有效的日期时间（须含时刻）",
    "decimal": "不是有效的金额",
    "list": "应为多项列表",
    "dict": "应为一组字段",
}


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    if not isinstance(a, date) or not isinstance(b, date):
        return None
    if isinstance(a, datetime) != isinstance(b, datetime):
        a = a.date() if isinstance(a, datetime) else a
        b = b.date() if isinstance(b, datetime) else b
    return a, b


class LetterValidator(Validator):
    """Cerberus with decimals, Chinese-friendly coercers and cross-field rules."""

    types_mapping = Validator.types_mapping.copy()
    types_mapping["decimal"] = TypeDefinition("decimal", (Decimal,), ())

    def _normalize_coerce_to_date(self, value):
        return parse_date(value) or value

    def _normalize_coerce_to_datetime(self, value):
        return parse_datetime(value) or value

    def _normalize_coerce_to_decimal(self, value):
        parsed = parse_decimal(value)
        if parsed is None and isinstance(value, Decimal):
            return str(value)  # NaN or infinity (from a program): not an amount, and said so by the type rule
        return value if parsed is None else parsed

    def _normalize_coerce_to_int(self, value):
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        return value

    def _normalize_coerce_to_bool(self, value):
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        return value

    def _normalize_default_setter_today(self, document):
        return self._config.get("today") or date.today()

    def _validate_meta(self, constraint, field, value):
        """{'type': 'dict'}"""

    def _validate_required_if(self, constraint, field, value):
        """{'type': 'dict'}"""
        # Enforced by _conditional_required: Cerberus only runs rules of present fields.

    def _validate_max_decimals(self, constraint, field, value):
        """{'type': 'integer'}"""
        if isinstance(value, Decimal) and value.as_tuple().exponent < -constraint:
            self._error(field, f"最多保留{constraint}位小数")

    def _validate_after_field(self, constraint, field, value):
        """{'type': 'string'}"""
        self._compare(constraint, field, value, strict=True)

    def _validate_not_before_field(self, constraint, field, value):
        """{'type': 'string'}"""
        self._compare(constraint, field, value, strict=False)

    def _validate_uscc(self, constraint, field, value):
        """{'type': 'boolean'}"""
        if constraint and isinstance(value, str) and len(value) == 18 and not uscc_is_valid(value):
            self._config["warnings"].append((self.document_path + (field,), value, "校验码与前17位不符，请核对"))

    def _compare(self, other: str, field: str, value: Any, *, strict: bool) -> None:
        scope = self.root_document if "." in other or other not in (self.document or {}) else self.document
        target = value_at(scope, other)
        pair = _comparable(value, target)
        if pair is None:
            return
        mine, theirs = pair
        other_path = tuple(other.split(".")) if scope is self.root_document else self.document_path + (other,)
        label = self._config["kind_schema"].label_of(other_path)
        if strict and not mine > theirs:
            self._error(field, f"须晚于「{label}」（{theirs}）")
        elif not strict and mine < theirs:
            self._error(field, f"不能早于「{label}」（{theirs}）")


class _CheckedSchema(DefinitionSchema):
    """A root schema Cerberus has already checked once.

    Cerberus 1.3 copies the root schema on every ``validate()`` and re-checks
    each field of the copy (hashing the whole schema each time), which costs
    milliseconds per document; in a 10,000-row batch that dominates.  The
    schema cannot change between documents, so copies skip the re-check.
    """

    def __init__(self, validator, schema):  # noqa: D107 - no re-validation, see class doc
        self.validator = validator
        self.schema = dict(schema)

    def __setitem__(self, key, value):
        self.schema[key] = value

    def copy(self):
        return _CheckedSchema(self.validator, self.schema)


def _validator_for(kind: KindSchema) -> LetterValidator:
    """One validator per loaded kind and thread (a validator holds its document), schema checked once."""
    mine = kind.cache.setdefault("validators", threading.local())
    validator = getattr(mine, "validator", None)
    if validator is None:
        validator = LetterValidator(kind.rules, kind_schema=kind, warnings=[], today=None)
        validator.schema = _CheckedSchema(validator, validator.schema.schema)
        mine.validator = validator
    return validator


@dataclass
class ValidationResult:
    document: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _clean(value: Any, rules: dict | None, path: tuple, kind: KindSchema, problems: list[Problem]) -> Any:
    """Trim strings, drop empties, map Chinese choice names, flag control characters."""
    rules = rules or {}
    if isinstance(value, dict):
        schema = rules.get("schema") if rules.get("type", "dict") == "dict" else None
        out = {}
        for key, item in value.items():
            child = schema.get(key) if isinstance(schema, dict) else None
            cleaned = _clean(item, child, path + (key,), kind, problems)
            if cleaned is not None:
                out[key] = cleaned
        return out
    if isinstance(value, list):
        item_rules = rules.get("schema") if rules.get("type") == "list" else None
        cleaned = [_clean(v, item_rules, path + (i,), kind, problems) for i, v in enumerate(value)]
        return [v for v in cleaned if v is not None]
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            return None
        bad = _CONTROL.search(text)
        if bad:
            problems.append(Problem(_dotted(path), kind.label_of(path), f"含有不可见的控制字符（U+{ord(bad.group()):04X}），请删除后重试", text))
        choices = (rules.get("meta") or {}).get("choices") or {}
        for key, name in choices.items():
            if text == name:
                return key
        return text
    return value


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _conditional_required(rules: dict, document: Any, path: tuple, kind: KindSchema, out: list[Problem]) -> None:
    if not isinstance(document, dict):
        return
    for name, rule in rules.items():
        cond = rule.get("required_if") or {}
        if name not in document and cond:
            for other, values in cond.items():
                if document.get(other) in values:
                    choices = (kind_rule_meta(rules, other).get("choices") or {})
                    shown = choices.get(document[other], document[other])
                    out.append(Problem(_dotted(path + (name,)), kind.label_of(path + (name,)), f"「{kind.label_of(path + (other,))}」为“{shown}”时必填"))
        value = document.get(name)
        if rule.get("type") == "dict" and isinstance(rule.get("schema"), dict):
            _conditional_required(rule["schema"], value, path + (name,), kind, out)
        elif rule.get("type") == "list" and isinstance(value, list):
            item = rule.get("schema") or {}
            if item.get("type") == "dict" and isinstance(item.get("schema"), dict):
                for i, v in enumerate(value):
                    _conditional_required(item["schema"], v, path + (name, i), kind, out)


def kind_rule_meta(rules: dict, name: str) -> dict:
    return (rules.get(name) or {}).get("meta") or {}


def _rule_at(kind: KindSchema, path: tuple) -> dict:
    rules: dict = {"type": "dict", "schema": kind.rules}
    for step in path:
        if isinstance(step, int):
            rules = rules.get("schema") or {}
        else:
            schema = rules.get("schema") or {}
            rules = schema.get(step) or {} if isinstance(schema, dict) else {}
    return rules


def _message(error, kind: KindSchema) -> str:
    rule, constraint = error.rule, error.constraint
    target = _rule_at(kind, error.document_path)
    meta = target.get("meta") or {}
    hint = f"，可写作：{meta['hint']}" if meta.get("hint") else ""
    if error.code == 0x03:
        return f"不是「{kind.name}」的字段（请检查拼写）"
    if rule == "required":
        return "必填，不能缺少"
    if rule in ("empty", "nullable"):
        return "不能为空"
    if rule == "type":
        return TYPE_MESSAGES.get(constraint, f"类型应为 {constraint}") + hint
    if rule == "minlength":
        return f"至少需要{constraint}项" if target.get("type") == "list" else f"至少{constraint}个字符"
    if rule == "maxlength":
        if target.get("type") == "list":
            return f"最多{constraint}项"
        return f"不能超过{constraint}个字符（当前{len(error.value)}个）"
    if rule == "min":
        return f"不能小于 {constraint}"
    if rule == "max":
        return f"不能大于 {constraint}"
    if rule == "allowed":
        choices = meta.get("choices") or {}
        options = "、".join(f"{choices[v]}（{v}）" if v in choices else str(v) for v in constraint)
        return f"只能填写：{options}"
    if rule == "regex":
        return "格式不正确" + (f"，应如：{meta['hint']}" if meta.get("hint") else "")
    if error.info and isinstance(error.info[0], str):
        return error.info[0]
    return f"不符合规则 {rule}"


def _leaves(errors):
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield error


def validate(kind: KindSchema, data: dict[str, Any], *, today: date | None = None) -> ValidationResult:
    """Validate and normalise ``data`` against ``kind``; every problem at once."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return ValidationResult({}, [Problem("", kind.name, "输入应为一组字段（YAML/JSON 映射）", data)])
    cleaned = _clean(data, {"type": "dict", "schema": kind.rules}, (), kind, problems)
    validator = _validator_for(kind)
    fast = None if problems else fast_check_for(kind, validator).valid_document(cleaned, today)
    if fast is not None:  # plainly valid: exactly what Cerberus would give, without its cost
        _conditional_required(kind.rules, fast, (), kind, problems)
        return ValidationResult(fast, sorted(problems, key=_problem_order(kind)) if problems else problems)
    warnings: list[tuple] = []
    validator._config.update(warnings=warnings, today=today)
    validator.validate(cleaned)
    document = validator.document if validator.document is not None else cleaned
    seen = {(p.path, p.message) for p in problems}
    for error in _leaves(validator._errors):
        path = error.document_path
        problem = Problem(_dotted(path), kind.label_of(path), _message(error, kind), error.value)
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            problems.append(problem)
    _conditional_required(kind.rules, document, (), kind, problems)
    warned = [Problem(_dotted(p), kind.label_of(p), msg, value, severity="warning") for p, value, msg in warnings]
    if problems:
        problems.sort(key=_problem_order(kind))
    return ValidationResult(document, problems, warned)


def _problem_order(kind: KindSchema):
    """Sort problems in the order of the form: field order, then list position."""
    order = {f.path.replace("[]", ""): i for i, f in enumerate(kind.fields())}

    def key(problem: Problem) -> tuple:
        out: list[int] = []
        names: list[str] = []
        for part in problem.path.split(".") if problem.path else []:
            if part.isdigit():
                out.append(int(part))
            else:
                names.append(part)
                out.append(order.get(".".join(names), len(order)))
        return tuple(out)

    return key
