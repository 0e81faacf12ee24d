"""Drive the maps in headless Chromium without the internet (tests and the benchmark).

Map pages load Leaflet and the plugins from jsDelivr (``arealkart.publish.maps.assets``).  Here
every such request is answered from the very same npm package versions, unpacked into
``.cache/map-assets/`` by ``scripts/fetch_map_assets.py`` (run by
``bash scripts/install.sh --test``, or on first use); base-map tiles get a blank PNG;
any other request is refused and recorded, so a test can assert that nothing else was
asked for.
"""

from __future__ import annotations

import base64
import importlib.util
import mimetypes
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from arealkart.config import load_config
from arealkart.model.vocabulary import LANGUAGES
from arealkart.publish.maps.assets import npm_packages, npm_source
from arealkart.registry.style import style, texts
from helpers import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ASSET_CACHE = ROOT / ".cache" / "map-assets"
FETCH_SCRIPT = ROOT / "scripts" / "fetch_map_assets.py"
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOST = "127.0.0.1"
"""Where the tests' own HTTP servers listen; the only host a page may reach itself."""

BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
TILE_HOSTS = frozenset(urlsplit(layer["url"]).hostname for layer in style()["bakgrunn"])


DEMO_LANGUAGE = load_config().language
"""The demo region's main language (nynorsk): its pages are ``kart/*.html``."""


def page_language(name: str) -> str:
    """The language of a demo page named like ``vinje``, ``nb/vinje`` or ``en/index``."""
    head, _, rest = name.partition("/")
    return head if rest else DEMO_LANGUAGE


def foreign_texts(text: str, lang: str) -> list[str]:
    """Every text of another language's texts file found, as whole words, in ``text``.

    Placeholders split a text into the fragments looked for (``Du er innanfor``, ``frå
    dette punktet``); a fragment that ``lang``'s texts use too (``Kategori``, ``av``) is no
    leftover, nor are the names of the languages of a page's twins.
    """
    mine = " \n ".join(texts(lang).values())
    found = []
    for other in LANGUAGES:
        if other == lang:
            continue
        for key, value in texts(other).items():
            if key == "sprak_namn":
                continue
            for fragment in re.split(r"\{[^}]*\}", value):
                fragment = fragment.strip(" –-·:()/")
                if (
                    len(fragment) >= 2
                    and not _has_words(mine, fragment)  # "Viser … av" is nynorsk too
                    and _has_words(text, fragment)
                ):
                    found.append(f"[{other}] {key}: {fragment!r}")
    return found


def _has_words(text: str, fragment: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text) is not None


def missing_requirements() -> str | None:
    """Why the browser tests cannot run here, or ``None`` if they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (bash scripts/install.sh --test installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (bash scripts/install.sh --test installs it)"
    return None


def package_dir(package: str, version: str) -> Path:
    """The unpacked npm package (same layout as ``scripts/fetch_map_assets.py``)."""
    return ASSET_CACHE / f"{package.replace('/', '+')}@{version}"


def _test_packages() -> tuple[tuple[str, str], ...]:
    spec = importlib.util.spec_from_file_location("fetch_map_assets", FETCH_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TEST_PACKAGES


AXE = dict(_test_packages())["axe-core"]


def ensure_assets() -> Path:
    """The asset cache, fetched from the npm registry first if any package is missing."""
    wanted = [*npm_packages(), ("axe-core", AXE)]
    if not all((package_dir(p, v) / ".complete").exists() for p, v in wanted):
        subprocess.run(
            [sys.executable, str(FETCH_SCRIPT), "--dest", str(ASSET_CACHE)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return ASSET_CACHE


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, driven by Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Offline:
    """Answers a page's web requests from the asset cache; records what it could not."""

    served: list[str] = field(default_factory=list)
    tiles: int = 0
    refused: list[str] = field(default_factory=list)

    def handle(self, route: Any) -> None:
        """A Playwright route handler for every http(s) request.

        A page served by a test's own server on 127.0.0.1 (and what it reads from there,
        such as vector tiles) goes to that server.
        """
        url = route.request.url
        if urlsplit(url).hostname == LOCAL_HOST:
            route.continue_()
            return
        asset = npm_source(url)
        if asset is not None:
            path = package_dir(asset.package, asset.version) / asset.path
            if path.is_file():
                self.served.append(url)
                # as jsDelivr does: the pages load assets with crossorigin (for their SRI)
                route.fulfill(
                    path=str(path),
                    content_type=_content_type(path),
                    headers={"Access-Control-Allow-Origin": "*"},
                )
                return
            self.refused.append(url)
            route.fulfill(status=404, body="not in the npm package")
            return
        if urlsplit(url).hostname in TILE_HOSTS:
            self.tiles += 1
            route.fulfill(body=BLANK_PNG, content_type="image/png")
            return
        self.refused.append(url)
        route.abort()

    def attach(self, context: Any) -> None:
        """Route every http(s) request of a browser context through :meth:`handle`."""
        context.route(lambda url: url.startswith(("http://", "https://")), self.handle)


def _content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    textual = kind.startswith(("text/", "application/javascript"))
    return f"{kind}; charset=utf-8" if textual else kind


@dataclass
class PageLog:
    """JavaScript errors and console errors of one page."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        """Collect uncaught exceptions and ``console.error`` messages of ``page``."""
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )


def open_map(context: Any, path: Path | str, timeout: float = 30_000) -> tuple[Any, PageLog]:
    """Open a map page (a file, or a URL) and wait until its features are drawn."""
    page = context.new_page()
    log = PageLog()
    log.watch(page)
    page.goto(path if isinstance(path, str) else path.resolve().as_uri())
    page.wait_for_function("window.arealkart && window.arealkart.ready === true", timeout=timeout)
    return page, log


COVERAGE = """() => {
  let points = 0, covered = 0;
  for (let x = 5; x < innerWidth; x += 10) {
    for (let y = 5; y < innerHeight; y += 10) {
      points++;
      const el = document.elementFromPoint(x, y);
      if (el && el.closest('.leaflet-control')) { covered++; }
    }
  }
  return covered / points;
}"""
"""The share of the viewport covered by map controls, sampled on a 10 px grid."""


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[dict]:
    """Run axe-core on ``page`` with the WCAG 2.1 A and AA rules; return its violations."""
    # evaluated, not added as a <script>: the pages' policy refuses scripts of no known hash
    page.evaluate((package_dir("axe-core", AXE) / "axe.min.js").read_text(encoding="utf-8"))
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))",
        AXE_TAGS,
    )
