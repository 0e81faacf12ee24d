"""The ``serve`` command: a finished build as an OGC API Features service (pygeoapi).

Registered on the ``arealkart`` group by :mod:`arealkart.cli.main`; a thin skin over
:func:`arealkart.serve.serve` and :func:`arealkart.serve.write_service`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from arealkart.cli._options import (
    CONTEXT,
    EXIT_CODES_HELP,
    is_quiet,
    keep_blocks,
    settings,
    verbosity,
)


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="A build's output folder (or its GeoPackage).",
)
@click.option("--host", help="Listen on this address only [default: 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port [default: 5000].")
@click.option(
    "--url",
    help="The public address, when a web server in front answers elsewhere "
    "(default: http://HOST:PORT).",
)
@click.option(
    "--maps",
    is_flag=True,
    help="Serve the output folder's files (maps, report, vector tiles) as a static web "
    "server that answers byte-range requests, instead of OGC API [default port: 8000].",
)
@click.option(
    "--write-only",
    is_flag=True,
    help="Write serve/pygeoapi.yml and serve/openapi.yml, and do not start a server; "
    "without --host, --port and --url, keeps the address of the config it replaces.",
)
@verbosity
@click.pass_context
@keep_blocks
def serve(
    ctx: click.Context,
    source: Path,
    host: str | None,
    port: int | None,
    url: str | None,
    maps: bool,
    write_only: bool,
) -> None:
    r"""Serve the last build as OGC API Features (pygeoapi) until Ctrl-C.

    One collection per layer (ledige_arealer, tomter, soner, hensynssoner, sammendrag),
    stored in EPSG:25832, answered in CRS84 or EPSG:25832, with bbox, property=value
    filters and paging.  Writes the pygeoapi config and its OpenAPI document next to the
    build (serve/pygeoapi.yml, serve/openapi.yml), kept by the next build, so the same
    service can run under gunicorn behind a web server.  Needs the optional extra:
    pip install 'arealkart[serve]'.

    With --maps, serves the output folder itself as files instead: a region page drawn
    from vector tiles (kart/<slug>.pmtiles) reads them by byte-range requests, which a
    page opened from disk cannot make and python -m http.server does not answer.

    \b
    Examples:
      arealkart serve                              # http://127.0.0.1:5000/
      arealkart serve --maps                       # http://127.0.0.1:8000/kart/
      arealkart serve --from ut/ --port 8080
      arealkart serve --write-only --url https://kart.example.no/arealkart
    """
    from arealkart.serve import serve as run_service  # pyogrio and pygeoapi: only now
    from arealkart.serve import write_service

    quiet = is_quiet(ctx)
    if maps:
        _serve_files(source, host or "127.0.0.1", port or 8000, quiet=quiet)
        return
    _quieter_server_logs(quiet=quiet, verbose=settings(ctx)["verbose"])
    if write_only:
        service = write_service(source, host=host, port=port, url=url)
        if not quiet:
            click.echo(f"Wrote {service.config} and {service.openapi}")
        return

    def ready(service: Any) -> None:
        if not quiet:
            click.echo(f"Serving OGC API Features at {service.url}/ (config {service.config})")
            click.echo("Press Ctrl-C to stop.")

    run_service(source, host=host or "127.0.0.1", port=port or 5000, url=url, on_ready=ready)
    if not quiet:
        click.echo("Stopped.")


def _serve_files(folder: Path, host: str, port: int, *, quiet: bool) -> None:
    """The build's files over HTTP with byte ranges, until Ctrl-C."""
    from arealkart.serve.files import file_server

    server = file_server(folder, host, port)
    if not quiet:
        click.echo(f"Serving {folder} at http://{host}:{server.server_address[1]}/kart/")
        click.echo("Press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    if not quiet:
        click.echo("Stopped.")


def _quieter_server_logs(*, quiet: bool, verbose: bool) -> None:
    """Keep pygeoapi's own warnings (one per request without ``offset``) for ``-v``.

    Werkzeug logs each request (``INFO werkzeug: … "GET /collections HTTP/1.1" 200``),
    except with ``-q``; pygeoapi logs every refused request as an error, with its cause.
    """
    if not verbose:
        logging.getLogger("pygeoapi").setLevel(logging.ERROR)
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
