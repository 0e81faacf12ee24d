"""The data layers of a map, as compact payloads for the map's JavaScript.

Each layer is ``{"geom": [...], "props": {column: values}, "popup": [...], "tip": [...]}``:
geometry and every property sent once (see :mod:`arealkart.publish.maps.encode`); styles are
computed in the browser from the ``kategori`` and ``status`` properties.  Every column
but the geometry is optional: a missing column only drops its row from the popup.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.available.rule import AvailableLand
from arealkart.errors import CRSError
from arealkart.model.schema import CRS
from arealkart.model.vocabulary import DISTANCE_COLUMNS
from arealkart.publish.export import WGS84
from arealkart.publish.maps.encode import column, encode_points, encode_polygons
from arealkart.registry.codes import code_list
from arealkart.registry.kommuner import names as municipality_names

SIMPLIFY_TOLERANCE = 0.5
"""Largest shift (m, in EPSG:25832) simplification may make before reprojecting."""

ATTRACTION_POPUP = [
    ("avstand_grunnlag", "avstand", "distances"),
    ("poeng", "poeng", "score"),
    ("rang", "rang", "rank"),
]
"""Popup rows of attractive land: one row of the distances in km to each kind of place
(and how they were measured), the score and the rank."""

_DISTANCES = list(DISTANCE_COLUMNS.values())
"""Sent with every free area and plot for the distances row of its popup."""

FREE_POPUP = [
    ("feltnavn", "feltnavn", "text"),
    ("kommune", "kommune", "text"),
    ("plan_navn", "plan", "text"),
    ("plan_id", "plan_id", "text"),
    ("arealformal", "arealformal", "text"),
    ("kategori", "kategori", "value"),
    ("kombinasjon", "kombinasjon", "value"),
    ("bruk", "bruk", "value"),
    ("boliger_helars", "boliger_helars", "int"),
    ("boliger_fritid", "boliger_fritid", "int"),
    ("sone_m2", "totalt_daa", "daa"),
    ("sone_ledig_m2", "ledig_daa", "daa"),
    ("areal_m2", "areal_daa", "daa"),
    ("status", "status", "value"),
    ("hensyn_blokkerer", "hensyn_blokkerer", "text"),
    ("hensyn_flagger", "hensyn_flagger", "text"),
    ("tomter_estimert", "estimerte_tomter", "int"),
    *ATTRACTION_POPUP,
]
"""Rows of a free area's popup: (column, text key of the label, how to show the value)."""

PLOT_POPUP = [
    ("id", "tomt", "text"),
    ("feltnavn", "feltnavn", "text"),
    ("storrelse", "storrelse", "int"),
    ("pris", "pris", "int"),
    ("va", "va", "yesno"),
    ("status", "status", "value"),
    *ATTRACTION_POPUP,
]
"""Rows of a plot's popup."""

_NEXT_STEP_COLUMNS = ["kategori", "kommunenummer", "plan_id"]
"""Columns every free area and plot carries for its popup's contact and plan link."""

_NUMBER_DECIMALS = {
    "sone_m2": 1,
    "sone_ledig_m2": 1,
    "areal_m2": 1,
    "storrelse": 0,
    "pris": 0,
    "poeng": 1,
    **dict.fromkeys(DISTANCE_COLUMNS.values(), 0),
}


def web_geometry(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Simplify in metres (≤ :data:`SIMPLIFY_TOLERANCE`), then reproject to WGS84.

    A layer in another CRS is first brought to EPSG:25832, so the tolerance is in metres
    whatever it came in; one without a CRS is a :class:`~arealkart.errors.CRSError`.
    """
    if gdf.crs is None and len(gdf):
        raise CRSError(None, "a map layer has no CRS; set the one its coordinates are in")
    if gdf.crs is not None and not gdf.crs.equals(CRS):
        gdf = gdf.to_crs(CRS)
    simple = shapely.simplify(gdf.geometry.to_numpy(), SIMPLIFY_TOLERANCE, preserve_topology=True)
    return gpd.GeoSeries(simple, crs=gdf.crs).to_crs(WGS84).to_numpy()


def _drawable(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.to_numpy()
    return gdf[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


def _props(frame: pd.DataFrame, columns: Iterable[str]) -> dict[str, Any]:
    return {
        c: column(frame[c], _NUMBER_DECIMALS.get(c))
        for c in dict.fromkeys(columns)
        if c in frame.columns
    }


def rounded(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The ``columns`` of ``frame`` it has, numbers rounded as the pages show them.

    What :func:`_props` sends column by column, as a table (for vector tiles).
    """
    out = {}
    for c in dict.fromkeys(columns):
        if c not in frame.columns:
            continue
        decimals = _NUMBER_DECIMALS.get(c)
        values = frame[c]
        if decimals is not None:
            values = pd.to_numeric(values, errors="coerce").astype("float64").round(decimals)
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            values = values.astype("string").astype(object).where(values.notna(), None)
        out[c] = values
    return pd.DataFrame(out, index=frame.index)


def _present(spec: list[tuple[str, str, str]], frame: pd.DataFrame) -> list[list[str]]:
    return [list(row) for row in spec if row[0] in frame.columns]


FREE_COLUMNS = ["id", *_NEXT_STEP_COLUMNS, *(row[0] for row in FREE_POPUP), *_DISTANCES]
"""Every property a free area carries to the page (embedded or in vector tiles)."""


def popup_names(free: gpd.GeoDataFrame) -> dict[str, str] | None:
    """Number → name when the map shows several municipalities (for popups)."""
    if "kommunenummer" not in free.columns:
        return None
    found = municipality_names(free["kommunenummer"])
    return found if len(found) >= 2 else None


def free_table(result: AvailableLand, names: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """The drawable free areas with their zone's figures and named constraint zones.

    Parameters
    ----------
    result
        What the map shows.
    names
        ``kommunenummer`` → municipality name, to show the municipality in popups (region
        maps); ``None`` leaves it out.
    """
    shown = _drawable(result.free)
    if "zone_id" in shown.columns:
        zones = _zone_columns(result)
        shown = shown.merge(zones, on="zone_id", how="left", suffixes=("", "_sone"))
    if "ledig_id" in shown.columns:
        shown["id"] = shown["ledig_id"]
    if "arealformal" in shown.columns:
        shown["arealformal"] = _land_use(shown)
    if names and "kommunenummer" in shown.columns:
        shown["kommune"] = shown["kommunenummer"].map(names)
    if "hensyn" in shown.columns:
        blocking = {int(c) for c in result.parameters.blokkerende}
        values = shown["hensyn"].dropna().unique()  # a few distinct lists, named once each
        for column, keep in (("hensyn_blokkerer", True), ("hensyn_flagger", False)):
            text = {h: _constraint_text(h, blocking, keep) for h in values}
            shown[column] = shown["hensyn"].map(text).astype("object")
    return shown


def free_layer(result: AvailableLand, names: dict[str, str] | None = None) -> dict[str, Any]:
    """Free areas with their zone's figures and constraint zones, for popups and filters.

    See :func:`free_table` for the parameters.
    """
    shown = free_table(result, names)
    return {
        "geom": encode_polygons(web_geometry(shown)),
        "props": _props(shown, FREE_COLUMNS),
        **free_spec(shown),
    }


def free_spec(shown: pd.DataFrame) -> dict[str, Any]:
    """The popup rows and tooltip columns of the free areas of :func:`free_table`."""
    return {
        "popup": _present(FREE_POPUP, shown),
        "tip": [c for c in ("feltnavn", "areal_m2") if c in shown.columns],
    }


def _zone_columns(result: AvailableLand) -> pd.DataFrame:
    wanted = {"zone_id": "zone_id", "areal_m2": "sone_m2", "ledig_m2": "sone_ledig_m2"}
    wanted |= {"status": "status", "hensyn": "hensyn"}  # bruk: the free area has its own
    wanted |= {"boliger_helars": "boliger_helars", "boliger_fritid": "boliger_fritid"}
    zones = result.zones
    if "zone_id" not in zones.columns:
        return pd.DataFrame({"zone_id": pd.Series(dtype="string")})
    present = [c for c in wanted if c in zones.columns]
    return pd.DataFrame(zones[present]).rename(columns=wanted).drop_duplicates("zone_id")


def _land_use(frame: pd.DataFrame) -> pd.Series:
    code = frame["arealformal"].astype("string")
    if "formal_navn" not in frame.columns:
        return code
    name = frame["formal_navn"].astype("string")
    return (code + " " + name).fillna(code)


def _constraint_text(codes: Any, blocking: set[int], keep: bool = True) -> str | None:
    """``"H310, H570"`` → the blocking (or, with ``keep=False``, the other) codes, named."""
    if not isinstance(codes, str) or not codes.strip():
        return None
    names = _constraint_names()
    picked = []
    for label in (c.strip() for c in codes.split(",")):
        number = int(label[1:]) if label[1:].isdigit() else None
        if number is None or (number in blocking) != keep:
            continue
        picked.append(f"{label} {names.get(number, '')}".strip())
    return "; ".join(picked) or None


@cache
def _constraint_names() -> dict[int, str]:
    names = code_list("hensyn")["name"]
    return dict(zip(names.index.tolist(), names.tolist(), strict=True))


def parts_table(parts: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drawable built or blocked parts of zones, with the zone's field name."""
    parts = _drawable(parts)
    if "feltnavn" not in parts.columns and {"zone_id", "feltnavn"} <= set(zones.columns):
        names = zones[["zone_id", "feltnavn"]].drop_duplicates("zone_id")
        parts = parts.merge(names, on="zone_id", how="left")
    return parts


PART_COLUMNS = ["kategori", "feltnavn"]
"""The properties a built or blocked part carries to the page."""


def parts_spec(parts: pd.DataFrame) -> dict[str, Any]:
    """The (empty) popup rows and tooltip columns of the parts of :func:`parts_table`."""
    return {"popup": [], "tip": [c for c in ("feltnavn",) if c in parts.columns]}


def parts_layer(parts: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> dict[str, Any]:
    """Built or blocked parts of zones, with the zone's field name for the tooltip."""
    parts = parts_table(parts, zones)
    return {
        "geom": encode_polygons(web_geometry(parts)),
        "props": _props(parts, PART_COLUMNS),
        **parts_spec(parts),
    }


def plots_layer(plots: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None = None) -> dict[str, Any]:
    """Plots as points (a point on each plot's surface) with size, price, VA and status.

    With ``zones``, each plot also carries its zone's ``kombinasjon`` and ``bruk`` for the
    combined-use filter.
    """
    plots = _drawable(plots)
    shown = pd.DataFrame(plots.drop(columns=plots.geometry.name))
    zones = zones if zones is not None else gpd.GeoDataFrame()
    mixing = [c for c in ("kombinasjon", "bruk") if c in zones.columns]
    if mixing and "zone_id" in shown.columns:
        by_zone = pd.DataFrame(zones[["zone_id", *mixing]]).drop_duplicates("zone_id")
        shown = shown.merge(by_zone, on="zone_id", how="left", suffixes=("", "_sone"))
        shown.index = plots.index
    if "tomt_id" in shown.columns:
        shown["id"] = shown["tomt_id"]
    measured = pd.Series(shapely.area(plots.geometry.to_numpy()), index=plots.index)
    size = shown["tomt_m2"] if "tomt_m2" in shown.columns else pd.Series(np.nan, index=plots.index)
    shown["storrelse"] = pd.to_numeric(size, errors="coerce").astype("float64")
    shown["storrelse"] = shown["storrelse"].fillna(measured.where(measured > 0))
    points = shapely.point_on_surface(plots.geometry.to_numpy())
    points = gpd.GeoSeries(points, crs=plots.crs).to_crs(WGS84).to_numpy()
    return {
        "points": encode_points(points),
        "props": _props(
            shown,
            [*_NEXT_STEP_COLUMNS, *(row[0] for row in PLOT_POPUP), *_DISTANCES, *mixing],
        ),
        "popup": _present(PLOT_POPUP, shown),
        "tip": [c for c in ("id", "status") if c in shown.columns],
    }


def borders_layer(boundaries: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """Municipal borders, and a label point inside each for its name."""
    if boundaries is None or not len(boundaries):
        return {"geom": [], "labels": [], "props": {}}
    boundaries = _drawable(boundaries)
    labels = gpd.GeoSeries(
        shapely.point_on_surface(boundaries.geometry.to_numpy()), crs=boundaries.crs
    ).to_crs(WGS84)
    names = boundaries["navn"] if "navn" in boundaries.columns else pd.Series("", boundaries.index)
    return {
        "geom": encode_polygons(web_geometry(boundaries)),
        "labels": [
            [round(p.y, 6), round(p.x, 6), str(n)]
            for p, n in zip(labels, names.fillna(""), strict=True)
        ],
        "props": {},
    }
