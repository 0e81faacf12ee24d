"""The pygeoapi config of a finished build: one collection per served layer, with its texts.

The collections, their titles and descriptions are package data (``tjeneste.toml``,
titles from the maps' own texts in ``kart_tekster.toml``); their ids and layers come from
the one table of output layers (``utdata.toml``).  The config names the build's
GeoPackage by its absolute path, so it can be run from anywhere (``gunicorn`` behind a
web server, see the guide), and is written into the build's service folder
(``serve/pygeoapi.yml``, beside the OpenAPI document ``serve/openapi.yml``), which the
next build keeps (see :mod:`arealkart.publish.site`).

Building the config needs only pyogrio and pyproj; writing it (YAML) and generating the
OpenAPI document need pygeoapi, the optional extra ``arealkart[serve]``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyogrio
from pyproj import Transformer

from arealkart.ask.index import build_path
from arealkart.errors import ConfigError, QueryError
from arealkart.model.output_layers import OUTPUT_LAYERS
from arealkart.model.resources import package_data
from arealkart.model.vocabulary import LANGUAGES, REGION_NUMBER
from arealkart.publish.site import SERVICE_FOLDER
from arealkart.registry.style import style, texts

__all__ = [
    "CONFIG_FILE",
    "CRS84",
    "OPENAPI_FILE",
    "PROVIDER",
    "STORAGE_CRS",
    "Service",
    "collection_texts",
    "service_config",
    "service_folder",
    "service_url",
]

CONFIG_FILE = "pygeoapi.yml"
"""File name of the pygeoapi config in the service folder."""
OPENAPI_FILE = "openapi.yml"
"""File name of the OpenAPI document in the service folder."""
PROVIDER = "arealkart.serve.provider.GeoPackageProvider"
"""The provider class pygeoapi loads for every collection (by dotted name)."""
STORAGE_CRS = "http://www.opengis.net/def/crs/EPSG/0/25832"
"""The GeoPackage's CRS (UTM zone 32N, ETRS89): what the data is stored and measured in."""
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
"""WGS84 longitude/latitude, the OGC API's default output CRS."""

_LIMITS = {"default_items": 100, "max_items": 10_000}
"""Features per page when a client asks for none, and the most it may ask for."""


@dataclass(frozen=True)
class Service:
    """The files of a build's service and where it answers.

    Attributes
    ----------
    config
        The pygeoapi config (``serve/pygeoapi.yml``).
    openapi
        The OpenAPI document generated from it (``serve/openapi.yml``).
    url
        The service's public address (its links point there).
    """

    config: Path
    openapi: Path
    url: str


@cache
def _service_table() -> dict[str, Any]:
    with package_data("tjeneste.toml").open("rb") as fh:
        return tomllib.load(fh)


def collection_texts(layer: str, region: str) -> dict[str, dict[str, str]]:
    """The title and description of a served ``layer`` in every language.

    Returns ``{"title": {lang: text}, "description": {lang: text}}``.

    Raises
    ------
    ConfigError
        If ``tjeneste.toml`` lacks the layer, a language or the map text it names.
    """
    spec = _service_table()["samlinger"].get(layer)
    if spec is None:
        raise ConfigError(f"tjeneste.toml: no [samlinger.{layer}] table")
    return _texts_of(spec, f"samlinger.{layer}", region)


def _texts_of(spec: Mapping[str, Any], where: str, region: str) -> dict[str, dict[str, str]]:
    title, description = spec.get("tittel"), spec.get("beskrivelse") or {}
    out: dict[str, dict[str, str]] = {"title": {}, "description": {}}
    for lang in LANGUAGES:
        if isinstance(title, str):
            if title not in texts(lang):
                raise ConfigError(
                    f"tjeneste.toml [{where}]: tittel {title!r} is not a key of kart_tekster.toml"
                )
            out["title"][lang] = texts(lang)[title].replace("{region}", region)
        elif isinstance(title, Mapping) and lang in title:
            out["title"][lang] = str(title[lang])
        else:
            raise ConfigError(f"tjeneste.toml [{where}]: no tittel in {lang!r}")
        if lang not in description:
            raise ConfigError(f"tjeneste.toml [{where}]: no beskrivelse in {lang!r}")
        out["description"][lang] = str(description[lang])
    return out


def service_url(host: str, port: int) -> str:
    """The address a server bound to ``host:port`` answers at (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def service_config(
    source: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    url: str | None = None,
) -> dict[str, Any]:
    """The pygeoapi config serving the build at ``source`` (its folder or GeoPackage).

    Parameters
    ----------
    host, port
        Where the server listens.
    url
        The public address, when a web server in front of it answers elsewhere
        (default: ``http://host:port``).

    Raises
    ------
    QueryError
        If there is no build at ``source``.
    ConfigError
        If the GeoPackage lacks a served layer, or the service texts are incomplete.
    """
    gpkg = build_path(source).resolve()
    layers = _layers(gpkg)
    region = _region_name(gpkg)
    languages = _languages(gpkg.parent)
    base = (url or service_url(host, port)).rstrip("/")
    table = _service_table()["tjeneste"]
    service = _texts_of(table, "tjeneste", region)
    extents = {name: _extent(gpkg, name) for name in layers}
    whole = _union([e for e in extents.values() if e is not None])
    background = style()["bakgrunn"][0]
    return {
        "server": {
            "bind": {"host": host, "port": port},
            "url": base,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": languages,
            "pretty_print": False,
            "limits": dict(_LIMITS),
            "map": {"url": background["url"], "attribution": background["attribution"]},
        },
        "logging": {"level": "WARNING"},
        "metadata": {
            "identification": {
                "title": service["title"],
                "description": service["description"],
                "keywords": list(table["nokkelord"]),
                "keywords_type": "theme",
                "terms_of_service": dict(table["lisens"]),
                "url": base,
            },
            "license": {"name": dict(table["lisens"]), "url": base},
            "provider": {"name": region, "url": base},
            "contact": {"name": region},
        },
        "resources": {
            name: _collection(gpkg, name, region, extents[name] or whole) for name in layers
        },
    }


def _collection(gpkg: Path, layer: str, region: str, bbox: list[float]) -> dict[str, Any]:
    words = collection_texts(layer, region)
    return {
        "type": "collection",
        "title": words["title"],
        "description": words["description"],
        "keywords": [layer, *_service_table()["tjeneste"]["nokkelord"][:2]],
        "extents": {"spatial": {"bbox": bbox, "crs": CRS84}},
        "providers": [_provider(gpkg, layer)],
    }


def _provider(gpkg: Path, layer: str) -> dict[str, Any]:
    spec = _service_table()["samlinger"][layer]
    provider: dict[str, Any] = {
        "type": "feature",
        "name": PROVIDER,
        "data": str(gpkg),
        "table": layer,
        "storage_crs": STORAGE_CRS,
        "crs": [CRS84, STORAGE_CRS],
        # every other query parameter reaches the provider, which refuses an unknown one
        # (400) instead of answering as if it were not there (a typo would return all)
        "include_extra_query_parameters": True,
    }
    id_column = OUTPUT_LAYERS[layer].id
    if id_column is not None:
        provider["id_field"] = id_column
    elif spec.get("id"):
        provider["options"] = {"id_columns": list(spec["id"])}
    else:
        raise ConfigError(
            f"tjeneste.toml [samlinger.{layer}]: the layer has no id column (utdata.toml), "
            "so it needs id = [columns]"
        )
    return provider


def _layers(gpkg: Path) -> list[str]:
    """The served layers, in ``tjeneste.toml``'s order; all must be in the GeoPackage."""
    wanted = list(_service_table()["samlinger"])
    unknown = [name for name in wanted if name not in OUTPUT_LAYERS]
    if unknown:
        raise ConfigError(f"tjeneste.toml serves layers that no build writes: {unknown}")
    present = {str(name) for name in _list_layers(gpkg)[:, 0]}
    missing = [name for name in wanted if name not in present]
    if missing:
        raise ConfigError(f"{gpkg}: no layer {missing}; rebuild with 'arealkart build'")
    return wanted


def _list_layers(gpkg: Path) -> Any:
    try:
        return pyogrio.list_layers(gpkg)
    except Exception as exc:  # GDAL raises many types for broken files
        raise QueryError(f"{gpkg}: cannot be read as a GeoPackage: {exc}") from None


def _extent(gpkg: Path, layer: str) -> list[float] | None:
    """The layer's extent in CRS84 (``None`` for a table or an empty layer)."""
    info = pyogrio.read_info(gpkg, layer=layer, force_total_bounds=True)
    bounds = info.get("total_bounds")
    if not info["geometry_type"] or bounds is None or not info["features"]:
        return None
    to_lonlat = Transformer.from_crs(info["crs"], "OGC:CRS84", always_xy=True)
    x0, y0, x1, y1 = (float(v) for v in bounds)
    west, south, east, north = to_lonlat.transform_bounds(x0, y0, x1, y1, densify_pts=21)
    return [round(v, 6) for v in (west, south, east, north)]


def _union(boxes: list[list[float]]) -> list[float]:
    if not boxes:
        return [-180.0, -90.0, 180.0, 90.0]
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _region_name(gpkg: Path) -> str:
    """The region's name: the summary's region row (municipality number 0000)."""
    frame = pyogrio.read_dataframe(
        gpkg,
        layer="sammendrag",
        columns=["kommune"],
        read_geometry=False,
        where=f"kommunenummer = '{REGION_NUMBER}'",
        max_features=1,
    )
    return str(frame["kommune"].iloc[0]) if len(frame) else gpkg.parent.name


_HTML_LANG = re.compile(rb'<html lang="([a-z]{2})"')


def _languages(folder: Path) -> list[str]:
    """Every map language, the build's main one first (its maps' index page's ``lang``)."""
    index = folder / "kart" / "index.html"
    main = "nb"
    if index.is_file():
        with index.open("rb") as fh:
            found = _HTML_LANG.search(fh.read(512))
        if found and found[1].decode() in LANGUAGES:
            main = found[1].decode()
    return [main, *(lang for lang in LANGUAGES if lang != main)]


def service_folder(gpkg: Path) -> Path:
    """The service folder beside a build's GeoPackage."""
    return gpkg.parent / SERVICE_FOLDER
