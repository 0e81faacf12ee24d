"""The head of a SOSI file (``.HODE``): character set, CRS, unit and origin.

:func:`_read_header` reads the head as bytes, lets ``..TEGNSETT`` (or ``encoding=``) pick the
decoder, and checks ``...KOORDSYS`` against ``data/sosi_koordsys.csv``
(:func:`koordsys_table`), ``...ENHET`` and ``...ORIGO-NØ``; anything it cannot use raises
:class:`~arealkart.errors.SosiError` naming the file and the line.
"""

from __future__ import annotations

import csv
import logging
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from arealkart.errors import SosiError
from arealkart.load.limits import current
from arealkart.load.sosi._stream import _BOM, _open, _raw_objects
from arealkart.load.sosi._text import _clean, _elements, _first, _join, _put, _value
from arealkart.load.sosi.encoding import _choose_codec, _decode, _decoder
from arealkart.model.issues import IssueLog
from arealkart.model.resources import package_data

logger = logging.getLogger(__package__)  # "arealkart.load.sosi", one logger for the reader


@dataclass(frozen=True)
class SosiHeader:
    """What the ``.HODE`` of a SOSI file says.

    Attributes
    ----------
    tegnsett
        ``..TEGNSETT`` as written (upper case), or ``None`` when absent.
    encoding
        Python codec used to decode the file (``"auto"``: UTF-8, else ISO 8859-1).
    koordsys
        ``...KOORDSYS`` code, or ``None`` when absent.
    crs
        ``"EPSG:<code>"`` for ``koordsys``, or ``None``.
    enhet
        ``...ENHET``: the size of one coordinate unit.
    origo
        ``...ORIGO-NØ`` as ``(north, east)``.
    attrs
        Every head element by SOSI name (groups flattened), values as strings.
    """

    tegnsett: str | None
    encoding: str
    koordsys: int | None
    crs: str | None
    enhet: float
    origo: tuple[float, float]
    attrs: dict[str, Any] = field(default_factory=dict)


@cache
def koordsys_table() -> dict[int, tuple[int, str]]:
    """SOSI ``...KOORDSYS`` code → ``(EPSG code, name)`` from ``data/sosi_koordsys.csv``."""
    with package_data("sosi_koordsys.csv").open(encoding="utf-8", newline="") as fh:
        return {int(row["code"]): (int(row["epsg"]), row["name"]) for row in csv.DictReader(fh)}


def _read_header(path: Path, encoding: str | None, *, crs_given: bool = False) -> SosiHeader:
    with _open(path) as fh:
        has_bom = fh.read(len(_BOM)) == _BOM
        fh.seek(0)
        for line, raw in _raw_objects(fh, path):
            if _blank_or_comment(raw):
                continue
            if not raw.startswith(b".HODE"):
                found = raw.split(b"\n", 1)[0][:60].decode("latin-1")
                raise SosiError(
                    path,
                    f"expected the file to start with .HODE, found {found!r}",
                    line=line + _leading_blank_lines(raw),
                )
            return _parse_header(raw, line, path, encoding, has_bom, crs_given)
    raise SosiError(path, "no .HODE: the file is empty or not a SOSI file", line=1)


def _blank_or_comment(raw: bytes) -> bool:
    return all(not s.strip() or s.lstrip().startswith(b"!") for s in raw.split(b"\n"))


def _leading_blank_lines(raw: bytes) -> int:
    return raw.count(b"\n", 0, len(raw) - len(raw.lstrip()))


def _parse_header(
    raw: bytes, line: int, path: Path, encoding: str | None, has_bom: bool, crs_given: bool
) -> SosiHeader:
    tegnsett, codec = _choose_codec(raw, line, path, encoding, has_bom)
    text = _decode(_decoder(codec), raw, line, path, tegnsett or codec)
    attrs, lines = _head_elements(_clean(text), line, path)
    koordsys, crs = _koordsys(attrs, lines, path, crs_given)
    enhet = _number(attrs, lines, "ENHET", path, default="1")
    if enhet <= 0:
        raise SosiError(
            path, f"...ENHET must be positive, got {attrs['ENHET']!r}", line=lines.get("ENHET")
        )
    origo = _origo(attrs, lines, path)
    return SosiHeader(tegnsett, codec, koordsys, crs, enhet, origo, attrs)


def _head_elements(text: str, line: int, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    attrs: dict[str, Any] = {}
    lines: dict[str, int] = {}
    longest = current().max_value_chars
    for name, value, body, at in _elements(text, line):
        if len(value) + len(body) > longest:
            raise SosiError(
                path,
                f"..{name} in .HODE is {len(value) + len(body)} characters long; at most "
                f"{longest} are read (limit max_value_chars)",
                line=at,
            )
        value = _value(_join(value, body))
        if value:
            _put(attrs, name, value)
            lines.setdefault(name, at)
    return attrs, lines


def _koordsys(
    attrs: dict, lines: dict, path: Path, crs_given: bool
) -> tuple[int | None, str | None]:
    """The head's KOORDSYS code and its CRS.

    With ``crs_given`` a missing or unknown code is no problem (the caller's CRS is used),
    so it is neither warned about nor an error.
    """
    raw = _first(attrs.get("KOORDSYS"))
    if raw is None:
        if not crs_given:
            logger.warning("%s: no ...KOORDSYS in .HODE", path.name)
        return None, None
    table = koordsys_table()
    try:
        code = int(raw.split()[0])
    except ValueError:
        code = None
    if code not in table and crs_given:
        logger.info("%s: ...KOORDSYS %r is not in the table; using the CRS given", path.name, raw)
        return code, None
    if code not in table:
        raise SosiError(
            path,
            f"unknown ...KOORDSYS {raw!r}; known codes: {_known_codes()}; or pass the CRS "
            "the coordinates are in (crs=… or --crs, e.g. 'EPSG:5110' for NTM zone 10)",
            line=lines.get("KOORDSYS"),
        )
    return code, f"EPSG:{table[code][0]}"


def _known_codes() -> str:
    return ", ".join(f"{code} ({name})" for code, (_, name) in sorted(koordsys_table().items()))


def _number(attrs: dict, lines: dict, name: str, path: Path, default: str) -> float:
    raw = _first(attrs.get(name)) or default
    try:
        value = float(raw.split()[0])
    except (ValueError, IndexError):
        value = math.nan
    if not math.isfinite(value):
        raise SosiError(path, f"...{name} must be a number, got {raw!r}", line=lines.get(name))
    return value


def _origo(attrs: dict, lines: dict, path: Path) -> tuple[float, float]:
    raw = _first(attrs.get("ORIGO-NØ")) or "0 0"
    parts = raw.split()
    try:
        north, east = (float(p) for p in parts)
    except ValueError:
        north = east = math.nan
    if not (math.isfinite(north) and math.isfinite(east)):
        raise SosiError(
            path,
            f"...ORIGO-NØ must be two numbers (north east), got {raw!r}",
            line=lines.get("ORIGO-NØ"),
        )
    return north, east


@dataclass(frozen=True)
class _ReadContext:
    """What every step of reading one SOSI file needs: the file, its head and the options."""

    path: Path
    header: SosiHeader
    arc_tolerance: float
    issues: IssueLog
    areas_only: bool
