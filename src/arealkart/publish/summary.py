"""Summary tables: free land per municipality × category, and region totals."""

from __future__ import annotations

import pandas as pd

from arealkart.available.rule import AvailableLand
from arealkart.model.vocabulary import BUILDING_CATEGORIES, MIXED_USES, REGION_NUMBER
from arealkart.registry.kommuner import names as municipality_names

__all__ = ["COLUMNS", "MIXED_USES", "summarise", "summarised_plots", "summarised_zones"]

COLUMNS = [
    "kommunenummer",
    "kommune",
    "kategori",
    "soner",
    "ledige_arealer",
    "ledig_m2",
    "ledig_daa",
    "tomter",
    "ledige_tomter",
    "tomter_estimert",
    "boliger_helars",
    "boliger_fritid",
    "blandede_soner",
    "blandet_ledig_daa",
]


def summarise(result: AvailableLand, region: str = "Vest-Telemark") -> pd.DataFrame:
    """Free land per municipality and building category, with region totals.

    Parameters
    ----------
    result
        The result of :func:`arealkart.available_land`.
    region
        Name written in the ``kommune`` column of the region-total rows (whose
        ``kommunenummer`` is ``"0000"``).

    Returns
    -------
    pandas.DataFrame
        One row per (municipality, category) for every municipality in the result and
        every building category, zeros where there is nothing; then one region row per
        category.  Columns: :data:`COLUMNS`.
    """
    zones = summarised_zones(result.zones)
    plots = summarised_plots(result.plots)
    numbers = sorted(set(result.zones["kommunenummer"]) | set(result.plots["kommunenummer"]))
    grid = pd.MultiIndex.from_product(
        [numbers, BUILDING_CATEGORIES], names=["kommunenummer", "kategori"]
    )
    keys = ["kommunenummer", "kategori"]
    mixed = zones[zones["bruk"].isin(MIXED_USES)] if "bruk" in zones.columns else zones.iloc[0:0]
    parts = {
        "soner": zones.groupby(keys).size(),
        "ledige_arealer": result.free.groupby(keys).size(),
        "ledig_m2": result.free.groupby(keys)["areal_m2"].sum(),
        "tomter": plots.groupby(keys).size(),
        "ledige_tomter": plots[plots["status"] == "ledig"].groupby(keys).size(),
        "tomter_estimert": zones.groupby(keys)["tomter_estimert"].sum(),
        **_homes(zones, keys),
        "blandede_soner": mixed.groupby(keys).size(),
        "blandet_ledig_m2": mixed.groupby(keys)["ledig_m2"].sum(),
    }
    table = pd.DataFrame({name: s.reindex(grid) for name, s in parts.items()}).fillna(0)
    table = table.reset_index()
    table["kommune"] = table["kommunenummer"].map(municipality_names(table["kommunenummer"]))
    totals = table.groupby("kategori", sort=False)[list(parts)].sum().reset_index()
    totals["kommunenummer"] = REGION_NUMBER
    totals["kommune"] = region
    out = pd.concat([table, totals], ignore_index=True)
    out["ledig_daa"] = out["ledig_m2"] / 1000.0
    out["blandet_ledig_daa"] = (out["blandet_ledig_m2"] / 1000.0).round(3)
    counts = ("soner", "ledige_arealer", "tomter", "ledige_tomter", "tomter_estimert")
    for column in (*counts, "boliger_helars", "boliger_fritid", "blandede_soner"):
        out[column] = out[column].astype(int)
    out["ledig_m2"] = out["ledig_m2"].round(1)
    out["ledig_daa"] = out["ledig_daa"].round(3)
    return out[COLUMNS]


def summarised_zones(zones: pd.DataFrame) -> pd.DataFrame:
    """The zones the summary counts: of a building category, and not ``ikke_byggeland``."""
    counted = zones["kategori"].isin(BUILDING_CATEGORIES) & (zones["status"] != "ikke_byggeland")
    return zones[counted]


def summarised_plots(plots: pd.DataFrame) -> pd.DataFrame:
    """The plots the summary counts: those in a zone of a building category."""
    return plots[plots["kategori"].isin(BUILDING_CATEGORIES)]


def _homes(zones: pd.DataFrame, keys: list[str]) -> dict[str, pd.Series]:
    """Year-round and leisure homes standing in the zones (zeros without the columns)."""
    return {
        column: zones.groupby(keys)[column].sum() if column in zones.columns else pd.Series()
        for column in ("boliger_helars", "boliger_fritid")
    }
