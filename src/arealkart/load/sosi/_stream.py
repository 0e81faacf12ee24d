"""Cut the bytes of a SOSI file into objects, a block at a time.

An object is the text from a line that starts with a single ``.`` (``.KURVE 12:``,
``.FLATE 140:``, ``.SLUTT``) up to the next such line.  The file is read in blocks of
:data:`BLOCK_SIZE` bytes, so memory does not grow with the file; NUL bytes (binary data)
raise :class:`~arealkart.errors.SosiError` with the line they are on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from arealkart.errors import SosiError, open_input
from arealkart.load.limits import current

logger = logging.getLogger(__package__)  # "arealkart.load.sosi", one logger for the reader

BLOCK_SIZE = 1 << 22
"""Bytes read from the file at a time (4 MiB)."""

_BOM = b"\xef\xbb\xbf"
_BOUNDARY = re.compile(rb"\n(?=\.[^.])")


def _open(path: Path) -> BinaryIO:
    return open_input(path, SosiError, expected="a .sos file")


class _Oversized(bytes):
    """The start of an object longer than ``max_object_bytes``: the rest was not kept.

    The bytes are the object's first :data:`_KEPT` bytes (its header line and the first
    elements, ``..OBJTYPE`` among them), cut at a line end; ``size`` is the object's length.
    """

    size: int


_KEPT = 1 << 16


def _oversized(start: bytes) -> _Oversized:
    kept = start[:_KEPT]
    piece = _Oversized(kept[: kept.rfind(b"\n") + 1] if b"\n" in kept else kept)
    piece.size = 0
    return piece


def _raw_objects(fh: BinaryIO, path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(first line number, bytes)`` of each object: text up to the next ``.`` line.

    An object longer than ``max_object_bytes`` (:mod:`arealkart.load.limits`) is not
    held in memory: its start is yielded as an :class:`_Oversized`, the rest skipped.
    """
    carry, line, read = b"", 1, 0
    skipped: _Oversized | None = None
    skipped_line = 0
    limit = current().max_object_bytes
    while block := fh.read(BLOCK_SIZE):
        if not read and block.startswith(_BOM):
            block = block[len(_BOM) :]
        read += len(block)
        buf, start = carry + block, 0
        binary = b"\x00" in block
        for match in _BOUNDARY.finditer(buf, max(0, len(carry) - 2)):
            piece = buf[start : match.start()]
            if skipped is not None:
                skipped.size += len(piece)
                yield skipped_line, skipped
                skipped = None
            elif len(piece) > limit:
                oversized = _oversized(piece)
                oversized.size = len(piece)
                yield line, oversized
            else:
                if binary:
                    _check_binary(piece, path, line)
                yield line, piece
            line += piece.count(b"\n") + 1
            start = match.end()
        carry = buf[start:]
        if len(carry) > limit:
            if skipped is None:
                skipped, skipped_line = _oversized(carry), line
            skipped.size += len(carry) - 2
            line += carry.count(b"\n", 0, len(carry) - 2)
            carry = carry[-2:]
        logger.debug("%s: %.0f MB read", path.name, read / 1e6)
    if skipped is not None:
        skipped.size += len(carry)
        yield skipped_line, skipped
    elif carry:
        _check_binary(carry, path, line)
        yield line, carry


def _check_binary(piece: bytes, path: Path, line: int) -> None:
    nul = piece.find(b"\x00")
    if nul >= 0:
        raise SosiError(
            path,
            "binary data (NUL bytes): this is not a SOSI text file, or it is damaged",
            line=line + piece.count(b"\n", 0, nul),
        )
