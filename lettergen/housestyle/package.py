"""Reproducible .docx packaging: fixed metadata, no stray parts, stable zip bytes.

Templates are committed, so building twice must give identical bytes: fixed
core properties, parts in a fixed order, fixed zip timestamps and attributes.
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

from docx.document import Document

FIXED_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIRST_PARTS = ("[Content_Types].xml", "_rels/.rels")
#: Parts of python-docx's stock template that a letter template does not need
#: (a preview thumbnail of an unrelated page, Word 2010 style copies, custom XML).
DROP_RELTYPE_SUFFIXES = ("/thumbnail", "/stylesWithEffects", "/customXml")


def strip_package(doc: Document) -> None:
    """Drop the stock template's parts a letter does not need."""
    for rels in (doc.part.package.rels, doc.part.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.endswith(DROP_RELTYPE_SUFFIXES):
                rels.pop(rid)


def set_core_properties(doc: Document, title: str, comment: str) -> None:
    props = doc.core_properties
    props.title = title
    props.author = "lettergen"
    props.last_modified_by = "lettergen"
    props.comments = comment
    props.revision = 1
    props.created = FIXED_TIME
    props.modified = FIXED_TIME


def save_reproducibly(doc: Document) -> bytes:
    """Save ``doc`` and rewrite the zip so equal content gives equal bytes."""
    raw = io.BytesIO()
    doc.save(raw)
    return normalise_zip(raw.getvalue())


def normalise_zip(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        entries = {info.filename: src.read(info) for info in src.infolist()}
    order = [n for n in FIRST_PARTS if n in entries]
    order += sorted(n for n in entries if n not in FIRST_PARTS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in order:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()
