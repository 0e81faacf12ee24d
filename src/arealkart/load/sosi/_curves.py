"""Coordinates of points and curves: integers to CRS units, arcs, and the curve store.

Coordinates are integers, northing first: real = integer × ``...ENHET`` + ``...ORIGO-NØ``.
``..NØ`` and ``..NØH`` blocks are parsed as a whole by numpy (the height is dropped, node
markers such as ``...KP 1`` skipped); :func:`~arealkart.load.sosi.read_sosi` parses the
curves of up to :data:`CURVE_BATCH` objects in one call.  ``.BUEP`` arcs are densified with
:func:`arealkart.load.geometry.arc_points`.  Every curve's coordinates are kept in a
:class:`_CurveStore`, because a ``.FLATE`` may reference curves that come later in the file.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import shapely

from arealkart.load.geometry import arc_points, circle_points
from arealkart.load.planobjects import PlanObject, layer_of
from arealkart.load.sosi._objects import _AREA_OBJECTS, _STRAIGHTENED_KINDS, _Object, _report
from arealkart.load.sosi.header import _ReadContext

logger = logging.getLogger(__package__)  # "arealkart.load.sosi", one logger for the reader

MAX_COORDINATE = 1e9
"""Largest plausible absolute coordinate (in CRS units) after ENHET and ORIGO are applied."""

"""Upper bound on the points one densified arc may have, whatever its radius."""

CURVE_BATCH = 2048
"""Curves whose coordinates :func:`~arealkart.load.sosi.read_sosi` parses together in one
numpy call."""

_POINT_ATTRS = re.compile(r"\.\.\.[^\n]*")


class _CoordinateError(ValueError):
    """A coordinate block that cannot be read; the message names the line."""


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
        self._buf[self._size : end] = xy
        self._index[serial] = self._size << 32 | end
        self._size = end
        self.unreadable.pop(serial, None)

    def get(self, serial: int) -> np.ndarray | None:
        span = self._index.get(serial)
        return None if span is None else self._buf[span >> 32 : span & 0xFFFFFFFF]

    def __contains__(self, serial: int) -> bool:
        return serial in self._index

    def __len__(self) -> int:
        return len(self._index)


class _Curves:
    """Read the coordinates of points and curves, and keep every curve's for the areas.

    ``sosi`` (the file being read) gives the head, the issues log and the options.
    """

    def __init__(self, sosi: _ReadContext) -> None:
        self.file = sosi.path.name
        self.issues = sosi.issues
        self.arc_tolerance = sosi.arc_tolerance
        self.areas_only = sosi.areas_only
        self.scale = sosi.header.enhet
        self.offset = np.array([sosi.header.origo[1], sosi.header.origo[0]])
        self.has_offset = bool(self.offset.any())
        self.store = _CurveStore()
        self.batch: list[_Object] = []

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
            raise _CoordinateError(
                f"implausible coordinate (beyond ±{MAX_COORDINATE:.0e} after ENHET and ORIGO-NØ)"
            )
        return xy

    def _read_coordinates(self, obj: _Object) -> np.ndarray | None:
        try:
            return self._coordinates(obj)
        except _CoordinateError as exc:
            _report(self.issues, self.file, obj.feature, obj.objtype, "koordinat_feil", str(exc))
            if obj.serial is not None:
                self.store.unreadable[obj.serial] = str(exc)
            return None

    def point(self, obj: _Object) -> PlanObject:
        """A ``.PUNKT``, ``.SYMBOL`` or ``.TEKST``: a point at its first coordinate."""
        if self.areas_only:
            return PlanObject(obj.objtype, obj.feature, obj.attrs)
        xy = self._read_coordinates(obj)
        geometry = shapely.points(xy[0]) if xy is not None and len(xy) else None
        return PlanObject(obj.objtype, obj.feature, obj.attrs, geometry)

    def curve(self, obj: _Object) -> PlanObject:
        """A curve: its coordinates are stored for the areas (batched with ``areas_only``)."""
        if self.areas_only and obj.serial is not None and obj.objtype not in _AREA_OBJECTS:
            self.batch.append(obj)  # only the coordinates are needed, later and in bulk
            if len(self.batch) >= CURVE_BATCH:
                self.flush()
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
        curve: np.ndarray | None = xy
        if obj.kind in ("BUEP", "SIRKELP"):
            curve = self._arcs(obj, xy)
        elif obj.kind in _STRAIGHTENED_KINDS:
            self.issues.add(
                self.file,
                obj.feature,
                layer_of(obj.objtype),
                "geometri_forenklet",
                "flagged",
                f".{obj.kind} is read as straight segments between its points",
            )
        if curve is not None and obj.serial is not None:
            if not len(curve):
                self.store.unreadable[obj.serial] = "it has no coordinates"
            else:
                self.store.add(obj.serial, curve)
        return curve

    def flush(self) -> None:
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
            self._store_curve(obj, xy[start : start + size])
            start += size

    def _bulk_coordinates(self, batch: list[_Object]) -> tuple[np.ndarray | None, list[int]]:
        tokens: list[str] = []
        sizes: list[int] = []
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
            with np.errstate(all="ignore"):
                ring = circle_points(xy[0], xy[1], xy[2], self.arc_tolerance)
            if ring is not None and np.isfinite(ring).all():
                return ring
            self._bad_arc(obj)
            return None
        if len(xy) < 3:
            logger.debug(
                "%s %s: .%s with %d points read as a straight line",
                self.file,
                obj.feature,
                obj.kind,
                len(xy),
            )
            return xy
        parts = [xy[:1]]
        for i in range(0, len(xy) - 2, 2):
            arc = _arc(xy[i], xy[i + 1], xy[i + 2], self.arc_tolerance)
            if arc is None:
                self._bad_arc(obj)
                return None
            parts.append(arc[1:])
        if len(xy) % 2 == 0:
            parts.append(xy[-1:])  # an even number of points ends with a straight segment
        return np.concatenate(parts)

    def _bad_arc(self, obj: _Object) -> None:
        reason = "the arc through its points cannot be computed"
        _report(self.issues, self.file, obj.feature, obj.objtype, "koordinat_feil", reason)
        if obj.serial is not None:
            self.store.unreadable[obj.serial] = reason


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
                return (
                    f"line {obj.line_at(offset) + number}: expected {dim} integers "
                    f"({what}), got {raw.strip()!r}"
                )
    return f"line {obj.line}: a coordinate block does not hold whole points"


def _is_int(token: str) -> bool:
    try:
        return -(2**63) <= int(token) < 2**63
    except ValueError:
        return False


def _arc(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, tolerance: float) -> np.ndarray | None:
    """Densify the arc p0 → p1 → p2; ``None`` where its points are not finite."""
    with np.errstate(all="ignore"):
        points = arc_points(tuple(p0), tuple(p1), tuple(p2), tolerance)
    return points if np.isfinite(points).all() else None
