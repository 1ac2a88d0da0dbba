"""The converter never follows a letter's external links (defence in depth).

A .docx may link an image to ``http://…`` or ``file://…`` instead of embedding
it (``TargetMode="External"``).  The templates are checked for such links
elsewhere; here the converter itself must not fetch the address nor embed the
local file when it makes the PDF.
"""
from __future__ import annotations

import http.server
import io
import re
import struct
import threading
import zipfile
import zlib
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from docx.shared import Mm

from lettergen.convert import Converter
from tests.test_convert import soffice  # noqa: F401 - shared fixture


def png(width: int = 8, height: int = 8) -> bytes:
    """A small red PNG."""
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def linked_image_docx(path: Path, target: str) -> Path:
    """A letter whose picture is linked (r:link, TargetMode="External") to ``target``, not embedded."""
    doc = Document()
    doc.add_paragraph("外部链接图片测试")
    doc.add_picture(io.BytesIO(png()), width=Mm(30))
    buffer = io.BytesIO()
    doc.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = re.sub(rb'r:embed="(rId\d+)"', rb'r:link="\1"', data)
            elif info.filename == "word/_rels/document.xml.rels":
                data = re.sub(rb'Target="media/[^"]+"', f'Target="{target}" TargetMode="External"'.encode(), data)
            elif info.filename.startswith("word/media/"):
                continue
            out.writestr(info, data)
    return path


@pytest.fixture
def web_server():
    """A server on 127.0.0.1 (port chosen at run time) that records every request and serves a PNG."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            body = png()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.libreoffice
def test_converter_fetches_no_linked_address_and_embeds_no_linked_file(soffice, tmp_path, web_server):
    base, requests = web_server
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(16, 16))
    web = linked_image_docx(tmp_path / "web.docx", f"{base}/tracker.png")
    local = linked_image_docx(tmp_path / "local.docx", secret.as_uri())
    with Converter(timeout=60) as converter:
        results = converter.convert_many([(web, tmp_path / "web.pdf"), (local, tmp_path / "local.pdf")])
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    assert requests == [], "LibreOffice fetched an address the letter links to"
    for pdf in (tmp_path / "web.pdf", tmp_path / "local.pdf"):
        with pdfplumber.open(pdf) as doc:
            page = doc.pages[0]
            assert "外部链接图片测试" in page.extract_text()
            assert page.images == [], f"{pdf.name}: a linked picture was drawn"
