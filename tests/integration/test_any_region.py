"""A region outside Vest-Telemark builds from its config alone: real SOSI plans of Evje og
Hornnes with the shipped borders, and with borders of the region's own."""

import subprocess

import geopandas as gpd
import pytest
import shapely

from arealkart import read_plan
from arealkart.registry.kommuner import boundaries
from helpers import EXE, shared_file

PLANS = ("Kjetsaa_massetak.sos", "Evjetun_leirsted.sos")


@pytest.fixture
def evje(tmp_path):
    """A config for Evje og Hornnes (4219 in 2020 and today) with its two real SOSI plans."""
    for name in PLANS:
        sample = shared_file("data", "real", "sosi-plan-evje-4219", name)
        (tmp_path / name).write_bytes(sample.read_bytes())
    config = tmp_path / "evje.toml"
    config.write_text(
        '[region]\nnavn = "Setesdal"\nslug = "setesdal"\n{borders}\n'
        '[[kommune]]\nkommune = "Evje og Hornnes"\n'
        f"plans = [{', '.join(f'{chr(34)}{p}{chr(34)}' for p in PLANS)}]\n",
        encoding="utf-8",
    )
    return config


def run(config, borders=""):
    config.write_text(config.read_text(encoding="utf-8").replace("{borders}", borders))
    out = config.parent / "ut"
    done = subprocess.run(
        [EXE, "-q", "build", "--config", str(config), "--output", str(out), "--lang", "en"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return out


def outside_their_municipality(out):
    issues = gpd.pd.read_csv(out / "issues.csv", dtype=str)
    return issues[issues["rule"] == "utenfor_kommune"]


def test_evje_builds_with_the_shipped_borders(evje):
    out = run(evje)
    assert (out / "kart" / "en" / "evje-og-hornnes.html").exists()
    assert outside_their_municipality(out).empty  # the real plans lie inside Evje's border
    border = boundaries(["4219"]).geometry.iloc[0]
    for name in PLANS:  # the plans' zones (none in force: planstatus 1 and 2) are in 4219
        zones = read_plan(evje.parent / name).zones
        assert len(zones) and zones.representative_point().within(border).all()


def test_evje_builds_with_its_own_borders_in_another_crs(evje):
    """Borders of the region's own (here: Evje's, cut to 3 km around one of its two plans)
    decide which features lie outside their municipality."""
    kjetsaa = read_plan(evje.parent / PLANS[0]).zones
    near = shapely.box(*kjetsaa.total_bounds).buffer(3000)
    theirs = boundaries(["4219", "4220"]).rename(columns={"kommunenummer": "KNR"})
    theirs.loc[0, "geometry"] = theirs.geometry.iloc[0].intersection(near)
    theirs.drop(columns="navn").to_crs("EPSG:4326").to_file(evje.parent / "grenser.geojson")
    out = run(evje, 'borders = { path = "grenser.geojson", column = "KNR" }')
    outside = outside_their_municipality(out)
    accounts = gpd.pd.read_csv(out / "regnskap.csv").set_index(["file", "layer"])
    assert set(outside["file"]) == {PLANS[1]}  # Evjetun, 8.7 km from Kjetsaa
    zones = outside[outside["layer"] == "zones"]
    assert len(zones) == accounts.loc[(PLANS[1], "zones"), "read"]  # every one of its zones
    assert set(outside["action"]) == {"excluded"}
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert "grenser.geojson" in manifest  # an input of the build, with its checksum
