"""The ``convert`` command: a SOSI or plan GML file as GeoPackage, FlatGeobuf or GeoJSON.

Registered on the ``arealkart`` group by :mod:`arealkart.cli.main`; a thin skin over
:func:`arealkart.publish.convert.convert`.
"""

from __future__ import annotations

from pathlib import Path

import click

from arealkart.cli._options import (
    CONTEXT,
    EXIT_CODES_HELP,
    is_quiet,
    keep_blocks,
    printable,
    verbosity,
)
from arealkart.errors import ConfigError
from arealkart.model.output_layers import CONVERT_FORMATS, CONVERT_LAYERS


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(CONVERT_FORMATS)),
    help="Output format [default: from TARGET's suffix].",
)
@click.option("--crs", help="CRS of a file that declares none, e.g. EPSG:25833.")
@click.option(
    "--to-crs",
    help="CRS to write (gpkg, fgb) [default: EPSG:25832; GeoJSON is always WGS84].",
)
@click.option("--kommune", help="Municipality of a file that does not name one.")
@click.option(
    "--arc-tolerance",
    type=click.FloatRange(min=0, min_open=True, max=1000, max_open=True),
    help="Largest gap (m) between a densified arc and the circle [default: 0.05].",
)
@verbosity
@click.pass_context
@keep_blocks
def convert(
    ctx: click.Context,
    source: Path,
    target: Path,
    fmt: str | None,
    crs: str | None,
    to_crs: str | None,
    kommune: str | None,
    arc_tolerance: float | None,
) -> None:
    r"""Convert a SOSI or plan GML file to GeoPackage, FlatGeobuf or GeoJSON.

    One layer per kind (soner, hensynssoner, tomter, bygninger) in arealkart's canonical
    columns, and the issues report as the layer avvik. FlatGeobuf and GeoJSON hold one layer
    a file: TARGET plan.fgb writes plan-soner.fgb, plan-avvik.fgb, ...

    \b
    Examples:
      arealkart convert plan.sos plan.gpkg
      arealkart convert plan.gml plan.fgb --to-crs EPSG:25833
      arealkart convert plan.sos plan.geojson --kommune Vinje
    """
    from arealkart.publish.convert import check_target  # geopandas, only now
    from arealkart.publish.convert import convert as run_convert

    try:
        check_target(target, fmt, to_crs)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    options = {"crs": crs, "kommune": kommune, "arc_tolerance": arc_tolerance}
    done = run_convert(
        source, target, fmt, to_crs=to_crs, **{k: v for k, v in options.items() if v is not None}
    )
    if is_quiet(ctx):
        return
    kinds = [name for name, layer in CONVERT_LAYERS.items() if layer.kind]  # none hidden
    issues = done.features.get("avvik", 0)
    layers = ", ".join(f"{name} {done.features.get(name, 0)}" for name in kinds)
    click.echo(printable(f"{source}: {layers}; {issues} issues (avvik)"))
    for path in done.files:
        click.echo(printable(f"wrote {path} ({done.format}, {done.crs})"))
