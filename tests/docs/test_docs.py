"""The user guide stays true: its tables, its config example and its commands.

``docs/guide.md`` marks what is checked here with HTML comments:

* ``<!-- schema-table: NAME -->`` … ``<!-- /schema-table -->``: rendered from the JSON
  Schema by ``scripts/schema_table.py`` (``--write`` updates them);
* ``<!-- parameter-table -->``, ``<!-- alias-table -->``, ``<!-- summary-columns -->``,
  ``<!-- issues-columns -->``: every parameter with its default, every column alias, every
  column of the summary and the issues report;
* ``<!-- config-example -->``: a TOML block that :func:`arealkart.config.load_config`
  accepts;
* ``<!-- checked -->`` (in any page of ``docs/``): a ``console`` block of
  ``$ arealkart …`` commands run on the demo build, whose output must be exactly what the
  block shows.

Relative links in the docs, the README and the notebook must point at files and headings
that exist.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import textwrap
import unicodedata
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from arealkart.available.parameters import Parameters
from arealkart.cli.main import main
from arealkart.config import (
    DATABASE_OPTIONS,
    FILE_OPTIONS,
    LAYER_KEYS,
    REGION_KEYS,
    SECTIONS,
    load_config,
)
from arealkart.load.limits import LIMITS
from arealkart.model.issues import COLUMNS as ISSUE_COLUMNS
from arealkart.publish.summary import COLUMNS as SUMMARY_COLUMNS
from helpers import REAL, ROOT

DOCS = ROOT / "docs"
GUIDE = DOCS / "guide.md"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
NOTEBOOK = ROOT / "notebooks" / "vest-telemark.ipynb"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _block(marker: str, text: str | None = None) -> str:
    """The text between ``<!-- marker -->`` and ``<!-- /marker -->`` in the guide."""
    text = GUIDE.read_text(encoding="utf-8") if text is None else text
    match = re.search(rf"<!-- {marker} -->\n(.*?)<!-- /{marker} -->", text, re.DOTALL)
    assert match, f"no <!-- {marker} --> block in {GUIDE.name}"
    return match.group(1)


def _rows(table: str) -> list[list[str]]:
    """The body rows of a Markdown table, as lists of cell texts."""
    lines = [line for line in table.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def _code(cell: str) -> str:
    return cell.strip().strip("`")


# --- tables ----------------------------------------------------------------------------------


def test_schema_tables_match_the_schemas():
    schema_table = _script("schema_table")
    assert schema_table.stale_files() == [], "run: .venv/bin/python scripts/schema_table.py --write"
    text = GUIDE.read_text(encoding="utf-8")
    for name in schema_table.schema_names():
        assert f"<!-- schema-table: {name} -->" in text


def _default_text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, frozenset):
        return ", ".join(f"H{code}" for code in sorted(value))
    if isinstance(value, tuple):
        return str(list(value))
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return "; ".join(f"{k}: {_default_text(v)}" for k, v in value.items())
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def test_parameter_table_lists_every_parameter_with_its_default():
    defaults = Parameters.default()
    table = {_code(row[0]): row[1] for row in _rows(_block("parameter-table"))}
    expected = {
        name: _default_text(getattr(defaults, name)) for name in defaults.__dataclass_fields__
    }
    assert table == expected


def test_limits_table_lists_every_limit_with_its_default():
    rows = _rows(_block("limits"))
    table = {_code(row[0]): float(row[1].split(" (")[0].replace(" ", "")) for row in rows}
    assert table == {f.name: getattr(LIMITS, f.name) for f in fields(LIMITS)}


def test_alias_table_lists_every_column_alias():
    aliases = pd.read_csv(
        ROOT / "src" / "arealkart" / "data" / "kolonnealias.csv", dtype=str, keep_default_na=False
    )
    expected: dict[str, set[str]] = {}
    for row in aliases.itertuples(index=False):
        name = f"{row.alias} ({row.objtype})" if row.objtype else row.alias
        expected.setdefault(row.kolonne, set()).add(name)
    documented = {}
    for column, names in _rows(_block("alias-table")):
        key = "@id" if column.startswith("the layer's id") else _code(column)
        documented[key] = {n.replace("`", "").strip() for n in names.split(", ")}
    assert documented == expected


@pytest.mark.parametrize(
    ("marker", "columns"),
    [("summary-columns", SUMMARY_COLUMNS), ("issues-columns", list(ISSUE_COLUMNS))],
)
def test_column_tables_list_every_column(marker, columns):
    assert [_code(row[0]) for row in _rows(_block(marker))] == list(columns)


# --- the config example ------------------------------------------------------------------------


def test_config_example_is_accepted_and_complete(tmp_path):
    block = _block("config-example", GUIDE.read_text(encoding="utf-8") + "<!-- /config-example -->")
    toml = re.search(r"```toml\n(.*?)```", block, re.DOTALL).group(1)
    path = tmp_path / "region.toml"
    path.write_text(toml, encoding="utf-8")
    config = load_config(path, check_files=False)
    assert [m.kommune.navn for m in config.municipalities] == ["Vinje", "Seljord"]
    assert config.combination_overrides == tmp_path / "kombinasjoner.csv"
    assert config.combination_overrides in config.files()  # its checksum is in the manifest
    sections = {f"[{s}]" for s in SECTIONS if s != "kommune"}
    assert sections <= set(re.findall(r"^\[\w+\]", toml, re.M))
    assert set(LAYER_KEYS) <= set(re.findall(r"^(\w+) = ", toml, re.M))
    assert set(REGION_KEYS) <= set(re.findall(r"^(\w+) = ", toml, re.M))


TOML_BLOCKS = [
    (page, textwrap.dedent(block))
    for page in sorted(DOCS.glob("*.md"))
    for _, block in re.findall(r"^( *)```toml\n(.*?)^\1```", _text(page), re.M | re.S)
]


@pytest.mark.parametrize(("page", "toml"), TOML_BLOCKS, ids=[p.name for p, _ in TOML_BLOCKS])
def test_every_config_in_the_docs_is_accepted(page, toml, tmp_path):
    path = tmp_path / "region.toml"
    path.write_text(toml, encoding="utf-8")
    assert load_config(path, check_files=False).municipalities


def test_every_config_key_and_file_option_is_documented():
    text = GUIDE.read_text(encoding="utf-8")
    keys = (
        *REGION_KEYS,
        *LAYER_KEYS,
        "kommune",
        "kontakt",
        "planinnsyn",
        "overstyring",
        "kombinasjon",
    )
    for key in (*keys, *FILE_OPTIONS, "postgis", *DATABASE_OPTIONS):
        assert f"| `{key}` |" in text, key


# --- commands and their output -----------------------------------------------------------------


def _checked_examples() -> list[tuple[str, str]]:
    """``(command, expected output)`` of every ``<!-- checked -->`` console block."""
    text = "\n".join(page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("*.md")))
    examples = []
    for block in re.findall(r"<!-- checked -->\n```console\n(.*?)```", text, re.DOTALL):
        for part in re.split(r"^(?=\$ )", block, flags=re.M):
            if part.strip():
                command, _, output = part.partition("\n")
                examples.append((command.removeprefix("$ "), output))
    return examples


EXAMPLES = _checked_examples()


def test_the_guide_has_checked_examples():
    assert len(EXAMPLES) >= 8


SAMPLES = {"Evjetun_leirsted.sos": REAL / "sosi-plan-evje-4219" / "Evjetun_leirsted.sos"}
"""Real sample files the guide's examples name, as they lie in ``../shared``."""


@pytest.fixture(scope="module")
def demo_folder(demo_build, tmp_path_factory):
    """A folder to run commands in: ``output`` is the demo build, ``data`` the repo's, and
    the real samples of :data:`SAMPLES` (where ``../shared`` has them)."""
    folder = tmp_path_factory.mktemp("guide")
    (folder / "output").symlink_to(demo_build.files[0].parent, target_is_directory=True)
    (folder / "data").symlink_to(ROOT / "data", target_is_directory=True)
    for name, sample in SAMPLES.items():
        if sample.exists():
            (folder / name).symlink_to(sample)
    return folder


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_checked_example_prints_what_the_guide_shows(
    command, expected, demo_folder, monkeypatch, capsys
):
    argv = shlex.split(command)
    assert argv[0] == "arealkart"
    missing = [a for a in argv if a in SAMPLES and not SAMPLES[a].exists()]
    if missing:
        pytest.skip(f"{SAMPLES[missing[0]]} is not available (the ../shared folder is absent)")
    monkeypatch.chdir(demo_folder)
    try:
        main(argv[1:])
    except SystemExit as exc:  # an error example: its message is what the guide shows
        assert exc.code != 0
    out, err = capsys.readouterr()
    assert (out + err).rstrip() == expected.rstrip()


# --- links ---------------------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = unicodedata.normalize("NFC", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


def _markdown_sources() -> list[tuple[Path, str]]:
    sources = [(page, page.read_text(encoding="utf-8")) for page in PAGES]
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return [*sources, (NOTEBOOK, text)]


@pytest.mark.parametrize(
    ("page", "text"), _markdown_sources(), ids=[p.name for p, _ in _markdown_sources()]
)
def test_relative_links_point_at_existing_files_and_headings(page, text):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(target)
    assert broken == []
