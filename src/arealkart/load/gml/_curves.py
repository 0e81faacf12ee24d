"""Curves in GML: line strings, composite and orientable curves, segments and arcs.

:class:`_Curves` turns every GML curve into one ``(n, 2)`` array: parts are joined end to
end (within :data:`SNAP_TOLERANCE`), repeated points are dropped and noted
(``dobbeltpunkt``), and ``gml:Arc``, ``gml:ArcString`` and ``gml:Circle`` are densified with
:func:`arealkart.load.geometry.arc_points`; an arc that bulges less than
:data:`MIN_ARC_HEIGHT` is read as a straight line and noted (``bue_rett_linje``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import numpy as np
import shapely

from arealkart.load.geometry import arc_points, circle_points
from arealkart.load.gml._crs import _Ctx, _SrsLookup
from arealkart.load.gml._positions import _fmt, _GeometryError, _Positions
from arealkart.load.gml._xml import _XLINK_HREF, _child, _is_gml, _local, _members

SNAP_TOLERANCE = 0.001
"""Largest gap (m) closed between the ends of a ring or of consecutive curve parts: 1 mm,
the finest coordinate resolution of SOSI plan data."""

MIN_ARC_HEIGHT = 0.02
"""Smallest distance (m) between an arc's middle point and its chord before the arc is
flagged as a straight line: 2 cm, DiBK's limit in rule ``gml.bue.2``."""

_CURVES = frozenset(
    {"LineString", "LinearRing", "Curve", "CompositeCurve", "OrientableCurve", "Ring"}
)


class _Curves(_Positions):
    """Build the coordinates of GML curves, arcs included."""

    def __init__(self, srs: _SrsLookup, arc_tolerance: float) -> None:
        super().__init__(srs, arc_tolerance)
        self._path_kinds: dict[str, Callable[[ET.Element, _Ctx], np.ndarray]] = {
            "LineString": self._line,
            "LinearRing": self._line,
            "Curve": self._curve,
            "CompositeCurve": self._composite,
            "Ring": self._composite,
            "OrientableCurve": self._orientable,
        }
        self._segment_kinds: dict[str, Callable[[ET.Element, _Ctx], np.ndarray]] = {
            "LineStringSegment": self._line,
            "Arc": self._arc_segment,
            "ArcString": self._arc_string,
            "Circle": self._circle,
        }

    def _path(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        kind = _local(elem)
        handler = self._path_kinds.get(kind) if _is_gml(elem) else None
        if handler is None:
            raise _GeometryError(f"gml:{kind} is not a supported curve")
        return handler(elem, self.ctx(elem, ctx))

    def _member_path(self, member: ET.Element, ctx: _Ctx) -> np.ndarray:
        if _is_gml(member) and _local(member) in _CURVES:
            return self._path(member, ctx)
        if len(member) == 0:
            geometry, _ = self._target(member.get(_XLINK_HREF))
            if geometry.geom_type not in ("LineString", "LinearRing"):
                raise _GeometryError(f"a curve member refers to a {geometry.geom_type}")
            return shapely.get_coordinates(geometry)
        if len(member) > 1:
            raise _GeometryError(f"gml:{_local(member)} holds {len(member)} curves, expected 1")
        return self._path(member[0], ctx)

    def _line(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._dedupe(self._points(elem, ctx), _local(elem))
        if len(points) < 2:
            raise _GeometryError(f"gml:{_local(elem)} has fewer than 2 distinct points")
        return points

    def _curve(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        segments = _child(elem, "segments")
        if segments is None or not len(segments):
            raise _GeometryError("gml:Curve without gml:segments")
        parts = []
        for segment in segments:
            handler = self._segment_kinds.get(_local(segment))
            if handler is None:
                raise _GeometryError(f"gml:{_local(segment)} segments are not supported")
            parts.append(handler(segment, self.ctx(segment, ctx)))
        return self._join(parts, "gml:Curve", ctx)

    def _composite(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        members = _members(elem, ("curveMember",), "curveMembers")
        if not members:
            raise _GeometryError(f"gml:{_local(elem)} has no gml:curveMember")
        return self._join([self._member_path(m, ctx) for m in members], f"gml:{_local(elem)}", ctx)

    def _orientable(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        base = _child(elem, "baseCurve")
        if base is None:
            raise _GeometryError("gml:OrientableCurve without gml:baseCurve")
        path = self._member_path(base, ctx)
        return path[::-1] if elem.get("orientation", "+").strip() == "-" else path

    def _join(self, parts: list[np.ndarray], what: str, ctx: _Ctx) -> np.ndarray:
        joined = [parts[0]]
        for part in parts[1:]:
            end, start = joined[-1][-1], part[0]
            if float(np.hypot(*(start - end))) > SNAP_TOLERANCE * self._unit(ctx):
                raise _GeometryError(
                    f"the parts of {what} do not connect: one ends at {_fmt(end)}, the next "
                    f"starts at {_fmt(start)}"
                )
            joined.append(part[1:])
        return np.vstack(joined)

    def _dedupe(self, points: np.ndarray, kind: str) -> np.ndarray:
        repeats = np.all(points[1:] == points[:-1], axis=1)
        if not repeats.any():
            return points
        first = points[1:][repeats][0]
        self.notes.append(
            (
                "dobbeltpunkt",
                f"gml:{kind} repeats {int(repeats.sum())} point(s), first at {_fmt(first)}; "
                "the repeats were dropped",
            )
        )
        return points[np.concatenate([[True], ~repeats])]

    # -- arcs

    def _arc_segment(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._points(elem, ctx)
        if len(points) != 3:
            raise _GeometryError(f"gml:Arc has {len(points)} points, expected 3")
        return self._arc(points, ctx)

    def _arc_string(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._points(elem, ctx)
        if len(points) < 3 or len(points) % 2 == 0:
            raise _GeometryError(f"gml:ArcString has {len(points)} points, expected 3, 5, 7 …")
        arcs = [self._arc(points[i : i + 3], ctx) for i in range(0, len(points) - 1, 2)]
        return self._join(arcs, "gml:ArcString", ctx)

    def _arc(self, points: np.ndarray, ctx: _Ctx) -> np.ndarray:
        self.arcs = True
        unit = self._unit(ctx)
        start, middle, end = points
        self._distinct(points, "gml:Arc", unit)
        chord = end - start
        length = float(np.hypot(*chord))
        offset = middle - start
        height = abs(float(chord[0] * offset[1] - chord[1] * offset[0])) / length
        if height < MIN_ARC_HEIGHT * unit:
            along = float(offset @ chord) / length**2
            if not 0.0 < along < 1.0:
                raise _GeometryError(
                    f"gml:Arc from {_fmt(start)} to {_fmt(end)} has its middle point on the "
                    "line through its ends but not between them"
                )
            self.notes.append(
                (
                    "bue_rett_linje",
                    f"gml:Arc from {_fmt(start)} to {_fmt(end)} bulges only "
                    f"{height / unit:.3f} m from a straight line (less than {MIN_ARC_HEIGHT} m); "
                    "read as the line through its three points",
                )
            )
            return points.copy()
        return arc_points(start, middle, end, self.arc_tolerance * unit)

    def _circle(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._points(elem, ctx)
        if len(points) != 3:
            raise _GeometryError(f"gml:Circle has {len(points)} points, expected 3")
        self.arcs = True
        unit = self._unit(ctx)
        self._distinct(points, "gml:Circle", unit)
        ring = circle_points(points[0], points[1], points[2], self.arc_tolerance * unit)
        if ring is None:
            raise _GeometryError(f"the points of gml:Circle at {_fmt(points[0])} are collinear")
        return ring

    def _distinct(self, points: np.ndarray, kind: str, unit: float) -> None:
        for i, j in ((0, 1), (1, 2), (0, 2)):
            if float(np.hypot(*(points[i] - points[j]))) <= SNAP_TOLERANCE * unit:
                raise _GeometryError(f"{kind} has coincident points at {_fmt(points[i])}")
