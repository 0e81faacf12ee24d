"""arealkart: free and regulated building land in Norwegian plans.

The pipeline's stages, in order, are what the CLI and notebooks call::

    data = read_plan("plan.sos")                                # load
    zones = classify_zones(data.zones)                          # classify
    result = available_land(zones, data.buildings, data.constraints, data.plots)
    build_map(result, title="…"); write_geojson(result.free, "ledig.geojson",
                                                id_column="ledig_id")
    write_geopackage({"ledige_arealer": result.free}, "ledig.gpkg")
    query(result, kategori="naering", min_daa=5)                # ask

or all of it at once with :func:`build`.  Each stage is a package (``load``, ``classify``,
``available``, ``publish``, ``ask``) over the facts they share (``model``, ``registry``);
the names here are imported on first use, so ``import arealkart`` (and ``arealkart
--help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ArealkartError": "arealkart.errors",
    "AvailableLand": "arealkart.available.rule",
    "BuildResult": "arealkart.publish.result",
    "Parameters": "arealkart.available.parameters",
    "PlanData": "arealkart.model.plandata",
    "available_land": "arealkart.available.rule",
    "build": "arealkart.pipeline",
    "build_map": "arealkart.publish.maps",
    "classify_zones": "arealkart.classify",
    "convert": "arealkart.publish.convert",
    "query": "arealkart.ask.search",
    "read_plan": "arealkart.load.read",
    "read_postgis": "arealkart.load.postgis",
    "summarise": "arealkart.publish.summary",
    "write_geojson": "arealkart.publish.export",
    "write_geopackage": "arealkart.publish.export",
    "write_postgis": "arealkart.publish.postgis",
}
"""Public name → the module that defines it."""

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
    "convert",
    "query",
    "read_plan",
    "read_postgis",
    "summarise",
    "write_geojson",
    "write_geopackage",
    "write_postgis",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'arealkart' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:
    from arealkart.ask.search import query
    from arealkart.available.parameters import Parameters
    from arealkart.available.rule import AvailableLand, available_land
    from arealkart.classify import classify_zones
    from arealkart.errors import ArealkartError
    from arealkart.load.postgis import read_postgis
    from arealkart.load.read import read_plan
    from arealkart.model.plandata import PlanData
    from arealkart.pipeline import build
    from arealkart.publish.convert import convert
    from arealkart.publish.export import write_geojson, write_geopackage
    from arealkart.publish.maps import build_map
    from arealkart.publish.postgis import write_postgis
    from arealkart.publish.result import BuildResult
    from arealkart.publish.summary import summarise
