"""What a reader returns: the four canonical layers, the issues met and the features read.

Every reader (:mod:`arealkart.load`) returns a :class:`PlanData`; :func:`combine` joins
several, and :func:`relabel` names input files by their path relative to a region config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from arealkart.model.issues import concat_issues, issues_frame
from arealkart.model.schema import KINDS, conform, empty

__all__ = ["PlanData", "combine", "concat_layers", "relabel"]


@dataclass(frozen=True)
class PlanData:
    """What was read from one or more files: the four canonical layers and the issues met.

    Attributes
    ----------
    zones, constraints, plots, buildings
        Canonical layers (see :mod:`arealkart.model.schema`), empty where the input has none.
    issues
        Issues report rows (see :mod:`arealkart.model.issues`).
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

    def __iter__(self) -> Iterator[gpd.GeoDataFrame]:
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
