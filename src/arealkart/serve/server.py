"""Serve a finished build as OGC API Features: write its pygeoapi config, then run it.

pygeoapi is the optional extra ``arealkart[serve]``; nothing here imports it before a
service is written or run, so ``import arealkart`` and the CLI start without it.  The
server is Werkzeug's (a dependency of pygeoapi's Flask app), threaded, bound only to the
given host; for a public service run the same config under gunicorn behind a web server
(see the guide).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arealkart.ask.index import build_path
from arealkart.errors import ServiceError
from arealkart.serve.config import (
    CONFIG_FILE,
    OPENAPI_FILE,
    Service,
    service_config,
    service_folder,
    service_url,
)

__all__ = ["INSTALL_HINT", "require_pygeoapi", "serve", "write_service"]

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'arealkart[serve]' (or: bash scripts/install.sh --serve)"
"""How to install the optional extra the service needs."""

_HEADER = """\
# pygeoapi config of this build's OGC API Features service, written by `arealkart serve`
# ({source}).  Run it as `arealkart serve` does, or under any WSGI server, e.g.:
#   PYGEOAPI_CONFIG={config} \\
#   PYGEOAPI_OPENAPI={openapi} \\
#   gunicorn --bind 127.0.0.1:{port} --workers 2 pygeoapi.flask_app:APP
# A new build keeps this folder; write it again (`arealkart serve --write-only`) to
# refresh the extents, and after changing it regenerate the OpenAPI document:
#   pygeoapi openapi generate {config} --output-file {openapi}
"""


def require_pygeoapi() -> None:
    """Make sure the optional extra is installed.

    Raises
    ------
    ServiceError
        Naming what is missing and how to install it.
    """
    for module in ("pygeoapi", "yaml", "werkzeug"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ServiceError(
                f"the OGC API service needs pygeoapi, an optional extra that is not installed "
                f"({exc}); install it with: {INSTALL_HINT}"
            ) from None


DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def write_service(
    source: str | os.PathLike[str],
    *,
    host: str | None = None,
    port: int | None = None,
    url: str | None = None,
) -> Service:
    """Write the build's pygeoapi config and OpenAPI document into its ``serve/`` folder.

    Parameters
    ----------
    source
        A build's output folder or its GeoPackage.
    host, port
        Where the server will listen (default 127.0.0.1:5000).
    url
        The public address, if a web server in front answers elsewhere.

    With none of ``host``, ``port`` and ``url`` given, the address of the config being
    replaced is kept: refreshing a service's config after a rebuild (``serve
    --write-only``) keeps the public address it was set up with.

    Returns
    -------
    Service
        The two files and the service's address.

    Raises
    ------
    ServiceError
        Without the optional extra, or when pygeoapi refuses the config.
    QueryError
        If there is no build at ``source``.
    """
    require_pygeoapi()
    import yaml  # with pygeoapi

    folder = service_folder(build_path(source).resolve())
    if host is None and port is None and url is None:
        host, port, url = _previous_address(folder / CONFIG_FILE)
    host, port = host or DEFAULT_HOST, port or DEFAULT_PORT
    config = service_config(source, host=host, port=port, url=url)
    service = Service(folder / CONFIG_FILE, folder / OPENAPI_FILE, config["server"]["url"])
    header = _HEADER.format(
        source=build_path(source).resolve(),
        config=service.config,
        openapi=service.openapi,
        port=port,
    )
    body = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100)
    _write_text(service.config, header + body)
    _write_text(service.openapi, _openapi(service.config))
    log.info("wrote %s and %s", service.config, service.openapi)
    return service


def _previous_address(config: Path) -> tuple[str | None, int | None, str | None]:
    """Host, port and public address of an earlier config (``None`` where there is none)."""
    import yaml

    try:
        server = yaml.safe_load(config.read_text(encoding="utf-8"))["server"]
        bind = server["bind"]
        return str(bind["host"]), int(bind["port"]), str(server["url"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        return None, None, None


def _openapi(config: Path) -> str:
    """The OpenAPI document of ``config``, as ``pygeoapi openapi generate`` writes it."""
    from pygeoapi.openapi import generate_openapi_document

    try:
        return str(generate_openapi_document(config, "yaml"))
    except Exception as exc:  # pygeoapi and its providers raise many types
        raise ServiceError(
            f"{config}: pygeoapi cannot generate the OpenAPI document: {exc}"
        ) from exc


def _write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a running server may read it at any moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    part.replace(path)


def serve(
    source: str | os.PathLike[str],
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    url: str | None = None,
    on_ready: Callable[[Service], Any] | None = None,
) -> Service:
    """Serve the build at ``source`` as OGC API Features until interrupted (Ctrl-C).

    Writes the config first (:func:`write_service`), then runs pygeoapi's Flask app on
    Werkzeug's threaded server, listening on ``host:port`` only.  One service per Python
    process: pygeoapi reads its config once, when its app is first imported.

    Parameters
    ----------
    on_ready
        Called with the :class:`Service` once the server listens (e.g. to print its URL).

    Returns
    -------
    Service
        Once the server has stopped.

    Raises
    ------
    ServiceError
        Without the optional extra, or when the port cannot be listened on.
    """
    service = write_service(source, host=host, port=port, url=url)
    os.environ["PYGEOAPI_CONFIG"] = str(service.config)
    os.environ["PYGEOAPI_OPENAPI"] = str(service.openapi)
    from pygeoapi.flask_app import APP
    from werkzeug.serving import make_server

    try:
        server = make_server(host, port, APP, threaded=True)
    except (OSError, SystemExit) as exc:  # Werkzeug exits when the port is taken
        raise ServiceError(
            f"cannot listen on {service_url(host, port)}: the port is taken or the address is "
            "not this machine's; choose another --port or --host"
        ) from exc
    log.info("serving OGC API Features at %s/", service.url)
    if on_ready is not None:
        on_ready(service)
    server.serve_forever()  # returns on Ctrl-C (KeyboardInterrupt), closing the socket
    log.info("stopped serving %s", service.url)
    return service
