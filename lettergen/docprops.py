"""The register identity a letter carries in its document properties (docProps/custom.xml).

Every issued letter records, as custom document properties (Word: File ›
Properties › Custom), which register numbered it and how: the register's
id, the number, the kind, the sequence key, sequence number and year, and
what ``register rebuild`` needs to restore an entry (date, customer,
subject, template).  :func:`stamp` adds them to a rendered .docx after
rendering (the template is not involved); :func:`read_identity` reads them
back.  Static parts are copied as compressed bytes, so stamping costs little
and the same letter and identity give the same bytes.
"""
from __future__ import annotations

import os
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from . import zipwriter

PREFIX = "lettergen."
CUSTOM_PART = "docProps/custom.xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_REL = f'<Relationship Id="rIdLettergen" Type="{_REL_TYPE}" Target="{CUSTOM_PART}"/>'
_OVERRIDE = f'<Override PartName="/{CUSTOM_PART}" ContentType="{_CONTENT_TYPE}"/>'


def _properties_xml(props: Mapping[str, str]) -> str:
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name={quoteattr(PREFIX + name)}><vt:lpwstr>{escape(str(value))}</vt:lpwstr></property>'
        for pid, (name, value) in enumerate(props.items(), start=2)
    )
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{_NS}" xmlns:vt="{_VT}">{items}</Properties>')


def stamp(docx: bytes, props: Mapping[str, str]) -> bytes:
    """``docx`` with ``props`` as its custom document properties (named ``lettergen.<key>``).

    A template's own custom properties are replaced: a letter's properties
    are the register's.
    """
    out = []
    for part in zipwriter.raw_parts(docx):
        name = part.name.decode("utf-8")
        if name == CUSTOM_PART:
            continue
        if name in ("[Content_Types].xml", "_rels/.rels"):
            part = _with_custom_part(part)
        out.append(part)
    out.append(zipwriter.compress(CUSTOM_PART, _properties_xml(props).encode("utf-8")))
    return zipwriter.build(out)


@lru_cache(maxsize=64)
def _with_custom_part(part: zipwriter.Part) -> zipwriter.Part:
    """The content types or package relationships naming docProps/custom.xml (the same for
    every letter of a template, hence cached)."""
    name, xml = part.name.decode("utf-8"), zipwriter.unpack(part).decode("utf-8")
    if name == "[Content_Types].xml":
        if f'PartName="/{CUSTOM_PART}"' in xml:
            return part
        return zipwriter.compress(name, xml.replace("</Types>", _OVERRIDE + "</Types>").encode("utf-8"))
    xml = re.sub(r'<Relationship [^>]*Target="/?docProps/custom\.xml"[^>]*/>', "", xml)
    return zipwriter.compress(name, xml.replace("</Relationships>", _REL + "</Relationships>").encode("utf-8"))


def read_identity(path: str | Path) -> dict[str, str] | None:
    """The ``lettergen.*`` properties of the .docx at ``path`` (without the prefix), or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            if CUSTOM_PART not in zf.namelist() or zf.getinfo(CUSTOM_PART).file_size > 1 << 20:
                return None
            root = ElementTree.fromstring(zf.read(CUSTOM_PART))
    except (zipfile.BadZipFile, OSError, KeyError, ElementTree.ParseError):
        return None
    found = {}
    for prop in root.findall(f"{{{_NS}}}property"):
        name = prop.get("name", "")
        if name.startswith(PREFIX):
            found[name[len(PREFIX):]] = "".join(prop.itertext())
    return found if found.get("register_id") and found.get("number") else None


def docx_entries(folder: str | Path, recursive: bool = True, stat: bool = True) -> Iterator[tuple[float, str]]:
    """``(mtime, path)`` of the .docx files in ``folder`` (at any depth if ``recursive``), without
    temporary files; with ``stat=False`` the mtime is 0 and no file is looked at (a count
    of 10,000 letters then takes milliseconds)."""
    try:
        scan = os.scandir(folder)
    except OSError:
        return
    with scan:
        for entry in scan:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        yield from docx_entries(entry.path, recursive, stat)
                elif (entry.name.endswith(".docx") and not entry.name.startswith((".~", "~$"))
                      and entry.is_file()):
                    yield (entry.stat().st_mtime if stat else 0.0), entry.path
            except OSError:
                continue


def docx_files(folder: str | Path, recursive: bool = True) -> list[Path]:
    """The .docx files of :func:`docx_entries`, sorted by path."""
    return sorted(Path(path) for _mtime, path in docx_entries(folder, recursive))


def letter_files(folder: str | Path, recursive: bool = True):
    """The .docx files in ``folder`` that carry a register identity: (path, identity)."""
    for path in docx_files(folder, recursive):
        identity = read_identity(path)
        if identity:
            yield path, identity
