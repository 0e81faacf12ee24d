"""The commands that write: ``build`` (everything), ``map`` and ``report`` (one part).

Registered on the ``arealkart`` group by :mod:`arealkart.cli.main`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from arealkart.cli._options import (
    CONTEXT,
    EXIT_CODES_HELP,
    is_quiet,
    keep_blocks,
    printable,
    verbosity,
)
from arealkart.model.vocabulary import LANGUAGES, REGION_NUMBER

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
    type=click.Path(file_okay=False),  # a str: an empty --output '' is refused, not '.'
    default="output",
    show_default=True,
    help="Folder to publish into (swapped in whole when the build is complete).",
)
_force_option = click.option(
    "--force",
    is_flag=True,
    help="Publish even into a folder that holds files arealkart did not write (kept as is).",
)
_workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that build municipalities in parallel (default: number of cores; 1 for "
    "under 32 MB of input).",
)
_scheduler_option = click.option(
    "--scheduler",
    metavar="ADDRESS",
    envvar="AREALKART_SCHEDULER",
    help="Build the municipalities on this dask.distributed scheduler (tcp://host:8786) "
    "instead of local processes; needs arealkart[dask] [env AREALKART_SCHEDULER].",
)
_cache_option = click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="AREALKART_CACHE",
    help="Cache folder: municipalities whose inputs did not change are reused from it "
    "[env AREALKART_CACHE; default ~/.cache/arealkart].",
)
_no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Build every municipality anew; neither read nor write the cache.",
)


def _cache_options(function: Any) -> Any:
    return _scheduler_option(_cache_option(_no_cache_option(function)))


_lang_option = click.option(
    "--lang",
    type=click.Choice(list(LANGUAGES)),
    multiple=True,
    help="Map language: nb (bokmål), nn (nynorsk), en; repeat for more "
    "[default: the config's [region] sprak, else nb].",
)
_assets_option = click.option(
    "--assets",
    type=click.Choice(["cdn", "local"]),
    default="cdn",
    show_default=True,
    help="Where the maps load Leaflet from: jsDelivr (with integrity hashes), or copies in "
    "kart/lib/ (for intranets; base-map tiles still need the network).",
)
_keep_going_option = click.option(
    "--keep-going",
    is_flag=True,
    help="Report input files that cannot be read in the issues report and go on.",
)
_postgis_option = click.option(
    "--to-postgis",
    "to_postgis",
    metavar="URL",
    envvar="AREALKART_POSTGIS",
    help="Also write the layers and tables into this PostGIS database, replacing the last "
    "build's in one swap (e.g. postgresql://kart@db.example.no/plan; give the password by "
    "PGPASSWORD or ~/.pgpass) [env AREALKART_POSTGIS].",
)
_schema_option = click.option(
    "--schema",
    default="arealkart",
    show_default=True,
    help="The PostGIS schema to write into (with --to-postgis).",
)


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_config_option
@_output_option
@_workers_option
@_cache_options
@_lang_option
@_assets_option
@_keep_going_option
@_force_option
@_postgis_option
@_schema_option
@verbosity
@click.pass_context
@keep_blocks
def build(
    ctx: click.Context,
    config: Path | None,
    output: str,
    workers: int | None,
    scheduler: str | None,
    cache_dir: Path | None,
    no_cache: bool,
    lang: tuple[str, ...],
    assets: str,
    keep_going: bool,
    force: bool,
    to_postgis: str | None,
    schema: str,
) -> None:
    r"""Load, classify, compute free land; write maps, report, GeoJSON, GeoPackage, tables.

    Every input feature is accounted for: it is in the outputs or in the issues report
    (issues.csv). The build prints the balance per input file and fails, writing nothing,
    if any feature would be lost. A failed build leaves the previous output untouched.

    \b
    Examples:
      arealkart build
      arealkart build --config vest-telemark.toml --output /srv/kart --lang nn --lang en
      arealkart build -q --workers 2
      arealkart build --config region.toml --keep-going
      arealkart build --config norge.toml --scheduler tcp://10.0.0.5:8786
      arealkart build --no-cache
      PGPASSWORD=… arealkart build --to-postgis postgresql://kart@db/plan --schema arealkart
    """
    from arealkart.pipeline import build as run_build  # the whole pipeline, only when it runs

    quiet = is_quiet(ctx)
    result = run_build(
        config,
        output,
        workers=workers,
        scheduler=scheduler,
        cache=not no_cache,
        cache_dir=cache_dir,
        lang=lang or None,
        progress=not quiet,
        keep_going=keep_going,
        force=force,
        assets=assets,
        to_postgis=to_postgis,
        schema=schema,
    )
    if not quiet:
        _print_build(result)


@click.command(name="map", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_config_option
@_output_option
@_workers_option
@_cache_options
@_lang_option
@_assets_option
@_force_option
@verbosity
@click.pass_context
@keep_blocks
def map_command(
    ctx: click.Context,
    config: Path | None,
    output: str,
    workers: int | None,
    lang: tuple[str, ...],
    assets: str,
    force: bool,
    **run: Any,
) -> None:
    r"""Write only the interactive maps (kart/*.html) from a config.

    \b
    Examples:
      arealkart map
      arealkart map --config region.toml --output ut/ --lang en
      arealkart map --assets local
    """
    _write_part(ctx, "maps", "maps", config, output, workers, lang, force, assets, **run)


@click.command(name="report", context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_config_option
@_output_option
@_workers_option
@_cache_options
@_lang_option
@_force_option
@verbosity
@click.pass_context
@keep_blocks
def report_command(
    ctx: click.Context,
    config: Path | None,
    output: str,
    workers: int | None,
    lang: tuple[str, ...],
    force: bool,
    **run: Any,
) -> None:
    r"""Write only the report (rapport/*.html): the region's and each municipality's.

    Free land per category and municipality (charts and tables), plots by status,
    combined use planned and actual, the most attractive free areas, the issues, the rule
    and parameters, the plans' dates; the figures are those of sammendrag.csv. Built into
    the folder of a build of the same inputs, the report links to its maps.

    \b
    Examples:
      arealkart report
      arealkart report --config region.toml --output ut/ --lang nn
    """
    _write_part(ctx, "rapport", "report pages", config, output, workers, lang, force, **run)


def _write_part(
    ctx: click.Context,
    part: str,
    noun: str,
    config: Path | None,
    output: str,
    workers: int | None,
    lang: tuple[str, ...],
    force: bool,
    assets: str = "cdn",
    *,
    scheduler: str | None = None,
    cache_dir: Path | None = None,
    no_cache: bool = False,
) -> None:
    """Build one output part (``maps``, ``rapport``) and say how many files it wrote."""
    from arealkart.pipeline import build as run_build  # the whole pipeline, only when it runs

    quiet = is_quiet(ctx)
    result = run_build(
        config,
        output,
        workers=workers,
        scheduler=scheduler,
        cache=not no_cache,
        cache_dir=cache_dir,
        lang=lang or None,
        progress=not quiet,
        parts=(part,),
        force=force,
        assets=assets,
    )
    if not quiet:
        click.echo(f"Wrote {len(result.files)} {noun} to {_common_folder(result.files)}")


def _print_build(result: Any) -> None:
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
    _print_cache(result)
    click.echo(f"Wrote {len(result.files)} files to {_common_folder(result.files)}")
    if result.postgis is not None:
        written = result.postgis
        click.echo(
            printable(
                f"Wrote {len(written.rows)} tables ({sum(written.rows.values())} rows) to "
                f"PostGIS schema {written.schema} at {written.url}"
            )
        )


def _print_cache(result: Any) -> None:
    """How many municipalities came from the cache, and which were built anew, and why."""
    report = result.cache
    if report is None:
        click.echo("Cache: not used (--no-cache)")
        return
    names = {m.kommune.nummer: m.kommune.navn for m in result.config.municipalities}
    total = len(result.config.municipalities)
    line = f"Cache: {len(report.reused)} of {total} municipalities reused"
    why = {"changed": report.stale, "damaged entry": report.corrupt, "PostGIS": report.uncached}
    anew = [f"{names[n]} ({reason})" for reason, ns in why.items() for n in ns]
    anew += [names[n] for n in report.built]
    if anew:
        more = f" and {len(anew) - _NAMED} more" if len(anew) > _NAMED else ""
        line += f"; built anew: {', '.join(anew[:_NAMED])}{more}"
    if report.pages_reused:
        made = len(report.pages_made)
        line += f"; their pages: {len(report.pages_reused)} reused, {made} made anew"
    click.echo(printable(line))


_NAMED = 12
"""Municipalities named, at most, among those a build made anew."""


def _print_balance(table: Any) -> None:
    """Features read = written + reported, per input file and layer."""
    layers = table[~table["layer"].astype(str).str.startswith("other:")]
    click.echo(f"Accounting ({len(layers)} input files and layers): read = written + reported")
    width = max((len(str(f)) for f in layers["file"]), default=4)
    for row in layers.itertuples():
        moved = f"  (reprojected from {row.crs})" if _reprojected(row.crs) else ""
        click.echo(
            printable(
                f"  {row.file:<{width}}  {row.layer:<11} {row.read:>7} = {row.written:>7} + "
                f"{row.reported:>5}{moved}"
            )
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
