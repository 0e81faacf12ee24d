"""The cache's digest of a page task: equal contents, equal digest; any change, another."""

from __future__ import annotations

import pickle

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from arealkart.config import load_config
from arealkart.pipeline.cache import content_digest


def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "zone_id": pd.array(["a", "b", None], dtype="string"),
            "arealformal": pd.array([1110, None, 1120], dtype="Int64"),
            "ledig_m2": [10.5, 0.0, 3.25],
            "ikraft": pd.to_datetime(["2020-01-01", None, "2021-06-30"]),
        },
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), None],
        crs="EPSG:25832",
    )


def test_equal_contents_made_differently_give_one_digest():
    frame = zones()
    round_trip = pickle.loads(pickle.dumps(frame))
    concatenated = pd.concat([frame.iloc[:2], frame.iloc[2:]])
    # a nullable integer column concatenated from parts holds other values under its mask
    assert content_digest(frame) == content_digest(round_trip) == content_digest(concatenated)
    assert content_digest({"a": frame, "b": 1}) == content_digest({"b": 1, "a": round_trip})


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(ledig_m2=[10.5, -0.0, 3.25]),  # -0.0 is not 0.0
        lambda f: f.assign(arealformal=pd.array([1110, 1111, 1120], dtype="Int64")),
        lambda f: f.set_geometry([box(0, 0, 10, 10), box(10, 0, 20, 11), None]),
        lambda f: f.set_geometry([box(0, 0, 10, 10), box(10, 0, 20, 10), Point(1, 1)]),
        lambda f: f.rename(columns={"ledig_m2": "ledig"}),
        lambda f: f.astype({"ledig_m2": "float32"}),
        lambda f: f.set_axis([0, 1, 3]),
        lambda f: f.iloc[[1, 0, 2]],
        lambda f: f.assign(zone_id=pd.array(["a", "b", "-;"], dtype="string")),
        lambda f: f.assign(zone_id=pd.array(["a:b", "", None], dtype="string")),
    ],
)
def test_any_change_gives_another_digest(change):
    assert content_digest(change(zones())) != content_digest(zones())


def test_a_config_digests_the_same_in_every_load_and_follows_its_values():
    first, second = load_config(None), load_config(None)
    assert content_digest(first) == content_digest(second)
    from dataclasses import replace

    assert content_digest(replace(first, navn="Annen region")) != content_digest(first)
