"""A municipality's pages: its maps, its reports and its GeoJSON, made as one task.

A municipality's pages read its own part of the build alone (its zones, its part of the
result, the issues of its files, its rows of the summary, its border) and the build's
options.  A :class:`MunicipalPages` carries exactly that, so the pages are made the same
in the build's process, in a worker process or on a dask worker (:func:`render_pages`),
and a build's cache can keep them under a key made of the task itself: they change when,
and only when, the municipality's part or the options do.

The region's pages and files (its map, its report, the GeoPackage, the region's GeoJSON)
are the build's own work (see :mod:`arealkart.publish.outputs`); the region's GeoJSON is
streamed from the municipalities' features (:attr:`RenderedPages.features`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from arealkart.available.rule import AvailableLand
from arealkart.model.output_layers import GEOJSON_LAYERS
from arealkart.publish.export import feature_collection, feature_texts, schema_properties
from arealkart.publish.maps import build_map, map_html
from arealkart.publish.maps.index import map_folder, relative_link
from arealkart.publish.report import map_path, report_folder, report_page, report_path
from arealkart.publish.result import BuildResult
from arealkart.publish.scopes import Scope
from arealkart.registry.style import texts

__all__ = [
    "FEATURE_ID",
    "MunicipalPages",
    "PageOptions",
    "RenderedPages",
    "geojson_layer",
    "geojson_path",
    "layer_features",
    "map_page",
    "render_pages",
    "scope_report",
]

FEATURE_ID = "_feature_id"
"""The column a GeoJSON layer's region-unique feature ids are put in while it is written."""


@dataclass(frozen=True)
class PageOptions:
    """What every scope's pages are made with: the build's languages and parts, its links.

    Attributes
    ----------
    languages
        The languages written now.
    maps, reports, geojson
        Which of the parts are written now.
    map_twins, report_twins
        The languages whose maps (reports) the new tree holds: each page links to its
        twins in those, and a map links to its report in those.
    map_links
        The languages whose report pages link to their map (the tree holds it).
    issues_link
        Whether the reports link to ``issues.csv``.
    assets
        ``"cdn"`` or ``"local"`` (see :func:`arealkart.publish.maps.build_map`).
    """

    languages: tuple[str, ...]
    maps: bool
    reports: bool
    geojson: bool
    map_twins: tuple[str, ...]
    report_twins: tuple[str, ...]
    map_links: tuple[str, ...]
    issues_link: bool
    assets: str


@dataclass(frozen=True)
class MunicipalPages:
    """One municipality's pages to make: its part of the build and the options."""

    build: BuildResult
    """The build cut to the municipality (:func:`~arealkart.publish.scopes.municipal_build`)."""
    scope: Scope
    options: PageOptions
    ids: Mapping[str, pd.Series] = field(default_factory=dict)
    """Per GeoJSON layer, the region-unique feature ids of its rows (indexed like them)."""


@dataclass(frozen=True)
class RenderedPages:
    """A municipality's pages as made: file contents, and its features for the region."""

    files: dict[str, bytes]
    """Relative ``/``-separated path in the build's folder → the file's bytes."""
    features: dict[str, list[tuple[str, str]]]
    """Per GeoJSON layer, ``(id, feature JSON)`` in id order: the region's file is the
    merge of every municipality's."""


def render_pages(task: MunicipalPages) -> RenderedPages:
    """Make one municipality's map and report in each language, and its GeoJSON."""
    build, scope, options = task.build, task.scope, task.options
    files: dict[str, bytes] = {}
    features: dict[str, list[tuple[str, str]]] = {}
    for lang in options.languages:
        if options.maps:
            page = map_page(build, scope, lang, options)
            files[map_path(build.config, lang, scope.slug)] = page.encode()
        if options.reports:
            html = scope_report(build, scope, lang, options)
            files[report_path(build.config, lang, scope.slug)] = html.encode()
    if options.geojson:
        for name, spec in GEOJSON_LAYERS.items():
            pairs = layer_features(geojson_layer(scope.result, name), name, task.ids[name])
            features[name] = pairs
            files[geojson_path(scope.slug, spec.geojson)] = collection(t for _, t in pairs)
    return RenderedPages(files, features)


def geojson_layer(result: AvailableLand, name: str) -> gpd.GeoDataFrame:
    """The layer of ``result`` that GeoJSON layer ``name`` holds."""
    return {"ledige_arealer": result.free, "tomter": result.plots}[name]


def layer_features(frame: gpd.GeoDataFrame, name: str, ids: pd.Series) -> list[tuple[str, str]]:
    """``(id, feature JSON)`` of the rows of GeoJSON layer ``name``, in id order.

    ``ids``: the rows' region-unique ids (indexed like ``frame``, or a superset).
    """
    frame = frame.assign(**{FEATURE_ID: ids.reindex(frame.index)})
    found = feature_texts(frame, FEATURE_ID, schema_properties(name))
    return list(zip(frame[FEATURE_ID].reindex(found.index), found, strict=True))


def geojson_path(slug: str, layer: str | None) -> str:
    """The ``/``-separated path of a scope's GeoJSON file of ``layer``."""
    return f"geojson/{slug}-{layer}.geojson"


def collection(features: Iterable[str]) -> bytes:
    """Features' JSON texts as a FeatureCollection file's bytes."""
    return "".join(feature_collection(features)).encode()


def scope_report(build: BuildResult, scope: Scope, lang: str, options: PageOptions) -> str:
    """The report page of one scope in one language, linking where ``options`` say."""
    return report_page(
        build,
        scope,
        lang,
        twins=options.report_twins,
        map_link=lang in options.map_links,
        issues_link=options.issues_link,
    )


def map_page(
    build: BuildResult,
    scope: Scope,
    lang: str,
    options: PageOptions,
    *,
    tiles: str | None = None,
) -> str:
    """The map page of one scope in one language, linking to its twins and its report.

    ``tiles``: the URL (relative to the page) of the scope's vector tiles, if it draws its
    areas from them.
    """
    cfg = build.config
    t = texts(lang)
    folder = map_folder(lang, cfg.language)
    title = (
        t["tittel_region"].format(region=cfg.navn)
        if scope.kommune is None
        else t["tittel_kommune"].format(kommune=scope.kommune)
    )
    links = [("index.html", t["alle_kart"])]
    if lang in options.report_twins:
        report = report_folder(lang, cfg.language) / f"{scope.slug}.html"
        links.append((relative_link(report, folder), t["rapport_lenke"]))
    page = build_map(
        scope.result,
        scope.borders,
        title=title,
        lang=lang,
        summary=scope.summary,
        attribution=cfg.attribution,
        colour_overrides=cfg.colours,
        links=links,
        twins=twins(f"{scope.slug}.html", lang, options.map_twins, cfg.language),
        region=cfg.navn,
        next_steps=cfg.next_steps(),
        assets=options.assets,
        asset_prefix="../" * (len(folder.parts) - 1),  # kart/en/ → kart/lib
        tiles=tiles,
    )
    return map_html(page)


def twins(name: str, lang: str, present: Sequence[str], main: str) -> dict[str, str]:
    """Links from map page ``name`` in ``lang`` to the same page in the other ``present``."""
    folder = map_folder(lang, main)
    return {
        other: relative_link(map_folder(other, main) / name, folder)
        for other in present
        if other != lang
    }
