"""Nothing lost, nothing crashes: bad data and bad files, through the reader and the CLI."""

import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from arealkart import available_land, read_plan
from arealkart.classify import classification_issues, classify_zones
from arealkart.config import load_config
from arealkart.load.quality import check_quality
from arealkart.model.issues import concat_issues
from arealkart.pipeline import account, build, load_region
from arealkart.publish.accounting import check_balance
from arealkart.registry.kommuner import slugify
from builders import E0, N0, VINJE, star, zones_file
from helpers import EXE, REAL

# --- bad files through the CLI: a clear message, never a traceback ---------------------------


def write_config(path: Path, kommune: str, *plans: str, navn: str = "Test") -> Path:
    """A one-municipality region config at ``path`` listing ``plans``."""
    listed = ", ".join(f'"{p}"' for p in plans)
    path.write_text(
        f'[region]\nnavn = "{navn}"\nslug = "{slugify(navn)}"\n\n[[kommune]]\n'
        f'kommune = "{kommune}"\nplans = [{listed}]\n',
        encoding="utf-8",
    )
    return path


def build_args(config: Path, output: Path, *extra: str) -> list[str]:
    """The arguments of a quiet ``arealkart build``."""
    return ["-q", "build", "--config", str(config), "--output", str(output), *extra]


def run_build(config: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    """``arealkart -q build`` as a user runs it, in its own process."""
    return subprocess.run(
        [EXE, *build_args(config, output, *extra)], capture_output=True, text=True
    )


def region(tmp_path, plan_file: str) -> Path:
    """A one-municipality region whose plan file is ``plan_file`` (relative to tmp_path)."""
    good = zones_file(tmp_path / "god.gpkg", [box(E0, N0, E0 + 80, N0 + 60)])
    return write_config(tmp_path / "region.toml", "Seljord", good.name, plan_file)


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "binary junk": (bytes(range(256)) * 8, "unrecognised file format"),
    "truncated GeoPackage": (None, "cannot be opened as a vector file"),
    "not GML XML": (b"<?xml version='1.0'?><kart/>", "XML without a GML namespace"),
    "truncated SOSI": (
        b".HODE\n..TEGNSETT UTF-8\n..TRANSPAR\n...KOORDSYS 22\n"
        b"...ORIGO-N\xc3\x98 0 0\n...ENHET 0.01\n.FLATE 1:\n..OBJTYPE RpAr",
        "",
    ),
    "CSV without coordinates": (b"tomt_id;status\n1;ledig\n", "no coordinates"),
}


def bad_file(tmp_path, case):
    content, message = BAD_FILES[case]
    path = tmp_path / f"dårlig fil {case}.gpkg"
    if content is None:
        zones_file(tmp_path / "full.gpkg", [box(E0, N0, E0 + 10, N0 + 10)])
        data = (tmp_path / "full.gpkg").read_bytes()
        content = data[: len(data) // 4]
    path.write_bytes(content)
    return path, message


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_stops_the_build_with_a_clear_message(tmp_path, case):
    path, message = bad_file(tmp_path, case)
    done = run_build(region(tmp_path, path.name), tmp_path / "ut")
    assert "Traceback" not in done.stderr
    if not message:  # a truncated SOSI file loads what is whole and reports the rest
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1
    assert path.name in done.stderr and message in done.stderr
    assert not (tmp_path / "ut" / "arealkart.gpkg").exists(), "nothing is written"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_keep_going_reports_the_bad_file_and_builds_the_rest(tmp_path, case):
    path, message = bad_file(tmp_path, case)
    result = build(
        region(tmp_path, path.name), tmp_path / "ut", workers=1, keep_going=True, parts=["tables"]
    )
    assert len(result.result.zones) >= 1
    if message:
        row = result.issues[result.issues["rule"] == "fil_uleselig"].iloc[0]
        assert row["file"] == path.name and message in row["detail"]
    issues = pd.read_csv(tmp_path / "ut" / "issues.csv")
    assert len(issues) == len(result.issues)
    assert (result.balance["unaccounted"] == 0).all()


def test_a_folder_a_missing_file_and_an_unreadable_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "mappe.gpkg").mkdir()
    from arealkart.cli.main import main

    for name, message in [
        ("mappe.gpkg", "are folders, expected files"),
        ("finnes-ikke.gpkg", "not found"),
    ]:
        with pytest.raises(SystemExit) as exit_:
            main(build_args(region(tmp_path, name), tmp_path / "ut"))
        assert exit_.value.code == 1
        assert message in capsys.readouterr().err

    locked = zones_file(tmp_path / "låst.gpkg", [box(E0, N0, E0 + 10, N0 + 10)])
    real_open = Path.open

    def no_permission(self, *args, **kwargs):
        if self.name == locked.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_permission)
    with pytest.raises(SystemExit) as exit_:
        main(build_args(region(tmp_path, locked.name), tmp_path / "ut"))
    assert exit_.value.code == 1
    assert "permission denied" in capsys.readouterr().err


def test_a_build_where_nothing_usable_was_read_fails(tmp_path):
    path, _ = bad_file(tmp_path, "binary junk")
    config = write_config(tmp_path / "tom.toml", "Seljord", path.name)
    done = run_build(config, tmp_path / "ut", "--keep-going")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "nothing usable was read" in done.stderr and path.name in done.stderr


def test_paths_with_norwegian_letters_and_spaces(tmp_path):
    folder = tmp_path / "Planer for Åmot og Ørnefjell"
    folder.mkdir()
    path = zones_file(
        folder / "plan ø æ å.gpkg",
        [box(VINJE[0], VINJE[1], VINJE[0] + 80, VINJE[1] + 60)],
        KOMM=["4036"],
    )
    config = write_config(folder / "region ø.toml", "Vinje", path.name, navn="Åmot")
    done = subprocess.run(
        [EXE, "build", "--config", str(config), "--output", str(folder / "ut data")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "plan ø æ å.gpkg" in done.stdout
    assert (folder / "ut data" / "kart" / "aamot.html").exists()


def test_mutated_real_samples_in_a_build_never_crash(tmp_path):
    sample = REAL / "sosi-plan-evje-4219" / "Kjetsaa_massetak.sos"
    if not sample.exists():
        pytest.skip(f"{sample} is not available (the ../shared folder is absent)")
    text = sample.read_bytes()
    cuts = {
        "kuttet": text[: len(text) // 2],
        "uten-hode": text[text.index(b".KURVE") :],
        "dobbel": text + text,
    }
    for name, content in cuts.items():
        path = tmp_path / f"{name}.sos"
        path.write_bytes(content)
        config = write_config(tmp_path / f"{name}.toml", "4219", path.name, navn="Evje")
        done = run_build(config, tmp_path / name, "--lang", "en")
        assert "Traceback" not in done.stderr, name
        assert done.returncode in (0, 1), name


# --- accounting holds whatever is wrong with the features --------------------------------------

DEFECTS = [
    "ok",
    "ok",
    "ok",
    "empty",
    "bowtie",
    "sliver",
    "repealed",
    "unknown code",
    "same id",
    "same shape",
    "outside",
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(DEFECTS), min_size=1, max_size=12))
def test_every_feature_is_accounted_for_whatever_its_defects(tmp_path_factory, defects):
    tmp = tmp_path_factory.mktemp("acc")
    rows = []
    for i, defect in enumerate(defects):
        x, y = E0 + 100 * i, N0
        geom = box(x, y, x + 60, y + 40)
        row = {"lokalid": f"id{i}", "code": 1111, "status": 3, "geometry": geom}
        if defect == "empty":
            row["geometry"] = Polygon()
        elif defect == "bowtie":
            row["geometry"] = Polygon([(x, y), (x + 40, y + 40), (x + 40, y), (x, y + 40)])
        elif defect == "sliver":
            row["geometry"] = Polygon([(x, y), (x + 40, y), (x, y)])
        elif defect == "repealed":
            row["status"] = 4
        elif defect == "unknown code":
            row["code"] = 1115
        elif defect == "same id" and rows:
            row["lokalid"] = rows[0]["lokalid"]
        elif defect == "same shape" and rows:
            row["geometry"] = rows[0]["geometry"]
        elif defect == "outside":
            row["geometry"] = shapely.affinity.translate(geom, 300_000, 0)
        rows.append(row)
    frame = pd.DataFrame(rows)
    path = tmp / "planer.gpkg"
    gpd.GeoDataFrame(
        {
            "lokalid": frame["lokalid"],
            "RPAREALFORMÅL": frame["code"],
            "PLANSTAT": frame["status"],
            "KOMM": "4022",
        },
        geometry=list(frame["geometry"]),
        crs=25832,
    ).to_file(path)
    data = check_quality(read_plan(path))
    zones = classify_zones(data.zones)
    result = available_land(zones)
    issues = concat_issues([data.issues, classification_issues(zones), result.issues])
    table = check_balance(account(data, result, issues))
    assert table["read"].sum() == len(defects)
    assert table["written"].sum() == len(result.zones)


def test_the_demo_build_balances(demo_build):
    assert (demo_build.balance["unaccounted"] == 0).all()
    assert demo_build.balance["read"].sum() > 4000
    again = account(demo_build.data, demo_build.result, demo_build.issues)
    pd.testing.assert_frame_equal(again, demo_build.balance)


def test_the_demo_loads_with_labels_relative_to_its_config():
    data = load_region(load_config())
    assert data.zones["source"].str.match(r"^40\d\d-[a-z]+/planer\.geojson#\d+$").all()
    assert set(data.counts["file"]) >= {"4036-vinje/tomteregister.csv", "4036-vinje/tomter.geojson"}


def test_a_polygon_whose_repair_does_not_end_is_one_row_of_a_build(tmp_path, capsys):
    """Through ``arealkart build``: the zone is an issues row, the build finishes."""
    from arealkart.cli.main import main
    from arealkart.load.limits import reading_limits

    stuck = zones_file(tmp_path / "vanskeleg.gpkg", [star(1_000, x0=E0 + 500, y0=N0)])
    config = region(tmp_path, stuck.name)
    with reading_limits(repair_seconds=0.5):
        main(build_args(config, tmp_path / "ut"))
    issues = pd.read_csv(tmp_path / "ut" / "issues.csv", dtype=str)
    (row,) = issues[issues["rule"] == "geometri_feil"].itertuples()
    assert row.file == "vanskeleg.gpkg" and row.action == "unreadable"
    assert "took more than 0.5 s (limit repair_seconds)" in row.detail
    zones = gpd.read_file(tmp_path / "ut" / "arealkart.gpkg", layer="soner")
    assert len(zones) == 1  # the good file's zone
