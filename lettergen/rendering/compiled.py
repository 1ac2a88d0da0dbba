"""The compiled-template cache and the fast renderer.

A template is compiled once (:mod:`.sources`: docxtpl's tag clean-up of every
story part, then the bounded sandbox of :mod:`.environment`) and cached by
path, modification time, size and environment.  Rendering a letter renders
only the story parts that carry tags (and the core properties when they do),
adds what InlineImage or hyperlinks need (:mod:`.package`), makes the fixes
docxtpl makes after rendering (the table grid after ``{%tc %}``/``{% hm %}``/
``{% vm %}``, drawing ids renumbered from 1001 in the body), checks the result
(:mod:`.integrity`) and zips it with the template's other parts unchanged.  The
zip is deterministic: the same context gives the same bytes.
"""
from __future__ import annotations

import hashlib
import os
import itertools
import re
import threading
import traceback
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError
from jinja2 import TemplateError as JinjaTemplateError
from lxml import etree

from .. import zipwriter
from ..errors import TemplateError
from . import environment
from .environment import BoundedSandbox, Limits, RenderBudget, check_deadline, check_output_size, make_environment
from .integrity import check_letter_parts, drawing_ids, tags_in
from .package import PackageChanges, shape_base
from .renumber import plain_output_names
from .sources import CORE_FIELDS, CORE_PART, read_package

_LISTING_CHARS = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\n\a\f]")
_LISTING_ONLY = re.compile(r"[\t\n\a\f]")
_DOCPR = re.compile(r'(<wp:docPr\b[^>]*?\bid=")\d+(")')
_state = threading.local()
#: ``hook(document_xml, part)``: a new ``word/document.xml``, or None to keep it (see :meth:`CompiledTemplate.render`).
#: A hook whose new XML is always an XML parser's serialisation of the rendered XML it parsed
#: says so with a true ``returns_parsed_xml`` attribute: the rendered XML was well-formed
#: then, and so is the new one, so the integrity check does not parse that part again.
DocumentHook = Callable[[bytes, Callable[[str], bytes]], "bytes | None"]
_patcher = DocxTemplate.__new__(DocxTemplate)


def _may_hold_listing(xml: str) -> bool:
    """A quick scan before the regex: tabs, bells, form feeds or a newline after the XML declaration."""
    if "\t" in xml or "\a" in xml or "\f" in xml:
        return True
    start = xml.find("?>") + 2 if xml.startswith("<?xml") else 0
    return xml.find("\n", start + 1) != -1


def current_part() -> Any:
    """The part being rendered on this thread (what InlineImage and hyperlinks add to)."""
    changes = getattr(_state, "changes", None)
    if changes is None or changes.current is None:
        raise TemplateError("InlineImage 只能在渲染时插入（请把它放进 render 的 context）")
    return changes.current


class DataTagCount:
    """Counts the tag openings the data brings while rendering on this thread (a context manager)."""

    def __enter__(self) -> "DataTagCount":
        self.outer = getattr(_state, "data_tags", 0)
        _state.data_tags = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.count = _state.data_tags
        _state.data_tags = self.outer


#: Stands for ``_`` in the data's ``{_{ … }_}`` while the template's own escapes are undone.
DATA_UNDERSCORE = "\ue000\ue0a0\ue000"


def count_data_tags(value: Any) -> Any:
    """Finalize hook: tags the data brings are text, not leftovers (see :mod:`.integrity`).

    docxtpl turns ``{_{`` into ``{{`` after rendering, the data's too; here the
    data keeps its text (its underscores are set aside until the template's
    escapes are undone).
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else getattr(value, "xml", None)
    if isinstance(text, str) and "{" in text:
        # counted as the letter will hold it: a newline, tab, \a or \f becomes XML (a break …)
        # between the characters around it, so "{\n%" prints as a "{" and a "%" the check sees as one tag
        _state.data_tags = getattr(_state, "data_tags", 0) + tags_in(_LISTING_ONLY.sub("", text))
    if isinstance(value, str) and ("{_" in value or "_}" in value):
        value = value.replace("{_", "{" + DATA_UNDERSCORE).replace("_}", DATA_UNDERSCORE + "}")
    return value


@dataclass
class CompiledTemplate:
    """A template ready to render: static parts compressed once, tagged parts compiled."""

    name: str
    path: Path
    sha256: str
    entries: list[tuple[str, zipwriter.Part | None]]
    compiled: dict[str, Any]
    sources: dict[str, str]
    blobs: dict[str, bytes]
    core: list[tuple[str, Any]] = field(default_factory=list)
    table_fix: bool = False
    shape_base: int = 100_000
    env: BoundedSandbox | None = None
    limits: Limits | None = None  # None: environment.LIMITS
    static_ids: Counter = field(default_factory=Counter)  # drawing ids of the parts never rendered
    plain_outputs: frozenset[str] = frozenset()  # names only ever printed whole (see renumber.plain_output_names)

    def render(self, context: dict[str, Any], *, replace: dict[str, bytes] | None = None,
               pending_rels: dict[str, list[tuple[str, str, str, bool]]] | None = None,
               limits: Limits | None = None, document_hook: DocumentHook | None = None,
               level: int = zipwriter.LEVEL) -> bytes:
        """Render ``context`` into a complete .docx (bytes).

        ``replace`` maps zip names to new contents (pictures, embedded files);
        ``pending_rels`` are relationships made before rendering (hyperlink ids);
        ``limits`` overrides what the letter may cost (:class:`Limits`);
        ``document_hook(document_xml, part)`` may return a new rendered
        ``word/document.xml`` (``part(name)`` reads any other part), applied
        before the package is zipped (e.g. the house style's table widths).
        ``level`` compresses the rendered parts (0: a trial rendering nobody keeps, made faster;
        a letter always has the default, so the same context gives the same bytes).
        """
        return self.render_with_text(context, replace=replace, pending_rels=pending_rels, limits=limits,
                                     document_hook=document_hook, level=level)[0]

    def render_with_text(self, context: dict[str, Any], *, replace: dict[str, bytes] | None = None,
                         pending_rels: dict[str, list[tuple[str, str, str, bool]]] | None = None,
                         limits: Limits | None = None,
                         document_hook: DocumentHook | None = None,
                         level: int = zipwriter.LEVEL) -> tuple[bytes, str]:
        """:meth:`render`, plus the final ``word/document.xml`` as text (for checks that read it)."""
        changes = PackageChanges(self.blobs, self.shape_base, pending_rels)
        rendered: dict[str, str] = {}
        outer = getattr(_state, "changes", None), getattr(_state, "data_tags", 0)
        _state.changes, _state.data_tags = changes, 0
        try:
            with RenderBudget(limits or self.limits or environment.LIMITS):
                for name, template in self.compiled.items():
                    changes.part(name)
                    rendered[name] = self._render_part(name, template, context)
                    check_deadline()
                core = self._render_core(context) if self.core else None
                data_tags = _state.data_tags
        finally:
            _state.changes, _state.data_tags = outer
        out = {name: blob.encode("utf-8") for name, blob in rendered.items()}
        if core is not None:
            out[CORE_PART] = core
        out.update(replace or {})
        body = rendered.get("word/document.xml")
        parsed: set[str] = set()
        if document_hook is not None and body is not None:
            changed = document_hook(out["word/document.xml"], lambda name: out.get(name) or self.blobs[name])
            if changed is not None:
                out["word/document.xml"], body = changed, changed.decode("utf-8")
                if getattr(document_hook, "returns_parsed_xml", False):
                    parsed.add("word/document.xml")
        if body is None:
            body = self.blobs["word/document.xml"].decode("utf-8")
        return self._finish(out, rendered, changes, data_tags, level, parsed), body

    @property
    def current_rendering_part(self) -> Any:
        """The part being rendered, for docxtpl's ``InlineImage(template, …)`` in a letter's context."""
        return current_part()

    def _finish(self, out: dict[str, bytes], rendered: dict[str, str], changes: PackageChanges, data_tags: int,
                level: int = zipwriter.LEVEL, parsed: set[str] | frozenset[str] = frozenset()) -> bytes:
        merged = dict(self.blobs)
        merged.update(out)
        added = changes.apply(merged)
        check_letter_parts(self.name, merged, rendered, data_tags, self.static_ids, parsed)
        changed = {k for k in merged if merged[k] is not self.blobs.get(k)}
        parts = [part if (name not in changed and part is not None) else zipwriter.compress(name, merged[name], level)
                 for name, part in self.entries]
        parts += [zipwriter.compress(name, merged[name], level) for name in added]
        return zipwriter.build(parts)

    def _render_part(self, part: str, template: Any, context: dict[str, Any]) -> str:
        try:
            xml = template.render(context)
        except TemplateError as exc:
            raise TemplateError(f"模板 {self.name}（{part}{self._where(part, exc)}）：{exc}") from None
        except JinjaTemplateError as exc:
            raise TemplateError(f"模板 {self.name} 渲染失败（{part}{self._where(part, exc)}）：{exc}") from exc
        except (RecursionError, OverflowError, MemoryError) as exc:
            raise TemplateError(f"模板 {self.name} 渲染失败（{part}{self._where(part, exc)}）：模板运算超出限制（{type(exc).__name__}）") from None
        except Exception as exc:  # a filter or a context object failed: still a template error, with its place
            raise TemplateError(f"模板 {self.name} 渲染失败（{part}{self._where(part, exc)}）：{type(exc).__name__}: {exc}") from exc
        check_output_size(xml, f"模板 {self.name} 的 {part}")
        xml = xml.replace("\n<w:p>", "<w:p>").replace("\n<w:p ", "<w:p ")  # undo the line per paragraph
        if "{_" in xml or "_}" in xml:
            _state.data_tags += xml.count("{_{") + xml.count("{_%")
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if DATA_UNDERSCORE in xml:
            xml = xml.replace(DATA_UNDERSCORE, "_")
        if _may_hold_listing(xml) and _LISTING_CHARS.search(xml):
            xml = _patcher.resolve_listing(xml)
        if part == "word/document.xml":
            if self.table_fix:
                tree = DocxTemplate.fix_tables(_patcher, xml.encode("utf-8"))
                xml = etree.tostring(tree, encoding="UTF-8", xml_declaration=True, standalone=True).decode("utf-8")
            if "docPr" in xml:
                ids = itertools.count(1001)
                xml = _DOCPR.sub(lambda m: f"{m.group(1)}{next(ids)}{m.group(2)}", xml)
        return xml

    def _where(self, part: str, exc: BaseException) -> str:
        """``，第N段「text」`` for the template line (one paragraph per line) where ``exc`` arose."""
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>" and f.lineno]
        if not lines:
            return ""
        source = self.sources.get(part, "").splitlines()
        line = lines[-1]
        if not 0 < line <= len(source):
            return ""
        text = re.sub(r"<[^>]+>", "", source[line - 1]).strip()
        paragraph = sum(1 for row in source[:line] if row.startswith(("<w:p>", "<w:p ")))
        return f"，第{paragraph}段「{text[:60]}」"

    def _render_core(self, context: dict[str, Any]) -> bytes:
        xml = self.blobs[CORE_PART].decode("utf-8")
        values = {}
        for tag, template in self.core:
            try:
                values[tag] = template.render(context).replace(DATA_UNDERSCORE, "_")
            except (JinjaTemplateError, TemplateError) as exc:
                raise TemplateError(f"模板 {self.name} 的文档属性 {tag} 渲染失败：{exc}") from None
        return CORE_FIELDS.sub(lambda m: m.group(1) + values.get(m.group(2), m.group(3)) + m.group(4), xml).encode("utf-8")


CACHE_SIZE = 64  # compiled templates kept (a service may see many uploaded ones)
_cache: OrderedDict[tuple[str, Any, int, int], CompiledTemplate] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: tuple[str, Any, int, int], env: BoundedSandbox) -> CompiledTemplate | None:
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
    return cached if cached is not None and cached.env is env else None


def _remember(key: tuple[str, Any, int, int], template: CompiledTemplate) -> CompiledTemplate:
    with _cache_lock:
        _cache[key] = template
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return template
_env = make_environment()
_env.finalize = count_data_tags


def register_filter(name: str, func: Any) -> None:
    """Make the Jinja filter ``name`` available to every template lettergen renders, letters included.

    Templates compiled before are compiled again on their next use.
    """
    if not name.isidentifier():
        raise TemplateError(f"过滤器名称无效：{name!r}")
    environment.REGISTERED_FILTERS[name] = func
    _env.filters[name] = func
    with _cache_lock:
        _cache.clear()


def default_environment() -> BoundedSandbox:
    return _env


def environment_with(filters: dict[str, Any]) -> BoundedSandbox:
    """A renderer environment with custom filters added (its templates are cached separately)."""
    env = make_environment(filters)
    env.finalize = count_data_tags
    return env


def template_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_template(path: str | Path, env: BoundedSandbox | None = None) -> CompiledTemplate:
    """Compile (or fetch from the cache) the template at ``path``."""
    path = Path(path)
    env = env or _env
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TemplateError(f"找不到模板文件 {path}") from None
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size, id(env))  # abspath: no system call per letter
    cached = _cached(key, env)
    if cached is not None:
        return cached
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"模板文件 {path} 无法读取：{exc}") from None
    template = compile_template(path, env, data)
    return _remember(key, template)


def load_template_bytes(data: bytes, name: str, env: BoundedSandbox | None = None) -> CompiledTemplate:
    """Compile (or fetch from the cache) a template given as bytes; ``name`` names it in messages."""
    env = env or _env
    key = ("<bytes>", hashlib.sha256(data).hexdigest(), 0, id(env))
    cached = _cached(key, env)
    if cached is not None:
        return cached
    template = compile_template(Path(name), env, data)
    return _remember(key, template)


def compile_template(path: Path, env: BoundedSandbox, data: bytes) -> CompiledTemplate:
    package = read_package(path, data)
    compiled = {}
    for name, source in package.sources.items():
        compiled[name] = _compile(env, source, path.name, name)
    core = [(tag, _compile(env, source, path.name, f"{CORE_PART}#{tag}")) for tag, source in package.core.items()]
    entries = [(name, None if name in compiled else zipwriter.compress(name, package.blobs[name])) for name in package.order]
    sources = package.all_sources()
    return CompiledTemplate(path.stem, path, hashlib.sha256(data).hexdigest(), entries, compiled,
                            sources, package.blobs, core, package.table_fix, shape_base(package.blobs), env,
                            static_ids=drawing_ids(package.blobs, set(package.blobs) - set(compiled)),
                            plain_outputs=plain_output_names(env, list(sources.values())))


def _compile(env: BoundedSandbox, source: str, file: str, part: str) -> Any:
    try:
        return env.from_string(source)
    except TemplateSyntaxError as exc:
        lines = source.splitlines()
        text = re.sub(r"<[^>]+>", "", lines[exc.lineno - 1]).strip()[:60] if exc.lineno and 0 < exc.lineno <= len(lines) else ""
        raise TemplateError(f"模板 {file} 的标记有语法错误（{part} 第{exc.lineno}段附近「{text}」）：{exc.message}") from None
    except (TemplateError, RecursionError, MemoryError, OverflowError) as exc:
        raise TemplateError(f"模板 {file} 无法编译（{part}）：{exc}") from None


__all__ = ["CompiledTemplate", "current_part", "load_template", "register_filter"]
