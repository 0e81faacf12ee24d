"""The ``arealkart`` command line: a thin layer over the public API.

Commands::

    arealkart build    # load, classify, compute free land, write maps, GeoJSON, GeoPackage, CSV
    arealkart map      # only the maps, from a config
    arealkart query    # ask the last build for free areas, plots or zones
    arealkart export   # write one layer of the last build as GeoJSON, GeoJSONSeq, GPKG or CSV
    arealkart info     # what an input file holds, before building

Every command takes ``-q/--quiet`` (only errors, no progress bars) and ``-v/--verbose``
(progress details), before or after the command name, and ``-h/--help`` with examples.

Exit codes:

=====  ====================================================================================
0      success
1      bad input data or configuration: an unreadable file, a config error (a message,
       no traceback)
2      bad command-line usage or query: an unknown option or value, an unknown
       municipality, place, category or status, a negative or inverted range, an
       unreadable polygon file, a query before any build (a message, no traceback)
3      an unexpected internal error: a bug (the traceback is shown; please report it)
130    interrupted (Ctrl-C)
=====  ====================================================================================
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from . import __version__
from ._cli_commands import export, info, query
from ._cli_options import (
    CONTEXT,
    EXIT_BUG,
    EXIT_CODES_HELP,
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    configure_logging,
    is_quiet,
    keep_blocks,
    settings,
    verbosity,
)
from .errors import ArealkartError, QueryError

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
      arealkart query --kommune Vinje --kategori fritid --min-daa 2
      arealkart query --near Dalen --within-km 10 --sort areal --limit 20
      arealkart export --layer tomter --format geojsonseq --output tomter.geojsons
      arealkart info plan.sos
    """
    configure_logging(settings(ctx))


# --- build and map ----------------------------------------------------------------------------

_config_option = click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path),
    help="Region config (TOML); default: the built-in Vest-Telemark demo.",
)
_output_option = click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("output"),
    show_default=True,
    help="Folder to write into.",
)
_workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for the available-land step (default: number of cores).",
)
_lang_option = click.option(
    "--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, help="Map language."
)
_keep_going_option = click.option(
    "--keep-going",
    is_flag=True,
    help="Report input files that cannot be read in the issues report and go on.",
)


@cli.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_config_option
@_output_option
@_workers_option
@_lang_option
@_keep_going_option
@verbosity
@click.pass_context
@keep_blocks
def build(
    ctx: click.Context,
    config: Path | None,
    output: Path,
    workers: int | None,
    lang: str,
    keep_going: bool,
) -> None:
    r"""Load, classify, compute free land, and write maps, GeoJSON, GeoPackage and tables.

    Every input feature is accounted for: it is in the outputs or in the issues report
    (issues.csv). The build prints the balance per input file and fails, writing nothing,
    if any feature would be lost. A failed build leaves the previous output untouched.

    \b
    Examples:
      arealkart build
      arealkart build --config vest-telemark.toml --output /srv/kart --lang en
      arealkart build -q --workers 2
      arealkart build --config region.toml --keep-going
    """
    from .pipeline import build as run_build

    quiet = is_quiet(ctx)
    result = run_build(
        config, output, workers=workers, lang=lang, progress=not quiet, keep_going=keep_going
    )
    if not quiet:
        _print_build(result)


@cli.command(name="map", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_config_option
@_output_option
@_workers_option
@_lang_option
@verbosity
@click.pass_context
@keep_blocks
def map_command(
    ctx: click.Context, config: Path | None, output: Path, workers: int | None, lang: str
) -> None:
    r"""Write only the interactive maps (kart/*.html) from a config.

    \b
    Examples:
      arealkart map
      arealkart map --config region.toml --output ut/ --lang en
    """
    from .pipeline import build as run_build

    quiet = is_quiet(ctx)
    result = run_build(
        config, output, workers=workers, lang=lang, progress=not quiet, parts=("maps",)
    )
    if not quiet:
        click.echo(f"Wrote {len(result.files)} maps to {_common_folder(result.files)}")


def _print_build(result: Any) -> None:
    from .summary import REGION_NUMBER

    region = result.summary[result.summary["kommunenummer"] == REGION_NUMBER]
    click.echo(
        f"{result.config.navn}: {len(result.result.zones)} zones, "
        f"{len(result.result.free)} free areas, {len(result.result.plots)} plots"
    )
    for row in region.itertuples():
        click.echo(
            f"  {row.kategori:<10} {row.ledig_daa:>10.1f} daa free  "
            f"{row.ledige_tomter:>5} free plots  ~{row.tomter_estimert} plots fit"
        )
    click.echo(f"  issues report: {len(result.issues)} rows")
    _print_balance(result.balance)
    click.echo(f"Wrote {len(result.files)} files to {_common_folder(result.files)}")


def _print_balance(table: Any) -> None:
    """Features read = written + reported, per input file and layer."""
    layers = table[~table["layer"].astype(str).str.startswith("other:")]
    click.echo(f"Accounting ({len(layers)} input files and layers): read = written + reported")
    width = max((len(str(f)) for f in layers["file"]), default=4)
    for row in layers.itertuples():
        moved = f"  (reprojected from {row.crs})" if _reprojected(row.crs) else ""
        click.echo(
            f"  {row.file:<{width}}  {row.layer:<11} {row.read:>7} = {row.written:>7} + "
            f"{row.reported:>5}{moved}"
        )
    total = layers[["read", "written", "reported"]].sum()
    click.echo(
        f"  {'all':<{width}}  {'':<11} {total['read']:>7} = {total['written']:>7} + "
        f"{total['reported']:>5}   nothing unaccounted"
    )


def _reprojected(crs: Any) -> bool:
    return isinstance(crs, str) and crs != "EPSG:25832"


def _common_folder(paths: Any) -> Path:
    folders = [Path(p).parent for p in paths]
    return Path(os.path.commonpath(folders)) if folders else Path()


for _command in (query, export, info):
    cli.add_command(_command)


# --- entry point ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning errors into messages and exit codes (see module)."""
    try:
        code = cli.main(args=argv, prog_name="arealkart", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except QueryError as exc:
        click.echo(f"arealkart: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except ArealkartError as exc:
        click.echo(f"arealkart: error: {exc}", err=True)
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


if __name__ == "__main__":  # pragma: no cover
    main()
