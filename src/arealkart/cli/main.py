"""The ``arealkart`` command line: a thin layer over the public API.

Commands::

    arealkart build    # load, classify, compute free land, write maps, GeoJSON, GeoPackage, CSV
    arealkart map      # only the maps, from a config
    arealkart report   # only the report (rapport/), from a config
    arealkart query    # ask the last build for free areas, plots or zones
    arealkart export   # write one layer of the last build as GeoJSON, GeoJSONSeq, GPKG or CSV
    arealkart info     # what an input file holds, before building
    arealkart serve    # serve the last build as OGC API Features (pygeoapi, an optional extra)
    arealkart convert  # a SOSI or plan GML file as GeoPackage, FlatGeobuf or GeoJSON

Every command takes ``-q/--quiet`` (only errors, no progress bars) and ``-v/--verbose``
(progress details), before or after the command name, and ``-h/--help`` with examples.

Exit codes:

=====  ====================================================================================
0      success
1      bad input data or configuration: an unreadable file, a config error, ``serve``
       without its optional extra or on a port that is taken (a message, no traceback)
2      bad command-line usage or query: an unknown option or value, an unknown
       municipality, place, category or status, a negative or inverted range, an
       unreadable polygon file, a query before any build (a message, no traceback)
3      an unexpected internal error: a bug (the traceback is shown; please report it)
130    interrupted (Ctrl-C)
=====  ====================================================================================
"""

from __future__ import annotations

import signal
import sys
import traceback

import click

from arealkart import __version__
from arealkart.cli._ask import export, info, query
from arealkart.cli._build import build, map_command, report_command
from arealkart.cli._convert import convert
from arealkart.cli._options import (
    CONTEXT,
    EXIT_BUG,
    EXIT_CODES_HELP,
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    configure_logging,
    keep_blocks,
    printable,
    settings,
    verbosity,
)
from arealkart.cli._serve import serve
from arealkart.errors import ArealkartError, QueryError

__all__ = ["EXIT_BUG", "EXIT_DATA", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "cli", "main"]


# --- the group --------------------------------------------------------------------------------


@click.group(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="arealkart")
@verbosity
@click.pass_context
@keep_blocks
def cli(ctx: click.Context) -> None:
    r"""Free and regulated building land in Norwegian plans.

    \b
    Examples:
      arealkart build                       # the built-in Vest-Telemark demo
      arealkart build --config region.toml --output ut/
      arealkart report --lang en            # the report alone, in English
      arealkart query --kommune Vinje --kategori fritid --min-daa 2
      arealkart query --near Dalen --within-km 10 --sort areal --limit 20
      arealkart export --layer tomter --format geojsonseq --output tomter.geojsons
      arealkart info plan.sos
      arealkart serve --port 8080             # OGC API Features over the last build
      arealkart convert plan.sos plan.gpkg    # SOSI or plan GML to GeoPackage
    """
    configure_logging(settings(ctx))


for _command in (build, map_command, report_command, query, export, info, serve, convert):
    cli.add_command(_command)


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning errors into messages and exit codes (see module).

    SIGTERM and SIGHUP stop a command as Ctrl-C does, so a build cleans up after itself.
    """
    _stop_on_termination()
    try:
        code = cli.main(args=argv, prog_name="arealkart", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except QueryError as exc:
        click.echo(printable(f"arealkart: error: {exc}"), err=True)
        sys.exit(EXIT_USAGE)
    except ArealkartError as exc:
        click.echo(printable(f"arealkart: error: {exc}"), err=True)
        sys.exit(EXIT_DATA)
    except SystemExit:
        raise
    except Exception:
        traceback.print_exc()
        click.echo(
            "arealkart: internal error (a bug, not your data); please report it with the "
            "traceback above",
            err=True,
        )
        sys.exit(EXIT_BUG)
    if code:
        sys.exit(code)


def _stop_on_termination() -> None:
    """Turn SIGTERM and SIGHUP (where the system has it) into a KeyboardInterrupt."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, interrupt)


if __name__ == "__main__":  # pragma: no cover
    main()
