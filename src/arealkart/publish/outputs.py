"""Write a build's outputs: GeoPackage and CSV tables, GeoJSON, the HTML maps and the report.

Everything is written into a staging folder inside the output folder and moved into place
only when every file is complete, so a build that fails leaves the previous output intact.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

import pyogrio.errors
from tqdm import tqdm

from arealkart.available.rule import AvailableLand
from arealkart.config import RegionConfig
from arealkart.errors import ConfigError
from arealkart.model.database import redacted
from arealkart.model.output_layers import (
    GEOJSON_LAYERS,
    GEOPACKAGE,
    output_parts,
)
from arealkart.model.vocabulary import LANGUAGES, REGION_NUMBER
from arealkart.publish.export import (
    atomic_path,
    feature_ids,
    feature_texts,
    schema_properties,
    write_csv,
    write_feature_texts,
    write_geopackage,
)
from arealkart.publish.maps import build_map, save_map, write_tiles
from arealkart.publish.maps.assets import LIB_FOLDER, copy_assets
from arealkart.publish.maps.index import MAPS, index_html, map_folder, relative_link
from arealkart.publish.maps.tiles import tiles_wanted
from arealkart.publish.report import report_folder, write_reports
from arealkart.publish.result import BuildResult
from arealkart.publish.scopes import Scope, build_scopes
from arealkart.publish.site import Site, checksum, fingerprint, input_checksum, write_error
from arealkart.registry.style import texts

__all__ = ["BuildResult", "map_languages", "write_outputs"]


def write_outputs(
    build: BuildResult,
    output: str | os.PathLike[str],
    *,
    lang: str | Sequence[str] | None = None,
    parts: Iterable[str] | None = None,
    progress: bool = False,
    force: bool = False,
    assets: str = "cdn",
) -> tuple[Path, ...]:
    """Publish a build's outputs into ``output`` as one whole (see :mod:`.site`).

    The files are written into a staging folder beside ``output`` with a
    ``manifest.json``, and the staging folder is then swapped in as the output folder in
    one step: a reader sees the whole previous build or the whole new one, and a build
    that fails leaves the previous output untouched.

    Parameters
    ----------
    build
        What the build computed; its ``balance`` is written as ``regnskap.csv`` and a
        GeoPackage table.
    output
        The output folder (created if missing).
    lang
        Language or languages of the maps and the report (see
        :data:`arealkart.model.vocabulary.LANGUAGES`); default the config's
        (``[region] sprak``).
    parts
        Which of :data:`~arealkart.model.output_layers.OUTPUT_PARTS` to write; default all.
    progress
        Show a progress bar over the parts.
    force
        Publish even into a folder that holds files arealkart did not write (they are
        kept); without it such a folder is an :class:`~arealkart.errors.OutputError`.
    assets
        ``"cdn"``: the maps load Leaflet and its plugins from jsDelivr (with integrity
        hashes); ``"local"``: the files are copied into ``kart/lib/`` and the maps load
        them from there (see :func:`arealkart.publish.maps.assets.copy_assets`).

    Returns
    -------
    tuple of Path
        Every file this build wrote, in its final place.

    Raises
    ------
    OutputError
        For a folder that cannot be written (disk full, read-only, permission), one that
        holds foreign files, or one another build is writing into.
    """
    languages = map_languages(build.config, lang)
    kept: set[str]  # set inside the Site below, before any writer runs
    written: list[Path] = []
    scopes = cache(lambda: build_scopes(build))  # cut once, for the maps and the report

    def in_tree(stage: Path) -> Callable[[str], bool]:
        """Whether a file (relative path) is in the new tree: written so far, or kept."""
        return lambda path: path in kept or (stage / path) in written

    chosen = output_parts(parts)

    def reports(lang: str) -> bool:
        """Whether the new tree holds the reports of ``lang``: written now, or kept."""
        if "rapport" in chosen and lang in languages:
            return True
        region = report_folder(lang, build.config.language) / f"{build.config.slug}.html"
        return region.as_posix() in kept

    writers = {
        "tables": lambda stage: _write_tables(stage, build),
        "geojson": lambda stage: _write_geojson(stage, build.config, build.result),
        "maps": lambda stage: _write_maps(stage, build, languages, kept, assets, scopes(), reports),
        "rapport": lambda stage: write_reports(
            stage, build, languages, scopes=scopes(), present=in_tree(stage)
        ),
    }
    inputs = _input_files(build.config) + _database_inputs(build)
    with Site(output, _fingerprint(build.config, inputs, assets), force=force) as site:
        kept = set(site.carried_over())
        try:
            for part in tqdm(chosen, desc="skriv", unit="del", disable=not progress, leave=False):
                written.extend(writers[part](site.stage))
            # only now, so that no writer ever writes into a file linked from the old tree
            mine = {path.relative_to(site.stage).as_posix() for path in written}
            site.carry_over(sorted(kept - mine))
        except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise write_error(site.stage, exc) from None
        manifest = site.manifest(
            config=_config_entry(build.config), inputs=inputs, version=_version()
        )
        site.publish(manifest)
        return tuple(site.output / path.relative_to(site.stage) for path in written)


def map_languages(config: RegionConfig, lang: str | Sequence[str] | None) -> tuple[str, ...]:
    """The languages of a build's maps and report: ``lang`` (one or more), else the config's.

    Raises
    ------
    ConfigError
        For an unknown language, or none at all.
    """
    if lang is None:
        return config.languages
    chosen = (lang,) if isinstance(lang, str) else tuple(dict.fromkeys(lang))
    if not chosen:
        raise ConfigError(f"no map language given; expected some of {list(LANGUAGES)}")
    for code in chosen:
        texts(code)
    return chosen


def _version() -> str:
    return importlib.metadata.version("arealkart")


def _input_files(cfg: RegionConfig) -> list[dict[str, object]]:
    """Every input file of the config: its label (relative to the config), size, checksum."""
    return [
        {"path": cfg.label(path), "bytes": path.stat().st_size, "sha256": input_checksum(path)}
        for path in sorted(set(cfg.files()), key=str)
    ]


def _database_inputs(build: BuildResult) -> list[dict[str, object]]:
    """Every PostGIS input: its label, its server (no password), rows read and their SHA-256.

    The digest is the reader's (in ``counts``), so a table that changed between two builds
    changes the fingerprint, as a changed file does.
    """
    counts = build.data.counts
    entries = []
    for source in (s for m in build.config.municipalities for s in m.sources if not s.is_file):
        read = counts[counts["file"] == source.path.name].iloc[0]
        entries.append(
            {
                "path": source.path.name,
                "postgis": redacted(str(source.database)),
                "rows": int(read["features"]),
                "sha256": str(read["sha256"]),
            }
        )
    return entries


def _config_entry(cfg: RegionConfig) -> dict[str, object] | None:
    if cfg.path is None:
        return None
    return {"path": cfg.path.name, "sha256": checksum(cfg.path)}


def _fingerprint(cfg: RegionConfig, inputs: list[dict[str, object]], assets: str) -> str:
    """What the build depends on: version, config (and what it says), inputs, assets."""
    return fingerprint(
        {
            "version": _version(),
            "config": _config_entry(cfg),
            "region": [cfg.navn, cfg.slug, cfg.attribution],
            "parameters": cfg.parameters,
            "colours": cfg.colours,
            "inputs": inputs,
            "assets": assets,
        }
    )


def _write_tables(stage: Path, build: BuildResult) -> list[Path]:
    return [
        write_geopackage(
            build.layers(), stage / GEOPACKAGE, descriptions=build.layer_descriptions()
        ),
        write_csv(build.summary, stage / "sammendrag.csv"),
        write_csv(build.issues, stage / "issues.csv"),
        write_csv(build.balance, stage / "regnskap.csv"),
    ]


def _write_geojson(stage: Path, cfg: RegionConfig, result: AvailableLand) -> list[Path]:
    """Free areas and plots as RFC 7946 GeoJSON, for the region and each municipality.

    Properties are exactly the documented ones (the package's JSON Schemas); feature ids
    are made unique over the region, so a feature has the same id in both files.
    """
    folder = stage / "geojson"
    frames = {"ledige_arealer": result.free, "tomter": result.plots}
    written = []
    for name, spec in GEOJSON_LAYERS.items():
        frame = frames[name]
        frame = frame.assign(**{_FEATURE_ID: feature_ids(frame, str(spec.id))})
        features = feature_texts(frame, _FEATURE_ID, schema_properties(name))
        number = frame["kommunenummer"].reindex(features.index).to_numpy()
        scopes = [(cfg.slug, features)] + [
            (m.kommune.slug, features[number == m.kommune.nummer]) for m in cfg.municipalities
        ]
        for slug, part in scopes:
            written.append(write_feature_texts(part, folder / f"{slug}-{spec.geojson}.geojson"))
    return written


_FEATURE_ID = "_feature_id"


def _write_maps(
    stage: Path,
    build: BuildResult,
    languages: Sequence[str],
    kept: set[str],
    assets: str,
    scopes: Sequence[Scope],
    reports: Callable[[str], bool],
) -> list[Path]:
    """The region map, one map per municipality and an index, in each of ``languages``.

    The region's main language's pages go to ``kart/``, the others' to ``kart/<lang>/``
    with the same file names.  A page links to its twins in the new tree: those this build
    writes, and those of a build of the same inputs that are kept; a kept language's index
    is rewritten so that every index links to every other.  Where the tree holds a
    language's report (``reports``), its maps and index link to it.  A region page with
    more areas than the tile threshold draws them from ``kart/<slug>.pmtiles``, one
    archive for every language (:mod:`arealkart.publish.maps.tiles`).
    """
    cfg = build.config
    present = [
        lang
        for lang in LANGUAGES
        if lang in languages or (map_folder(lang, cfg.language) / "index.html").as_posix() in kept
    ]
    tiled = {
        scope.slug: write_tiles(scope.result, stage / MAPS / f"{scope.slug}.pmtiles")
        for scope in scopes
        if scope.kommune is None and tiles_wanted(scope.result, cfg.tile_threshold)
    }
    written = list(tiled.values())
    for lang in languages:
        written += _write_language(
            stage, build, lang, present, scopes, assets, reports(lang), tiled
        )
    if assets == "local":
        written += copy_assets(stage / MAPS / LIB_FOLDER)
    for lang in present:
        written.append(_write_index(stage, build, lang, present, reports(lang)))
    return written


def _write_language(
    stage: Path,
    build: BuildResult,
    lang: str,
    present: Sequence[str],
    scopes: Sequence[Scope],
    assets: str,
    with_report: bool,
    tiled: Mapping[str, Path],
) -> list[Path]:
    """Every map page of one language, linking to its twins in ``present``.

    ``with_report``: each page links to its scope's report too.  ``tiled``: the vector
    tiles (in ``stage``) of the scopes that draw their areas from them, by slug.
    """
    cfg = build.config
    t = texts(lang)
    folder = map_folder(lang, cfg.language)
    written = []
    for scope in scopes:
        title = (
            t["tittel_region"].format(region=cfg.navn)
            if scope.kommune is None
            else t["tittel_kommune"].format(kommune=scope.kommune)
        )
        page = build_map(
            scope.result,
            scope.borders,
            title=title,
            lang=lang,
            summary=scope.summary,
            attribution=cfg.attribution,
            colour_overrides=cfg.colours,
            links=[
                ("index.html", t["alle_kart"]),
                *(
                    [(_report_link(cfg, lang, scope.slug), t["rapport_lenke"])]
                    if with_report
                    else []
                ),
            ],
            twins=_twins(f"{scope.slug}.html", lang, present, cfg.language),
            region=cfg.navn,
            next_steps=cfg.next_steps(),
            assets=assets,
            asset_prefix="../" * (len(folder.parts) - 1),  # kart/en/ → kart/lib
            tiles=_tiles_link(tiled.get(scope.slug), stage, folder),
        )
        written.append(save_map(page, stage / folder / f"{scope.slug}.html"))
    return written


def _tiles_link(archive: Path | None, stage: Path, folder: Path) -> str | None:
    """From a page in ``folder`` to its scope's archive, if it has one."""
    return None if archive is None else relative_link(archive.relative_to(stage), folder)


def _twins(name: str, lang: str, present: Sequence[str], main: str) -> dict[str, str]:
    """Links from page ``name`` in ``lang`` to the same page in the other ``present``."""
    folder = map_folder(lang, main)
    return {
        other: relative_link(map_folder(other, main) / name, folder)
        for other in present
        if other != lang
    }


def _report_link(cfg: RegionConfig, lang: str, slug: str) -> str:
    """From a map page of ``lang`` to the report of the same scope and language."""
    folder = report_folder(lang, cfg.language)
    return relative_link(folder / f"{slug}.html", map_folder(lang, cfg.language))


def _write_index(
    stage: Path, build: BuildResult, lang: str, present: Sequence[str], with_report: bool
) -> Path:
    """The maps' index page (``kart/index.html``, ``kart/en/index.html``, …)."""
    cfg = build.config
    t = texts(lang)
    folder = map_folder(lang, cfg.language)
    slugs = [(cfg.slug, t["region"], REGION_NUMBER)] + [
        (m.kommune.slug, m.kommune.navn, m.kommune.nummer) for m in cfg.municipalities
    ]
    maps = [(f"{slug}.html", name, number) for slug, name, number in slugs]
    reports = {f"{s}.html": _report_link(cfg, lang, s) for s, _, _ in slugs} if with_report else {}
    page = index_html(
        t["tittel_region"].format(region=cfg.navn),
        maps,
        build.summary,
        lang,
        attribution=cfg.attribution,
        twins=_twins("index.html", lang, present, cfg.language),
        reports=reports,
    )
    path = stage / folder / "index.html"
    with atomic_path(path) as tmp:  # a new file: never write into a carried-over link
        tmp.write_text(page, encoding="utf-8")
    return path
