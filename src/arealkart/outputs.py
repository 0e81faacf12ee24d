"""Write a build's outputs: GeoPackage and CSV tables, GeoJSON, and the HTML maps.

Everything is written into a staging folder inside the output folder and moved into place
only when every file is complete, so a build that fails leaves the previous output intact.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from .available import AvailableLand
from .config import RegionConfig
from .errors import ConfigError
from .export import (
    GEOPACKAGE,
    feature_ids,
    feature_texts,
    schema_properties,
    write_csv,
    write_feature_texts,
    write_geopackage,
)
from .kommuner import boundaries as municipality_boundaries
from .maps import build_map, save_map, texts
from .read import PlanData
from .summary import REGION_NUMBER

LAYER_DESCRIPTIONS = {
    "soner": "Plan zones with category, area split (bebygd/blokkert/ubrukelig/ledig m²), "
    "status and the rule that decided",
    "ledige_arealer": "Usable free building land, one polygon per free area",
    "tomter": "Plots from the plot registers with status (ledig/reservert/solgt/bebygd)",
    "hensynssoner": "Constraint zones (hensynssoner) used to block or flag land",
    "bygninger": "Buildings (footprints, or points as given) used to judge built land",
    "sammendrag": "Free land per municipality and category, with region totals",
    "avvik": "Issues report: input features repaired, reclassified, excluded or unreadable",
    "regnskap": "Features read, written and reported per input file and layer",
}


OUTPUT_PARTS = ("tables", "geojson", "maps")
"""What a build can write: GeoPackage and CSV tables, GeoJSON, and the HTML maps."""


def output_parts(parts: Iterable[str] | None) -> tuple[str, ...]:
    """Check a selection of :data:`OUTPUT_PARTS` (``None``: all), keeping their order."""
    if parts is None:
        return OUTPUT_PARTS
    chosen = set(parts)
    unknown = sorted(chosen - set(OUTPUT_PARTS))
    if unknown or not chosen:
        raise ConfigError(f"unknown output parts {unknown}; expected some of {list(OUTPUT_PARTS)}")
    return tuple(p for p in OUTPUT_PARTS if p in chosen)


def write_outputs(
    cfg: RegionConfig,
    data: PlanData,
    result: AvailableLand,
    summary: pd.DataFrame,
    issues: pd.DataFrame,
    output: Path,
    lang: str,
    *,
    parts: Iterable[str] | None = None,
    progress: bool = False,
    accounts: pd.DataFrame | None = None,
) -> tuple[Path, ...]:
    """Write the outputs into a staging folder, then move them into ``output``.

    Every file is complete in the staging folder (inside ``output``, so the move is a
    rename on the same file system) before the first one is moved, so a build that fails
    while writing leaves the previous output untouched, and the staging folder is removed
    whatever happens.

    Parameters
    ----------
    parts
        Which of :data:`OUTPUT_PARTS` to write; default all.
    progress
        Show a progress bar over the parts.
    accounts
        The build's accounting (see :func:`arealkart.accounting.balance`), written as
        ``regnskap.csv`` and a GeoPackage table.
    """
    writers = {
        "tables": lambda stage: _write_tables(stage, cfg, result, data, summary, issues, accounts),
        "geojson": lambda stage: _write_geojson(stage, cfg, result),
        "maps": lambda stage: _write_maps(stage, cfg, result, summary, lang),
    }
    chosen = output_parts(parts)
    output.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".arealkart-", dir=output))
    try:
        written: list[Path] = []
        for part in tqdm(chosen, desc="skriv", unit="del", disable=not progress, leave=False):
            written.extend(writers[part](stage))
        return _publish(stage, output, written)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, output: Path, written: list[Path]) -> tuple[Path, ...]:
    """Move complete files from ``stage`` to the same place under ``output`` (renames)."""
    targets = []
    for path in written:
        target = output / path.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        targets.append(target)
    return tuple(targets)


def _write_tables(stage, cfg, result, data, summary, issues, accounts) -> list[Path]:
    layers = {
        "soner": result.zones,
        "ledige_arealer": result.free,
        "tomter": result.plots,
        "hensynssoner": data.constraints,
        "bygninger": data.buildings,
        "sammendrag": summary,
        "avvik": issues,
    }
    if accounts is not None:
        layers["regnskap"] = accounts
    note = f" ({cfg.attribution})" if cfg.attribution else ""
    descriptions = {name: text + note for name, text in LAYER_DESCRIPTIONS.items()}
    written = [
        write_geopackage(layers, stage / GEOPACKAGE, descriptions=descriptions),
        write_csv(summary, stage / "sammendrag.csv"),
        write_csv(issues, stage / "issues.csv"),
    ]
    if accounts is not None:
        written.append(write_csv(accounts, stage / "regnskap.csv"))
    return written


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
    """Free areas and plots as RFC 7946 GeoJSON, for the region and each municipality.

    Properties are exactly the documented ones (the package's JSON Schemas); feature ids
    are made unique over the region, so a feature has the same id in both files.
    """
    folder = stage / "geojson"
    written = []
    for layer, suffix, id_column, frame in (
        ("ledige_arealer", "ledig", "ledig_id", result.free),
        ("tomter", "tomter", "tomt_id", result.plots),
    ):
        frame = frame.assign(**{_FEATURE_ID: feature_ids(frame, id_column)})
        features = feature_texts(frame, _FEATURE_ID, schema_properties(layer))
        number = frame["kommunenummer"].reindex(features.index).to_numpy()
        scopes = [(cfg.slug, features)] + [
            (m.kommune.slug, features[number == m.kommune.nummer]) for m in cfg.municipalities
        ]
        for slug, part in scopes:
            written.append(write_feature_texts(part, folder / f"{slug}-{suffix}.geojson"))
    return written


_FEATURE_ID = "_feature_id"


def _write_maps(stage, cfg, result, summary, lang) -> list[Path]:
    """The region map, one map per municipality and an index, in ``lang``.

    Norwegian pages go to ``kart/``, English ones to ``kart/en/`` with the same file
    names.  A page links to its other-language twin when that was built into the same
    output folder before; the other language's index, if there, is rewritten so the two
    indexes link to each other.
    """
    from .maps import map_folder, other_language, relative_link

    t = texts(lang)
    output = stage.parent  # write_outputs stages inside the output folder
    folder, other = map_folder(lang), map_folder(other_language(lang))
    borders = municipality_boundaries([m.kommune.nummer for m in cfg.municipalities])
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
        links = [("index.html", t["alle_kart"])]
        if (output / other / f"{slug}.html").exists():
            links.append((relative_link(other / f"{slug}.html", folder), t["sprak_lenke"]))
        m = build_map(
            part,
            border,
            title=title,
            lang=lang,
            summary=rows,
            attribution=cfg.attribution,
            colour_overrides=cfg.colours,
            links=links,
            region=cfg.navn,
        )
        written.append(save_map(m, stage / folder / f"{slug}.html"))
    has_other = (output / other / "index.html").exists()
    written.append(_write_index(stage, cfg, summary, lang, link_other=has_other))
    if has_other:
        written.append(_write_index(stage, cfg, summary, other_language(lang), link_other=True))
    return written


def _write_index(
    stage: Path, cfg: RegionConfig, summary: pd.DataFrame, lang: str, *, link_other: bool
) -> Path:
    """The maps' index page (``kart/index.html``, ``kart/en/index.html``)."""
    from .maps import index_html, map_folder, other_language, relative_link

    t = texts(lang)
    folder = map_folder(lang)
    maps = [(f"{cfg.slug}.html", t["region"], REGION_NUMBER)] + [
        (f"{m.kommune.slug}.html", m.kommune.navn, m.kommune.nummer) for m in cfg.municipalities
    ]
    other = map_folder(other_language(lang)) / "index.html"
    page = index_html(
        t["tittel_region"].format(region=cfg.navn),
        maps,
        summary,
        lang,
        attribution=cfg.attribution,
        other_index=relative_link(other, folder) if link_other else None,
    )
    path = stage / folder / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
