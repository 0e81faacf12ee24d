import pandas as pd
import pytest

from arealkart.errors import MunicipalityError
from arealkart.registry.kommuner import (
    VEST_TELEMARK,
    boundaries,
    current_numbers,
    kommunenummer,
    resolve,
    slugify,
)

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
    with pytest.raises(MunicipalityError, match=r"ambiguous: Herøy \(1515\), Herøy \(1818\)"):
        resolve("Herøy")


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


def test_boundaries_by_old_number_and_unknown_boundary():
    assert boundaries(["0834"])["navn"].tolist() == ["Vinje"]
    with pytest.raises(MunicipalityError, match="no boundary shipped for \\['0301'\\]"):
        boundaries(["Oslo"])
