"""What a reader sees in a .docx, normalised part by part, for the differential suite.

:func:`normalise` turns a package into comparable data, independent of how
the XML was serialised (python-docx in docxtpl, raw text in lettergen):

* per story part (body, headers, footers, notes, comments): the paragraph texts
  and their styles and run formatting, with tabs, breaks, pictures (``[图:<sha1 of the media>:<cx>x<cy>]``) and
  hyperlinks (``[链接:<url>]``) resolved through the part's relationships;
* per table: the grid columns and their widths, and each row's cells as
  (span, vMerge, shading);
* numbering: the numbering definitions a body paragraph uses;
* embedded files: their content, by zip name;
* core properties: title, subject, author, comments.

It fails (AssertionError) when a part references a relationship id it does not
define: a dangling picture or link is never "equal".
"""
from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zipfile
from typing import Any

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R, "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
      "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
      "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
      "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
      "dc": "http://purl.org/dc/elements/1.1/"}
STORY = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")


def _rels(parts: dict[str, bytes], part: str) -> dict[str, tuple[str, str, bool]]:
    folder, base = posixpath.split(part)
    blob = parts.get(posixpath.join(folder, "_rels", base + ".rels"))
    if blob is None:
        return {}
    out = {}
    for rel in etree.fromstring(blob):
        external = rel.get("TargetMode") == "External"
        target = rel.get("Target") if external else posixpath.normpath(posixpath.join(folder, rel.get("Target")))
        out[rel.get("Id")] = (rel.get("Type").rsplit("/", 1)[-1], target, external)
    return out


def _text(p: Any, parts: dict[str, bytes], rels: dict, part: str) -> str:
    out = []
    for el in p.iter():
        tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
        if tag == "t" and el.text:
            out.append(el.text)
        elif tag == "tab" and etree.QName(el.getparent()).localname == "r":
            out.append("\t")
        elif tag in ("br", "cr"):
            out.append("\f" if el.get(f"{{{W}}}type") == "page" else "\n")
        elif tag == "blip":
            rid = el.get(f"{{{R}}}embed")
            assert rid in rels, f"{part}: picture {rid} has no relationship"
            media = parts.get(rels[rid][1])
            assert media is not None, f"{part}: picture {rid} points at missing {rels[rid][1]}"
            extent = el.getparent().getparent().getparent().getparent().getparent().find("wp:extent", NS)
            size = f"{extent.get('cx')}x{extent.get('cy')}" if extent is not None else ""
            out.append(f"[图:{hashlib.sha1(media).hexdigest()[:8]}:{size}]")
        elif tag == "hlinkClick" and el.get(f"{{{R}}}id") and etree.QName(el.getparent()).localname == "docPr":
            out.append(f"[图链接:{rels[el.get(f'{{{R}}}id')][1]}]")
        elif tag == "hyperlink" and el.get(f"{{{R}}}id"):
            rid = el.get(f"{{{R}}}id")
            assert rid in rels, f"{part}: hyperlink {rid} has no relationship"
            out.append(f"[链接:{rels[rid][1]}]")
    return "".join(out)


def _tables(root: Any) -> list[Any]:
    out = []
    for tbl in root.iter(f"{{{W}}}tbl"):
        columns = tbl.findall("w:tblGrid/w:gridCol", NS)
        grid = len(columns)
        rows = []
        for tr in tbl.findall("w:tr", NS):
            cells = []
            for tc in tr.findall("w:tc", NS):
                span = tc.find("w:tcPr/w:gridSpan", NS)
                vmerge = tc.find("w:tcPr/w:vMerge", NS)
                shade = tc.find("w:tcPr/w:shd", NS)
                cells.append((int(span.get(f"{{{W}}}val")) if span is not None else 1,
                              None if vmerge is None else (vmerge.get(f"{{{W}}}val") or "continue"),
                              None if shade is None else shade.get(f"{{{W}}}fill")))
            rows.append(cells)
        out.append({"grid": grid, "widths": [c.get(f"{{{W}}}w") for c in columns], "rows": rows,
                    "fits": all(sum(c[0] for c in r) <= grid for r in rows)})
    return out


def _props(el: Any) -> list:
    """Paragraph or run properties as (name, attributes) pairs, independent of namespace prefixes."""
    if el is None:
        return []
    return [(etree.QName(child).localname, sorted((etree.QName(k).localname, v) for k, v in child.attrib.items()),
             _props(child))
            for child in el if isinstance(child.tag, str)]


def _check_ids(root: Any, rels: dict, part: str) -> None:
    for el in root.iter():
        for key, value in el.attrib.items():
            if key.startswith(f"{{{R}}}") and value:
                assert value in rels, f"{part}: {etree.QName(key).localname}={value} has no relationship"


def normalise(docx: bytes) -> dict[str, Any]:
    """What a reader sees, part by part (see the module docstring)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    out: dict[str, Any] = {}
    for part in sorted(p for p in parts if STORY.match(p)):
        root = etree.fromstring(parts[part])
        rels = _rels(parts, part)
        _check_ids(root, rels, part)
        paragraphs = [_text(p, parts, rels, part) for p in root.iter(f"{{{W}}}p")]
        styles = [(_props(p.find("w:pPr", NS)), [_props(r.find("w:rPr", NS)) for r in p.findall(".//w:r", NS)])
                  for p in root.iter(f"{{{W}}}p")]
        numbered = [p.find("w:pPr/w:numPr/w:numId", NS) is not None or p.find("w:pPr/w:pStyle", NS) is not None
                    and "List" in p.find("w:pPr/w:pStyle", NS).get(f"{{{W}}}val") for p in root.iter(f"{{{W}}}p")]
        out[part] = {"paragraphs": paragraphs, "tables": _tables(root), "numbered": sum(numbered), "styles": styles}
    ids = [el.get("id") for part in parts if STORY.match(part) for el in etree.fromstring(parts[part]).iter(f"{{{NS['wp']}}}docPr")]
    out["drawing ids unique"] = len(ids) == len(set(ids))
    out["embeddings"] = {n: hashlib.sha1(b).hexdigest()[:8] for n, b in parts.items() if n.startswith("word/embeddings/")}
    core = etree.fromstring(parts["docProps/core.xml"]) if "docProps/core.xml" in parts else None
    out["core"] = {tag: (core.findtext(f"dc:{tag}", default="", namespaces=NS) if core is not None else "")
                   for tag in ("title", "subject", "creator", "description")}
    return out
