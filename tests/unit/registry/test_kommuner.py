import geopandas as gpd
import pandas as pd
import pytest

from arealkart.errors import MunicipalityError
from arealkart.model.resources import package_data, shipped_data
from arealkart.registry.kommuner import (
    SHIPPED_BORDERS,
    VEST_TELEMARK,
    Kommune,
    boundaries,
    current_numbers,
    kommunenummer,
    resolve,
    shipped_boundaries,
    slugify,
)

TABLE = pd.read_csv(package_data("kommuner.csv"), dtype=str, keep_default_na=False)
CURRENT = TABLE[TABLE["til"] == ""]

HISTORY = {
    "Seljord": ("0828", "3820", "4022"),
    "Kviteseid": ("0829", "3821", "4028"),
    "Nissedal": ("0830", "3822", "4030"),
    "Fyresdal": ("0831", "3823", "4032"),
    "Tokke": ("0833", "3824", "4034"),
    "Vinje": ("0834", "3825", "4036"),
}


@pytest.mark.parametrize("name", sorted(HISTORY))
def test_all_three_numberings_resolve_to_todays_number(name):
    current = HISTORY[name][2]
    for number in HISTORY[name]:
        assert resolve(number).nummer == current
        assert resolve(int(number)).nummer == current
        assert resolve(number).navn == name


@pytest.mark.parametrize(
    "value",
    [
        "Vinje",
        "vinje",
        "VINJE",
        "Vinje kommune",
        " vinje ",
        4036,
        "4036",
        3825,
        "3825",
        "0834",
        834,
        "834.0",
    ],
)
def test_vinje_in_every_form(value):
    assert kommunenummer(value) == "4036"


def test_ascii_spellings_and_hyphens():
    assert resolve("Tromso").navn == "Tromsø"
    assert resolve("Aamot").navn == "Åmot"
    assert resolve("evje-og-hornnes").nummer == "4219"
    assert resolve("midt telemark").navn == "Midt-Telemark"


def test_all_2020_numbers_from_the_boundary_file_are_known():
    assert resolve(301).navn == "Oslo"
    assert resolve("5444").navn == "Sør-Varanger"
    assert resolve("4219").navn == "Evje og Hornnes"


def test_unknown_name_lists_the_closest():
    with pytest.raises(MunicipalityError, match=r"unknown municipality 'Vinjé'.*Vinje"):
        resolve("Vinjé")
    with pytest.raises(MunicipalityError, match=r"closest names: .*Kviteseid"):
        resolve("Kvitseid")


def test_unknown_number():
    with pytest.raises(MunicipalityError, match="unknown municipality number '9999'"):
        resolve("9999")


def test_ambiguous_name_asks_for_the_number():
    with pytest.raises(
        MunicipalityError,
        match=r"ambiguous: Herøy \(Møre og Romsdal\) \(1515\), Herøy \(Nordland\) \(1818\)",
    ):
        resolve("Herøy")
    assert resolve("Herøy (Nordland)").nummer == "1818"
    assert resolve("heroy (more og romsdal)").nummer == "1515"
    assert resolve("Våler (Østfold)").nummer == "3114"  # 3018 in 2020–2023


def test_current_numbers_maps_a_series_and_keeps_nulls():
    values = pd.Series(["0834", "3820", None, "Tokke"])
    assert current_numbers(values).tolist() == ["4036", "4022", pd.NA, "4034"]


def test_slugs():
    assert slugify("Vinje") == "vinje"
    assert slugify("Evje og Hornnes") == "evje-og-hornnes"
    assert slugify("Bø i Telemark") == "bo-i-telemark"
    assert resolve("Sør-Varanger").slug == "sor-varanger"


def test_boundaries_of_vest_telemark_in_the_working_crs():
    gdf = boundaries()
    assert gdf["kommunenummer"].tolist() == list(VEST_TELEMARK)
    assert gdf.crs == "EPSG:25832"
    areas_km2 = gdf.area / 1e6
    # the region has 6 819 km² of land; with lakes the six add up to about 7 700 km²
    # (Vinje alone about 3 100 km²)
    assert 7500 < areas_km2.sum() < 7900
    assert 3000 < areas_km2.iloc[-1] < 3200


def test_boundaries_by_old_number_and_the_two_parts_of_a_split_municipality():
    assert boundaries(["0834"])["navn"].tolist() == ["Vinje"]
    for part in ("1508", "Haram"):
        with pytest.raises(
            MunicipalityError,
            match=r"hold 1508 Ålesund and 1580 Haram together as 1507 Ålesund; give the "
            r"region's own borders \(\[region\] borders",
        ):
            boundaries(["Oslo", part])


# --- the whole country, in 2024 numbering --------------------------------------------------


def test_the_registry_holds_the_357_municipalities_of_2024():
    assert len(CURRENT) == 357 and CURRENT["nummer"].is_unique
    counties = CURRENT["nummer"].str[:2].unique()
    assert sorted(counties) == sorted(
        ["03", "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56"]
    )
    for row in CURRENT.itertuples():
        assert resolve(row.nummer) == resolve(row.navn) == Kommune(row.nummer, row.navn)


@pytest.mark.parametrize(
    ("old", "new", "navn"),
    [
        ("3001", "3101", "Halden"),  # Viken → Østfold
        ("3024", "3201", "Bærum"),  # Viken → Akershus
        ("3005", "3301", "Drammen"),  # Viken → Buskerud
        ("3801", "3901", "Horten"),  # Vestfold og Telemark → Vestfold
        ("3806", "4001", "Porsgrunn"),  # → Telemark
        ("5401", "5501", "Tromsø"),  # Troms og Finnmark → Troms
        ("5444", "5605", "Sør-Varanger"),  # → Finnmark
        ("5414", "5516", "Gratangen - Rivtták"),  # renumbered and a Sami name
        ("0301", "0301", "Oslo"),
        ("4601", "4601", "Bergen"),
    ],
)
def test_2020_numbers_follow_the_county_splits_of_2024(old, new, navn):
    assert resolve(old) == resolve(new) == Kommune(new, navn)


def test_every_2020_number_but_alesund_has_one_current_successor():
    borders = gpd.read_file(shipped_data(SHIPPED_BORDERS), columns=["kommunenummer"])
    numbers = borders["kommunenummer"].astype(int).map("{:04d}".format)
    assert len(numbers) == 356
    current = {}
    for number in numbers:
        if number == "1507":
            continue
        current[number] = kommunenummer(number)
    assert set(current.values()) <= set(CURRENT["nummer"])
    assert len(set(current.values())) == 355  # no two 2020 municipalities merged since
    assert set(CURRENT["nummer"]) - set(current.values()) == {"1508", "1580"}


def test_alesund_of_2020_asks_for_the_current_number():
    with pytest.raises(
        MunicipalityError,
        match=r"1507 \(Ålesund 2020–2023\) was split in 2024 into 1508 Ålesund and "
        r"1580 Haram; give the current number",
    ):
        resolve("1507")
    assert resolve("Ålesund") == Kommune("1508", "Ålesund")
    assert resolve("haram kommune") == Kommune("1580", "Haram")


@pytest.mark.parametrize(
    "value",
    ["Trondheim - Tråante", "Trondheim – Tråante", "Tråante", "Trondheim", "traante", "TRAAANTE"],
)
def test_each_of_parallel_names_resolves(value):
    assert resolve(value) == Kommune("5001", "Trondheim - Tråante")


def test_sami_and_kven_names_alone():
    assert resolve("Kautokeino").navn == "Guovdageaidnu - Kautokeino"
    assert resolve("Guovdageaidnu").nummer == "5612"
    assert resolve("Kárášjohka").nummer == resolve("karasjohka").nummer == "5610"
    assert resolve("Porsanki").nummer == resolve("Porsáŋgu").nummer == "5622"
    assert resolve("Raane").navn == "Rana - Raane"
    assert resolve("Snåsa").navn == "Snåase - Snåsa"
    assert resolve("Rosse").navn == resolve("Røros").navn == "Røros - Rosse"
    assert resolve("Kaivuono").nummer == resolve("Kåfjord").nummer == "5540"


def test_no_name_of_a_current_municipality_is_ambiguous_but_herøy_and_våler():
    shared = {"Herøy", "Våler"}
    for row in CURRENT.itertuples():
        for part in row.navn.split(" - "):
            bare = part.split(" (")[0]
            if bare in shared:
                assert resolve(part).nummer == row.nummer
                continue
            assert resolve(bare).nummer == row.nummer, bare


def test_slugs_are_of_the_first_name_and_unique():
    slugs = [resolve(n).slug for n in CURRENT["nummer"]]
    assert len(set(slugs)) == 357
    assert resolve("5001").slug == "trondheim"
    assert resolve("5612").slug == "guovdageaidnu"
    assert resolve("1818").slug == "heroy-nordland"


def test_borders_of_municipalities_of_several_counties():
    gdf = boundaries(["Oslo", "4601", "Tråante", "5401"])
    assert gdf["kommunenummer"].tolist() == ["0301", "4601", "5001", "5501"]
    areas_km2 = dict(zip(gdf["kommunenummer"], gdf.area / 1e6, strict=True))
    assert 400 < areas_km2["0301"] < 500  # Oslo: 454 km²
    assert 400 < areas_km2["4601"] < 500  # Bergen: 465 km²
    assert 2400 < areas_km2["5501"] < 2600  # Tromsø: 2 521 km²


def test_the_shipped_borders_cover_norway_under_current_numbers():
    gdf = shipped_boundaries()
    assert len(gdf) == 355 and gdf["kommunenummer"].is_unique
    assert set(gdf["kommunenummer"]) == set(CURRENT["nummer"]) - {"1508", "1580"}
    assert gdf.crs == "EPSG:25832" and gdf.is_valid.all()
    # mainland Norway: 323 800 km² of land and fresh water
    assert 320_000 < gdf.area.sum() / 1e6 < 330_000
