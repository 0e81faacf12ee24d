"""arealkart: free and regulated building land in Norwegian plans.

The pipeline's stages, in order, and what the CLI and notebooks call::

    data = read_plan("plan.sos")                      # load
    zones = classify_zones(data.zones)                # classify
    result = available_land(zones, buildings, constraints, plots)   # what is still free
    build_map(result), write_geojson(...), write_geopackage(...)    # export
    query(...)                                         # ask

or all of it at once with :func:`build`.
"""

from __future__ import annotations

from .classify import classify_zones
from .errors import ArealkartError
from .read import PlanData, read_plan

__all__ = [
    "ArealkartError",
    "PlanData",
    "classify_zones",
    "read_plan",
]

__version__ = "0.1.0"
