"""Plots (tomter): status from the register and the buildings standing on them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from arealkart.available.engine import constraint_codes, footprints
from arealkart.available.parameters import Parameters
from arealkart.model.vocabulary import BUILDING_CATEGORIES


def judge_plots(
    plots: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    constraints: gpd.GeoDataFrame,
    params: Parameters,
) -> gpd.GeoDataFrame:
    """Give every plot a status and the zone (category, plan) it lies in.

    A plot is ``ledig`` only if the register says so (or has no status) and no building
    stands on it; with a building it is ``bebygd``; otherwise the register's ``reservert``
    or ``solgt``.  ``status_grunnlag`` says whether the register took part.
    """
    out = plots.copy()
    if not len(out):
        for column in ("status", "status_grunnlag", "zone_id", "kategori", "hensyn"):
            out[column] = pd.Series(dtype="string")
        return out
    geoms = out.geometry.to_numpy()
    has_building = np.zeros(len(out), dtype=bool)
    if len(buildings):
        foot = footprints(buildings.geometry.to_numpy(), params.punkt_fotavtrykk)
        plot_idx, _ = shapely.STRtree(foot).query(geoms, predicate="intersects")
        has_building[np.unique(plot_idx)] = True
    register = out["register_status"].astype("string")
    status = register.fillna("ledig").to_numpy(dtype=object)
    status[has_building] = "bebygd"
    out["status"] = pd.array(status, dtype="string")
    out["status_grunnlag"] = np.where(register.isna(), "bygg", "register og bygg")
    out["status_grunnlag"] = out["status_grunnlag"].astype("string")
    _attach_zone(out, zones)
    out["hensyn"] = pd.array(
        constraint_codes(
            geoms,
            constraints.geometry.to_numpy(),
            constraints["hensyn_kode"].astype(int).to_numpy(),
        ),
        dtype="string",
    )
    return out


def _attach_zone(out: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> None:
    """The zone under each plot's representative point, preferring building land."""
    points = shapely.point_on_surface(out.geometry.to_numpy())
    zone_geoms = zones.geometry.to_numpy()
    plot_idx, zone_idx = shapely.STRtree(zone_geoms).query(points, predicate="within")
    building = zones["kategori"].isin(BUILDING_CATEGORIES).to_numpy()[zone_idx]
    frame = pd.DataFrame({"plot": plot_idx, "zone": zone_idx, "building": building})
    best = frame.sort_values(["plot", "building"], ascending=[True, False]).drop_duplicates("plot")
    zone_id = np.full(len(out), None, dtype=object)
    kategori = np.full(len(out), None, dtype=object)
    zone_id[best["plot"]] = zones["zone_id"].to_numpy()[best["zone"]]
    kategori[best["plot"]] = zones["kategori"].to_numpy()[best["zone"]]
    out["zone_id"] = pd.array(zone_id, dtype="string")
    out["kategori"] = pd.array(kategori, dtype="string")
