"""Serve: a finished build as an OGC API Features service (pygeoapi, ``arealkart[serve]``).

``config`` (the pygeoapi config of a build: one collection per served layer, texts from
package data), ``server`` (writing the config and the OpenAPI document into the build's
``serve/`` folder, and running them) and ``provider`` (the pygeoapi provider that reads
the build's GeoPackage with pyogrio; loaded by pygeoapi, never imported here, so this
package imports without pygeoapi).
"""

from arealkart.serve.config import Service, service_config
from arealkart.serve.server import require_pygeoapi, serve, write_service

__all__ = ["Service", "require_pygeoapi", "serve", "service_config", "write_service"]
