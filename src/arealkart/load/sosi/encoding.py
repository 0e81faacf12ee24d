r"""Character sets of SOSI files: ``..TEGNSETT``, a byte order mark, or ``encoding=``.

:data:`TEGNSETT` maps the SOSI names to Python codecs; ``nd7`` (``ND7``, ``DECN7``) is 7-bit
ISO 646-NO, where ``[\]{|}`` are ``ÆØÅæøå``, and ``auto`` (a head without ``..TEGNSETT``)
is UTF-8 where it decodes and ISO 8859-1 where it does not.
"""

from __future__ import annotations

import codecs
import logging
import operator
import re
from collections.abc import Callable
from pathlib import Path

from arealkart.errors import SosiError

logger = logging.getLogger(__package__)  # "arealkart.load.sosi", one logger for the reader

TEGNSETT: dict[str, str] = {
    "UTF-8": "utf-8",
    "UTF8": "utf-8",
    "ISO8859-1": "latin-1",
    "ISO8859-10": "iso8859-10",
    "ANSI": "latin-1",
    "DOSN8": "cp865",
    "ND7": "nd7",
    "DECN7": "nd7",
}
"""SOSI ``..TEGNSETT`` value → Python codec (``nd7`` is 7-bit ISO 646-NO, see module doc)."""

_ND7 = str.maketrans("[\\]{|}", "ÆØÅæøå")
_TEGNSETT_LINE = re.compile(rb"(?m)^\.\.TEGNSETT[ \t]+([^\s!]+)")


def _choose_codec(
    raw: bytes, line: int, path: Path, encoding: str | None, has_bom: bool
) -> tuple[str | None, str]:
    match = _TEGNSETT_LINE.search(raw)
    tegnsett = None
    if match:
        tegnsett = match.group(1).decode("latin-1").strip("\"'").upper()
    if encoding is not None:
        return tegnsett, _user_codec(encoding, path)
    if tegnsett is not None and tegnsett not in TEGNSETT:
        at = line + raw.count(b"\n", 0, match.start()) if match else line
        raise SosiError(
            path,
            f"unknown ..TEGNSETT {tegnsett!r}; supported: {', '.join(TEGNSETT)} "
            "(or pass encoding=… to read the file anyway)",
            line=at,
        )
    if has_bom:
        if tegnsett is not None and TEGNSETT[tegnsett] != "utf-8":
            logger.warning(
                "%s: ..TEGNSETT %s but a UTF-8 byte order mark; reading as UTF-8",
                path.name,
                tegnsett,
            )
        return tegnsett, "utf-8"
    return tegnsett, TEGNSETT[tegnsett] if tegnsett else "auto"


def _user_codec(encoding: str, path: Path) -> str:
    name = encoding.strip().upper()
    if name in TEGNSETT:
        return TEGNSETT[name]
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SosiError(
            path,
            f"unknown encoding {encoding!r}; use a SOSI TEGNSETT ({', '.join(TEGNSETT)}) "
            "or a Python codec name",
        ) from None
    return encoding


def _decode(decode: Callable[[bytes], str], raw: bytes, line: int, path: Path, charset: str) -> str:
    try:
        return decode(raw)
    except UnicodeDecodeError as exc:
        raise SosiError(
            path,
            f"bytes that are not valid {charset} ({raw[exc.start : exc.start + 4]!r}); the "
            "file's ..TEGNSETT may be wrong: pass encoding=… (e.g. 'ISO8859-1')",
            line=line + raw.count(b"\n", 0, exc.start),
        ) from None


def _decoder(codec: str) -> Callable[[bytes], str]:
    if codec == "nd7":
        return lambda raw: raw.decode("latin-1").translate(_ND7)
    if codec == "auto":
        return _decode_auto
    return operator.methodcaller("decode", codec)


def _decode_auto(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
