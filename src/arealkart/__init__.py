"""arealkart: free and regulated building land in Norwegian plans.

The pipeline's stages, in order, are what the CLI and notebooks call::

    data = read_plan("plan.sos")                                # load
    zones = classify_zones(data.zones)                          # classify
    result = available_land(zones, data.buildings, data.constraints, data.plots)
    build_map(result, title="…"); write_geojson(result.free, "ledig.geojson",
                                                id_column="ledig_id")
    write_geopackage({"ledige_arealer": result.free}, "ledig.gpkg")
    query(result, kategori="naering", min_daa=5)                # ask

or all of it at once with :func:`build`.
"""

from __future__ import annotations

from .available import AvailableLand, Parameters, available_land
from .classify import classify_zones
from .errors import ArealkartError
from .export import write_geojson, write_geopackage
from .maps import build_map
from .pipeline import BuildResult, build
from .query import query
from .read import PlanData, read_plan
from .summary import summarise

__all__ = [
    "ArealkartError",
    "AvailableLand",
    "BuildResult",
    "Parameters",
    "PlanData",
    "available_land",
    "build",
    "build_map",
    "classify_zones",
    "query",
    "read_plan",
    "summarise",
    "write_geojson",
    "write_geopackage",
]

__version__ = "0.1.0"
