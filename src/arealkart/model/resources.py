"""Where arealkart finds its package data, its demo data and the region's boundaries."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGE_DIR = Path(str(files("arealkart")))


def package_data(name: str) -> Path:
    """Path of a file in the package's ``data/`` folder (code lists, mappings)."""
    return _PACKAGE_DIR / "data" / name


def shipped_data(name: str) -> Path:
    """Path of a file from the repository's ``data/`` folder (demo data, boundaries).

    An installed wheel carries these under ``arealkart/_data``; an editable install or a
    source checkout reads them from the repository's top-level ``data/``.
    """
    for base in (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parents[1] / "data"):
        if (base / name).exists():
            return base / name
    return _PACKAGE_DIR.parents[1] / "data" / name
