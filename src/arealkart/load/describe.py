"""What an input file holds, before building: ``arealkart info``.

:func:`describe` names a file's format, lists the layers GDAL sees in it and reads it as
:func:`~arealkart.load.read.read_plan` would, so a notebook can look at a file the same
way the CLI does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio

from arealkart.errors import ArealkartError
from arealkart.load.read import read_plan, sniff_format
from arealkart.model.plandata import PlanData

__all__ = ["FileDescription", "GdalLayer", "describe", "gdal_layers"]


@dataclass(frozen=True)
class GdalLayer:
    """One layer as GDAL sees it; ``error`` says why it could not be read (else ``None``)."""

    name: str
    features: int | None = None
    geometry_type: str | None = None
    crs: str | None = None
    fields: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class FileDescription:
    """What :func:`describe` found: the format, GDAL's layers and what arealkart reads.

    ``data`` is what :func:`~arealkart.load.read.read_plan` read, or ``None`` when it
    could not read the file; ``error`` then says why.
    """

    path: Path
    format: str
    layers: tuple[GdalLayer, ...]
    data: PlanData | None
    error: ArealkartError | None = None


def describe(path: str | os.PathLike[str], **options: Any) -> FileDescription:
    """Describe an input file: its format, the layers GDAL sees, and what arealkart reads.

    Parameters
    ----------
    path
        Any file :func:`~arealkart.load.read.read_plan` takes.
    **options
        Passed to :func:`~arealkart.load.read.read_plan` (``kind``, ``kommune``, ``crs``,
        ``layer``, ``geometry``, …).

    Returns
    -------
    FileDescription
        With ``error`` set (and no ``data``) if the file's format is known but reading it
        failed.

    Raises
    ------
    InputError
        If the file is missing, empty or of no supported format.
    """
    path = Path(path)
    fmt = sniff_format(path)
    layers = gdal_layers(path)
    try:
        data = read_plan(path, **options)
    except ArealkartError as exc:
        return FileDescription(path, fmt, layers, None, exc)
    return FileDescription(path, fmt, layers, data)


def gdal_layers(path: Path) -> tuple[GdalLayer, ...]:
    """Every layer GDAL sees in ``path`` (none for a format GDAL cannot read, e.g. SOSI)."""
    try:
        listed = pyogrio.list_layers(path)
    except Exception:  # not a GDAL-readable format (SOSI) or unreadable: reported elsewhere
        return ()
    return tuple(_layer(path, str(name), geometry_type) for name, geometry_type in listed)


def _layer(path: Path, name: str, geometry_type: Any) -> GdalLayer:
    try:
        info = pyogrio.read_info(path, layer=name)
    except Exception as exc:  # GDAL raises several types
        return GdalLayer(name, error=str(exc))
    return GdalLayer(
        name,
        features=int(info["features"]),
        geometry_type=geometry_type or None,
        crs=info.get("crs") or None,
        fields=len(info["fields"]),
    )
