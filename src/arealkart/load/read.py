"""Read plan data from any supported file into the canonical layers.

:func:`read_plan` looks at a file's first bytes (not only its name) and hands it to the
reader for its format:

===============  ===========================  ================================================
format           recognised by                reader (:data:`READERS`)
===============  ===========================  ================================================
SOSI (.sos)      ``.HODE`` at the start        :func:`arealkart.load.sosi.read_sosi`
plan GML         XML with a GML namespace      :func:`arealkart.load.gml.read_gml`
GeoPackage       SQLite header                 :func:`arealkart.load.vector.read_vector`
FlatGeobuf       ``fgb`` magic bytes           :func:`arealkart.load.vector.read_vector`
Shapefile        ``.shp`` file code 9994       :func:`arealkart.load.vector.read_vector`
GeoJSON          JSON object                   :func:`arealkart.load.vector.read_vector`
CSV              text with a header line       :func:`arealkart.load.vector.read_csv_plots`
===============  ===========================  ================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from arealkart.errors import FormatError, open_input
from arealkart.load.gml import read_gml
from arealkart.load.sosi import read_sosi
from arealkart.load.vector import read_csv_plots, read_vector
from arealkart.model.issues import IssueLog, concat_issues, source_feature, source_file
from arealkart.model.plandata import PlanData
from arealkart.model.schema import KINDS, conform, empty

__all__ = ["PLAN_FORMATS", "READERS", "only_kind", "read_plan", "sniff_format"]

READERS: dict[str, Callable[..., PlanData]] = {
    "sosi": read_sosi,
    "gml": read_gml,
    "gpkg": read_vector,
    "fgb": read_vector,
    "shp": read_vector,
    "geojson": read_vector,
    "csv": read_csv_plots,
}
"""The reader for each format :func:`sniff_format` names."""


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
    fmt = sniff_format(path)
    data = READERS[fmt](path, **options)
    if fmt in PLAN_FORMATS:
        data = only_kind(data, path, kind=options.get("kind"), layer=options.get("layer"))
    return replace(data, **{k: conform(data.layer(k), k) for k in KINDS})


PLAN_FORMATS = frozenset({"sosi", "gml"})
"""Formats whose files hold several kinds of layer (zones and constraint zones)."""


def only_kind(
    data: PlanData, path: Path, *, kind: str | None = None, layer: str | None = None
) -> PlanData:
    """Keep only the layer a config entry asks for from a file that holds several.

    A SOSI or GML plan listed under ``constraints`` gives its constraint zones only: its
    zones are reported as ``excluded`` (rule ``annet_lag``), so they are accounted for,
    not built twice.  ``layer`` names the kind to keep the same way.

    Raises
    ------
    FormatError
        For a ``layer`` or ``kind`` the file does not hold, naming those it does.
    """
    wanted = layer or kind
    if wanted is None:
        return data
    present = [k for k in KINDS if len(data.layer(k))]
    if wanted not in KINDS or (layer is not None and wanted not in present):
        raise FormatError(
            path, f"has no layer {wanted!r}; its layers are {present} (one of {list(KINDS)})"
        )
    log = IssueLog()
    dropped = {}
    for other in present:
        if other == wanted:
            continue
        frame = data.layer(other)
        for source in frame["source"]:
            log.add(
                source_file(source),
                source_feature(source),
                other,
                "annet_lag",
                "excluded",
                f"the config lists the file as {wanted}; its {other} are not used from it",
            )
        dropped[other] = empty(other)
    issues = concat_issues([data.issues, log.frame()])
    return replace(data, **dropped, issues=issues)


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
