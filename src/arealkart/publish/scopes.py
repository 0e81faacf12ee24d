"""A build's scopes: the region and each municipality, with their parts of the result.

The maps and the report are written per scope; both take the scopes from here, cut once
per build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from arealkart.available.rule import AvailableLand
from arealkart.config import RegionConfig
from arealkart.errors import ConfigError
from arealkart.model.plandata import PlanData
from arealkart.model.vocabulary import REGION_NUMBER
from arealkart.publish.result import BuildResult

__all__ = [
    "Scope",
    "build_scopes",
    "find_scope",
    "input_labels",
    "municipal_build",
    "municipal_parts",
]


@dataclass(frozen=True)
class Scope:
    """One page's part of a build: a municipality's, or the region's.

    Attributes
    ----------
    slug
        The page's file name without ``.html`` (the region's slug, or the municipality's).
    kommune
        The municipality's name; ``None`` for the region.
    kommunenummer
        The municipality's number; :data:`~arealkart.model.vocabulary.REGION_NUMBER` for
        the region (the number of the summary's total rows).
    result
        The scope's zones, free areas, plots, built and blocked parts.
    borders
        The scope's municipal borders.
    summary
        The scope's rows of the summary: the region's are all of them, the municipality
        rows and the totals.
    """

    slug: str
    kommune: str | None
    kommunenummer: str
    result: AvailableLand
    borders: gpd.GeoDataFrame
    summary: pd.DataFrame


def build_scopes(build: BuildResult) -> list[Scope]:
    """The region and each municipality of the config, in its order, the region first."""
    cfg, result, summary = build.config, build.result, build.summary
    borders = cfg.boundaries()
    scopes = [Scope(cfg.slug, None, REGION_NUMBER, result, borders, summary)]
    parts = _by_municipality(result)
    border_rows = _rows_by_number(borders)
    summary_rows = _rows_by_number(summary)
    for m in cfg.municipalities:
        number = m.kommune.nummer
        scopes.append(
            Scope(
                m.kommune.slug,
                m.kommune.navn,
                number,
                parts(number),
                borders.iloc[border_rows.get(number, [])],
                summary.iloc[summary_rows.get(number, [])],
            )
        )
    return scopes


def find_scope(scopes: Sequence[Scope], name: str) -> Scope:
    """The scope whose slug or municipality number is ``name``.

    Raises
    ------
    ConfigError
        For a name that is neither; the message lists the slugs.
    """
    for scope in scopes:
        if name in (scope.slug, scope.kommunenummer):
            return scope
    raise ConfigError(f"unknown scope {name!r}; expected one of {[s.slug for s in scopes]}")


def municipal_parts(result: AvailableLand, kommunenummer: str) -> AvailableLand:
    """The part of ``result`` in one municipality (issues and parameters as they are)."""
    return _by_municipality(result)(kommunenummer)


def _by_municipality(result: AvailableLand) -> Callable[[str], AvailableLand]:
    """A function giving each municipality's part of ``result``: its layers grouped once.

    Cutting every layer by a comparison per municipality would cost the layers' length
    times the municipalities (a national build: 1 M rows × 356).
    """
    layers = ("zones", "free", "plots", "built", "blocked")
    rows = {name: _rows_by_number(getattr(result, name)) for name in layers}

    def part(number: str) -> AvailableLand:
        cut = {n: getattr(result, n).iloc[rows[n].get(number, [])] for n in layers}
        return AvailableLand(**cut, issues=result.issues, parameters=result.parameters)

    return part


def _rows_by_number(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The row positions of each ``kommunenummer`` of ``frame``, in their order."""
    if not len(frame):
        return {}
    groups = frame.groupby("kommunenummer", sort=False, dropna=True).indices
    return {str(number): np.asarray(rows) for number, rows in groups.items()}


def input_labels(config: RegionConfig, kommunenummer: str) -> set[str]:
    """The labels (as in the issues report) of one municipality's input files."""
    labels = set()
    for m in config.municipalities:
        if m.kommune.nummer != kommunenummer:
            continue
        for source in m.sources:
            labels.add(config.label(source.path))
            if "geometry" in source.options:
                labels.add(config.label(source.options["geometry"]))
    return labels


def municipal_build(build: BuildResult, scope: Scope) -> tuple[BuildResult, Scope]:
    """A build cut to one municipality's scope, and the scope: what its pages read, no more.

    Its zones as read, its part of the result (with the issues of its own files, not the
    region's), its rows of the summary and of the issues report, its border.  Rows are
    numbered from 0: in the region's frames a municipality's row labels follow the rows of
    the municipalities before it, and would change with theirs.  A municipality's pages
    made from these are those made from the whole build, and change only when its own
    part does.
    """
    cfg = build.config
    zones = build.data.zones
    own_zones = zones.iloc[_rows_by_number(zones).get(scope.kommunenummer, [])]
    issues = build.issues[build.issues["file"].isin(input_labels(cfg, scope.kommunenummer))]
    layers = {name: _renumbered(getattr(scope.result, name)) for name in AvailableLand.LAYERS}
    result = replace(scope.result, **layers, issues=issues.iloc[0:0])
    summary = _renumbered(scope.summary)
    own = BuildResult(
        cfg,
        PlanData(zones=_renumbered(own_zones)),
        result,
        summary,
        _renumbered(issues),
        build.balance.iloc[0:0],
    )
    return own, replace(scope, result=result, borders=_renumbered(scope.borders), summary=summary)


FrameT = TypeVar("FrameT", bound=pd.DataFrame)


def _renumbered(frame: FrameT) -> FrameT:
    return frame.reset_index(drop=True)
