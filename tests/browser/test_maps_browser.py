"""The demo maps in a real browser: headless Chromium driven by Playwright, offline.

Leaflet and the plugins are served from the npm packages in ``.cache/map-assets`` (see
``tests/browser/browser.py``); tiles are blank.  One browser serves the whole session.  A
screenshot of every page goes to ``<build>/skjermbilder/`` for a human to look at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pyogrio
import pytest
import shapely

from arealkart.model.vocabulary import ATTRACTION_TYPES, MIXED_USES, ZONE_USES
from arealkart.publish.maps import build_map, save_map
from arealkart.registry.kommuner import VEST_TELEMARK, boundaries, resolve
from arealkart.registry.style import format_number, texts
from browser import DEMO_LANGUAGE, VIEWPORT, foreign_texts, missing_requirements, open_map
from builders import empty_result

REASON = missing_requirements()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

SLUGS = [resolve(n).slug for n in VEST_TELEMARK]
CATEGORIES = ("bolig", "fritid", "kombinert", "naering")
PAGES = ["vest-telemark", *SLUGS, "nb/vest-telemark", "nb/vinje", "en/vest-telemark", "en/vinje"]
LANG = DEMO_LANGUAGE
"""The language of the pages in ``kart/`` (nynorsk)."""


def geojson(site: Path, name: str) -> list[dict]:
    path = site / "geojson" / f"{name}.geojson"
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def summary_csv(site: Path) -> pd.DataFrame:
    return pd.read_csv(site / "sammendrag.csv", dtype={"kommunenummer": str})


@pytest.mark.parametrize("name", PAGES)
def test_page_draws_every_feature_without_errors(name, site, context):
    page, log = open_map(context, site / "kart" / f"{name}.html")
    try:
        loaded = page.evaluate(
            "({leaflet: L.version, fullscreen: !!L.Control.FullScreen,"
            " measure: !!L.Control.Measure, locate: !!L.Control.Locate,"
            " minimap: !!L.Control.MiniMap, search: !!L.Control.Search})"
        )
        assert loaded == {
            "leaflet": "1.9.3",
            "fullscreen": True,
            "measure": True,
            "locate": True,
            "minimap": True,
            "search": True,
        }
        scope = name.split("/")[-1]
        free = geojson(site, f"{scope}-ledig")
        plots = geojson(site, f"{scope}-tomter")
        drawn = page.evaluate("arealkart.drawn()")
        for category in CATEGORIES:
            expected = sum(f["properties"]["kategori"] == category for f in free)
            assert drawn[category] == expected, category
        assert drawn["tomter"] == len(plots)
        assert drawn["bebygd"] > 0
        folder = site / "skjermbilder"
        folder.mkdir(exist_ok=True)
        page.screenshot(path=str(folder / f"{name.replace('/', '-')}.png"))
    finally:
        page.close()
    assert log.errors == []
    assert context.offline_log.refused == []


def layer_checkbox(page, label: str):
    row = page.locator(".leaflet-control-layers-overlays label", has_text=label)
    return row.locator("input")


def test_unticking_a_layer_hides_its_features(open_page):
    page = open_page("seljord")
    before = page.evaluate("arealkart.drawn()")
    t = texts(LANG)
    box = layer_checkbox(page, t["lag_ledig"].format(kategori=t["bolig"]))
    box.uncheck()
    hidden = page.evaluate("arealkart.drawn()")
    assert hidden["bolig"] == 0 < before["bolig"]
    assert {k: v for k, v in hidden.items() if k != "bolig"} == {
        k: v for k, v in before.items() if k != "bolig"
    }
    box.check()
    assert page.evaluate("arealkart.drawn()") == before


def click_feature(page, geometry: shapely.Geometry | str) -> None:
    """Centre the map at zoom 17 on a point inside ``geometry`` (or the plot with this id),
    and click there."""
    if isinstance(geometry, str):
        at = f"arealkart.layerOf({json.dumps(geometry)}).getLatLng()"
    else:
        point = geometry.point_on_surface()
        at = f"[{point.y}, {point.x}]"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    popup = page.locator(".leaflet-popup-content .ak-popup")
    for _ in range(3):  # a busy machine may still be drawing the first time
        # set the view on every try: the mini map, still settling after the page's first
        # fit, may move the main map back to its opening view once
        page.evaluate(f"void arealkart.map.setView({at}, 17, {{animate: false}})")
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")
        page.mouse.click(VIEWPORT["width"] / 2, VIEWPORT["height"] / 2)
        try:
            popup.wait_for(timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    popup.wait_for(timeout=3000)


def test_clicking_a_zone_opens_a_popup_with_its_real_values(open_page, site):
    features = geojson(site, "seljord-ledig")
    area = next(f for f in features if f["properties"]["kategori"] == "naering")
    props = area["properties"]
    zones = pyogrio.read_dataframe(site / "arealkart.gpkg", layer="soner", read_geometry=False)
    zone = zones.set_index("zone_id").loc[props["zone_id"]]
    page = open_page("seljord")
    click_feature(page, shapely.geometry.shape(area["geometry"]))
    text = page.inner_text(".leaflet-popup-content")
    t = texts(LANG)
    expected = {
        t["feltnavn"]: props["feltnavn"],
        t["plan"]: props["plan_navn"],
        t["plan_id"]: props["plan_id"],
        t["arealformal"]: f"{props['arealformal']} {props['formal_navn']}",
        t["kategori"]: t["naering"],
        t["totalt_daa"]: format_number(zone["areal_m2"] / 1000, LANG),
        t["ledig_daa"]: format_number(zone["ledig_m2"] / 1000, LANG),
        t["areal_daa"]: format_number(props["areal_m2"] / 1000, LANG),
        t["status"]: t[zone["status"]],
        t["estimerte_tomter"]: format_number(props["tomter_estimert"], LANG, 0),
    }
    for label, value in expected.items():
        assert f"{label}\t{value}" in text, (label, value, text)


def test_clicking_a_plot_shows_size_price_va_and_status(open_page, site):
    plots = geojson(site, "seljord-tomter")
    plot = next(f for f in plots if f["properties"]["pris"] and f["properties"]["va"] is not None)
    props = plot["properties"]
    page = open_page("seljord")
    t = texts(LANG)
    for layer in (t[key] for key in ("bebygd", "blokkert", *CATEGORIES)):
        layer_checkbox(page, layer).uncheck()
    click_feature(page, props["tomt_id"])
    text = page.inner_text(".leaflet-popup-content")
    t = texts(LANG)
    assert f"{t['tomt']}\t{props['tomt_id']}" in text
    assert f"{t['storrelse']}\t{format_number(props['tomt_m2'], 'nb', 0)}" in text
    assert f"{t['pris']}\t{format_number(props['pris'], 'nb', 0)}" in text
    assert f"{t['va']}\t{t['ja'] if props['va'] else t['nei']}" in text
    assert f"{t['status']}\t{t[props['status']]}" in text


def test_min_area_filter_hides_exactly_the_smaller_areas(open_page, site):
    features = geojson(site, "vest-telemark-ledig")
    areas = pd.DataFrame([f["properties"] for f in features])
    threshold = next(
        x for x in (5.0, 4.5, 5.5, 4.0, 6.0) if ((areas["areal_m2"] - x * 1000).abs() > 1).all()
    )
    page = open_page("vest-telemark")
    page.click(".ak-filter summary")
    page.fill(".ak-filter input[name=min_daa]", str(threshold))
    drawn = page.evaluate("arealkart.drawn()")
    kept = areas[areas["areal_m2"] >= threshold * 1000]
    for category in CATEGORIES:
        assert drawn[category] == (kept["kategori"] == category).sum(), category
    assert 0 < len(kept) < len(areas)
    count = page.inner_text(".ak-filter .ak-count")
    assert count == texts(LANG)["filter_viser"].format(
        vist=format_number(len(kept), LANG, 0), totalt=format_number(len(areas), LANG, 0)
    )
    page.click(".ak-filter .ak-reset")
    assert sum(page.evaluate("arealkart.drawn()")[c] for c in CATEGORIES) == len(areas)


def test_category_and_status_filters(open_page, site):
    plots = geojson(site, "vest-telemark-tomter")
    page = open_page("vest-telemark")
    page.click(".ak-filter summary")
    page.uncheck(".ak-filter input[name=kategori][value=fritid]")
    page.uncheck(".ak-filter input[name=status_tomter][value=solgt]")
    drawn = page.evaluate("arealkart.drawn()")
    assert drawn["fritid"] == 0 and drawn["bolig"] > 0
    expected = sum(
        p["properties"]["status"] != "solgt" and p["properties"]["kategori"] != "fritid"
        for p in plots
    )
    assert drawn["tomter"] == expected


def test_legend_and_summary_show_the_totals_of_sammendrag_csv(open_page, site):
    summary = summary_csv(site)
    page = open_page("vest-telemark")
    region = summary[summary["kommunenummer"] == "0000"].set_index("kategori")
    for category in CATEGORIES:
        legend = page.inner_text(f".ak-legend .ak-value[data-kategori={category}]")
        assert legend == f"{format_number(region.loc[category, 'ledig_daa'], 'nb')} daa"
    for row in summary.itertuples():
        cell = page.locator(
            f".ak-summary td[data-kommunenummer='{row.kommunenummer}']"
            f"[data-kategori='{row.kategori}']"
        )
        assert cell.locator(".ak-daa").inner_text() == format_number(row.ledig_daa, LANG)
        assert cell.locator(".ak-plots").inner_text() == format_number(row.ledige_tomter, LANG, 0)


def test_municipal_summary_matches_sammendrag_csv(open_page, site):
    summary = summary_csv(site)
    rows = summary[summary["kommunenummer"] == "4036"].set_index("kategori")
    page = open_page("vinje")
    for category in CATEGORIES:
        cell = page.inner_text(f".ak-summary td[data-kategori={category}]")
        assert cell == format_number(rows.loc[category, "ledig_daa"], LANG)
        legend = page.inner_text(f".ak-legend .ak-value[data-kategori={category}]")
        assert legend.startswith(format_number(rows.loc[category, "ledig_daa"], LANG))


@pytest.mark.parametrize("name", ["en/vest-telemark", "en/vinje", "nb/vinje", "vinje"])
def test_pages_have_no_text_of_another_language_left(name, open_page, site):
    lang = name.split("/")[0] if "/" in name else LANG
    page = open_page(name)
    page.click(".ak-filter summary")
    free = geojson(site, f"{name.split('/')[-1]}-ledig")
    click_feature(page, shapely.geometry.shape(free[0]["geometry"]))
    assert foreign_texts(page.inner_text("body"), lang) == []
    assert texts(lang)["ledig_daa"] in page.inner_text(".leaflet-popup-content")


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_each_index_links_its_twins_and_has_no_other_language(site, context, lang):
    page = context.new_page()
    page.goto((site / "kart" / lang / "index.html").as_uri())
    assert foreign_texts(page.inner_text("body"), lang) == []
    page.click(f"text={texts(LANG)['sprak_namn']}")
    assert page.url.endswith("/kart/index.html")
    assert foreign_texts(page.inner_text("body"), LANG) == []
    assert page.evaluate("document.documentElement.lang") == LANG
    page.click(f"nav a[hreflang={lang}]")
    assert page.url.endswith(f"/kart/{lang}/index.html")
    page.close()


def test_search_finds_a_field_and_opens_its_popup(open_page):
    page = open_page("seljord")
    page.click(".leaflet-control-search .search-button")
    page.keyboard.type("BN1")
    page.wait_for_selector(".search-tooltip .search-tip")
    page.locator(".search-tooltip .search-tip").first.click()
    page.wait_for_selector(".leaflet-popup-content .ak-popup")
    assert "BN1" in page.inner_text(".leaflet-popup-content")


def test_a_map_without_free_land_says_so(context, tmp_path):
    result = empty_result()
    path = save_map(
        build_map(result, boundaries(["Tokke"]), title="Tokke", lang="en"),
        tmp_path / "tom.html",
    )
    page, log = open_map(context, path)
    assert texts("en")["ingen_ledig"] in page.inner_text(".ak-title")
    assert set(page.evaluate("arealkart.drawn()").values()) == {0}
    page.close()
    assert log.errors == []


@pytest.mark.parametrize("layer", ["ledig", "tomter"])
def test_a_link_with_a_feature_id_opens_the_map_at_its_popup(site, context, layer):
    features = geojson(site, f"vinje-{layer}")
    props = features[len(features) // 2]["properties"]
    feature_id = props["ledig_id" if layer == "ledig" else "tomt_id"]
    page = context.new_page()
    try:
        page.goto(f"{(site / 'kart' / 'vinje.html').resolve().as_uri()}#{feature_id}")
        page.wait_for_function("window.arealkart && window.arealkart.ready === true")
        popup = page.locator(".leaflet-popup-content .ak-popup")
        popup.wait_for(timeout=5000)
        text = popup.inner_text()
        expected = props["feltnavn"] if layer == "ledig" else props["tomt_id"]
        assert expected in text
        href = popup.locator(".ak-popup-link a").get_attribute("href")
        assert href == f"#{feature_id}"
        point = shapely.geometry.shape(features[len(features) // 2]["geometry"]).centroid
        assert page.evaluate(
            f"arealkart.map.getBounds().contains([{point.y}, {point.x}])"
            " && arealkart.map.getZoom() >= 14"
        )
    finally:
        page.close()


@pytest.fixture(scope="module")
def site_with_contacts(demo_build, tmp_path_factory) -> Path:
    """The demo's maps with a contact and a plan-document link for Vinje."""
    import dataclasses

    from arealkart.publish.outputs import write_outputs

    config = demo_build.config
    municipalities = tuple(
        dataclasses.replace(
            m,
            kontakt={
                "navn": "Servicetorget <b>",
                "epost": "post@example.org",
                "telefon": "+47 00 00 00 01",
            },
            planinnsyn="https://example.org/innsyn/{kommunenummer}/{plan_id}",
        )
        if m.kommune.nummer == "4036"
        else m
        for m in config.municipalities
    )
    build = dataclasses.replace(
        demo_build, config=dataclasses.replace(config, municipalities=municipalities)
    )
    out = tmp_path_factory.mktemp("kontakt") / "output"
    write_outputs(build, out, parts=["geojson", "maps"])
    return out


def test_a_popup_shows_the_contact_and_links_the_plan_documents(site_with_contacts, context):
    features = geojson(site_with_contacts, "vinje-ledig")
    props = next(f["properties"] for f in features if f["properties"]["plan_id"])
    page = context.new_page()
    try:
        url = (site_with_contacts / "kart" / "vinje.html").resolve().as_uri()
        page.goto(f"{url}#{props['ledig_id']}")
        page.wait_for_function("window.arealkart && window.arealkart.ready === true")
        popup = page.locator(".leaflet-popup-content .ak-popup")
        popup.wait_for(timeout=5000)
        t = texts(LANG)
        plan = popup.get_by_role("link", name=t["plandokumenter"])
        expected = f"https://example.org/innsyn/4036/{quote(str(props['plan_id']), safe='')}"
        assert plan.get_attribute("href") == expected
        assert "Servicetorget <b>" in popup.inner_text()  # the name is text, not markup
        assert popup.locator("a[href='mailto:post@example.org']").count() == 1
        assert popup.locator("a[href='tel:+4700000001']").count() == 1
    finally:
        page.close()
    # a municipality without them shows neither
    page = context.new_page()
    try:
        other = geojson(site_with_contacts, "seljord-ledig")[0]["properties"]["ledig_id"]
        page.goto(f"{(site_with_contacts / 'kart' / 'seljord.html').resolve().as_uri()}#{other}")
        page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
        assert page.locator(".ak-popup-next").count() == 0
    finally:
        page.close()


def test_printing_gives_one_page_with_the_map_at_the_feature_and_its_facts(site, context):
    features = geojson(site, "vinje-ledig")
    props = features[0]["properties"]
    page = context.new_page()
    try:
        page.goto(f"{(site / 'kart' / 'vinje.html').resolve().as_uri()}#{props['ledig_id']}")
        page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
        page.emulate_media(media="print")
        page.wait_for_function("document.querySelector('.ak-print .ak-popup') !== null")
        sheet = page.inner_text(".ak-print")
        assert props["feltnavn"] in sheet and texts(LANG)["areal_daa"] in sheet
        assert page.locator(".ak-filter").is_hidden() and page.locator(".ak-list").is_hidden()
        assert page.locator(".ak-title").is_visible()
        pdf = page.pdf(format="A4")
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1  # one page
    finally:
        page.close()


def test_a_combined_use_area_says_what_may_mix_in_its_popup(open_page, site):
    t = texts(LANG)
    features = geojson(site, "vest-telemark-ledig")
    mixed = next(f for f in features if f["properties"]["kombinasjon"] == "bolig_fritid")
    single = next(f for f in features if f["properties"]["kombinasjon"] is None)
    page = open_page("vest-telemark")
    rows = """(id) => {
      const link = document.querySelector(`.ak-popup-link a[href="#${id}"]`);
      if (!link) { return null; }
      return Object.fromEntries([...link.closest('.ak-popup').querySelectorAll('tr')]
        .filter(r => r.querySelector('th') && r.querySelector('td'))  // a heading-only row too
        .map(r => [r.querySelector('th').textContent, r.querySelector('td').textContent]));
    }"""
    for feature, expected in ((mixed, t["bolig_fritid"]), (single, None)):
        page.evaluate("(id) => arealkart.openItem(arealkart.itemOf(id), null)", feature["id"])
        page.wait_for_function(rows, arg=feature["id"], timeout=5000)
        shown = page.evaluate(rows, feature["id"])
        assert shown.get(t["kombinasjon"]) == expected
        uses = {t[u] for u in ZONE_USES}  # how the zone is used today, from its homes
        assert shown[t["bruk"]] in uses
        assert int(shown[t["boliger_helars"]]) >= 0 and int(shown[t["boliger_fritid"]]) >= 0


def _mixed(props: dict) -> bool:
    return props["kombinasjon"] == "bolig_fritid" or props["bruk"] in MIXED_USES


def test_the_combined_use_filter_keeps_exactly_the_mixed_areas(open_page, site):
    areas = pd.DataFrame([f["properties"] for f in geojson(site, "vest-telemark-ledig")])
    kept = areas[areas.apply(_mixed, axis=1)]
    assert 0 < len(kept) < len(areas)
    page = open_page("vest-telemark")
    page.click(".ak-filter summary")
    page.check(".ak-filter input[name=kombinert]")
    drawn = page.evaluate("arealkart.drawn()")
    for category in CATEGORIES:
        assert drawn[category] == (kept["kategori"] == category).sum(), category
    assert texts(LANG)["filter_paa"] in page.inner_text(".ak-filter summary")
    page.click(".ak-filter .ak-reset")
    assert not page.is_checked(".ak-filter input[name=kombinert]")
    assert sum(page.evaluate("arealkart.drawn()")[c] for c in CATEGORIES) == len(areas)


def test_within_n_km_of_a_naeringshage_keeps_exactly_the_near_land(open_page, site):
    areas = pd.DataFrame([f["properties"] for f in geojson(site, "vest-telemark-ledig")])
    plots = pd.DataFrame([f["properties"] for f in geojson(site, "vest-telemark-tomter")])
    metres = areas["avstand_naeringshage_m"]
    km = next(x for x in (3.0, 2.5, 3.5, 4.0) if ((metres - x * 1000).abs() > 1).all())
    page = open_page("vest-telemark")
    page.click(".ak-filter summary")
    page.fill(".ak-filter input[name=naeringshage_km]", format_number(km, LANG))
    drawn = page.evaluate("arealkart.drawn()")
    kept = areas[metres <= km * 1000]
    assert 0 < len(kept) < len(areas)
    for category in CATEGORIES:
        assert drawn[category] == (kept["kategori"] == category).sum(), category
    assert drawn["tomter"] == (plots["avstand_naeringshage_m"] <= km * 1000).sum()


def test_mixed_zones_are_drawn_dashed_and_the_legend_says_so(open_page, site):
    features = geojson(site, "vest-telemark-ledig")
    mixed = next(f for f in features if f["properties"]["bruk"] in MIXED_USES)
    plain = next(f for f in features if f["properties"]["bruk"] == "som_regulert")
    page = open_page("vest-telemark")
    dash = "(id) => arealkart.itemOf(id).layer.options.dashArray"
    assert page.evaluate(dash, mixed["id"]) and not page.evaluate(dash, plain["id"])
    assert texts(LANG)["lag_blandet"] in page.inner_text(".ak-legend")


def test_a_popup_gives_the_distances_in_km_and_the_score(open_page, site):
    t = texts(LANG)
    feature = next(f for f in geojson(site, "seljord-ledig") if f["properties"]["poeng"])
    props = feature["properties"]
    page = open_page("seljord")
    page.evaluate("(id) => arealkart.openItem(arealkart.itemOf(id), null)", feature["id"])
    page.wait_for_selector(".leaflet-popup-content")
    text = page.inner_text(".leaflet-popup-content")
    parts = [
        f"{t['til_' + kind]} {format_number(props[f'avstand_{kind}_m'] / 1000, LANG)} {t['km']}"
        for kind in ATTRACTION_TYPES
    ]
    distances = " · ".join(parts) + f" ({t[props['avstand_grunnlag']]})"
    assert f"{t['avstand']}\n{distances}" in text.replace("\xa0", " ")
    assert f"{t['poeng']}\t{format_number(props['poeng'], LANG)}" in text


def test_the_rank_says_of_how_many(open_page, site):
    t = texts(LANG)
    features = geojson(site, "seljord-ledig")
    feature = next(f for f in features if f["properties"]["rang"])
    props = feature["properties"]
    peers = [
        f
        for f in features
        if f["properties"]["kategori"] == props["kategori"] and f["properties"]["rang"]
    ]
    page = open_page("seljord")
    page.evaluate("(id) => arealkart.openItem(arealkart.itemOf(id), null)", feature["id"])
    page.wait_for_selector(".leaflet-popup-content")
    expected = t["rang_av"].format(rang=props["rang"], totalt=len(peers))
    assert f"{t['rang']}\t{expected}" in page.inner_text(".leaflet-popup-content")
