"""A build's scopes: the region and each municipality, with their parts of the result.

The maps and the report are written per scope; both take the scopes from here, cut once
per build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from arealkart.available.rule import AvailableLand
from arealkart.errors import ConfigError
from arealkart.model.vocabulary import REGION_NUMBER
from arealkart.publish.result import BuildResult

__all__ = ["Scope", "build_scopes", "find_scope", "municipal_parts"]


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
    for m in cfg.municipalities:
        number = m.kommune.nummer
        scopes.append(
            Scope(
                m.kommune.slug,
                m.kommune.navn,
                number,
                municipal_parts(result, number),
                borders[borders["kommunenummer"] == number],
                summary[summary["kommunenummer"] == number],
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

    def cut(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return gdf[gdf["kommunenummer"] == kommunenummer]

    return AvailableLand(
        cut(result.zones),
        cut(result.free),
        cut(result.plots),
        cut(result.built),
        cut(result.blocked),
        result.issues,
        result.parameters,
    )
