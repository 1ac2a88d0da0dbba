"""The public template API: render any docxtpl template, as docxtpl does, fast.

``lettergen.Template`` has docxtpl's ``DocxTemplate`` interface, so a Python
system moves over by changing its import::

    from lettergen import Template as DocxTemplate     # was: from docxtpl import DocxTemplate
    tpl = DocxTemplate("invoice.docx")
    tpl.render({"name": "钱女士", "logo": InlineImage(tpl, "logo.png", width=Mm(20))})
    tpl.save("out.docx")                               # or: data = tpl.render(context)

``render`` returns the .docx bytes (and keeps them for ``save``).  docxtpl's
InlineImage, RichText (with ``build_url_id`` hyperlinks), Listing,
``replace_pic`` / ``replace_media`` / ``replace_embedded`` / ``replace_zipname``
and custom filters (``Template(path, filters={...})`` or a ``jinja_env``) work
on the fast renderer.  A :meth:`new_subdoc` is composed by docxtpl itself
(docxcompose merges its styles and numbering into the template), so a letter
with a sub-document renders through docxtpl, in the same sandbox and with the
same integrity check.
"""
from __future__ import annotations

import io
import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import IO, Any, Callable

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateSyntaxError, meta
from lxml import etree

from .. import zipwriter
from ..errors import TemplateError
from .compiled import (DATA_UNDERSCORE, CompiledTemplate, DataTagCount, current_part, default_environment,
                       environment_with, load_template, load_template_bytes)
from . import environment
from .environment import LIMITS, Limits, RenderBudget
from .integrity import check_letter_parts
from .package import PackageChanges, rels_name
from .sources import STORY_PART

_NS = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main",
       "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_envs: dict[tuple[tuple[str, int], ...], Any] = {}


def _read(source: str | os.PathLike | IO[bytes]) -> bytes:
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as fh:
        return fh.read()


class Template:
    """A Word (.docx) template with docxtpl tags; see the module docstring."""

    def __init__(self, template_file: str | os.PathLike | IO[bytes], *,
                 filters: dict[str, Callable[..., Any]] | None = None, limits: Limits | None = None):
        self.data = template_file.read() if hasattr(template_file, "read") else None
        self.path = Path(getattr(template_file, "name", None) or "template.docx") if self.data is not None else Path(template_file)
        self.limits = limits
        self.filters = dict(filters or {})
        self.pending_rels: dict[str, list[tuple[str, str, str, bool]]] = {}
        self.docx_bytes: bytes | None = None
        self._subdoc_host: DocxTemplate | None = None
        self.reset_replacements()
        self.compiled  # noqa: B018 - compile (and refuse untrusted templates) now

    # -- compiling -------------------------------------------------------------------------
    def _environment(self, jinja_env: Environment | None = None) -> Any:
        filters = dict(self.filters)
        if jinja_env is not None:
            base = default_environment().filters
            filters.update({k: v for k, v in jinja_env.filters.items() if base.get(k) is not v})
        if not filters:
            return default_environment()
        key = tuple(sorted((k, id(v)) for k, v in filters.items()))
        if key not in _envs:
            _envs[key] = environment_with(filters)
        return _envs[key]

    @property
    def compiled(self) -> CompiledTemplate:
        return self._load(self._environment())

    def _load(self, env: Any) -> CompiledTemplate:
        if self.data is not None:
            return load_template_bytes(self.data, self.path.name, env)
        return load_template(self.path, env)

    def _docxtpl(self) -> DocxTemplate:
        return DocxTemplate(io.BytesIO(self.data) if self.data is not None else str(self.path))

    # -- rendering -------------------------------------------------------------------------
    def render(self, context: dict[str, Any], jinja_env: Environment | None = None, autoescape: bool = True) -> bytes:
        """Render ``context``; return the .docx bytes (also kept for :meth:`save`).

        Output is always autoescaped (``autoescape`` is accepted for docxtpl
        compatibility); ``jinja_env`` contributes its custom filters.
        """
        compiled = self._load(self._environment(jinja_env))
        if self._subdoc_host is not None:
            self.docx_bytes = self._render_with_docxtpl(compiled, context)
        else:
            self.docx_bytes = compiled.render(context, replace=self._replacements(compiled),
                                               pending_rels=self.pending_rels, limits=self.limits)
        return self.docx_bytes

    def save(self, filename: str | os.PathLike | IO[bytes]) -> None:
        """Write the last rendered letter (docxtpl's ``render`` then ``save``)."""
        if self.docx_bytes is None:
            raise TemplateError("请先调用 render() 再保存")
        if hasattr(filename, "write"):
            filename.write(self.docx_bytes)
        else:
            Path(filename).write_bytes(self.docx_bytes)

    def undeclared_variables(self, context: dict[str, Any] | None = None) -> set[str]:
        """Top-level names the template reads and does not set itself (minus ``context``'s keys)."""
        env = self._environment()
        names: set[str] = set()
        for part, source in self.compiled.sources.items():
            try:
                names |= meta.find_undeclared_variables(env.parse(source))
            except TemplateSyntaxError as exc:
                raise TemplateError(f"模板 {self.path.name} 的标记有语法错误（{part}）：{exc.message}") from None
        return names - set(context or {})

    def get_undeclared_template_variables(self, jinja_env: Environment | None = None,
                                          context: dict[str, Any] | None = None) -> set[str]:
        """docxtpl's name for :meth:`undeclared_variables`."""
        return self.undeclared_variables(context)

    # -- what docxtpl's helpers ask of the template ----------------------------------------
    @property
    def current_rendering_part(self) -> Any:
        """The part being rendered (for InlineImage and hyperlinks in RichText)."""
        if self._subdoc_host is not None:
            return self._subdoc_host.current_rendering_part
        return current_part()

    def build_url_id(self, url: str) -> str:
        """A relationship id for a hyperlink to ``url`` in the body (``RichText(url_id=…)``)."""
        if self._subdoc_host is not None:
            return self._subdoc_host.build_url_id(url)
        changes = PackageChanges(self.compiled.blobs, 0, self.pending_rels)  # the renderer's rId rule
        rid = changes.relate("word/document.xml", RT.HYPERLINK, url, True)
        self.pending_rels = changes.rels
        return rid

    def new_subdoc(self, docpath: str | os.PathLike | None = None) -> Any:
        """A docxtpl Subdoc (built, or loaded from ``docpath``); the next render goes through docxtpl."""
        if self._subdoc_host is None:
            self._subdoc_host = self._docxtpl()
        return self._subdoc_host.new_subdoc(str(docpath) if docpath else None)

    def get_docx(self) -> Any:
        """The python-docx document docxtpl helpers compose into (see :meth:`new_subdoc`)."""
        if self._subdoc_host is None:
            self._subdoc_host = self._docxtpl()
        return self._subdoc_host.get_docx()

    # -- replacing pictures and files ------------------------------------------------------
    def reset_replacements(self) -> None:
        self.pics_to_replace: dict[str, bytes] = {}
        self.crc_to_new_media: dict[int, bytes] = {}
        self.crc_to_new_embedded: dict[int, bytes] = {}
        self.zipname_to_replace: dict[str, bytes] = {}

    def replace_pic(self, embedded_file: str, dst_file: str | os.PathLike | IO[bytes]) -> None:
        """Replace the picture whose name, title or description is ``embedded_file`` (body, headers, footers)."""
        self.pics_to_replace[embedded_file] = _read(dst_file)

    def replace_media(self, src_file: str | os.PathLike | IO[bytes], dst_file: str | os.PathLike | IO[bytes]) -> None:
        """Replace the media whose content equals ``src_file`` (found by CRC, as docxtpl does)."""
        self.crc_to_new_media[zipfile.crc32(_read(src_file)) & 0xFFFFFFFF] = _read(dst_file)

    def replace_embedded(self, src_file: str | os.PathLike, dst_file: str | os.PathLike) -> None:
        self.crc_to_new_embedded[zipfile.crc32(_read(src_file)) & 0xFFFFFFFF] = _read(dst_file)

    def replace_zipname(self, zipname: str, dst_file: str | os.PathLike) -> None:
        self.zipname_to_replace[zipname] = _read(dst_file)

    def _replacements(self, compiled: CompiledTemplate) -> dict[str, bytes]:
        out = dict(self.zipname_to_replace)
        for name, part in compiled.entries if self.crc_to_new_media or self.crc_to_new_embedded else []:
            if part is not None and name.startswith("word/media/") and part.crc in self.crc_to_new_media:
                out[name] = self.crc_to_new_media[part.crc]
            elif part is not None and name.startswith("word/embeddings/") and part.crc in self.crc_to_new_embedded:
                out[name] = self.crc_to_new_embedded[part.crc]
        if self.pics_to_replace:
            pictures = picture_media(compiled.blobs)
            for key, blob in self.pics_to_replace.items():
                names = pictures.get(key)
                if not names:
                    raise TemplateError(f"模板 {self.path.name} 中没有名为「{key}」的图片（replace_pic）")
                out.update({name: blob for name in names})
        return out

    def _render_with_docxtpl(self, compiled: CompiledTemplate, context: dict[str, Any]) -> bytes:
        host, self._subdoc_host = self._subdoc_host, None
        try:
            host.crc_to_new_media, host.crc_to_new_embedded = self.crc_to_new_media, self.crc_to_new_embedded
            host.zipname_to_replace, host.pics_to_replace = self.zipname_to_replace, self.pics_to_replace
            with RenderBudget(self.limits or environment.LIMITS), DataTagCount() as count:
                self._subdoc_host = host  # InlineImage asks it for the current part
                host.render(context, compiled.env, autoescape=True)
                buf = io.BytesIO()
                host.save(buf)
        except TemplateError:
            raise
        except Exception as exc:  # docxtpl and docxcompose raise many kinds
            raise TemplateError(f"模板 {self.path.name} 渲染失败（含子文档）：{exc}") from exc
        finally:
            self._subdoc_host = None
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            names = [i.filename for i in zf.infolist()]
            parts = {name: zf.read(name) for name in names}
        restored = DATA_UNDERSCORE.encode("utf-8")
        parts.update({n: parts[n].replace(restored, b"_") for n in names if n.endswith(".xml") and restored in parts[n]})
        rendered = {n: parts[n].decode("utf-8") for n in names if STORY_PART.match(n)}
        check_letter_parts(self.path.name, parts, rendered, count.count, Counter())
        return zipwriter.build([zipwriter.compress(n, parts[n]) for n in names])


def picture_media(blobs: dict[str, bytes]) -> dict[str, list[str]]:
    """Picture name / title / description -> the media parts they show (body, headers, footers)."""
    out: dict[str, list[str]] = {}
    for part, blob in blobs.items():
        if not STORY_PART.match(part) or b"pic:pic" not in blob:
            continue
        rels = etree.fromstring(blobs.get(rels_name(part), b"<r/>"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        for pic in etree.fromstring(blob).iterfind(".//pic:pic", _NS):
            embed = pic.find("pic:blipFill/a:blip", _NS)
            props = pic.find("pic:nvPicPr/pic:cNvPr", _NS)
            target = targets.get(embed.get(f"{{{_NS['r']}}}embed")) if embed is not None else None
            if target is None or props is None:
                continue
            media = os.path.normpath(os.path.join(os.path.dirname(part), target)).replace(os.sep, "/")
            for key in {props.get("name"), props.get("title"), props.get("descr")} - {None, ""}:
                out.setdefault(key, []).append(media)
    return out


__all__ = ["Template", "LIMITS", "picture_media"]
