"""Take the README's screenshot of the region map (``docs/img/vest-telemark.png``).

Builds the demo's maps into a temporary folder (or uses the maps of a finished build),
opens ``kart/vest-telemark.html`` in headless Chromium exactly as the browser tests do
(``tests/browser/browser.py``): Leaflet and the plugins are answered from the npm packages in
``.cache/map-assets/`` (fetched by ``scripts/fetch_map_assets.py`` if missing), base-map
tiles are blank, nothing goes to the internet.  Saves a 1280 × 800 PNG, reduced to at most
256 colours so it stays small in the repository::

    .venv/bin/python scripts/screenshot.py                       # build the demo, then shoot
    .venv/bin/python scripts/screenshot.py --build output        # use an existing build
    .venv/bin/python scripts/screenshot.py --page kart/en/vinje.html --dest /tmp/vinje.png

Needs the test extras and Chromium (``bash scripts/install.sh --test``).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]  # browser, helpers

from browser import (  # noqa: E402
    VIEWPORT,
    Offline,
    ensure_assets,
    launch,
    missing_requirements,
    open_map,
)

DEFAULT_PAGE = "kart/vest-telemark.html"
DEFAULT_DEST = ROOT / "docs" / "img" / "vest-telemark.png"
COLOURS = 256


def build_demo_maps(folder: Path) -> Path:
    """Build the demo's Norwegian maps into ``folder``; return it."""
    from arealkart import build

    build(None, folder, workers=1, parts=["maps"])
    return folder


def screenshot(page_path: Path, viewport: dict[str, int] = VIEWPORT) -> tuple[bytes, list[str]]:
    """A PNG of ``page_path`` once its features are drawn, and the page's JS errors."""
    from playwright.sync_api import sync_playwright

    ensure_assets()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport=viewport)
            offline = Offline()
            offline.attach(context)
            page, log = open_map(context, page_path)
            page.wait_for_timeout(500)  # let the canvas and the panels settle
            png = page.screenshot(type="png")
        finally:
            browser.close()
    return png, log.errors + [f"refused: {url}" for url in offline.refused]


def optimise(png: bytes, colours: int = COLOURS) -> bytes:
    """The same picture with at most ``colours`` colours, compressed as far as PNG goes."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    reduced = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.NONE)
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, help="a build's output folder (default: build now)")
    parser.add_argument("--page", default=DEFAULT_PAGE, help="map page within the build")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="PNG to write")
    args = parser.parse_args(argv)
    reason = missing_requirements()
    if reason:
        print(f"screenshot: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="arealkart-screenshot-") as tmp:
        folder = args.build if args.build is not None else build_demo_maps(Path(tmp))
        page = folder / args.page
        if not page.is_file():
            print(f"screenshot: {page} not found; run 'arealkart build' first", file=sys.stderr)
            return 1
        png, errors = screenshot(page)
    if errors:
        print("screenshot: the page reported errors:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    args.dest.parent.mkdir(parents=True, exist_ok=True)
    args.dest.write_bytes(optimise(png))
    print(f"wrote {args.dest} ({args.dest.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
