"""A minimal, deterministic writer for .docx zip packages.

``zipfile`` recompresses every part on every write; a letter changes only its
tagged XML parts, so the static parts (styles, theme, fonts, settings) are
compressed once per template here and copied as bytes per letter.  Entries
carry a fixed timestamp and no platform attributes: the same parts give the
same bytes.  Only what .docx needs: deflate, no zip64 (parts < 4 GiB).
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

_DOS_TIME, _DOS_DATE = 0, (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01 00:00:00
_VERSION = 20
_FLAGS = 0x0800  # names are UTF-8
_DEFLATE = 8


@dataclass(frozen=True)
class Part:
    """A compressed part ready to be written: name, CRC-32, sizes and deflated bytes."""

    name: bytes
    crc: int
    size: int
    data: bytes


LEVEL = 6  # deflate level of every part of a letter (part of "the same data give the same bytes")


def compress(name: str, blob: bytes, level: int = LEVEL) -> Part:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = packer.compress(blob) + packer.flush()
    return Part(name.encode("utf-8"), zlib.crc32(blob), len(blob), data)


def build(parts: list[Part]) -> bytes:
    """The zip file holding ``parts`` in order."""
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for part in parts:
        local = struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", _VERSION, _FLAGS, _DEFLATE, _DOS_TIME, _DOS_DATE,
            part.crc, len(part.data), part.size, len(part.name), 0,
        )
        chunks += [local, part.name, part.data]
        central.append(struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", _VERSION, _VERSION, _FLAGS, _DEFLATE, _DOS_TIME, _DOS_DATE,
            part.crc, len(part.data), part.size, len(part.name), 0, 0, 0, 0, 0, offset,
        ) + part.name)
        offset += len(local) + len(part.name) + len(part.data)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), offset, 0)
    return b"".join(chunks) + directory + end


_LOCAL = struct.Struct("<4s5H3L2H")
_END = struct.Struct("<4s4H2LH")


def read_parts(package: bytes) -> list[Part] | None:
    """The parts of a package as :func:`build` writes it (deflated, sizes in the local
    headers, nothing between the parts), read from its local headers without
    decompressing; None for any other zip (read it with ``zipfile``)."""
    parts, at = [], 0
    try:
        while package.startswith(b"PK\x03\x04", at):
            _sig, _version, flags, method, _t, _d, crc, csize, size, name_len, extra_len = _LOCAL.unpack_from(package, at)
            name = package[at + _LOCAL.size:at + _LOCAL.size + name_len]
            if method != _DEFLATE or flags & 0x08 or not (flags & _FLAGS or name.isascii()):
                return None
            data_at = at + _LOCAL.size + name_len + extra_len
            parts.append(Part(name, crc, size, package[data_at:data_at + csize]))
            at = data_at + csize
        end_at = package.rfind(b"PK\x05\x06")
        if end_at < 0 or not package.startswith(b"PK\x01\x02", at):
            return None
        _sig, _disk, _cd_disk, _here, count, _cd_size, cd_offset, _comment = _END.unpack_from(package, end_at)
    except struct.error:
        return None
    return parts if count == len(parts) and cd_offset == at else None


def raw_parts(package: bytes) -> list[Part]:
    """The parts of any .docx zip with their deflated bytes: read from the local headers when
    lettergen wrote it (:func:`read_parts`), else through ``zipfile``, deflated parts copied as
    they are and the others (stored, or followed by a data descriptor) compressed here."""
    ours = read_parts(package)
    if ours is not None:
        return ours
    parts = []
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for info in zf.infolist():
            if info.compress_type == _DEFLATE and not info.flag_bits & 0x08:
                start = info.header_offset
                name_len, extra_len = struct.unpack("<2H", package[start + 26:start + 30])
                data_at = start + 30 + name_len + extra_len
                parts.append(Part(info.filename.encode("utf-8"), info.CRC, info.file_size,
                                  package[data_at:data_at + info.compress_size]))
            else:
                parts.append(compress(info.filename, zf.read(info)))
    return parts


def unpack(part: Part) -> bytes:
    """A part's content."""
    return zlib.decompress(part.data, -15)


def read_part(package: bytes, name: str) -> bytes:
    """The content of the part ``name`` of a zip (``KeyError`` when it has none)."""
    ours = read_parts(package)
    if ours is None:
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            return zf.read(name)
    wanted = name.encode("utf-8")
    for part in ours:
        if part.name == wanted:
            return unpack(part)
    raise KeyError(name)


def replace_parts(package: bytes, new: dict[str, bytes]) -> bytes:
    """``package`` (a zip) with the parts named in ``new`` replaced, in the same
    order; the other parts are copied as their compressed bytes, not recompressed."""
    parts = []
    for part in raw_parts(package):
        name = part.name.decode("utf-8")
        parts.append(compress(name, new[name]) if name in new else part)
    return build(parts)
