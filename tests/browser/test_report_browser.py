"""The report pages in Chromium: axe-core's WCAG 2.1 A/AA rules, a phone, nothing fetched.

The region's and a municipality's report, in the region's own language and in English, at
desktop size and at 390×844 (a phone): axe finds nothing, the page never scrolls sideways
(a wide table scrolls inside its own region), and the page asks the network for nothing.
Input text with script in it shows as text and never runs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from arealkart.publish.report import report_html
from browser import DEMO_LANGUAGE, Offline, axe_violations, missing_requirements

REASON = missing_requirements()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PAGES = ["vest-telemark", "vinje", "en/vest-telemark", "en/vinje"]


def open_report(chromium, path: Path, size: dict[str, int]):
    """A new context of ``size`` (a phone's below 600 px) with ``path`` open in it."""
    phone = size["width"] <= 600
    context = chromium.new_context(viewport=size, is_mobile=phone, has_touch=phone)
    offline = Offline()
    offline.attach(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return context, page, offline, errors


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_a_report_page_passes_axe_and_fits_the_screen(chromium, site, name, size):
    context, page, offline, errors = open_report(chromium, site / "rapport" / f"{name}.html", size)
    try:
        lang = name.split("/")[0] if "/" in name else DEMO_LANGUAGE
        assert page.evaluate("document.documentElement.lang") == lang
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)
        width = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways: {width}"
        images = page.evaluate(
            "[...document.images].map(i => [i.complete && i.naturalWidth > 0,"
            " i.getBoundingClientRect().right <= innerWidth])"
        )
        assert images and all(loaded and inside for loaded, inside in images)
        assert offline.refused == [] and offline.served == [] and offline.tiles == 0
        assert errors == []
    finally:
        context.close()


def test_on_a_phone_a_wide_table_scrolls_in_its_region_from_the_keyboard(chromium, site):
    context, page, _, _ = open_report(chromium, site / "rapport" / "vest-telemark.html", PHONE)
    try:
        wide = page.evaluate(
            "[...document.querySelectorAll('.scroll')].filter(s => s.scrollWidth > s.clientWidth)"
            ".map(s => [s.tabIndex, s.getAttribute('role'), s.getAttribute('aria-labelledby')])"
        )
        assert wide, "some table is wider than a phone"
        assert all(tab == 0 and role == "region" and label for tab, role, label in wide)
        first = "[...document.querySelectorAll('.scroll')].find(s => s.scrollWidth > s.clientWidth)"
        page.evaluate(f"{first}.focus()")
        page.keyboard.press("ArrowRight")
        for _ in range(40):  # polled here: the page's policy refuses wait_for_function's eval
            if page.evaluate(f"{first}.scrollLeft") > 0:
                break
            page.wait_for_timeout(50)
        assert page.evaluate(f"{first}.scrollLeft") > 0
        links = page.evaluate(
            "[...document.querySelectorAll('nav.links a, .ak-languages a')]"
            ".map(a => a.getBoundingClientRect().height)"
        )
        assert links and min(links) >= 44
    finally:
        context.close()


def test_script_in_input_text_shows_as_text_and_never_runs(chromium, demo_build, tmp_path):
    payload = '<img src=x onerror="window.__xss = 1">'
    free = demo_build.result.free.assign(plan_navn=payload, feltnavn=f"</script>{payload}")
    if "poeng" not in free.columns:
        free = free.assign(poeng=50.0)
    hostile = replace(
        demo_build,
        config=replace(demo_build.config, navn=f"Vest-Telemark {payload}"),
        result=replace(demo_build.result, free=free),
    )
    path = tmp_path / "rapport" / "vest-telemark.html"
    path.parent.mkdir()
    path.write_text(report_html(hostile, "vest-telemark", "nn"), encoding="utf-8")
    context, page, _, _ = open_report(chromium, path, DESKTOP)
    try:
        assert page.evaluate("window.__xss") is None
        assert payload in page.inner_text("h1")
        assert payload in page.inner_text("main")
    finally:
        context.close()
