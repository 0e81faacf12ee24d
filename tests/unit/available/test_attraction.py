"""Attractive land: distances to places, the score and the rank, hand-computed."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from arealkart.available import available_land
from arealkart.available.attraction import (
    ATTRACTION_COLUMNS,
    RoadNetwork,
    attraction,
    places_by_kind,
    score,
)
from arealkart.available.parameters import Parameters
from arealkart.errors import ConfigError
from arealkart.load.places import read_places
from arealkart.model.schema import CRS
from arealkart.model.vocabulary import ATTRACTION_TYPES, DISTANCE_COLUMNS

X, Y = 440_000.0, 6_590_000.0  # near Dalen, EPSG:25832
PARAMS = Parameters.default()


def land(*rows):
    """Land of ``(x, y, kategori[, kommunenummer])``: 10 × 10 m squares from (x, y)."""
    frame = [
        {
            "kommunenummer": row[3] if len(row) > 3 else "4034",
            "kategori": row[2],
            "geometry": box(X + row[0], Y + row[1], X + row[0] + 10, Y + row[1] + 10),
        }
        for row in rows
    ]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def points(*rows):
    """Places of ``(type, x, y)``, as points in EPSG:25832."""
    frame = [
        {"navn": f"{t} {i}", "type": t, "geometry": Point(X + x, Y + y)}
        for i, (t, x, y) in enumerate(rows)
    ]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def test_a_place_300_m_east_of_the_land_is_300_m_away():
    out = attraction(land((0, 0, "bolig")), places_by_kind(points(("skole", 310, 5))), PARAMS)
    assert out["avstand_skole_m"].iloc[0] == pytest.approx(300, abs=1)
    assert out["avstand_grunnlag"].iloc[0] == "luftlinje"
    assert list(out.columns[-len(ATTRACTION_COLUMNS) - 1 : -1]) == list(ATTRACTION_COLUMNS)


def test_a_place_inside_the_land_is_0_m_away_and_the_nearest_of_several_counts():
    places = places_by_kind(points(("butikk", 5, 5), ("skole", 2010, 5), ("skole", 10, 1010)))
    out = attraction(land((0, 0, "bolig")), places, PARAMS)
    assert out["avstand_butikk_m"].iloc[0] == 0
    assert out["avstand_skole_m"].iloc[0] == pytest.approx(1000, abs=1)


def test_a_places_file_in_utm_gives_the_distance_to_a_metre(tmp_path):
    path = tmp_path / "steder.csv"
    path.write_text(
        f"navn,type,kilde,ost,nord\nNæringshagen,naeringshage,test,{X + 2010},{Y + 5}\n",
        encoding="utf-8",
    )
    out = attraction(land((0, 0, "naering")), places_by_kind(read_places(path)), PARAMS)
    assert out["avstand_naeringshage_m"].iloc[0] == pytest.approx(2000, abs=1)


def test_a_kind_without_places_has_no_distance_and_does_not_count():
    out = attraction(land((0, 0, "bolig")), places_by_kind(points(("sentrum", 5, 5))), PARAMS)
    assert (
        out[[DISTANCE_COLUMNS[k] for k in ATTRACTION_TYPES if k != "sentrum"]].isna().all(axis=None)
    )
    assert out["poeng"].iloc[0] == 100.0  # only the centre counts, and it is inside


def test_the_score_by_hand():
    # bolig weights: sentrum 2, skole 3, barnehage 3, butikk 2, naeringshage 1 (sum 11);
    # the centre at the middle of 1 000–15 000 m gives half its points: 100 × 10/11
    half = (PARAMS.naer_m["sentrum"] + PARAMS.fjern_m["sentrum"]) / 2
    places = [("sentrum", 10 + half, 5)] + [(k, 5, 5) for k in ATTRACTION_TYPES if k != "sentrum"]
    out = attraction(land((0, 0, "bolig")), places_by_kind(points(*places)), PARAMS)
    assert out["avstand_sentrum_m"].iloc[0] == pytest.approx(half, abs=1)
    assert out["poeng"].iloc[0] == pytest.approx(100 * 10 / 11, abs=0.05)


def test_everything_beyond_fjern_m_scores_0_and_everything_within_naer_m_100():
    far = [(k, 100_000, 5) for k in ATTRACTION_TYPES]
    near = [(k, 500, 5) for k in ATTRACTION_TYPES]
    assert (
        attraction(land((0, 0, "fritid")), places_by_kind(points(*far)), PARAMS)["poeng"].iloc[0]
        == 0
    )
    assert (
        attraction(land((0, 0, "naering")), places_by_kind(points(*near)), PARAMS)["poeng"].iloc[0]
        == 100
    )


def test_the_weights_follow_the_category():
    # only a næringshage is near: business land gets its weight 3 of 5, housing 1 of 11
    places = [("naeringshage", 5, 5)] + [(k, 100_000, 5) for k in ATTRACTION_TYPES[:-1]]
    out = attraction(
        land((0, 0, "naering"), (0, 0, "bolig")), places_by_kind(points(*places)), PARAMS
    )
    assert out["poeng"].tolist() == pytest.approx([60.0, 100 / 11], abs=0.05)


distances = st.floats(min_value=0, max_value=30_000, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    category=st.sampled_from(["bolig", "fritid", "kombinert", "naering"]),
    kind=st.sampled_from(ATTRACTION_TYPES),
    base=st.lists(distances, min_size=5, max_size=5),
    more=st.floats(min_value=0, max_value=30_000),
)
def test_the_score_never_rises_as_a_distance_grows(category, kind, base, more):
    row = {"kategori": category, **dict(zip(DISTANCE_COLUMNS.values(), base, strict=True))}
    farther = dict(row)
    farther[DISTANCE_COLUMNS[kind]] += more
    both = pd.DataFrame([row, farther])
    near, far = score(both, list(ATTRACTION_TYPES), PARAMS)
    assert far <= near + 1e-9


def test_a_changed_weight_or_band_changes_the_score():
    places = places_by_kind(points(("skole", 5010, 5)))
    default = attraction(land((0, 0, "bolig")), places, PARAMS)["poeng"].iloc[0]
    wider = PARAMS.updated(fjern_m={"skole": 20_000})
    assert attraction(land((0, 0, "bolig")), places, wider)["poeng"].iloc[0] > default
    with pytest.raises(ConfigError, match="fjern_m must be greater than naer_m"):
        PARAMS.updated(naer_m={"skole": 20_000})
    with pytest.raises(ConfigError, match=r"unknown kinds of place \['kirke'\]"):
        PARAMS.updated(vekt={"bolig": {"kirke": 1}})
    with pytest.raises(ConfigError, match=r"unknown categories \['hytte'\]"):
        PARAMS.updated(vekt={"hytte": {"skole": 1}})


def test_rank_within_municipality_and_category_with_shared_ranks():
    rows = land(
        (0, 0, "bolig"),  # 0 m from the school
        (0, 0, "bolig"),  # the same: shares rank 1
        (3000, 0, "bolig"),  # farther: rank 3
        (3000, 0, "fritid"),  # another category: its own rank 1
        (6000, 0, "bolig", "4036"),  # another municipality: its own rank 1
    )
    places = places_by_kind(points(("skole", 5, 5), ("butikk", 5, 5)))
    out = attraction(rows, places, PARAMS)
    assert out["rang"].tolist() == [1, 1, 3, 1, 1]


def test_only_the_ranked_rows_get_a_rank():
    rows = land((0, 0, "bolig"), (2000, 0, "bolig"), (4000, 0, "bolig"))
    out = attraction(
        rows, places_by_kind(points(("skole", 5, 5))), PARAMS, ranked=np.array([False, True, True])
    )
    assert out["rang"].isna().tolist() == [True, False, False]
    assert out["rang"].dropna().tolist() == [1, 2]


def test_unknown_or_untyped_places_are_refused():
    with pytest.raises(ConfigError, match="unknown place types"):
        places_by_kind(points(("kirke", 0, 0)))
    with pytest.raises(ConfigError, match="'type' column"):
        places_by_kind(gpd.GeoDataFrame({"geometry": [Point(X, Y)]}, crs=CRS))


# --- along the roads ----------------------------------------------------------------------------


def roads(*lines):
    return gpd.GeoDataFrame(
        {"geometry": [LineString([(X + x, Y + y) for x, y in line]) for line in lines]}, crs=CRS
    )


def test_along_an_l_shaped_road_the_distance_is_its_length():
    network = RoadNetwork.from_lines(roads([(10, 5), (1010, 5)], [(1010, 5), (1010, 1005)]))
    places = places_by_kind(points(("skole", 1010, 1005)))
    out = attraction(land((0, 0, "bolig")), places, PARAMS, network)
    assert out["avstand_skole_m"].iloc[0] == pytest.approx(2000, abs=1)
    assert out["avstand_grunnlag"].iloc[0] == "vegnett"
    straight = attraction(land((0, 0, "bolig")), places, PARAMS)["avstand_skole_m"].iloc[0]
    assert straight == pytest.approx(math.hypot(1000, 995), abs=1)  # from the land's corner


def test_the_way_to_and_from_the_road_counts_and_the_shortest_way_wins():
    # two ways from the land's road end to the school: 3 000 m round and 1 000 m straight
    network = RoadNetwork.from_lines(
        roads(
            [(10, 5), (1010, 5)],
            [(10, 5), (10, 1005), (1010, 1005), (1010, 5)],
        )
    )
    places = places_by_kind(points(("butikk", 1010, 105)))  # 100 m off the road's end
    out = attraction(land((0, 0, "bolig")), places, PARAMS, network)
    assert out["avstand_butikk_m"].iloc[0] == pytest.approx(1000 + 100, abs=1)


def test_a_place_no_road_reaches_has_no_distance_and_gives_no_points():
    network = RoadNetwork.from_lines(roads([(10, 5), (1010, 5)], [(5000, 5000), (6000, 5000)]))
    places = places_by_kind(points(("sentrum", 6000, 5000)))
    out = attraction(land((0, 0, "bolig")), places, PARAMS, network)
    assert pd.isna(out["avstand_sentrum_m"].iloc[0])
    assert out["poeng"].iloc[0] == 0


def test_a_road_network_must_be_lines_with_a_crs():
    with pytest.raises(ConfigError, match="holds lines"):
        RoadNetwork.from_lines(points(("skole", 0, 0)))
    with pytest.raises(ConfigError, match="no CRS"):
        RoadNetwork.from_lines(gpd.GeoDataFrame({"geometry": [LineString([(0, 0), (1, 1)])]}))


def test_a_network_in_another_crs_gives_the_same_distance():
    lines = roads([(10, 5), (1010, 5)], [(1010, 5), (1010, 1005)])
    network = RoadNetwork.from_lines(lines.to_crs("EPSG:4326"))
    places = places_by_kind(points(("skole", 1010, 1005)).to_crs("EPSG:4326"))
    out = attraction(land((0, 0, "bolig")), places, PARAMS, network)
    assert out["avstand_skole_m"].iloc[0] == pytest.approx(2000, abs=1)


# --- in available_land --------------------------------------------------------------------------


def test_available_land_measures_free_areas_and_plots_and_ranks_free_plots_only():
    zones = gpd.GeoDataFrame(
        [
            {
                "zone_id": "z1",
                "kommunenummer": "4034",
                "plan_id": "p1",
                "objtype": "RP",
                "arealformal": 1111,
                "kategori": "bolig",
                "planstatus": 3,
                "geometry": box(X, Y, X + 100, Y + 100),
            }
        ],
        crs=CRS,
    )
    plots = gpd.GeoDataFrame(
        {
            "tomt_id": ["a", "b"],
            "register_status": ["ledig", "solgt"],
            "geometry": [box(X, Y, X + 30, Y + 30), box(X + 50, Y, X + 80, Y + 30)],
        },
        crs=CRS,
    )
    result = available_land(zones, plots=plots, places=points(("skole", 600, 50)))
    assert result.free["avstand_skole_m"].iloc[0] == pytest.approx(500, abs=1)
    assert result.free["bruk"].iloc[0] == "ingen_boliger"
    by_id = result.plots.set_index("tomt_id")
    assert by_id.loc["a", "avstand_skole_m"] == pytest.approx(570, abs=1)
    assert by_id.loc["a", "rang"] == 1 and pd.isna(by_id.loc["b", "rang"])


def test_land_over_several_road_vertices_joins_at_the_nearest_way_to_the_place():
    # a road with a vertex every 100 m; the land covers the first five, the school is at 1000
    network = RoadNetwork.from_lines(roads([(x, 5) for x in range(0, 1100, 100)]))
    wide = gpd.GeoDataFrame(
        {"kommunenummer": ["4034"], "kategori": ["bolig"]},
        geometry=[box(X - 5, Y, X + 405, Y + 10)],
        crs=CRS,
    )
    out = attraction(wide, places_by_kind(points(("skole", 1000, 5))), PARAMS, network)
    assert out["avstand_skole_m"].iloc[0] == pytest.approx(600, abs=1)


def test_a_place_on_the_land_is_0_m_away_along_the_roads_too():
    network = RoadNetwork.from_lines(roads([(10, 500), (1010, 500)]))
    out = attraction(
        land((0, 0, "bolig")), places_by_kind(points(("butikk", 5, 5))), PARAMS, network
    )
    assert out["avstand_butikk_m"].iloc[0] == 0


def test_a_road_network_of_empty_or_zero_length_lines_is_refused():
    stubs = roads([(10, 5), (10, 5)])
    with pytest.raises(ConfigError, match="no segments"):
        RoadNetwork.from_lines(stubs)


def test_a_places_table_without_positions_is_refused():
    with pytest.raises(ConfigError, match="lat and lon"):
        places_by_kind(pd.DataFrame({"navn": ["x"], "type": ["skole"]}))


def test_a_road_file_of_empty_lines_is_an_input_error(tmp_path):
    from arealkart.errors import InputError
    from arealkart.load.roads import read_roads

    path = tmp_path / "veg.gpkg"
    gpd.GeoDataFrame(geometry=[LineString()], crs=CRS).to_file(path)
    with pytest.raises(InputError, match="no LineString features"):
        read_roads(path)
    roads([(0, 0), (100, 0)]).to_file(path)
    assert len(read_roads(path)) == 1


def test_land_without_a_geometry_gets_no_distance_score_or_rank():
    rows = land((0, 0, "bolig"), (100, 0, "bolig"))
    rows.loc[1, "geometry"] = None
    out = attraction(rows, places_by_kind(points(("skole", 5, 5))), PARAMS)
    assert out["avstand_skole_m"].isna().tolist() == [False, True]
    assert pd.isna(out["poeng"].iloc[1]) and pd.isna(out["rang"].iloc[1])
    assert out["rang"].iloc[0] == 1
