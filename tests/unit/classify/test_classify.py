import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from arealkart import classify_zones
from arealkart.classify import (
    RULE_UNKNOWN,
    classification_issues,
    load_category_rules,
    load_combination_rules,
)
from arealkart.errors import CodeListError
from arealkart.model.schema import CRS, conform
from arealkart.model.vocabulary import BUILDING_CATEGORIES, CATEGORIES, COMBINATIONS
from arealkart.registry.codes import ZONE_LISTS, code_list


def zones_for(objtype, codes, **extra):
    n = len(codes)
    frame = gpd.GeoDataFrame(
        {
            "zone_id": [f"z{i}" for i in range(n)],
            "kommunenummer": ["4036"] * n,
            "source": [f"plan.gpkg#{i}" for i in range(n)],
            "plan_id": extra.pop("plan_id", ["2020001"] * n),
            "objtype": [objtype] * n,
            "arealformal": list(codes),
            **extra,
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs=CRS,
    )
    return conform(frame, "zones")


@pytest.mark.parametrize("objtype", ZONE_LISTS)
def test_every_official_code_gets_a_category_without_an_issue(objtype):
    codes = code_list(objtype).index.tolist()
    out = classify_zones(zones_for(objtype, codes))
    assert out["kategori"].isin(CATEGORIES).all()
    assert (out["kategori_regel"] != RULE_UNKNOWN).all()
    assert out["formal_navn"].notna().all()
    assert classification_issues(out).empty


@pytest.mark.parametrize("objtype", ZONE_LISTS)
def test_each_official_code_is_matched_by_at_most_one_default_rule(objtype):
    rules = load_category_rules().codes
    rules = rules[rules["objtype"] == objtype]
    for code in code_list(objtype).index:
        hits = rules[(rules["fra"] <= code) & (code <= rules["til"])]
        assert len(hits) <= 1, f"{objtype} {code} matched by {hits.to_dict('records')}"


@pytest.mark.parametrize(
    ("objtype", "code", "expected"),
    [
        ("RP", 1110, "bolig"),
        ("RP", 1111, "bolig"),
        ("RP", 1114, "bolig"),
        ("RP", 1119, "annet"),
        ("RP", 1121, "fritid"),
        ("RP", 1124, "fritid"),
        ("RP", 1130, "kombinert"),
        ("RP", 1171, "naering"),
        ("RP", 1174, "annet"),
        ("RP", 1300, "naering"),
        ("RP", 1340, "naering"),
        ("RP", 1390, "naering"),
        ("RP", 1800, "kombinert"),
        ("RP", 1804, "kombinert"),
        ("RP", 1810, "naering"),
        ("RP", 1831, "naering"),
        ("RP", 1900, "kombinert"),
        ("RP", 2011, "annet"),
        ("RP", 3040, "annet"),
        ("RP", 5100, "annet"),
        ("RP", 5200, "kombinert"),
        ("RP", 5210, "bolig"),
        ("RP", 5220, "fritid"),
        ("RP", 5230, "naering"),
        ("RP", 1160, "annet"),
        ("RP", 6770, "annet"),
        ("KP", 1110, "bolig"),
        ("KP", 1120, "fritid"),
        ("KP", 1300, "naering"),
        ("KP", 1800, "kombinert"),
        ("KP", 5200, "kombinert"),
        ("KP", 5100, "annet"),
        ("RB", 111, "bolig"),
        ("RB", 140, "naering"),
        ("RB", 150, "fritid"),
        ("RB", 910, "kombinert"),
        ("RB", 930, "naering"),
        ("RB", 310, "annet"),
        ("KP1985", 110, "bolig"),
        ("KP1985", 140, "fritid"),
        ("KP1985", 130, "naering"),
        ("KP1985", 150, "annet"),
        ("KP1985", 223, "fritid"),
        ("KP1985", 210, "annet"),
    ],
)
def test_default_categories_of_key_codes(objtype, code, expected):
    out = classify_zones(zones_for(objtype, [code]))
    assert out["kategori"].iloc[0] == expected


def test_the_same_number_means_different_things_in_different_lists():
    rb = classify_zones(zones_for("RB", [140, 150]))["kategori"].tolist()
    kp85 = classify_zones(zones_for("KP1985", [140, 150]))["kategori"].tolist()
    assert rb == ["naering", "fritid"]
    assert kp85 == ["fritid", "annet"]


def test_unknown_code_becomes_annet_and_is_reported():
    out = classify_zones(zones_for("RP", [1111, 1115, 9999]))
    assert out["kategori"].tolist() == ["bolig", "annet", "annet"]
    issues = classification_issues(out)
    assert issues["feature"].tolist() == ["z1", "z2"]
    assert (issues["rule"] == "ukjent_kode").all()
    assert issues["detail"].str.contains("1115 is not in the official RP code list").any()
    assert (issues["action"] == "reclassified").all()
    assert issues["file"].tolist() == ["plan.gpkg", "plan.gpkg"]


def test_input_is_not_mutated():
    zones = zones_for("RP", [1111])
    before = zones.copy()
    classify_zones(zones)
    pd.testing.assert_frame_equal(zones, before)


def test_override_by_code_from_a_csv_file(tmp_path):
    path = tmp_path / "kategorier.csv"
    path.write_text(
        "objtype,kode,kategori,begrunnelse\nRP,1171,fritid,utleiehytter er fritid\n"
        "RP,1115,bolig,lokal kode\n",
        encoding="utf-8",
    )
    out = classify_zones(zones_for("RP", [1171, 1115, 1300]), path)
    assert out["kategori"].tolist() == ["fritid", "bolig", "naering"]
    assert out["kategori_regel"].tolist() == ["overstyrt_kode", "overstyrt_kode", "kode"]
    assert classification_issues(out).empty


def test_override_of_single_zones_by_plan_and_feltnavn():
    zones = zones_for(
        "RP", [1111, 1111, 1111], plan_id=["A", "A", "B"], feltnavn=["BFS1", "BFS2", "BFS1"]
    )
    overrides = pd.DataFrame({"plan_id": ["A"], "feltnavn": ["BFS2"], "kategori": ["kombinert"]})
    out = classify_zones(zones, overrides)
    assert out["kategori"].tolist() == ["bolig", "kombinert", "bolig"]
    assert out["kategori_regel"].tolist()[1] == "overstyrt_felt"


def test_override_of_a_whole_plan():
    zones = zones_for("RP", [1111, 1121], plan_id=["A", "A"])
    out = classify_zones(zones, pd.DataFrame({"plan_id": ["A"], "kategori": ["kombinert"]}))
    assert out["kategori"].tolist() == ["kombinert", "kombinert"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("objtype,kode,kategori\nRP,1111,hytte\n", r"row 2: category 'hytte' is not one of"),
        ("objtype,kode,kategori\nXX,1111,bolig\n", r"row 2: objtype 'XX' is not one of"),
        ("objtype,fra,til,kategori\nRP,1200,1100,bolig\n", r"'fra' 1200 is greater than"),
        ("objtype,kode,kategori\nRP,abc,bolig\n", r"codes must be integers"),
        ("objtype,kode\nRP,1111\n", r"needs a 'kategori' column"),
        ("kode,kategori\n1111,bolig\n", r"missing \['objtype'\]"),
    ],
)
def test_bad_override_files_name_the_file_row_and_expectation(tmp_path, text, message):
    path = tmp_path / "over.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodeListError, match=message) as err:
        classify_zones(zones_for("RP", [1111]), path)
    assert str(path) in str(err.value)


def test_missing_override_file():
    with pytest.raises(CodeListError, match="not found"):
        load_category_rules("/nonexistent/kategorier.csv")


def test_building_categories_are_the_four_the_region_asked_for():
    assert BUILDING_CATEGORIES == ("bolig", "fritid", "kombinert", "naering")


# --- combined use, planned (kombinasjon) ---------------------------------------------------


@pytest.mark.parametrize(
    ("objtype", "code", "expected"),
    [
        ("RP", 5200, "bolig_fritid"),  # LNFR spredt bolig-, fritids- eller næringsbebyggelse
        ("KP", 5200, "bolig_fritid"),
        ("KP1985", 220, "bolig_fritid"),  # LNF-område med spredt bebyggelse
        ("RP", 1801, "bolig_naering"),  # bolig/forretning
        ("RP", 1804, "bolig_naering"),  # bolig/kontor
        ("RB", 911, "bolig_naering"),  # bolig/forretning/kontor (pbl 1985)
        ("RP", 1130, "sentrum"),
        ("KP1985", 120, "sentrum"),
        ("RP", 1803, "annen"),  # bolig/tjenesteyting
        ("RP", 1111, None),  # single use: housing only
        ("RP", 1121, None),
        ("RP", 5220, None),  # LNFR spredt fritidsbebyggelse: one kind
    ],
)
def test_default_combinations_of_key_codes(objtype, code, expected):
    out = classify_zones(zones_for(objtype, [code]))
    value = out["kombinasjon"].iloc[0]
    assert (None if pd.isna(value) else value) == expected


@pytest.mark.parametrize("objtype", ZONE_LISTS)
def test_every_combined_code_is_matched_by_at_most_one_default_rule(objtype):
    rules = load_combination_rules().codes
    rules = rules[rules["objtype"] == objtype]
    assert rules["kombinasjon"].isin(COMBINATIONS).all()
    assert rules["begrunnelse"].str.len().gt(10).all()  # every row says why
    for code in code_list(objtype).index:
        hits = rules[(rules["fra"] <= code) & (code <= rules["til"])]
        assert len(hits) <= 1, f"{objtype} {code} matched by {hits.to_dict('records')}"


def test_a_field_whose_provisions_let_leisure_homes_in_is_overridden_by_plan_and_feltnavn(
    tmp_path,
):
    path = tmp_path / "kombinasjoner.csv"
    path.write_text(
        "objtype,kode,plan_id,feltnavn,kombinasjon\n"
        ",,A,BFS2,bolig_fritid\n"
        ",,A,S1,ingen\n"
        "RP,1112,,,bolig_fritid\n",
        encoding="utf-8",
    )
    zones = zones_for(
        "RP", [1111, 1111, 1130, 1112], plan_id=["A"] * 4, feltnavn=["BFS1", "BFS2", "S1", "BKS1"]
    )
    out = classify_zones(zones, combinations=path)
    assert out["kombinasjon"].tolist() == [pd.NA, "bolig_fritid", pd.NA, "bolig_fritid"]
    assert out["kombinasjon_regel"].tolist() == [
        "kode",
        "overstyrt_felt",
        "overstyrt_felt",
        "overstyrt_kode",
    ]
    assert out["kategori"].tolist() == ["bolig", "bolig", "kombinert", "bolig"]  # unchanged


def test_a_bad_combination_file_names_the_file_row_and_value(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("objtype,kode,kombinasjon\nRP,1111,hytteby\n", encoding="utf-8")
    with pytest.raises(CodeListError, match=r"row 2: combination 'hytteby' is not one of") as err:
        classify_zones(zones_for("RP", [1111]), combinations=path)
    assert str(path) in str(err.value)
    path.write_text("objtype,kode\nRP,1111\n", encoding="utf-8")
    with pytest.raises(CodeListError, match="needs a 'kombinasjon' column"):
        classify_zones(zones_for("RP", [1111]), combinations=path)
