"""The whole chain: load → classify → available land → summaries → maps and files.

:func:`build` is what ``arealkart build`` runs.  All files are written into a staging
folder first and moved into place only when everything succeeded, so a failed build leaves
the previous output intact.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .available import AvailableLand, available_land
from .classify import classification_issues, classify_zones
from .config import RegionConfig, Source, load_config
from .export import write_csv, write_geojson, write_geopackage
from .issues import concat_issues
from .kommuner import boundaries as municipality_boundaries
from .maps import build_map, save_map, texts
from .read import PlanData, combine, read_plan
from .summary import REGION_NUMBER, summarise

log = logging.getLogger(__name__)

GEOPACKAGE = "arealkart.gpkg"
LAYER_DESCRIPTIONS = {
    "soner": "Plan zones with category, area split (bebygd/blokkert/ubrukelig/ledig m²), "
    "status and the rule that decided",
    "ledige_arealer": "Usable free building land, one polygon per free area",
    "tomter": "Plots from the plot registers with status (ledig/reservert/solgt/bebygd)",
    "hensynssoner": "Constraint zones (hensynssoner) used to block or flag land",
    "sammendrag": "Free land per municipality and category, with region totals",
    "avvik": "Issues report: input features repaired, reclassified, excluded or unreadable",
}


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` produced."""

    config: RegionConfig
    data: PlanData
    result: AvailableLand
    summary: pd.DataFrame
    issues: pd.DataFrame
    files: tuple[Path, ...]


def load_region(config: RegionConfig) -> PlanData:
    """Read every input file of a region into one :class:`PlanData`."""
    parts = []
    for muni in config.municipalities:
        for source in muni.sources:
            log.info("reading %s", source.path)
            parts.append(_read_source(source, muni.kommune.nummer))
    return combine(parts)


def _read_source(source: Source, kommune: str) -> PlanData:
    options = {"kommune": kommune, **source.options}
    if source.kind is not None:
        options.setdefault("kind", source.kind)
    return read_plan(source.path, **options)


def build(
    config: str | os.PathLike[str] | RegionConfig | None = None,
    output: str | os.PathLike[str] = "output",
    *,
    workers: int | None = None,
    lang: str = "nb",
    progress: bool = False,
) -> BuildResult:
    """Run the whole chain on a region and write maps, GeoJSON, GeoPackage and tables.

    Parameters
    ----------
    config
        A region config file or :class:`RegionConfig`; ``None`` runs the built-in
        Vest-Telemark demo.
    output
        Folder to write into (created if missing).
    workers
        Processes for the available-land step; default the number of cores.
    lang
        Map language, ``"nb"`` or ``"en"``.
    progress
        Show progress bars.

    Returns
    -------
    BuildResult
    """
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    texts(lang)  # fail early on an unknown language
    data = load_region(cfg)
    zones = classify_zones(data.zones, cfg.category_overrides)
    result = available_land(
        zones,
        data.buildings,
        data.constraints,
        data.plots,
        workers=workers or os.cpu_count() or 1,
        progress=progress,
        **cfg.parameters,
    )
    summary = summarise(result, cfg.navn)
    issues = concat_issues([data.issues, classification_issues(zones), result.issues])
    files = write_outputs(cfg, data, result, summary, issues, Path(output), lang)
    return BuildResult(cfg, data, result, summary, issues, files)


def write_outputs(
    cfg: RegionConfig,
    data: PlanData,
    result: AvailableLand,
    summary: pd.DataFrame,
    issues: pd.DataFrame,
    output: Path,
    lang: str,
) -> tuple[Path, ...]:
    """Write every output into a staging folder, then move them into ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".arealkart-", dir=output))
    try:
        written = [
            *_write_tables(stage, cfg, result, data, summary, issues),
            *_write_geojson(stage, cfg, result),
            *_write_maps(stage, cfg, result, summary, lang),
        ]
        return tuple(_publish(stage, output, written))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, output: Path, written: list[Path]):
    for path in written:
        target = output / path.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        yield target


def _write_tables(stage, cfg, result, data, summary, issues) -> list[Path]:
    layers = {
        "soner": result.zones,
        "ledige_arealer": result.free,
        "tomter": result.plots,
        "hensynssoner": data.constraints,
        "sammendrag": summary,
        "avvik": issues,
    }
    note = f" ({cfg.attribution})" if cfg.attribution else ""
    descriptions = {name: text + note for name, text in LAYER_DESCRIPTIONS.items()}
    return [
        write_geopackage(layers, stage / GEOPACKAGE, descriptions=descriptions),
        write_csv(summary, stage / "sammendrag.csv"),
        write_csv(issues, stage / "issues.csv"),
    ]


def _municipal_parts(result: AvailableLand, kommunenummer: str) -> AvailableLand:
    def cut(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return gdf[gdf["kommunenummer"] == kommunenummer]

    return AvailableLand(
        cut(result.zones),
        cut(result.free),
        cut(result.plots),
        cut(result.built),
        cut(result.blocked),
        result.issues,
        result.parameters,
    )


def _write_geojson(stage: Path, cfg: RegionConfig, result: AvailableLand) -> list[Path]:
    folder = stage / "geojson"
    scopes = [(cfg.slug, result)] + [
        (m.kommune.slug, _municipal_parts(result, m.kommune.nummer)) for m in cfg.municipalities
    ]
    written = []
    for slug, part in scopes:
        written.append(
            write_geojson(part.free, folder / f"{slug}-ledig.geojson", id_column="ledig_id")
        )
        written.append(
            write_geojson(part.plots, folder / f"{slug}-tomter.geojson", id_column="tomt_id")
        )
    return written


def _write_maps(stage, cfg, result, summary, lang) -> list[Path]:
    t = texts(lang)
    folder = stage / "kart"
    borders = municipality_boundaries([m.kommune.nummer for m in cfg.municipalities])
    suffix = "" if lang == "nb" else f".{lang}"
    pages = [(cfg.slug, t["tittel_region"].format(region=cfg.navn), result, borders, summary)]
    for m in cfg.municipalities:
        number = m.kommune.nummer
        pages.append(
            (
                m.kommune.slug,
                t["tittel_kommune"].format(kommune=m.kommune.navn),
                _municipal_parts(result, number),
                borders[borders["kommunenummer"] == number],
                summary[summary["kommunenummer"] == number],
            )
        )
    written = []
    for slug, title, part, border, rows in pages:
        m = build_map(
            part,
            border,
            title=title,
            lang=lang,
            summary=rows,
            attribution=cfg.attribution,
            colour_overrides=cfg.colours,
        )
        written.append(save_map(m, folder / f"{slug}{suffix}.html"))
    written.append(_write_index(folder / f"index{suffix}.html", cfg, summary, t, suffix))
    return written


def _write_index(path: Path, cfg: RegionConfig, summary: pd.DataFrame, t, suffix) -> Path:
    import html

    totals = summary[summary["kommunenummer"] == REGION_NUMBER]
    rows = "".join(
        f'<li><a href="{m.kommune.slug}{suffix}.html">{html.escape(m.kommune.navn)}</a> – '
        f"{summary[summary['kommunenummer'] == m.kommune.nummer]['ledig_daa'].sum():.1f} daa</li>"
        for m in cfg.municipalities
    )
    attribution = f"<p><em>{html.escape(cfg.attribution)}</em></p>" if cfg.attribution else ""
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(t['tittel_region'].format(region=cfg.navn))}</title></head>"
        f"<body><h1>{html.escape(t['tittel_region'].format(region=cfg.navn))}</h1>"
        f'{attribution}<p><a href="{cfg.slug}{suffix}.html">{html.escape(t["region"])}</a> '
        f"– {totals['ledig_daa'].sum():.1f} daa</p><ul>{rows}</ul></body></html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
