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
import io
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from arealkart.publish.maps.assets import Asset, asset_files, npm_packages

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEST = ROOT / ".cache" / "map-assets"
REGISTRY = "https://registry.npmjs.org"
TEST_PACKAGES = (("axe-core", "4.10.2"),)
"""Packages only the tests use: axe-core checks the pages for accessibility (WCAG 2.1)."""
DONE = ".complete"


def package_dir(dest: Path, package: str, version: str) -> Path:
    """Where a package version is unpacked (``/`` of a scoped name becomes ``+``)."""
    return dest / f"{package.replace('/', '+')}@{version}"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def _check_integrity(data: bytes, integrity: str, name: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256"}:
        raise RuntimeError(f"{name}: unsupported integrity {integrity!r}")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise RuntimeError(f"{name}: tarball does not match the registry's {algorithm}")


def _unpack(data: bytes, target: Path) -> None:
    """Unpack an npm tarball (files under ``package/``) into ``target``."""
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(tmp, filter="data")
        roots = [p for p in tmp.iterdir() if p.is_dir()]
        if len(roots) != 1:
            raise RuntimeError(f"unexpected tarball layout: {[p.name for p in roots]}")
        if target.exists():
            shutil.rmtree(target)
        roots[0].replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch(package: str, version: str, dest: Path) -> Path:
    """Download, verify and unpack one package version, unless it is already there."""
    target = package_dir(dest, package, version)
    if (target / DONE).exists():
        return target
    name = urllib.parse.quote(package, safe="@")
    meta = json.loads(_get(f"{REGISTRY}/{name}/{version}"))
    dist = meta["dist"]
    data = _get(dist["tarball"])
    if "integrity" in dist:
        _check_integrity(data, dist["integrity"], f"{package}@{version}")
    elif hashlib.sha1(data).hexdigest() != dist["shasum"]:
        raise RuntimeError(f"{package}@{version}: tarball does not match the registry's sha1")
    dest.mkdir(parents=True, exist_ok=True)
    _unpack(data, target)
    (target / DONE).write_text(dist.get("integrity", dist.get("shasum", "")) + "\n")
    return target


def fetch_all(dest: Path = DEFAULT_DEST) -> list[Path]:
    """Fetch every package the maps and their tests use; return their folders."""
    return [fetch(p, v, dest) for p, v in [*npm_packages(), *TEST_PACKAGES]]


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
