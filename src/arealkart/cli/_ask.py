"""The commands that read: ``query`` and ``export`` ask a build, ``info`` looks at inputs.

Registered on the ``arealkart`` group by :mod:`arealkart.cli.main`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from arealkart.cli._options import (
    CONTEXT,
    EXIT_CODES_HELP,
    EXIT_DATA,
    echo_lines,
    is_quiet,
    keep_blocks,
    printable,
    verbosity,
)
from arealkart.errors import ArealkartError, QueryError
from arealkart.model.output_layers import OUTPUT_LAYERS

# --- query -------------------------------------------------------------------------------------


def _many(values: tuple[str, ...]) -> list[str] | None:
    """Repeatable options that also take comma-separated lists.

    An option given with an empty value (``--plan-id ''``) stays empty, so the query
    refuses it instead of matching everything.
    """
    if not values:
        return None
    out = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return out or [""]


_from_option = click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="A build's output folder (or its GeoPackage).",
)


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_from_option
@click.option(
    "--layer",
    type=click.Choice(["ledige_arealer", "tomter", "soner"]),
    default="ledige_arealer",
    show_default=True,
    help="Free areas, plots or zones.",
)
@click.option("--kommune", multiple=True, help="Municipality name or number (repeatable).")
@click.option(
    "--kategori", multiple=True, help="bolig, fritid, kombinert, naering, annet (repeatable)."
)
@click.option(
    "--kombinasjon",
    multiple=True,
    help="Free areas, zones: bolig_fritid, bolig_naering, sentrum, annen (repeatable).",
)
@click.option(
    "--bruk",
    multiple=True,
    help="Zones: ingen_boliger, som_regulert, blandet, fritid_i_boligfelt, helars_i_fritidsfelt.",
)
@click.option(
    "--status",
    multiple=True,
    help="Plots: ledig, reservert, solgt, bebygd; zones: ledig, delvis_utbygd, utbygd, …",
)
@click.option("--min-daa", type=float, help="Smallest free area (plot size for plots), daa.")
@click.option("--max-daa", type=float, help="Largest free area, daa.")
@click.option("--min-m2", type=float, help="Smallest free area, m².")
@click.option("--max-m2", type=float, help="Largest free area, m².")
@click.option("--min-pris", type=float, help="Plots: lowest price, NOK.")
@click.option("--max-pris", type=float, help="Plots: highest price, NOK.")
@click.option("--va/--uten-va", default=None, help="Plots: water and sewer connected (or not).")
@click.option(
    "--near",
    help="A place (Dalen), 'lat,lon' (59.44,8.00), 'E,N' in EPSG:25832 or '32V 442000 6590000'.",
)
@click.option(
    "--within-km", type=float, help="Only within this distance of --near (or --near-type), km."
)
@click.option(
    "--near-type",
    help="With --within-km: near a sentrum, skole, barnehage, butikk or naeringshage.",
)
@click.option("--bbox", help="'west,south,east,north' in degrees, or 'minE,minN,maxE,maxN'.")
@click.option(
    "--polygon", type=click.Path(path_type=Path), help="Only within the polygons of this file."
)
@click.option("--plan-id", multiple=True, help="Plan id (repeatable).")
@click.option("--feltnavn", multiple=True, help="Field name, e.g. BFS1 (repeatable).")
@click.option(
    "--sort",
    help="avstand (nearest first), areal (largest), pris (cheapest), score (most attractive) "
    "or a column.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many rows.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "geojson", "geojsonseq", "gpkg"]),
    help="A table in the terminal (default), or a file (needs --output; default: from its suffix).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write (- for standard output; not inside the build folder).",
)
@verbosity
@click.pass_context
@keep_blocks
def query(
    ctx: click.Context,
    source: Path,
    layer: str,
    fmt: str | None,
    output: Path | None,
    **options: Any,
) -> None:
    r"""List free areas, plots or zones of the last build that match every filter.

    Reads the build's GeoPackage (default output/arealkart.gpkg); nothing is rebuilt.
    Prints a table with counts and free daa at the end, or writes a file.

    \b
    Examples:
      arealkart query --kommune Vinje --kategori fritid --min-daa 2
      arealkart query --near Dalen --within-km 10 --sort areal --limit 20
      arealkart query --near 59.44,8.00 --kategori bolig,kombinert
      arealkart query --kombinasjon bolig_fritid --kommune Fyresdal
      arealkart query --layer soner --bruk helars_i_fritidsfelt
      arealkart query --kategori naering --near-type naeringshage --within-km 3
      arealkart query --kommune Seljord --kategori bolig --sort score --limit 10
      arealkart query --layer tomter --status ledig --kommune Seljord --va --max-pris 400000
      arealkart query --layer soner --status delvis_utbygd --bbox 7.9,59.4,8.1,59.5
      arealkart query --polygon område.geojson --output treff.geojson
      arealkart query --kommune Tokke --format csv --output tokke.csv
    """
    # geopandas and the query machinery only when a query runs
    from arealkart.ask.search import query as run_query
    from arealkart.publish.export import format_for
    from arealkart.publish.extract import write_result

    if fmt not in (None, "table") and output is None:
        raise click.UsageError(f"--format {fmt} writes a file: give --output FILE")
    if fmt == "table" and output is not None:
        raise click.UsageError("--output needs --format csv, geojson, geojsonseq or gpkg")
    fmt = "table" if output is None else format_for(output, fmt)
    for name in ("kommune", "kategori", "kombinasjon", "bruk", "status", "plan_id", "feltnavn"):
        options[name] = _many(options[name])
    try:
        rows = run_query(source, layer=layer, **options)
    except QueryError as exc:
        raise QueryError(option_names(str(exc))) from None
    if fmt == "table" or output is None:  # fmt is "table" exactly when there is no output
        _print_result(rows, layer, options["limit"], options["near_type"])
        return
    done = write_result(rows, output, fmt, layer=layer, source=source)
    if not is_quiet(ctx) and str(output) != "-":
        click.echo(f"Wrote {done.rows} rows to {done.path}")


_API_NAMES = re.compile(
    r"(?<!')\b(min_daa|max_daa|min_m2|max_m2|min_pris|max_pris|within_km|near_type|plan_id)\b(?!')"
)


def option_names(message: str) -> str:
    """A query error in the CLI's words: ``min_daa`` → ``--min-daa``, ``near=`` → ``--near``."""
    message = _API_NAMES.sub(lambda m: "--" + m[1].replace("_", "-"), message)
    message = re.sub(r"\bnear=", "--near", message)
    return re.sub(r"\blayer='(\w+)'", r"--layer \1", message)


def _print_result(rows: Any, layer: str, limit: int | None, near_type: str | None) -> None:
    from arealkart.cli._text import result_table, result_totals

    if len(rows):
        echo_lines(result_table(rows, layer, near_type))
        click.echo("")
    else:
        click.echo("(no matches)")
    echo_lines(result_totals(rows, layer, limit))


# --- export ------------------------------------------------------------------------------------


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@_from_option
@click.option(
    "--layer",
    type=click.Choice(list(OUTPUT_LAYERS)),
    default="ledige_arealer",
    show_default=True,
    help="Layer of the build to write.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "geojsonseq", "gpkg", "csv"]),
    help="Output format (default: from the file suffix).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write (.geojson, .geojsons, .gpkg, .csv; - for standard output with --format).",
)
@click.option("--kommune", multiple=True, help="Only these municipalities (repeatable).")
@verbosity
@click.pass_context
@keep_blocks
def export(
    ctx: click.Context,
    source: Path,
    layer: str,
    fmt: str | None,
    output: Path,
    kommune: tuple[str, ...],
) -> None:
    r"""Write one layer of the last build as GeoJSON, GeoJSON text sequence, GeoPackage or CSV.

    GeoJSON is RFC 7946 (WGS84, stable string ids); geojsonseq is RFC 8142 (one feature per
    record, for streaming); GeoPackage is EPSG:25832; CSV has lon/lat columns.

    \b
    Examples:
      arealkart export --layer tomter --format geojsonseq --output tomter.geojsons
      arealkart export --layer ledige_arealer --kommune Vinje --output vinje.geojson
      arealkart export --layer sammendrag --output sammendrag.csv
    """
    from arealkart.publish.extract import export_layer  # geopandas, only when exporting

    done = export_layer(source, layer, output, fmt, kommune=_many(kommune))
    if not is_quiet(ctx) and str(output) != "-":
        click.echo(f"Wrote {done.rows} rows of {layer} to {done.path} ({done.format})")


# --- info -------------------------------------------------------------------------------------


@click.command(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kommune", help="Municipality of files without a municipality column.")
@click.option(
    "--kind",
    type=click.Choice(["zones", "constraints", "plots", "buildings"]),
    help="What a GIS export holds, if its columns do not tell.",
)
@click.option("--crs", help="CRS of a file that has none, e.g. EPSG:25833.")
@click.option("--layer", help="Read only this layer of a multi-layer file.")
@click.option(
    "--geometry",
    type=click.Path(path_type=Path),
    help="For a CSV plot register: the file with the plot polygons.",
)
@verbosity
@keep_blocks
def info(files: tuple[Path, ...], **options: Any) -> None:
    r"""Show what input files hold before building: format, layers, CRS, object types, codes.

    \b
    Examples:
      arealkart info plan.sos
      arealkart info data/demo/4036-vinje/*.geojson
      arealkart info tomteregister.csv --kommune Vinje --geometry tomter.geojson
      arealkart info output/arealkart.gpkg --layer soner --kind zones
    """
    options = {k: v for k, v in options.items() if v is not None}
    failed = [path for path in files if not _describe(path, options)]
    if failed:
        raise SystemExit(EXIT_DATA)


def _describe(path: Path, options: dict[str, Any]) -> bool:
    """Print what ``path`` holds; ``False`` if it could not be read."""
    from arealkart.cli._text import layer_lines, plan_summary  # geopandas, only for files
    from arealkart.load.describe import describe

    click.echo(printable(str(path)))
    try:
        found = describe(path, **options)
    except ArealkartError as exc:
        return _cannot_read(exc)
    click.echo(f"  format: {found.format}")
    if found.layers:
        click.echo("  layers (GDAL):")
        echo_lines(layer_lines(found.layers))
    if found.data is None:
        return _cannot_read(found.error)
    click.echo("  arealkart reads:")
    echo_lines(plan_summary(found.data))
    return True


def _cannot_read(error: Exception | None) -> bool:
    click.echo(printable(f"  error: {error}"), err=True)
    click.echo(
        "  (files that need it take --kommune, --kind, --crs, --layer or --geometry)", err=True
    )
    return False
