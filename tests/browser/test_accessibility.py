"""The maps for everyone: axe-core's WCAG 2.1 A/AA rules, a phone, and a keyboard.

Every page kind (index, region, municipality) in each language is checked with axe-core
at desktop size and at 390×844 (a phone).  On the phone the opening view must leave the
map mostly free, every panel must start closed, and a tapped free area's popup must lie
wholly in view, under no control.  From the keyboard alone, a free area is reached and
opened through the list panel, and Escape closes it again.  Screenshots go to
``<build>/skjermbilder/`` for a human to look at.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from arealkart.publish.maps.assets import npm_source
from arealkart.registry.style import format_number, texts
from browser import (
    BLANK_PNG,
    COVERAGE,
    DEMO_LANGUAGE,
    Offline,
    axe_violations,
    foreign_texts,
    missing_requirements,
    open_map,
    page_language,
)

REASON = missing_requirements()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PAGES = [
    f"{folder}{page}"
    for folder in ("", "nb/", "en/")  # nynorsk (the demo region's own), bokmål, English
    for page in ("index", "vest-telemark", "vinje")
]


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


def new_context(browser, size):
    phone = size["width"] <= 600
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
    Offline().attach(context)
    return context


def open_any(context, site: Path, name: str):
    path = site / "kart" / f"{name}.html"
    if name.endswith("index"):
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        return page
    page, log = open_map(context, path)
    page.akLog = log
    return page


def screenshot(page, site: Path, name: str) -> None:
    folder = site / "skjermbilder"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name.replace('/', '-')}.png"))


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_violations(browser, site, name, size):
    context = new_context(browser, size)
    try:
        page = open_any(context, site, name)
        assert page.evaluate("document.documentElement.lang") == page_language(name)
        assert page.evaluate("axe => 1", None) == 1
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)
        if not name.endswith("index"):
            screenshot(page, site, f"{name}-{'telefon' if size is PHONE else 'skrivebord'}")
            assert page.akLog.errors == []
    finally:
        context.close()


@pytest.fixture
def phone_page(browser, site):
    context = new_context(browser, PHONE)
    opened = []

    def _open(name: str):
        page = open_any(context, site, name)
        opened.append(page)
        return page

    yield _open
    for page in opened:
        assert page.akLog.errors == []
    context.close()


@pytest.mark.parametrize("name", ["vest-telemark", "vinje"])
def test_on_a_phone_the_panels_start_closed_and_cover_little_of_the_map(phone_page, name):
    page = phone_page(name)
    opened = "[...document.querySelectorAll('.ak-panel > details')].some(d => d.open)"
    assert page.evaluate(opened) is False
    assert page.evaluate("document.querySelector('.leaflet-control-layers-expanded')") is None
    assert page.evaluate(COVERAGE) <= 0.20
    title = page.locator(".ak-title").bounding_box()
    for other in page.locator(".leaflet-top .leaflet-control").all():
        box = other.bounding_box()
        if box is None or other.evaluate("e => e.classList.contains('ak-title')"):
            continue
        apart = (
            box["x"] >= title["x"] + title["width"]
            or box["y"] >= title["y"] + title["height"]
            or box["x"] + box["width"] <= title["x"]
        )
        assert apart, f"{other.get_attribute('class')} overlaps the title"


def test_on_a_phone_one_panel_is_open_at_a_time_and_the_others_step_aside(phone_page):
    page = phone_page("vest-telemark")
    shown = (  # the kind of each visible panel: ak-filter, ak-legend …
        "[...document.querySelectorAll('.ak-panel')].filter(p => p.offsetParent !== null)"
        ".map(p => [...p.classList].find(c => !['ak-panel', 'ak-open'].includes(c)"
        " && c.startsWith('ak-')))"
    )
    everything = page.evaluate(shown)
    settle = "new Promise((done) => setTimeout(done, 50))"  # the toggle events
    page.tap(".ak-filter summary")
    page.evaluate(settle)
    assert page.evaluate(shown) == ["ak-title", "ak-filter"]
    assert {"ak-list", "ak-summary", "ak-legend"} <= set(everything)
    page.tap(".ak-filter summary")  # closed again: every panel is back
    page.evaluate(settle)
    assert page.evaluate(shown) == everything
    page.tap(".ak-legend summary")
    page.evaluate(settle)
    open_panels = page.evaluate(
        "[...document.querySelectorAll('.ak-panel > details')]"
        ".filter(d => d.open).map(d => d.parentElement.className)"
    )
    assert len(open_panels) == 1 and "ak-legend" in open_panels[0]


def test_on_a_phone_the_controls_are_44_px_targets(phone_page):
    page = phone_page("vinje")
    small = page.evaluate(
        """() => [...document.querySelectorAll(
            '.leaflet-control a, .leaflet-control button, .ak-panel summary')]
          .filter(e => !e.closest('.leaflet-control-attribution') && e.offsetParent !== null)
          .map(e => [e.className || e.tagName, e.getBoundingClientRect()])
          .filter(([, r]) => r.height < 44 || r.width < 44)
          .map(([name, r]) => name + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))"""
    )
    assert small == []


def tap_point_of_a_free_area(page) -> tuple[float, float]:
    """Centre the map on a free area at zoom 16; return its screen point."""
    return page.evaluate(
        """() => {
          const map = arealkart.map;
          const item = arealkart.items.find(it => it.key === 'ledig' && it.on);
          map.setView(item.layer.getBounds().getCenter(), 16, {animate: false});
          const p = map.latLngToContainerPoint(item.layer.getBounds().getCenter());
          const r = map.getContainer().getBoundingClientRect();
          return [r.left + p.x, r.top + p.y];
        }"""
    )


def popup_hidden_points(page) -> list[list[int]]:
    """Points of the open popup (its close button too) outside the phone's screen or under
    something else, once its pan into view is done."""
    page.wait_for_timeout(400)  # the popup's pan into view
    box = page.locator(".leaflet-popup").bounding_box()
    outside = not (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
        and box["y"] + box["height"] <= PHONE["height"]
    )
    hidden = page.evaluate(
        """([x0, y0, w, h]) => {
          const bad = [];
          const close = document.querySelector('.leaflet-popup-close-button')
            .getBoundingClientRect();
          const points = [[close.left + close.width / 2, close.top + close.height / 2]];
          for (let i = 1; i < 10; i++) for (let j = 1; j < 10; j++) {
            points.push([x0 + w * i / 10, y0 + h * j / 10]);
          }
          for (const [x, y] of points) {
            const el = document.elementFromPoint(x, y);
            if (!el || !el.closest('.leaflet-popup')) { bad.push([Math.round(x), Math.round(y)]); }
          }
          return bad;
        }""",
        [box["x"], box["y"], box["width"], box["height"] - 20],  # not the tip below it
    )
    return [[-1, -1]] * outside + hidden


def test_on_a_phone_a_tapped_area_opens_a_popup_wholly_in_view_and_uncovered(phone_page):
    page = phone_page("vinje")
    page.tap(".ak-legend summary")  # a popup closes the panels: it is what the visitor reads
    x, y = tap_point_of_a_free_area(page)
    page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")
    page.touchscreen.tap(x, y)
    popup = page.locator(".leaflet-popup")
    popup.wait_for(timeout=5000)
    assert popup_hidden_points(page) == []
    assert (
        page.evaluate("[...document.querySelectorAll('.ak-panel > details')].some(d => d.open)")
        is False
    )


def test_on_a_phone_search_lies_below_the_title_and_its_pick_stays_uncovered(phone_page):
    page = phone_page("vinje")
    title = page.locator(".ak-title").bounding_box()
    page.tap(".leaflet-control-search .search-button")
    page.keyboard.type("B")
    tip = page.locator(".search-tooltip .search-tip").first
    tip.wait_for(timeout=5000)
    search = page.locator(".leaflet-control-search").bounding_box()
    assert search["y"] >= title["y"] + title["height"]  # the title stays readable
    assert page.locator(".leaflet-control-search input.search-input").bounding_box()["height"] >= 40
    assert tip.bounding_box()["height"] >= 44
    assert page.get_attribute("input.search-input", "aria-expanded") == "true"
    tip.tap()
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    assert "search-exp" not in page.get_attribute(".leaflet-control-search", "class")
    assert popup_hidden_points(page) == []
    page.tap(".ak-popup-link a")  # the popup grows by a line of feedback
    page.locator(".ak-popup-status").wait_for(timeout=2000)
    assert popup_hidden_points(page) == []
    page.tap(".leaflet-popup-close-button")
    page.locator(".leaflet-popup").wait_for(state="detached", timeout=2000)


def test_a_free_area_is_reached_and_opened_from_the_keyboard(browser, site):
    context = new_context(browser, DESKTOP)
    try:
        page = open_any(context, site, "vinje")
        page.locator("body").focus()
        for _ in range(60):  # Tab from the first stop to the list's heading
            page.keyboard.press("Tab")
            if page.evaluate("!!document.activeElement.closest('.ak-list') "):
                break
        assert page.evaluate("document.activeElement.closest('.ak-list summary') !== null")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        first = page.evaluate("document.activeElement.textContent")
        assert page.evaluate("document.activeElement.classList.contains('ak-list-item')")
        page.keyboard.press("ArrowDown")  # the rows are one Tab stop; arrows move between them
        row = page.evaluate("document.activeElement.textContent")
        assert row != first and page.evaluate("document.activeElement.tabIndex") == 0
        page.keyboard.press("Tab")
        assert not page.evaluate("!!document.activeElement.closest('.ak-list ul')")
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.textContent") == row
        page.keyboard.press("Enter")
        page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
        assert page.evaluate("!!document.activeElement.closest('.leaflet-popup')")
        assert row.split(" · ")[1] in page.inner_text(".leaflet-popup-content")  # its feltnavn
        page.keyboard.press("Escape")
        page.locator(".leaflet-popup").wait_for(state="detached", timeout=2000)
        assert page.evaluate("document.activeElement.textContent") == row
        assert page.akLog.errors == []
    finally:
        context.close()


def test_the_list_follows_the_filters(open_page, site):
    free = pd.DataFrame(
        f["properties"]
        for f in json.loads((site / "geojson" / "vinje-ledig.geojson").read_text())["features"]
    )
    plots = json.loads((site / "geojson" / "vinje-tomter.geojson").read_text())["features"]
    page = open_page("vinje")
    assert page.locator(".ak-list li").count() == 0  # made when first opened
    page.click(".ak-list summary")
    shown = "[...document.querySelectorAll('.ak-list li')].filter(li => !li.hidden).length"
    assert page.evaluate(shown) == len(free) + len(plots)
    page.click(".ak-filter summary")
    page.uncheck(".ak-filter input[name=kategori][value=fritid]")
    expected = (free["kategori"] != "fritid").sum() + sum(
        p["properties"]["kategori"] != "fritid" for p in plots
    )
    assert page.evaluate(shown) == expected
    assert page.inner_text(".ak-list .ak-list-count") == format_number(expected, DEMO_LANGUAGE, 0)


def test_the_minimum_area_takes_a_decimal_comma(open_page, site):
    free = pd.DataFrame(
        f["properties"]
        for f in json.loads((site / "geojson" / "vinje-ledig.geojson").read_text())["features"]
    )
    page = open_page("vinje")
    page.click(".ak-filter summary")
    page.fill(".ak-filter input[name=min_daa]", "2,5")
    assert page.evaluate("arealkart.filtered.shown") == (free["areal_m2"] >= 2500).sum()
    assert 0 < (free["areal_m2"] >= 2500).sum() < len(free)
    assert texts(DEMO_LANGUAGE)["liste"] in page.inner_text(".ak-list summary")


@pytest.mark.parametrize("name", ["index", "vinje", "en/vest-telemark"])
def test_pages_have_labelled_landmarks(browser, site, name):
    context = new_context(browser, DESKTOP)
    try:
        page = open_any(context, site, name)
        landmarks = page.evaluate(
            """() => [...document.querySelectorAll('main, [role=main], nav, [role=region]')]
              .map(e => [e.getAttribute('role') || e.tagName.toLowerCase(),
                         e.getAttribute('aria-label') || ''])"""
        )
        kinds = {kind for kind, _ in landmarks}
        assert "main" in kinds
        if name != "index":
            labels = {label for kind, label in landmarks if kind == "region"}
            t = texts(page_language(name))
            assert {t["filter"], t["liste"], t["tegnforklaring"]} <= labels
            assert all(label for kind, label in landmarks if kind != "main")
    finally:
        context.close()


ENGLISH_MEASURE = ["Measure distances", "Create a new measurement", "Last point", "Meters"]


@pytest.mark.parametrize("name", ["vinje", "nb/vinje", "en/vinje"])
def test_the_measure_tool_speaks_the_page_language(open_page, name):
    t = texts(page_language(name))
    page = open_page(name)
    page.hover(".leaflet-control-measure")
    page.click(".leaflet-control-measure .js-start")
    box = page.locator(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in [(0, 0), (120, 0), (120, 90)]:
        page.mouse.click(cx + dx, cy + dy)
        page.wait_for_timeout(450)  # apart, or the tool takes two clicks for a double click
    text = page.inner_text(".leaflet-control-measure")
    for key in ("measureDistancesAndAreas", "lastPoint", "pathDistance", "area", "cancel"):
        assert t[f"maal_{key}"] in text, (key, text)
    if not name.startswith("en/"):
        assert not [w for w in ENGLISH_MEASURE if w in text], text
    assert f"{t['maal_sqmeters']} (" in text and f" {t['daa']})" in text  # m² (daa)


PIXEL = """([id, dx, dy]) => {
  const s = arealkart, layer = s.layerOf(id), map = s.map;  // the canvas is in layer points
  const p = map.latLngToLayerPoint(layer.getLatLng()), b = s.renderer._bounds.min;
  const ratio = window.devicePixelRatio || 1;
  const data = s.renderer._ctx.getImageData(
    Math.round((p.x - b.x + dx) * ratio), Math.round((p.y - b.y + dy) * ratio), 1, 1).data;
  return [data[0], data[1], data[2], data[3]];
}"""


def test_a_plots_status_is_its_shape_as_well_as_its_colour(open_page, site):
    plots = json.loads((site / "geojson" / "vest-telemark-tomter.geojson").read_text())
    page = open_page("vest-telemark")
    page.evaluate(
        "void Object.keys(arealkart.groups).filter(k => k !== 'tomter')"
        ".forEach(k => arealkart.map.removeLayer(arealkart.groups[k]))"
    )
    found = {}
    for status in ("ledig", "reservert", "solgt", "bebygd"):
        plot = next(p for p in plots["features"] if p["properties"]["status"] == status)
        plot_id = plot["properties"]["tomt_id"]
        at = f"arealkart.layerOf({json.dumps(plot_id)}).getLatLng()"
        page.evaluate(f"void arealkart.map.setView({at}, 19, {{animate: false}})")
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")

        def filled(dx, dy, plot_id=plot_id):
            return page.evaluate(PIXEL, [plot_id, dx, dy])[3] > 128

        def white_centre(plot_id=plot_id):
            near = [
                page.evaluate(PIXEL, [plot_id, dx, dy]) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
            ]
            return any(min(rgba[:3]) > 200 and rgba[3] > 200 for rgba in near)

        found[status] = (filled(3.6, 3.6), filled(0, -6), white_centre())
    # (corner of the box, tip above, white centre)
    assert found == {
        "ledig": (False, False, False),
        "reservert": (False, True, False),
        "solgt": (False, False, True),
        "bebygd": (True, False, False),
    }


def _page_with_cdn(browser, site, name, handle):
    context = new_context(browser, DESKTOP)
    offline = Offline()
    offline.attach(context)
    context.route(lambda url: "cdn.jsdelivr.net" in url, handle)  # the later route wins
    page = context.new_page()
    page.goto((site / "kart" / f"{name}.html").resolve().as_uri())
    page.wait_for_load_state("load")
    return context, page


@pytest.mark.parametrize("name", ["vinje", "nb/vinje", "en/vinje"])
def test_a_page_whose_libraries_are_blocked_says_so_in_its_language(browser, site, name):
    context, page = _page_with_cdn(browser, site, name, lambda route: route.abort())
    try:
        note = page.get_by_role("alert")
        note.wait_for(timeout=5000)
        t = texts(page_language(name))
        assert note.inner_text() == t["kart_feilet"]
    finally:
        context.close()


def test_a_changed_file_on_the_cdn_is_refused(browser, site):
    from browser import package_dir

    def tampered(route):
        asset = npm_source(route.request.url)
        body = (package_dir(asset.package, asset.version) / asset.path).read_bytes()
        if asset.path.endswith("leaflet.js"):
            body += b"\nwindow.__tampered = true;"
        route.fulfill(body=body, headers={"Access-Control-Allow-Origin": "*"})

    context, page = _page_with_cdn(browser, site, "vinje", tampered)
    try:
        page.get_by_role("alert").wait_for(timeout=5000)
        assert page.evaluate("window.__tampered") is None
        assert page.evaluate("typeof L") == "undefined"
    finally:
        context.close()


def test_every_cdn_file_has_the_integrity_of_its_npm_file():
    import base64
    import hashlib

    from arealkart.publish.maps.assets import integrity, map_assets
    from browser import package_dir

    for asset in map_assets():
        data = (package_dir(asset.package, asset.version) / asset.path).read_bytes()
        expected = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
        assert integrity(asset.url) == expected, asset.url


@pytest.fixture(scope="module")
def local_site(demo_build, tmp_path_factory) -> Path:
    """The demo's maps built with ``assets="local"``: the libraries in ``kart/lib/``."""
    import os

    from arealkart.publish.outputs import write_outputs
    from browser import ASSET_CACHE, ensure_assets

    ensure_assets()
    out = tmp_path_factory.mktemp("lokal") / "output"
    before = os.environ.get("AREALKART_ASSET_CACHE")
    os.environ["AREALKART_ASSET_CACHE"] = str(ASSET_CACHE)  # the tests' verified npm files
    try:
        write_outputs(demo_build, out, parts=["maps"], assets="local")
    finally:
        if before is None:
            del os.environ["AREALKART_ASSET_CACHE"]
        else:
            os.environ["AREALKART_ASSET_CACHE"] = before
    return out


@pytest.mark.parametrize("name", ["vest-telemark", "vinje", "en/vinje"])
def test_with_local_assets_a_page_draws_with_only_tiles_from_the_network(browser, local_site, name):
    from browser import TILE_HOSTS

    refused, tiles = [], []

    def only_tiles(route):
        if urlsplit(route.request.url).hostname in TILE_HOSTS:
            tiles.append(route.request.url)
            route.fulfill(body=BLANK_PNG, content_type="image/png")
        else:
            refused.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport=DESKTOP)
    context.route(lambda url: url.startswith(("http://", "https://")), only_tiles)
    try:
        page, log = open_map(context, local_site / "kart" / f"{name}.html")
        assert sum(page.evaluate("arealkart.drawn()").values()) > 0
        assert refused == [] and tiles
        assert log.errors == []  # every file under kart/lib/ loaded, the policy allowed them
        html = (local_site / "kart" / f"{name}.html").read_text(encoding="utf-8")
        assert "https://cdn.jsdelivr.net" not in html
        icon = page.evaluate(  # an image a stylesheet loads, from kart/lib/ too
            """() => new Promise((done) => {
              const button = document.querySelector('.leaflet-control-zoom-fullscreen');
              const url = getComputedStyle(button).backgroundImage.slice(5, -2);
              const img = new Image();
              img.onload = () => done(url);
              img.onerror = () => done(null);
              img.src = url;
            })"""
        )
        assert icon is not None and "/kart/lib/leaflet.fullscreen@" in icon
    finally:
        context.close()


@pytest.mark.parametrize("name", ["vinje", "nb/vinje", "en/vinje"])
def test_no_text_of_another_language_is_left_on_a_page(open_page, name):
    page = open_page(name)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.evaluate("arealkart.openItem(arealkart.items.find(i => i.key === 'ledig'), null)")
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    page.hover(".leaflet-control-measure")
    shown = page.evaluate("document.body.innerText")
    titles = page.evaluate(
        "[...document.querySelectorAll('[title], [aria-label], [placeholder]')]"
        ".map(e => [e.title, e.getAttribute('aria-label'), e.placeholder].join(' '))"
    )
    assert foreign_texts(shown + " ".join(titles), page_language(name)) == []


@pytest.mark.parametrize("key", ["Enter", " "])
def test_the_search_button_opens_the_search_from_the_keyboard(open_page, key):
    page = open_page("vinje")
    page.focus(".leaflet-control-search .search-button")
    page.keyboard.press(key)
    assert page.evaluate("document.activeElement.classList.contains('search-input')")
    assert page.locator(".leaflet-control-search input.search-input").is_visible()
    assert page.locator(".leaflet-control-search .search-alert").is_hidden()


def test_a_closed_filter_heading_says_a_filter_is_on(open_page):
    t = texts(DEMO_LANGUAGE)
    page = open_page("vinje")
    page.click(".ak-filter summary")
    page.uncheck(".ak-filter input[name=kategori][value=fritid]")
    page.click(".ak-filter summary")  # closed again
    assert page.inner_text(".ak-filter summary") == f"{t['filter']} ({t['filter_paa']})"
    page.click(".ak-filter summary")
    page.click(".ak-filter .ak-reset")
    assert page.inner_text(".ak-filter summary") == t["filter"]


def _focused(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement.closest(s)", selector)


def test_a_search_suggestion_picked_from_the_keyboard_opens_its_popup_with_the_focus(
    open_page, site
):
    features = json.loads((site / "geojson" / "vinje-ledig.geojson").read_text(encoding="utf-8"))
    field = next(
        f["properties"]["feltnavn"] for f in features["features"] if f["properties"]["feltnavn"]
    )
    page = open_page("vinje")
    page.focus(".leaflet-control-search .search-button")
    page.keyboard.press("Enter")
    page.keyboard.type(field)
    page.wait_for_selector(".search-tooltip .search-tip")
    page.keyboard.press("ArrowDown")
    selected = page.get_attribute(".search-tip-select", "id")  # a combobox of options
    assert page.get_attribute("input.search-input", "aria-activedescendant") == selected
    assert page.get_attribute(".search-tip-select", "role") == "option"
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    page.wait_for_function("!!document.activeElement.closest('.leaflet-popup')")
    assert field in page.inner_text(".leaflet-popup-content")
    page.keyboard.press("Escape")  # closes the popup, not only the search
    page.locator(".leaflet-popup").wait_for(state="detached", timeout=2000)
    assert _focused(page, ".leaflet-control-search .search-button")


def test_escape_in_the_search_box_gives_the_focus_to_the_search_button(open_page):
    page = open_page("vinje")
    page.focus(".leaflet-control-search .search-button")
    page.keyboard.press("Enter")
    page.keyboard.type("zz-nothing")
    page.keyboard.press("Enter")
    page.locator(".search-alert").wait_for(timeout=3000)
    assert page.inner_text(".search-alert") == texts(DEMO_LANGUAGE)["sok_ingen"]
    assert page.get_attribute(".search-alert", "role") == "status"  # "nothing found" is spoken
    page.keyboard.press("Escape")
    assert _focused(page, ".leaflet-control-search .search-button")


@pytest.mark.parametrize("opener", [".ak-list summary", None])
def test_tab_out_of_a_popup_closes_it_and_gives_the_focus_back_to_its_opener(open_page, opener):
    page = open_page("vinje")
    page.evaluate(
        "(s) => arealkart.openItem(arealkart.items.find(i => i.key === 'ledig'),"
        " s && document.querySelector(s))",
        opener,
    )
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    page.wait_for_function("!!document.activeElement.closest('.leaflet-popup')")
    for _ in range(10):  # through the popup's links and its close button, and out
        page.keyboard.press("Tab")
        if not _focused(page, ".leaflet-popup"):
            break
    tabbed_to = page.evaluate("document.activeElement.outerHTML")
    page.locator(".leaflet-popup").wait_for(state="detached", timeout=2000)
    if opener is None:  # nothing to go back to: the focus stays where Tab put it
        assert page.evaluate("document.activeElement.outerHTML") == tabbed_to
    else:  # back to the row (or heading) it was opened from, not to the page's top
        assert _focused(page, opener)


STILL = """() => new Promise((done) => {  // the map's centre, once it has stopped moving
  let last = null;
  const tick = () => {
    const c = arealkart.map.getCenter();
    if (last && last.equals(c)) { done([c.lng, c.lat]); } else { last = c; setTimeout(tick, 120); }
  };
  tick();
})"""


def test_the_measure_tool_is_used_from_the_keyboard(open_page):
    from pyproj import Geod

    t = texts(DEMO_LANGUAGE)
    page = open_page("vinje")
    page.focus(".leaflet-control-measure-toggle")
    page.keyboard.press("Enter")
    page.wait_for_function("!!document.activeElement.closest('.leaflet-control-measure .js-start')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement === arealkart.map.getContainer()")
    corners = []
    for keys in ([], ["ArrowRight"] * 3, ["ArrowDown"] * 3):
        for key in keys:
            page.keyboard.press(key)
        corners.append(page.evaluate(STILL))
        page.keyboard.press("Enter")  # a point under the cross at the centre
    text = page.inner_text(".leaflet-control-measure .results")
    shown = re.search(rf"{t['maal_area']} ([\d\s]+) {t['maal_sqmeters']}", text)
    assert shown is not None, text
    lon, lat = zip(*corners, strict=True)
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)
    assert float(re.sub(r"\s", "", shown.group(1))) == pytest.approx(abs(area), rel=0.02)
    page.keyboard.press("Escape")  # finishes: the result opens with the focus
    assert page.evaluate("arealkart.map.getContainer().classList.contains('ak-measuring')") is False
    result = page.locator(".leaflet-popup-content")
    result.wait_for(timeout=3000)
    page.wait_for_function("!!document.activeElement.closest('.leaflet-popup')")
    label = page.evaluate(
        "document.getElementById(document.querySelector('.leaflet-popup-content')"
        ".getAttribute('aria-labelledby')).textContent"
    )
    assert label == t["maal_areaMeasurement"]  # named in the page's language
    page.keyboard.press("Escape")
    page.locator(".leaflet-popup").wait_for(state="detached", timeout=2000)
    assert page.evaluate("document.activeElement === arealkart.map.getContainer()")


def test_link_here_puts_the_address_in_the_address_bar_and_says_so(open_page):
    t = texts(DEMO_LANGUAGE)
    page = open_page("vinje")
    page.evaluate("arealkart.openItem(arealkart.items.find(i => i.key === 'ledig'), null)")
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    href = page.get_attribute(".ak-popup-link a", "href")
    page.click(".ak-popup-link a")
    status = page.locator(".ak-popup-status[role=status]")
    status.wait_for(timeout=10000)  # a loaded CI machine is slow
    assert status.inner_text() in (t["lenke_kopiert"], t["lenke_adresse"])
    assert page.url.endswith(href)
    assert page.locator(".leaflet-popup-content .ak-popup").count() == 1  # still open


def test_a_language_link_opens_the_twin_at_the_same_feature(open_page, site):
    page = open_page("vinje")
    page.evaluate("arealkart.openItem(arealkart.items.find(i => i.key === 'ledig'), null)")
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    page.click(".ak-popup-link a")
    # the page's own address: page.url follows a history.replaceState only a moment later
    fragment = page.evaluate("location.hash").split("#")[1]
    page.click(".ak-languages a[hreflang=en]")
    page.wait_for_function("window.arealkart && window.arealkart.ready === true")
    assert page.url.endswith(f"/kart/en/vinje.html#{fragment}")
    page.locator(".leaflet-popup-content .ak-popup").wait_for(timeout=5000)
    assert texts("en")["ledig_daa"] in page.inner_text(".leaflet-popup-content")


def test_leaflet_s_own_link_and_the_overview_map_speak_and_stay_out_of_the_way(open_page):
    page = open_page("vinje")
    title = page.get_attribute(".leaflet-control-attribution a[href*='leafletjs']", "title")
    assert title == texts(DEMO_LANGUAGE)["leaflet_tittel"]
    stops = page.evaluate(
        "[...document.querySelectorAll('.leaflet-control-minimap, .leaflet-control-minimap *')]"
        ".filter(e => e.tabIndex >= 0 && !e.matches('a[href]')).length"
    )
    assert stops == 0  # no nameless Tab stop; its toggle button stays


def test_on_a_phone_the_index_links_are_44_px_targets(phone_page, browser, site):
    context = new_context(browser, PHONE)
    try:
        page = open_any(context, site, "index")
        small = page.evaluate(
            "[...document.querySelectorAll('a')].map(a => a.getBoundingClientRect())"
            ".filter(r => r.height < 44).length"
        )
        assert small == 0
    finally:
        context.close()


def test_on_a_desktop_the_open_list_ends_above_the_legend_and_overview_map(open_page):
    page = open_page("vest-telemark")
    page.click(".ak-list summary")
    boxes = page.evaluate(
        """() => ['.ak-list', '.ak-legend', '.leaflet-control-minimap']
          .map(s => document.querySelector(s)).filter(Boolean)
          .map(e => e.getBoundingClientRect()).map(r => [r.top, r.bottom])"""
    )
    (_, list_bottom), *below = boxes
    assert below and all(list_bottom <= top for top, _ in below)


def test_on_a_phone_a_long_popup_stays_clear_of_the_closed_panels_and_scrolls(phone_page):
    page = phone_page("vinje")
    x, y = tap_point_of_a_free_area(page)  # the panels stay closed: their buttons at the foot
    page.evaluate("new Promise((done) => requestAnimationFrame(() => done()))")
    page.touchscreen.tap(x, y)
    page.locator(".leaflet-popup").wait_for(timeout=5000)
    assert popup_hidden_points(page) == []
    # every fact can be read: the last row scrolls into the popup's view
    last = page.locator(".leaflet-popup-content tr").last
    last.scroll_into_view_if_needed()
    row, popup = last.bounding_box(), page.locator(".leaflet-popup-content").bounding_box()
    assert popup["y"] <= row["y"] and row["y"] + row["height"] <= popup["y"] + popup["height"] + 1
    close = page.locator(".leaflet-popup-close-button").bounding_box()
    assert close["width"] >= 44 and close["height"] >= 44


@pytest.mark.parametrize("name", ["vinje", "en/vest-telemark"])
def test_on_a_phone_the_open_filter_fits_the_screen_and_scrolls_to_its_last_control(
    phone_page, name
):
    page = phone_page(name)
    page.tap(".ak-filter summary")
    panel = page.locator(".ak-filter details").bounding_box()
    assert panel["y"] + panel["height"] <= PHONE["height"]
    reset = page.locator(".ak-filter .ak-reset")
    reset.scroll_into_view_if_needed()
    box = reset.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    km = page.locator(".ak-filter input[name=naeringshage_km]")
    km.scroll_into_view_if_needed()
    km.tap()
    page.keyboard.type("abc")  # not a number: marked, and it filters nothing
    assert km.get_attribute("aria-invalid") == "true"
    shown = page.evaluate("arealkart.filtered")
    assert shown["shown"] == shown["total"]
