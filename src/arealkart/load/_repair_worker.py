"""Check and repair polygons in a helper process, one at a time (run as a script).

Reads requests from standard input and answers on standard output, each message a kind
byte and length-prefixed fields; it writes ``K`` first, once started.  Request: ``W`` +
the polygon's WKB.  Answers: ``V`` (valid), ``R`` + reason + WKB of the repaired
geometry, ``E`` + message.  The parent,
:mod:`arealkart.load.repair`, stops this process when an answer takes too long: GEOS
cannot be interrupted, so a process is the unit that can be.
"""

from __future__ import annotations

import struct
import sys
from typing import BinaryIO

import shapely

_LENGTH = struct.Struct(">Q")


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _field(data: bytes) -> bytes:
    return _LENGTH.pack(len(data)) + data


def _answer(wkb: bytes) -> bytes:
    try:
        geometry = shapely.from_wkb(wkb)
        if shapely.is_valid(geometry):
            return b"V"
        reason = shapely.is_valid_reason(geometry)
        fixed = shapely.make_valid(geometry, method="structure")
        return b"R" + _field(reason.encode()) + _field(shapely.to_wkb(fixed))
    except Exception as exc:  # GEOS errors for unreadable WKB go back as a message
        return b"E" + _field(str(exc).encode())


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sink.write(b"K")  # ready: the time of the imports is not counted against a polygon
    sink.flush()
    while source.read(1) == b"W":
        header = _read_exact(source, _LENGTH.size)
        wkb = _read_exact(source, _LENGTH.unpack(header)[0]) if header else None
        if wkb is None:
            return
        sink.write(_answer(wkb))
        sink.flush()


if __name__ == "__main__":
    main()
