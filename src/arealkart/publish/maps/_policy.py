"""What a saved map page may load and run: Subresource Integrity and a Content-Security-Policy.

Every CDN file gets its ``integrity`` hash (``data/kart_integritet.csv``), so a changed
file on the CDN is refused.  The policy allows the page's own inline scripts (by their
SHA-256), scripts and styles from the asset origin, and images from the tile servers; no
other script runs, so text from plan files that slipped into the page as markup could not
run either.  leaflet-measure compiles its templates at run time (lodash ``_.template``), so
``'unsafe-eval'`` stays; inline ``style`` attributes (set by Leaflet and the panels) need
``'unsafe-inline'`` for styles only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from arealkart.publish.maps.assets import CDN, integrity
from arealkart.registry.style import style

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_ASSET_TAG = re.compile(r'<(script src|link rel="stylesheet" href)="([^"]+)"')


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _with_integrity(page: str) -> str:
    def add(match: re.Match[str]) -> str:
        known = integrity(match.group(2))
        if known is None:
            return match.group(0)
        return f'{match.group(0)} integrity="{known}" crossorigin="anonymous"'

    return _ASSET_TAG.sub(add, page)


def content_security_policy(page: str, *, connect: bool = False) -> str:
    """The policy for ``page``: its inline scripts by hash, its assets' origin, the tiles.

    A page that loads its libraries from ``kart/lib/`` (``--assets local``) allows
    ``'self'`` instead of the CDN.  ``connect``: the page reads its vector tiles
    (``kart/<slug>.pmtiles``) from its own origin.
    """
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode('utf-8')).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(page)
    )
    source = _origin(CDN) if CDN in page else "'self'"  # --assets local: kart/lib/
    tiles = " ".join(sorted({_origin(layer["url"]) for layer in style()["bakgrunn"]}))
    reads = "connect-src 'self'; " if connect else ""
    return (
        f"default-src 'none'; script-src {hashes} 'unsafe-eval' {source}; "
        f"style-src 'unsafe-inline' {source}; img-src data: {source} {tiles}; "
        f"{reads}base-uri 'none'; form-action 'none'"
    )


def secured(page: str, *, connect: bool = False) -> str:
    """``page`` with integrity hashes on its CDN files and its policy as a meta tag.

    ``connect``: the page reads vector tiles from its own origin.
    """
    page = _with_integrity(page)
    policy = content_security_policy(page, connect=connect)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return page.replace("<head>", f"<head>\n    {meta}", 1)
