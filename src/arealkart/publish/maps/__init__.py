"""Interactive Leaflet maps (folium) of available land.

One layer per building category shows the free land in the category's colour (a dot where
an area is too small to see at the zoom); built parts are grey, blocked parts striped,
plots are dots coloured by status, and municipal borders are drawn with names.  A legend
(with the free daa per category), a summary panel, client-side filters (category, minimum
free area, status), search (field, plan, plot), full screen, measuring (m² and daa),
"locate me" and a mini map sit on the map.  Colours, base maps and every text are package
data (``kart.toml``, ``kart_tekster.toml``), in Norwegian (``lang="nb"``) or English
(``lang="en"``).

The page sends each geometry and property once, compactly (polyline6 rings, columnar
properties; see :mod:`arealkart.publish.maps.encode`), and draws on one canvas; the client code
is ``arealkart.js`` beside this module.  It loads Leaflet and the plugins from jsDelivr
(:mod:`arealkart.publish.maps.assets`) and none of the CSS/JS folium loads by default but the maps
do not use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import pyproj

from arealkart.available.rule import AvailableLand
from arealkart.model.vocabulary import ATTRACTION_TYPES, BUILDING_CATEGORIES, MIXED_USES
from arealkart.publish.export import WGS84, atomic_path
from arealkart.publish.maps._page import MapApp, legend_html, new_map, summary_html, title_html
from arealkart.publish.maps._policy import secured
from arealkart.publish.maps.assets import cdn_url, check_assets, local_url
from arealkart.publish.maps.layers import (
    borders_layer,
    free_layer,
    free_spec,
    free_table,
    parts_layer,
    parts_spec,
    parts_table,
    plots_layer,
    popup_names,
)
from arealkart.publish.maps.tiles import TILE_LAYER, tile_facts, tile_settings, write_tiles
from arealkart.registry.style import colours, outline, style, texts, translated

__all__ = ["DEFAULT_CENTRE", "build_map", "map_html", "save_map", "write_tiles"]

TILES_FLAG = "arealkart_tiles"
"""Set on a map drawn from vector tiles: its saved page may read them (its policy)."""

DEFAULT_CENTRE = (59.4, 8.3)
"""Centre of Vest-Telemark (lat, lon), for a map with nothing to fit."""


def build_map(
    result: AvailableLand,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    title: str,
    lang: str = "nb",
    summary: pd.DataFrame | None = None,
    attribution: str | None = None,
    colour_overrides: Mapping[str, str] | None = None,
    links: Sequence[tuple[str, str]] = (),
    twins: Mapping[str, str] | None = None,
    region: str | None = None,
    next_steps: Mapping[str, Mapping[str, Any]] | None = None,
    assets: str = "cdn",
    asset_prefix: str = "",
    tiles: str | None = None,
) -> folium.Map:
    """Build an interactive map of a result (one municipality or a whole region).

    Parameters
    ----------
    result
        The result of :func:`arealkart.available_land`, already cut to what the map shows.
    boundaries
        Municipal borders to draw (EPSG:25832, ``navn`` column).
    title
        Shown at the top of the map and as the page title.
    lang
        ``"nb"`` (default), ``"nn"`` or ``"en"``.
    summary
        Rows of :func:`arealkart.publish.summary.summarise` for the summary panel.
    attribution
        Data attribution, e.g. that the demo data is synthetic; a text equal to one of the
        map texts is shown in the page's language.
    colour_overrides
        Category colours from a config file (``[farger]``).
    links
        ``(href, text)`` links shown under the title (the index).
    twins
        The page in other languages, ``{lang: href}``: links named in their own language.
    region
        Name of the total row of a summary over several municipalities.
    next_steps
        Kommunenummer → whom to contact and where a plan's documents are
        (:meth:`arealkart.config.RegionConfig.next_steps`), shown in the popups.
    assets
        ``"cdn"`` (jsDelivr, with integrity hashes) or ``"local"``: the page loads Leaflet
        and the plugins from ``<asset_prefix>lib/`` (see
        :func:`arealkart.publish.maps.assets.copy_assets`).
    asset_prefix
        Path from the page's folder to the folder that holds ``lib/`` (``"../"`` for
        ``kart/en/``).
    tiles
        The URL (relative to the page) of a PMTiles archive of the result's areas
        (:func:`arealkart.publish.maps.tiles.write_tiles`): the page draws its free areas,
        built and blocked parts from it instead of carrying them.  ``None`` (default):
        everything is in the page.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Raises
    ------
    ConfigError
        For an unknown language, a bad colour override or an unknown ``assets``.
    """
    check_assets(assets)
    url_of = (lambda a: local_url(a, asset_prefix)) if assets == "local" else cdn_url
    t = texts(lang)
    palette = colours(colour_overrides)
    note = translated(attribution, lang)
    bounds = _bounds(boundaries, result)
    m = new_map(title, _centre(bounds), url_of)
    free_daa = _free_daa(result.free)
    panels = {
        "title": title_html(
            title, t, note=note, empty=not len(result.free), links=links, twins=twins or {}
        ),
        "legend": legend_html(
            t, palette, style()["tomtefarger"], free_daa, lang, _present(result, boundaries)
        ),
        "summary": None if summary is None else summary_html(summary, t, lang, region or t["sum"]),
    }
    payload = {
        "lang": lang,
        "t": t,
        "colours": palette,
        "outlines": {key: outline(colour) for key, colour in palette.items()},
        "plotColours": style()["tomtefarger"],
        "style": style()["stil"],
        "categories": list(BUILDING_CATEGORIES),
        "attractions": list(ATTRACTION_TYPES),
        "mixedUses": list(MIXED_USES),
        "bounds": bounds,
        "view": _box_of([f for f in (result.free, result.plots) if len(f)]) or bounds,
        "base": _base_maps(t),
        "attribution": [a for a in (note, t["grenser_kilde"] if bounds else None) if a],
        "nextSteps": dict(next_steps or {}),
        "measure": style()["maaling"]["plugin"],
        "measureTexts": {
            english: t[f"maal_{key}"] for key, english in style()["maaling"]["engelsk"].items()
        },
        "names": _layer_names(t),
        "panels": panels,
        "layers": {
            **(_area_layers(result) if tiles is None else _tiled_layers(result)),
            "tomter": plots_layer(result.plots, result.zones),
            "grenser": borders_layer(boundaries),
        },
    }
    if tiles is not None:
        payload["tiles"] = _tile_source(tiles)
    m.add_child(MapApp(payload, lang, url_of, tiles=tiles is not None))
    setattr(m, TILES_FLAG, tiles is not None)  # save_map lets the page read them
    return m


def _area_layers(result: AvailableLand) -> dict[str, Any]:
    """The free areas, built and blocked parts, carried in the page."""
    return {
        "ledig": free_layer(result, popup_names(result.free)),
        "bebygd": parts_layer(result.built, result.zones),
        "blokkert": parts_layer(result.blocked, result.zones),
    }


def _tiled_layers(result: AvailableLand) -> dict[str, Any]:
    """What the page needs of the areas it draws from tiles: popups, counts, filters."""
    free = free_table(result, popup_names(result.free))
    layers: dict[str, Any] = {
        "ledig": {"tiles": True, **free_spec(free), "count": len(free), "facts": tile_facts(free)}
    }
    for key, frame in (("bebygd", result.built), ("blokkert", result.blocked)):
        parts = parts_table(frame, result.zones)
        layers[key] = {"tiles": True, **parts_spec(parts), "count": len(parts)}
    return layers


def _tile_source(url: str) -> dict[str, Any]:
    settings = tile_settings()
    return {
        "url": url,
        "layer": TILE_LAYER,
        "minZoom": settings["min_zoom"],
        "maxZoom": settings["maks_zoom"],
        "dotsBelow": settings["punkt_under_zoom"],
        "listMax": settings["liste_maks"],
    }


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
PAGE_VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
"""The page's viewport: folium's forbids zooming (``user-scalable=no``), which WCAG 1.4.4
does not allow."""


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map's HTML page (:func:`map_html`) atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(map_html(m), encoding="utf-8")
    return Path(path)


def map_html(m: folium.Map) -> str:
    """The map's HTML page, with its integrity hashes and policy.

    See :mod:`arealkart.publish.maps._policy`.
    """
    page = _VIEWPORT.sub(PAGE_VIEWPORT, m.get_root().render(), count=1)
    return secured(page, connect=getattr(m, TILES_FLAG, False))


def _present(result: AvailableLand, boundaries: gpd.GeoDataFrame | None) -> set[str]:
    """The layers the page has, and ``tomter:<status>`` for each plot status it has."""
    present = set(result.free["kategori"].dropna()) if "kategori" in result.free else set()
    present |= {
        key for key, frame in (("bebygd", result.built), ("blokkert", result.blocked)) if len(frame)
    }
    if boundaries is not None and len(boundaries):
        present.add("grenser")
    if "status" in result.plots.columns:
        present |= {f"tomter:{status}" for status in result.plots["status"].dropna()}
    if "bruk" in result.free.columns and result.free["bruk"].isin(MIXED_USES).any():
        present.add("blandet")
    return present


def _layer_names(t: Mapping[str, str]) -> dict[str, str]:
    names = {c: t["lag_ledig"].format(kategori=t[c]) for c in BUILDING_CATEGORIES}
    return names | {
        "bebygd": t["bebygd"],
        "blokkert": t["blokkert"],
        "tomter": t["tomter"],
        "grenser": t["kommunegrenser"],
    }


def _base_maps(t: Mapping[str, str]) -> list[dict[str, str]]:
    return [
        {
            "name": t[layer["tekst"]],
            "url": layer["url"],
            "attribution": layer["attribution"].replace("{osm}", t["osm_bidragsytere"]),
        }
        for layer in style()["bakgrunn"]
    ]


def _free_daa(free: gpd.GeoDataFrame) -> dict[str, float]:
    if not {"kategori", "areal_m2"} <= set(free.columns):
        return {}
    sums = free.groupby("kategori")["areal_m2"].sum() / 1000.0
    return {str(k): float(v) for k, v in sums.items()}


def _bounds(boundaries: gpd.GeoDataFrame | None, result: AvailableLand) -> list[list[float]] | None:
    """South-west and north-east corners (lat, lon) of the borders, else of the data.

    The page opens at ``view``, the extent of its free land and plots (:func:`_box_of`).
    """
    frames = [boundaries] if boundaries is not None and len(boundaries) else []
    if not frames:
        frames = [f for f in (result.zones, result.free, result.plots) if len(f)]
    return _box_of(frames)


def _box_of(frames: Sequence[gpd.GeoDataFrame]) -> list[list[float]] | None:
    """South-west and north-east corners (lat, lon) of the frames together."""
    boxes = [_lonlat_box(f) for f in frames if f.crs is not None]
    boxes = [b for b in boxes if all(pd.notna(b))]
    if not boxes:
        return None
    minx = min(b[0] for b in boxes)
    miny = min(b[1] for b in boxes)
    maxx = max(b[2] for b in boxes)
    maxy = max(b[3] for b in boxes)
    return [[round(miny, 6), round(minx, 6)], [round(maxy, 6), round(maxx, 6)]]


def _lonlat_box(frame: gpd.GeoDataFrame) -> list[float]:
    """The frame's bounding box in WGS84, from its own box (not every vertex reprojected)."""
    transformer = pyproj.Transformer.from_crs(frame.crs, WGS84, always_xy=True)
    return list(transformer.transform_bounds(*frame.total_bounds))


def _centre(bounds: list[list[float]] | None) -> list[Any]:
    if bounds is None:
        return list(DEFAULT_CENTRE)
    return [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
