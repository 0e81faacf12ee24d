"""Vector tiles for maps at country scale: a scope's areas as a PMTiles archive.

A page with more areas (free areas, built and blocked parts together) than
``[fliser] over`` in ``kart.toml`` (or a region config's ``[kart] fliser_over``) does not
carry them: they are written as one PMTiles archive beside the page (GDAL's PMTiles
driver, through pyogrio), and the page draws them tile by tile with protomaps-leaflet.
Plots and municipal borders stay in the page.

The archive has one layer, :data:`TILE_LAYER`, whose features say what they are in
``lag``: ``ledig`` (a free area, with every property its popup, the filters and the list
use), ``ledig_punkt`` (a point on the same area with what the filters need, so that an
area too small to survive a low zoom's tile is still drawn as a dot), ``bebygd`` and
``blokkert``.  A tile may hold ``[fliser] maks_flis_kb`` kB: GDAL drops features from a
fuller one.  Property values
are language-neutral (codes and numbers); the page names them in its language, so the
pages of every language share one archive.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from arealkart.available.rule import AvailableLand
from arealkart.errors import OutputError
from arealkart.model.vocabulary import MIXED_USES
from arealkart.publish.export import WGS84, atomic_path
from arealkart.publish.maps.layers import (
    FREE_COLUMNS,
    PART_COLUMNS,
    free_table,
    parts_table,
    popup_names,
    rounded,
    web_geometry,
)
from arealkart.registry.style import style

__all__ = ["TILE_LAYER", "area_count", "tile_settings", "tiles_wanted", "write_tiles"]

log = logging.getLogger(__name__)

TILE_LAYER = "arealer"
"""The archive's one layer (see the module's description)."""

TILE_DRIVER = "PMTiles"

POINT_COLUMNS = [
    "id",
    "kategori",
    "areal_m2",
    "status",
    "kombinasjon",
    "bruk",
    "avstand_naeringshage_m",
]
"""What a free area's point carries: what the filters and the list need.  A low zoom's
tile holds a point of every area of its (wide) extent, so its popup's other facts stay
with the area's polygon: a click on a dot zooms in to it."""


def tile_settings() -> dict[str, int]:
    """``[fliser]`` of ``kart.toml``: the threshold and the archive's zoom levels."""
    return {key: int(value) for key, value in style()["fliser"].items()}


def area_count(result: AvailableLand) -> int:
    """The areas a map of ``result`` draws: free areas, built and blocked parts."""
    return len(result.free) + len(result.built) + len(result.blocked)


def tiles_wanted(result: AvailableLand, threshold: int | None = None) -> bool:
    """Whether a multi-municipality page of ``result`` draws its areas from tiles.

    ``threshold``: the region config's (``[kart] fliser_over``), else ``kart.toml``'s.
    """
    limit = tile_settings()["over"] if threshold is None else threshold
    return area_count(result) > limit


def tile_table(result: AvailableLand) -> gpd.GeoDataFrame:
    """Every feature of the archive in WGS84, with ``lag`` and its properties.

    A free area also carries ``rang_totalt``, the number of ranked areas of its
    municipality and category (its popup's "4 of 37", which a page that sees only some
    tiles cannot count itself).
    """
    free = free_table(result, popup_names(result.free))
    if {"rang", "kommunenummer", "kategori"} <= set(free.columns):
        groups = free.groupby(["kommunenummer", "kategori"], dropna=False)["rang"]
        free = free.assign(rang_totalt=groups.transform("count").astype("float64"))
    frames = [_features(free, "ledig", [*FREE_COLUMNS, "rang_totalt"])]
    points = _features(free, "ledig_punkt", POINT_COLUMNS)
    points["geometry"] = shapely.point_on_surface(points.geometry.to_numpy())
    frames.append(points)
    for key, parts in (("bebygd", result.built), ("blokkert", result.blocked)):
        frames.append(_features(parts_table(parts, result.zones), key, PART_COLUMNS))
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame({"lag": pd.Series(dtype=object)}, geometry=[], crs=WGS84)
    table = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=WGS84)


def _features(frame: gpd.GeoDataFrame, key: str, columns: list[str]) -> gpd.GeoDataFrame:
    props = rounded(frame, columns)
    props.insert(0, "lag", key)
    return gpd.GeoDataFrame(props, geometry=web_geometry(frame), crs=WGS84)


def write_tiles(
    result: AvailableLand,
    path: str | os.PathLike[str],
) -> Path:
    """Write the areas of ``result`` as a PMTiles archive (zooms of ``[fliser]``).

    Parameters
    ----------
    result
        What the page shows.
    path
        The archive (``kart/<slug>.pmtiles``), written atomically.

    Raises
    ------
    OutputError
        If GDAL has no PMTiles driver or cannot write the archive.
    """
    settings = tile_settings()
    if "PMTiles" not in pyogrio.list_drivers(write=True):
        raise OutputError(path, "this GDAL has no PMTiles driver (GDAL 3.8 or newer has)")
    table = tile_table(result)
    options: dict[str, Any] = {
        "MINZOOM": settings["min_zoom"],
        "MAXZOOM": settings["maks_zoom"],
        "NAME": Path(path).stem,
        "TYPE": "overlay",
        "MAX_SIZE": settings["maks_flis_kb"] * 1000,
    }
    with atomic_path(path) as tmp, warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            pyogrio.write_dataframe(
                table,
                tmp,
                driver=TILE_DRIVER,
                layer=TILE_LAYER,
                geometry_type="Unknown",
                dataset_options=options,
            )
        except (pyogrio.errors.DataSourceError, pyogrio.errors.FeatureError) as exc:
            raise OutputError(path, f"could not write the vector tiles: {exc}") from None
    for warning in said:  # e.g. a crowded low-zoom tile written at a lower resolution
        log.info("GDAL, writing %s: %s", Path(path).name, warning.message)
    log.info("wrote %d areas as vector tiles to %s", len(table), path)
    return Path(path)


def tile_facts(free: pd.DataFrame) -> dict[str, Any]:
    """What the filters offer for the free areas of a tiled page (which it cannot scan).

    The categories and statuses present, and whether any area mixes homes (the
    ``kombinert`` filter) or has a distance to a næringshage.
    """
    statuses = free["status"].dropna().unique().tolist() if "status" in free else []
    mixed = ("kombinasjon" in free and bool((free["kombinasjon"] == "bolig_fritid").any())) or (
        "bruk" in free and bool(free["bruk"].isin(MIXED_USES).any())
    )
    distance = "avstand_naeringshage_m"
    near = distance in free and bool(free[distance].notna().any())
    categories = free["kategori"].dropna().unique().tolist() if "kategori" in free else []
    return {
        "categories": [str(c) for c in categories],
        "status": [str(s) for s in statuses],
        "mixed": mixed,
        "nearby": near,
    }
