"""A region's configuration: which files hold each municipality's data, and parameters.

A TOML file, paths relative to the file itself::

    [region]
    navn = "Vest-Telemark"
    slug = "vest-telemark"
    attribution = "Plandata © kommunene"

    [parameters]              # optional: see arealkart/data/parametere.toml
    regel = "ssb"
    min_areal = { bolig = 500 }

    [kategorier]              # optional: a category override file (see classify.py)
    overstyring = "kategorier.csv"

    [farger]                  # optional: map colours by category
    bolig = "#ffcc00"

    [[kommune]]
    kommune = "Vinje"         # any name or number form
    plans = ["vinje/planer.sos"]
    constraints = ["vinje/hensyn.gpkg"]
    buildings = ["vinje/bygg.fgb"]
    plots = [{ register = "vinje/tomter.csv", geometry = "vinje/tomter.geojson" }]

Each file entry is a path, or a table with ``path`` (or ``register``) and reader options
(``crs``, ``layer``, ``encoding``, ``geometry`` …).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._resources import shipped_data
from .errors import ConfigError
from .kommuner import Kommune, resolve

DEMO_CONFIG = "demo/vest-telemark.toml"
LAYER_KEYS = {
    "plans": None,
    "constraints": "constraints",
    "buildings": "buildings",
    "plots": "plots",
}
"""Config key → the layer kind its files hold (``None``: whatever the file holds)."""


@dataclass(frozen=True)
class Source:
    """One input file and the options to read it with."""

    path: Path
    kind: str | None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MunicipalityInput:
    """The input files of one municipality."""

    kommune: Kommune
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class RegionConfig:
    """A whole region's configuration."""

    navn: str
    slug: str
    attribution: str | None
    municipalities: tuple[MunicipalityInput, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    category_overrides: Path | None = None
    colours: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def demo_config_path() -> Path:
    """The built-in Vest-Telemark demo configuration."""
    return shipped_data(DEMO_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None) -> RegionConfig:
    """Read a region configuration; ``None`` gives the built-in demo.

    Raises
    ------
    ConfigError
        If the file is missing or malformed, naming the key and what was expected.
    """
    path = Path(path) if path is not None else demo_config_path()
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a TOML config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    base = path.parent
    region = raw.get("region", {})
    if "kommune" not in raw or not raw["kommune"]:
        raise ConfigError(
            f"{path}: no [[kommune]] entries; each names a municipality and "
            f"its files (plans, constraints, buildings, plots)"
        )
    municipalities = tuple(
        _municipality(entry, base, path, i) for i, entry in enumerate(raw["kommune"], start=1)
    )
    overrides = raw.get("kategorier", {}).get("overstyring")
    return RegionConfig(
        navn=str(region.get("navn", "Region")),
        slug=str(region.get("slug", "region")),
        attribution=region.get("attribution"),
        municipalities=municipalities,
        parameters=dict(raw.get("parameters", {})),
        category_overrides=(base / overrides) if overrides else None,
        colours=dict(raw.get("farger", {})),
        path=path,
    )


def _municipality(entry: dict, base: Path, path: Path, index: int) -> MunicipalityInput:
    if "kommune" not in entry:
        raise ConfigError(f"{path}: [[kommune]] entry {index} has no 'kommune' key")
    kommune = resolve(entry["kommune"])
    unknown = sorted(set(entry) - {"kommune", *LAYER_KEYS})
    if unknown:
        raise ConfigError(
            f"{path}: [[kommune]] {kommune.navn}: unknown keys {unknown}; "
            f"expected {sorted(LAYER_KEYS)}"
        )
    sources = []
    for key, kind in LAYER_KEYS.items():
        for item in entry.get(key, []):
            sources.append(_source(item, kind, base, path, kommune))
    return MunicipalityInput(kommune, tuple(sources))


def _source(item: Any, kind: str | None, base: Path, path: Path, kommune: Kommune) -> Source:
    if isinstance(item, str):
        return Source(base / item, kind)
    if isinstance(item, dict):
        options = dict(item)
        file = options.pop("path", None) or options.pop("register", None)
        if file is None:
            raise ConfigError(
                f"{path}: {kommune.navn}: a file table needs 'path' "
                f"(or 'register' for a plot register), got {item}"
            )
        if "geometry" in options:
            options["geometry"] = base / options["geometry"]
        return Source(base / file, kind, options)
    raise ConfigError(f"{path}: {kommune.navn}: expected a path or a table, got {item!r}")
