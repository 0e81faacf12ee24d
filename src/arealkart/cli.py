"""The ``arealkart`` command line: a thin layer over the public API.

Exit codes: 0 success; 1 bad input data or configuration (a clear message, no
traceback); 2 bad command-line usage or query.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import __version__
from .errors import ArealkartError, QueryError

EXIT_DATA = 1
EXIT_USAGE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="arealkart")
@click.option("-q", "--quiet", is_flag=True, help="Only print errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print progress details.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    r"""Free and regulated building land in Norwegian plans.

    \b
    Examples:
      arealkart build                       # the built-in Vest-Telemark demo
      arealkart build --config region.toml --output ut/
      arealkart query --kommune Vinje --kategori fritid --min-daa 2
    """
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"quiet": quiet}


@cli.command()
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path),
    help="Region config (TOML); default: the built-in Vest-Telemark demo.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder to write maps, GeoJSON, GeoPackage, tables.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for the available-land step (default: number of cores).",
)
@click.option(
    "--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True, help="Map language."
)
@click.pass_context
def build(
    ctx: click.Context, config: Path | None, output: Path, workers: int | None, lang: str
) -> None:
    r"""Load, classify, compute free land, and write maps and files.

    \b
    Examples:
      arealkart build
      arealkart build --config vest-telemark.toml --output /srv/kart --lang en
    """
    from .pipeline import build as run_build

    quiet = ctx.obj["quiet"]
    result = run_build(config, output, workers=workers, lang=lang, progress=not quiet)
    if not quiet:
        _print_build(result)


def _print_build(result) -> None:
    region = result.summary[result.summary["kommunenummer"] == "0000"]
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
    common = Path(*_common_parts(result.files))
    click.echo(f"Wrote {len(result.files)} files to {common}")


def _common_parts(paths) -> tuple[str, ...]:
    parts = [p.parts for p in paths]
    common = []
    for items in zip(*parts, strict=False):
        if len(set(items)) != 1:
            break
        common.append(items[0])
    return tuple(common) or (".",)


@cli.command()
@click.option(
    "--output",
    "source",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Output folder (or GeoPackage) of a build.",
)
@click.option(
    "--layer",
    type=click.Choice(["ledige_arealer", "tomter", "soner"]),
    default="ledige_arealer",
    show_default=True,
)
@click.option("--kommune", help="Municipality name or number.")
@click.option("--kategori", multiple=True, help="bolig, fritid, kombinert, naering (repeatable).")
@click.option("--status", multiple=True, help="Status (repeatable).")
@click.option("--min-daa", type=float)
@click.option("--max-daa", type=float)
@click.option("--sort", help="'areal' (largest first) or a column.")
@click.option("--limit", type=click.IntRange(min=1))
def query(
    source: Path,
    layer: str,
    kommune: str | None,
    kategori: tuple[str, ...],
    status: tuple[str, ...],
    min_daa: float | None,
    max_daa: float | None,
    sort: str | None,
    limit: int | None,
) -> None:
    r"""List free areas, plots or zones of the last build that match the filters.

    \b
    Examples:
      arealkart query --kommune Vinje --kategori fritid --min-daa 2
      arealkart query --layer tomter --status ledig --kommune Seljord
    """
    from .query import query as run_query

    rows = run_query(
        source,
        layer=layer,
        kommune=kommune,
        kategori=list(kategori) or None,
        status=list(status) or None,
        min_daa=min_daa,
        max_daa=max_daa,
        sort=sort,
        limit=limit,
    )
    columns = [
        c
        for c in (
            "ledig_id",
            "tomt_id",
            "zone_id",
            "kommunenummer",
            "feltnavn",
            "kategori",
            "status",
            "areal_daa",
            "ledig_daa",
            "pris",
        )
        if c in rows.columns
    ][:7]
    click.echo(rows[columns].to_string(index=False) if len(rows) else "(no matches)")
    area = {"ledige_arealer": "areal_m2", "soner": "ledig_m2", "tomter": "tomt_m2"}[layer]
    click.echo(f"{len(rows)} rows, {rows[area].astype(float).sum() / 1000:.1f} daa")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning arealkart's errors into messages and exit codes."""
    try:
        cli.main(args=argv, prog_name="arealkart", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_DATA)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except QueryError as exc:
        click.echo(f"arealkart: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except ArealkartError as exc:
        click.echo(f"arealkart: error: {exc}", err=True)
        sys.exit(EXIT_DATA)


if __name__ == "__main__":  # pragma: no cover
    main()
