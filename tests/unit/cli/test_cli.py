"""The command line: every command, its help, its output, and bad input without tracebacks."""

import json
from pathlib import Path

import pyogrio
import pytest

from builders import polygon_file
from helpers import REAL, run_cli

COMMANDS = ["build", "map", "report", "query", "export", "info", "serve", "convert"]


@pytest.fixture(scope="module")
def out(demo_build):
    return str(demo_build.files[0].parent)


run = run_cli


# --- help -------------------------------------------------------------------------------------


def test_top_level_help_lists_commands_and_exit_codes(capsys):
    code, stdout, _ = run(["--help"], capsys)
    assert code == 0
    for command in COMMANDS:
        assert command in stdout
    assert "Exit codes" in stdout and "130" in stdout and "Examples" in stdout
    assert "\\b" not in stdout, "example blocks are kept as written, not rewrapped"
    assert "\n    arealkart build --config region.toml --output ut/\n" in stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(capsys, command):
    code, stdout, _ = run([command, "--help"], capsys)
    assert code == 0
    assert "Examples:" in stdout and f"arealkart {command}" in stdout
    assert "--quiet" in stdout and "Exit codes" in stdout


def test_version(capsys):
    code, stdout, _ = run(["--version"], capsys)
    assert code == 0 and "arealkart" in stdout


# --- query ------------------------------------------------------------------------------------


def test_query_prints_a_table_with_totals(capsys, out, demo_build):
    code, stdout, stderr = run(
        ["query", "--from", out, "--kommune", "Vinje", "--kategori", "fritid", "--min-daa", "2"],
        capsys,
    )
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "kommune", "plan"]
    free = demo_build.result.free
    expected = free[
        (free["kommunenummer"] == "4036")
        & (free["kategori"] == "fritid")
        & (free["areal_m2"] >= 2000)
    ]
    daa = expected["areal_m2"].sum() / 1000
    assert f"{len(expected)} free areas, {daa:.1f} daa" in stdout
    assert "kategori  fritid" in stdout


def test_query_near_a_place_shows_km(capsys, out):
    code, stdout, _ = run(
        ["query", "--from", out, "--near", "Dalen", "--within-km", "5", "--limit", "3"], capsys
    )
    assert code == 0
    header, *rows = stdout.split("\n\n")[0].splitlines()
    assert header.split()[-1] == "km" and len(rows) == 3
    assert "(the first 3: --limit)" in stdout


def test_query_plots_with_price_and_water(capsys, out):
    code, stdout, _ = run(
        [
            "query",
            "--from",
            out,
            "--layer",
            "tomter",
            "--status",
            "ledig",
            "--va",
            "--max-pris",
            "200000",
            "--sort",
            "pris",
        ],
        capsys,
    )
    assert code == 0
    assert "status    ledig" in stdout and " nei" not in stdout.split("\n\n")[0]


def test_query_with_no_matches(capsys, out):
    code, stdout, _ = run(["query", "--from", out, "--min-daa", "100000"], capsys)
    assert code == 0 and "(no matches)" in stdout and "0 free areas, 0.0 daa" in stdout


@pytest.mark.parametrize("fmt", ["csv", "geojson", "geojsonseq", "gpkg"])
def test_query_writes_files(capsys, out, tmp_path, fmt):
    path = tmp_path / f"treff.{fmt}"
    code, stdout, stderr = run(
        ["query", "--from", out, "--kommune", "Seljord", "--format", fmt, "--output", str(path)],
        capsys,
    )
    assert code == 0, stderr
    n = int(stdout.split()[1])
    assert n > 0 and len(pyogrio.read_dataframe(path)) == n


def test_query_output_format_from_the_suffix(capsys, out, tmp_path):
    path = tmp_path / "treff.geojsons"
    code, _, _ = run(["query", "--from", out, "--output", str(path)], capsys)
    assert code == 0 and path.read_bytes().startswith(b"\x1e{")


def test_query_with_a_polygon_file(capsys, out, tmp_path):
    area = polygon_file(tmp_path / "område.geojson")
    code, stdout, _ = run(["query", "--from", out, "--polygon", str(area)], capsys)
    assert code == 0 and "free areas" in stdout


BAD_QUERIES = [
    (["--kommune", "Vinjee"], "unknown municipality 'Vinjee'; closest names: Vinje"),
    (["--near", "Dallen"], "unknown place 'Dallen'; closest names: Dalen"),
    (["--kategori", "hytte"], "valid values: ['bolig', 'fritid', 'kombinert', 'naering', 'annet']"),
    (["--layer", "tomter", "--status", "ledi"], "valid values: ['ledig', 'reservert', 'solgt'"),
    (["--status", "ledig"], "free areas have no status"),
    (["--min-daa", "-1"], "must not be negative"),
    (["--min-daa", "5", "--max-daa", "2"], "is greater than"),
    (["--within-km", "5"], "needs a point"),
    (["--near", "8.0,59.44"], "latitude comes first"),
    (["--bbox", "1,2,3"], "bbox must be 4 numbers"),
    (["--polygon", "/nonexistent/område.geojson"], "polygon file not found"),
    (["--limit", "0"], "0 is not in the range"),
    (["--format", "csv"], "give --output FILE"),
    (["--format", "table", "--output", "x.csv"], "--output needs --format"),
    (["--output", "x.txt"], "cannot tell the format of 'x.txt'"),
    (["--layer", "plots"], "'plots' is not one of"),
]


@pytest.mark.parametrize(("args", "message"), BAD_QUERIES)
def test_bad_queries_exit_2_with_a_message(capsys, out, args, message):
    code, stdout, stderr = run(["query", "--from", out, *args], capsys)
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr + stdout


def test_unreadable_polygon_file(capsys, out, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("not geojson at all", encoding="utf-8")
    code, _, stderr = run(["query", "--from", out, "--polygon", str(bad)], capsys)
    assert code == 2 and "cannot read polygon file" in stderr and "Traceback" not in stderr


def test_query_errors_use_option_names(capsys, out):
    code, _, stderr = run(["query", "--from", out, "--min-daa", "3", "--max-daa", "1"], capsys)
    assert code == 2 and "--min-daa (3.0) is greater than --max-daa (1.0)" in stderr
    code, _, stderr = run(["query", "--from", out, "--status", "ledig"], capsys)
    assert "--layer tomter" in stderr


def test_query_before_any_build(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run(["query"], capsys)
    assert code == 2
    assert "no build found at output/arealkart.gpkg; run 'arealkart build' first" in stderr


# --- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        ("ledige_arealer", "ledig.geojson"),
        ("tomter", "tomter.geojsons"),
        ("soner", "soner.gpkg"),
        ("hensynssoner", "hensyn.csv"),
        ("sammendrag", "sammendrag.csv"),
        ("avvik", "avvik.gpkg"),
    ],
)
def test_export_every_layer(capsys, out, tmp_path, layer, name):
    path = tmp_path / name
    code, stdout, stderr = run(
        ["export", "--from", out, "--layer", layer, "--output", str(path)], capsys
    )
    assert code == 0, stderr
    n = int(stdout.split()[1])
    read = pyogrio.read_dataframe(path, layer=layer if name.endswith(".gpkg") else None)
    assert len(read) == n > 0


def test_export_one_municipality_matches_the_build(capsys, out, tmp_path):
    path = tmp_path / "vinje.geojson"
    code, _, _ = run(["export", "--from", out, "--kommune", "Vinje", "--output", str(path)], capsys)
    assert code == 0
    exported = json.loads(path.read_text(encoding="utf-8"))
    built = json.loads((Path(out) / "geojson" / "vinje-ledig.geojson").read_text(encoding="utf-8"))
    assert exported == built


def test_export_refuses_geojson_for_a_table(capsys, out, tmp_path):
    code, _, stderr = run(
        ["export", "--from", out, "--layer", "avvik", "--output", str(tmp_path / "a.geojson")],
        capsys,
    )
    assert code == 2 and "write it as csv or gpkg" in stderr


def test_export_needs_a_known_suffix_or_format(capsys, out, tmp_path):
    code, _, stderr = run(["export", "--from", out, "--output", str(tmp_path / "x.txt")], capsys)
    assert code == 2 and "cannot tell the format of 'x.txt'" in stderr


# --- info ---------------------------------------------------------------------------------------


def test_info_on_demo_files(capsys):
    from helpers import ROOT

    folder = ROOT / "data" / "demo" / "4036-vinje"
    code, stdout, stderr = run(
        [
            "info",
            str(folder / "planer.geojson"),
            str(folder / "hensynssoner.geojson"),
            str(folder / "tomteregister.csv"),
            "--kommune",
            "Vinje",
            "--geometry",
            str(folder / "tomter.geojson"),
        ],
        capsys,
    )
    assert code == 0, stderr
    assert "format: geojson" in stdout and "EPSG:25832" in stdout
    assert "zones:" in stdout and "RP 1111 Boligbebyggelse" in stdout and "→ bolig" in stdout
    assert "constraints:" in stdout and "codes: H" in stdout
    assert "plots:" in stdout and "register status:" in stdout


def test_info_on_a_real_sosi_file(capsys):
    path = REAL / "sosi-plan-evje-4219" / "Kjetsaa_massetak.sos"
    if not path.exists():
        pytest.skip(f"{path} is not available (the ../shared folder is absent)")
    code, stdout, _ = run(["info", str(path)], capsys)
    assert code == 0 and "format: sosi" in stdout and "zones:" in stdout


def test_info_on_a_missing_file_exits_1(capsys, tmp_path):
    code, _, stderr = run(["info", str(tmp_path / "nope.sos")], capsys)
    assert code == 1 and "file not found" in stderr and "Traceback" not in stderr


# --- map, verbosity, errors ------------------------------------------------------------------


def test_map_writes_only_maps_quietly(capsys, tmp_path):
    code, stdout, stderr = run(["map", "--output", str(tmp_path), "-q", "--workers", "1"], capsys)
    assert code == 0, stderr
    assert stdout == ""
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"kart", "manifest.json"}


def test_quiet_and_verbose_go_before_or_after_the_command(capsys, out, tmp_path):
    target = str(tmp_path / "stille.csv")
    code, stdout, _ = run(
        ["-q", "export", "--from", out, "--output", target, "--format", "csv"], capsys
    )
    assert code == 0 and stdout == ""
    code, _, _ = run(["query", "--from", out, "-v", "--limit", "1"], capsys)
    assert code == 0


def test_bad_config_exits_1(capsys, tmp_path):
    code, _, stderr = run(["build", "--config", str(tmp_path / "nope.toml")], capsys)
    assert code == 1 and "config file not found" in stderr and "Traceback" not in stderr


def test_an_unexpected_error_is_a_bug_with_exit_3(capsys, out, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    import sys

    monkeypatch.setattr(sys.modules["arealkart.ask.search"], "run_query", broken)
    code, _, stderr = run(["query", "--from", out], capsys)
    assert code == 3
    assert "RuntimeError: boom" in stderr and "internal error" in stderr


def test_unknown_command_is_usage(capsys):
    code, _, stderr = run(["frobnicate"], capsys)
    assert code == 2 and "No such command" in stderr
