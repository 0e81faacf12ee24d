"""Read plan data from any supported file into the canonical layers.

:func:`read_plan` looks at a file's first bytes (not only its name) and hands it to the
reader for its format:

===============  ===========================  =========================================
format           recognised by                reader
===============  ===========================  =========================================
SOSI (.sos)      ``.HODE`` at the start        :func:`arealkart.sosi.read_sosi`
plan GML         XML with a GML namespace      :func:`arealkart.gml.read_gml`
GeoPackage       SQLite header                 :func:`arealkart.vector.read_vector`
FlatGeobuf       ``fgb`` magic bytes           :func:`arealkart.vector.read_vector`
Shapefile        ``.shp`` file code 9994       :func:`arealkart.vector.read_vector`
GeoJSON          JSON object                   :func:`arealkart.vector.read_vector`
CSV              text with a header line       :func:`arealkart.vector.read_csv_plots`
===============  ===========================  =========================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .errors import FormatError, open_input
from .issues import concat_issues, issues_frame
from .schema import LAYERS, conform, empty

KINDS = tuple(LAYERS)


@dataclass(frozen=True)
class PlanData:
    """What was read from one or more files: the four canonical layers and the issues met.

    Attributes
    ----------
    zones, constraints, plots, buildings
        Canonical layers (see :mod:`arealkart.schema`), empty where the input has none.
    issues
        Issues report rows (see :mod:`arealkart.issues`).
    counts
        Features read per ``(file, layer)``: the input side of the accounting.
    """

    zones: gpd.GeoDataFrame = field(default_factory=lambda: empty("zones"))
    constraints: gpd.GeoDataFrame = field(default_factory=lambda: empty("constraints"))
    plots: gpd.GeoDataFrame = field(default_factory=lambda: empty("plots"))
    buildings: gpd.GeoDataFrame = field(default_factory=lambda: empty("buildings"))
    issues: pd.DataFrame = field(default_factory=issues_frame)
    counts: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["file", "layer", "features"])
    )

    def layer(self, kind: str) -> gpd.GeoDataFrame:
        """Return the layer of ``kind`` (``zones``, ``constraints``, ``plots``, ``buildings``)."""
        return getattr(self, kind)

    def __iter__(self):
        return iter((self.zones, self.constraints, self.plots, self.buildings))


def combine(parts: Iterable[PlanData]) -> PlanData:
    """Concatenate several :class:`PlanData` into one."""
    parts = list(parts)
    if not parts:
        return PlanData()
    layers = {kind: concat_layers([p.layer(kind) for p in parts], kind) for kind in KINDS}
    counts = pd.concat([p.counts for p in parts if len(p.counts)] or [PlanData().counts])
    return PlanData(
        **layers,
        issues=concat_issues(p.issues for p in parts),
        counts=counts.reset_index(drop=True),
    )


def concat_layers(frames: list[gpd.GeoDataFrame], kind: str) -> gpd.GeoDataFrame:
    """Concatenate layers of one kind, keeping the canonical columns and dtypes."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty(kind)
    out = pd.concat(frames, ignore_index=True)
    return conform(gpd.GeoDataFrame(out, geometry="geometry", crs=frames[0].crs), kind)


def relabel(data: PlanData, names: dict[str, str]) -> PlanData:
    """Rename input files in ``source``, ``counts`` and ``issues``.

    Used to label files by their path relative to a region config, so that two
    municipalities' ``planer.geojson`` stay apart.

    Parameters
    ----------
    data
        What was read.
    names
        Old file name → new label.
    """
    if not names:
        return data
    pattern = "|".join(re.escape(old) for old in sorted(names, key=len, reverse=True))
    regex = rf"(^|\|)({pattern})#"

    def fix(values: pd.Series) -> pd.Series:
        return values.astype("string").str.replace(
            regex, lambda m: f"{m.group(1)}{names[m.group(2)]}#", regex=True
        )

    layers = {}
    for kind in KINDS:
        layer = data.layer(kind)
        layers[kind] = layer.assign(source=fix(layer["source"])) if len(layer) else layer
    issues = data.issues.assign(file=data.issues["file"].replace(names))
    counts = data.counts.assign(file=data.counts["file"].replace(names))
    return replace(data, **layers, issues=issues, counts=counts)


def read_plan(path: str | os.PathLike[str], **options: Any) -> PlanData:
    """Read any supported plan, plot or building file into the canonical layers.

    Parameters
    ----------
    path
        A SOSI, plan GML, GeoPackage, Shapefile, GeoJSON, FlatGeobuf or CSV file.
    **options
        Passed to the format's reader: e.g. ``kind`` (which layer a GIS export holds),
        ``kommune``, ``crs`` (for a file without one), ``engine`` (``"pyogrio"`` or
        ``"fiona"``), ``columns`` (extra column aliases), ``encoding``.

    Returns
    -------
    PlanData
        The layers found (empty where the file has none) and the issues met.

    Raises
    ------
    InputError
        If the file is missing, is a folder, is empty, or its format is not recognised.
    """
    path = Path(path)
    reader = _reader_for(path)
    data = reader(path, **options)
    return replace(data, **{k: conform(data.layer(k), k) for k in KINDS})


def sniff_format(path: Path) -> str:
    """Name the format of ``path`` from its first bytes.

    One of ``sosi``, ``gml``, ``gpkg``, ``fgb``, ``shp``, ``geojson`` or ``csv``.

    Raises
    ------
    InputError
        If the file cannot be opened, is empty, or is of no supported format.
    """
    head = _head(path)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FormatError(path, "the file is empty")
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"fgb\x03"):
        return "fgb"
    if head[:4] == b"\x00\x00\x27\x0a":
        return "shp"
    if stripped.startswith(b".HODE"):
        return "sosi"
    if stripped.startswith(b"<"):
        if b"opengis.net/gml" in head:
            return "gml"
        raise FormatError(path, "XML without a GML namespace; expected SOSI plan GML 3.2")
    if stripped.startswith(b"{"):
        return "geojson"
    if _looks_like_text(head):
        return "csv"
    raise FormatError(
        path,
        "unrecognised file format; expected SOSI (.sos), plan GML, GeoPackage, Shapefile, "
        "GeoJSON, FlatGeobuf or a CSV plot register",
    )


def _head(path: Path, size: int = 4096) -> bytes:
    with open_input(path) as fh:
        return fh.read(size)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls <= len(head) // 100


def _reader_for(path: Path) -> Callable[..., PlanData]:
    fmt = sniff_format(path)
    if fmt == "sosi":
        from .sosi import read_sosi

        return read_sosi
    if fmt == "gml":
        from .gml import read_gml

        return read_gml
    from .vector import read_csv_plots, read_vector

    return read_csv_plots if fmt == "csv" else read_vector
