"""Pictures a letter carries: the organisation's seal, logo and a handwritten signature.

Settings (``[organisation]``, paths relative to the settings file)::

    seal = "seal.png"            # red seal, PNG with transparency, ~4.2 cm across
    logo = "logo.png"            # top left of the first page
    signature = "signature.png"  # handwritten signature, above the contact's name

:func:`load_pictures` checks each file (PNG or JPEG, at most 1 MB, between
:data:`MIN_PX` and :data:`MAX_PX` pixels a side) and raises
:class:`~lettergen.errors.ConfigError` naming the setting.  :func:`place_picture`
is the generic step: put a PNG/JPEG at an anchor paragraph, at a size, in
front of or behind the text; :func:`add_letter_pictures` uses it for the
three pictures of a letter.  The seal sits over the organisation's name and the
date, centred on them, as GB/T 9704-2012 §7.3.5 places it (端正、居中下压).

A picture of a seal is not an electronic seal (电子印章, GB/T 38540) and does not
make a reliable electronic signature under the 电子签名法: it only shows, on a
printout, where the seal goes.
"""
from __future__ import annotations

import io
from pathlib import Path

import docx
from docx.image.image import Image
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt

from .errors import ConfigError

PICTURE_SETTINGS = {"seal": "印章图片", "logo": "标志图片", "signature": "签名图片"}
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
MAX_BYTES = 1024 * 1024
MIN_PX, MAX_PX = 32, 4000
SEAL_CM, LOGO_HEIGHT_CM, SIGNATURE_HEIGHT_CM = 4.2, 1.2, 1.0
QR_CM, QR_GAP_CM = 2.0, 0.5  # the verification QR code, and the room kept between it and the text
QR_CAPTION, QR_CAPTION_PT, QR_CAPTION_CM = "扫码核验", 9, 0.5  # the line under it (小五), and its height


def load_pictures(organisation: dict, resolve) -> dict[str, str]:
    """``{"seal": "/abs/seal.png", …}`` for the pictures set in ``[organisation]``, each
    checked; ``resolve`` turns a setting's value into a path (relative to the settings file)."""
    out = {}
    for key, label in PICTURE_SETTINGS.items():
        value = organisation.get(key)
        if not value:
            continue
        path = Path(resolve(str(value))).resolve()
        check_picture(path, f"organisation.{key}（{label}）")
        out[key] = str(path)
    return out


def check_picture(path: Path, setting: str) -> Image:
    """The image at ``path``, or :class:`ConfigError` saying what is wrong with ``setting``."""
    try:
        size = path.stat().st_size
    except OSError:
        raise ConfigError(f"配置项 {setting}：找不到图片文件 {path}") from None
    if size > MAX_BYTES:
        raise ConfigError(f"配置项 {setting}：图片 {path} 有 {size / 1024 / 1024:.1f} MB，不能超过 1 MB")
    try:
        image = Image.from_blob(path.read_bytes())
    except Exception:  # python-docx raises its own unrecognised-format error
        image = None
    if image is None or image.content_type not in FORMATS:
        raise ConfigError(f"配置项 {setting}：{path} 不是 PNG 或 JPEG 图片")
    w, h = image.px_width, image.px_height
    if not (MIN_PX <= w <= MAX_PX and MIN_PX <= h <= MAX_PX):
        raise ConfigError(f"配置项 {setting}：图片 {path} 为 {w}×{h} 像素，每边应在 {MIN_PX}–{MAX_PX} 像素之间")
    return image


def place_picture(paragraph, image: str | Path | bytes, *, width: Emu | None = None,
                  height: Emu | None = None, x: Emu | None = None, y: Emu = Emu(0),
                  behind: bool = False) -> None:
    """Put ``image`` at ``paragraph``: inline when ``x`` is None, else floating with its
    top-left corner ``x`` from the left margin and ``y`` below the paragraph's top,
    in front of the text (or ``behind`` it), the text not wrapping around it."""
    source = io.BytesIO(image) if isinstance(image, bytes) else str(image)
    shape = paragraph.add_run().add_picture(source, width=width, height=height)
    if x is None:
        return
    inline = shape._inline
    extent = inline.find(qn("wp:extent"))
    doc_pr = inline.find(qn("wp:docPr"))
    graphic = inline.find(qn("a:graphic"))
    anchor = parse_xml(
        f'<wp:anchor {nsdecls("wp", "a")} distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        f'relativeHeight="{251659264 + int(doc_pr.get("id"))}" behindDoc="{int(behind)}" locked="0" '
        f'layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="margin"><wp:posOffset>{int(x)}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{int(y)}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{extent.get("cx")}" cy="{extent.get("cy")}"/>'
        f'<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        f'<wp:docPr id="{doc_pr.get("id")}" name="{doc_pr.get("name")}"/><wp:cNvGraphicFramePr/></wp:anchor>')
    anchor.append(graphic)
    inline.addprevious(anchor)
    inline.getparent().remove(inline)


def add_letter_pictures(data: bytes, pictures: dict[str, str], *, qr: bytes | None = None,
                        qr_room: bool = False) -> bytes:
    """The letter ``data`` (.docx bytes) with its seal, logo, signature and verification
    QR code (``qr``, a PNG) placed.  With ``qr_room`` (a letter that will carry a QR
    code, rendered before its number is taken) only the room for the QR code is checked."""
    if not pictures and qr is None and not qr_room:
        return data
    from .housestyle.package import save_reproducibly
    from .housestyle.tables import text_width_pt

    document = docx.Document(io.BytesIO(data))
    paragraphs = document.paragraphs
    signature = [p for p in paragraphs if p.style.name == "LG Signature" and p.text.strip()]
    date = next((p for p in paragraphs if p.style.name == "LG Date"), None)
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    if pictures.get("logo"):
        header = section.first_page_header.paragraphs[0]
        header.alignment = 0
        place_picture(header, pictures["logo"], height=Cm(LOGO_HEIGHT_CM))
    if pictures.get("signature") and len(signature) > 1:
        above = signature[1].insert_paragraph_before(style="LG Signature")
        above.paragraph_format.line_spacing_rule = 0  # single: an exact pitch would clip the picture
        place_picture(above, pictures["signature"], height=Cm(SIGNATURE_HEIGHT_CM))
    if pictures.get("seal") and signature and date is not None:
        name = signature[0]
        size_pt = name.style.font.size.pt if name.style.font.size else 12.0
        # both right-aligned: centre the seal between the name's centre and the date's
        middle = Pt((text_width_pt(name.text, size_pt) + text_width_pt(date.text, size_pt)) / 4)
        seal, line = Cm(SEAL_CM), Pt(_line_pitch_pt(document, size_pt))
        lines = paragraphs.index(date) - paragraphs.index(name) + 1  # name … date, as text lines
        block = lines * line + (Cm(SIGNATURE_HEIGHT_CM) + Pt(size_pt * 0.3) if pictures.get("signature") else 0)
        before = name.style.paragraph_format.space_before or 0  # the anchor's top is above it
        # vertically centred on the lines from the name to the date (GB/T 9704 puts a
        # one-line name and the date a little below the centre; our signature block is
        # five lines, about the seal's height, so it is centred)
        x = Emu(int(text_width - middle - seal / 2))
        y = Emu(int(before + (block - seal) / 2))
        place_picture(name, pictures["seal"], width=seal, x=x, y=y)
        seal_left = x
    else:
        seal_left = None
    if qr is not None or qr_room:
        _place_qr(document, qr, text_width, seal_left, pictures)
        if qr is None and not pictures:  # checked only: the letter is unchanged
            return data
    return save_reproducibly(document)


def _place_qr(document, qr: bytes | None, text_width: int, seal_left: int | None, pictures: dict) -> None:
    """Put the QR code ``qr`` at the left margin, beside the signature block (name … date),
    centred on it as the seal is; :class:`ConfigError` when the block's lines or the
    seal reach into its room (``qr`` None: only that check)."""
    from .housestyle.tables import text_width_pt

    paragraphs = document.paragraphs
    block = [p for p in paragraphs if p.style.name in ("LG Signature", "LG Date") and p.text.strip()]
    if not block:
        raise ConfigError("设置了 [service] public_url，信函要印核验二维码，但模板没有落款（LG Signature/LG Date 段落），"
                          "无处放置；请检查模板或去掉 public_url")
    anchor = block[0]
    size_pt = anchor.style.font.size.pt if anchor.style.font.size else 12.0
    room = Cm(QR_CM + QR_GAP_CM)
    for p in block:
        left = text_width - Pt(text_width_pt(p.text, size_pt))
        if left < room:
            raise ConfigError(f"设置了 [service] public_url，核验二维码（{QR_CM:g} 厘米）放在落款左侧，"
                              f"但落款「{p.text}」太长，会与二维码重叠（未占用文号）；请缩短该行或去掉 public_url")
    if seal_left is not None and seal_left < room:
        raise ConfigError("设置了 [service] public_url，核验二维码放在落款左侧，但印章会盖住二维码（未占用文号）；"
                          "请缩短落款各行或去掉 public_url")
    if qr is None:
        return
    span = paragraphs[paragraphs.index(anchor):paragraphs.index(block[-1]) + 1]
    lines = sum(1 for p in span if not p._p.xpath("./w:r/w:drawing/wp:inline"))  # text lines, not the signature
    height = lines * Pt(_line_pitch_pt(document, size_pt))
    if pictures.get("signature"):
        height += Cm(SIGNATURE_HEIGHT_CM) + Pt(size_pt * 0.3)
    before = anchor.style.paragraph_format.space_before or 0
    side, caption = Cm(QR_CM), Cm(QR_CAPTION_CM)
    top = Emu(int(before + (height - side - caption) / 2))  # the code and its caption, centred on the block
    place_picture(anchor, qr, width=side, height=side, x=Emu(0), y=top)
    shape_id = 1 + max(int(i) for i in document.element.body.xpath(".//wp:docPr/@id"))
    anchor._p.append(_caption_run(QR_CAPTION, width=side, height=caption, y=Emu(top + side), shape_id=shape_id))


def _caption_run(text: str, *, width: Emu, height: Emu, y: Emu, shape_id: int):
    """A run holding a floating text box (DrawingML, as Word writes one) with ``text``
    centred in it, at the left margin and ``y`` below its paragraph's top."""
    return parse_xml(
        f'<w:r {nsdecls("w", "wp", "a")} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        f'<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="251659300" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="margin"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{int(y)}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{int(width)}" cy="{int(height)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        f'<wp:docPr id="{shape_id}" name="QR caption"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{int(width)}" cy="{int(height)}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
        '<wps:txbx><w:txbxContent><w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
        '<w:ind w:left="0" w:right="0" w:firstLine="0" w:firstLineChars="0"/><w:jc w:val="center"/></w:pPr>'
        f'<w:r><w:rPr><w:sz w:val="{QR_CAPTION_PT * 2}"/><w:szCs w:val="{QR_CAPTION_PT * 2}"/></w:rPr>'
        f'<w:t>{text}</w:t></w:r></w:p></w:txbxContent></wps:txbx>'
        '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t" anchorCtr="0">'
        '<a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic></wp:anchor>'
        '</w:drawing></mc:Choice></mc:AlternateContent></w:r>')


def _line_pitch_pt(document, size_pt: float) -> float:
    """The body's line pitch: exact line spacing if the styles set one, else 1.5 lines."""
    spacing = document.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    if spacing is not None and spacing.get(qn("w:lineRule")) == "exact":
        return int(spacing.get(qn("w:line"))) / 20
    return size_pt * 1.5
