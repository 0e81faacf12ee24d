"""Text the CLI prints: query result tables with totals, and what an input file holds.

Pure functions from data to lines of text; :mod:`arealkart.cli` echoes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arealkart.ask.filters import place_kind
from arealkart.ask.index import layer_area_m2
from arealkart.classify import classify_zones
from arealkart.errors import ArealkartError
from arealkart.load.describe import GdalLayer
from arealkart.model.plandata import PlanData
from arealkart.model.vocabulary import DISTANCE_COLUMNS
from arealkart.registry.kommuner import names as municipality_names

# --- query tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a result table: heading, source column, formatter, alignment."""

    heading: str
    source: str
    fmt: Callable[[Any], str] = str
    right: bool = False


def _number(decimals: int) -> Callable[[Any], str]:
    def fmt(value: Any) -> str:
        if value is None or pd.isna(value):
            return "–"
        return f"{float(value):,.{decimals}f}".replace(",", " ")

    return fmt


def _text(value: Any) -> str:
    return "–" if value is None or pd.isna(value) or value == "" else str(value)


def _yes_no(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else ("ja" if bool(value) else "nei")


def _km(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value) / 1000:.1f}"


_COMMON_HEAD = [Column("kommune", "kommune")]
TABLE_COLUMNS = {
    "ledige_arealer": [
        Column("id", "ledig_id"),
        *_COMMON_HEAD,
        Column("plan", "plan_id", _text),
        Column("felt", "feltnavn", _text),
        Column("kategori", "kategori"),
        Column("daa", "areal_daa", _number(1), True),
        Column("tomter", "tomter_estimert", _number(0), True),
        Column("poeng", "poeng", _number(1), True),
    ],
    "tomter": [
        Column("id", "tomt_id"),
        *_COMMON_HEAD,
        Column("felt", "feltnavn", _text),
        Column("kategori", "kategori", _text),
        Column("status", "status"),
        Column("m²", "tomt_m2", _number(0), True),
        Column("pris", "pris", _number(0), True),
        Column("va", "va", _yes_no),
        Column("poeng", "poeng", _number(1), True),
    ],
    "soner": [
        Column("id", "zone_id"),
        *_COMMON_HEAD,
        Column("plan", "plan_id", _text),
        Column("felt", "feltnavn", _text),
        Column("kategori", "kategori"),
        Column("status", "status"),
        Column("ledig daa", "ledig_daa", _number(1), True),
    ],
}
"""Columns shown per layer; ``avstand_m`` is added as km when the query had a point."""

NOUNS = {"ledige_arealer": "free areas", "tomter": "plots", "soner": "zones"}


def result_table(rows: pd.DataFrame, layer: str, near_type: str | None = None) -> list[str]:
    """A plain-text table of query results, one line per row, with a heading line.

    ``avstand_m`` is shown as ``km`` when the query had a point, and the distance to the
    nearest place of ``near_type`` as ``km <type>`` when it asked for one.
    """
    columns = [c for c in TABLE_COLUMNS[layer] if c.source in rows.columns or c.source == "kommune"]
    if "avstand_m" in rows.columns:
        columns.append(Column("km", "avstand_m", _km, True))
    kind = None if near_type is None else place_kind(near_type)  # checked by the query
    if kind is not None and DISTANCE_COLUMNS[kind] in rows.columns:
        columns.append(Column(f"km {kind}", DISTANCE_COLUMNS[kind], _km, True))
    names = _municipality_names(rows)
    cells = [
        [
            names.get(r["kommunenummer"], "–") if c.source == "kommune" else c.fmt(r[c.source])
            for c in columns
        ]
        for r in rows.to_dict("records")
    ]
    widths = [max([len(c.heading)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = [_line([c.heading for c in columns], columns, widths)]
    lines += [_line(row, columns, widths) for row in cells]
    return lines


def _line(values: list[str], columns: list[Column], widths: list[int]) -> str:
    parts = [
        v.rjust(w) if c.right else v.ljust(w)
        for v, c, w in zip(values, columns, widths, strict=True)
    ]
    return "  ".join(parts).rstrip()


def _municipality_names(rows: pd.DataFrame) -> dict[str, str]:
    return municipality_names(rows.get("kommunenummer", pd.Series(dtype=object)))


def result_totals(rows: pd.DataFrame, layer: str, limit: int | None = None) -> list[str]:
    """Counts and free daa at the end of a query: in all, then per category (and status)."""
    area = _area_daa(rows, layer)
    cut = f" (the first {limit}: --limit)" if limit is not None and len(rows) == limit else ""
    lines = [f"{len(rows)} {NOUNS[layer]}{cut}, {area.sum():.1f} daa"]
    for name in ("kategori", "status"):
        if name not in rows.columns or not len(rows):
            continue
        groups = area.groupby(rows[name].fillna("–").to_numpy()).agg(["size", "sum"])
        for key, row in groups.iterrows():
            lines.append(f"  {name:<9} {key:<14} {int(row['size']):>6}  {row['sum']:>10.1f} daa")
    return lines


def _area_daa(rows: pd.DataFrame, layer: str) -> pd.Series:
    return pd.Series(np.nan_to_num(layer_area_m2(rows, layer)) / 1000.0, index=rows.index)


# --- arealkart info -------------------------------------------------------------------------


def layer_lines(layers: Iterable[GdalLayer]) -> list[str]:
    """One line per layer GDAL sees: features, geometry type, CRS, fields."""
    lines = []
    for layer in layers:
        if layer.error is not None:
            lines.append(f"    {layer.name}: unreadable ({layer.error})")
            continue
        lines.append(
            f"    {layer.name}: {layer.features} features, {layer.geometry_type or 'no geometry'}, "
            f"{layer.crs or 'no CRS'}, {layer.fields} fields"
        )
    return lines


def plan_summary(data: PlanData) -> list[str]:
    """What arealkart read from a file: layers, object types, codes, statuses, issues."""
    lines = []
    for kind, describe in (
        ("zones", _zone_lines),
        ("constraints", _constraint_lines),
        ("plots", _plot_lines),
        ("buildings", _building_lines),
    ):
        layer = data.layer(kind)
        if len(layer):
            crs = layer.crs.to_string() if layer.crs is not None else "no CRS"
            lines.append(f"    {kind}: {len(layer)} ({crs})")
            lines += [f"      {line}" for line in describe(layer)]
    if not lines:
        lines.append("    nothing arealkart can use (no zones, constraints, plots or buildings)")
    issues = data.issues
    if len(issues):
        counts = ", ".join(f"{k} {v}" for k, v in issues["action"].value_counts().items())
        lines.append(f"    issues: {len(issues)} ({counts})")
    return lines


def _zone_lines(zones: pd.DataFrame) -> list[str]:
    try:
        zones = classify_zones(zones)
    except ArealkartError:
        zones = zones.assign(kategori="?", formal_navn=None)
    keys = ["objtype", "arealformal", "formal_navn", "kategori"]
    table = zones[keys].astype(object).where(zones[keys].notna(), "–")
    counts = table.groupby(keys, sort=True).size()
    plans = zones["plan_id"].nunique()
    lines = [f"plans: {plans}; object types: {_counts(zones['objtype'])}"]
    for (objtype, code, name, kategori), n in zip(counts.index, counts, strict=True):
        lines.append(f"{objtype} {code} {_short(name)} → {kategori}: {n}")
    return lines


def _constraint_lines(constraints: pd.DataFrame) -> list[str]:
    codes = constraints["hensyn_kode"].map(lambda c: "–" if pd.isna(c) else f"H{int(c)}")
    return [f"codes: {_counts(codes)}"]


def _plot_lines(plots: pd.DataFrame) -> list[str]:
    return [f"register status: {_counts(plots['register_status'].fillna('none'))}"]


def _building_lines(buildings: pd.DataFrame) -> list[str]:
    types = buildings.geometry.geom_type.value_counts()
    return [f"geometry: {', '.join(f'{k} {v}' for k, v in types.items())}"]


def _counts(values: Iterable[Any]) -> str:
    counts = pd.Series(list(values), dtype=object).value_counts(sort=True)
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _short(name: Any, width: int = 48) -> str:
    text = "–" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
    return text if len(text) <= width else text[: width - 1] + "…"
