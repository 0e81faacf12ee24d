"""Text from plan files is data: HTML in names and ids never runs on a map page.

A build whose plan names, field names, zone ids and plot ids carry script payloads is
opened in headless Chromium; the page is loaded, popups and tooltips are opened, the
search box is typed into and its tips are shown and chosen.  No payload may run, and each
must show as the text it is.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest

from arealkart import build
from browser import VIEWPORT, Offline, missing_requirements, open_map
from helpers import DEMO

REASON = missing_requirements()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

RUN = "window.__xss = (window.__xss || 0) + 1"
PAYLOADS = (
    f'<img src=x onerror="{RUN}">',
    f'"><svg onload="{RUN}">',
    f"</script><script>{RUN}</script>",
)
PLOT_PAYLOAD = "<img src=x onerror=window.__xss=9>"  # a register's id: no quotes, no ';'


def hostile_region(folder: Path) -> Path:
    """Seljord's demo files with payloads in names and ids, and a config for them."""
    source = folder / "4022-seljord"
    shutil.copytree(DEMO / "4022-seljord", source)
    plans = source / "planer.geojson"
    data = json.loads(plans.read_text(encoding="utf-8"))
    for i, feature in enumerate(data["features"]):
        props = feature["properties"]
        props["plannavn"] = f"{PAYLOADS[i % 3]} plan"
        props["feltnavn"] = f"{PAYLOADS[(i + 1) % 3]}F{i}"
        if i < 3:
            props["lokalid"] = f"{PAYLOADS[i]}-{i}"
    plans.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for name in ("tomteregister.csv", "tomter.geojson"):
        path = source / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("4022-2018001-BFS1-1", PLOT_PAYLOAD), encoding="utf-8")
    config = folder / "region.toml"
    config.write_text(
        '[region]\nnavn = "Seljord"\nslug = "seljord-region"\n\n[[kommune]]\n'
        'kommune = "Seljord"\nplans = ["4022-seljord/planer.geojson"]\n'
        'buildings = ["4022-seljord/bygninger.geojson"]\n'
        'constraints = ["4022-seljord/hensynssoner.geojson"]\n'
        'plots = [{ register = "4022-seljord/tomteregister.csv", '
        'geometry = "4022-seljord/tomter.geojson" }]\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    out = folder / "output"
    build(hostile_region(folder), out, workers=1, parts=["geojson", "maps"])
    return out


@pytest.fixture(scope="module")
def page(hostile_site, chromium):
    context = chromium.new_context(viewport=VIEWPORT)
    Offline().attach(context)
    page, log = open_map(context, hostile_site / "kart" / "seljord.html")
    yield page
    assert log.errors == []
    context.close()


def ran(page) -> object:
    return page.evaluate("window.__xss")


def test_the_payloads_reached_the_page_as_data(hostile_site):
    free = json.loads((hostile_site / "geojson" / "seljord-ledig.geojson").read_text("utf-8"))
    names = {f["properties"]["plan_navn"] for f in free["features"]}
    assert {f"{p} plan" for p in PAYLOADS} <= names
    html = (hostile_site / "kart" / "seljord.html").read_text(encoding="utf-8")
    assert "</script><script>window.__xss" not in html  # no early end of the data block


def test_no_payload_runs_on_load(page):
    assert ran(page) is None
    assert page.locator("img[src='x'], svg[onload]").count() == 0


def test_no_payload_runs_in_popups_and_tooltips(page, hostile_site):
    free = json.loads((hostile_site / "geojson" / "seljord-ledig.geojson").read_text("utf-8"))
    ids = [*[f["id"] for f in free["features"]][:12], PLOT_PAYLOAD]
    opened = 0
    for fid in ids:
        opened += page.evaluate(
            "(id) => { const l = arealkart.layerOf(id); if (!l) return 0;"
            " arealkart.map.closePopup();"
            " const at = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();"
            " arealkart.map.setView(at, 17, {animate: false});"
            " l.fire('click', {latlng: at}, true); l.openTooltip && l.openTooltip(at); return 1; }",
            fid,
        )
        page.wait_for_selector(".leaflet-popup-content .ak-popup")
    assert opened == len(ids)
    text = page.locator(".leaflet-popup-content").last.inner_text()  # earlier ones fade out
    assert PLOT_PAYLOAD in text  # the last popup: the plot, its id shown as text
    assert ran(page) is None
    assert page.locator("img[src='x'], svg[onload]").count() == 0


def test_no_payload_runs_when_searching(page):
    page.click(".leaflet-control-search .search-button")
    for typed in ("<img", '">', "</script", "plan"):
        page.fill(".leaflet-control-search input.search-input", "")
        page.keyboard.type(typed)
        page.wait_for_selector(".search-tooltip .search-tip")
        tips = page.locator(".search-tooltip .search-tip")
        assert any(typed in t for t in tips.all_inner_texts()), typed
        assert ran(page) is None, typed
        assert page.locator(".search-tooltip img, .search-tooltip svg").count() == 0
    tips.first.click()
    page.wait_for_selector(".leaflet-popup-content .ak-popup")
    assert ran(page) is None
    assert page.locator("img[src='x'], svg[onload]").count() == 0


def test_the_policy_refuses_a_script_the_page_did_not_bring(hostile_site, chromium):
    from playwright.sync_api import Error as PlaywrightError

    context = chromium.new_context(viewport=VIEWPORT)
    Offline().attach(context)
    try:
        page, log = open_map(context, hostile_site / "kart" / "seljord.html")
        policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
        assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy.split(";")[1]
        assert log.errors == []  # the page's own scripts all pass the policy
        with contextlib.suppress(PlaywrightError):  # Playwright reports the refused tag too
            page.add_script_tag(content="window.__injected = 1")
        assert page.evaluate("window.__injected") is None
        assert any("Content Security Policy" in e for e in log.errors)
    finally:
        context.close()
