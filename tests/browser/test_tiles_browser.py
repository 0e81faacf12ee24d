"""A region page drawn from vector tiles, served over HTTP with byte ranges, in Chromium.

A build of Seljord whose plan and field names carry script payloads, with the tile
threshold at 0 (``[kart] fliser_over``), so its region page draws every area from
``kart/<slug>.pmtiles``.  The page is served by :func:`arealkart.serve.files.file_server`
on 127.0.0.1 and opened at desktop and phone size: the tiles are read by range requests,
the areas are drawn in their category's colour, a click opens the popup of the area under
it from the tile's properties (the payloads shown as text, never run), a category filter
stops its areas being drawn, the list of the areas in view works from the keyboard, and
axe-core finds no WCAG 2.1 A/AA violation.  Opened from disk, or from a server that answers
no ranges, the page says why it cannot draw the areas.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from test_map_injection import hostile_region

from arealkart import build
from arealkart.registry.style import style, texts
from arealkart.serve.files import file_server
from browser import LOCAL_HOST, VIEWPORT, Offline, axe_violations, missing_requirements, open_map

REASON = missing_requirements()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

PHONE = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("size", [VIEWPORT, PHONE], ids=["desktop", "phone"])
SLUG = "seljord-region"
T = texts("nb")


@pytest.fixture(scope="module")
def tiled_site(tmp_path_factory) -> Path:
    """The hostile Seljord build, its region page drawn from tiles."""
    folder = tmp_path_factory.mktemp("tiled")
    config = hostile_region(folder)
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[kart]\nfliser_over = 0\n", encoding="utf-8"
    )
    out = folder / "output"
    build(config, out, workers=1, parts=["geojson", "maps"])
    return out


@contextmanager
def serving(folder: Path, handler: type | None = None) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1 (a free port) while the block runs; its URL."""
    if handler is None:
        server = file_server(folder, LOCAL_HOST, 0)
    else:
        server = http.server.ThreadingHTTPServer(
            (LOCAL_HOST, 0), functools.partial(handler, directory=str(folder))
        )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def base_url(tiled_site) -> Iterator[str]:
    with serving(tiled_site) as url:
        yield url


@pytest.fixture
def tiled_page(chromium, base_url, request):
    """Open the tiled region page at ``size``; yield it with the tile answers seen."""

    def _open(size):
        context = chromium.new_context(viewport=size)
        Offline().attach(context)
        answers: list[tuple[int, str | None]] = []
        context.on(
            "response",
            lambda r: (
                answers.append((r.status, r.request.headers.get("range")))
                if r.url.endswith(".pmtiles")
                else None
            ),
        )
        page, log = open_map(context, f"{base_url}/kart/{SLUG}.html")
        request.addfinalizer(context.close)
        request.addfinalizer(lambda: _no_errors(log))
        return page, answers

    return _open


def _no_errors(log) -> None:
    assert log.errors == []


def free_areas(site: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(site / "geojson" / f"{SLUG}-ledig.geojson")


def coloured_pixels(page, colour: str) -> int:
    """Pixels of the tile canvases within a few steps of ``colour`` (any opacity blend)."""
    return page.evaluate(
        """hex => {
          const want = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
          let n = 0;
          document.querySelectorAll('.leaflet-akTiles-pane canvas').forEach(c => {
            if (!c.width) { return; }
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4) {
              if (d[i + 3] > 100 && want.every((v, k) => Math.abs(d[i + k] - v) < 8)) { n++; }
            }
          });
          return n;
        }""",
        colour,
    )


def go_to(page, area: shapely.Geometry) -> dict:
    """Show ``area`` (WGS84) at zoom 16, wait for its tiles; its point on screen."""
    point = shapely.point_on_surface(area)
    page.evaluate(
        """([lat, lng]) => new Promise(done => {
          const m = arealkart.map, t = arealkart.tiles.layer;
          t.once('load', () => setTimeout(done, 50));
          m.setView([lat, lng], 16, {animate: false});
        })""",
        [point.y, point.x],
    )
    return page.evaluate(
        "([lat, lng]) => { const p = arealkart.map.latLngToContainerPoint([lat, lng]);"
        " const r = arealkart.map.getContainer().getBoundingClientRect();"
        " return {x: r.left + p.x, y: r.top + p.y}; }",
        [point.y, point.x],
    )


def largest(site: Path) -> gpd.GeoSeries:
    free = free_areas(site)
    return free.loc[free.to_crs(25832).area.idxmax()]


@SIZES
def test_the_tiles_are_read_by_range_and_every_category_is_drawn(size, tiled_page, tiled_site):
    page, answers = tiled_page(size)
    html = (tiled_site / "kart" / f"{SLUG}.html").read_text(encoding="utf-8")
    assert '"ledig":{"tiles":true' in html  # the page carries no area of its own
    assert answers and all(status == 206 and rng for status, rng in answers)
    categories = set(free_areas(tiled_site)["kategori"])
    drawn = page.evaluate("arealkart.drawn()")
    assert all(drawn[c] > 0 for c in categories)
    colours = style()["farger"]
    assert all(coloured_pixels(page, colours[c]) > 0 for c in categories)


@SIZES
def test_a_click_opens_the_popup_of_the_area_from_its_tile_with_escaped_text(
    size, tiled_page, tiled_site
):
    page, _ = tiled_page(size)
    area = largest(tiled_site)
    at = go_to(page, area.geometry)
    page.mouse.click(at["x"], at["y"])
    popup = page.wait_for_selector(".leaflet-popup-content .ak-popup", timeout=5000)
    text = popup.inner_text()
    assert area["plan_navn"] in text and area["feltnavn"] in text  # the payloads, as text
    assert T[area["kategori"]] in text
    assert page.evaluate("window.__xss") is None
    assert popup.query_selector("img, svg, script") is None


def test_unticking_a_category_stops_its_areas_being_drawn_and_clicked(tiled_page, tiled_site):
    page, _ = tiled_page(VIEWPORT)
    area = largest(tiled_site)
    category = area["kategori"]
    at = go_to(page, area.geometry)
    colour = style()["farger"][category]
    assert coloured_pixels(page, colour) > 0
    page.click(".ak-filter summary")
    page.uncheck(f".ak-filter input[name=kategori][value={category}]")
    page.wait_for_function(f"arealkart.drawn()['{category}'] === 0")
    page.wait_for_timeout(200)
    assert coloured_pixels(page, colour) == 0
    page.click(".ak-filter summary")  # closed, so that the click reaches the map
    page.mouse.click(at["x"], at["y"])
    page.wait_for_timeout(300)
    assert page.query_selector(".leaflet-popup-content .ak-popup") is None
    page.click(".ak-filter summary")
    page.check(f".ak-filter input[name=kategori][value={category}]")
    page.wait_for_function(f"arealkart.drawn()['{category}'] > 0")


def test_the_list_of_the_areas_in_view_works_from_the_keyboard(tiled_page, tiled_site):
    # at desktop size: on a phone an open popup closes the panels, the list's too, as on
    # every page
    page, _ = tiled_page(VIEWPORT)
    go_to(page, largest(tiled_site).geometry)
    page.focus(".ak-list summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.textContent")
    assert page.evaluate("document.activeElement.className") == "ak-list-item"
    in_view = page.evaluate("arealkart.tiles.inView().areas.length")
    note = page.inner_text(".ak-list-note")
    assert note == T["fliser_liste"].replace("{vist}", str(in_view))
    rows = page.locator(".ak-list-item")
    assert rows.count() >= in_view >= 1
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.activeElement && document.activeElement.closest('.leaflet-popup')"
    )
    assert first.split(" · ")[1] in page.inner_text(".leaflet-popup-content")  # its field
    page.keyboard.press("Escape")
    page.wait_for_function("document.activeElement.className === 'ak-list-item'")
    assert page.evaluate("document.activeElement.textContent") == first


@SIZES
def test_the_tiled_page_has_no_accessibility_violations(size, tiled_page):
    page, _ = tiled_page(size)
    assert axe_violations(page) == []


def test_opened_from_disk_the_page_says_it_needs_a_web_server(chromium, tiled_site):
    context = chromium.new_context(viewport=VIEWPORT)
    Offline().attach(context)
    page, log = open_map(context, tiled_site / "kart" / f"{SLUG}.html")
    notice = page.wait_for_selector(".ak-tiles-failed[role=alert]")
    assert notice.is_visible() and notice.inner_text() == T["fliser_fil"]
    assert log.errors == []
    context.close()


def test_a_server_that_answers_no_ranges_is_named_as_the_reason(chromium, tiled_site):
    with serving(tiled_site, http.server.SimpleHTTPRequestHandler) as url:
        context = chromium.new_context(viewport=VIEWPORT)
        Offline().attach(context)
        page = context.new_page()
        page.goto(f"{url}/kart/{SLUG}.html")
        notice = page.wait_for_selector(".ak-tiles-failed[role=alert]", timeout=10_000)
        assert notice.is_visible() and notice.inner_text() == T["fliser_tenar"]
        context.close()


def test_a_dot_at_a_low_zoom_opens_the_area_s_whole_popup(tiled_page, tiled_site):
    page, _ = tiled_page(VIEWPORT)
    area = largest(tiled_site)
    point = shapely.point_on_surface(area.geometry)
    at = page.evaluate(
        """([lat, lng]) => new Promise(done => {
          const m = arealkart.map;
          arealkart.tiles.layer.once('load', () => setTimeout(() => {
            const p = m.latLngToContainerPoint([lat, lng]);
            const r = m.getContainer().getBoundingClientRect();
            done({x: r.left + p.x, y: r.top + p.y});
          }, 50));
          m.setView([lat, lng], 9, {animate: false});
        })""",
        [point.y, point.x],
    )
    page.mouse.click(at["x"], at["y"])
    popup = page.wait_for_selector(".leaflet-popup-content .ak-popup", timeout=10_000)
    assert area["feltnavn"] in popup.inner_text() and area["plan_navn"] in popup.inner_text()
