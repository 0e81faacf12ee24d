"""Publish: what a build writes, and the accounting that must hold before it does.

``outputs`` (the whole output folder, staged and moved into place), ``export`` (GeoJSON,
GeoJSON text sequences, GeoPackage and CSV), ``extract`` (one layer of a finished build
in another format), ``summary`` (free land per municipality and category),
``accounting`` (every input feature written or reported) and ``maps/`` (the Leaflet
pages).
"""

from arealkart.publish.export import write_csv, write_geojson, write_geopackage
from arealkart.publish.extract import Exported, export_layer
from arealkart.publish.maps import build_map, save_map
from arealkart.publish.outputs import BuildResult, write_outputs
from arealkart.publish.summary import summarise

__all__ = [
    "BuildResult",
    "Exported",
    "build_map",
    "export_layer",
    "save_map",
    "summarise",
    "write_csv",
    "write_geojson",
    "write_geopackage",
    "write_outputs",
]
