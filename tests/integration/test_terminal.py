"""Text from input files never reaches the terminal raw: no escape sequence runs."""

from __future__ import annotations

import json
import shutil
import subprocess

from arealkart import build
from helpers import DEMO, EXE

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"


def test_a_plan_name_with_escape_sequences_is_printed_without_them(tmp_path):
    shutil.copytree(DEMO / "4036-vinje", tmp_path / "4036-vinje")
    plans = tmp_path / "4036-vinje" / "planer.geojson"
    data = json.loads(plans.read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"]["feltnavn"] = f"F{ESCAPES}"
    plans.write_text(json.dumps(data), encoding="utf-8")
    config = tmp_path / "vinje.toml"
    config.write_text(
        '[region]\nslug = "vinje-kart"\n\n[[kommune]]\nkommune = "Vinje"\n'
        'plans = ["4036-vinje/planer.geojson"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "ut"
    build(config, out, workers=1, parts=["tables"])
    done = subprocess.run(
        [EXE, "query", "--from", str(out), "--limit", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "F?]0;pwned??[2J?[31m" in done.stdout  # each control character shown as '?'
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
