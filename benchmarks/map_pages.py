"""The demo's published map pages as a visitor gets them: size, axe-core, phone coverage.

Builds the demo region (nynorsk, bokmål, English) into a temporary folder and opens every
page kind (index, region, municipality) of each language in headless Chromium (offline,
as the browser tests do), at desktop size and at 390×844.  Prints, per page: its size in
bytes, the number of axe-core WCAG 2.1 A/AA violations at each size, and on the phone the
share of the map that controls cover in the opening state (the issue's goal: ≤ 20 %).

    .venv/bin/python benchmarks/map_pages.py [--keep DIR]

Needs the test set-up (``bash scripts/install.sh --test``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]  # browser, helpers

from arealkart import build  # noqa: E402
from browser import COVERAGE, Offline, axe_violations, ensure_assets, launch  # noqa: E402

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
KINDS = ("index", "vest-telemark", "vinje")


def measure(browser, path: Path, size: str) -> tuple[int, float | None]:
    """axe-core violations of the page at ``size``, and on a phone its control coverage."""
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    Offline().attach(context)
    try:
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        is_map = path.stem != "index"
        if is_map:
            page.wait_for_function("window.arealkart && window.arealkart.ready === true")
        coverage = page.evaluate(COVERAGE) if phone and is_map else None
        return len(axe_violations(page)), coverage
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    ensure_assets()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "output"
        result = build(None, out, workers=2)
        folders = {
            lang: ("" if lang == result.config.language else f"{lang}/")
            for lang in result.config.languages
        }
        print(
            f"{'page':<26} {'bytes':>9} {'axe desktop':>12} {'axe phone':>10} {'phone covered':>14}"
        )
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for lang, folder in folders.items():
                for kind in KINDS:
                    path = out / "kart" / f"{folder}{kind}.html"
                    desktop, _ = measure(browser, path, "desktop")
                    phone, coverage = measure(browser, path, "phone")
                    covered = "–" if coverage is None else f"{coverage:.1%}"
                    name = f"{lang}: {folder}{kind}.html"
                    print(
                        f"{name:<26} {path.stat().st_size:>9,} {desktop:>12} {phone:>10} "
                        f"{covered:>14}"
                    )
            browser.close()


if __name__ == "__main__":
    main()
