"""Build shapely geometries from GML geometry elements: surfaces, curves and points.

:class:`_Geometries` is what the reader uses: :meth:`_Geometries.build` takes a geometry
property and returns the geometry and its ``srsName``.  Surfaces (``gml:Polygon``,
``gml:Surface``, ``gml:MultiSurface`` …) are built here, from rings closed within
:data:`~arealkart.load.gml.SNAP_TOLERANCE`; curves and coordinates come from the classes below.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import shapely
from shapely.errors import GEOSException

from arealkart.errors import ArealkartError
from arealkart.load.gml._crs import _Ctx
from arealkart.load.gml._curves import _CURVES, SNAP_TOLERANCE, _Curves
from arealkart.load.gml._positions import _fmt, _GeometryError
from arealkart.load.gml._xml import (
    _XLINK_HREF,
    _child,
    _children,
    _is_gml,
    _local,
    _member_point,
    _members,
)

_SURFACES = frozenset(
    {
        "Polygon",
        "PolygonPatch",
        "Surface",
        "MultiSurface",
        "CompositeSurface",
        "MultiPolygon",
        "OrientableSurface",
    }
)


class _Geometries(_Curves):
    """Build shapely geometries from GML geometry elements."""

    def build(self, prop: ET.Element, ctx: _Ctx) -> tuple[Any, str | None]:
        """Build the geometry held by a property element; return it and its srsName."""
        href = prop.get(_XLINK_HREF)
        if len(prop) == 0:
            if href is not None:
                geometry, srs = self._target(href)
                return geometry, srs or ctx.srs
            raise _GeometryError(f"the property {_local(prop)} holds no geometry")
        if len(prop) > 1:
            raise _GeometryError(f"the property {_local(prop)} holds {len(prop)} elements")
        elem = prop[0]
        srs = self.ctx(elem, ctx).srs
        return self.geometry(elem, ctx), srs

    def geometry(self, elem: ET.Element, ctx: _Ctx) -> Any:
        """Build the shapely geometry of a GML geometry element."""
        kind = _local(elem)
        if not _is_gml(elem):
            raise _GeometryError(f"<{kind}> is not a GML geometry")
        try:
            if kind in _SURFACES:
                return _polygonal(self._surfaces(elem, ctx))
            if kind in _CURVES:
                return shapely.LineString(self._path(elem, ctx))
            if kind in ("MultiCurve", "MultiLineString"):
                inner = self.ctx(elem, ctx)
                members = _members(elem, ("curveMember", "lineStringMember"), "curveMembers")
                return shapely.MultiLineString([self._member_path(m, inner) for m in members])
            if kind in ("Point", "MultiPoint"):
                return self._points_geometry(elem, ctx)
        except ArealkartError:
            raise
        except (ValueError, GEOSException) as exc:
            raise _GeometryError(f"gml:{kind}: {exc}") from None
        raise _GeometryError(f"gml:{kind} geometries are not supported")

    # -- surfaces

    def _surfaces(self, elem: ET.Element, ctx: _Ctx) -> list[Any]:
        ctx = self.ctx(elem, ctx)
        kind = _local(elem)
        if kind in ("Polygon", "PolygonPatch"):
            return [self._polygon(elem, ctx)]
        if kind == "Surface":
            patches = _child(elem, "patches")
            if patches is None or not len(patches):
                raise _GeometryError("gml:Surface without gml:patches")
            return [p for patch in patches for p in self._surfaces(patch, ctx)]
        if kind == "OrientableSurface":
            base = _child(elem, "baseSurface")
            if base is None:
                raise _GeometryError("gml:OrientableSurface without gml:baseSurface")
            return self._member_surfaces(base, ctx)
        members = _members(elem, ("surfaceMember", "polygonMember"), "surfaceMembers")
        polygons = [p for m in members for p in self._member_surfaces(m, ctx)]
        if not polygons:
            raise _GeometryError(f"gml:{kind} has no members")
        return polygons

    def _member_surfaces(self, member: ET.Element, ctx: _Ctx) -> list[Any]:
        if _is_gml(member) and _local(member) in _SURFACES:
            return self._surfaces(member, ctx)
        if len(member) == 0:
            geometry, _ = self._target(member.get(_XLINK_HREF))
            if shapely.get_type_id(geometry) not in (3, 6):
                raise _GeometryError(f"a surface member refers to a {geometry.geom_type}")
            return list(shapely.get_parts(geometry))
        return self._surfaces(member[0], ctx)

    def _polygon(self, elem: ET.Element, ctx: _Ctx) -> Any:
        ctx = self.ctx(elem, ctx)
        kind = _local(elem)
        exteriors = _children(elem, "exterior", "outerBoundaryIs")
        if len(exteriors) != 1:
            raise _GeometryError(f"gml:{kind} has {len(exteriors)} gml:exterior, expected 1")
        shell = self._ring(exteriors[0], ctx)
        holes = [self._ring(i, ctx) for i in _children(elem, "interior", "innerBoundaryIs")]
        return shapely.Polygon(shell, holes)

    def _ring(self, holder: ET.Element, ctx: _Ctx) -> np.ndarray:
        if len(holder) != 1:
            raise _GeometryError(f"gml:{_local(holder)} holds {len(holder)} rings, expected 1")
        ring = holder[0]
        kind = _local(ring)
        if kind not in ("LinearRing", "Ring"):
            raise _GeometryError(f"gml:{_local(holder)} holds gml:{kind}, expected a ring")
        points = self._path(ring, ctx)
        return self._closed(points, kind, self.ctx(ring, ctx))

    def _closed(self, points: np.ndarray, kind: str, ctx: _Ctx) -> np.ndarray:
        gap = float(np.hypot(*(points[-1] - points[0])))
        if gap > SNAP_TOLERANCE * self._unit(ctx):
            raise _GeometryError(
                f"gml:{kind} is not closed: it starts at {_fmt(points[0])} and ends at "
                f"{_fmt(points[-1])}"
            )
        if len(points) < 4:
            raise _GeometryError(f"gml:{kind} has {len(points)} points; a ring needs 4 or more")
        points = points.copy()
        points[-1] = points[0]
        return points

    def _points_geometry(self, elem: ET.Element, ctx: _Ctx) -> Any:
        ctx = self.ctx(elem, ctx)
        if _local(elem) == "Point":
            return shapely.Point(self._points(elem, ctx)[0])
        members = _members(elem, ("pointMember",), "pointMembers")
        points = [self._points(p, self.ctx(p, ctx))[0] for p in map(_member_point, members)]
        if not points:
            raise _GeometryError("gml:MultiPoint has no members")
        return shapely.MultiPoint(points)


def _polygonal(polygons: list[Any]) -> Any:
    parts = [p for polygon in polygons for p in shapely.get_parts(polygon)]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
