"""The page around the data: a trimmed folium map, the client code, and the HTML panels."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import folium
import pandas as pd
from branca.element import Element, Figure, MacroElement, Template
from folium.elements import JSCSSMixin

from arealkart.model.vocabulary import BUILDING_CATEGORIES, REGION_NUMBER
from arealkart.publish.maps.assets import Asset, cdn_url, map_assets, page_assets
from arealkart.publish.maps.index import twin_links
from arealkart.registry.style import format_number, style


@cache
def _client_file(name: str) -> str:
    return (files(__package__) / name).read_text(encoding="utf-8")


class _Raw(Element):
    """Text put into the page as it is (branca would parse an ``Element`` as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged."""
        return self._text


class MapApp(JSCSSMixin, MacroElement):
    """The map's data and client code: loads the plugins and draws everything.

    Parameters
    ----------
    payload
        What ``arealkartInit`` in ``arealkart.js`` draws (layers, texts, panels).
    lang
        Page language.
    url_of
        Where the page loads an asset from.
    tiles
        The page draws its areas from vector tiles: it loads protomaps-leaflet too.
    """

    _template = Template("")

    def __init__(
        self,
        payload: Mapping[str, Any],
        lang: str,
        url_of: Callable[[Asset], str] = cdn_url,
        *,
        tiles: bool = False,
    ) -> None:
        super().__init__()
        self._name = "ArealkartApp"
        plugins = [a for a in page_assets(tiles) if a.package != "leaflet"]
        self.default_js = [(f"{a.package}/{a.path}", url_of(a)) for a in plugins if a.kind == "js"]
        self.default_css = [
            (f"{a.package}/{a.path}", url_of(a)) for a in plugins if a.kind == "css"
        ]
        self.payload = script_json(payload)
        self.lang = lang
        self.message = str(payload["t"]["kart_feilet"])

    # branca declares Element.render() -> str, but MacroElement.render(), extended here,
    # writes into the figure and returns None
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Put the client code in the page head and the call that draws the map after it."""
        figure = self.get_root()
        assert isinstance(figure, Figure)  # as MacroElement.render() asserts too
        assert self._parent is not None  # rendered as a child of the map
        css, js = _client_file("arealkart.css"), _client_file("arealkart.js")
        figure.header.add_child(_Raw(_no_library_script(self.message)), name="arealkart_check")
        figure.header.add_child(_Raw(f"<style>{css}</style>"), name="arealkart_css")
        figure.header.add_child(_Raw(f"<script>{js}</script>"), name="arealkart_js")
        call = (
            f"document.documentElement.lang = {json.dumps(self.lang)};\n"
            f"arealkartInit({self._parent.get_name()}, {self.payload});"
        )
        figure.script.add_child(_Raw(call), name=self.get_name())
        super().render(**kwargs)


def _no_library_script(message: str) -> str:
    """A page whose libraries did not load (a blocked CDN) says so instead of staying blank."""
    return (
        "<script>window.addEventListener('load', function () {"
        " if (window.L && window.arealkart) { return; }"
        " var note = document.createElement('p'); note.className = 'ak-failed';"
        " note.setAttribute('role', 'alert');"
        f" note.textContent = {script_json(message)};"
        " document.body.insertBefore(note, document.body.firstChild); });</script>"
    )


def script_json(value: Any) -> str:
    """Compact JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def new_map(
    title: str, location: list[float], url_of: Callable[[Asset], str] = cdn_url
) -> folium.Map:
    """A canvas-rendered folium map that loads Leaflet and nothing else it does not use.

    folium's defaults also load jQuery, Bootstrap (JS and CSS), Bootstrap glyphicons,
    Font Awesome and Leaflet.awesome-markers; the maps use none of them.  The map's
    element id comes from the title rather than folium's random one, so a rebuild of the
    same input writes the same bytes.
    """
    leaflet = [a for a in map_assets() if a.package == "leaflet"]
    m = folium.Map(
        location=location,
        zoom_start=9,
        tiles=None,
        prefer_canvas=True,
        zoom_control=False,
        control_scale=False,
        max_zoom=style()["stil"]["maks_zoom"],
    )
    m._id = hashlib.sha256(title.encode("utf-8")).hexdigest()[:32]  # the same page, same bytes
    m.default_js = [("leaflet", url_of(a)) for a in leaflet if a.kind == "js"]
    m.default_css = [("leaflet_css", url_of(a)) for a in leaflet if a.kind == "css"]
    root = m.get_root()
    assert isinstance(root, Figure)  # folium.Map puts itself in a Figure
    root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="title")
    return m


# --- panels ------------------------------------------------------------------------------


def title_html(
    title: str,
    t: Mapping[str, str],
    *,
    note: str | None,
    empty: bool,
    links: Sequence[tuple[str, str]] = (),
    twins: Mapping[str, str] | None = None,
) -> str:
    """The title panel: title, data note, links to other pages and languages, "no land"."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if note:
        parts.append(f'<p class="ak-note">{html.escape(note)}</p>')
    if empty:
        parts.append(f'<p class="ak-empty">{html.escape(t["ingen_ledig"])}</p>')
    if links:
        anchors = "".join(
            f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for href, text in links
        )
        label = html.escape(t["andre_kart"])
        parts.append(f'<nav class="ak-links" aria-label="{label}">{anchors}</nav>')
    parts.append(twin_links(twins or {}, t))
    return "".join(parts)


def _swatch(key: str, colour: str) -> str:
    return (
        f'<span class="ak-swatch ak-swatch-{html.escape(key)}" '
        f'style="--ak-colour:{html.escape(colour)}"></span>'
    )


def legend_html(
    t: Mapping[str, str],
    palette: Mapping[str, str],
    plot_palette: Mapping[str, str],
    free_daa: Mapping[str, float],
    lang: str,
    present: Collection[str] | None = None,
) -> str:
    """The legend: category colours with the free daa shown, parts, plots and borders.

    With ``present`` (layer keys, and ``tomter:<status>`` for plot statuses), only what the
    page has is listed.
    """

    def has(key: str) -> bool:
        return present is None or key in present

    rows = [
        (
            _swatch(c, palette[c]) + html.escape(t["lag_ledig"].format(kategori=t[c])),
            f'<span class="ak-value" data-kategori="{c}">'
            f"{format_number(free_daa.get(c, 0.0), lang)} {html.escape(t['daa'])}</span>",
        )
        for c in BUILDING_CATEGORIES
        if has(c)
    ]
    rows += [
        (_swatch(key, palette[colour]) + html.escape(t[text]), "")
        for key, colour, text in (
            ("blandet", "grense", "lag_blandet"),
            ("bebygd", "bebygd", "bebygd"),
            ("blokkert", "blokkert", "blokkert"),
            ("grenser", "grense", "kommunegrense"),
        )
        if has(key)
    ]
    body = "".join(f'<div class="ak-row"><span>{a}</span>{b}</div>' for a, b in rows)
    dots = "".join(
        f'<span class="ak-row">{_swatch(f"dot ak-shape-{status}", colour)}'
        f"{html.escape(t.get(status, status))}</span>"
        for status, colour in plot_palette.items()
        if has(f"tomter:{status}")
    )
    plots = f'<div class="ak-sub">{html.escape(t["tomter"])}</div><div class="ak-dots">{dots}</div>'
    return (
        f"<details open><summary>{html.escape(t['tegnforklaring'])}</summary>{body}"
        f"{plots if dots else ''}</details>"
    )


def summary_html(summary: pd.DataFrame, t: Mapping[str, str], lang: str, region: str) -> str:
    """The summary panel: free daa and free plots per category (and municipality).

    With rows of several municipalities, one row per municipality and a total row (the
    rows with :data:`~arealkart.model.vocabulary.REGION_NUMBER`, else the sum); with one, a
    row per category.
    """
    rows = summary[summary["kommunenummer"] != REGION_NUMBER]
    municipalities = list(dict.fromkeys(rows["kommunenummer"]))
    if len(municipalities) > 1:
        table = _matrix_table(summary, municipalities, t, lang, region)
    else:
        table = _category_table(rows, t, lang)
    return f"<details open><summary>{html.escape(t['sammendrag'])}</summary>{table}</details>"


def _cell(daa: float, plots: int, lang: str, number: str, category: str) -> str:
    return (
        f'<td data-kommunenummer="{number}" data-kategori="{category}">'
        f'<span class="ak-daa">{format_number(daa, lang)}</span>'
        f'<span class="ak-plots">{format_number(plots, lang, 0)}</span></td>'
    )


def _matrix_table(
    summary: pd.DataFrame, municipalities: list[str], t: Mapping[str, str], lang: str, region: str
) -> str:
    head = "".join(f"<th>{html.escape(t[c])}</th>" for c in BUILDING_CATEGORIES)
    lines = []
    totals = summary[summary["kommunenummer"] == REGION_NUMBER]
    if not len(totals):
        totals = (
            summary.groupby("kategori", as_index=False)[["ledig_daa", "ledige_tomter"]]
            .sum()
            .assign(kommunenummer=REGION_NUMBER, kommune=t["sum"])
        )
    for number in [*municipalities, REGION_NUMBER]:
        part = totals if number == REGION_NUMBER else summary[summary["kommunenummer"] == number]
        by_cat = part.set_index("kategori")
        name = region if number == REGION_NUMBER else str(part["kommune"].iloc[0])
        cells = "".join(
            _cell(
                float(by_cat["ledig_daa"].get(c, 0.0)),
                int(by_cat["ledige_tomter"].get(c, 0)),
                lang,
                number,
                c,
            )
            for c in BUILDING_CATEGORIES
        )
        css = ' class="ak-total"' if number == REGION_NUMBER else ""
        lines.append(f"<tr{css}><td>{html.escape(name)}</td>{cells}</tr>")
    return (
        f'<table class="ak-summary-table"><thead><tr><th>{html.escape(t["kommune"])}</th>'
        f"{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
        f'<div class="ak-explain">{html.escape(t["sammendrag_forklaring"])}</div>'
    )


def _category_table(rows: pd.DataFrame, t: Mapping[str, str], lang: str) -> str:
    number = str(rows["kommunenummer"].iloc[0]) if len(rows) else ""
    by_cat = rows.set_index("kategori")
    lines = []
    for c in BUILDING_CATEGORIES:
        daa = float(by_cat["ledig_daa"].get(c, 0.0))
        plots = int(by_cat["ledige_tomter"].get(c, 0))
        estimate = by_cat["tomter_estimert"].get(c) if "tomter_estimert" in by_cat else None
        lines.append(
            f"<tr><td>{html.escape(t[c])}</td>"
            f'<td data-kommunenummer="{number}" data-kategori="{c}" class="ak-daa">'
            f"{format_number(daa, lang)}</td>"
            f'<td class="ak-plots-free">{format_number(plots, lang, 0)}</td>'
            f"<td>{format_number(estimate, lang, 0)}</td></tr>"
        )
    total_daa = float(rows["ledig_daa"].sum()) if len(rows) else 0.0
    total_plots = int(rows["ledige_tomter"].sum()) if len(rows) else 0
    lines.append(
        f'<tr class="ak-total"><td>{html.escape(t["sum"])}</td>'
        f"<td>{format_number(total_daa, lang)}</td><td>{format_number(total_plots, lang, 0)}</td>"
        f"<td>{format_number(rows['tomter_estimert'].sum() if len(rows) else 0, lang, 0)}</td></tr>"
    )
    head = "".join(
        f"<th>{html.escape(t[k])}</th>"
        for k in ("kategori", "ledig_daa", "ledige_tomter", "estimerte_tomter")
    )
    return (
        f'<table class="ak-summary-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table>"
    )
