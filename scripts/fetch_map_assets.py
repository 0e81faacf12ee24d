"""Fetch the npm packages the maps load from a CDN, so tests can serve them offline.

Also axe-core, with which the browser tests check the pages' accessibility.

Every map page loads Leaflet and its plugins from jsDelivr's ``/npm/`` mirror (see
``arealkart.publish.maps.assets``).  This script downloads the very same package versions as
tarballs from the npm registry, checks each against the registry's SHA-512 integrity, and
unpacks it into ``.cache/map-assets/<package>@<version>/``.  The browser tests answer
every CDN request from there.  Run by ``bash scripts/install.sh --test``, and by the tests
themselves when the cache is missing::

    .venv/bin/python scripts/fetch_map_assets.py [--dest .cache/map-assets]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sys
from pathlib import Path

from arealkart.publish.maps.assets import (
    Asset,
    asset_files,
    fetch_package,
    npm_packages,
    package_dir,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEST = ROOT / ".cache" / "map-assets"
TEST_PACKAGES = (("axe-core", "4.10.2"),)
"""Packages only the tests use: axe-core checks the pages for accessibility (WCAG 2.1)."""


def fetch_all(dest: Path = DEFAULT_DEST) -> list[Path]:
    """Fetch every package the maps and their tests use; return their folders."""
    return [fetch_package(p, v, dest) for p, v in [*npm_packages(), *TEST_PACKAGES]]


INTEGRITY_FILE = ROOT / "src" / "arealkart" / "data" / "kart_integritet.csv"
INTEGRITY_HEAD = """\
# Every file the maps load (scripts, stylesheets, the images those load) with its
# Subresource Integrity: the SHA-384 of the file in its npm tarball, which
# scripts/fetch_map_assets.py checks against the npm registry.  Regenerate with:
# .venv/bin/python scripts/fetch_map_assets.py --integrity
url,integrity
"""


def integrity_table(dest: Path = DEFAULT_DEST) -> str:
    """The text of ``kart_integritet.csv`` from the verified package files in ``dest``."""

    def read(asset: Asset) -> bytes:
        return (package_dir(dest, asset.package, asset.version) / asset.path).read_bytes()

    lines = []
    for asset in asset_files(read):
        digest = base64.b64encode(hashlib.sha384(read(asset)).digest()).decode()
        lines.append(f"{asset.url},sha384-{digest}\n")
    return INTEGRITY_HEAD + "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="cache folder")
    parser.add_argument(
        "--integrity", action="store_true", help=f"also write {INTEGRITY_FILE.name}"
    )
    args = parser.parse_args(argv)
    for path in fetch_all(args.dest):
        print(f"map assets: {path.name}")
    if args.integrity:
        INTEGRITY_FILE.write_text(integrity_table(args.dest), encoding="utf-8")
        print(f"wrote {INTEGRITY_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
