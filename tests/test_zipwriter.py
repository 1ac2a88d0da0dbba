"""The deterministic zip writer (lettergen.zipwriter): what it writes, it reads back without zipfile."""
from __future__ import annotations

import io
import zipfile
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from lettergen import zipwriter

_NAMES = st.lists(st.text(alphabet="abcdefgh/_.[]文件", min_size=1, max_size=12), min_size=1, max_size=6, unique=True)


@settings(max_examples=100, deadline=None)
@given(_NAMES, st.data())
def test_a_built_package_reads_back_as_its_parts(names, data):
    blobs = {name: data.draw(st.binary(max_size=3000)) for name in names}
    package = zipwriter.build([zipwriter.compress(name, blob) for name, blob in blobs.items()])
    parts = zipwriter.read_parts(package)
    assert [p.name.decode() for p in parts] == names
    with zipfile.ZipFile(io.BytesIO(package)) as zf:  # and zipfile agrees on every byte
        assert {name: zf.read(name) for name in names} == blobs
        assert [(i.CRC, i.file_size) for i in zf.infolist()] == [(p.crc, p.size) for p in parts]
    new = {names[0]: b"<changed/>"}
    replaced = zipwriter.replace_parts(package, new)
    with zipfile.ZipFile(io.BytesIO(replaced)) as zf:
        assert zf.namelist() == names and zf.read(names[0]) == b"<changed/>"
        assert all(zf.read(n) == blobs[n] for n in names[1:])


def _zipfile_package(**kwargs) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", **kwargs) as zf:
        zf.writestr("word/document.xml", b"<w:document/>" * 50)
        zf.writestr("[Content_Types].xml", b"<Types/>")
    return buffer.getvalue()


def test_other_zips_are_read_as_zipfile_reads_them_or_left_to_it():
    deflated = _zipfile_package(compression=zipfile.ZIP_DEFLATED)
    parts = zipwriter.read_parts(deflated)  # deflated, sizes in the headers: readable directly
    with zipfile.ZipFile(io.BytesIO(deflated)) as zf:
        assert [(p.name.decode(), zlib.decompress(p.data, -15)) for p in parts] == [(n, zf.read(n)) for n in zf.namelist()]
    stored = _zipfile_package(compression=zipfile.ZIP_STORED)
    assert zipwriter.read_parts(stored) is None
    assert zipwriter.read_parts(deflated[:-30]) is None  # cut short
    for package in (stored, deflated):
        replaced = zipwriter.replace_parts(package, {"word/document.xml": b"<new/>"})
        with zipfile.ZipFile(io.BytesIO(replaced)) as zf:
            assert zf.read("word/document.xml") == b"<new/>" and zf.read("[Content_Types].xml") == b"<Types/>"
