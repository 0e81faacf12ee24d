"""A plot register joined to its polygons: every odd register still balances, clearly."""

from __future__ import annotations

import shutil

from arealkart import read_plan
from arealkart.publish.accounting import balance
from helpers import DEMO

HEADER = "tomt_id;planid;felt;areal_m2;pris;va;status\n"
FIRST, SECOND = "4022-2018001-BFS1-1", "4022-2018001-BFS1-2"


def register(tmp_path, *rows: str):
    shutil.copy(DEMO / "4022-seljord" / "tomter.geojson", tmp_path / "tomter.geojson")
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return read_plan(path, kommune="Seljord", geometry=tmp_path / "tomter.geojson")


def balanced(data) -> bool:
    table = balance(data.counts, {"plots": data.plots}, data.issues)
    return bool((table["unaccounted"] == 0).all())


def test_a_register_whose_rows_match_no_polygon_is_read_and_reported(tmp_path):
    data = register(tmp_path, "X-1;1;B;960;300000;ja;ledig")
    assert len(data.plots) == 0
    assert set(data.issues["rule"]) == {"tomt_uten_geometri", "tomt_uten_register"}
    assert balanced(data)


def test_a_repeated_register_id_is_named_and_the_first_row_used(tmp_path):
    data = register(tmp_path, f"{FIRST};1;B;960;1;ja;ledig", f"{FIRST};1;B;970;2;ja;solgt")
    assert list(data.plots["tomt_id"]) == [FIRST] and data.plots["pris"].iloc[0] == 1
    repeated = data.issues[data.issues["rule"] == "duplikat"]
    assert len(repeated) == 1 and "row 3 repeats plot id" in repeated["detail"].iloc[0]
    assert balanced(data)


def test_negative_sizes_and_prices_are_flagged_and_left_empty(tmp_path):
    data = register(tmp_path, f"{FIRST};1;B;-960;300000;ja;ledig", f"{SECOND};1;B;960;-5;ja;ledig")
    plots = data.plots.set_index("tomt_id")
    assert plots["tomt_m2"].isna()[FIRST]
    assert plots["pris"].isna()[SECOND] and plots.loc[FIRST, "pris"] == 300000
    flagged = data.issues[data.issues["rule"] == "ugyldig_verdi"]
    assert sorted(flagged["feature"]) == [FIRST, SECOND]
    assert (data.plots[["tomt_m2", "pris"]].fillna(0) >= 0).all().all()  # the schema's minimum
    assert balanced(data)
