r"""A native, streaming reader for the plan subset of SOSI 4.0/4.5 (``.sos`` files).

:func:`read_sosi` turns a SOSI file into the canonical layers (through
:func:`arealkart.planobjects.plan_objects_to_data`); :func:`parse_sosi` is the layer below it
and yields one :class:`~arealkart.planobjects.PlanObject` per SOSI object.

How the file is read
--------------------
* **Streaming.**  The file is read in blocks of bytes and cut into objects at every line
  that starts with a single ``.`` (``.KURVE 12:``, ``.FLATE 140:``, ``.SLUTT``); each object
  is decoded and parsed on its own, so memory does not grow with the file.  What is kept
  until the end is output-sized: the coordinates of every curve (``.FLATE`` objects may
  reference curves that come later in the file), packed in one numpy buffer, and the
  ``.FLATE`` objects whose curves have not been seen yet.  For speed, :func:`read_sosi`
  parses the coordinates of up to :data:`CURVE_BATCH` curves in one numpy call, and
  objects are handed on :data:`OUTPUT_BATCH` at a time so that their polygons are built
  in bulk; a coordinate block is never split into Python lines.
* **Character set.**  The head (``.HODE``) is read as bytes first and ``..TEGNSETT`` picks
  the decoder: ``UTF-8``, ``ISO8859-1``, ``ISO8859-10``, ``ANSI`` (read as ISO 8859-1, as the
  SOSI standard defines it), ``DOSN8`` (Norwegian DOS, code page 865), ``ND7`` and ``DECN7``
  (7-bit Norwegian, ISO 646-NO: ``[\]{|}`` are ``ÆØÅæøå``).  A UTF-8 byte order mark means
  UTF-8.  A head without ``..TEGNSETT`` is read as UTF-8 where it decodes and as ISO 8859-1
  where it does not.  ``encoding=`` overrides all of this.
* **Coordinates.**  ``...KOORDSYS`` gives the CRS through ``data/sosi_koordsys.csv``;
  coordinates are integers, northing first: real = integer × ``...ENHET`` + ``...ORIGO-NØ``.
  ``..NØ`` and ``..NØH`` blocks are read (the height is ignored), node markers such as
  ``...KP 1`` after a coordinate are skipped, several blocks in one object are concatenated.
* **Geometry.**  ``.KURVE``/``.LINJE`` are polylines; ``.BUEP`` is an arc through three
  points (a longer ``.BUEP`` is a chain of such arcs), densified with
  :func:`arealkart._geometry.arc_points`; ``.PUNKT``, ``.SYMBOL`` and ``.TEKST`` are points.
  A ``.FLATE`` is built from its signed ``..REF`` list (``:-12`` is curve 12 reversed,
  ``( … )`` an island): the curves are joined end to end into rings and made into a
  polygon with holes.  A curve whose sign contradicts its endpoints is turned round only
  when the endpoints prove it.

What happens with bad input
---------------------------
Problems that make the whole file unreadable raise :class:`~arealkart.errors.SosiError`
(an :class:`~arealkart.errors.InputError`) naming the file, the line and what was expected:
no ``.HODE``, an unknown ``..TEGNSETT`` or ``...KOORDSYS``, bytes that do not decode in the
declared character set, NUL bytes (binary data), a malformed object header line.  Problems
in one object go to the issues report and the rest of the file still loads.  A zone or
constraint that cannot be used is ``unreadable`` (layer ``zones``/``constraints``); any
other object (a curve, a text, the plan boundary) is counted as read and never output, so
its problem is ``flagged`` (layer: its ``OBJTYPE``), and the zones that need it are reported
``unreadable`` in their turn.  The rules:

``koordinat_feil``
    a coordinate line that is not integers, an implausible coordinate, an arc that cannot
    be computed, or coordinates outside the domain of the file's CRS;
``geometri_feil``
    a ``.FLATE`` whose ``..REF`` cannot be parsed, that references a missing or unreadable
    curve, or whose rings do not close (the detail names the reference or the gap);
``geometri_forenklet`` (``flagged``)
    a curve type read as straight segments (``.BUE``, ``.KLOTOIDE``, ``.SIRKEL``);
``fil_avkortet``
    a file without ``.SLUTT`` (cut off): everything up to the last object is read; the last
    object is counted and reported but not used, because nothing shows it is complete.
"""

from __future__ import annotations

import codecs
import csv
import logging
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyproj
import shapely
from pyproj.exceptions import CRSError as ProjError

from ._geometry import ARC_TOLERANCE, arc_points
from ._resources import package_data
from .errors import SosiError
from .issues import IssueLog
from .planobjects import (
    CONSTRAINT_OBJECTS,
    PLAN_OBJECTS,
    ZONE_OBJECTS,
    PlanObject,
    plan_objects_to_data,
)
from .schema import CRS as WORKING_CRS

if TYPE_CHECKING:
    from .read import PlanData

__all__ = ["TEGNSETT", "SosiFile", "SosiHeader", "koordsys_table", "parse_refs", "parse_sosi",
           "read_sosi"]

logger = logging.getLogger(__name__)

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

BLOCK_SIZE = 1 << 22
"""Bytes read from the file at a time (4 MiB)."""

MAX_COORDINATE = 1e9
"""Largest plausible absolute coordinate (in CRS units) after ENHET and ORIGO are applied."""

MAX_ARC_POINTS = 10_000
"""Upper bound on the points one densified arc may have, whatever its radius."""

CURVE_BATCH = 2048
"""Curves whose coordinates :func:`read_sosi` parses together in one numpy call."""

OUTPUT_BATCH = 512
"""Objects that wait for their polygons to be built together before they are yielded."""

_ND7 = str.maketrans("[\\]{|}", "ÆØÅæøå")
_BOM = b"\xef\xbb\xbf"
_BOUNDARY = re.compile(rb"\n(?=\.[^.])")
_TEGNSETT_LINE = re.compile(rb"(?m)^\.\.TEGNSETT[ \t]+([^\s!]+)")
_OBJECT_HEAD = re.compile(r"\.([A-Za-zÆØÅæøå][\w-]*)(?:[ \t]+(-?\d+)[ \t]*:)?")
_ELEMENT_SPLIT = re.compile(r"\n(?=\.\.)")
_POINT_ATTRS = re.compile(r"\.\.\.[^\n]*")
_VALUE_TOKEN = re.compile(r'"((?:[^"]|"")*)"?|\'((?:[^\']|\'\')*)\'?|(&)|(\S+)')
_REF_TOKEN = re.compile(r"\(|\)|:[ \t]*-?\d+|[^\s()]+")

_COORD_DIMS = {"NØ": 2, "NØH": 3}
_LINE_KINDS = frozenset({"KURVE", "LINJE", "BUEP", "BUE", "KLOTOIDE", "SIRKELP", "SIRKEL"})
_STRAIGHTENED_KINDS = frozenset({"BUE", "KLOTOIDE", "SIRKEL"})
_POINT_KINDS = frozenset({"PUNKT", "SYMBOL", "TEKST"})
_SECTION_KINDS = frozenset({"DEF", "OBJDEF"})
_AREA_OBJECTS = frozenset(ZONE_OBJECTS) | frozenset(CONSTRAINT_OBJECTS)
_LAYER_OBJECTS = _AREA_OBJECTS | PLAN_OBJECTS


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


def read_sosi(
    path: str | Path,
    *,
    kommune: str | int | None = None,
    encoding: str | None = None,
    arc_tolerance: float = ARC_TOLERANCE,
    crs: Any = None,
    **_ignored: Any,
) -> PlanData:
    """Read a SOSI plan file into the canonical layers.

    Parameters
    ----------
    path
        A ``.sos`` file (reguleringsplan, kommuneplan, or older pbl 1985 plans).
    kommune
        Municipality for objects that carry no ``KOMM`` (any form the registry knows).
    encoding
        Character set overriding ``..TEGNSETT``: a SOSI name (``"ISO8859-1"``, ``"DOSN8"``
        …) or a Python codec name.
    arc_tolerance
        Largest distance (CRS units) between a densified ``.BUEP`` arc and the circle.
    crs
        CRS to use when the head has no ``...KOORDSYS``.
    **_ignored
        Options of other readers (``kind``, ``engine`` …), accepted and ignored.

    Returns
    -------
    PlanData
        Zones, constraints, the issues met, and ``counts`` covering every object of the
        file (objects that are neither zones nor constraints as ``other:<OBJTYPE>``).

    Raises
    ------
    SosiError
        If the file cannot be read as SOSI at all (see the module documentation).
    """
    path = Path(path)
    issues = IssueLog()
    sosi = parse_sosi(path, encoding=encoding, arc_tolerance=arc_tolerance, issues=issues,
                      areas_only=True)
    file_crs = _file_crs(sosi.header, crs, path)
    objects = list(sosi)
    _drop_untransformable(objects, file_crs, issues, path.name)
    return plan_objects_to_data(objects, path=path, crs=file_crs, issues=issues,
                                kommune=kommune)


def parse_sosi(
    path: str | Path,
    *,
    encoding: str | None = None,
    arc_tolerance: float = ARC_TOLERANCE,
    issues: IssueLog | None = None,
    areas_only: bool = False,
) -> SosiFile:
    """Open a SOSI file: read its head now and its objects when iterated.

    Parameters
    ----------
    path
        The ``.sos`` file.
    encoding
        Character set overriding ``..TEGNSETT`` (see :func:`read_sosi`).
    arc_tolerance
        Largest distance between a densified ``.BUEP`` arc and the circle.
    issues
        Where per-object problems are recorded (a new log when ``None``).
    areas_only
        Read only what the layers need, as :func:`read_sosi` does.  Zones, constraints
        and plan objects are read in full; every other object (curves, texts, points …)
        is yielded as one shared :class:`PlanObject` per ``OBJTYPE``, without geometry or
        attributes: enough to count them, and memory does not grow with how many there
        are.  The curves' coordinates are kept for the areas as always.

    Returns
    -------
    SosiFile
        ``.header`` (a :class:`SosiHeader`), ``.issues``; iterate it for the objects.

    Raises
    ------
    SosiError
        For a missing ``.HODE``, an unknown ``..TEGNSETT`` or ``...KOORDSYS``, or a head
        that cannot be decoded.
    """
    path = Path(path)
    if not isinstance(arc_tolerance, int | float) or not 0 < arc_tolerance < math.inf:
        raise SosiError(path, f"arc_tolerance must be a positive number, got {arc_tolerance!r}")
    if encoding is not None and not isinstance(encoding, str):
        raise SosiError(path, f"encoding must be a name such as 'ISO8859-1', got {encoding!r}")
    header = _read_header(path, encoding)
    return SosiFile(path, header, arc_tolerance, IssueLog() if issues is None else issues,
                    areas_only)


def parse_refs(text: str) -> tuple[list[int], list[list[int]]]:
    """Parse a ``..REF`` value into the outer references and the island groups.

    ``":1 (:2 :-3) :-4"`` gives ``([1, -4], [[2, -3]])``.

    Raises
    ------
    ValueError
        For unbalanced or nested parentheses and tokens that are not ``:n`` or ``:-n``.
    """
    outer: list[int] = []
    islands: list[list[int]] = []
    group: list[int] | None = None
    for token in _REF_TOKEN.findall(text):
        if token == "(":
            if group is not None:
                raise ValueError("nested '(' in ..REF")
            group = []
        elif token == ")":
            if group is None:
                raise ValueError("')' without '(' in ..REF")
            if group:
                islands.append(group)
            group = None
        elif token.startswith(":"):
            (outer if group is None else group).append(int(token[1:]))
        else:
            raise ValueError(f"unexpected {token!r} in ..REF; expected :n, :-n or ( … )")
    if group is not None:
        raise ValueError("'(' without ')' in ..REF")
    return outer, islands


@cache
def koordsys_table() -> dict[int, tuple[int, str]]:
    """SOSI ``...KOORDSYS`` code → ``(EPSG code, name)`` from ``data/sosi_koordsys.csv``."""
    with package_data("sosi_koordsys.csv").open(encoding="utf-8", newline="") as fh:
        return {int(row["code"]): (int(row["epsg"]), row["name"]) for row in csv.DictReader(fh)}


class SosiFile:
    """A SOSI file whose head has been read; iterating it streams the objects.

    Create it with :func:`parse_sosi`.  Every iteration reads the file again from the start
    (and records its issues again).  ``.FLATE`` objects whose curves come later in the file
    are yielded at the end.
    """

    def __init__(self, path: Path, header: SosiHeader, arc_tolerance: float, issues: IssueLog,
                 areas_only: bool) -> None:
        self.path = path
        self.header = header
        self.issues = issues
        self.arc_tolerance = arc_tolerance
        self.areas_only = areas_only

    def __iter__(self) -> Iterator[PlanObject]:
        parser = _Parser(self.path, self.header, self.issues, self.arc_tolerance,
                         self.areas_only)
        with _open(self.path) as fh:
            pieces = _raw_objects(fh, self.path)
            for _line, raw in pieces:
                if raw.startswith(b".HODE"):
                    break
            yield from parser.objects(pieces)


# --------------------------------------------------------------------------- reading bytes


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise SosiError(path, "file not found") from None
    except IsADirectoryError:
        raise SosiError(path, "is a folder, expected a .sos file") from None
    except OSError as exc:
        raise SosiError(path, f"cannot be read: {exc.strerror or exc}") from None


def _raw_objects(fh: BinaryIO, path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield ``(first line number, bytes)`` of each object: text up to the next ``.`` line."""
    carry, line, read = b"", 1, 0
    while block := fh.read(BLOCK_SIZE):
        if not read and block.startswith(_BOM):
            block = block[len(_BOM):]
        read += len(block)
        buf, start = carry + block, 0
        binary = b"\x00" in block
        for match in _BOUNDARY.finditer(buf, max(0, len(carry) - 2)):
            piece = buf[start:match.start()]
            if binary:
                _check_binary(piece, path, line)
            yield line, piece
            line += piece.count(b"\n") + 1
            start = match.end()
        carry = buf[start:]
        logger.debug("%s: %.0f MB read", path.name, read / 1e6)
    if carry:
        _check_binary(carry, path, line)
        yield line, carry


def _check_binary(piece: bytes, path: Path, line: int) -> None:
    nul = piece.find(b"\x00")
    if nul >= 0:
        raise SosiError(path, "binary data (NUL bytes): this is not a SOSI text file, or it "
                        "is damaged", line=line + piece.count(b"\n", 0, nul))


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


# --------------------------------------------------------------------------- the head


def _read_header(path: Path, encoding: str | None) -> SosiHeader:
    with _open(path) as fh:
        has_bom = fh.read(len(_BOM)) == _BOM
        fh.seek(0)
        for line, raw in _raw_objects(fh, path):
            if _blank_or_comment(raw):
                continue
            if not raw.startswith(b".HODE"):
                found = raw.split(b"\n", 1)[0][:60].decode("latin-1")
                raise SosiError(path, f"expected the file to start with .HODE, found {found!r}",
                                line=line + _leading_blank_lines(raw))
            return _parse_header(raw, line, path, encoding, has_bom)
    raise SosiError(path, "no .HODE: the file is empty or not a SOSI file", line=1)


def _blank_or_comment(raw: bytes) -> bool:
    return all(not s.strip() or s.lstrip().startswith(b"!") for s in raw.split(b"\n"))


def _leading_blank_lines(raw: bytes) -> int:
    return raw.count(b"\n", 0, len(raw) - len(raw.lstrip()))


def _parse_header(raw: bytes, line: int, path: Path, encoding: str | None,
                  has_bom: bool) -> SosiHeader:
    tegnsett, codec = _choose_codec(raw, line, path, encoding, has_bom)
    text = _decode(_decoder(codec), raw, line, path, tegnsett or codec)
    attrs, lines = _head_elements(_clean(text), line)
    koordsys, crs = _koordsys(attrs, lines, path)
    enhet = _number(attrs, lines, "ENHET", path, default="1")
    if enhet <= 0:
        raise SosiError(path, f"...ENHET must be positive, got {attrs['ENHET']!r}",
                        line=lines.get("ENHET"))
    origo = _origo(attrs, lines, path)
    return SosiHeader(tegnsett, codec, koordsys, crs, enhet, origo, attrs)


def _choose_codec(raw: bytes, line: int, path: Path, encoding: str | None,
                  has_bom: bool) -> tuple[str | None, str]:
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
            logger.warning("%s: ..TEGNSETT %s but a UTF-8 byte order mark; reading as UTF-8",
                           path.name, tegnsett)
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


def _decode(decode: Callable[[bytes], str], raw: bytes, line: int, path: Path,
            charset: str) -> str:
    try:
        return decode(raw)
    except UnicodeDecodeError as exc:
        raise SosiError(
            path,
            f"bytes that are not valid {charset} ({raw[exc.start:exc.start + 4]!r}); the "
            "file's ..TEGNSETT may be wrong: pass encoding=… (e.g. 'ISO8859-1')",
            line=line + raw.count(b"\n", 0, exc.start),
        ) from None


def _head_elements(text: str, line: int) -> tuple[dict[str, Any], dict[str, int]]:
    attrs: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for name, value, body, at in _elements(text, line):
        value = _value(_join(value, body))
        if value:
            _put(attrs, name, value)
            lines.setdefault(name, at)
    return attrs, lines


def _koordsys(attrs: dict, lines: dict, path: Path) -> tuple[int | None, str | None]:
    raw = _first(attrs.get("KOORDSYS"))
    if raw is None:
        logger.warning("%s: no ...KOORDSYS in .HODE", path.name)
        return None, None
    table = koordsys_table()
    try:
        code = int(raw.split()[0])
    except ValueError:
        code = None
    if code not in table:
        raise SosiError(path, f"unknown ...KOORDSYS {raw!r}; known codes: {_known_codes()}",
                        line=lines.get("KOORDSYS"))
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
        raise SosiError(path, f"...ORIGO-NØ must be two numbers (north east), got {raw!r}",
                        line=lines.get("ORIGO-NØ"))
    return north, east


# --------------------------------------------------------------------------- text of objects


def _clean(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r", "")
    if "!" in text:
        text = "\n".join(_strip_comment(s) if "!" in s else s for s in text.split("\n"))
    return text


def _strip_comment(line: str) -> str:
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "!":
            return line[:i]
    return line


def _elements(text: str, line: int) -> Iterator[tuple[str, str, str, int]]:
    """Yield ``(name, value, continuation lines, line number)`` of each ``..`` element."""
    parts = _ELEMENT_SPLIT.split(text)
    at = line + parts[0].count("\n") + 1
    for part in parts[1:]:
        newline = part.find("\n")
        first, body = (part, "") if newline < 0 else (part[:newline], part[newline + 1:])
        bits = first.split(None, 1)
        name = bits[0].lstrip(".")
        if name:
            yield name, bits[1] if len(bits) > 1 else "", body, at
        at += part.count("\n") + 1


def _name_and_value(first: str) -> tuple[str, str]:
    bits = first.split(None, 1)
    return (bits[0], bits[1]) if len(bits) == 2 else (bits[0] if bits else "", "")


def _join(value: str, body: str) -> str:
    return value if not body or body.isspace() else f"{value} {' '.join(body.split())}"


def _value(raw: str) -> str:
    """Return a SOSI value as text: quotes removed (``""`` is ``"``), ``&`` concatenates."""
    raw = raw.strip()
    if '"' not in raw and "'" not in raw:
        return raw
    words: list[str] = []
    glue = False
    for double, single, amp, bare in _VALUE_TOKEN.findall(raw):
        if amp:
            glue = True
            continue
        if double:
            word = double.replace('""', '"')
        elif single:
            word = single.replace("''", "'")
        else:
            word = bare
        if glue and words:
            words[-1] += word
        else:
            words.append(word)
        glue = False
    return " ".join(words)


def _put(attrs: dict[str, Any], name: str, value: str) -> None:
    if name not in attrs:
        attrs[name] = value
    elif isinstance(attrs[name], list):
        attrs[name].append(value)
    else:
        attrs[name] = [attrs[name], value]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


# --------------------------------------------------------------------------- objects


@dataclass
class _Object:
    kind: str
    serial: int | None
    line: int
    text: str
    attrs: dict[str, Any] = field(default_factory=dict)
    coords: list[tuple[int, str, int]] = field(default_factory=list)
    ref: str | None = None
    objtype: str = ""

    def line_at(self, offset: int) -> int:
        """Line number of the character at ``offset`` in the object's text."""
        return self.line + self.text.count("\n", 0, offset)

    @property
    def feature(self) -> str:
        return f"{self.kind} {self.serial}" if self.serial is not None else \
            f"{self.kind} (line {self.line})"


class _CoordinateError(ValueError):
    """A coordinate block that cannot be read; the message names the line."""


class _FlateError(ValueError):
    """A ``.FLATE`` whose rings cannot be assembled; the message says why."""


class _CurveStore:
    """Coordinates of every curve, packed in one growable ``(n, 2)`` float buffer.

    The index maps a curve's serial number to ``start << 32 | stop`` in the buffer: one
    int per curve rather than a tuple, which matters for files with millions of curves.
    """

    def __init__(self) -> None:
        self._buf = np.empty((4096, 2))
        self._size = 0
        self._index: dict[int, int] = {}
        self.unreadable: dict[int, str] = {}

    def add(self, serial: int, xy: np.ndarray) -> None:
        end = self._size + len(xy)
        if end > len(self._buf):
            grown = np.empty((max(end, 2 * len(self._buf)), 2))
            grown[: self._size] = self._buf[: self._size]
            self._buf = grown
        self._buf[self._size:end] = xy
        self._index[serial] = self._size << 32 | end
        self._size = end
        self.unreadable.pop(serial, None)

    def get(self, serial: int) -> np.ndarray | None:
        span = self._index.get(serial)
        return None if span is None else self._buf[span >> 32:span & 0xFFFFFFFF]

    def __contains__(self, serial: int) -> bool:
        return serial in self._index

    def __len__(self) -> int:
        return len(self._index)


class _Parser:
    """Turns the objects of one file into :class:`PlanObject` records."""

    def __init__(self, path: Path, header: SosiHeader, issues: IssueLog, arc_tolerance: float,
                 areas_only: bool) -> None:
        self.path = path
        self.file = path.name
        self.header = header
        self.issues = issues
        self.arc_tolerance = arc_tolerance
        self.areas_only = areas_only
        self.decode = _decoder(header.encoding)
        self.charset = header.tegnsett or header.encoding
        self.scale = header.enhet
        self.offset = np.array([header.origo[1], header.origo[0]])
        self.has_offset = bool(self.offset.any())
        self.tolerance = header.enhet / 2
        self.curves = _CurveStore()
        self.last_komm: Any = None
        self.deferred: list[tuple[PlanObject, list[int], list[list[int]]]] = []
        self.batch: list[_Object] = []
        self.queue: list[PlanObject] = []
        self.rings: list[tuple[PlanObject, list[np.ndarray], list[np.ndarray]]] = []
        self.count = 0
        self.shared: dict[str, PlanObject] = {}
        self.handlers: dict[str, Callable[[_Object], PlanObject | None]] = {
            "FLATE": self._flate,
            **dict.fromkeys(_LINE_KINDS, self._curve),
            **dict.fromkeys(_POINT_KINDS, self._point),
        }

    def objects(self, pieces: Iterable[tuple[int, bytes]]) -> Iterator[PlanObject]:
        """Yield the objects after the head, in file order, a few hundred at a time.

        ``.FLATE`` objects whose curves come later in the file are yielded last.  Objects
        wait in a short queue so that their polygons can be built in bulk.
        """
        pending: tuple[int, bytes] | None = None
        ended = False
        for line, raw in pieces:
            if raw.startswith(b".SLUTT"):
                ended = True
                break
            if pending is not None and (obj := self._object(*pending)) is not None:
                self.queue.append(obj)
                if len(self.queue) >= OUTPUT_BATCH:
                    yield from self._drain()
            pending = (line, raw)
        if pending is not None:
            if ended:
                self._enqueue(self._object(*pending))
            else:
                self._flush_curves()
                self._enqueue(self._truncated(*pending))
        elif not ended:
            logger.warning("%s: the file ends without .SLUTT", self.file)
        self._flush_curves()
        for plan_object, outer, islands in self.deferred:
            self._enqueue(plan_object)
            self._area(plan_object, outer, islands)
        self.deferred = []
        yield from self._drain()
        logger.info("%s: %d objects, %d curves", self.file, self.count, len(self.curves))

    def _enqueue(self, obj: PlanObject | None) -> None:
        if obj is not None:
            self.queue.append(obj)

    def _drain(self) -> list[PlanObject]:
        """Give the queued areas their polygons (in bulk) and hand out the queue."""
        _build_polygons(self.rings)
        self.rings = []
        queue, self.queue = self.queue, []
        self.count += len(queue)
        return queue

    def _object(self, line: int, raw: bytes) -> PlanObject | None:
        obj = self._parse(_clean(_decode(self.decode, raw, line, self.path, self.charset)), line)
        if "KOMM" in obj.attrs:
            self.last_komm = obj.attrs["KOMM"]
        if obj.kind == "HODE":
            raise SosiError(self.path, "a second .HODE (two files joined into one?)", line=line)
        if obj.kind in _SECTION_KINDS:
            return None
        handler = self.handlers.get(obj.kind)
        if self.areas_only and obj.kind != "FLATE" and obj.objtype not in _LAYER_OBJECTS:
            if obj.kind in _LINE_KINDS:
                handler(obj)  # only to keep its coordinates
            return self._shared(obj.objtype)
        plan_object = handler(obj) if handler else PlanObject(obj.objtype, obj.feature, obj.attrs)
        if obj.kind != "FLATE" and plan_object is not None and obj.objtype in _AREA_OBJECTS:
            _report(self.issues, self.file, obj.feature, obj.objtype, "geometri_feil",
                    f"a {obj.objtype} must be a .FLATE, got a .{obj.kind}")
            plan_object.geometry = None
        return plan_object

    def _shared(self, objtype: str) -> PlanObject:
        """One PlanObject per OBJTYPE, yielded for every such object (``areas_only``)."""
        shared = self.shared.get(objtype)
        if shared is None:
            shared = self.shared[objtype] = PlanObject(objtype, f"(every {objtype})")
        return shared

    def _parse(self, text: str, line: int) -> _Object:
        """Split an object's text at each ``..`` element; collect attributes and geometry.

        This is the hot loop of the reader: plain string methods, no per-line work for
        coordinate lines (a coordinate block is parsed as a whole by numpy).
        """
        match = _OBJECT_HEAD.match(text)
        if match is None:
            raise SosiError(self.path, "expected an object header such as '.KURVE 12:', "
                            f"found {text.split(chr(10), 1)[0][:60]!r}", line=line)
        serial = match.group(2)
        obj = _Object(match.group(1).upper(), None if serial is None else int(serial), line,
                      text)
        if self.areas_only and obj.kind != "FLATE":
            self._elements_light(obj, text)
            obj.objtype = obj.attrs.get("OBJTYPE") or obj.kind
            if obj.objtype not in _LAYER_OBJECTS:
                return obj
            obj.attrs.clear()
            obj.coords.clear()
        self._elements(obj, text.split("\n.."))
        obj.objtype = _first(obj.attrs.get("OBJTYPE")) or obj.kind
        return obj

    def _elements(self, obj: _Object, parts: list[str]) -> None:
        attrs = obj.attrs
        offset = len(parts[0]) + 3
        for part in parts[1:]:
            start, offset = offset, offset + len(part) + 3
            first, _, body = part.partition("\n")
            if "\t" in first:
                name, value = _name_and_value(first)
            else:
                name, _, value = first.partition(" ")
            name = name.lstrip(".")
            if name in _COORD_DIMS:
                obj.coords.append((_COORD_DIMS[name], f"{value}\n{body}", start))
                continue
            if name == "REF":
                obj.ref = f"{obj.ref or ''} {value} {body}"
                continue
            if body and not body.isspace():
                value = f"{value} {' '.join(body.split())}"
            value = _value(value) if '"' in value or "'" in value else value.strip()
            if not value or not name:
                continue
            if name not in attrs:
                attrs[name] = value
            else:
                _put(attrs, name, value)

    def _elements_light(self, obj: _Object, text: str) -> None:
        """Only ``OBJTYPE`` and the coordinate blocks of curves (see ``areas_only``)."""
        at = text.find("\n..OBJTYPE")
        if at >= 0:
            end = text.find("\n", at + 1)
            found, value = _name_and_value(text[at + 1:] if end < 0 else text[at + 1:end])
            if found == "..OBJTYPE" and (value := _value(value)):
                obj.attrs["OBJTYPE"] = value
        at = text.find("\n..NØ") if obj.kind in _LINE_KINDS else -1
        if at < 0:
            return
        offset = at + 3
        for part in text[offset:].split("\n.."):
            start, offset = offset, offset + len(part) + 3
            if part.startswith("NØ"):
                first, _, body = part.partition("\n")
                name, value = _name_and_value(first)
                if name in _COORD_DIMS:
                    obj.coords.append((_COORD_DIMS[name], f"{value}\n{body}", start))

    def _truncated(self, line: int, raw: bytes) -> PlanObject | None:
        """Count and report the last object of a file without ``.SLUTT``; use none of it.

        Its attributes are kept (so that it is counted in its layer, with its municipality;
        ``KOMM`` is taken from an earlier object when the cut fell before it), its geometry
        is not, and curves that need it are reported.
        """
        logger.warning("%s: no .SLUTT; the last object (line %d) is not used", self.file, line)
        try:
            text = _clean(self.decode(raw))
        except UnicodeDecodeError:  # cut inside a multi-byte character
            text = _clean(raw.decode("latin-1"))
        if _OBJECT_HEAD.match(text) is None:
            self.issues.add(self.file, f"line {line}", "sosi", "fil_avkortet", "flagged",
                            "the file ends without .SLUTT, inside an unreadable line")
            return None
        obj = self._parse(text, line)
        if obj.kind in _SECTION_KINDS or obj.kind == "HODE":
            return None
        if obj.serial is not None:
            self.curves.unreadable[obj.serial] = "the file ends inside it, without .SLUTT"
        if "KOMM" not in obj.attrs and self.last_komm is not None:
            obj.attrs["KOMM"] = self.last_komm
        _report(self.issues, self.file, obj.feature, obj.objtype, "fil_avkortet",
                "the file ends without .SLUTT, so this last object may be cut off; it was not "
                "used")
        return PlanObject(obj.objtype, obj.feature, obj.attrs)

    # ---------------------------------------------------------------- points and curves

    def _coordinates(self, obj: _Object) -> np.ndarray:
        """Coordinates of all ``..NØ``/``..NØH`` blocks as an ``(n, 2)`` array (east, north)."""
        coords = obj.coords
        if not coords:
            return np.empty((0, 2))
        try:
            if len(coords) == 1:
                ints = _parse_coords(coords[0][1], coords[0][0])
            elif len({c[0] for c in coords}) == 1:
                ints = _parse_coords("\n".join([c[1] for c in coords]), coords[0][0])
            else:
                ints = np.concatenate([_parse_coords(t, dim) for dim, t, _ in coords])
        except _CoordinateError:
            raise _CoordinateError(_bad_coordinates(obj)) from None
        xy = ints[:, ::-1] * self.scale
        if self.has_offset:
            xy += self.offset
        if len(xy) and np.abs(xy).max() > MAX_COORDINATE:
            raise _CoordinateError(f"implausible coordinate (beyond ±{MAX_COORDINATE:.0e} "
                                   "after ENHET and ORIGO-NØ)")
        return xy

    def _read_coordinates(self, obj: _Object) -> np.ndarray | None:
        try:
            return self._coordinates(obj)
        except _CoordinateError as exc:
            _report(self.issues, self.file, obj.feature, obj.objtype, "koordinat_feil", str(exc))
            if obj.serial is not None:
                self.curves.unreadable[obj.serial] = str(exc)
            return None

    def _point(self, obj: _Object) -> PlanObject:
        if self.areas_only:
            return PlanObject(obj.objtype, obj.feature, obj.attrs)
        xy = self._read_coordinates(obj)
        geometry = shapely.points(xy[0]) if xy is not None and len(xy) else None
        return PlanObject(obj.objtype, obj.feature, obj.attrs, geometry)

    def _curve(self, obj: _Object) -> PlanObject:
        if self.areas_only and obj.serial is not None and obj.objtype not in _AREA_OBJECTS:
            self.batch.append(obj)  # only the coordinates are needed, later and in bulk
            if len(self.batch) >= CURVE_BATCH:
                self._flush_curves()
            return PlanObject(obj.objtype, obj.feature, obj.attrs)
        xy = self._read_coordinates(obj)
        if xy is not None:
            xy = self._store_curve(obj, xy)
        geometry = None
        if not self.areas_only and xy is not None and len(xy) >= 2:
            geometry = shapely.linestrings(xy)
        return PlanObject(obj.objtype, obj.feature, obj.attrs, geometry)

    def _store_curve(self, obj: _Object, xy: np.ndarray) -> np.ndarray | None:
        """Densify arcs and keep the curve's coordinates for the areas that need them."""
        if obj.kind in ("BUEP", "SIRKELP"):
            xy = self._arcs(obj, xy)
        elif obj.kind in _STRAIGHTENED_KINDS:
            self.issues.add(self.file, obj.feature, _layer_of(obj.objtype),
                            "geometri_forenklet", "flagged",
                            f".{obj.kind} is read as straight segments between its points")
        if xy is not None and obj.serial is not None:
            if not len(xy):
                self.curves.unreadable[obj.serial] = "it has no coordinates"
            else:
                self.curves.add(obj.serial, xy)
        return xy

    def _flush_curves(self) -> None:
        """Parse the coordinates of the batched curves with one numpy call, and store them.

        Falls back to one curve at a time (which names the bad line) when any of them is
        not plain ``..NØ`` integers.
        """
        batch, self.batch = self.batch, []
        if not batch:
            return
        xy, sizes = self._bulk_coordinates(batch)
        if xy is None:
            for obj in batch:
                if (coords := self._read_coordinates(obj)) is not None:
                    self._store_curve(obj, coords)
            return
        start = 0
        for obj, size in zip(batch, sizes, strict=True):
            self._store_curve(obj, xy[start:start + size])
            start += size

    def _bulk_coordinates(self, batch: list[_Object]) -> tuple[np.ndarray | None, list[int]]:
        tokens: list[str] = []
        sizes = []
        for obj in batch:
            if any(dim != 2 for dim, _, _ in obj.coords):
                return None, sizes
            text = "\n".join([c[1] for c in obj.coords])
            if "." in text:
                text = text.replace("...KP 1", "")
                if "." in text:
                    text = _POINT_ATTRS.sub("", text)
            words = text.split()
            tokens += words
            sizes.append(len(words) // 2)
            if len(words) % 2:
                return None, sizes
        try:
            ints = np.array(tokens, dtype=np.int64).reshape(-1, 2)
        except (ValueError, OverflowError):
            return None, sizes
        xy = ints[:, ::-1] * self.scale
        if self.has_offset:
            xy += self.offset
        if len(xy) and np.abs(xy).max() > MAX_COORDINATE:
            return None, sizes
        return xy, sizes

    def _arcs(self, obj: _Object, xy: np.ndarray) -> np.ndarray | None:
        if obj.kind == "SIRKELP" and len(xy) == 3:
            xy = np.vstack([xy, xy[0]])  # a full circle: p0 → p1 → p2, then p2 → … → p0
        if len(xy) < 3:
            logger.debug("%s %s: .%s with %d points read as a straight line", self.file,
                         obj.feature, obj.kind, len(xy))
            return xy
        parts = [xy[:1]]
        for i in range(0, len(xy) - 2, 2):
            arc = _arc(xy[i], xy[i + 1], xy[i + 2], self.arc_tolerance)
            if arc is None:
                return self._bad_arc(obj)
            parts.append(arc[1:])
        if len(xy) % 2 == 0:
            parts.append(xy[-1:])  # an even number of points ends with a straight segment
        return np.concatenate(parts)

    def _bad_arc(self, obj: _Object) -> None:
        reason = "the arc through its points cannot be computed"
        _report(self.issues, self.file, obj.feature, obj.objtype, "koordinat_feil", reason)
        if obj.serial is not None:
            self.curves.unreadable[obj.serial] = reason

    # ---------------------------------------------------------------- areas

    def _flate(self, obj: _Object) -> PlanObject | None:
        self._flush_curves()
        plan_object = PlanObject(obj.objtype, obj.feature, obj.attrs)
        if obj.ref is not None:
            obj.attrs["REF"] = " ".join(obj.ref.split())
        try:
            if obj.ref is None:
                raise _FlateError("the .FLATE has no ..REF to its boundary curves")
            try:
                outer, islands = parse_refs(obj.ref)
            except ValueError as exc:
                raise _FlateError(str(exc)) from None
            if not outer:
                raise _FlateError("the ..REF has no outer boundary (only islands)")
        except _FlateError as exc:
            self._flate_issue(plan_object, str(exc))
            return plan_object
        refs = [*outer, *(r for group in islands for r in group)]
        if all(abs(r) in self.curves for r in refs):
            self._area(plan_object, outer, islands)
            return plan_object
        self.deferred.append((plan_object, outer, islands))
        return None

    def _area(self, plan_object: PlanObject, outer: list[int], islands: list[list[int]]) -> None:
        """Assemble the rings of an area; its polygon is built when the queue is drained."""
        try:
            shells = self._rings(outer)
            holes = [ring for group in islands for ring in self._rings(group)]
        except _FlateError as exc:
            self._flate_issue(plan_object, str(exc))
            return
        self.rings.append((plan_object, shells, holes))

    def _flate_issue(self, plan_object: PlanObject, detail: str) -> None:
        _report(self.issues, self.file, plan_object.feature, plan_object.objtype,
                "geometri_feil", detail)

    def _rings(self, refs: list[int]) -> list[np.ndarray]:
        arrays = [self._oriented(ref) for ref in refs]
        ring = _one_ring(arrays, self.tolerance)
        if ring is not None:
            return [ring]
        parts = []
        for ref, xy in zip(refs, arrays, strict=True):
            (x0, y0), (x1, y1) = xy[[0, -1]].tolist()
            parts.append((ref, xy, (x0, y0), (x1, y1)))
        return _chain(parts, self.tolerance)

    def _oriented(self, ref: int) -> np.ndarray:
        xy = self.curves.get(abs(ref))
        if xy is None:
            why = self.curves.unreadable.get(abs(ref))
            if why is not None:
                raise _FlateError(f"references curve :{ref}, which could not be read ({why})")
            raise _FlateError(f"references :{ref}, which is not a curve (.KURVE/.LINJE/.BUEP) "
                              "in the file")
        return xy[::-1] if ref < 0 else xy


def _layer_of(objtype: str) -> str:
    if objtype in ZONE_OBJECTS:
        return "zones"
    if objtype in CONSTRAINT_OBJECTS:
        return "constraints"
    return objtype


def _report(issues: IssueLog, file: str, feature: str, objtype: str, rule: str,
            detail: str) -> None:
    """Report an object that cannot be used.

    A zone or constraint is ``unreadable`` (it is not in the outputs).  Any other object
    (curve, text, plan boundary) is counted as read and used, never output, so its problem
    is ``flagged``; the zones that need it are reported ``unreadable`` in their turn.
    """
    layer = _layer_of(objtype)
    issues.add(file, feature, layer, rule, "flagged" if layer == objtype else "unreadable",
               detail)


# --------------------------------------------------------------------------- geometry helpers


def _parse_coords(text: str, dim: int) -> np.ndarray:
    """Parse coordinate lines into an ``(n, 2)`` int64 array (north, east); drop heights."""
    if "." in text:
        text = text.replace("...KP 1", "")  # the usual node marker, without a regex
        if "." in text:
            text = _POINT_ATTRS.sub("", text)
    tokens = text.split()
    try:
        values = np.array(tokens, dtype=np.int64)
    except (ValueError, OverflowError):
        raise _CoordinateError from None
    if len(values) % dim:
        raise _CoordinateError
    return values.reshape(-1, dim)[:, :2]


def _bad_coordinates(obj: _Object) -> str:
    """Name the first coordinate line of ``obj`` that is not ``dim`` integers."""
    for dim, text, offset in obj.coords:
        what = "north east" if dim == 2 else "north east height"
        # the block text is "<rest of the ..NØ line>\n<lines>"; line 0 is the ..NØ line
        for number, raw in enumerate(text.split("\n")):
            tokens = _POINT_ATTRS.sub("", raw).split()
            if tokens and (len(tokens) != dim or not all(_is_int(t) for t in tokens)):
                return (f"line {obj.line_at(offset) + number}: expected {dim} integers "
                        f"({what}), got {raw.strip()!r}")
    return f"line {obj.line}: a coordinate block does not hold whole points"


def _is_int(token: str) -> bool:
    try:
        return -(2**63) <= int(token) < 2**63
    except ValueError:
        return False


def _arc(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, tolerance: float) -> np.ndarray | None:
    """Densify the arc p0 → p1 → p2; the tolerance grows for huge radii to bound the points."""
    a, b, c = (math.dist(p, q) for p, q in ((p0, p1), (p1, p2), (p0, p2)))
    cross = abs((p1[0] - p0[0]) * (p2[1] - p0[1]) - (p1[1] - p0[1]) * (p2[0] - p0[0]))
    if cross > 0:
        radius = a * b * c / (2 * cross)
        tolerance = max(tolerance, radius * (1 - math.cos(math.pi / MAX_ARC_POINTS)))
    with np.errstate(all="ignore"):
        points = arc_points(tuple(p0), tuple(p1), tuple(p2), tolerance)
    return points if np.isfinite(points).all() else None


def _one_ring(arrays: list[np.ndarray], tolerance: float) -> np.ndarray | None:
    """The usual case, with a few numpy calls: curves that follow each other exactly.

    Returns the closed ring when every curve starts where the one before it ends and the
    last ends where the first starts; ``None`` otherwise (then :func:`_chain` decides).
    """
    cat = np.concatenate(arrays) if len(arrays) > 1 else arrays[0].copy()
    ends = list(accumulate([len(a) for a in arrays]))
    firsts = [0, *ends[:-1]]
    if len(cat) - len(arrays) < 3:
        return None
    points = cat[[e - 1 for e in ends] + [*firsts[1:], 0]].ravel().tolist()
    n = 2 * len(arrays)
    for i in range(0, n, 2):  # end of curve k against start of curve k + 1 (and k = last)
        if abs(points[i] - points[n + i]) > tolerance or \
                abs(points[i + 1] - points[n + i + 1]) > tolerance:
            return None
    if len(arrays) > 1:
        keep = np.ones(len(cat), dtype=bool)
        keep[firsts[1:]] = False
        cat = cat[keep]
    cat[-1] = cat[0]
    return cat


_Part = tuple[int, np.ndarray, tuple[float, float], tuple[float, float]]
"""A curve as a ring needs it: (signed reference, coordinates, first point, last point)."""


def _chain(parts: list[_Part], tolerance: float) -> list[np.ndarray]:
    """Join oriented curves end to end into closed rings."""

    def near(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return abs(p[0] - q[0]) <= tolerance and abs(p[1] - q[1]) <= tolerance

    rings: list[np.ndarray] = []
    first_ref, xy, start, end = parts[0]
    current, refs = [xy], [first_ref]
    for ref, part, head, tail in parts[1:]:
        if near(head, end):
            current.append(part)
            end = tail
        elif near(tail, end):
            logger.debug("curve :%d is reversed against its sign; its endpoints prove it", ref)
            current.append(part[::-1])
            end = head
        elif len(current) == 1 and (near(head, start) or near(tail, start)):
            # the first curve's sign is the wrong one: turn it round
            forward = near(head, start)
            current = [current[0][::-1], part if forward else part[::-1]]
            start, end = end, tail if forward else head
        elif near(start, end):
            rings.append(_closed(current, refs, start, end, tolerance))
            current, refs, start, end = [part], [], head, tail
        else:
            gap = math.dist(end, head)
            raise _FlateError(f"gap of {gap:.2f} between the end of :{refs[-1]} and "
                              f"the start of :{ref}")
        refs.append(ref)
    rings.append(_closed(current, refs, start, end, tolerance))
    return rings


def _closed(parts: list[np.ndarray], refs: list[int], start: tuple[float, float],
            end: tuple[float, float], tolerance: float) -> np.ndarray:
    if abs(start[0] - end[0]) > tolerance or abs(start[1] - end[1]) > tolerance:
        raise _FlateError(f"the ring does not close: gap of {math.dist(start, end):.2f} "
                          f"between the end of :{refs[-1]} and the start of :{refs[0]}")
    ring = np.concatenate([parts[0], *(p[1:] for p in parts[1:])]) if len(parts) > 1 else \
        parts[0].copy()
    ring[-1] = ring[0]
    if len(ring) < 4:
        raise _FlateError(f"the ring {' '.join(f':{r}' for r in refs)} has fewer than 3 "
                          "distinct points")
    return ring


def _build_polygons(
    areas: list[tuple[PlanObject, list[np.ndarray], list[np.ndarray]]],
) -> None:
    """Set each area's geometry; polygons of one ring and no holes are built in one call."""
    simple = [(obj, shells[0]) for obj, shells, holes in areas if len(shells) == 1 and not holes]
    if simple:
        coords = np.concatenate([ring for _, ring in simple])
        index = np.repeat(np.arange(len(simple)), [len(ring) for _, ring in simple])
        polygons = shapely.polygons(shapely.linearrings(coords, indices=index))
        for (obj, _), polygon in zip(simple, polygons, strict=True):
            obj.geometry = polygon
    for obj, shells, holes in areas:
        if len(shells) != 1 or holes:
            obj.geometry = _polygon(shells, holes)


def _polygon(shells: list[np.ndarray], holes: list[np.ndarray]) -> shapely.Geometry:
    """Polygon (or MultiPolygon, for several outer rings) with each hole in its shell.

    Nothing is repaired here: an invalid result is repaired and reported downstream.
    """
    if len(shells) == 1 and not holes:
        return shapely.polygons(shells[0])
    if len(shells) == 1:
        return shapely.polygons(shapely.linearrings(shells[0]), holes=shapely.linearrings(holes)
                                if len(holes) == 1 else [shapely.linearrings(h) for h in holes])
    outlines = [shapely.Polygon(shell) for shell in shells]
    owned: list[list[np.ndarray]] = [[] for _ in shells]
    for hole in holes:
        x, y = hole[0]
        owner = next((i for i, o in enumerate(outlines) if shapely.intersects_xy(o, x, y)), 0)
        owned[owner].append(hole)
    return shapely.MultiPolygon([shapely.Polygon(s, h) for s, h in zip(shells, owned,
                                                                          strict=True)])


# --------------------------------------------------------------------------- for read_sosi


def _file_crs(header: SosiHeader, crs: Any, path: Path) -> pyproj.CRS:
    if header.crs is not None:
        return pyproj.CRS.from_user_input(header.crs)
    if crs is None:
        raise SosiError(
            path,
            "the .HODE has no ...KOORDSYS, so the coordinates cannot be placed; "
            f"add it to the file or pass crs=… (known KOORDSYS codes: {_known_codes()})",
        )
    try:
        return pyproj.CRS.from_user_input(crs)
    except ProjError as exc:
        raise SosiError(path, f"unknown crs {crs!r}: {exc}") from None


def _drop_untransformable(objects: list[PlanObject], crs: pyproj.CRS, issues: IssueLog,
                          file: str) -> None:
    """Report and drop geometries whose coordinates do not transform to the working CRS.

    A wrong ``...KOORDSYS`` (projected coordinates read as degrees, say) gives coordinates
    outside the CRS's domain, which would otherwise turn into infinite coordinates.
    """
    if crs.equals(WORKING_CRS):
        return
    owners = [o for o in objects if o.geometry is not None]
    if not owners:
        return
    coords, index = shapely.get_coordinates([o.geometry for o in owners], return_index=True)
    transformer = pyproj.Transformer.from_crs(crs, WORKING_CRS, always_xy=True)
    x, y = transformer.transform(coords[:, 0], coords[:, 1])
    for i in np.unique(index[~(np.isfinite(x) & np.isfinite(y))]):
        obj = owners[i]
        _report(issues, file, obj.feature, obj.objtype, "koordinat_feil",
                f"coordinates outside the domain of {crs.to_string()}, so they cannot be "
                f"transformed to {WORKING_CRS}; is the file's ...KOORDSYS right?")
        obj.geometry = None


