"""Fixtures of the browser tests: the demo site (nynorsk, bokmål, English), one Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from browser import VIEWPORT, Offline, ensure_assets, launch, open_map


@pytest.fixture(scope="session")
def site(demo_build, tmp_path_factory) -> Path:
    """The demo build (copied): maps in nynorsk (``kart/``), bokmål and English."""
    out = tmp_path_factory.mktemp("site") / "output"
    shutil.copytree(demo_build.files[0].parent, out)
    return out


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Playwright's sync API allows one per thread)."""
    from playwright.sync_api import sync_playwright

    ensure_assets()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def context(chromium):
    """A desktop-sized browser context; every web request answered offline."""
    ctx = chromium.new_context(viewport=VIEWPORT)
    offline = Offline()
    offline.attach(ctx)
    ctx.offline_log = offline
    yield ctx
    ctx.close()


@pytest.fixture
def open_page(site, context):
    """Open a map page of the site; close it (and check its log) after the test."""
    opened = []

    def _open(name: str):
        page, log = open_map(context, site / "kart" / f"{name}.html")
        opened.append((page, log))
        return page

    yield _open
    for page, log in opened:
        page.close()
        assert log.errors == []
