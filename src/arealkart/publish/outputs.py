"""Write a build's outputs: GeoPackage and CSV tables, GeoJSON, the HTML maps and the report.

Everything is written into a staging folder inside the output folder and moved into place
only when every file is complete, so a build that fails leaves the previous output intact.
"""

from __future__ import annotations

import heapq
import importlib.metadata
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyogrio.errors
from tqdm import tqdm

from arealkart.available.rule import AvailableLand
from arealkart.config import RegionConfig
from arealkart.errors import ConfigError
from arealkart.model.database import redacted
from arealkart.model.output_layers import GEOJSON_LAYERS, GEOPACKAGE, output_parts
from arealkart.model.vocabulary import LANGUAGES, REGION_NUMBER
from arealkart.publish.export import (
    atomic_path,
    feature_ids,
    write_csv,
    write_feature_texts,
    write_geopackage,
)
from arealkart.publish.maps import write_tiles
from arealkart.publish.maps.assets import LIB_FOLDER, copy_assets
from arealkart.publish.maps.index import MAPS, index_html, map_folder, relative_link
from arealkart.publish.maps.tiles import tiles_wanted
from arealkart.publish.pages import (
    MunicipalPages,
    PageOptions,
    RenderedPages,
    geojson_layer,
    geojson_path,
    layer_features,
    map_page,
    render_pages,
    scope_report,
    twins,
)
from arealkart.publish.report import map_path, report_folder, report_path
from arealkart.publish.result import BuildResult
from arealkart.publish.scopes import Scope, build_scopes, municipal_build
from arealkart.publish.site import Site, checksum, fingerprint, input_checksum, write_error
from arealkart.registry.style import texts

__all__ = [
    "BuildResult",
    "Render",
    "map_languages",
    "page_options",
    "render_here",
    "write_outputs",
]


def write_outputs(
    build: BuildResult,
    output: str | os.PathLike[str],
    *,
    lang: str | Sequence[str] | None = None,
    parts: Iterable[str] | None = None,
    progress: bool = False,
    force: bool = False,
    assets: str = "cdn",
    render: Render | None = None,
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
        Show a progress bar over the municipalities' pages.
    force
        Publish even into a folder that holds files arealkart did not write (they are
        kept); without it such a folder is an :class:`~arealkart.errors.OutputError`.
    assets
        ``"cdn"``: the maps load Leaflet and its plugins from jsDelivr (with integrity
        hashes); ``"local"``: the files are copied into ``kart/lib/`` and the maps load
        them from there (see :func:`arealkart.publish.maps.assets.copy_assets`).
    render
        How the municipalities' pages are made (:data:`Render`): default
        :func:`render_here`; a build passes its executor and cache (see
        :mod:`arealkart.pipeline`).

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
    chosen = output_parts(parts)
    inputs = _input_files(build.config) + _database_inputs(build)
    with Site(output, _fingerprint(build.config, inputs, assets), force=force) as site:
        kept = set(site.carried_over())
        options = page_options(build.config, languages, chosen, kept, assets)
        try:
            render = render or (lambda tasks: render_here(tasks, progress=progress))
            written = _write_parts(site.stage, build, options, chosen, render)
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


Render = Callable[[Sequence[MunicipalPages]], Iterable[RenderedPages]]
"""How a build makes its municipalities' pages: each task's pages, in any order."""


def render_here(
    tasks: Sequence[MunicipalPages], *, progress: bool = False
) -> Iterator[RenderedPages]:
    """Make each municipality's pages in this process, one after the other."""
    bar = tqdm(tasks, desc="sider", unit="kommune", disable=not progress, leave=False)
    return map(render_pages, bar)


def page_options(
    cfg: RegionConfig,
    languages: Sequence[str],
    chosen: Sequence[str],
    kept: set[str],
    assets: str,
) -> PageOptions:
    """The options of a build's pages: what it writes now, and what the tree keeps.

    A page links to its twins, its report, its map and ``issues.csv`` where the new tree
    holds them: written now, or ``kept`` from a build of the same inputs.
    """
    maps, reports = "maps" in chosen, "rapport" in chosen
    now = tuple(languages)

    def held(path_of: Callable[[str], str], written: bool) -> tuple[str, ...]:
        """The languages whose file ``path_of(lang)`` the tree holds: written now, or kept."""
        return tuple(
            lang for lang in LANGUAGES if (written and lang in now) or path_of(lang) in kept
        )

    return PageOptions(
        languages=now,
        maps=maps,
        reports=reports,
        geojson="geojson" in chosen,
        map_twins=held(
            lambda lang: (map_folder(lang, cfg.language) / "index.html").as_posix(), maps
        ),
        report_twins=held(lambda lang: report_path(cfg, lang, cfg.slug), reports),
        map_links=held(lambda lang: map_path(cfg, lang, cfg.slug), maps),
        issues_link="tables" in chosen or "issues.csv" in kept,
        assets=assets,
    )


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


def _write_parts(
    stage: Path,
    build: BuildResult,
    options: PageOptions,
    chosen: Sequence[str],
    render: Render,
) -> list[Path]:
    """Write every file of the parts ``chosen``.

    The tables, the municipalities' pages (made by ``render``), the region's GeoJSON, maps
    and reports, and the maps' index.
    """
    written = _write_tables(stage, build) if "tables" in chosen else []
    scopes = build_scopes(build)
    if options.maps or options.reports or options.geojson:
        written += _write_municipal_pages(stage, build, scopes, options, render)
    return written + _write_region_pages(stage, build, scopes[0], options)


def _write_municipal_pages(
    stage: Path,
    build: BuildResult,
    scopes: Sequence[Scope],
    options: PageOptions,
    render: Render,
) -> list[Path]:
    """Each municipality's pages, as ``render`` makes them, and the region's GeoJSON."""
    written = []
    ids = _feature_ids(build.result) if options.geojson else {}
    features: dict[str, list[list[tuple[str, str]]]] = {name: [] for name in GEOJSON_LAYERS}
    for pages in render([_page_task(build, scope, options, ids) for scope in scopes[1:]]):
        written += [_write_file(stage / path, data) for path, data in pages.files.items()]
        for name, pairs in pages.features.items():
            features[name].append(pairs)
    if options.geojson:
        numbers = {m.kommune.nummer for m in build.config.municipalities}
        written += _write_region_geojson(stage, scopes[0], numbers, ids, features)
    return written


def _write_region_pages(
    stage: Path, build: BuildResult, region: Scope, options: PageOptions
) -> list[Path]:
    """The region's map (from vector tiles above the threshold) and report, and the index."""
    cfg = build.config
    written: list[Path] = []
    if options.maps:
        tiled = None
        if tiles_wanted(region.result, cfg.tile_threshold):
            tiled = write_tiles(region.result, stage / MAPS / f"{region.slug}.pmtiles")
            written.append(tiled)
        for lang in options.languages:
            tiles = _tiles_link(tiled, stage, map_folder(lang, cfg.language))
            page = map_page(build, region, lang, options, tiles=tiles)
            written.append(_write_file(stage / map_path(cfg, lang, region.slug), page.encode()))
        if options.assets == "local":
            written += copy_assets(stage / MAPS / LIB_FOLDER)
        written += [_write_index(stage, build, lang, options) for lang in options.map_twins]
    for lang in options.languages if options.reports else ():
        page = scope_report(build, region, lang, options)
        written.append(_write_file(stage / report_path(cfg, lang, region.slug), page.encode()))
    return written


def _page_task(
    build: BuildResult, scope: Scope, options: PageOptions, ids: Mapping[str, pd.Series]
) -> MunicipalPages:
    """The task of one municipality's pages: its own part of the build, nothing else."""
    own, cut = municipal_build(build, scope)
    own_ids = {
        name: pd.Series(frame_ids.reindex(geojson_layer(scope.result, name).index).to_numpy())
        for name, frame_ids in ids.items()
    }
    return MunicipalPages(own, cut, options, own_ids)


def _feature_ids(result: AvailableLand) -> dict[str, pd.Series]:
    """Per GeoJSON layer, its features' ids, made unique over the region."""
    return {
        name: feature_ids(geojson_layer(result, name), str(spec.id))
        for name, spec in GEOJSON_LAYERS.items()
    }


def _write_region_geojson(
    stage: Path,
    region: Scope,
    numbers: set[str],
    ids: Mapping[str, pd.Series],
    features: Mapping[str, list[list[tuple[str, str]]]],
) -> list[Path]:
    """The region's GeoJSON files: every municipality's features merged in id order.

    Features of no municipality of the config (a region file's feature of another
    municipality) are made here.  Properties are exactly the documented ones (the
    package's JSON Schemas); a feature has the same id in its municipality's file.
    """
    written = []
    for name, spec in GEOJSON_LAYERS.items():
        frame = geojson_layer(region.result, name)
        others = frame[~frame["kommunenummer"].isin(numbers)]
        rest = layer_features(others, name, ids[name])
        merged = heapq.merge(rest, *features[name], key=lambda pair: pair[0])
        path = stage / geojson_path(region.slug, spec.geojson)
        written.append(write_feature_texts((text for _, text in merged), path))
    return written


def _write_file(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:  # a new file: never write into a carried-over link
        tmp.write_bytes(data)
    return path


def _tiles_link(archive: Path | None, stage: Path, folder: Path) -> str | None:
    """From a page in ``folder`` to its scope's archive, if it has one."""
    return None if archive is None else relative_link(archive.relative_to(stage), folder)


def _report_link(cfg: RegionConfig, lang: str, slug: str) -> str:
    """From a map page of ``lang`` to the report of the same scope and language."""
    folder = report_folder(lang, cfg.language)
    return relative_link(folder / f"{slug}.html", map_folder(lang, cfg.language))


def _index_path(cfg: RegionConfig, lang: str) -> Path:
    """The maps' index page of ``lang`` in a build's folder."""
    return map_folder(lang, cfg.language) / "index.html"


def _write_index(stage: Path, build: BuildResult, lang: str, options: PageOptions) -> Path:
    """The maps' index page (``kart/index.html``, ``kart/en/index.html``, …)."""
    cfg = build.config
    t = texts(lang)
    slugs = [(cfg.slug, t["region"], REGION_NUMBER)] + [
        (m.kommune.slug, m.kommune.navn, m.kommune.nummer) for m in cfg.municipalities
    ]
    maps = [(f"{slug}.html", name, number) for slug, name, number in slugs]
    with_report = lang in options.report_twins
    reports = {f"{s}.html": _report_link(cfg, lang, s) for s, _, _ in slugs} if with_report else {}
    page = index_html(
        t["tittel_region"].format(region=cfg.navn),
        maps,
        build.summary,
        lang,
        attribution=cfg.attribution,
        twins=twins("index.html", lang, options.map_twins, cfg.language),
        reports=reports,
    )
    return _write_file(stage / _index_path(cfg, lang), page.encode())
