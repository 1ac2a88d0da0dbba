"""What a render adds to the package: relationships, pictures and their content types.

docxtpl's :class:`~docxtpl.InlineImage` and RichText hyperlinks ask the part
being rendered (``tpl.current_rendering_part``) for a picture or a
relationship.  :class:`PartProxy` answers like python-docx's story part does
(``new_pic_inline``, ``relate_to``) and :class:`PackageChanges` records the
new relationships and media so the letter's ``.rels`` parts,
``[Content_Types].xml`` and ``word/media/`` carry them: no relationship
points at nothing.
"""
from __future__ import annotations

import posixpath
import re
from typing import IO, Any
from xml.sax.saxutils import quoteattr

from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.shape import CT_Inline

from ..errors import TemplateError

_REL_ID = re.compile(rb'\bId="([^"]+)"')
_DOCPR_ID = re.compile(rb'<wp:docPr\b[^>]*?\bid="(\d+)"')


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def shape_base(blobs: dict[str, bytes]) -> int:
    """Where new drawings' ids start: well above every drawing id of the template."""
    ids = [int(i) for blob in blobs.values() if b"docPr" in blob for i in _DOCPR_ID.findall(blob)]
    return max(ids, default=0) + 100_000


def existing_rel_ids(blobs: dict[str, bytes], part: str) -> set[str]:
    return {m.decode() for m in _REL_ID.findall(blobs.get(rels_name(part), b""))}


class PackageChanges:
    """New relationships (per part) and media made while rendering one letter."""

    def __init__(self, blobs: dict[str, bytes], shape_base: int,
                 pending: dict[str, list[tuple[str, str, str, bool]]] | None = None):
        self.blobs = blobs
        self.rels: dict[str, list[tuple[str, str, str, bool]]] = {k: list(v) for k, v in (pending or {}).items()}
        self.media: dict[str, bytes] = {}
        self._by_sha: dict[str, str] = {}
        self.current: PartProxy | None = None
        self._shape_id = shape_base

    def part(self, name: str) -> "PartProxy":
        self.current = PartProxy(self, name)
        return self.current

    def relate(self, part: str, reltype: str, target: str, external: bool) -> str:
        for rid, rtype, rtarget, rexternal in self.rels.get(part, []):
            if (rtype, rtarget, rexternal) == (reltype, target, external):
                return rid
        used = existing_rel_ids(self.blobs, part) | {r[0] for r in self.rels.get(part, [])}
        rid = next(f"rId{n}" for n in range(1, len(used) + 2) if f"rId{n}" not in used)
        self.rels.setdefault(part, []).append((rid, reltype, target, external))
        return rid

    def add_image(self, part: str, descriptor: str | IO[bytes]) -> tuple[str, Image]:
        try:
            image = Image.from_file(descriptor)
        except Exception as exc:  # python-docx raises several kinds for unreadable pictures
            raise TemplateError(f"图片无法读取（{descriptor!r}）：{exc}") from None
        media = self._by_sha.get(image.sha1)
        if media is None:
            taken = set(self.blobs) | set(self.media)
            n = 1
            while f"word/media/image{n}.{image.ext}" in taken:
                n += 1
            media = f"word/media/image{n}.{image.ext}"
            self.media[media] = image.blob
            self._by_sha[image.sha1] = media
        target = posixpath.relpath(media, posixpath.dirname(part))
        return self.relate(part, RT.IMAGE, target, False), image

    def next_shape_id(self) -> int:
        self._shape_id += 1
        return self._shape_id

    def apply(self, out: dict[str, bytes]) -> list[str]:
        """Write the new relationships, media and content types into ``out``; the names added."""
        added = []
        for part, rels in self.rels.items():
            if not rels:
                continue
            name = rels_name(part)
            xml = out.get(name) or (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
            new = "".join(
                f'<Relationship Id="{rid}" Type="{rtype}" Target={quoteattr(target)}'
                + (' TargetMode="External"' if external else "") + "/>"
                for rid, rtype, target, external in rels)
            if name not in out:
                added.append(name)
            out[name] = xml.replace(b"</Relationships>", new.encode("utf-8") + b"</Relationships>")
        for name, blob in self.media.items():
            out[name] = blob
            added.append(name)
        if self.media:
            types = out["[Content_Types].xml"]
            for name in self.media:
                ext = name.rsplit(".", 1)[-1]
                if not re.search(rb'<Default Extension="%s"' % re.escape(ext.encode()), types, re.I):
                    content_type = _CONTENT_TYPES.get(ext.lower(), f"image/{ext}")
                    types = types.replace(b"<Default ", f'<Default Extension="{ext}" ContentType="{content_type}"/><Default '.encode(), 1)
            out["[Content_Types].xml"] = types
        return added


_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
                  "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff", "emf": "image/x-emf", "wmf": "image/x-wmf"}


class PartProxy:
    """The part being rendered, as docxtpl's InlineImage and hyperlinks see it."""

    def __init__(self, changes: PackageChanges, name: str):
        self.changes = changes
        self.partname = "/" + name
        self.name = name

    def new_pic_inline(self, image_descriptor: Any, width: Any = None, height: Any = None) -> CT_Inline:
        rid, image = self.changes.add_image(self.name, image_descriptor)
        cx, cy = image.scaled_dimensions(width, height)
        return CT_Inline.new_pic_inline(self.changes.next_shape_id(), rid, image.filename, cx, cy)

    def relate_to(self, target: str, reltype: str, is_external: bool = False) -> str:
        if not is_external:
            raise TemplateError("模板渲染中只能新增外部超链接或图片关系")
        return self.changes.relate(self.name, reltype, target, True)
