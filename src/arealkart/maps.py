"""Interactive Leaflet maps (folium) of available land.

One layer per building category shows the free land in the category's colour; built parts
are grey, blocked parts striped, plots are dots coloured by status, and municipal borders
are drawn with names.  A legend and a summary panel (free daa and free plots per category)
sit on the map.  Colours, base maps and every text are package data (``kart.toml``,
``kart_tekster.toml``), in Norwegian (``lang="nb"``) or English (``lang="en"``).
"""

from __future__ import annotations

import html
import os
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement, Template
from folium.plugins import StripePattern

from ._resources import package_data
from .available import AvailableLand
from .classify import BUILDING_CATEGORIES
from .errors import ConfigError
from .export import atomic_path, to_rfc7946
from .kommuner import BOUNDARY_ATTRIBUTION

LANGUAGES = ("nb", "en")
SIMPLIFY_TOLERANCE = 0.5
"""Largest shift (m, in EPSG:25832) simplification may make before reprojecting."""


@cache
def _style() -> dict[str, Any]:
    with package_data("kart.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def texts(lang: str) -> dict[str, str]:
    """Every map text in ``lang`` (``nb`` or ``en``)."""
    with package_data("kart_tekster.toml").open("rb") as fh:
        table = tomllib.load(fh)
    if lang not in table:
        raise ConfigError(f"unknown language {lang!r}; expected one of {list(LANGUAGES)}")
    return table[lang]


def colours(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Category and layer colours, with a config's ``overrides`` on top."""
    merged = {**_style()["farger"], **(overrides or {})}
    unknown = sorted(set(overrides or {}) - set(_style()["farger"]))
    if unknown:
        raise ConfigError(f"unknown colour keys {unknown}; expected {sorted(_style()['farger'])}")
    return merged


def build_map(
    result: AvailableLand,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    title: str,
    lang: str = "nb",
    summary: pd.DataFrame | None = None,
    attribution: str | None = None,
    colour_overrides: Mapping[str, str] | None = None,
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
        ``"nb"`` (default) or ``"en"``.
    summary
        Rows of :func:`arealkart.summary.summarise` for the summary panel.
    attribution
        Data attribution, e.g. that the demo data is synthetic.
    colour_overrides
        Category colours from a config file.
    """
    t = texts(lang)
    palette = colours(colour_overrides)
    m = folium.Map(
        location=_centre(result, boundaries),
        zoom_start=10,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    m.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
    _add_base_maps(m, attribution)
    if boundaries is not None and len(boundaries):
        _add_borders(m, boundaries, t, palette)
        m.fit_bounds(_bounds(boundaries))
    for category in BUILDING_CATEGORIES:
        _add_free_layer(m, result, category, t, palette)
    _add_parts_layer(m, result.built, t["bebygd"], palette["bebygd"], striped=False)
    _add_parts_layer(m, result.blocked, t["blokkert"], palette["blokkert"], striped=True)
    _add_plots_layer(m, result.plots, t)
    folium.LayerControl(collapsed=False).add_to(m)
    _add_panel(m, _title_html(title, result, t, attribution), "topleft")
    _add_panel(m, _legend_html(t, palette), "bottomright")
    if summary is not None:
        _add_panel(m, _summary_html(summary, t), "bottomleft")
    return m


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map's HTML page atomically."""
    with atomic_path(path) as tmp:
        m.save(str(tmp))
    return Path(path)


# --- layers ----------------------------------------------------------------------------------


def _web_features(gdf: gpd.GeoDataFrame, columns: list[str], id_column: str) -> dict:
    """Simplify in metres, then reproject and round: the GeoJSON the map sends."""
    keep = [c for c in columns if c in gdf.columns]
    small = gdf[[*dict.fromkeys([id_column, *keep]), "geometry"]].copy()
    small.geometry = shapely.simplify(
        small.geometry.to_numpy(), SIMPLIFY_TOLERANCE, preserve_topology=True
    )
    return to_rfc7946(small, id_column)


def _add_base_maps(m: folium.Map, attribution: str | None) -> None:
    extra = f" | {html.escape(attribution)}" if attribution else ""
    for i, layer in enumerate(_style()["bakgrunn"]):
        folium.TileLayer(
            tiles=layer["url"],
            name=layer["navn"],
            attr=layer["attribution"] + extra,
            max_zoom=18,
            overlay=False,
            control=True,
            show=i == 0,
        ).add_to(m)


def _add_borders(m, boundaries, t, palette) -> None:
    group = folium.FeatureGroup(name=t["kommunegrenser"], show=True)
    data = _web_features(boundaries.assign(navn=boundaries["navn"]), ["navn"], "kommunenummer")
    folium.GeoJson(
        data,
        style_function=lambda _: {"color": palette["grense"], "weight": 2, "fill": False},
        tooltip=folium.GeoJsonTooltip(fields=["navn"], labels=False),
        attr=BOUNDARY_ATTRIBUTION,
    ).add_to(group)
    for row in boundaries.to_crs("EPSG:4326").itertuples():
        point = row.geometry.representative_point()
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="arealkart-kommune">{html.escape(row.navn)}</div>'
            ),
        ).add_to(group)
    group.add_to(m)


def _add_free_layer(m, result: AvailableLand, category: str, t, palette) -> None:
    free = result.free[result.free["kategori"] == category]
    group = folium.FeatureGroup(name=f"{t[category]} – {t['ledig'].lower()}", show=True)
    if len(free):
        zone_cols = [
            "zone_id",
            "areal_m2",
            "status",
            "hensyn",
            "tomter_estimert",
            "formal_navn",
            "ledig_m2",
        ]
        zones = result.zones[[c for c in zone_cols if c in result.zones.columns]].rename(
            columns={
                "areal_m2": "sone_m2",
                "tomter_estimert": "sone_tomter",
                "ledig_m2": "sone_ledig_m2",
            }
        )
        shown = free.drop(columns=["formal_navn"], errors="ignore").merge(
            zones, on="zone_id", how="left"
        )
        shown["ledig_daa"] = (shown["areal_m2"] / 1000).round(1)
        shown["totalt_daa"] = (shown["sone_m2"] / 1000).round(1)
        shown["status"] = shown["status"].map(lambda s: t.get(s, s))
        shown["kategori"] = t[category]
        shown["arealformal"] = (
            shown["arealformal"].astype(str) + " " + shown["formal_navn"].fillna("")
        )
        fields = [
            "feltnavn",
            "plan_navn",
            "plan_id",
            "arealformal",
            "kategori",
            "totalt_daa",
            "ledig_daa",
            "status",
            "hensyn",
            "tomter_estimert",
        ]
        labels = [
            t["feltnavn"],
            t["plan"],
            t["plan_id"],
            t["arealformal"],
            t["kategori"],
            t["totalt_daa"],
            t["ledig_daa"],
            t["status"],
            t["hensyn"],
            t["estimerte_tomter"],
        ]
        colour = palette[category]
        folium.GeoJson(
            _web_features(shown, fields, "ledig_id"),
            style_function=lambda _, c=colour: {
                "color": c,
                "weight": 1,
                "fillColor": c,
                "fillOpacity": 0.55,
            },
            highlight_function=lambda _: {"weight": 3, "fillOpacity": 0.8},
            popup=folium.GeoJsonPopup(fields=fields, aliases=labels, localize=True),
            tooltip=folium.GeoJsonTooltip(
                fields=["feltnavn", "ledig_daa"], aliases=[t["feltnavn"], t["ledig_daa"]]
            ),
        ).add_to(group)
    group.add_to(m)


def _add_parts_layer(m, parts: gpd.GeoDataFrame, name: str, colour: str, striped: bool):
    group = folium.FeatureGroup(name=name, show=True)
    if len(parts):
        parts = parts.assign(part_id=parts["zone_id"].astype(str) + "-" + parts["del"])
        style = {"color": colour, "weight": 0.5, "fillColor": colour, "fillOpacity": 0.45}
        if striped:
            pattern = StripePattern(
                angle=-45,
                color=colour,
                space_color="#ffffff",
                opacity=0.8,
                space_opacity=0.0,
                weight=3,
                space_weight=5,
            )
            pattern.add_to(m)
            style = {**style, "fillPattern": pattern, "fillOpacity": 0.9}
        folium.GeoJson(
            _web_features(parts, [], "part_id"), style_function=lambda _, s=style: s
        ).add_to(group)
    group.add_to(m)


def _add_plots_layer(m, plots: gpd.GeoDataFrame, t) -> None:
    group = folium.FeatureGroup(name=t["tomter"], show=True)
    palette = _style()["tomtefarger"]
    if len(plots):
        shown = plots.copy()
        shown.geometry = gpd.GeoSeries(
            shapely.point_on_surface(shown.geometry.to_numpy()), crs=plots.crs
        )
        shown["status_tekst"] = shown["status"].map(lambda s: t.get(s, s))
        shown["va_tekst"] = shown["va"].map(
            lambda v: t["ukjent"] if pd.isna(v) else (t["ja"] if v else t["nei"])
        )
        measured = pd.Series(shapely.area(plots.geometry.to_numpy()), index=plots.index)
        shown["storrelse"] = shown["tomt_m2"].fillna(measured.round())
        fields = ["tomt_id", "feltnavn", "storrelse", "pris", "va_tekst", "status_tekst"]
        labels = [t["tomt"], t["feltnavn"], t["storrelse"], t["pris"], t["va"], t["status"]]
        data = _web_features(shown, [*fields, "status"], "tomt_id")
        folium.GeoJson(
            data,
            marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9),
            style_function=lambda f: {
                "color": "#333333",
                "fillColor": palette.get(f["properties"]["status"], "#999999"),
            },
            popup=folium.GeoJsonPopup(fields=fields, aliases=labels, localize=True),
            tooltip=folium.GeoJsonTooltip(fields=["tomt_id", "status_tekst"], labels=False),
        ).add_to(group)
    group.add_to(m)


# --- panels --------------------------------------------------------------------------------------

_PANEL = """
{% macro html(this, kwargs) %}
<div class="arealkart-panel arealkart-{{ this.position }}">{{ this.content }}</div>
<style>
.arealkart-panel { position: absolute; z-index: 1000; background: rgba(255,255,255,0.93);
  padding: 8px 10px; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,0.4);
  font: 13px/1.35 system-ui, sans-serif; max-width: 340px; }
.arealkart-topleft { top: 10px; left: 54px; }
.arealkart-bottomright { bottom: 28px; right: 10px; }
.arealkart-bottomleft { bottom: 28px; left: 10px; max-height: 45vh; overflow: auto; }
.arealkart-panel h1 { font-size: 16px; margin: 0 0 2px 0; }
.arealkart-panel table { border-collapse: collapse; }
.arealkart-panel td, .arealkart-panel th { padding: 1px 6px; text-align: right; }
.arealkart-panel td:first-child, .arealkart-panel th:first-child { text-align: left; }
.arealkart-swatch { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #555; }
.arealkart-kommune { font: bold 13px system-ui, sans-serif; color: #222;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; white-space: nowrap; }
</style>
{% endmacro %}
"""


class _Panel(MacroElement):
    """A fixed HTML panel on the map."""

    def __init__(self, content: str, position: str) -> None:
        super().__init__()
        self._name = "ArealkartPanel"
        self.content = content
        self.position = position
        self._template = Template(_PANEL)


def _add_panel(m: folium.Map, content: str, position: str) -> None:
    m.add_child(_Panel(content, position))


def _title_html(title: str, result: AvailableLand, t, attribution: str | None) -> str:
    empty = "" if len(result.free) else f"<p><em>{html.escape(t['ingen_ledig'])}</em></p>"
    note = f"<div><small>{html.escape(attribution)}</small></div>" if attribution else ""
    return f"<h1>{html.escape(title)}</h1>{note}{empty}"


def _legend_html(t, palette) -> str:
    rows = [(palette[c], f"{t[c]} – {t['ledig'].lower()}") for c in BUILDING_CATEGORIES]
    rows += [(palette["bebygd"], t["bebygd"]), (palette["blokkert"], t["blokkert"])]
    items = "".join(
        f'<div><span class="arealkart-swatch" style="background:{c}"></span>'
        f"{html.escape(label)}</div>"
        for c, label in rows
    )
    dots = "".join(
        f'<div><span class="arealkart-swatch" style="background:{c};border-radius:7px">'
        f"</span>{html.escape(t['tomter'])}: {html.escape(t[s])}</div>"
        for s, c in _style()["tomtefarger"].items()
    )
    return f"<strong>{html.escape(t['tegnforklaring'])}</strong>{items}{dots}"


def _summary_html(summary: pd.DataFrame, t) -> str:
    header = (
        f"<tr><th>{html.escape(t['kommune'])}</th><th>{html.escape(t['kategori'])}</th>"
        f"<th>{html.escape(t['ledig_daa'])}</th><th>{html.escape(t['ledige_tomter'])}"
        "</th></tr>"
    )
    body = "".join(
        f"<tr><td>{html.escape(str(r.kommune))}</td><td>{html.escape(t[r.kategori])}</td>"
        f'<td class="arealkart-daa">{r.ledig_daa:.1f}</td>'
        f'<td class="arealkart-tomter">{r.ledige_tomter}</td></tr>'
        for r in summary.itertuples()
    )
    return (
        f"<strong>{html.escape(t['sammendrag'])}</strong>"
        f'<table class="arealkart-summary">{header}{body}</table>'
    )


def _centre(result: AvailableLand, boundaries) -> list[float]:
    source = boundaries if boundaries is not None and len(boundaries) else result.zones
    if not len(source):
        return [59.4, 8.3]
    centre = source.to_crs("EPSG:4326").union_all().centroid
    return [centre.y, centre.x]


def _bounds(gdf: gpd.GeoDataFrame) -> list[list[float]]:
    minx, miny, maxx, maxy = gdf.to_crs("EPSG:4326").total_bounds
    return [[miny, minx], [maxy, maxx]]
