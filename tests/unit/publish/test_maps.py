"""The map pages without a browser: texts, colours, trimming, encoding, bad input."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

from arealkart.available.attraction import ATTRACTION_COLUMNS
from arealkart.available.parameters import Parameters
from arealkart.available.rule import AvailableLand
from arealkart.config import DEFAULT_LANGUAGES
from arealkart.errors import ConfigError
from arealkart.model.schema import CRS
from arealkart.publish.maps import build_map, save_map
from arealkart.publish.maps.assets import map_assets, npm_packages, npm_source, page_assets
from arealkart.publish.maps.encode import encode_points, encode_polygons
from arealkart.publish.maps.layers import SIMPLIFY_TOLERANCE, web_geometry
from arealkart.publish.outputs import write_outputs
from arealkart.registry.kommuner import boundaries
from arealkart.registry.style import colours, format_number, texts, translated
from builders import empty_result

UNUSED = ("bootstrap", "jquery", "awesome", "glyphicons", "fontawesome")


def decode(text: str) -> list[tuple[float, float]]:
    """Decode a polyline6 string into (lon, lat) pairs."""
    values, i = [], 0
    while i < len(text):
        shift = result = 0
        while True:
            b = ord(text[i]) - 63
            i += 1
            result |= (b & 31) << shift
            shift += 5
            if b < 32:
                break
        values.append(~(result >> 1) if result & 1 else result >> 1)
    lat, lon, out = 0, 0, []
    for k in range(0, len(values), 2):
        lat += values[k]
        lon += values[k + 1]
        out.append((lon / 1e6, lat / 1e6))
    return out


def payload(html: str) -> dict:
    """The data a saved map page hands to ``arealkartInit``."""
    match = re.search(r"arealkartInit\(map_\w+, (\{.*\})\);", html)
    assert match, "no arealkartInit call in the page"
    return json.loads(match.group(1))


def render(m: folium.Map) -> str:
    return m.get_root().render()


@pytest.fixture(scope="module")
def demo(demo_build):
    return demo_build.result


def seljord(result: AvailableLand) -> AvailableLand:
    def cut(gdf):
        return gdf[gdf["kommunenummer"] == "4022"]

    return replace(
        result,
        zones=cut(result.zones),
        free=cut(result.free),
        plots=cut(result.plots),
        built=cut(result.built),
        blocked=cut(result.blocked),
    )


# --- texts and colours -----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_every_language_has_the_same_texts_and_placeholders(lang):
    nb, other = texts("nb"), texts(lang)
    assert set(nb) == set(other)
    for key in nb:
        assert set(re.findall(r"\{\w+\}", nb[key])) == set(re.findall(r"\{\w+\}", other[key]))


BOKMAL_ONLY = {
    "ikke", "bolig", "byggeland", "hensynssone", "hensynssoner", "størrelse", "vann",
    "antall", "jeg", "hvor", "hva", "fra", "noe", "mye", "ukjent", "solgt", "tegnforklaring",
    "skjul", "nettleseren", "lastet", "hindrer", "forbindelsen", "linjen", "avstander",
    "målingen", "punkter", "lengde", "plasseringen", "omkrets", "arealer",
}  # fmt: skip
"""Bokmål word forms a nynorsk reader would not write (nynorsk: ikkje, bustad, …)."""


def test_the_nynorsk_texts_are_nynorsk():
    words = {
        key: set(re.findall(r"\w+", value.lower())) & BOKMAL_ONLY
        for key, value in texts("nn").items()
    }
    assert {key: found for key, found in words.items() if found} == {}
    nn, nb = texts("nn"), texts("nb")
    own = [key for key in nn if nn[key] != nb[key]]
    assert len(own) >= 40  # 46 of 115 differ; the rest are shared words (Kategori, daa, Plan)
    assert nn["ikke_byggeland"] == "Ikkje byggjeland" and nn["bolig"] == "Bustad"


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown language 'de'"):
        texts("de")


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (1372.83, "nb", "1\u00a0372,8"),
        (1372.83, "nn", "1\u00a0372,8"),
        (1372.83, "en", "1,372.8"),
        (None, "nb", "–"),
    ],
)
def test_format_number(value, lang, expected):
    assert format_number(value, lang) == expected


@pytest.mark.parametrize("source", ["nb", "nn", "en"])
@pytest.mark.parametrize("target", ["nb", "nn", "en"])
def test_a_config_text_equal_to_a_map_text_is_translated(source, target):
    assert translated(texts(source)["syntetisk"], target) == texts(target)["syntetisk"]
    assert translated("Plandata © kommunene", target) == "Plandata © kommunene"
    assert translated(None, "en") is None


def test_colour_overrides_are_checked():
    assert colours({"bolig": "#123456"})["bolig"] == "#123456"
    with pytest.raises(ConfigError, match=r"\[farger\]: unknown keys \[.hytte.\]"):
        colours({"hytte": "#123456"})
    with pytest.raises(ConfigError, match=r"colours must be .#rrggbb."):
        colours({"bolig": "url(javascript:x)"})


def test_a_colour_from_the_config_reaches_layers_and_legend(demo):
    html = render(build_map(seljord(demo), title="S", colour_overrides={"bolig": "#123456"}))
    assert payload(html)["colours"]["bolig"] == "#123456"
    assert "--ak-colour:#123456" in payload(html)["panels"]["legend"]


# --- the page ------------------------------------------------------------------------------


def test_the_page_loads_only_leaflet_and_the_plugins_it_uses(demo):
    html = render(build_map(seljord(demo), boundaries(["Seljord"]), title="Seljord"))
    urls = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert sorted(urls) == sorted(a.url for a in page_assets())
    assert not any("protomaps" in url for url in urls)  # only pages drawn from tiles
    lowered = html.lower()
    for name in UNUSED:
        assert name not in lowered, name
    assert '"preferCanvas": true' in html


def test_each_property_is_sent_once_and_styles_are_not_repeated(demo):
    part = seljord(demo)
    html = render(build_map(part, title="Seljord"))
    assert len(part.free) > 20
    for name in part.free["plan_navn"].dropna().unique():
        assert html.count(json.dumps(name, ensure_ascii=False)) == 1, name
    assert html.count("fillOpacity") < 10


def test_geometry_is_simplified_at_most_half_a_metre_and_rounded_to_6_decimals(demo):
    assert SIMPLIFY_TOLERANCE <= 0.5
    free = seljord(demo).free
    encoded = encode_polygons(web_geometry(free))
    for text, original in zip(encoded, free.geometry, strict=True):
        ring = decode(text if isinstance(text, str) else text[0][0])
        assert all(len(repr(c).split(".")[-1]) <= 6 for xy in ring for c in xy)
        drawn = gpd.GeoSeries([shapely.Polygon(ring)], crs="EPSG:4326").to_crs(CRS)[0]
        assert shapely.hausdorff_distance(drawn.exterior, original.exterior) < 0.6


def test_polygon_and_point_encoding_round_trips():
    square = shapely.box(8.1234561, 59.1, 8.2, 59.2)
    holed = shapely.box(8.5, 59.5, 8.6, 59.6).difference(shapely.box(8.52, 59.52, 8.55, 59.55))
    multi = shapely.MultiPolygon([shapely.box(8, 59, 8.001, 59.001), holed])
    encoded = encode_polygons(np.array([square, multi], dtype=object))
    assert decode(encoded[0]) == [(8.2, 59.1), (8.2, 59.2), (8.123456, 59.2), (8.123456, 59.1)]
    assert [len(p) for p in encoded[1]] == [1, 2]
    points = shapely.points([[8.1, 59.1], [-1.5, -2.25]])
    assert decode(encode_points(points)) == [(8.1, 59.1), (-1.5, -2.25)]
    assert encode_polygons(np.array([], dtype=object)) == []


# --- bad input -------------------------------------------------------------------------


def test_a_map_with_no_free_land_says_so(tmp_path):
    m = build_map(empty_result(), boundaries(["Tokke"]), title="Tokke", lang="nb")
    path = save_map(m, tmp_path / "tokke.html")
    html = path.read_text(encoding="utf-8")
    assert texts("nb")["ingen_ledig"] in payload(html)["panels"]["title"]
    assert payload(html)["layers"]["ledig"]["geom"] == []


def test_a_map_of_nothing_at_all_still_renders():
    html = render(build_map(empty_result(), title="Ingenting", lang="en"))
    data = payload(html)
    assert data["bounds"] is None
    assert texts("en")["ingen_ledig"] in data["panels"]["title"]


def test_missing_optional_columns_only_shorten_the_popups(demo):
    part = seljord(demo)
    optional = ["plan_navn", "formal_navn", "feltnavn", "tomter_estimert"]
    shortened = replace(
        part,
        zones=part.zones.drop(columns=["hensyn", "status", "feltnavn"]),
        free=part.free.drop(columns=optional),
        plots=part.plots.drop(columns=["pris", "va", "tomt_m2", "feltnavn", "kategori"]),
        built=part.built.drop(columns=["kategori"]),
    )
    data = payload(render(build_map(shortened, title="Seljord")))
    free_rows = [row[0] for row in data["layers"]["ledig"]["popup"]]
    assert "plan_navn" not in free_rows and "hensyn_blokkerer" not in free_rows
    assert "status" not in free_rows and "plan_id" in free_rows
    plot_rows = [row[0] for row in data["layers"]["tomter"]["popup"]]
    assert plot_rows == ["id", "storrelse", "status", "avstand_grunnlag", "poeng", "rang"]
    assert len(data["layers"]["ledig"]["geom"]) == len(part.free)
    no_attraction = replace(part, plots=part.plots.drop(columns=list(ATTRACTION_COLUMNS)))
    data = payload(render(build_map(no_attraction, title="Seljord")))
    plot_rows = [row[0] for row in data["layers"]["tomter"]["popup"]]
    assert plot_rows == ["id", "feltnavn", "storrelse", "pris", "va", "status"]


def test_popups_name_blocking_and_flagging_constraints(demo):
    data = payload(render(build_map(demo, title="Vest-Telemark")))
    props = data["layers"]["ledig"]["props"]

    def values(column):
        col = props[column]
        return [col["d"][i] if i >= 0 else None for i in col["i"]] if isinstance(col, dict) else col

    flagged = [v for v in values("hensyn_flagger") if v]
    assert flagged and all(re.match(r"H\d{3} ", v) for v in flagged)
    blocking = {f"H{c}" for c in Parameters.default().blokkerende}
    for text in flagged:
        assert not {t.split(" ")[0] for t in text.split("; ")} & blocking


# --- pages and languages ---------------------------------------------------------------


def _hrefs(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


def test_a_build_writes_each_language_and_every_page_links_its_twins(demo_build, tmp_path):
    b = demo_build
    assert b.config.languages == ("nn", "nb", "en")  # the demo region writes nynorsk first
    written = write_outputs(b, tmp_path, parts=["maps"])
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    kart = tmp_path / "kart"
    folders = {"nn": kart, "nb": kart / "nb", "en": kart / "en"}
    for lang, folder in folders.items():
        index = (folder / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in index
        vinje = payload((folder / "vinje.html").read_text(encoding="utf-8"))
        title = vinje["panels"]["title"]
        assert vinje["lang"] == lang and texts(lang)["syntetisk"] in title
        for other, other_folder in folders.items():
            if other == lang:
                continue
            for page, name in ((index, "index.html"), (title, "vinje.html")):
                link = os.path.relpath(other_folder / name, folder)
                named = f'lang="{other}" hreflang="{other}">{texts(other)["sprak_namn"]}</a>'
                assert f'<a href="{link}" {named}' in page, (lang, other, name)
        for href in _hrefs(index) + _hrefs(title):
            assert (folder / href).exists(), href
    assert {"kart/index.html", "kart/nb/vinje.html", "kart/en/index.html"} <= names


def test_a_language_built_later_joins_its_twins(demo_build, tmp_path):
    b = demo_build
    write_outputs(b, tmp_path, lang="nn", parts=["maps"])
    assert not (tmp_path / "kart" / "en").exists()
    alone = payload((tmp_path / "kart" / "vinje.html").read_text(encoding="utf-8"))
    assert "ak-languages" not in alone["panels"]["title"]  # no twin yet, no link to one
    written = write_outputs(b, tmp_path, lang=["en"], parts=["maps"])
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert "kart/en/vinje.html" in names and "kart/nb/index.html" not in names
    assert "kart/index.html" in names  # rewritten so that it links to the English index
    nn_index = (tmp_path / "kart" / "index.html").read_text(encoding="utf-8")
    en_index = (tmp_path / "kart" / "en" / "index.html").read_text(encoding="utf-8")
    assert 'href="en/index.html"' in nn_index and 'href="../index.html"' in en_index
    assert 'href="nb/' not in nn_index
    vinje = payload((tmp_path / "kart" / "en" / "vinje.html").read_text(encoding="utf-8"))
    assert '<a href="../vinje.html" lang="nn"' in vinje["panels"]["title"]
    assert "Synthetic demo data" in vinje["panels"]["title"]


def test_a_region_without_languages_writes_bokmal_in_kart(demo_build, tmp_path):
    b = replace(demo_build, config=replace(demo_build.config, languages=DEFAULT_LANGUAGES))
    write_outputs(b, tmp_path, parts=["maps"])
    assert DEFAULT_LANGUAGES == ("nb",)
    assert '<html lang="nb">' in (tmp_path / "kart" / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "kart").iterdir() if p.is_dir()) == []


@pytest.mark.parametrize("lang", [[], ["se"], "xx"])
def test_an_unknown_or_missing_map_language_is_a_config_error(demo_build, tmp_path, lang):
    with pytest.raises(ConfigError, match="language"):
        write_outputs(demo_build, tmp_path, lang=lang, parts=["maps"])
    assert not (tmp_path / "kart").exists()


def test_assets_are_the_npm_files_of_folium_s_pinned_versions():
    assets = map_assets()
    assert assets[0].url == "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    assert dict(npm_packages())["leaflet"] in folium.Map.default_js[0][1]
    for asset in assets:
        assert npm_source(asset.url) == asset
    scoped = npm_source("https://cdn.jsdelivr.net/npm/@scope/pkg@1.2.3/dist/a.css?x=1")
    assert (scoped.package, scoped.version, scoped.path) == ("@scope/pkg", "1.2.3", "dist/a.css")
    assert npm_source("https://code.jquery.com/jquery-3.7.1.min.js") is None


def test_the_legend_lists_only_what_the_page_has(demo):
    part = seljord(demo)
    only_housing = replace(
        part,
        free=part.free[part.free["kategori"] == "bolig"],
        blocked=part.blocked.iloc[0:0],
        plots=part.plots[part.plots["status"] == "ledig"],
    )
    legend = payload(render(build_map(only_housing, title="Seljord")))["panels"]["legend"]
    t = texts("nb")
    assert t["lag_ledig"].format(kategori=t["bolig"]) in legend
    for absent in ("fritid", "kombinert", "naering"):
        assert t["lag_ledig"].format(kategori=t[absent]) not in legend
    assert t["blokkert"] not in legend and t["bebygd"] in legend
    assert f"{t['ledig']}</span>" in legend and f"{t['solgt']}</span>" not in legend
    assert t["kommunegrense"] not in legend  # no borders given
    full = payload(render(build_map(part, boundaries(["Seljord"]), title="Seljord")))
    assert t["kommunegrense"] in full["panels"]["legend"]
    assert t["blokkert"] in full["panels"]["legend"]


def _cache_copy(tmp_path):
    from helpers import ROOT

    cache = ROOT / ".cache" / "map-assets"
    if not (cache / "leaflet@1.9.3" / ".complete").exists():
        pytest.skip("the npm asset cache is not fetched (bash scripts/install.sh --test)")
    import shutil

    shutil.copytree(cache, tmp_path / "cache")
    return tmp_path / "cache"


def test_local_assets_are_copied_with_what_their_css_loads(tmp_path, monkeypatch):
    from arealkart.publish.maps.assets import copy_assets, integrity

    monkeypatch.setenv("AREALKART_ASSET_CACHE", str(_cache_copy(tmp_path)))
    written = copy_assets(tmp_path / "lib")
    names = {p.relative_to(tmp_path / "lib").as_posix() for p in written}
    assert "leaflet@1.9.3/dist/leaflet.js" in names
    assert "leaflet@1.9.3/dist/images/layers.png" in names  # loaded by leaflet.css
    assert "leaflet-search@2.9.7/images/search-icon.png" in names  # ../images from dist/
    assert all(integrity(f"https://cdn.jsdelivr.net/npm/{n}") for n in names)


def test_a_changed_cached_asset_is_refused(tmp_path, monkeypatch):
    from arealkart.errors import OutputError
    from arealkart.publish.maps.assets import copy_assets

    cache = _cache_copy(tmp_path)
    target = cache / "leaflet@1.9.3" / "dist" / "leaflet.js"
    target.write_bytes(target.read_bytes() + b"\n// changed")
    monkeypatch.setenv("AREALKART_ASSET_CACHE", str(cache))
    with pytest.raises(OutputError, match=r"leaflet\.js: not the leaflet@1\.9\.3 file"):
        copy_assets(tmp_path / "lib")


def test_local_assets_without_a_network_say_what_to_do(tmp_path, monkeypatch):
    import urllib.error

    from arealkart.errors import OutputError
    from arealkart.publish.maps import assets

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setenv("AREALKART_ASSET_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(assets.urllib.request, "urlopen", offline)
    with pytest.raises(OutputError, match=r"cannot get leaflet@1\.9\.3.*or use --assets cdn"):
        assets.copy_assets(tmp_path / "lib")
    with pytest.raises(ConfigError, match="unknown assets 'usb'"):
        build_map(empty_result(), title="x", assets="usb")
