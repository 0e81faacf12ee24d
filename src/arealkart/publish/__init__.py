"""Publish: what a build writes, and the accounting that must hold before it does.

``outputs`` (the whole output folder, staged and moved into place), ``export`` (GeoJSON,
GeoJSON text sequences, GeoPackage and CSV), ``extract`` (one layer of a finished build
in another format), ``summary`` (free land per municipality and category),
``accounting`` (every input feature written or reported), ``maps/`` (the Leaflet
pages) and ``report/`` (the report pages, *rapport*), both written per ``scopes`` (the
region and each municipality) from a ``result`` (:class:`BuildResult`).
"""

from arealkart.publish.export import write_csv, write_geojson, write_geopackage
from arealkart.publish.extract import Exported, export_layer
from arealkart.publish.maps import build_map, save_map
from arealkart.publish.outputs import write_outputs
from arealkart.publish.report import report_html, write_reports
from arealkart.publish.result import BuildResult
from arealkart.publish.summary import summarise

__all__ = [
    "BuildResult",
    "Exported",
    "build_map",
    "export_layer",
    "report_html",
    "save_map",
    "summarise",
    "write_csv",
    "write_geojson",
    "write_geopackage",
    "write_outputs",
    "write_reports",
]
