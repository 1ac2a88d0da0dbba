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


def compress(name: str, blob: bytes, level: int = 6) -> Part:
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


def replace_parts(package: bytes, new: dict[str, bytes]) -> bytes:
    """``package`` (a zip) with the parts named in ``new`` replaced, in the same
    order; the other parts are copied as their compressed bytes, not recompressed."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for info in zf.infolist():
            if info.filename in new:
                parts.append(compress(info.filename, new[info.filename]))
            elif info.compress_type == _DEFLATE and not info.flag_bits & 0x08:
                start = info.header_offset
                name_len, extra_len = struct.unpack("<2H", package[start + 26:start + 30])
                data_at = start + 30 + name_len + extra_len
                parts.append(Part(info.filename.encode("utf-8"), info.CRC, info.file_size,
                                  package[data_at:data_at + info.compress_size]))
            else:
                parts.append(compress(info.filename, zf.read(info)))
    return build(parts)
