"""Querying a build: every filter against brute force, every source, every bad input."""

import inspect
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from arealkart import query
from arealkart.ask.filters import make_filters
from arealkart.ask.index import LayerIndex
from arealkart.ask.places import find_place, gazetteer, parse_bbox, parse_point, read_area
from arealkart.errors import QueryError
from arealkart.model.output_layers import GEOPACKAGE
from arealkart.registry.kommuner import boundaries
from builders import polygon_file


@pytest.fixture(scope="module")
def out(demo_build):
    return demo_build.files[0].parent


@pytest.fixture(scope="module")
def free(demo_build):
    return demo_build.result.free


@pytest.fixture(scope="module")
def plots(demo_build):
    return demo_build.result.plots


def ids(frame, column="ledig_id"):
    return list(frame[column])


# --- sources ------------------------------------------------------------------------------


def test_every_source_gives_the_same_rows(demo_build, out):
    expected = ids(query(demo_build.result, kommune="Vinje", kategori="fritid", min_daa=2))
    assert expected
    assert ids(query(out, kommune="Vinje", kategori="fritid", min_daa=2)) == expected
    assert ids(query(out / GEOPACKAGE, kommune="Vinje", kategori="fritid", min_daa=2)) == expected
    layer = demo_build.result.free
    assert ids(query(layer, kommune="Vinje", kategori="fritid", min_daa=2)) == expected
    index = LayerIndex.load(out)
    assert ids(query(index, kommune="Vinje", kategori="fritid", min_daa=2)) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"kommune": ["Seljord", "Tokke"], "kategori": "bolig"},
        {"near": "Dalen", "within_km": 8},
        {"bbox": "7.9,59.4,8.1,59.5", "kategori": "fritid"},
        {"min_daa": 3, "max_daa": 20, "sort": "areal"},
        {"plan_id": "2019001", "feltnavn": "f12"},
        {"kombinasjon": "bolig_fritid", "kommune": ["Seljord", "Fyresdal"]},
        {"near_type": "naeringshage", "within_km": 3, "kategori": "naering"},
        {"kommune": "Tokke", "sort": "score"},
    ],
)
def test_reading_only_candidates_from_the_geopackage_loses_nothing(demo_build, out, filters):
    from_memory = query(demo_build.result, **filters)
    from_file = query(out, **filters)
    assert ids(from_file) == ids(from_memory)


@pytest.mark.parametrize(
    "filters",
    [
        {"layer": "tomter", "status": "ledig", "max_pris": 300_000, "va": True},
        {"layer": "tomter", "min_m2": 900, "kommune": "Vinje"},
        {"layer": "tomter", "near_type": "skole", "within_km": 2, "status": "ledig"},
        {"layer": "soner", "status": ["ledig", "delvis_utbygd"], "min_daa": 1},
    ],
)
def test_plots_and_zones_from_file_match_memory(demo_build, out, filters):
    column = {"tomter": "tomt_id", "soner": "zone_id"}[filters["layer"]]
    assert ids(query(out, **filters), column) == ids(query(demo_build.result, **filters), column)


def test_a_query_before_any_build_says_so(tmp_path):
    with pytest.raises(QueryError, match=r"no build found.*arealkart build"):
        query(tmp_path)


def test_a_missing_layer_is_named(tmp_path, free):
    path = tmp_path / GEOPACKAGE
    free.to_file(path, layer="something_else")
    with pytest.raises(QueryError, match=r"no layer 'ledige_arealer'.*something_else"):
        query(tmp_path)


def test_unknown_layer():
    with pytest.raises(QueryError, match=r"unknown layer 'plots'.*tomter"):
        query("output", layer="plots")


# --- attribute filters ------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["Vinje", "vinje kommune", "VINJE", 4036, "3825", "0834", 834])
def test_municipality_in_any_form(demo_build, form):
    rows = query(demo_build.result, kommune=form)
    assert len(rows) and set(rows["kommunenummer"]) == {"4036"}


def test_several_municipalities_and_categories(demo_build, free):
    rows = query(demo_build.result, kommune=["Seljord", 4034], kategori=["bolig", "næring"])
    expected = free[
        free["kommunenummer"].isin(["4022", "4034"]) & free["kategori"].isin(["bolig", "naering"])
    ]
    assert sorted(ids(rows)) == sorted(ids(expected))


def test_combined_use_of_free_areas_and_zones(demo_build, free):
    rows = query(demo_build.result, kombinasjon=["bolig_fritid", "Sentrum"])
    expected = free[free["kombinasjon"].isin(["bolig_fritid", "sentrum"]).fillna(False)]
    assert len(rows) and sorted(ids(rows)) == sorted(ids(expected))
    zones = query(demo_build.result, layer="soner", kombinasjon="bolig_fritid")
    assert len(zones) and set(zones["arealformal"]) <= {5200, 220}  # LNFR spredt, KP1985
    with pytest.raises(QueryError, match=r"unknown kombinasjon \['hytte'\].*bolig_fritid"):
        query(demo_build.result, kombinasjon="hytte")
    with pytest.raises(QueryError, match=r"'tomter' has no column 'kombinasjon'"):
        query(demo_build.result, layer="tomter", kombinasjon="bolig_fritid")


def test_zones_by_their_use_today(demo_build):
    zones = demo_build.result.zones
    rows = query(demo_build.result, layer="soner", bruk=["helars_i_fritidsfelt", "Blandet"])
    expected = zones[zones["bruk"].isin(["helars_i_fritidsfelt", "blandet"]).fillna(False)]
    assert len(rows) and sorted(ids(rows, "zone_id")) == sorted(ids(expected, "zone_id"))
    # the region's question: leisure fields where more than a quarter of homes are year-round
    leisure = query(
        demo_build.result, layer="soner", kategori="fritid", bruk="helars_i_fritidsfelt"
    )
    assert (leisure["andel_fritid"] <= 0.75).all()
    with pytest.raises(QueryError, match=r"unknown bruk \['hytte'\].*som_regulert"):
        query(demo_build.result, layer="soner", bruk="hytte")


def test_free_business_land_within_3_km_of_a_naeringshage(demo_build, free, plots):
    rows = query(demo_build.result, kategori="naering", near_type="Næringshage", within_km=3)
    metres = free["avstand_naeringshage_m"]
    expected = free[(free["kategori"] == "naering") & (metres <= 3000)]
    assert len(rows) and sorted(ids(rows)) == sorted(ids(expected))
    assert len(expected) < (free["kategori"] == "naering").sum()  # the filter keeps some out
    near_school = query(demo_build.result, layer="tomter", near_type="skole", within_km=0.5)
    assert sorted(ids(near_school, "tomt_id")) == sorted(
        ids(plots[plots["avstand_skole_m"] <= 500], "tomt_id")
    )


def test_nearest_of_a_kind_first(demo_build, free):
    rows = query(demo_build.result, near_type="skole", within_km=2, sort="avstand")
    assert len(rows) and rows["avstand_skole_m"].is_monotonic_increasing
    assert len(rows) == (free["avstand_skole_m"] <= 2000).sum()


def test_only_free_plots_have_a_score(plots):
    free = plots["status"] == "ledig"
    assert plots.loc[free, "poeng"].notna().all() and plots.loc[~free, "poeng"].isna().all()
    assert plots.loc[~free, "avstand_sentrum_m"].notna().all()  # distances for every plot


def test_the_most_attractive_first(demo_build, free):
    rows = query(demo_build.result, kommune="Seljord", kategori="bolig", sort="score", limit=5)
    seljord = free[(free["kommunenummer"] == "4022") & (free["kategori"] == "bolig")]
    assert rows["poeng"].tolist() == sorted(seljord["poeng"], reverse=True)[:5]
    assert rows["rang"].iloc[0] == 1
    assert query(demo_build.result, sort="poeng")["poeng"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"near_type": "kyrkje", "within_km": 3}, r"unknown near_type 'kyrkje'.*naeringshage"),
        ({"near_type": "skole"}, "near_type needs within_km"),
        ({"near_type": "skole", "within_km": 3, "near": "Dalen"}, "not both"),
        ({"near_type": "skole", "within_km": -1}, "must not be negative"),
        ({"near_type": "skole", "within_km": 3, "layer": "soner"}, "free areas and plots"),
    ],
)
def test_near_type_mistakes_are_named(demo_build, filters, message):
    with pytest.raises(QueryError, match=message):
        query(demo_build.result, **filters)


def test_unknown_municipality_lists_the_closest_names(demo_build):
    with pytest.raises(QueryError, match=r"unknown municipality 'Vinjee'; closest names: Vinje"):
        query(demo_build.result, kommune="Vinjee")


def test_unknown_category_and_status_list_the_valid_values(demo_build):
    with pytest.raises(QueryError, match=r"unknown kategori \['hytte'\].*bolig.*naering"):
        query(demo_build.result, kategori="hytte")
    with pytest.raises(QueryError, match=r"status for tomter.*ledig.*reservert.*solgt.*bebygd"):
        query(demo_build.result, layer="tomter", status="ledi")
    with pytest.raises(QueryError, match=r"free areas have no status.*layer='tomter'"):
        query(demo_build.result, status="ledig")


def test_area_range_in_daa_and_m2(demo_build, free):
    in_daa = query(demo_build.result, min_daa=2, max_daa=5)
    in_m2 = query(demo_build.result, min_m2=2000, max_m2=5000)
    expected = free[(free["areal_m2"] >= 2000) & (free["areal_m2"] <= 5000)]
    assert sorted(ids(in_daa)) == sorted(ids(in_m2)) == sorted(ids(expected))


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"min_daa": -1}, "min_daa must not be negative"),
        ({"max_m2": -5}, "max_m2 must not be negative"),
        ({"min_daa": 5, "max_daa": 2}, r"min_daa \(5\) is greater than max_daa \(2\)"),
        ({"min_daa": 1, "min_m2": 1000}, "min_daa or min_m2, not both"),
        ({"min_pris": 10}, "applies to plots only"),
        ({"va": True}, "applies to plots only"),
        ({"layer": "tomter", "min_pris": 5, "max_pris": 1}, "min_pris .* greater than max_pris"),
        ({"within_km": 5}, "within_km needs a point or a kind of place"),
        ({"near": "Dalen", "within_km": 0}, "within_km must be positive"),
        ({"sort": "avstand"}, "sorting by distance needs a point"),
        ({"limit": 0}, "limit must be a whole number"),
        ({"limit": 2.5}, "limit must be a whole number"),
        ({"feltnavn": ""}, "feltnavn must not be empty"),
    ],
)
def test_bad_filters_are_refused_before_reading(tmp_path, filters, message):
    with pytest.raises(QueryError, match=message):
        query(tmp_path, **filters)  # no build there: the filter is checked first


def test_plot_price_and_water(demo_build, plots):
    rows = query(
        demo_build.result, layer="tomter", status="ledig", max_pris=300_000, va=True, sort="pris"
    )
    expected = plots[
        (plots["status"] == "ledig") & (plots["pris"] <= 300_000) & (plots["va"] == True)  # noqa: E712
    ]
    assert sorted(rows["tomt_id"]) == sorted(expected["tomt_id"])
    assert rows["pris"].is_monotonic_increasing
    assert len(query(demo_build.result, layer="tomter", va=False)) == (plots["va"] == False).sum()  # noqa: E712


def test_zone_status(demo_build):
    rows = query(demo_build.result, layer="soner", status="delvis_utbygd")
    assert len(rows) and set(rows["status"]) == {"delvis_utbygd"}


def test_plan_id_and_field_name_any_case(demo_build, free):
    some = free.iloc[0]
    rows = query(demo_build.result, plan_id=some["plan_id"], feltnavn=some["feltnavn"].lower())
    assert some["ledig_id"] in set(rows["ledig_id"])
    assert set(rows["feltnavn"]) == {some["feltnavn"]}
    assert set(rows["plan_id"]) == {some["plan_id"]}


# --- places and spatial filters -----------------------------------------------------------------


def brute_within(frame, point, metres):
    d = shapely.distance(frame.geometry.to_numpy(), point)
    return frame[d <= metres]


def test_near_a_place_within_a_radius_matches_brute_force(demo_build, free):
    rows = query(demo_build.result, near="Dalen", within_km=10)
    expected = brute_within(free, find_place("Dalen").point, 10_000)
    assert sorted(ids(rows)) == sorted(ids(expected)) and len(rows)
    assert rows["avstand_m"].is_monotonic_increasing
    assert (rows["avstand_m"] <= 10_000).all()


def test_distance_column_is_edge_distance_in_metres(demo_build, free):
    inside = free.iloc[0]
    point = inside.geometry.representative_point()
    rows = query(demo_build.result, near=point, limit=1)
    assert rows.iloc[0]["ledig_id"] == inside["ledig_id"]
    assert rows.iloc[0]["avstand_m"] == 0


@pytest.mark.parametrize("kommune", [None, "Tokke"])
def test_nearest_with_a_limit_matches_brute_force(demo_build, free, kommune):
    point = find_place("Høydalsmo").point
    rows = query(demo_build.result, near=point, limit=7, kommune=kommune)
    pool = free if kommune is None else free[free["kommunenummer"] == "4034"]
    d = shapely.distance(pool.geometry.to_numpy(), point)
    expected = pool.iloc[np.argsort(d, kind="stable")[:7]]
    assert ids(rows) == ids(expected)


def test_point_forms_agree():
    dalen = parse_point("59.44083,8.00194")
    assert parse_point((59.44083, 8.00194)).equals_exact(dalen, 1e-6)
    assert parse_point(f"{dalen.x},{dalen.y}").equals_exact(dalen, 1e-6)
    assert parse_point(f"32V {dalen.x} {dalen.y}").equals_exact(dalen, 1e-6)
    assert parse_point("Dalen").distance(dalen) < 1
    from pyproj import Transformer

    e, n = Transformer.from_crs(25832, 25833, always_xy=True).transform(dalen.x, dalen.y)
    assert parse_point(f"33 {e:.3f},{n:.3f}").distance(dalen) < 0.01


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("8.0,59.44", "latitude comes first: '59.44,8.0'"),
        ("10,20", "outside Norway"),
        ("5000000,100", "outside Norway"),
        ("40 500000 6600000", "UTM zone 40"),
        ("32C 500000 6600000", "not in the northern hemisphere"),
        ("1,2,3", "a point needs 2 numbers"),
        ("", "empty place"),
    ],
)
def test_bad_points(value, message):
    with pytest.raises(QueryError, match=message):
        parse_point(value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Åmot", "Åmot"),
        ("amot", "Åmot"),
        ("AAMOT", "Åmot"),
        ("hoydalsmo", "Høydalsmo"),
        ("Tveitsund", "Treungen"),
        ("Fyresdal", "Moland"),
        ("Vinje", "Åmot"),  # a municipality: its administrative centre
        ("Tokke kommune", "Dalen"),
        ("Haukeligrend", "Haukeli"),
    ],
)
def test_place_names(name, expected):
    assert find_place(name).navn == expected


def test_unknown_place_lists_the_closest_names():
    with pytest.raises(QueryError, match=r"unknown place 'Dallen'; closest names: Dalen"):
        find_place("Dallen")
    with pytest.raises(QueryError, match=r"unknown place 'Rjukan'; closest names: Rauland"):
        find_place("Rjukan")  # not in the region
    with pytest.raises(QueryError, match=r"unknown place 'Xyzzy'; closest names: .*Dalen.*Åmot"):
        find_place("Xyzzy")  # nothing close: every name is listed


def test_every_gazetteer_place_lies_in_its_municipality():
    places = gazetteer()
    assert places["kilde"].str.len().min() > 10, "every row names its source"
    borders = boundaries().set_index("kommunenummer")
    for row in places.itertuples():
        point = find_place(row.navn).point
        assert borders.loc[row.kommunenummer, "geometry"].buffer(500).contains(point), row.navn


def test_bbox_in_degrees_and_utm_match_brute_force(demo_build, free):
    rows = query(demo_build.result, bbox="7.9,59.4,8.1,59.5")
    box = parse_bbox("7.9,59.4,8.1,59.5")
    expected = free[free.intersects(box)]
    assert sorted(ids(rows)) == sorted(ids(expected)) and len(rows)
    x0, y0, x1, y1 = box.bounds
    utm = query(demo_build.result, bbox=(x0, y0, x1, y1))
    assert set(ids(rows)) <= set(ids(utm))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,2,3", "bbox must be 4 numbers"),
        ("8.1,59.4,7.9,59.5", "inverted"),
        ("59.4,7.9,59.5,8.1", "longitude comes first"),
        ("a,b,c,d", "bbox must be 4 numbers"),
        ("0,0,10,10", "outside Norway"),
    ],
)
def test_bad_boxes(value, message):
    with pytest.raises(QueryError, match=message):
        parse_bbox(value)


@pytest.fixture
def area_file(tmp_path):
    return polygon_file(tmp_path / "område.geojson")


def test_polygon_file_matches_brute_force(demo_build, free, area_file):
    rows = query(demo_build.result, polygon=area_file, kategori="fritid")
    area = read_area(area_file)
    expected = free[free.intersects(area) & (free["kategori"] == "fritid")]
    assert sorted(ids(rows)) == sorted(ids(expected)) and len(rows)


def test_bbox_and_polygon_together_intersect(demo_build, area_file):
    both = query(demo_build.result, polygon=area_file, bbox="7.9,59.4,8.05,59.5")
    only_polygon = query(demo_build.result, polygon=area_file)
    assert set(ids(both)) < set(ids(only_polygon))


def test_bad_polygon_files(tmp_path):
    with pytest.raises(QueryError, match=r"polygon file not found"):
        read_area(tmp_path / "nope.geojson")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("{ this is not json", encoding="utf-8")
    with pytest.raises(QueryError, match=r"cannot read polygon file"):
        read_area(garbage)
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(8, 59.4)], crs="EPSG:4326").to_file(points)
    with pytest.raises(QueryError, match=r"no Polygon or MultiPolygon"):
        read_area(points)


# --- sorting and limits ----------------------------------------------------------------------


def test_sorting(demo_build):
    largest = query(demo_build.result, sort="areal", limit=10)
    assert largest["areal_m2"].is_monotonic_decreasing and len(largest) == 10
    assert largest["areal_m2"].iloc[0] == demo_build.result.free["areal_m2"].max()
    by_column = query(demo_build.result, sort="-tomter_estimert")
    assert by_column["tomter_estimert"].is_monotonic_decreasing
    by_text = query(demo_build.result, sort="feltnavn", kommune="Vinje")
    assert list(by_text["feltnavn"]) == sorted(by_text["feltnavn"])
    with pytest.raises(QueryError, match=r"no column 'nope'"):
        query(demo_build.result, sort="nope")


def test_make_filters_normalises(tmp_path):
    f = make_filters("tomter", kommune=["Vinje", "4036"], kategori="Næring", min_daa=1)
    assert f.kommuner == ("4036",)
    assert f.kategorier == ("naering",)
    assert f.area_m2 == (1000.0, None)
    where = f.where({"kommunenummer", "kategori", "tomt_m2"})
    assert where == (  # widened by the 0.01 m² areas are compared at: every match is read
        "kommunenummer IN ('4036') AND kategori IN ('naering') "
        "AND (tomt_m2 >= 999.99 OR tomt_m2 IS NULL)"
    )
    certain = f.where({"kommunenummer", "kategori", "tomt_m2"}, certain=True)
    assert certain == (  # narrowed as much: every row it keeps matches
        "kommunenummer IN ('4036') AND kategori IN ('naering') AND tomt_m2 >= 1000.01"
    )


def test_layer_index_is_reused_and_prepared(out):
    index = LayerIndex.load(out).prepare()
    first = query(index, near="Rauland", within_km=5)
    second = query(index, near="Rauland", within_km=5)
    pd.testing.assert_frame_equal(first, second)


def test_query_and_make_filters_take_the_same_filters():
    # query() spells out every filter for its docs; make_filters() checks them: one list
    def filters(function, skip):
        params = inspect.signature(function).parameters.values()
        return [(p.name, p.annotation, p.default) for p in params if p.name not in skip]

    assert filters(query, {"source"}) == filters(make_filters, set())


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"near": "Dalen", "within_km": float("inf")}, "within_km must be a finite number"),
        ({"max_daa": float("inf")}, "max_daa must be a finite number"),
        ({"min_m2": float("nan")}, "min_m2 must be a finite number"),
        ({"min_daa": "2"}, "min_daa must be a number"),
        ({"min_daa": True}, "min_daa must be a number"),
        ({"plan_id": ""}, "plan_id must not be empty"),
        ({"polygon": "NaN"}, "not finite numbers"),
    ],
)
def test_values_no_answer_can_have_are_query_errors(filters, message):
    if filters.get("polygon") == "NaN":
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns of the NaN itself
            filters = {"polygon": shapely.Polygon([(0, 0), (1, 0), (float("nan"), 1)])}
    with pytest.raises(QueryError, match=message):
        make_filters(**filters)


def test_an_empty_plan_id_on_the_command_line_is_refused_not_matched_to_all(out, capsys):
    from arealkart.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["query", "--from", str(out), "--plan-id", ""])
    assert stop.value.code == 2
    assert "--plan-id must not be empty" in capsys.readouterr().err
