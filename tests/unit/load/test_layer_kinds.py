"""A config entry's layer kind is honoured for files that hold several (SOSI, plan GML)."""

from __future__ import annotations

import pytest

from arealkart import read_plan
from arealkart.errors import FormatError
from arealkart.publish.accounting import balance
from helpers import shared_file

KJETSAA = ("data", "real", "sosi-plan-evje-4219", "Kjetsaa_massetak.sos")


def test_a_plan_file_listed_under_constraints_gives_only_its_constraints():
    path = shared_file(*KJETSAA)
    both = read_plan(path)
    assert len(both.zones) and len(both.constraints)
    only = read_plan(path, kind="constraints")
    assert len(only.zones) == 0 and len(only.constraints) == len(both.constraints)
    excluded = only.issues[only.issues["rule"] == "annet_lag"]
    assert len(excluded) == len(both.zones)
    assert set(excluded["layer"]) == {"zones"} and set(excluded["action"]) == {"excluded"}
    outputs = {"zones": only.zones, "constraints": only.constraints}
    assert (balance(only.counts, outputs, only.issues)["unaccounted"] == 0).all()


def test_an_unknown_layer_of_a_plan_file_names_the_layers_it_has():
    path = shared_file(*KJETSAA)
    with pytest.raises(FormatError, match=r"no layer 'nonsense'; its layers are \['zones', 'cons"):
        read_plan(path, layer="nonsense")
    assert len(read_plan(path, layer="zones").constraints) == 0


def test_an_unknown_layer_of_a_geopackage_names_the_layers_it_has(tmp_path):
    from shapely.geometry import box

    from builders import E0, N0, zones_file

    path = zones_file(tmp_path / "planer.gpkg", [box(E0, N0, E0 + 50, N0 + 50)])
    expected = r"planer\.gpkg: has no layer 'nonsense'; its layers are \['planer'\]"
    with pytest.raises(FormatError, match=expected):
        read_plan(path, layer="nonsense")
