"""Which zones count: plans in force, and overlaps between plans.

Only zones of plans in force (``gjeldende_planstatus``) are building land; the others are
excluded and reported.  Where zones of different plans overlap, the plan that takes
precedence wins (regulation plans before master plans, then the newest) and the others are
clipped; every overlap is reported.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.available.engine import INTERIORS_MEET, grouped_union, overlay
from arealkart.available.parameters import Parameters
from arealkart.model.issues import Issue, issues_frame, source_file


def select_zones_in_force(
    zones: gpd.GeoDataFrame, params: Parameters
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Drop zones of plans not in force; report each (rule ``plan_ikke_gjeldende``)."""
    status = zones["planstatus"]
    keep = status.isna() | status.isin(params.gjeldende_planstatus)
    dropped = zones[~keep]
    issues = issues_frame(
        Issue(
            source_file(row.source),
            str(row.zone_id),
            "zones",
            "plan_ikke_gjeldende",
            "excluded",
            f"plan {row.plan_id} has planstatus {row.planstatus} (in force: "
            f"{list(params.gjeldende_planstatus)}); the zone is not counted",
        )
        for row in dropped.itertuples(index=False)
    )
    unknown = zones[status.isna()]
    flagged = issues_frame(
        Issue(
            source_file(row.source),
            str(row.zone_id),
            "zones",
            "planstatus_mangler",
            "flagged",
            f"plan {row.plan_id} has no planstatus; assumed in force",
        )
        for row in unknown.itertuples(index=False)
    )
    return zones[keep].copy(), pd.concat([issues, flagged], ignore_index=True)


def plan_precedence(zones: gpd.GeoDataFrame, params: Parameters) -> np.ndarray:
    """Rank of each zone: where zones of different plans overlap, the higher rank wins.

    Regulation plans rank above master plans when ``reguleringsplan_foran``; within a
    level the newer ``ikraft`` wins; ties are broken by plan id for determinism.
    """
    level = (~zones["objtype"].isin(["KP", "KP1985"])).astype(int).to_numpy()
    if not params.reguleringsplan_foran:
        level = np.zeros(len(zones), dtype=int)
    date = zones["ikraft"].astype("datetime64[ms]").fillna(pd.Timestamp("1900-01-01"))
    keys = pd.DataFrame(
        {"level": level, "date": date.to_numpy(), "plan": zones["plan_id"].fillna("").to_numpy()}
    )
    order = keys.sort_values(["level", "date", "plan"], kind="stable").index.to_numpy()
    rank = np.empty(len(zones), dtype=np.int64)
    rank[order] = np.arange(len(zones))
    return rank


def resolve_overlaps(
    zones: gpd.GeoDataFrame, params: Parameters
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Clip each zone by the zones of plans that take precedence over it.

    Zones left with no area are dropped; every overlap is reported (``plan_overlapp``).
    """
    zones = zones.reset_index(drop=True)
    geoms = zones.geometry.to_numpy()
    if len(zones) == 0:
        return zones, issues_frame()
    rank = plan_precedence(zones, params)
    plan = (zones["kommunenummer"].astype(str) + "/" + zones["plan_id"].fillna("")).to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms)  # boxes; neighbours in a plan go first
    pairs = (plan[left] != plan[right]) & (rank[right] > rank[left])
    left, right = left[pairs], right[pairs]
    inner = shapely.relate_pattern(geoms[left], geoms[right], INTERIORS_MEET)
    left, right = left[inner], right[inner]
    overlap = shapely.area(overlay(shapely.intersection, geoms[left], geoms[right]))
    real = overlap > 0.01
    left, right, overlap = left[real], right[real], overlap[real]
    if not len(left):
        return zones, issues_frame()
    covers = grouped_union(geoms[right], left, len(zones))
    hit = np.unique(left)
    clipped = geoms.copy()
    clipped[hit] = overlay(shapely.difference, geoms[hit], covers[hit])
    out = zones.copy()
    out.geometry = gpd.GeoSeries(clipped, crs=zones.crs)
    gone = shapely.area(clipped) < 0.01
    issues = _overlap_issues(zones, left, right, overlap, gone)
    return out[~gone].reset_index(drop=True), issues


def _overlap_issues(
    zones: gpd.GeoDataFrame,
    left: np.ndarray,
    right: np.ndarray,
    overlap: np.ndarray,
    gone: np.ndarray,
) -> pd.DataFrame:
    """One row per clipped zone naming every zone that overlapped it."""
    winner = zones.iloc[right]
    label = winner["feltnavn"].fillna(winner["zone_id"]).astype(str).to_numpy()
    dates = winner["ikraft"].map(_date_text).to_numpy()
    detail = pd.Series(
        [
            f"{a:.0f} m² overlapped by {lab} in plan {plan} ({date}), which takes precedence"
            for a, lab, plan, date in zip(overlap, label, winner["plan_id"], dates, strict=True)
        ]
    )
    joined = detail.groupby(left).agg("; ".join)
    hit = joined.index.to_numpy()
    loser = zones.iloc[hit]
    return pd.DataFrame(
        {
            "file": loser["source"].map(source_file).to_numpy(),
            "feature": loser["zone_id"].astype(str).to_numpy(),
            "layer": "zones",
            "rule": "plan_overlapp",
            "action": np.where(gone[hit], "excluded", "flagged"),
            "detail": joined.to_numpy(),
        }
    ).astype("string")


def _date_text(value: Any) -> str:
    return "no date" if pd.isna(value) else f"i kraft {pd.Timestamp(value).date()}"
