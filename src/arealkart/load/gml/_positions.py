"""Coordinates of GML geometry elements, in the ``srsName`` and ``srsDimension`` in force.

:class:`_Positions` is the base of the geometry builders: it tracks the feature being
built, the notes and arcs met, the CRS context of each element (:meth:`_Positions.ctx`), and
reads ``gml:pos``, ``gml:posList`` and GML 2 ``gml:coordinates`` into ``(n, 2)`` arrays in
x/y order (swapped where the CRS's axis order asks for it).  Geometries that ``xlink:href``
points at are looked up in ``targets``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from arealkart.load.gml._crs import _Ctx, _Srs, _SrsLookup
from arealkart.load.gml._xml import _href_id, _is_gml, _local


class _GeometryError(Exception):
    """A geometry that cannot be built; the message is the reason (never leaves the reader)."""


class _Positions:
    """Read the coordinates of GML elements in their CRS context."""

    def __init__(self, srs: _SrsLookup, arc_tolerance: float) -> None:
        self.srs = srs
        self.arc_tolerance = arc_tolerance
        self.targets: dict[str, Any] | None = None
        self.notes: list[tuple[str, str]] = []
        self.arcs = False
        self.feature: str | None = None

    def start(self, feature: str | None) -> None:
        """Begin the geometry of ``feature``: forget the notes and arcs of the last one."""
        self.feature, self.notes, self.arcs = feature, [], False

    def ctx(self, elem: ET.Element, outer: _Ctx) -> _Ctx:
        """The CRS context at ``elem``: its own ``srsName``/``srsDimension``, else ``outer``."""
        srs = elem.get("srsName") or None
        if srs:
            self.srs(srs, self.feature)
        dim = elem.get("srsDimension")
        if dim is not None and dim.strip() not in ("2", "3"):
            raise _GeometryError(f"srsDimension {dim!r} on gml:{_local(elem)}; expected 2 or 3")
        return _Ctx(srs or outer.srs, int(dim) if dim is not None else outer.dim)

    def _points(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        points = self._raw_points(elem, ctx)
        srs = self._srs(ctx)
        return points[:, ::-1].copy() if srs is not None and srs.swap else points

    def _raw_points(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        """Return the coordinates of an element in file order (before any axis swap)."""
        parts = []
        for child in elem:
            kind = _local(child) if _is_gml(child) else ""
            if kind == "posList":
                parts.append(self._pos_list(child, ctx))
            elif kind == "pos":
                parts.append(self._pos(child, ctx))
            elif kind == "coordinates":
                parts.append(_coordinates(child))
            elif kind in ("pointProperty", "pointRep") and len(child):
                parts.append(self._raw_points(child[0], self.ctx(child[0], ctx)))
        if not parts:
            raise _GeometryError(f"gml:{_local(elem)} has no coordinates")
        return np.vstack(parts)

    def _pos_list(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        ctx = self.ctx(elem, ctx)
        srs = self._srs(ctx)
        dim = ctx.dim or (srs.dimension if srs is not None else 2)
        values = _numbers(elem.text)
        if not values.size or values.size % dim:
            raise _GeometryError(
                f"gml:posList has {values.size} numbers, not a multiple of srsDimension {dim}"
            )
        return values.reshape(-1, dim)[:, :2]

    def _pos(self, elem: ET.Element, ctx: _Ctx) -> np.ndarray:
        ctx = self.ctx(elem, ctx)
        values = _numbers(elem.text)
        if values.size not in (2, 3) or (ctx.dim is not None and values.size != ctx.dim):
            raise _GeometryError(f"gml:pos has {values.size} numbers, expected 2 or 3")
        return values[:2].reshape(1, 2)

    def _srs(self, ctx: _Ctx) -> _Srs | None:
        return self.srs(ctx.srs, self.feature) if ctx.srs else None

    def _unit(self, ctx: _Ctx) -> float:
        srs = self._srs(ctx)
        return srs.unit if srs is not None else 1.0

    def _target(self, href: str | None) -> tuple[Any, str | None]:
        ref = _href_id(href or "")
        if self.targets is None:
            raise _GeometryError(f"references inside a referenced geometry (#{ref})")
        if "#" in ref or ref not in self.targets:
            raise _GeometryError(f"refers to {href}, which is not a geometry in the file")
        target = self.targets[ref]
        if isinstance(target, str):
            raise _GeometryError(f"the referenced geometry #{ref} cannot be built: {target}")
        return target


def _numbers(text: str | None) -> np.ndarray:
    tokens = (text or "").split()
    try:
        values = np.array(tokens, dtype=float)
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise _GeometryError(f"{bad[:40]!r} is not a number") from None
    if not np.isfinite(values).all():
        raise _GeometryError("a coordinate is not a finite number")
    return values


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _coordinates(elem: ET.Element) -> np.ndarray:
    """Parse GML 2 ``gml:coordinates`` (``cs``, ``ts`` and ``decimal`` honoured)."""
    cs, ts, decimal = elem.get("cs", ","), elem.get("ts", " "), elem.get("decimal", ".")
    text = (elem.text or "").strip()
    tuples = text.split() if not ts.strip() else text.split(ts)
    rows = [_numbers(t.replace(cs, " ").replace(decimal, ".")) for t in tuples if t.strip()]
    if not rows or any(r.size not in (2, 3) for r in rows):
        raise _GeometryError("gml:coordinates are not pairs or triples of numbers")
    return np.array([r[:2] for r in rows])


def _fmt(point: np.ndarray) -> str:
    return f"({point[0]:.3f}, {point[1]:.3f})"
