"""Tests of the native SOSI reader (:mod:`arealkart.load.sosi`).

Small SOSI files are built in code; the real samples are read from ``../shared`` and the
tests that need them skip when it is absent.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from arealkart.errors import ArealkartError, InputError, SosiError
from arealkart.load.geometry import MAX_ARC_POINTS
from arealkart.load.read import read_plan
from arealkart.load.sosi import TEGNSETT, koordsys_table, parse_refs, parse_sosi, read_sosi
from arealkart.publish.accounting import balance, check_balance
from helpers import REAL

EVJE = REAL / "sosi-plan-evje-4219"
NVDB = REAL / "sosi-nvdb-reader"
EVJE_FILES = sorted(EVJE.glob("*.sos")) if EVJE.is_dir() else []

needs_evje = pytest.mark.skipif(not EVJE_FILES, reason=f"real Evje plans not found in {EVJE}")
needs_nvdb = pytest.mark.skipif(not NVDB.is_dir(), reason=f"NVDB SOSI samples not found in {NVDB}")


# --------------------------------------------------------------------------- building SOSI text


def head(*, tegnsett="UTF-8", koordsys="22", enhet="0.01", origo="0 0") -> str:
    lines = [".HODE", f"..TEGNSETT {tegnsett}", "..TRANSPAR"]
    if koordsys is not None:
        lines.append(f"...KOORDSYS {koordsys}")
    lines += [f"...ORIGO-NØ {origo}", f"...ENHET {enhet}", "..SOSI-VERSJON 4.5"]
    return "\n".join(lines) + "\n"


def curve(serial, points, *, kind="KURVE", objtype="RpFormålGrense") -> str:
    coords = "\n".join(f"{n} {e}" for n, e in points)
    return f".{kind} {serial}:\n..OBJTYPE {objtype}\n..NØ\n{coords}\n"


def flate(serial, refs, objtype, attrs, *, komm="4036", planid="2021001") -> str:
    lines = [f".FLATE {serial}:", f"..OBJTYPE {objtype}"]
    lines += [f"..{k} {v}" for k, v in attrs.items()]
    lines += ["..NASJONALAREALPLANID", f"...KOMM {komm}", f"...PLANID {planid}"]
    lines += ["..IDENT", f"...LOKALID id-{serial}", f"..REF {refs}", "..NØ", "1 1"]
    return "\n".join(lines) + "\n"


def square_curves(size, *, first=1) -> str:
    """Two curves around a square [0, size]² (north, east), the second with a KP marker."""
    a = curve(first, [(0, 0), (0, size), (size, size)])
    b = curve(first + 1, [(size, size), (size, 0), (0, 0)])
    return a + b.replace("\n0 0\n", "\n0 0 ...KP 1\n")


def balanced(data) -> bool:
    """Every object is in the outputs, counted as read-and-used, or reported dropped."""
    outputs = {"zones": data.zones, "constraints": data.constraints}
    return check_balance(balance(data.counts, outputs, data.issues)) is not None


def write(tmp_path, text, *, name="plan.sos", encoding="utf-8", newline="\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


# --------------------------------------------------------------------------- small plans


SIZE = 100_000  # 100 m with ENHET 0.001
RADIUS = 20_000  # 20 m
ORIGO = (6_620_000, 170_000)


def iso_plan_text() -> str:
    """ISO8859-1, KOORDSYS 23, ENHET 0.001 with ORIGO-NØ: a square zone with a half-disc hole."""
    c = (50_000, 50_000)
    hole_arc = curve(
        3, [(c[0], c[1] - RADIUS), (c[0] + RADIUS, c[1]), (c[0], c[1] + RADIUS)], kind="BUEP"
    )
    hole_chord = curve(4, [(c[0], c[1] + RADIUS), (c[0], c[1] - RADIUS)])
    zone = flate(
        10,
        ":1 :2 (:3 :4)",
        "RpArealformålOmråde",
        {"RPAREALFORMÅL": "1120", "FELTNAVN": '"Fritid Sæbø"', "EIERFORM": "3"},
    )
    plan = flate(
        11,
        ":1 :2",
        "RpOmråde",
        {
            "PLANNAVN": '"Reguleringsplan for Øvre Åsen, Bø"',
            "PLANTYPE": "35",
            "PLANSTAT": "3",
            "IKRAFT": "20210615",
        },
    )
    return (
        head(tegnsett="ISO8859-1", koordsys="23", enhet="0.001", origo=f"{ORIGO[0]} {ORIGO[1]}")
        + square_curves(SIZE)
        + hole_arc
        + hole_chord
        + zone
        + plan
        + ".SLUTT\n"
    )


@pytest.fixture
def iso_plan(tmp_path) -> Path:
    return write(tmp_path, iso_plan_text(), encoding="latin-1")


def test_iso_plan_parses_objects_in_the_file_crs(iso_plan):
    sosi = parse_sosi(iso_plan)
    assert sosi.header.tegnsett == "ISO8859-1"
    assert sosi.header.crs == "EPSG:25833"
    assert sosi.header.enhet == pytest.approx(0.001)
    assert sosi.header.origo == ORIGO
    objects = {o.feature: o for o in sosi}
    zone = objects["FLATE 10"]
    assert zone.attrs["FELTNAVN"] == "Fritid Sæbø"
    assert zone.attrs["KOMM"] == "4036" and zone.attrs["LOKALID"] == "id-10"
    assert objects["FLATE 11"].attrs["PLANNAVN"] == "Reguleringsplan for Øvre Åsen, Bø"
    assert zone.geometry.is_valid and len(zone.geometry.interiors) == 1
    assert zone.geometry.bounds == pytest.approx(
        (ORIGO[1], ORIGO[0], ORIGO[1] + 100, ORIGO[0] + 100)
    )
    # the hole is a half disc of radius 20 m, its arc densified within 5 cm of the circle
    expected = 100 * 100 - math.pi * 20**2 / 2
    assert zone.geometry.area == pytest.approx(expected, rel=1e-3)
    arc = objects["BUEP 3"].geometry
    distances = np.hypot(*(np.asarray(arc.coords) - [ORIGO[1] + 50, ORIGO[0] + 50]).T)
    assert distances == pytest.approx(20, abs=1e-6)
    assert len(arc.coords) > 10
    assert len(sosi.issues) == 0


def test_iso_plan_reads_into_zones_reprojected_to_25832(iso_plan):
    data = read_sosi(iso_plan)
    zones = data.zones
    assert len(zones) == 1 and str(zones.crs) == "EPSG:25832"
    zone = zones.iloc[0]
    assert zone["feltnavn"] == "Fritid Sæbø"
    assert zone["plan_navn"] == "Reguleringsplan for Øvre Åsen, Bø"
    assert (zone["plantype"], zone["planstatus"], zone["arealformal"]) == (35, 3, 1120)
    assert zone["ikraft"] == np.datetime64("2021-06-15")
    assert zone["kommunenummer"] == "4036" and zone["objtype"] == "RP"
    back = zones.to_crs("EPSG:25833").geometry.iloc[0]
    assert back.bounds == pytest.approx(
        (ORIGO[1], ORIGO[0], ORIGO[1] + 100, ORIGO[0] + 100), abs=1e-3
    )
    to_32 = Transformer.from_crs("EPSG:25833", "EPSG:25832", always_xy=True)
    assert zone.geometry.exterior.coords[0] == pytest.approx(
        to_32.transform(ORIGO[1], ORIGO[0]), abs=1e-3
    )
    counts = dict(zip(data.counts["layer"], data.counts["features"], strict=True))
    assert counts == {"zones": 1, "constraints": 0, "other:RpFormålGrense": 4, "other:RpOmråde": 1}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_crlf_and_lf_read_the_same(tmp_path, newline):
    path = write(tmp_path, iso_plan_text(), encoding="latin-1", newline=newline)
    zone = read_sosi(path).zones.iloc[0]
    assert zone["feltnavn"] == "Fritid Sæbø"
    assert zone.geometry.area == pytest.approx(100 * 100 - math.pi * 20**2 / 2, rel=2e-2)


def kp_plan_text(tegnsett="UTF-8") -> str:
    zone = flate(
        10,
        ":1 :2",
        "KpArealformålOmråde",
        {"KPAREALFORMÅL": "1110", "AREALST": "2", "FELTNAVN": "B_Sæbø"},
    )
    plan = flate(
        11,
        ":1 :2",
        "KpOmråde",
        {
            "PLANNAVN": '"Kommuneplan for Vinje, Åmot og Øyfjell"',
            "PLANTYPE": "20",
            "PLANSTAT": "3",
            "IKRAFT": "20190101",
        },
    )
    return head(tegnsett=tegnsett) + square_curves(10_000) + zone + plan + ".SLUTT\n"


def test_kp_plan_zone_carries_plan_metadata_and_arealst(tmp_path):
    zones = read_sosi(write(tmp_path, kp_plan_text())).zones
    zone = zones.iloc[0]
    assert (zone["objtype"], zone["arealformal"], zone["arealst"]) == ("KP", 1110, 2)
    assert zone["plan_navn"] == "Kommuneplan for Vinje, Åmot og Øyfjell"
    assert (zone["plantype"], zone["planstatus"]) == (20, 3)
    assert zone.geometry.area == pytest.approx(100 * 100)


def test_rb_zone_from_an_old_plan(tmp_path):
    zone = flate(10, ":1 :2", "RbFormålOmråde", {"REGFORM": "110"})
    plan = flate(11, ":1 :2", "RbOmråde", {"PLANNAVN": "Gamleplan", "PLANSTAT": "3"})
    text = head() + square_curves(10_000) + zone + plan + ".SLUTT\n"
    zones = read_sosi(write(tmp_path, text)).zones
    assert (zones.iloc[0]["objtype"], zones.iloc[0]["arealformal"]) == ("RB", 110)
    assert zones.iloc[0]["plan_navn"] == "Gamleplan"


@pytest.mark.parametrize(
    ("tegnsett", "encode"),
    [
        ("DOSN8", lambda text: text.encode("cp865")),
        ("ND7", lambda text: text.translate(str.maketrans("ÆØÅæøå", "[\\]{|}")).encode("ascii")),
        ("DECN7", lambda text: text.translate(str.maketrans("ÆØÅæøå", "[\\]{|}")).encode("ascii")),
        ("ISO8859-10", lambda text: text.encode("iso8859-10")),
        ("ANSI", lambda text: text.encode("latin-1")),
    ],
)
def test_norwegian_character_sets(tmp_path, tegnsett, encode):
    path = tmp_path / "plan.sos"
    path.write_bytes(encode(kp_plan_text(tegnsett)))
    zone = read_sosi(path).zones.iloc[0]
    assert zone["feltnavn"] == "B_Sæbø"
    assert zone["plan_navn"] == "Kommuneplan for Vinje, Åmot og Øyfjell"


def test_utf8_bom_and_encoding_override(tmp_path):
    text = kp_plan_text("ISO8859-1")  # the head claims ISO8859-1 …
    path = tmp_path / "plan.sos"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # … but a BOM says UTF-8
    assert read_sosi(path).zones.iloc[0]["feltnavn"] == "B_Sæbø"
    path.write_bytes(text.encode("utf-8"))
    assert read_sosi(path, encoding="UTF-8").zones.iloc[0]["feltnavn"] == "B_Sæbø"
    trusting_the_head = {o.feature: o for o in parse_sosi(path)}["FLATE 10"]
    assert trusting_the_head.attrs["FELTNAVN"] == "B_SÃ¦bÃ¸"


def test_head_without_tegnsett_reads_utf8_and_falls_back_to_latin1(tmp_path):
    text = kp_plan_text().replace("..TEGNSETT UTF-8\n", "")
    utf8 = write(tmp_path, text, name="utf8.sos")
    latin1 = write(tmp_path, text, name="latin1.sos", encoding="latin-1")
    assert parse_sosi(utf8).header.tegnsett is None
    for path in (utf8, latin1):
        assert read_sosi(path).zones.iloc[0]["feltnavn"] == "B_Sæbø"


def test_curves_may_come_after_the_flate_and_signs_may_be_wrong(tmp_path):
    zone = flate(10, ":1 :-2", "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"})
    text = head() + zone + square_curves(10_000) + ".SLUTT\n"  # :-2 contradicts the endpoints
    data = read_sosi(write(tmp_path, text))
    assert len(data.zones) == 1 and data.zones.geometry.iloc[0].area == pytest.approx(10_000)
    assert data.issues.empty


@pytest.mark.parametrize(
    ("kind", "points"),
    [
        # one .BUEP of five points: two half circles
        ("BUEP", [(0, -1000), (1000, 0), (0, 1000), (-1000, 0), (0, -1000)]),
        # a .SIRKELP: the whole circle through three points
        ("SIRKELP", [(0, -1000), (1000, 0), (0, 1000)]),
    ],
)
def test_a_full_circle_of_radius_10_m(tmp_path, kind, points):
    arc = curve(1, points, kind=kind)
    zone = flate(10, ":1", "RpArealformålOmråde", {"RPAREALFORMÅL": "3040"})
    sosi = parse_sosi(write(tmp_path, head() + arc + zone + ".SLUTT\n"), arc_tolerance=0.01)
    circle = {o.feature: o for o in sosi}["FLATE 10"].geometry
    assert np.hypot(*np.asarray(circle.exterior.coords).T) == pytest.approx(10, abs=1e-9)
    # chords at most 1 cm inside the circle lose at most 2/3 × 1 cm × the perimeter
    deficit = 2 / 3 * 0.01 * 2 * math.pi * 10
    assert math.pi * 10**2 - deficit <= circle.area < math.pi * 10**2


def test_multiple_coordinate_blocks_concatenate(tmp_path):
    text = (
        head()
        + (
            ".KURVE 1:\n..OBJTYPE RpGrense\n..NØ\n0 0 ...KP 1\n..NØ\n100 0\n"
            "200 100 ...KP 1\n..NØH\n300 300 12\n"
        )
        + ".SLUTT\n"
    )
    line = next(iter(parse_sosi(write(tmp_path, text)))).geometry
    assert list(line.coords) == [(0, 0), (0, 1), (1, 2), (3, 3)]


def test_comments_and_quoted_strings(tmp_path):
    text = (
        head()
        + (
            ".PUNKT 1: ! a point\n..OBJTYPE Punkt\n"
            '..NAVN "Tore""" & \' "Eide\'\' \' & "Andersen" ! not part of it\n'
            '..MERKNAD "Hei! Ikke kommentar"\n..NØ\n100 200 ! trailing\n'
        )
        + ".SLUTT\n"
    )
    point = next(iter(parse_sosi(write(tmp_path, text))))
    assert point.attrs["NAVN"] == 'Tore" "Eide\' Andersen'
    assert point.attrs["MERKNAD"] == "Hei! Ikke kommentar"
    assert (point.geometry.x, point.geometry.y) == (2.0, 1.0)


def test_repeated_groups_become_lists(tmp_path):
    zone = flate(10, ":1 :2", "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"}).replace(
        "..REF",
        "..UTNYTT\n...UTNTYP 3\n...UTNTALL 30\n..UTNYTT\n...UTNTYP 12\n...UTNTALL 250\n..REF",
    )
    text = head() + square_curves(10_000) + zone + ".SLUTT\n"
    objects = {o.feature: o for o in parse_sosi(write(tmp_path, text))}
    assert objects["FLATE 10"].attrs["UTNTYP"] == ["3", "12"]
    assert objects["FLATE 10"].attrs["UTNTALL"] == ["30", "250"]
    zone_row = read_sosi(write(tmp_path, text)).zones.iloc[0]
    assert (zone_row["utnyttingstype"], zone_row["utnyttingstall"]) == (3, 30.0)


def test_ref_lines_continue_and_islands_parse():
    assert parse_refs(" :1 :-2 \n:3 (:4 :-5) (:6 ) ") == ([1, -2, 3], [[4, -5], [6]])
    for bad, message in [
        ("(:1", r"'\(' without '\)'"),
        (":1 )", r"'\)' without '\('"),
        (":1 ((:2))", "nested"),
        (":1 x", "unexpected 'x'"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_refs(bad)


def test_koordsys_table_has_the_standard_codes():
    table = koordsys_table()
    expected = {
        22: 25832,
        23: 25833,
        25: 25835,
        21: 25831,
        24: 25834,
        84: 4326,
        1: 27391,
        8: 27398,
        31: 23031,
        36: 23036,
    }
    assert {code: table[code][0] for code in expected} == expected
    assert {"UTF-8", "ISO8859-1", "ISO8859-10", "ANSI", "DOSN8", "ND7", "DECN7"} <= set(TEGNSETT)


def _zone_in_name(name: str) -> str | None:
    match = re.search(r"(?:sone|akse) ([0-9IVX]+)$", name)
    return match.group(1) if match else None


def test_every_koordsys_row_names_the_crs_its_epsg_code_is():
    """The table's names checked against the EPSG registry as pyproj has it."""
    import pyproj

    families = {
        "EUREF89 UTM": "ETRS89 / UTM zone {}N",
        "WGS84 UTM": "WGS 84 / UTM zone {}N",
        "ED50 UTM": "ED50 / UTM zone {}N",
        "EUREF89 NTM": "ETRS89 / NTM zone {}",
        "NGO1948 Gauss-Krüger": "NGO 1948 (Oslo) / NGO zone {}",
    }
    for code, (epsg, name) in koordsys_table().items():
        crs = pyproj.CRS.from_epsg(epsg)
        family = next((f for f in families if name.startswith(f)), None)
        if family is None:
            assert crs.is_geographic and "geografisk" in name, (code, name, crs.name)
        else:
            assert crs.name == families[family].format(_zone_in_name(name)), (code, crs.name)
    table = koordsys_table()
    assert [table[100 + zone][0] for zone in range(5, 31)] == list(range(5105, 5131))
    assert [table[30 + zone][0] for zone in range(29, 37)] == list(range(32629, 32637))


def test_a_plan_with_koordsys_ntm_10_reads_without_a_crs(tmp_path):
    zone = read_sosi(write(tmp_path, ntm_plan_text("110"))).zones.iloc[0]
    assert zone.geometry.area == pytest.approx(
        read_sosi(write(tmp_path, ntm_plan_text(None)), crs="EPSG:5110").zones.iloc[0].geometry.area
    )
    assert 9_950 < zone.geometry.area < 10_050


def test_geographic_koordsys_84_is_reprojected(tmp_path):
    # a 0.001° × 0.002° box near Dalen (59.44 N, 8.00 E); ENHET 1e-6 degrees
    north, east = 59_440_000, 8_000_000
    curves = curve(1, [(north, east), (north, east + 2000), (north + 1000, east + 2000)]) + curve(
        2, [(north + 1000, east + 2000), (north + 1000, east), (north, east)]
    )
    zone = flate(10, ":1 :2", "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"}, komm="4034")
    path = write(tmp_path, head(koordsys="84", enhet="0.000001") + curves + zone + ".SLUTT\n")
    geometry = read_sosi(path).zones.geometry.iloc[0]
    assert 430_000 < geometry.centroid.x < 450_000 and 6_585_000 < geometry.centroid.y < 6_595_000
    # 0.001° of latitude ≈ 111.2 m; 0.002° of longitude ≈ 2 × 111.3 km × cos 59.44° / 1000
    expected = 111.2 * 0.002 * 111_320 * math.cos(math.radians(59.44))
    assert geometry.area == pytest.approx(expected, rel=0.01)


# --------------------------------------------------------------------------- bad input


def test_truncated_file_loads_what_is_complete(tmp_path):
    text = iso_plan_text()
    cut = text[: text.index(".FLATE 11:") + 60]  # inside the last object, no .SLUTT
    data = read_sosi(write(tmp_path, cut, encoding="latin-1"))
    assert len(data.zones) == 1
    issue = data.issues.iloc[0]
    # the cut plan boundary is counted (as read, never output) and flagged
    assert (issue["feature"], issue["layer"], issue["rule"], issue["action"]) == (
        "FLATE 11",
        "RpOmråde",
        "fil_avkortet",
        "flagged",
    )
    assert "without .SLUTT" in issue["detail"]
    assert data.counts["features"].sum() == 6
    assert balanced(data)


def test_truncated_inside_a_zone(tmp_path):
    text = iso_plan_text()
    zone_at = text.index(".FLATE 10:")
    cut = (
        text[:zone_at]
        + text[text.index(".FLATE 11:") : text.index(".SLUTT")]
        + text[zone_at : zone_at + 90]
    )  # the zone moved last and cut before its KOMM
    data = read_sosi(write(tmp_path, cut, encoding="latin-1"))
    assert data.zones.empty
    issues = data.issues
    assert list(issues["rule"]) == ["fil_avkortet"]  # one issue for the dropped zone
    assert (issues.iloc[0]["layer"], issues.iloc[0]["action"]) == ("zones", "unreadable")
    counts = dict(zip(data.counts["layer"], data.counts["features"], strict=True))
    assert counts["zones"] == 1  # read, and reported: the accounting balances
    assert balanced(data)


def test_truncated_in_the_middle_of_a_coordinate_line(tmp_path):
    text = iso_plan_text()
    cut = text[: text.index(".BUEP 3:")] + ".BUEP 3:\n..OBJTYPE RpFormålGrense\n..NØ\n50000 3"
    data = read_sosi(write(tmp_path, cut, encoding="latin-1"))
    assert list(data.issues["rule"]) == ["fil_avkortet"]
    assert data.issues.iloc[0]["feature"] == "BUEP 3"
    assert data.counts["features"].sum() == 3


def test_truncated_inside_a_utf8_character(tmp_path):
    raw = kp_plan_text().encode("utf-8")
    cut = raw[: raw.index("Sæbø".encode()) + 2]  # between the two bytes of "æ"
    path = tmp_path / "plan.sos"
    path.write_bytes(cut)
    data = read_sosi(path)
    assert data.zones.empty and list(data.issues["rule"]) == ["fil_avkortet"]


def test_coordinate_line_that_is_not_integers_is_reported(tmp_path):
    text = iso_plan_text().replace("0 100000\n", "0 100000.5\n", 1)
    data = read_sosi(write(tmp_path, text, encoding="latin-1"))
    issues = data.issues.set_index("feature")
    assert tuple(issues.loc["KURVE 1", ["layer", "rule", "action"]]) == (
        "RpFormålGrense",
        "koordinat_feil",
        "flagged",
    )
    assert re.search(
        r"line 12: expected 2 integers \(north east\), got '0 100000.5'",
        issues.loc["KURVE 1", "detail"],
    )
    flate_issue = data.issues[data.issues["feature"] == "FLATE 10"].iloc[0]
    assert tuple(flate_issue[["layer", "rule", "action"]]) == (
        "zones",
        "geometri_feil",
        "unreadable",
    )
    assert (data.issues["layer"] == "zones").sum() == 1  # reported once, by the reader
    assert "references curve :1, which could not be read (line 12" in flate_issue["detail"]
    assert data.zones.empty  # the zone is unreadable, and reported as such
    assert balanced(data)


@pytest.mark.parametrize(
    ("refs", "detail"),
    [
        (":1 :7", "references :7, which is not a curve"),
        (":1", "the ring does not close: gap of 141.42 between the end of :1 and the start of :1"),
        (":1 :3", "gap of 86.02 between the end of :1 and the start of :3"),
        (":1 (:2", "'(' without ')' in ..REF"),
        ("(:1 :2)", "no outer boundary"),
    ],
)
def test_flate_that_cannot_be_assembled_is_reported(tmp_path, refs, detail):
    text = iso_plan_text().replace("..REF :1 :2 (:3 :4)", f"..REF {refs}")
    data = read_sosi(write(tmp_path, text, encoding="latin-1"))
    issue = data.issues[data.issues["rule"] == "geometri_feil"].iloc[0]
    assert (issue["file"], issue["feature"], issue["action"]) == (
        "plan.sos",
        "FLATE 10",
        "unreadable",
    )
    assert detail in issue["detail"]
    assert data.zones.empty
    assert data.counts["features"].sum() == 6  # the zone is still counted
    assert balanced(data)


def test_flate_without_ref_is_reported(tmp_path):
    text = iso_plan_text().replace("..REF :1 :2 (:3 :4)\n", "")
    data = read_sosi(write(tmp_path, text, encoding="latin-1"))
    assert "has no ..REF" in data.issues.iloc[0]["detail"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            head(tegnsett="KLINGON") + ".SLUTT\n",
            r"plan\.sos, line 2: unknown \.\.TEGNSETT 'KLINGON'; supported: UTF-8, .*DOSN8",
        ),
        (
            head(koordsys="99") + ".SLUTT\n",
            r"plan\.sos, line 4: unknown \.\.\.KOORDSYS '99'; known codes: .*22 \(EUREF89 UTM",
        ),
        (head(enhet="0") + ".SLUTT\n", r"line 6: \.\.\.ENHET must be positive"),
        (head(enhet="abc") + ".SLUTT\n", r"line 6: \.\.\.ENHET must be a number, got 'abc'"),
        (head(origo="1 2 3") + ".SLUTT\n", r"line 5: \.\.\.ORIGO-NØ must be two numbers"),
        (
            "\n\n.KURVE 1:\n..NØ\n1 2\n.SLUTT\n",
            r"plan\.sos, line 3: expected the file to start with \.HODE, found '\.KURVE 1:'",
        ),
        ("", r"plan\.sos, line 1: no \.HODE"),
        (head() + ".KURVE 1:\n..NØ\n1 2\x00\n.SLUTT\n", r"line 10: binary data \(NUL bytes\)"),
        (head() + ". 1:\n..NØ\n1 2\n.SLUTT\n", r"line 8: expected an object header"),
        (head() + ".HODE\n..TEGNSETT UTF-8\n.SLUTT\n", r"line 8: a second \.HODE"),
    ],
)
def test_unreadable_files_raise_sosi_error(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(SosiError, match=match) as info:
        read_sosi(path)
    assert isinstance(info.value, InputError) and info.value.path == str(path)


def test_bytes_that_are_not_the_declared_charset(tmp_path):
    path = tmp_path / "plan.sos"
    path.write_bytes(
        (head() + ".PUNKT 1:\n..NAVN ").encode()
        + "Sæbø\n".encode("latin-1")
        + b"..N\xc3\x98\n1 2\n.SLUTT\n"
    )
    with pytest.raises(SosiError, match=r"line 9: bytes that are not valid UTF-8 .*encoding="):
        list(parse_sosi(path))


def test_missing_koordsys_needs_a_crs(tmp_path):
    path = write(tmp_path, kp_plan_text().replace("...KOORDSYS 22\n", ""))
    with pytest.raises(SosiError, match=r"no \.\.\.KOORDSYS.*crs="):
        read_sosi(path)
    assert len(read_sosi(path, crs="EPSG:25832").zones) == 1


def test_other_bad_calls(tmp_path):
    with pytest.raises(SosiError, match="file not found"):
        read_sosi(tmp_path / "missing.sos")
    path = write(tmp_path, kp_plan_text())
    with pytest.raises(SosiError, match="unknown encoding 'klingon'"):
        read_sosi(path, encoding="klingon")
    with pytest.raises(SosiError, match="arc_tolerance must be a positive number"):
        read_sosi(path, arc_tolerance=0)
    with pytest.raises(InputError, match="empty"):
        read_plan(write(tmp_path, "", name="empty.sos"))


def test_zone_that_is_not_a_flate_is_unreadable(tmp_path):
    text = head() + (
        ".PUNKT 5:\n..OBJTYPE RpArealformålOmråde\n..RPAREALFORMÅL 1110\n"
        "..NASJONALAREALPLANID\n...KOMM 4036\n...PLANID 1\n..NØ\n10 10\n.SLUTT\n"
    )
    data = read_sosi(write(tmp_path, text))
    assert data.zones.empty
    assert "must be a .FLATE, got a .PUNKT" in data.issues.iloc[0]["detail"]
    assert balanced(data)


def test_objects_spanning_read_blocks(monkeypatch, tmp_path):
    path = write(tmp_path, iso_plan_text(), encoding="latin-1")
    whole = [(o.feature, o.attrs, o.geometry.wkb) for o in parse_sosi(path)]
    monkeypatch.setattr("arealkart.load.sosi._stream.BLOCK_SIZE", 7)
    assert [(o.feature, o.attrs, o.geometry.wkb) for o in parse_sosi(path)] == whole


@pytest.mark.parametrize("batch", [1, 3, 1000])
def test_bulk_and_one_by_one_paths_agree(monkeypatch, tmp_path, batch):
    # read_sosi parses curves in bulk and builds polygons in batches; parse_sosi one by one
    monkeypatch.setattr("arealkart.load.sosi._curves.CURVE_BATCH", batch)
    monkeypatch.setattr("arealkart.load.sosi._parser.OUTPUT_BATCH", batch)
    path = write(tmp_path, iso_plan_text(), encoding="latin-1")  # one area with a hole
    one_by_one = {o.feature: o.geometry for o in parse_sosi(path)}
    objects = list(parse_sosi(path, areas_only=True))
    bulk = {o.feature: o for o in objects}
    for feature in ("FLATE 10", "FLATE 11"):
        assert shapely.equals_exact(bulk[feature].geometry, one_by_one[feature], 0)
    # the four curves are counted through one shared object, without geometry
    curves = [o for o in objects if o.objtype == "RpFormålGrense"]
    assert len(curves) == 4 and len({id(o) for o in curves}) == 1
    assert curves[0].geometry is None and curves[0].attrs == {}


def test_huge_arc_radius_stays_bounded(tmp_path):
    arc = curve(1, [(0, 0), (1, 10**12), (0, 2 * 10**12)], kind="BUEP")
    text = head(enhet="0.0001") + arc + ".SLUTT\n"
    line = next(iter(parse_sosi(write(tmp_path, text)))).geometry
    assert len(line.coords) <= MAX_ARC_POINTS + 1


def test_implausible_coordinates_are_reported(tmp_path):
    text = head() + curve(1, [(0, 0), (10**15, 0)]) + ".SLUTT\n"
    sosi = parse_sosi(write(tmp_path, text))
    assert next(iter(sosi)).geometry is None
    assert "implausible coordinate" in sosi.issues.frame().iloc[0]["detail"]


# --------------------------------------------------------------------------- NVDB samples


@needs_nvdb
def test_nvdb_iso8859_1_text_and_nøh_points():
    sosi = parse_sosi(NVDB / "valid_graphical.sos")
    assert sosi.header.tegnsett == "ISO8859-1" and sosi.header.crs == "EPSG:25832"
    assert sosi.header.attrs["EIER"] == "Søbstad AS"
    assert sosi.header.attrs["PRODUSENT"] == "Sindre Barland"
    point = next(iter(sosi))
    assert point.attrs["Størrelse_1970"] == "4132"
    assert (point.geometry.x, point.geometry.y) == pytest.approx(
        (569351 + 11668 * 0.01, 7034310 + 2980 * 0.01)
    )


@needs_nvdb
def test_nvdb_utf8_bom_koordsys_23():
    sosi = parse_sosi(NVDB / "valid_utf8_with_bom.sos")
    header = sosi.header
    assert (header.tegnsett, header.encoding, header.koordsys, header.crs) == (
        "UTF-8",
        "utf-8",
        23,
        "EPSG:25833",
    )
    assert header.enhet == pytest.approx(0.01)
    (line,) = list(sosi)
    assert line.attrs["Bruksområde_1248"] == "2393"
    coords = np.asarray(line.geometry.coords)
    assert coords[0] == pytest.approx((185306.36, 7021213.28))
    assert coords[-1] == pytest.approx((185342.68, 7021201.48))  # "...KP 1" was skipped
    assert len(coords) == 13
    data = read_sosi(NVDB / "valid_utf8_with_bom.sos")  # road data: no zones, one counted curve
    assert data.zones.empty and data.counts["features"].sum() == 1


@needs_nvdb
def test_nvdb_crlf_nøh_kp_and_repeated_blocks():
    raw = (NVDB / "valid_real_data2.sos").read_bytes()
    assert b"\r\n" in raw
    curves = {o.feature: o for o in parse_sosi(NVDB / "valid_real_data2.sos")}
    assert curves["KURVE 1"].attrs["Plassering_8750"] == "På undergrunn"
    assert curves["KURVE 2"].attrs["Produktnavn_1443"] == "Fibertex F-47, kl4 (TS)"
    second = np.asarray(curves["KURVE 2"].geometry.coords)
    assert len(second) == 9  # one ..NØH block of one point, one of eight
    assert second[0] == pytest.approx(curves["KURVE 1"].geometry.coords[-1])
    assert all("\r" not in str(v) for o in curves.values() for v in o.attrs.values())


@needs_nvdb
def test_nvdb_island_refs():
    sosi = parse_sosi(NVDB / "valid_with_island_refs.sos")
    objects = {o.feature: o for o in sosi}
    assert sosi.header.crs is None
    assert parse_refs(objects["FLATE 11"].attrs["REF"]) == ([1, 5], [[2, -3, 4]])
    assert parse_refs(objects["FLATE 12"].attrs["REF"]) == ([1, -3, -5], [[2], [4]])
    assert parse_refs(objects["FLATE 13"].attrs["REF"]) == ([-10], [[5]])
    # the sample's curves are short segments that close no ring: every FLATE is reported
    issues = sosi.issues.frame().set_index("feature")
    assert set(issues.index) == {"FLATE 10", "FLATE 11", "FLATE 12", "FLATE 13"}
    assert "references :-10, which is not a curve" in issues.loc["FLATE 13", "detail"]
    assert all(objects[f].geometry is None for f in issues.index)


@needs_nvdb
def test_nvdb_special_values_and_refs():
    (point,) = list(parse_sosi(NVDB / "valid_with_special_values.sos"))
    assert point.attrs["NAVN"] == 'Tore" "Eide\' Andersen'
    assert point.attrs["KVALITET"] == "96 * 0 * 5"
    objects = list(parse_sosi(NVDB / "valid_with_refs.sos"))
    assert [o.feature for o in objects] == ["PUNKT 123", "LINJE 2"]
    assert objects[1].attrs["PUNKT"] == [":123", "234:"]


# --------------------------------------------------------------------------- the Evje plans


OBJECT_LINE = re.compile(r"^\.(FLATE|KURVE|BUEP|TEKST|SYMBOL|PUNKT) \d+:", re.M)


@cache
def evje_data(name: str):
    return read_sosi(EVJE / name)


@cache
def evje_objects(name: str):
    return list(parse_sosi(EVJE / name))


def evje_names():
    return [p.name for p in EVJE_FILES] or ["(absent)"]


@needs_evje
@pytest.mark.parametrize("name", evje_names())
def test_evje_zones_load_with_valid_polygons(name):
    text = (EVJE / name).read_text(encoding="utf-8")
    data = evje_data(name)
    expected = text.count("..OBJTYPE RpArealformålOmråde")
    assert len(data.zones) == expected
    assert data.zones.geometry.is_valid.all()
    assert set(data.zones.geometry.geom_type) == {"Polygon"}
    assert not (data.issues["layer"] == "zones").any()
    assert set(data.zones["kommunenummer"]) == {"4219"}
    assert balanced(data)


@needs_evje
@pytest.mark.parametrize("name", evje_names())
def test_evje_zones_tile_the_plan_boundary(name):
    zones = evje_data(name).zones.geometry
    (plan,) = [o.geometry for o in evje_objects(name) if o.objtype == "RpOmråde"]
    union = shapely.union_all(zones.to_numpy())
    assert union.area == pytest.approx(plan.area, rel=5e-3)
    overlap = zones.area.sum() - union.area
    assert overlap < 5e-3 * plan.area
    assert shapely.symmetric_difference(union, plan).area < 5e-3 * plan.area


@needs_evje
@pytest.mark.parametrize("name", evje_names())
def test_evje_every_object_is_counted(name):
    text = (EVJE / name).read_text(encoding="utf-8")
    data = evje_data(name)
    assert data.counts["features"].sum() == len(OBJECT_LINE.findall(text))
    assert len(evje_objects(name)) == len(OBJECT_LINE.findall(text))


def independent_zones(path: Path) -> dict[int, tuple[int, float]]:
    """Count and area per arealformål, computed without the reader.

    A separate mini-parser: objects are cut at lines starting with ``.``; curve coordinates
    are the ``north east`` integer pairs scaled by ENHET (ORIGO is 0 0 in these files); a
    .BUEP's three points are turned into 256 points on their circle; each FLATE's outer
    ``..REF`` curves and its ``( … )`` island curves are polygonized separately with shapely,
    and the zone is the outer face minus the island faces.
    """
    text = path.read_text(encoding="utf-8")
    assert re.search(r"\.\.\.ORIGO-NØ 0 0\n", text)
    enhet = float(re.search(r"\.\.\.ENHET (\S+)", text).group(1))
    curves, zones = {}, []
    for block in re.split(r"\n(?=\.[A-Z])", text):
        head_match = re.match(r"\.([A-Z]+) (\d+):", block)
        if not head_match:
            continue
        kind, serial = head_match.group(1), int(head_match.group(2))
        if kind in ("KURVE", "BUEP"):
            points = [
                (int(e) * enhet, int(n) * enhet)
                for n, e in re.findall(r"^(-?\d+) (-?\d+)", block, re.M)
            ]
            curves[serial] = circle_through(points) if kind == "BUEP" else points
        elif kind == "FLATE" and "..OBJTYPE RpArealformålOmråde\n" in block:
            code = int(re.search(r"\.\.RPAREALFORMÅL (\d+)", block).group(1))
            zones.append((code, re.search(r"\.\.REF(.*?)\n\.\.", block, re.S).group(1)))
    result: dict[int, tuple[int, float]] = {}
    for code, refs in zones:
        islands = re.findall(r"\(([^)]*)\)", refs)
        outer = re.sub(r"\([^)]*\)", " ", refs)
        area = faces(outer, curves).area - sum(faces(i, curves).area for i in islands)
        count, total = result.get(code, (0, 0.0))
        result[code] = (count + 1, total + area)
    return result


def faces(refs: str, curves) -> shapely.Geometry:
    lines = [shapely.LineString(curves[abs(int(r))]) for r in re.findall(r":(-?\d+)", refs)]
    return shapely.union_all(shapely.get_parts(shapely.polygonize(lines)))


def circle_through(points):
    """256 points on the circle through three points, from the first through the second."""
    (x0, y0), (x1, y1), (x2, y2) = points
    d = 2 * (x0 * (y1 - y2) + x1 * (y2 - y0) + x2 * (y0 - y1))
    s0, s1, s2 = x0**2 + y0**2, x1**2 + y1**2, x2**2 + y2**2
    cx = (s0 * (y1 - y2) + s1 * (y2 - y0) + s2 * (y0 - y1)) / d
    cy = (s0 * (x2 - x1) + s1 * (x0 - x2) + s2 * (x1 - x0)) / d
    a0, a1, a2 = (math.atan2(y - cy, x - cx) for x, y in points)
    turn = 2 * math.pi
    counterclockwise = (a1 - a0) % turn <= (a2 - a0) % turn
    sweep = (a2 - a0) % turn if counterclockwise else -((a0 - a2) % turn)
    r = math.hypot(x0 - cx, y0 - cy)
    arc = [
        (cx + r * math.cos(a0 + sweep * t / 255), cy + r * math.sin(a0 + sweep * t / 255))
        for t in range(256)
    ]
    return [points[0], *arc[1:-1], points[-1]]


@needs_evje
@pytest.mark.parametrize("name", evje_names())
def test_evje_count_and_area_per_arealformal_match_an_independent_parse(name):
    expected = independent_zones(EVJE / name)
    # arcs densified to within 1 mm here, so that only the two parsers can differ; with the
    # default 5 cm the areas of zones bounded by arcs are up to ~0.1 % smaller
    for tolerance, rel in ((0.001, 1e-4), (0.05, 2e-3)):
        zones = read_sosi(EVJE / name, arc_tolerance=tolerance).zones
        actual = {
            int(code): (len(g), g.geometry.area.sum()) for code, g in zones.groupby("arealformal")
        }
        assert set(actual) == set(expected)
        for code, (count, area) in expected.items():
            assert actual[code][0] == count, code
            assert actual[code][1] == pytest.approx(area, rel=rel), (code, tolerance)


@needs_evje
@pytest.mark.parametrize("name", evje_names())
def test_evje_read_and_parse_give_the_same_areas(name):
    parsed = {o.feature: o.geometry for o in evje_objects(name) if o.feature.startswith("FLATE")}
    zones = evje_data(name).zones
    for source, geometry in zip(zones["source"], zones.geometry, strict=True):
        assert shapely.equals_exact(geometry, parsed[source.split("#")[1]], 0), source


@needs_evje
def test_evje_plan_metadata_is_carried_onto_zones():
    zones = evje_data("Evjetun_leirsted.sos").zones
    assert set(zones["plan_navn"]) == {"Detaljregulering Evjetun Leirsted"}
    assert set(zones["plantype"]) == {35} and set(zones["planstatus"]) == {1}
    assert set(zones["plan_id"]) == {"202202"}
    kjetsaa = evje_data("Kjetsaa_massetak.sos").zones
    assert set(kjetsaa["plan_navn"]) == {"Kjetså massetak"} and set(kjetsaa["planstatus"]) == {2}


@needs_evje
def test_evje_fare_sone_320_is_a_constraint():
    constraints = evje_data("Kjetsaa_massetak.sos").constraints
    fare = constraints[constraints["hensyn_objtype"] == "RpFareSone"]
    assert list(fare["hensyn_kode"]) == [320, 320]
    assert fare.geometry.is_valid.all() and (fare.area > 0).all()


@needs_evje
def test_evje_fare_sone_with_a_missing_curve_is_reported():
    # Evjetun's RpFareSone (RPFARE 320) has ..REF :-118, but the file has no curve 118
    data = evje_data("Evjetun_leirsted.sos")
    assert "RpFareSone" not in set(data.constraints["hensyn_objtype"])
    issue = data.issues[data.issues["layer"] == "constraints"].iloc[0]
    assert (issue["feature"], issue["rule"], issue["action"]) == (
        "FLATE 166",
        "geometri_feil",
        "unreadable",
    )
    assert "references :-118, which is not a curve" in issue["detail"]


# --------------------------------------------------------------------------- robustness


@cache
def evje_bytes(name: str) -> bytes:
    return (EVJE / name).read_bytes()


def mutate(raw: bytes, data) -> bytes:
    """Apply one to four random mutations: byte flips, line edits, truncation, junk."""
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        kind = data.draw(st.sampled_from(["flip", "delete", "duplicate", "truncate", "junk"]))
        lines = raw.split(b"\n")
        if kind == "flip" and raw:
            pos = data.draw(st.integers(0, len(raw) - 1))
            raw = raw[:pos] + bytes([data.draw(st.integers(0, 255))]) + raw[pos + 1 :]
        elif kind in ("delete", "duplicate") and raw:
            i = data.draw(st.integers(0, len(lines) - 1))
            lines[i : i + 1] = [] if kind == "delete" else [lines[i], lines[i]]
            raw = b"\n".join(lines)
        elif kind == "truncate":
            raw = raw[: data.draw(st.integers(0, len(raw)))]
        elif kind == "junk":
            pos = data.draw(st.integers(0, len(raw)))
            raw = raw[:pos] + data.draw(st.binary(min_size=1, max_size=40)) + raw[pos:]
    return raw


@needs_evje
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_evje_files_raise_only_arealkart_errors(tmp_path_factory, data):
    name = data.draw(st.sampled_from([p.name for p in EVJE_FILES]))
    path = tmp_path_factory.mktemp("mutated") / name
    path.write_bytes(mutate(evje_bytes(name), data))
    try:
        result = read_sosi(path)
    except ArealkartError:
        return
    assert balanced(result)  # whatever loads, every object is accounted for


def ntm_plan_text(koordsys: str | None) -> str:
    """The master-plan square, 100 × 100 m, placed in NTM zone 10 near Vinje (58.9° N)."""
    text = kp_plan_text().replace("...ORIGO-NØ 0 0", "...ORIGO-NØ 1100000 110000")
    if koordsys is None:
        return text.replace("...KOORDSYS 22\n", "")
    return text.replace("...KOORDSYS 22", f"...KOORDSYS {koordsys}")


@pytest.mark.parametrize("koordsys", ["110", None])
def test_a_plan_in_ntm_is_read_with_crs_and_its_area_is_right(tmp_path, koordsys, caplog):
    import pyproj

    path = write(tmp_path, ntm_plan_text(koordsys))
    with caplog.at_level("WARNING"):
        zone = read_sosi(path, crs="EPSG:5110").zones.iloc[0]
    assert "KOORDSYS" not in caplog.text  # the code is not needed when the CRS is given
    # independently: the square's corners (north, east in cm) projected by pyproj
    to_utm = pyproj.Transformer.from_crs("EPSG:5110", "EPSG:25832", always_xy=True)
    n, e = np.array([0, 0, 100, 100]) + 1100000, np.array([0, 100, 100, 0]) + 110000
    x, y = to_utm.transform(e, n)
    expected = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    assert zone.geometry.area == pytest.approx(expected, rel=0.002)
    assert 9_950 < expected < 10_050  # the square's own 100 m × 100 m, nearly


def test_crs_overrides_a_known_koordsys_with_a_warning(tmp_path, caplog):
    path = write(tmp_path, ntm_plan_text("22"))
    with caplog.at_level("WARNING"):
        zones = read_sosi(path, crs="EPSG:5110").zones
    assert "using EPSG:5110 as asked" in caplog.text
    assert zones.iloc[0].geometry.area == pytest.approx(10_000, rel=0.01)


def test_an_unknown_koordsys_without_crs_says_how_to_give_one(tmp_path):
    with pytest.raises(SosiError, match=r"unknown \.\.\.KOORDSYS '41'.*crs=… or --crs"):
        read_sosi(write(tmp_path, ntm_plan_text("41")))


def test_a_ref_repeating_one_curve_100000_times_is_one_issue_row_not_a_crash(tmp_path):
    zone = flate(10, " ".join([":1"] * 100_000), "RpArealformålOmråde", {"RPAREALFORMÅL": "1110"})
    data = read_sosi(write(tmp_path, head() + square_curves(10_000) + zone + ".SLUTT\n"))
    assert len(data.zones) == 0
    (detail,) = data.issues.loc[data.issues["rule"] == "geometri_feil", "detail"]
    assert "lists curve :1 100000 times" in detail
    assert balanced(data)
