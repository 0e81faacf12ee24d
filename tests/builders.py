"""Small test inputs that more than one test file builds, in one place.

Builders used by one test file only stay in that file; the SOSI and GML text builders stay
beside the reader tests (``unit/load/test_sosi.py``, ``unit/load/test_gml.py``).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.available.parameters import Parameters
from arealkart.available.rule import AvailableLand
from arealkart.model.schema import CRS

E0, N0 = 480_000.0, 6_600_000.0  # near Seljord, EPSG:25832
VINJE = (420_000.0, 6_620_000.0)  # inside Vinje

AREA_RING = [(7.95, 59.40), (8.25, 59.40), (8.25, 59.55), (7.95, 59.55), (7.95, 59.40)]
"""A lon/lat rectangle near Dalen (Tokke), for the polygon filter of ``query``."""


def zones_file(path, geoms, **columns):
    """A municipal export at ``path``: housing zones (RP 1111) in force, in Seljord (4022)."""
    n = len(geoms)
    data = {"RPAREALFORMÅL": [1111] * n, "KOMM": ["4022"] * n, "PLANSTAT": [3] * n, **columns}
    gpd.GeoDataFrame(data, geometry=list(geoms), crs=25832).to_file(path)
    return path


def polygon_file(path):
    """A polygon file (GeoJSON in EPSG:4326) of :data:`AREA_RING`, written to ``path``."""
    gpd.GeoDataFrame(geometry=[shapely.Polygon(AREA_RING)], crs="EPSG:4326").to_file(path)
    return path


def star(vertices: int, *, x0: float = E0, y0: float = N0) -> shapely.Polygon:
    """A ring whose long edges jump around a centre: nearly every edge crosses every other,
    so :func:`shapely.make_valid` does not finish on it in any useful time."""
    i = np.arange(vertices)
    angle = 2 * math.pi * i * 0.382 * 7
    radius = 100 + (i % 7) * 10
    ring = np.c_[x0 + radius * np.cos(angle), y0 + radius * np.sin(angle)]
    return shapely.Polygon(np.vstack([ring, ring[:1]]))


def empty_result() -> AvailableLand:
    """The result of the available-land rule on no zones at all."""
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    return AvailableLand(empty, empty, empty, empty, empty, pd.DataFrame(), Parameters.default())


def sosi_plan(path, squares, *, hazards=(), komm="4036", planid="2025001", koordsys="22"):
    """A SOSI 4.5 reguleringsplan at ``path``: one zone per ``(east, north, side, code)``
    square (RpArealformålOmråde, bounded by one closed curve) and one RpFareSone (H320 flood)
    per ``(east, north, side)`` square in ``hazards``; coordinates in cm (ENHET 0.01).
    """
    lines = [
        ".HODE",
        "..TEGNSETT UTF-8",
        "..TRANSPAR",
        f"...KOORDSYS {koordsys}",
        "...ORIGO-NØ 0 0",
        "...ENHET 0.01",
        "..SOSI-VERSJON 4.5",
    ]
    serial = 0

    def surface(east, north, side, objtype, attrs):
        nonlocal serial
        ring = [
            (north, east),
            (north + side, east),
            (north + side, east + side),
            (north, east + side),
            (north, east),
        ]
        serial += 1
        curve = serial
        lines.extend([f".KURVE {curve}:", "..OBJTYPE RpFormålGrense", "..NØ"])
        lines.extend(f"{round(n * 100)} {round(e * 100)}" for n, e in ring)
        serial += 1
        lines.extend([f".FLATE {serial}:", f"..OBJTYPE {objtype}", *attrs])
        lines.extend(["..NASJONALAREALPLANID", f"...KOMM {komm}", f"...PLANID {planid}"])
        lines.extend(["..IDENT", f"...LOKALID {objtype}-{serial}", f"..REF :{curve}", "..NØ"])
        lines.append(f"{round((north + side / 2) * 100)} {round((east + side / 2) * 100)}")

    for i, (east, north, side, code) in enumerate(squares):
        surface(
            east,
            north,
            side,
            "RpArealformålOmråde",
            [f"..RPAREALFORMÅL {code}", f"..FELTNAVN F{i + 1}", "..EIERFORM 3"],
        )
    for east, north, side in hazards:
        surface(east, north, side, "RpFareSone", ["..RPFARE 320", "..HENSYNSONENAVN H320_1"])
    lines.append(".SLUTT")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
