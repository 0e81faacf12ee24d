"""Render the GeoJSON JSON Schemas as Markdown tables, and keep the docs' copies current.

The schemas in ``src/arealkart/data/schema/*.json`` document the properties of the
build's GeoJSON features.  The user guide shows each as a table between two markers::

    <!-- schema-table: tomter -->
    | field | type | values | meaning |
    ...
    <!-- /schema-table -->

Usage::

    .venv/bin/python scripts/schema_table.py              # print every table
    .venv/bin/python scripts/schema_table.py tomter       # print one
    .venv/bin/python scripts/schema_table.py --write      # rewrite the tables in docs/*.md
    .venv/bin/python scripts/schema_table.py --check      # exit 1 if a table is out of date

``tests/docs/test_docs.py`` runs the check, so the tables never drift from the schemas.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "src" / "arealkart" / "data" / "schema"
DOCS = ROOT / "docs"
SUFFIX = ".schema.json"
BLOCK = re.compile(
    r"(?P<open><!-- schema-table: (?P<name>[\w-]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /schema-table -->)",
    re.DOTALL,
)


def schema_names() -> list[str]:
    """Names of the shipped schemas (``ledige_arealer``, ``tomter``, …), sorted."""
    return sorted(p.name.removesuffix(SUFFIX) for p in SCHEMAS.glob(f"*{SUFFIX}"))


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``name``."""
    return json.loads((SCHEMAS / f"{name}{SUFFIX}").read_text(encoding="utf-8"))


def _type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        kinds = dict.fromkeys(_json_type(v) for v in spec["enum"] if v is not None)
        return " or ".join([*kinds, *(["null"] if None in spec["enum"] else [])])
    kind = spec.get("type", "any")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _values(spec: dict[str, Any]) -> str:
    parts = []
    if "enum" in spec:
        parts.append(", ".join("`null`" if v is None else f"`{v}`" for v in spec["enum"]))
    if "const" in spec:
        parts.append(f"`{spec['const']}`")
    if "pattern" in spec:
        parts.append(f"pattern `{spec['pattern']}`")
    if "minimum" in spec:
        parts.append(f"≥ {spec['minimum']}")
    if "maximum" in spec:
        parts.append(f"≤ {spec['maximum']}")
    if spec.get("minLength", 0) >= 1:
        parts.append("not empty")
    return "; ".join(parts)


def _geometry_types(schema: dict[str, Any]) -> list[str]:
    options = schema["properties"]["geometry"].get("oneOf", [])
    return [option["$ref"].rsplit("/", 1)[-1] for option in options if "$ref" in option]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(name: str) -> str:
    """The Markdown table of one schema (ending with a newline)."""
    schema = load_schema(name)
    feature = schema["properties"]
    props = feature["properties"]
    required = set(props.get("required", []))
    rows = [
        ("`id`", _type(feature["id"]), _values(feature["id"]), feature["id"]["description"]),
        (
            "geometry",
            " or ".join(_geometry_types(schema)),
            "",
            "WGS84 longitude/latitude (RFC 7946).",
        ),
    ]
    for field, spec in props["properties"].items():
        meaning = spec.get("description", "")
        if field not in required:
            meaning = f"(optional) {meaning}"
        rows.append((f"`{field}`", _type(spec), _values(spec), meaning))
    lines = ["| field | type | values | meaning |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def update(text: str) -> str:
    """``text`` with every schema-table block replaced by the current table."""
    return BLOCK.sub(lambda m: m["open"] + render(m["name"]) + m["close"], text)


def stale_files(folder: Path = DOCS) -> list[Path]:
    """Markdown files under ``folder`` whose schema tables differ from the schemas."""
    return [p for p in sorted(folder.rglob("*.md")) if update(_read(p)) != _read(p)]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help=f"schemas to print (default all: {schema_names()})"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the tables in docs/*.md")
    group.add_argument("--check", action="store_true", help="exit 1 if a table is out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"{path.relative_to(ROOT)}: schema tables out of date", file=sys.stderr)
        if stale:
            print("run: .venv/bin/python scripts/schema_table.py --write", file=sys.stderr)
        return 1 if stale else 0
    if args.write:
        for path in stale_files():
            path.write_text(update(_read(path)), encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
        return 0
    for name in args.names or schema_names():
        print(f"<!-- schema-table: {name} -->\n{render(name)}<!-- /schema-table -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
