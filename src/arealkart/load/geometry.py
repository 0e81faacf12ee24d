"""Geometry helpers shared by the readers: repair, polygon-only extraction, CRS handling."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from arealkart.errors import CRSError
from arealkart.load.repair import check_and_repair
from arealkart.model.issues import IssueLog, source_file
from arealkart.model.schema import CRS

log = logging.getLogger(__name__)


def polygonal_part(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal part of each geometry (e.g. of a GeometryCollection)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    collections = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    for i in np.flatnonzero(collections):
        parts = shapely.get_parts(geoms[i])
        polys = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
        out[i] = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    return out


def repair_polygons(
    gdf: gpd.GeoDataFrame, *, layer: str, issues: IssueLog, id_column: str
) -> gpd.GeoDataFrame:
    """Make polygon geometries valid, record every repair, and drop empty results.

    Invalid polygons are repaired with :func:`shapely.make_valid` using the "structure"
    method (a hole is subtracted even where it crosses its shell; ``repaired`` in the
    issues report), within the limits of :mod:`arealkart.load.repair`: a polygon with too
    many vertices, or whose check and repair take too long, is ``unreadable``
    (``geometri_feil``).  Geometries that are missing, empty, or of zero area after repair
    are dropped and reported as ``excluded``.  Point geometries pass through untouched.
    """
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    is_poly = np.isin(shapely.get_type_id(geoms), [3, 6])
    checked = check_and_repair(geoms, polygons=is_poly & ~missing)
    fixed = checked.geometries
    repaired = np.fromiter(checked.reasons, dtype=int, count=len(checked.reasons))
    fixed[repaired] = polygonal_part(fixed[repaired])
    failed = np.zeros(len(gdf), dtype=bool)
    failed[list(checked.failed)] = True
    rows = gdf.iloc
    for i, reason in checked.reasons.items():
        _add(
            issues,
            rows[i],
            id_column,
            layer,
            "geometri_reparert",
            "repaired",
            f"invalid polygon ({reason}) repaired with make_valid",
        )
    for i, detail in checked.failed.items():
        _add(issues, rows[i], id_column, layer, "geometri_feil", "unreadable", detail)
    zero = is_poly & ~missing & ~failed & (shapely.area(fixed) <= 0)
    for i in map(int, np.flatnonzero(missing | zero)):
        what = "no geometry" if missing[i] else "zero area after repair"
        _add(issues, rows[i], id_column, layer, "geometri_tom", "excluded", what)
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs)
    return out[~(missing | zero | failed)]


def _add(
    issues: IssueLog, row: object, id_column: str, layer: str, rule: str, action: str, detail: str
) -> None:
    issues.add(source_file(row["source"]), row[id_column], layer, rule, action, detail)  # type: ignore[index]


def to_working_crs(
    gdf: gpd.GeoDataFrame, *, path: str | Path | None, crs: object = None, check: bool = False
) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to EPSG:25832; a layer without CRS needs ``crs`` from the user.

    Parameters
    ----------
    check
        Also check that the coordinates fit the CRS and lie in Norway (see
        :func:`check_coordinates`).

    Raises
    ------
    CRSError
        If the layer has no CRS and none was given, the given CRS is not understood, or
        (with ``check``) the coordinates do not fit it.
    """
    if crs is not None:
        try:
            crs = pyproj.CRS.from_user_input(crs)
        except Exception as exc:
            raise CRSError(path, f"unknown CRS {crs!r}: {exc}") from None
        if gdf.crs is not None and not gdf.crs.equals(crs):
            log.warning(
                "%s: the file says %s; using %s as asked",
                path,
                gdf.crs.to_string(),
                crs.to_string(),
            )
        gdf = gdf.set_crs(crs, allow_override=True)
    if gdf.crs is None:
        raise CRSError(
            path,
            f"the layer has no CRS; name one: {NAME_A_CRS}",
        )
    if check:
        check_coordinates(gdf, path)
    out = gdf if gdf.crs.equals(CRS) else gdf.to_crs(CRS)
    if check:
        _check_in_norway(out, gdf.crs, path)
    return out


def crs_label(crs: object) -> str | None:
    """A short name for a CRS as the input had it (``"EPSG:25833"``), for the accounting."""
    if crs is None:
        return None
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except Exception:  # an unparsable CRS has been reported by the reader already
        return str(crs)
    code = parsed.to_epsg()
    return f"EPSG:{code}" if code else parsed.name


NAME_A_CRS = "crs = 'EPSG:25832' in its config entry (--crs for arealkart info and convert)"
"""How a user names the CRS of an input that has none, wherever it is read."""

NORWAY_LONLAT = (-10.0, 55.0, 35.0, 82.0)
"""Longitude/latitude box around mainland Norway, Svalbard and Jan Mayen."""

NORWAY_25832 = (-600_000.0, 6_100_000.0, 1_600_000.0, 9_400_000.0)
"""The same, generously, in EPSG:25832 (Svalbard lies far north-east in zone 32)."""


def check_coordinates(gdf: gpd.GeoDataFrame, path: str | Path | None) -> None:
    """Catch coordinates that cannot be in the layer's CRS.

    Raises
    ------
    CRSError
        If a projected layer holds values that look like degrees, a UTM layer's easting and
        northing look swapped, or the CRS itself is meant for a place far from Norway.
    """
    crs = gdf.crs
    area = crs.area_of_use
    if area is not None and not _boxes_meet(
        (area.west, area.south, area.east, area.north), NORWAY_LONLAT
    ):
        raise CRSError(
            path,
            f"the layer's CRS {crs.to_string()} ({crs.name}) is meant for "
            f"{area.name}, far from Norway; check the CRS",
        )
    geoms = gdf.geometry.dropna()
    geoms = geoms[~geoms.is_empty]
    if not len(geoms) or not crs.is_projected:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    if minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90:
        raise CRSError(
            path,
            f"the coordinates look like degrees (x {minx:.4f}…{maxx:.4f}, "
            f"y {miny:.4f}…{maxy:.4f}) but the layer says {crs.to_string()}, "
            f"which is in metres; for longitude/latitude use crs='EPSG:4326'",
        )
    utm = crs.utm_zone is not None or "UTM" in crs.name
    if utm and minx >= 6_000_000 and maxx <= 9_500_000 and miny >= 0 and maxy <= 1_500_000:
        raise CRSError(
            path,
            f"easting and northing look swapped (x {minx:,.0f}…{maxx:,.0f}, "
            f"y {miny:,.0f}…{maxy:,.0f}): in {crs.to_string()} Norway's "
            f"northings are 6–8 million and its eastings under 1.5 million",
        )


def _check_in_norway(gdf: gpd.GeoDataFrame, crs: object, path: str | Path | None) -> None:
    geoms = gdf.geometry.dropna()
    geoms = geoms[~geoms.is_empty]
    if not len(geoms):
        return
    bounds = tuple(geoms.total_bounds)
    if not np.isfinite(bounds).all():
        raise CRSError(
            path,
            f"the features cannot be placed in EPSG:25832 from {crs}: "
            f"they lie far from Norway; is the CRS right?",
        )
    if not _boxes_meet(bounds, NORWAY_25832):
        raise CRSError(
            path,
            f"the features lie far from Norway (EPSG:25832 bounds "
            f"{', '.join(f'{b:,.0f}' for b in bounds)}); is the CRS "
            f"{crs} right?",
        )


def _boxes_meet(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


ARC_TOLERANCE = 0.05
"""Default largest distance (m) between a densified arc and the true circle: 5 cm, well
below the accuracy of plan data (typically 0.1–1 m)."""


MAX_ARC_POINTS = 10_000
"""Most points an arc is densified to: for huge radii the tolerance grows to keep to it."""


def circumcentre(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> np.ndarray | None:
    """The centre of the circle through three points; ``None`` when they are collinear."""
    a, b = p1 - p0, p2 - p0
    d = 2.0 * _cross(a, b)
    if abs(d) <= 1e-12 * max(float(a @ a), float(b @ b), 1e-24):
        return None
    ux = (b[1] * (a @ a) - a[1] * (b @ b)) / d
    uy = (a[0] * (b @ b) - b[0] * (a @ a)) / d
    return p0 + np.array([ux, uy])


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def arc_points(
    start: tuple[float, float] | np.ndarray,
    middle: tuple[float, float] | np.ndarray,
    end: tuple[float, float] | np.ndarray,
    tolerance: float = ARC_TOLERANCE,
) -> np.ndarray:
    """Densify the circular arc from ``start`` through ``middle`` to ``end``.

    Returns an ``(n, 2)`` array that starts at ``start`` and ends at ``end`` exactly, with
    chords that deviate from the circle by at most ``tolerance`` (in CRS units; more for
    radii so huge that it would take over :data:`MAX_ARC_POINTS` points).  Three
    collinear points give the straight line ``start → end``.
    """
    p0, p1, p2 = (np.asarray(p, dtype=float) for p in (start, middle, end))
    centre = circumcentre(p0, p1, p2)
    if centre is None:
        return np.array([p0, p2])
    radius = float(np.hypot(*(p0 - centre)))
    tolerance = max(tolerance, radius * (1 - np.cos(np.pi / MAX_ARC_POINTS)))
    a0, a2 = (np.arctan2(*(p - centre)[::-1]) for p in (p0, p2))
    ccw = _cross(p1 - p0, p2 - p0) > 0
    sweep = (a2 - a0) % (2 * np.pi) if ccw else -((a0 - a2) % (2 * np.pi))
    step = 2 * np.arccos(max(-1.0, 1 - tolerance / radius)) if tolerance < radius else np.pi / 2
    n = max(2, int(np.ceil(abs(sweep) / max(step, 1e-9))) + 1)
    angles = a0 + np.linspace(0.0, sweep, n)
    pts = centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])
    pts[0], pts[-1] = p0, p2
    return pts


def circle_points(
    first: tuple[float, float] | np.ndarray,
    second: tuple[float, float] | np.ndarray,
    third: tuple[float, float] | np.ndarray,
    tolerance: float = ARC_TOLERANCE,
) -> np.ndarray | None:
    """Densify the whole circle through three points.

    A closed ring from ``first``, turning towards ``second``; ``None`` when the points are
    collinear.
    """
    p0, p1, p2 = (np.asarray(p, dtype=float) for p in (first, second, third))
    centre = circumcentre(p0, p1, p2)
    if centre is None:
        return None
    radius = p0 - centre
    turn = 1.0 if _cross(p1 - p0, p2 - p0) > 0 else -1.0
    quarter = centre + turn * np.array([-radius[1], radius[0]])
    opposite = centre - radius
    half = arc_points(p0, quarter, opposite, tolerance)
    return np.vstack([half, arc_points(opposite, 2 * centre - quarter, p0, tolerance)[1:]])
