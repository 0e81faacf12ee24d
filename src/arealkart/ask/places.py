"""Where a query looks: place names, points and areas given as text or files.

A point may be a place name from the built-in gazetteer (``arealkart/data/steder.csv``:
the region's municipal centres and larger villages, each row with its source), a
municipality name (its administrative centre), ``"lat,lon"`` in WGS84, ``"easting,northing"``
in EPSG:25832, or UTM with its zone, ``"32V 473000 6600000"`` or ``"33 200000,6600000"``
(ETRS89 / UTM zones 31–36).  WGS84 and UTM are told apart by magnitude, which is never
ambiguous in Norway.  A box is ``"west,south,east,north"`` in degrees (the GeoJSON ``bbox``
order) or ``"minE,minN,maxE,maxN"`` in EPSG:25832.  An area is any vector file GDAL reads
(GeoJSON, GeoPackage, …) holding polygons.

Everything comes back in EPSG:25832, the working CRS, where distances are metres.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from arealkart.errors import MunicipalityError, QueryError
from arealkart.load.geometry import polygonal_part
from arealkart.load.repair import check_and_repair
from arealkart.model.schema import CRS
from arealkart.registry.kommuner import resolve
from arealkart.registry.places import gazetteer

WGS84 = "EPSG:4326"
NORWAY_LONLAT = (4.0, 57.5, 31.5, 71.5)
"""A generous lon/lat envelope of mainland Norway (west, south, east, north)."""
NORWAY_UTM32 = (-150_000.0, 6_350_000.0, 1_250_000.0, 8_000_000.0)
"""The same envelope in EPSG:25832 (min easting, min northing, max easting, max northing)."""
UTM_ZONES = range(31, 37)
"""ETRS89 / UTM zones accepted with an explicit zone (EPSG:25831 … EPSG:25836)."""

_UTM = re.compile(
    r"(?P<zone>\d{1,2})\s*(?P<band>[A-Za-z])?\s+(?P<e>-?\d+(?:\.\d+)?)\s*[,;\s]\s*"
    r"(?P<n>-?\d+(?:\.\d+)?)"
)
_SEPARATORS = re.compile(r"\s*[,;]\s*|\s+")


@dataclass(frozen=True)
class Place:
    """A settlement from the gazetteer: name, municipality, WGS84 position and source."""

    navn: str
    kommunenummer: str
    lat: float
    lon: float
    kilde: str

    @property
    def point(self) -> shapely.Point:
        """The place in EPSG:25832."""
        return _from_lonlat(self.lon, self.lat)


def find_place(name: str) -> Place:
    """Look a place up by name or alias, in any case, with or without æ/ø/å.

    A municipality name (or number) gives its administrative centre.

    Raises
    ------
    QueryError
        For an unknown place, listing the closest names.
    """
    key = _key(name)
    places = _places()
    if key in places:
        return places[key]
    centre = _municipal_centre(name)
    if centre is not None:
        return centre
    aliases = {a for row in _gazetteer()["alias_list"] for a in row}
    names = sorted({p.navn for p in places.values()} | aliases)
    close = difflib.get_close_matches(key, list(places), n=5, cutoff=0.6)
    hint = ", ".join(dict.fromkeys(places[k].navn for k in close)) or ", ".join(names)
    raise QueryError(
        f"unknown place {name!r}; closest names: {hint}. Or give coordinates: "
        f"'lat,lon' (e.g. '59.44,8.00') or UTM 'easting,northing' (e.g. '442000,6590000')"
    )


def parse_point(value: Any) -> shapely.Point:
    """A point in EPSG:25832 from a place name, coordinates as text, a pair, or a Point.

    Parameters
    ----------
    value
        ``"Dalen"``, ``"59.44,8.00"`` (lat, lon), ``"442000,6590000"`` (EPSG:25832),
        ``"32V 442000 6590000"``, a ``(lat, lon)`` or ``(easting, northing)`` pair, or a
        shapely Point already in EPSG:25832.

    Raises
    ------
    QueryError
        For an unknown place, malformed coordinates or a point outside Norway.
    """
    if isinstance(value, shapely.Point):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise QueryError(f"a point needs 2 numbers, got {len(value)}: {value!r}")
        return _point_from_pair(float(value[0]), float(value[1]), str(tuple(value)))
    text = str(value).strip()
    if not text:
        raise QueryError("empty place or point; give a place name, 'lat,lon' or 'E,N'")
    match = _UTM.fullmatch(text)
    if match:
        return _point_from_utm(match, text)
    numbers = _numbers(text)
    if numbers is not None:
        if len(numbers) != 2:
            raise QueryError(f"a point needs 2 numbers, got {len(numbers)}: {text!r}")
        a, b = numbers
        return _point_from_pair(a, b, text)
    return find_place(text).point


def parse_bbox(value: Any) -> BaseGeometry:
    """A search box as a polygon in EPSG:25832.

    Parameters
    ----------
    value
        ``"west,south,east,north"`` in degrees or ``"minE,minN,maxE,maxN"`` in EPSG:25832,
        as text or a sequence of 4 numbers.

    Raises
    ------
    QueryError
        For a malformed, inverted or out-of-Norway box.
    """
    text = value if isinstance(value, str) else ",".join(str(v) for v in value)
    numbers = _numbers(text.strip())
    if numbers is None or len(numbers) != 4:
        raise QueryError(
            f"bbox must be 4 numbers 'west,south,east,north' (degrees) or "
            f"'minE,minN,maxE,maxN' (EPSG:25832), got {text!r}"
        )
    x0, y0, x1, y1 = numbers
    if x0 >= x1 or y0 >= y1:
        raise QueryError(
            f"bbox {text!r} is inverted or empty: the first corner must be south-west of "
            f"the second ('west,south,east,north')"
        )
    if all(abs(v) <= 180 for v in numbers):
        if not _inside(NORWAY_LONLAT, x0, y0) or not _inside(NORWAY_LONLAT, x1, y1):
            hint = (
                f"; longitude comes first: '{y0},{x0},{y1},{x1}'"
                if _inside(NORWAY_LONLAT, y0, x0)
                else ""
            )
            raise QueryError(f"bbox {text!r} (west,south,east,north) lies outside Norway{hint}")
        box = shapely.segmentize(shapely.box(x0, y0, x1, y1), 0.01)
        return _transform(box, WGS84)
    if not _inside(NORWAY_UTM32, x0, y0) or not _inside(NORWAY_UTM32, x1, y1):
        raise QueryError(f"bbox {text!r} read as EPSG:25832 lies outside Norway")
    return shapely.box(x0, y0, x1, y1)


def read_area(path: str | os.PathLike[str]) -> BaseGeometry:
    """The union of the polygons in a vector file, in EPSG:25832.

    A file without a CRS is read as WGS84 when its coordinates are degrees (as RFC 7946
    GeoJSON is), and refused otherwise.

    Raises
    ------
    QueryError
        If the file is missing or unreadable, holds no polygons, has no usable CRS, or
        holds a polygon beyond the limits of :mod:`arealkart.load.repair`.
    """
    path = Path(path)
    if not path.is_file():
        raise QueryError(f"polygon file not found: {path}")
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise QueryError(
            f"cannot read polygon file {path}: {exc}; expected a GeoJSON (or other vector) "
            f"file with Polygon features"
        ) from None
    polygons = gdf.geometry[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise QueryError(f"polygon file {path} holds no Polygon or MultiPolygon features")
    crs = gdf.crs
    if crs is None:
        minx, miny, maxx, maxy = polygons.total_bounds
        if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
            raise QueryError(f"polygon file {path} has no CRS; save it with one")
        crs = WGS84
    checked = check_and_repair(polygons.to_numpy())
    if checked.failed:
        at, detail = next(iter(checked.failed.items()))
        raise QueryError(f"polygon file {path}, feature {polygons.index[at]}: {detail}")
    area = shapely.union_all(polygonal_part(checked.geometries))
    return area if str(crs) == CRS else _transform(area, crs)


# --- helpers ------------------------------------------------------------------------------


def _numbers(text: str) -> list[float] | None:
    parts = [p for p in _SEPARATORS.split(text) if p]
    try:
        return [float(p) for p in parts]
    except ValueError:
        return None


def _point_from_pair(a: float, b: float, text: str) -> shapely.Point:
    if abs(a) <= 90 and abs(b) <= 180:
        if _inside(NORWAY_LONLAT, b, a):
            return _from_lonlat(b, a)
        hint = f"; latitude comes first: '{b},{a}'" if _inside(NORWAY_LONLAT, a, b) else ""
        raise QueryError(f"point {text!r} read as latitude,longitude lies outside Norway{hint}")
    if _inside(NORWAY_UTM32, a, b):
        return shapely.Point(a, b)
    raise QueryError(
        f"point {text!r} read as EPSG:25832 easting,northing lies outside Norway; "
        f"for another UTM zone write it first, e.g. '33 {a:.0f} {b:.0f}'"
    )


def _point_from_utm(match: re.Match[str], text: str) -> shapely.Point:
    zone = int(match["zone"])
    band = (match["band"] or "V").upper()
    if zone not in UTM_ZONES:
        raise QueryError(f"UTM zone {zone} in {text!r}: expected one of 31–36 (Norway)")
    if band < "N" or band in "IO":
        raise QueryError(f"UTM band {band!r} in {text!r} is not in the northern hemisphere")
    point = _transform(shapely.Point(float(match["e"]), float(match["n"])), f"EPSG:258{zone}")
    if not _inside(NORWAY_UTM32, point.x, point.y):
        raise QueryError(f"point {text!r} lies outside Norway")
    return point


def _inside(envelope: tuple[float, float, float, float], x: float, y: float) -> bool:
    west, south, east, north = envelope
    return west <= x <= east and south <= y <= north


def _from_lonlat(lon: float, lat: float) -> shapely.Point:
    return _transform(shapely.Point(lon, lat), WGS84)


def _transform(geom: BaseGeometry, source: Any) -> Any:
    transformer = _transformer(str(source))
    return shapely.transform(geom, lambda xy: _apply(transformer, xy))


def _apply(transformer: Transformer, xy: Any) -> Any:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    xy = xy.copy()
    xy[:, 0], xy[:, 1] = x, y
    return xy


@cache
def _transformer(source: str) -> Transformer:
    return Transformer.from_crs(source, CRS, always_xy=True)


def _key(name: str) -> str:
    text = unicodedata.normalize("NFC", str(name)).casefold().strip()
    return re.sub(r"[\s_\-]+", " ", text)


def _ascii_keys(name: str) -> set[str]:
    key = _key(name)
    keys = {key}
    for aa in ("aa", "a"):
        text = key.replace("æ", "ae").replace("ø", "o").replace("å", aa)
        keys.add(unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode())
    return keys


@cache
def _gazetteer() -> pd.DataFrame:
    table = gazetteer()
    table["alias_list"] = [[a for a in s.split("|") if a] for s in table["alias"]]
    return table


@cache
def _places() -> dict[str, Place]:
    out: dict[str, Place] = {}
    row: Any  # a gazetteer row: navn, kommunenummer, kilde and alias_list, lat and lon
    for row in _gazetteer().itertuples():
        place = Place(row.navn, row.kommunenummer, float(row.lat), float(row.lon), row.kilde)
        for name in [row.navn, *row.alias_list]:
            for key in _ascii_keys(name):
                out.setdefault(key, place)
    return out


def _municipal_centre(name: str) -> Place | None:
    try:
        number = resolve(name).nummer
    except MunicipalityError:
        return None
    table = _gazetteer()
    rows = table[(table["kommunenummer"] == number) & (table["type"] == "kommunesenter")]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return Place(row["navn"], number, float(row["lat"]), float(row["lon"]), row["kilde"])
