"""Template contract: every template against its kind's schema and the sandbox.

For each kind (``schemas/KIND.yaml``) and each of its templates (the default
``templates/letters/KIND.docx`` and profile variants such as
``templates/letters/fangsong/KIND.docx``) :func:`check_templates` reports:

* ``template-missing`` / ``template-syntax`` (error) – no template, or it does
  not compile (through :func:`lettergen.rendering.load_template`, as rendering does);
* ``template-undeclared`` (error) – a variable that is neither a schema field,
  a ``<field>_name`` of a field with choices, a ``computed`` name nor one of
  the rendering context's own names (``number``, ``corrects``, ``loop``).  Attributes of a
  text value (``description.rstrip``) and anything below a computed name are
  accepted;
* ``computed-undeclared`` (info) – the variable is not declared but the kind's
  sample shows lettergen computes it: declare it under ``computed``;
* ``required-unused`` (warning) – a required field no template of the kind
  shows (a ``computed`` entry may list the fields it is made from under
  ``from:``, which then count as shown);
* ``sandbox-*`` (error) – expressions that try to leave Jinja's sandbox or
  cost unbounded time: attributes or keys starting with ``_``
  (``''.__class__``), the names ``self``, ``cycler``, ``joiner``, ``namespace``,
  ``lipsum``, ``range`` unless called with constant bounds of at most
  :data:`RANGE_LIMIT` items, and ``include``/``import``/``extends`` (a letter
  template is one self-contained file).  ``**`` is a warning (huge numbers).
  The sandbox would refuse most of these at render time; the check catches
  them before a batch starts.  Also errors: ``*`` by a constant above
  :data:`REPEAT_LIMIT` or by a power (``{{ 'a'*10**9 }}``, ``{{ name*10**8 }}``),
  ``**`` with an exponent above the renderer's limit, and ``range`` loops
  nested so deep that they run more than :data:`NESTED_LIMIT` times;
* ``template-untrusted`` (error) – a macro-enabled template, or one that links
  an image, object, style sheet or attached template outside itself;
* ``template-orphan`` (warning) – a template without a schema.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Iterator

from jinja2 import TemplateSyntaxError, nodes

from ..api import load_data
from ..config import Config
from ..errors import LettergenError, TemplateError
from ..housestyle import DEFAULT_PROFILE, PROFILES
from ..letters import RENDER_NAMES, prepare
from ..rendering import LIMITS, load_template, make_environment, template_references, template_sources
from ..rendering.sources import read_entries
from ..packagetrust import untrusted_reasons
from ..schemas import KindSchema, kind_names, load_kind
from .findings import Finding

#: Names the rendering adds to every context (opaque: anything below them is accepted).
CONTEXT_NAMES = frozenset(RENDER_NAMES) | {"loop"}
UNSAFE_NAMES = frozenset({"self", "cycler", "joiner", "namespace", "lipsum", "range", "dict"})
RANGE_LIMIT = 1000
REPEAT_LIMIT = LIMITS.repeat
NESTED_LIMIT = 10_000
_TAG = re.compile(r"<[^>]+>")
_env = make_environment()


def template_variants(config: Config, kind: str) -> list[tuple[str, Path]]:
    """(profile, path) of the kind's templates: the default one and existing profile variants."""
    base = config.templates_dir
    out = [(DEFAULT_PROFILE, base / f"{kind}.docx")]
    out += [(p, base / p / f"{kind}.docx") for p in PROFILES if p != DEFAULT_PROFILE and (base / p / f"{kind}.docx").is_file()]
    return out


def check_templates(config: Config) -> list[Finding]:
    """Contract findings for every kind's templates (see the module docstring)."""
    findings: list[Finding] = []
    kinds = kind_names(config.schemas_dir)
    for kind in kinds:
        try:
            schema = load_kind(config.schemas_dir, kind)
        except LettergenError as exc:
            findings.append(Finding("schema-invalid", str(exc), None, f"{kind}.yaml"))
            continue
        findings += check_kind(config, schema)
    for folder in [config.templates_dir] + [config.templates_dir / p for p in PROFILES]:
        for path in sorted(folder.glob("*.docx")) if folder.is_dir() else []:
            if path.stem not in kinds:
                findings.append(Finding("template-orphan", f"模板没有对应的模式文件 schemas/{path.stem}.yaml，无法使用",
                                        None, _shown(config, path), "warning"))
    return findings


def check_kind(config: Config, schema: KindSchema) -> list[Finding]:
    declared = Declared(schema)
    findings: list[Finding] = []
    used: set[str] = set()
    sample_paths: set[str] | None = None
    for profile, path in template_variants(config, schema.kind):
        where = _shown(config, path)
        if not path.is_file():
            findings.append(Finding("template-missing", f"信函类型「{schema.name}」没有模板文件", None, where))
            continue
        untrusted = _untrusted(path)
        if untrusted:
            findings += [Finding("template-untrusted", reason, None, where) for reason in untrusted]
            continue
        try:
            load_template(path)
            refs = template_references(path)
        except TemplateError as exc:
            findings.append(Finding("template-syntax", str(exc), None, where))
            continue
        used |= refs
        for ref in sorted(refs):
            if declared.accepts(ref) or re.split(r"[.\[]", ref)[0] in _env.globals:
                continue  # Jinja's own globals are judged by check_sandbox
            if sample_paths is None:
                sample_paths = _sample_paths(config, schema)
            if ref in sample_paths:
                findings.append(Finding("computed-undeclared", f"模板使用的变量 {ref} 由程序计算，但未在模式的 computed 中声明",
                                        None, where, "info"))
            else:
                findings.append(Finding("template-undeclared", f"模板使用的变量 {ref} 未在模式「{schema.kind}」中声明"
                                        "（字段、computed 或 number）", None, where))
        findings += check_sandbox(path, where)
    if used:
        for field in declared.required_leaves():
            if not declared.is_used(field.path, used):
                findings.append(Finding("required-unused", f"必填字段「{field.label}」（{field.path}）没有任何模板使用",
                                        None, f"{schema.kind}.yaml", "warning"))
    return findings


class Declared:
    """The names a kind's templates may read."""

    def __init__(self, schema: KindSchema):
        self.fields = {f.path: f for f in schema.fields()}
        self.names = set(self.fields) | CONTEXT_NAMES
        self.names |= {f"{f.path}_name" for f in self.fields.values() if f.choices}
        self.computed = set(schema.computed) | CONTEXT_NAMES
        self.sources = {src for spec in schema.computed.values() if isinstance(spec, dict)
                        for src in spec.get("from") or []}

    def accepts(self, ref: str) -> bool:
        if ref in self.names or ref in self.computed:
            return True
        for prefix in _prefixes(ref):
            if prefix in self.computed:
                return True
            field = self.fields.get(prefix)
            if field is not None and field.type not in ("dict", "list"):
                return True  # a method or the characters of a text value
        return False

    def required_leaves(self) -> Iterator[Any]:
        for field in self.fields.values():
            if field.required and field.type not in ("dict", "list"):
                yield field

    def is_used(self, path: str, used: set[str]) -> bool:
        if path in self.sources:
            return True
        for ref in used:
            if ref == path or ref.startswith((f"{path}.", f"{path}[]", f"{path}_name")):
                return True
            if path.startswith((f"{ref}.", f"{ref}[]")):
                return True  # the template reads the whole container
        return False


def _prefixes(ref: str) -> list[str]:
    """``a[].b.c`` -> ``a``, ``a[]``, ``a[].b`` (shortest first)."""
    out = []
    for m in re.finditer(r"\.|\[\]", ref):
        if m.start():
            out.append(ref[:m.start()])
        if m.group() == "[]" and m.end() < len(ref):
            out.append(ref[:m.end()])
    return out


def _sample_paths(config: Config, schema: KindSchema) -> set[str]:
    """Every path of the context the kind's sample produces (empty if it has none)."""
    path = config.samples_dir / f"{schema.kind}.yaml"
    try:
        context = prepare(schema, load_data(path), config).context
    except (LettergenError, OSError):
        return set()
    out: set[str] = set()
    _walk(context, "", out)
    return out


def _walk(value: Any, prefix: str, out: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            out.add(path)
            _walk(item, path + ".", out)
    elif isinstance(value, list):
        base = prefix[:-1] + "[]"
        out.add(base)
        for item in value:
            _walk(item, base + ".", out)


def check_sandbox(path: Path, where: str) -> list[Finding]:
    """Sandbox findings for one template file (every tagged part)."""
    try:
        sources = template_sources(path)
    except TemplateError as exc:
        return [Finding("template-syntax", str(exc), None, where)]
    out = []
    for part, source in sources.items():
        try:
            ast = _env.parse(source)
        except TemplateSyntaxError:
            continue  # reported by template-syntax
        lines = source.splitlines()
        for node, code, message, severity in _unsafe(ast):
            line = lines[node.lineno - 1] if 0 < node.lineno <= len(lines) else ""
            text = _TAG.sub("", line).strip()
            out.append(Finding(code, message, None, f"{where}（{part}）「{text[:40]}」", severity))
    return out


def _untrusted(path: Path) -> list[str]:
    try:
        return untrusted_reasons(path.name, read_entries(path)[1])
    except TemplateError:
        return []  # not a zip, or a zip bomb: reported by template-syntax through load_template


def _unsafe(ast: nodes.Node) -> Iterator[tuple[nodes.Node, str, str, str]]:
    yield from _expensive(ast)
    ranges_ok: set[int] = set()
    for node in ast.find_all(nodes.Call):
        if isinstance(node.node, nodes.Name) and node.node.name == "range":
            if _small_range(node):
                ranges_ok.add(id(node.node))
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Pow,
                              nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            yield node, "sandbox-attribute", f"访问以下划线开头的属性 .{node.attr}，试图越出模板沙箱", "error"
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            yield node, "sandbox-attribute", f"访问以下划线开头的键 [{node.arg.value!r}]，试图越出模板沙箱", "error"
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name in UNSAFE_NAMES \
                and id(node) not in ranges_ok:
            detail = f"（常量范围且不超过 {RANGE_LIMIT} 项时允许）" if node.name == "range" else ""
            yield node, "sandbox-name", f"使用了模板不应使用的全局名称 {node.name}{detail}", "error"
        elif isinstance(node, nodes.Pow) and not _huge(node):
            yield node, "sandbox-expensive", "使用了乘方运算 **，可能产生极大的数而耗尽资源", "warning"
        elif isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            yield node, "sandbox-include", "信函模板应自成一体，不得 include、import 或 extends 其他模板", "error"


def _constant(node: nodes.Node) -> float | None:
    """The value of a constant integer expression (inf when it is astronomically large), else None."""
    if isinstance(node, nodes.Const) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, nodes.Pow):
        base, exponent = _constant(node.left), _constant(node.right)
        if base is None or exponent is None:
            return None
        if exponent > LIMITS.exponent or (abs(base) > 1 and exponent * math.log10(abs(base)) > 15):
            return math.inf
        return base ** exponent
    if isinstance(node, nodes.Mul):
        left, right = _constant(node.left), _constant(node.right)
        return None if left is None or right is None else left * right
    return None


def _huge(node: nodes.Node) -> bool:
    value = _constant(node)
    return value is not None and (value == math.inf or abs(value) > REPEAT_LIMIT)


def _expensive(ast: nodes.Node) -> Iterator[tuple[nodes.Node, str, str, str]]:
    """``*`` by a huge constant or by a power, ``**`` beyond the limit, nested range loops."""
    for node in ast.find_all(nodes.Mul):
        for factor in (node.left, node.right):
            if _huge(factor) or (isinstance(factor, nodes.Pow) and _constant(factor) is None):
                yield node, "sandbox-expensive", f"重复或乘法运算的倍数过大（超过 {REPEAT_LIMIT}），会耗尽内存", "error"
                break
    for node in ast.find_all(nodes.Pow):
        exponent = _constant(node.right)
        if exponent is not None and exponent > LIMITS.exponent:
            yield node, "sandbox-expensive", f"乘方运算 ** 的指数过大（上限 {LIMITS.exponent}）", "error"
    yield from _nested_ranges(ast, 1)


def _nested_ranges(node: nodes.Node, outer: float) -> Iterator[tuple[nodes.Node, str, str, str]]:
    children: list[nodes.Node] = list(node.iter_child_nodes())
    if isinstance(node, nodes.For):
        size = _range_size(node.iter)
        total = outer * (size if size is not None else 1)
        if size is not None and outer > 1 and total > NESTED_LIMIT:
            yield node, "sandbox-expensive", f"嵌套的 range 循环共执行约 {total:.0f} 次（上限 {NESTED_LIMIT}），会长时间占用资源", "error"
            return
        children, outer = node.body + node.else_, total
    for child in children:
        yield from _nested_ranges(child, outer)


def _range_size(node: nodes.Node) -> float | None:
    if not (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name == "range"):
        return None
    values = [_constant(a) for a in node.args]
    if not values or None in values or len(values) > 3:
        return math.inf  # unknown bounds: as large as the renderer allows
    if math.inf in values:
        return math.inf
    try:
        return len(range(*(int(v) for v in values)))
    except (ValueError, OverflowError):
        return math.inf  # a zero step, or bounds beyond any machine size


def _small_range(call: nodes.Call) -> bool:
    if call.kwargs or call.dyn_args or call.dyn_kwargs:
        return False
    if not all(isinstance(a, nodes.Const) and isinstance(a.value, int) for a in call.args) or not 1 <= len(call.args) <= 3:
        return False
    try:
        return len(range(*(a.value for a in call.args))) <= RANGE_LIMIT
    except ValueError:
        return False


def _shown(config: Config, path: Path) -> str:
    try:
        return str(path.relative_to(config.templates_dir))
    except ValueError:
        return str(path)
