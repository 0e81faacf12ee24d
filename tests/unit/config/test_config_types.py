"""Every wrongly typed config value is a ConfigError, never another exception.

A small region config (with its input files, so the whole file is checked) has one value
replaced by a random value of any TOML type; ``load_config`` either accepts it or raises
:class:`~arealkart.errors.ConfigError` naming the problem.
"""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arealkart.config import load_config
from arealkart.errors import ConfigError
from helpers import DEMO

PLACES = [
    ("region", "navn"),
    ("region", "slug"),
    ("region", "attribution"),
    ("parameters", "regel"),
    ("parameters", "ssb_dekning"),
    ("parameters", "min_bredde"),
    ("parameters", "punkt_fotavtrykk"),
    ("parameters", "ledig_maks_andel"),
    ("parameters", "reguleringsplan_foran"),
    ("parameters", "gjeldende_planstatus"),
    ("parameters", "kp_arealst"),
    ("parameters", "avstand"),
    ("parameters", "min_areal"),
    ("parameters", "blokkerende"),
    ("kategorier", "overstyring"),
    ("farger", "bolig"),
    ("kommune", "kommune"),
    ("kommune", "plans"),
    ("file", "path"),
    ("file", "layer"),
    ("file", "crs"),
    ("file", "columns"),
    ("file", "arc_tolerance"),
    ("file", "encoding"),
]


def toml_value(value: object) -> str:
    """``value`` as a TOML literal (inline tables and arrays for the nested ones)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(value)


scalars = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def config_text(place: tuple[str, str], value: object) -> str:
    section, key = place
    tables = {
        "region": {"navn": '"Test"', "slug": '"test"', "attribution": '"Testdata"'},
        "parameters": {"min_bredde": "8"},
        "kategorier": {},
        "farger": {"bolig": '"#e0b000"'},
    }
    file = {"path": '"4036-vinje/planer.geojson"', "layer": '"planer"'}
    entry = {"kommune": '"Vinje"'}
    literal = toml_value(value)
    if section == "file":
        file[key] = literal
    elif section == "kommune":
        entry[key] = literal
    else:
        tables[section][key] = literal
    if "plans" not in entry:
        entry["plans"] = "[{ " + ", ".join(f"{k} = {v}" for k, v in file.items()) + " }]"
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {v}" for k, v in table.items()]
    lines.append("[[kommune]]")
    lines += [f"{k} = {v}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("typed")
    (folder / "4036-vinje").mkdir()
    (folder / "4036-vinje" / "planer.geojson").write_bytes(
        (DEMO / "4036-vinje" / "planer.geojson").read_bytes()
    )
    return folder


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(place=st.sampled_from(PLACES), value=values)
def test_a_wrongly_typed_value_is_a_config_error(region, place, value):
    path = region / "r.toml"
    path.write_text(config_text(place, value), encoding="utf-8")
    with contextlib.suppress(ConfigError):  # accepted, or a ConfigError: nothing else
        load_config(path)


@pytest.mark.parametrize(
    ("place", "value", "message"),
    [
        (("parameters", "ssb_dekning"), 2.0, "expected a number up to 1"),
        (("parameters", "min_bredde"), True, "is not a number"),
        (("parameters", "min_bredde"), math.inf, "invalid value"),
        (("parameters", "avstand"), {"bolig": 1e300}, "up to 1000"),
        (("parameters", "reguleringsplan_foran"), "ja", "must be true or false"),
        (("region", "attribution"), 5, "attribution must be a text"),
        (("file", "path"), 5, "a file path must be a text"),
        (("file", "columns"), "x", "option 'columns' must be a table"),
    ],
)
def test_values_that_were_accepted_silently_or_crashed_are_named(region, place, value, message):
    path = region / "r.toml"
    path.write_text(config_text(place, value), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_invalid_utf8_and_deep_nesting_are_config_errors(region):
    path = region / "r.toml"
    path.write_bytes(b'[region]\nnavn = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
