"""The JavaScript and CSS the map pages load from a CDN, and where each comes from on npm.

Every asset is an npm package file served by jsDelivr at
``https://cdn.jsdelivr.net/npm/<package>@<version>/<path>``: the very file of the package
tarball on https://registry.npmjs.org.  Versions are the ones folium pins (Leaflet in
``folium.Map``, each plugin in its ``folium.plugins`` class), so upgrading folium upgrades
the maps' libraries.  Tests serve these URLs from a local copy of the tarballs
(``scripts/fetch_map_assets.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
from folium import plugins

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


def map_assets() -> list[Asset]:
    """Every CDN file a map page loads, Leaflet first."""
    return [
        Asset(package, _pinned_version(owner.default_js), path)
        for package, owner, paths in _LIBRARIES
        for path in paths
    ]


def npm_packages() -> list[tuple[str, str]]:
    """The (package, version) pairs the maps need from npm."""
    return list(dict.fromkeys((a.package, a.version) for a in map_assets()))


def npm_source(url: str) -> Asset | None:
    """The npm package file behind a jsDelivr ``/npm/`` URL, or ``None`` for other URLs."""
    match = _CDN_URL.match(url.split("?", 1)[0].split("#", 1)[0])
    return Asset(*match.groups()) if match else None
