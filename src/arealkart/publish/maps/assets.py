"""The JavaScript and CSS the map pages load from a CDN, and where each comes from on npm.

Every asset is an npm package file served by jsDelivr at
``https://cdn.jsdelivr.net/npm/<package>@<version>/<path>``: the very file of the package
tarball on https://registry.npmjs.org.  Versions are the ones folium pins (Leaflet in
``folium.Map``, each plugin in its ``folium.plugins`` class), so upgrading folium upgrades
the maps' libraries; protomaps-leaflet, which only pages drawn from vector tiles load, is
pinned here (:data:`TILE_ASSETS`).  Tests serve these URLs from a local copy of the tarballs
(``scripts/fetch_map_assets.py``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import folium
from folium import plugins

from arealkart.errors import ConfigError, OutputError
from arealkart.model.resources import package_data

log = logging.getLogger(__name__)

CDN = "https://cdn.jsdelivr.net/npm"
_CDN_URL = re.compile(r"^https://cdn\.jsdelivr\.net/npm/((?:@[^/@]+/)?[^/@]+)@([^/]+)/(.+)$")
_VERSION = re.compile(r"[@/](\d+\.\d+\.\d+)/")


@dataclass(frozen=True)
class Asset:
    """One file of an npm package, as the maps load it."""

    package: str
    version: str
    path: str

    @property
    def url(self) -> str:
        """The jsDelivr URL of the file."""
        return f"{CDN}/{self.package}@{self.version}/{self.path}"

    @property
    def kind(self) -> str:
        """``"js"`` or ``"css"``."""
        return "css" if self.path.endswith(".css") else "js"


def _pinned_version(urls: list[tuple[str, str]]) -> str:
    for _, url in urls:
        match = _VERSION.search(url)
        if match:
            return match.group(1)
    raise ValueError(f"no version in folium's URLs {urls}")  # pragma: no cover


# (package on npm, folium class whose URL pins the version, files in the package)
_LIBRARIES = (
    ("leaflet", folium.Map, ("dist/leaflet.js", "dist/leaflet.css")),
    ("leaflet.fullscreen", plugins.Fullscreen, ("Control.FullScreen.js", "Control.FullScreen.css")),
    (
        "leaflet.locatecontrol",
        plugins.LocateControl,
        ("dist/L.Control.Locate.min.js", "dist/L.Control.Locate.min.css"),
    ),
    (
        "leaflet-measure",
        plugins.MeasureControl,
        ("dist/leaflet-measure.min.js", "dist/leaflet-measure.css"),
    ),
    (
        "leaflet-minimap",
        plugins.MiniMap,
        ("dist/Control.MiniMap.min.js", "dist/Control.MiniMap.min.css"),
    ),
    (
        "leaflet-search",
        plugins.Search,
        ("dist/leaflet-search.min.js", "dist/leaflet-search.min.css"),
    ),
)


TILE_ASSETS = (Asset("protomaps-leaflet", "5.1.0", "dist/protomaps-leaflet.js"),)
"""What a page that draws its areas from vector tiles loads too (it bundles the PMTiles
reader); folium pins no version of it."""


def map_assets() -> list[Asset]:
    """Every CDN file a map page may load, Leaflet first, the tiled pages' last."""
    pinned = [
        Asset(package, _pinned_version(owner.default_js), path)
        for package, owner, paths in _LIBRARIES
        for path in paths
    ]
    return [*pinned, *TILE_ASSETS]


def page_assets(tiles: bool = False) -> list[Asset]:
    """The CDN files a page loads: :data:`TILE_ASSETS` only where it draws tiles."""
    return [a for a in map_assets() if tiles or a not in TILE_ASSETS]


def npm_packages() -> list[tuple[str, str]]:
    """The (package, version) pairs the maps need from npm."""
    return list(dict.fromkeys((a.package, a.version) for a in map_assets()))


def npm_source(url: str) -> Asset | None:
    """The npm package file behind a jsDelivr ``/npm/`` URL, or ``None`` for other URLs."""
    match = _CDN_URL.match(url.split("?", 1)[0].split("#", 1)[0])
    return Asset(*match.groups()) if match else None


@cache
def _integrity_table() -> dict[str, str]:
    with package_data("kart_integritet.csv").open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {row["url"]: row["integrity"] for row in rows}


def integrity(url: str) -> str | None:
    """The Subresource Integrity hash of a CDN file (``data/kart_integritet.csv``)."""
    return _integrity_table().get(url)


ASSET_MODES = ("cdn", "local")
"""Where map pages load Leaflet and the plugins from: jsDelivr, or ``kart/lib/``."""
LIB_FOLDER = "lib"


def check_assets(assets: str) -> None:
    """Raise :class:`~arealkart.errors.ConfigError` for an ``assets`` not in ASSET_MODES."""
    if assets not in ASSET_MODES:
        raise ConfigError(f"unknown assets {assets!r}; expected one of {list(ASSET_MODES)}")


REGISTRY = "https://registry.npmjs.org"


def cdn_url(asset: Asset) -> str:
    """The jsDelivr URL of ``asset`` (how a page loads it with ``--assets cdn``)."""
    return asset.url


def local_url(asset: Asset, prefix: str = "") -> str:
    """The path of ``asset`` under ``kart/lib/`` as a page ``prefix`` away links it."""
    return f"{prefix}{LIB_FOLDER}/{asset.package}@{asset.version}/{asset.path}"


def asset_cache() -> Path:
    """Where verified npm files are kept between builds (``AREALKART_ASSET_CACHE``)."""
    folder = os.environ.get("AREALKART_ASSET_CACHE")
    return Path(folder) if folder else Path.home() / ".cache" / "arealkart" / "map-assets"


def _sha384(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


DONE = ".complete"
"""Marks a package folder whose tarball was checked and unpacked whole."""


def package_dir(cache: Path, package: str, version: str) -> Path:
    """Where a package version is unpacked (``/`` of a scoped name becomes ``+``)."""
    return cache / f"{package.replace('/', '+')}@{version}"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # a fixed https URL
        return bytes(response.read())


def _check_tarball(data: bytes, dist: dict[str, str], name: str) -> None:
    """The tarball has the registry's integrity (or, for old packages, its sha1)."""
    if "integrity" in dist:
        algorithm, _, expected = dist["integrity"].partition("-")
        if algorithm not in {"sha512", "sha384", "sha256"}:
            raise OutputError(None, f"{name}: unsupported integrity {dist['integrity']!r}")
        ok = base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected
    else:
        algorithm, ok = "sha1", hashlib.sha1(data).hexdigest() == dist["shasum"]
    if not ok:
        raise OutputError(None, f"{name}: the tarball does not match the registry's {algorithm}")


def _unpack(data: bytes, target: Path) -> None:
    """Unpack an npm tarball (files under ``package/``) into ``target``, whole or not."""
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(tmp, filter="data")
        roots = [p for p in tmp.iterdir() if p.is_dir()]
        if len(roots) != 1:
            raise OutputError(None, f"unexpected tarball layout: {[p.name for p in roots]}")
        if target.exists():
            shutil.rmtree(target)
        roots[0].replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch_package(package: str, version: str, cache: Path) -> Path:
    """Download, check and unpack one npm package version, unless it is already there."""
    target = package_dir(cache, package, version)
    if (target / DONE).exists():
        return target
    log.info("fetching %s@%s from %s", package, version, REGISTRY)
    name = f"{package}@{version}"
    dist = json.loads(_get(f"{REGISTRY}/{urllib.parse.quote(package, safe='@')}/{version}"))
    dist = dist["dist"]
    data = _get(dist["tarball"])
    _check_tarball(data, dist, name)
    cache.mkdir(parents=True, exist_ok=True)
    _unpack(data, target)
    (target / DONE).write_text(dist.get("integrity", dist.get("shasum", "")) + "\n")
    return target


_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")#]+)['\"]?\s*\)")


def css_references(asset: Asset, css: str) -> list[Asset]:
    """The package files a stylesheet loads (icons, sprites), relative to the stylesheet."""
    folder = posixpath.dirname(asset.path)
    found = []
    for ref in dict.fromkeys(_CSS_URL.findall(css)):
        if ref.startswith(("data:", "http:", "https:", "/")):
            continue
        path = posixpath.normpath(posixpath.join(folder, ref))
        found.append(Asset(asset.package, asset.version, path))
    return found


def asset_files(read: Callable[[Asset], bytes]) -> list[Asset]:
    """Every file of the pages' libraries: :func:`map_assets` and what their CSS loads."""
    files = map_assets()
    for asset in [a for a in files if a.kind == "css"]:
        files += css_references(asset, read(asset).decode("utf-8"))
    return list(dict.fromkeys(files))


def copy_assets(lib: Path) -> list[Path]:
    """Copy every file the pages load into ``lib`` (``kart/lib``), each checked by its hash.

    Files come from :func:`asset_cache`, fetched from the npm registry the first time;
    each must have the SHA-384 of ``data/kart_integritet.csv``.

    Raises
    ------
    OutputError
        If a file cannot be fetched, or does not have the hash the pages expect.
    """
    cache = asset_cache()

    def read(asset: Asset) -> bytes:
        source = package_dir(cache, asset.package, asset.version) / asset.path
        if not source.is_file():
            try:
                fetch_package(asset.package, asset.version, cache)
            except (OSError, tarfile.TarError, ValueError, KeyError) as exc:
                raise OutputError(
                    lib,
                    f"cannot get {asset.package}@{asset.version} for --assets local from "
                    f"{REGISTRY} ({exc}); run once with a network connection, put the files "
                    f"in {cache}, or use --assets cdn",
                ) from None
        data = source.read_bytes() if source.is_file() else b""
        if _sha384(data) != integrity(asset.url):
            raise OutputError(
                source,
                f"not the {asset.package}@{asset.version} file the maps expect (its SHA-384 "
                "differs from data/kart_integritet.csv); delete it to fetch it again",
            )
        return data

    written = []
    for asset in asset_files(read):
        target = lib / local_url(asset).removeprefix(f"{LIB_FOLDER}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read(asset))
        written.append(target)
    return written
