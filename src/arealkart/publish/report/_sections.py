"""The report's sections, one function each: a scope of a build in, HTML out.

Every figure of free land, free plots, homes and mixed zones is read from the build's
summary (the table written to ``sammendrag.csv``); a cell that shows one says which with
``data-felt`` (the summary column), ``data-kommunenummer`` and ``data-kategori`` (``*``:
the sum over the categories).  What the summary does not hold (plots by each status, the
zones by planned and actual use) is counted from the same zones and plots the summary
counts (:func:`~arealkart.publish.summary.summarised_zones`,
:func:`~arealkart.publish.summary.summarised_plots`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from arealkart.model.issues import ACTIONS
from arealkart.model.vocabulary import (
    ATTRACTION_TYPES,
    BUILDING_CATEGORIES,
    COMBINATIONS,
    MIXED_USES,
    PLOT_STATUSES,
    REGION_NUMBER,
    SINGLE_USE,
    ZONE_USES,
)
from arealkart.publish.report._charts import Chart, Series, bars, stacked_bars
from arealkart.publish.report._html import (
    Cell,
    Row,
    figure,
    paragraph,
    section,
    subsection,
    table,
)
from arealkart.publish.report._html import link as anchor
from arealkart.publish.result import BuildResult
from arealkart.publish.scopes import Scope, input_labels
from arealkart.publish.summary import summarised_plots, summarised_zones
from arealkart.registry.style import colours, format_number, style

ALL = "*"
"""``data-kategori`` of a cell that sums over the categories."""


@dataclass(frozen=True)
class Context:
    """What every section reads: the build, the page's scope and language, its texts."""

    build: BuildResult
    scope: Scope
    lang: str
    t: Mapping[str, str]

    @property
    def name(self) -> str:
        """The scope's name: the municipality's, or the region's."""
        return self.scope.kommune or self.build.config.navn

    @property
    def region(self) -> bool:
        """Whether the page is the region's."""
        return self.scope.kommune is None

    def number(self, value: Any, decimals: int = 0) -> str:
        """``value`` as the page writes numbers."""
        return format_number(value, self.lang, decimals)


SECTIONS = ("ledig", "tomter", "kombinert", "attraktive", "avvik", "parametre", "data")
"""The sections of a report page, in order; each is ``<id>_overskrift`` in the texts."""


def sections(ctx: Context, *, issues_link: str | None) -> list[str]:
    """Every section of the page, in the order of :data:`SECTIONS`."""
    builders: dict[str, Callable[[], str]] = {
        "ledig": lambda: free_land(ctx),
        "tomter": lambda: plots(ctx),
        "kombinert": lambda: combined_use(ctx),
        "attraktive": lambda: attractive(ctx),
        "avvik": lambda: issues(ctx, issues_link),
        "parametre": lambda: parameters(ctx),
        "data": lambda: data_dates(ctx),
    }
    return [builders[name]() for name in SECTIONS]


# --- free land ----------------------------------------------------------------------------------

_FREE_LAND: tuple[tuple[str, str, int], ...] = (
    ("soner", "byggeomrader", 0),
    ("ledige_arealer", "ledige_arealer", 0),
    ("ledig_daa", "ledig_daa", 1),
    ("tomter_estimert", "estimerte_tomter", 0),
)
"""Columns of the free-land table: the summary column, its text, its decimals."""


def free_land(ctx: Context) -> str:
    """Free land per category (and, for the region, per municipality), from the summary."""
    t = ctx.t
    own = _own_rows(ctx)
    parts = [paragraph(t["ledig_forklaring"])]
    by_category = _category_table(
        ctx, "t-ledig", t["tabell_ledig_kategori"].format(namn=ctx.name), own, _FREE_LAND
    )
    if not ctx.region:
        chart = bars(
            [t[c] for c in BUILDING_CATEGORIES],
            [_at(own, c, "ledig_daa") for c in BUILDING_CATEGORIES],
            [_category_colours(ctx)[c] for c in BUILDING_CATEGORIES],
            axis_label=t["ledig_daa"],
            lang=ctx.lang,
            decimals=1,
        )
        top = max(BUILDING_CATEGORIES, key=lambda c: _at(own, c, "ledig_daa"))
        alt = t["figur_ledig_kategori"].format(
            namn=ctx.name, kategori=t[top], daa=ctx.number(own.loc[top, "ledig_daa"], 1)
        )
        parts += [_figure(ctx, chart, alt, t["kilde_sammendrag"]), by_category]
        return section("ledig", t["ledig_overskrift"], *parts)
    parts.append(by_category)
    rows = _municipality_rows(ctx)
    chart = stacked_bars(
        [name for _, name, _ in rows],
        [
            Series(t[c], [_at(part, c, "ledig_daa") for _, _, part in rows], colour)
            for c, colour in _category_colours(ctx).items()
        ],
        axis_label=t["ledig_daa"],
        lang=ctx.lang,
        decimals=1,
    )
    totals = {name: float(part["ledig_daa"].sum()) for _, name, part in rows}
    top = max(totals, key=lambda name: totals[name]) if totals else ctx.name
    alt = t["figur_ledig_kommune"].format(namn=top, daa=ctx.number(totals.get(top, 0.0), 1))
    tables = [
        _municipality_table(ctx, f"t-{column}", t[f"tabell_{column}_kommune"], column, decimals)
        for column, decimals in (("ledig_daa", 1), ("ledige_arealer", 0), ("tomter_estimert", 0))
    ]
    parts.append(
        subsection(
            "ledig-kommune",
            t["ledig_kommune_overskrift"],
            _figure(ctx, chart, alt, t["kilde_sammendrag"]),
            *tables,
        )
    )
    return section("ledig", t["ledig_overskrift"], *parts)


def _at(frame: pd.DataFrame, row: str, column: str) -> float:
    """One number of a table."""
    value: Any = frame.loc[row, column]
    return float(value)


def _row_of(frame: pd.DataFrame, row: str) -> pd.Series:
    """One row of a table."""
    found: Any = frame.loc[row]
    return found


def _own_rows(ctx: Context) -> pd.DataFrame:
    """The scope's own summary rows (the region's: its totals), by category."""
    summary = ctx.scope.summary
    own = summary[summary["kommunenummer"] == ctx.scope.kommunenummer].set_index("kategori")
    return own.reindex(list(BUILDING_CATEGORIES)).fillna({"kommune": ctx.name}).fillna(0)


def _municipality_rows(ctx: Context) -> list[tuple[str, str, pd.DataFrame]]:
    """``(kommunenummer, name, rows by category)`` of each municipality in the summary."""
    summary = ctx.scope.summary
    rows = summary[summary["kommunenummer"] != REGION_NUMBER]
    return [
        (str(number), str(part["kommune"].iloc[0]), part.set_index("kategori"))
        for number, part in rows.groupby("kommunenummer", sort=False)
    ]


def _category_table(
    ctx: Context,
    ident: str,
    caption: str,
    own: pd.DataFrame,
    columns: Sequence[tuple[str, str, int]],
) -> str:
    """Rows: the categories and their sum; columns: summary columns of the scope."""
    number = ctx.scope.kommunenummer

    def cells(category: str) -> list[Cell]:
        values = own[[c for c, _, _ in columns]]
        return [
            _summary_cell(
                ctx,
                values[column].sum() if category == ALL else values.loc[category, column],
                decimals,
                column,
                number,
                category,
            )
            for column, _, decimals in columns
        ]

    rows = [Row(ctx.t[c], cells(c)) for c in BUILDING_CATEGORIES]
    rows.append(Row(ctx.t["sum"], cells(ALL), total=True))
    head = [ctx.t["kategori"], *(ctx.t[text] for _, text, _ in columns)]
    return table(ident, caption, head, rows)


def _municipality_table(ctx: Context, ident: str, caption: str, column: str, decimals: int) -> str:
    """Rows: each municipality and the region; columns: the categories and their sum."""

    def row(number: str, name: str, part: pd.DataFrame, total: bool = False) -> Row:
        cells = [
            _summary_cell(ctx, part.loc[c, column], decimals, column, number, c)
            for c in BUILDING_CATEGORIES
        ]
        cells.append(_summary_cell(ctx, part[column].sum(), decimals, column, number, ALL))
        return Row(name, cells, total=total)

    rows = [row(number, name, part) for number, name, part in _municipality_rows(ctx)]
    rows.append(row(REGION_NUMBER, ctx.name, _own_rows(ctx), total=True))
    head = [ctx.t["kommune"], *(ctx.t[c] for c in BUILDING_CATEGORIES), ctx.t["sum"]]
    return table(ident, caption, head, rows)


def _summary_cell(
    ctx: Context, value: Any, decimals: int, column: str, number: str, category: str
) -> Cell:
    data = {"felt": column, "kommunenummer": number, "kategori": category}
    return Cell(ctx.number(value, decimals), data)


def _category_colours(ctx: Context) -> dict[str, str]:
    chosen = colours(ctx.build.config.colours)
    return {c: chosen[c] for c in BUILDING_CATEGORIES}


def _figure(ctx: Context, chart: Chart | None, alt: str, source: str) -> str:
    if chart is None:
        return paragraph(ctx.t["ingen_ledig"])
    return figure(chart.png_base64, chart.size, f"{alt} {ctx.t['diagram_under']}", source)


# --- plots by status ------------------------------------------------------------------------------


def plots(ctx: Context) -> str:
    """Plots by status per category (and per municipality for the region)."""
    t = ctx.t
    heading = t["tomter_overskrift"]
    every = ctx.scope.result.plots
    counted = summarised_plots(every)
    parts = [paragraph(t["tomter_forklaring"])]
    if len(counted) == 0:
        return section("tomter", heading, *parts, paragraph(t["ingen_tomter"]))
    outside = len(every) - len(counted)
    if outside:
        parts.append(paragraph(t["tomter_utenfor"].format(antall=ctx.number(outside))))
    own = _own_rows(ctx)
    by_category = _count(counted, "kategori", BUILDING_CATEGORIES)
    statuses = style()["tomtefarger"]
    number = ctx.scope.kommunenummer
    category_rows = [
        Row(t[c], _status_cells(ctx, _row_of(by_category, c), own.loc[[c]], number, c))
        for c in BUILDING_CATEGORIES
    ]
    category_rows.append(
        Row(t["sum"], _status_cells(ctx, by_category.sum(), own, number, ALL), total=True)
    )
    head = [t["kategori"], *(t[s] for s in PLOT_STATUSES), t["sum"]]
    by_category_table = table(
        "t-tomter", t["tabell_tomter_kategori"].format(namn=ctx.name), head, category_rows
    )
    free_total, all_total = int(own["ledige_tomter"].sum()), int(own["tomter"].sum())
    counts = {"ledige": ctx.number(free_total), "alle": ctx.number(all_total)}
    if not ctx.region:
        shown = [c for c in BUILDING_CATEGORIES if by_category.loc[c].sum()]
        chart = _status_chart(ctx, [t[c] for c in shown], by_category.loc[shown], statuses)
        alt = t["figur_tomter_kategori"].format(namn=ctx.name, **counts)
        parts += [_figure(ctx, chart, alt, t["kilde_tomter"]), by_category_table]
        return section("tomter", heading, *parts)
    municipalities = _municipality_rows(ctx)
    by_municipality = _count(counted, "kommunenummer", [n for n, _, _ in municipalities])
    rows = [
        Row(name, _status_cells(ctx, _row_of(by_municipality, n), part, n, ALL))
        for n, name, part in municipalities
    ]
    rows.append(
        Row(ctx.name, _status_cells(ctx, by_municipality.sum(), own, number, ALL), total=True)
    )
    names = [name for _, name, _ in municipalities]
    chart = _status_chart(ctx, names, by_municipality, statuses)
    alt = t["figur_tomter_kommune"].format(**counts)
    head[0] = t["kommune"]
    parts += [
        by_category_table,
        _figure(ctx, chart, alt, t["kilde_tomter"]),
        table("t-tomter-kommune", t["tabell_tomter_kommune"], head, rows),
    ]
    return section("tomter", heading, *parts)


def _count(frame: pd.DataFrame, key: str, index: Sequence[str]) -> pd.DataFrame:
    """Rows counted by ``key`` (rows ``index``) and status (columns, all of them)."""
    counts = pd.crosstab(frame[key].astype("string"), frame["status"].astype("string"))
    return counts.reindex(index=list(index), columns=list(PLOT_STATUSES), fill_value=0)


def _status_cells(
    ctx: Context, counts: pd.Series, summary: pd.DataFrame, number: str, category: str
) -> list[Cell]:
    """A row's plots by status: free ones and the total from the summary, the rest counted."""
    where = {"kommunenummer": number, "kategori": category}
    cells = []
    for status in PLOT_STATUSES:
        if status == "ledig":
            value = summary["ledige_tomter"].sum()
            cells.append(Cell(ctx.number(value), {"felt": "ledige_tomter", **where}))
        else:
            cells.append(Cell(ctx.number(counts[status]), {"status": status, **where}))
    cells.append(Cell(ctx.number(summary["tomter"].sum()), {"felt": "tomter", **where}))
    return cells


def _status_chart(
    ctx: Context, labels: Sequence[str], counts: pd.DataFrame, colours_: Mapping[str, str]
) -> Chart | None:
    series = [Series(ctx.t[s], [float(v) for v in counts[s]], colours_[s]) for s in PLOT_STATUSES]
    return stacked_bars(labels, series, axis_label=ctx.t["tomter"], lang=ctx.lang, decimals=0)


# --- combined use ---------------------------------------------------------------------------------

_HOMES: tuple[tuple[str, str, int], ...] = (
    ("boliger_helars", "boliger_helars", 0),
    ("boliger_fritid", "boliger_fritid", 0),
    ("blandede_soner", "blandede_soner", 0),
    ("blandet_ledig_daa", "blandet_ledig_daa", 1),
)
"""Columns of the homes table: the summary column, its text, its decimals."""


_USES = (*MIXED_USES, *(use for use in ZONE_USES if use not in MIXED_USES))
"""The uses as the table's columns: where the homes mix first, the region's question."""


def combined_use(ctx: Context) -> str:
    """Zones by planned use (``kombinasjon``) and actual use (``bruk``), and the homes."""
    t = ctx.t
    share = ctx.build.result.parameters.blandet_andel
    parts = [paragraph(t["kombinert_forklaring"].format(andel=f"{ctx.number(share * 100)} %"))]
    zones = summarised_zones(ctx.scope.result.zones)
    if "bruk" not in zones.columns:
        return section("kombinert", t["kombinert_overskrift"], *parts, paragraph(t["ingen_bruk"]))
    used = zones[zones["bruk"].notna()]
    plan = used["kombinasjon"] if "kombinasjon" in used.columns else pd.Series(pd.NA, used.index)
    planned = plan.astype("string").fillna(SINGLE_USE)
    counts = (
        pd.crosstab(planned, used["bruk"].astype("string"))
        .reindex(index=[SINGLE_USE, *COMBINATIONS], columns=list(_USES), fill_value=0)
        .fillna(0)
    )
    rows = []
    for plan in counts.index:
        label = t["bare_en_bruk"] if plan == SINGLE_USE else t[plan]
        cells = [
            Cell(ctx.number(counts.loc[plan, use]), {"kombinasjon": plan, "bruk": use})
            for use in _USES
        ]
        cells.append(Cell(ctx.number(counts.loc[plan].sum()), {"kombinasjon": plan, "bruk": ALL}))
        rows.append(Row(label, cells))
    sums = [Cell(ctx.number(counts[use].sum()), {"kombinasjon": ALL, "bruk": use}) for use in _USES]
    sums.append(Cell(ctx.number(counts.to_numpy().sum()), {"kombinasjon": ALL, "bruk": ALL}))
    rows.append(Row(t["sum"], sums, total=True))
    head = [t["planlagt_bruk"], *(t[use] for use in _USES), t["sum"]]
    caption = t["tabell_kombinasjon"].format(namn=ctx.name)
    parts.append(table("t-kombinasjon", caption, head, rows))
    homes = t["tabell_boliger"].format(namn=ctx.name)
    parts.append(_category_table(ctx, "t-boliger", homes, _own_rows(ctx), _HOMES))
    return section("kombinert", t["kombinert_overskrift"], *parts)


# --- the most attractive free areas ---------------------------------------------------------------

TOP = 10
"""How many free areas per category the report lists."""


def attractive(ctx: Context) -> str:
    """The :data:`TOP` free areas of each category with the highest ``poeng``."""
    t = ctx.t
    heading = t["attraktive_overskrift"]
    free = ctx.scope.result.free
    if "poeng" not in free.columns:
        return section("attraktive", heading, paragraph(t["ingen_poeng"]))
    kinds = [k for k in ATTRACTION_TYPES if f"avstand_{k}_m" in free.columns]
    bases = free["avstand_grunnlag"].dropna().unique() if "avstand_grunnlag" in free else []
    parts = [paragraph(t["attraktive_forklaring"])]
    if len(bases) == 1:
        parts.append(paragraph(t["malt_alle"].format(grunnlag=t.get(bases[0], bases[0]))))
    for category in BUILDING_CATEGORIES:
        best = _best(free, category)
        ident = f"attraktive-{category}"
        if len(best) == 0:
            text = t["ingen_i_kategori"].format(kategori=t[category])
            parts.append(subsection(ident, t[category], paragraph(text)))
            continue
        caption = t["tabell_attraktive"].format(kategori=t[category])
        rows = [_attractive_row(ctx, i, row, kinds, len(bases) > 1) for i, row in enumerate(best)]
        # what a reader compares first (score, field, size, distances) before the long texts
        head = [t["nr"], t["poeng"], t["feltnavn"], *([t["kommune"]] if ctx.region else [])]
        head += [t["areal_kolonne"], *(t["avstand_km"].format(stad=t[f"stad_{k}"]) for k in kinds)]
        head += [t["malt"]] if len(bases) > 1 else []
        head += [t["plan"], t["areal_id"]]
        parts.append(subsection(ident, t[category], table(f"t-{ident}", caption, head, rows)))
    return section("attraktive", heading, *parts)


def _best(free: pd.DataFrame, category: str) -> list[dict[Hashable, Any]]:
    scored = free[(free["kategori"] == category) & free["poeng"].notna()]
    ordered = scored.assign(_poeng=-scored["poeng"].astype(float)).sort_values(
        ["_poeng", "ledig_id"], kind="stable"
    )
    return list(
        ordered.head(TOP).drop(columns=["_poeng", "geometry"], errors="ignore").to_dict("records")
    )


def _attractive_row(
    ctx: Context, index: int, row: Mapping[Hashable, Any], kinds: Sequence[str], basis: bool
) -> Row:
    text = _text
    names = {m.kommune.nummer: m.kommune.navn for m in ctx.build.config.municipalities}
    municipality = names.get(str(row["kommunenummer"]), str(row["kommunenummer"]))
    cells = [
        Cell(ctx.number(row.get("poeng"), 1), {"felt": "poeng"}),
        Cell(text(row.get("feltnavn")), number=False),
        *([Cell(municipality, number=False)] if ctx.region else []),
        Cell(ctx.number(row.get("areal_daa"), 1)),
        *(_km(ctx, row.get(f"avstand_{k}_m")) for k in kinds),
    ]
    if basis:
        base = text(row.get("avstand_grunnlag"))
        cells.append(Cell(ctx.t.get(base, base), number=False))
    identifier = text(row.get("ledig_id"))
    cells.append(Cell(text(row.get("plan_navn")) or text(row.get("plan_id")), number=False))
    cells.append(Cell(identifier, {"ledig_id": identifier}, number=False))
    return Row(ctx.number(index + 1), cells)


def _km(ctx: Context, metres: Any) -> Cell:
    value = None if metres is None or pd.isna(metres) else float(metres) / 1000.0
    return Cell(ctx.number(value, 1))


def _text(value: Any) -> str:
    """An input text as shown: empty for a missing value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


# --- issues ---------------------------------------------------------------------------------------


def issues(ctx: Context, link: str | None) -> str:
    """The issues report of the scope's input files, counted by rule and action."""
    t = ctx.t
    frame = ctx.build.issues
    if not ctx.region:
        frame = frame[frame["file"].isin(_labels(ctx))]
    parts = [paragraph(t["avvik_forklaring"])]
    if len(frame) == 0:
        parts.append(paragraph(t["ingen_avvik"]))
    else:
        counts = frame.groupby(["rule", "action"]).size()
        order = sorted(counts.index, key=lambda k: (k[0], _rank(ACTIONS, k[1])))
        rows = [
            Row(
                rule,
                [
                    Cell(t.get(f"handling_{action}", action), number=False),
                    Cell(ctx.number(counts[(rule, action)]), {"regel": rule, "handling": action}),
                ],
            )
            for rule, action in order
        ]
        rows.append(
            Row(
                t["sum"],
                [Cell("", number=False), Cell(ctx.number(len(frame)), {"regel": ALL})],
                total=True,
            )
        )
        head = [t["regel"], t["handling"], t["antall_objekter"]]
        caption = t["tabell_avvik"].format(namn=ctx.name)
        parts.append(table("t-avvik", caption, head, rows))
    if link:
        parts.append(f"<p>{anchor(link, t['alle_avvik'])}</p>")
    return section("avvik", t["avvik_overskrift"], *parts)


def _labels(ctx: Context) -> set[str]:
    """The labels (as in the issues report) of the scope's municipality's input files."""
    return input_labels(ctx.build.config, ctx.scope.kommunenummer)


def _rank(order: Sequence[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


# --- the rule and its parameters ------------------------------------------------------------------


def parameters(ctx: Context) -> str:
    """Every parameter of the rule as used: plain values, then the tables of them."""
    t = ctx.t
    params = ctx.build.result.parameters
    plain: list[Row] = []
    keyed: dict[tuple[str, ...], list[tuple[str, Mapping[str, Any]]]] = {}
    nested: list[tuple[str, Mapping[str, Mapping[str, Any]]]] = []
    for item in fields(params):
        value = getattr(params, item.name)
        if isinstance(value, Mapping) and any(isinstance(v, Mapping) for v in value.values()):
            nested.append((item.name, value))
        elif isinstance(value, Mapping):
            keyed.setdefault(_key_order(value), []).append((item.name, value))
        else:
            cell = Cell(_value(ctx, value), {"parameter": item.name}, number=False)
            plain.append(Row(_param_name(ctx, item.name), [cell]))
    parts = [paragraph(t["parametre_forklaring"])]
    head = [t["parameter"], t["verdi"]]
    parts.append(table("t-parametre", t["tabell_parametre"], head, plain))
    for i, (keys, group) in enumerate(keyed.items()):
        rows = [
            Row(
                _param_name(ctx, name),
                [_value_cell(ctx, f"{name}.{k}", value.get(k)) for k in keys],
            )
            for name, value in group
        ]
        caption = t["tabell_parametre_per"].format(hva=_kind_of_keys(ctx, keys))
        columns = [t["parameter"], *(_key_name(ctx, k) for k in keys)]
        parts.append(table(f"t-parametre-{i}", caption, columns, rows))
    for name, value in nested:
        inner = _key_order({k: None for v in value.values() for k in v})
        rows = [
            Row(
                _key_name(ctx, outer),
                [_value_cell(ctx, f"{name}.{outer}.{k}", value[outer].get(k)) for k in inner],
            )
            for outer in _key_order(value)
        ]
        columns = [t["kategori"], *(_key_name(ctx, k) for k in inner)]
        parts.append(table(f"t-parametre-{name}", _param_name(ctx, name), columns, rows))
    return section("parametre", t["parametre_overskrift"], *parts)


def _param_name(ctx: Context, name: str) -> str:
    label = ctx.t.get(f"param_{name}")
    return f"{label} · {name}" if label else name


def _value_cell(ctx: Context, name: str, value: Any) -> Cell:
    return Cell(_value(ctx, value), {"parameter": name})


def _value(ctx: Context, value: Any) -> str:
    """A parameter's value as the page writes it: numbers, yes/no, sorted code lists."""
    if isinstance(value, bool):
        return ctx.t["ja"] if value else ctx.t["nei"]
    if isinstance(value, int | float):
        return ctx.number(value, _decimals(float(value)))
    if isinstance(value, frozenset | set | tuple | list):
        return ", ".join(_value(ctx, v) for v in sorted(value))
    if value is None:
        return "–"
    return str(value)


def _decimals(value: float) -> int:
    """The fewest decimals (at most 4) that show ``value`` as it is."""
    for decimals in range(5):
        if math.isclose(round(value, decimals), value, abs_tol=1e-9):
            return decimals
    return 4


def _key_order(mapping: Mapping[str, Any]) -> tuple[str, ...]:
    """A mapping's keys: categories and kinds of place in their order, others after."""
    known = [*BUILDING_CATEGORIES, *ATTRACTION_TYPES]
    return tuple(sorted(mapping, key=lambda k: (_rank(known, k), k)))


def _key_name(ctx: Context, key: str) -> str:
    if key in BUILDING_CATEGORIES:
        return ctx.t[key]
    return ctx.t.get(f"stad_{key}", key)


def _kind_of_keys(ctx: Context, keys: Iterable[str]) -> str:
    keys = set(keys)
    if keys <= set(BUILDING_CATEGORIES):
        return ctx.t["kategori_hva"]
    if keys <= set(ATTRACTION_TYPES):
        return ctx.t["stad_hva"]
    return ", ".join(sorted(keys))


# --- data and dates -------------------------------------------------------------------------------


def data_dates(ctx: Context) -> str:
    """Per municipality: input files, plans, and the plans' earliest and latest dates."""
    t = ctx.t
    cfg = ctx.build.config
    zones = ctx.build.data.zones
    rows = []
    by_number = zones.groupby("kommunenummer", sort=False).indices if len(zones) else {}
    for m in cfg.municipalities:
        if ctx.region or m.kommune.nummer == ctx.scope.kommunenummer:
            part = zones.iloc[by_number.get(m.kommune.nummer, [])]
            files = {s.path for s in m.sources} | {
                s.options["geometry"] for s in m.sources if "geometry" in s.options
            }
            rows.append(Row(m.kommune.navn, _date_cells(ctx, part, len(files))))
    if ctx.region:
        tables = sum(not s.is_file for m in cfg.municipalities for s in m.sources)  # PostGIS
        inputs = len(set(cfg.files())) + tables
        rows.append(Row(ctx.name, _date_cells(ctx, zones, inputs), total=True))
    head = [t["kommune"], t["inndatafiler"], t["planer"], t["tidligste"], t["seneste"]]
    head.append(t["uten_dato"])
    parts = [
        paragraph(t["data_forklaring"]),
        table("t-data", t["tabell_data"].format(namn=ctx.name), head, rows),
    ]
    return section("data", t["data_overskrift"], *parts)


def _date_cells(ctx: Context, zones: pd.DataFrame, files: int) -> list[Cell]:
    """Files, plans, earliest and latest date in force, and plans without one."""
    plans = zones[zones["plan_id"].notna()] if "plan_id" in zones else zones.iloc[0:0]
    keys = [plans["kommunenummer"], plans["plan_id"]]  # plan ids are the municipality's own
    if "ikraft" in plans.columns:
        dates = pd.to_datetime(plans["ikraft"], errors="coerce").groupby(keys).min()
    else:
        dates = pd.Series(pd.NaT, index=plans.index).groupby(keys).min()
    known = dates.dropna()
    fmt = ctx.t["datoformat"]
    first = known.min().strftime(fmt) if len(known) else "–"
    last = known.max().strftime(fmt) if len(known) else "–"
    return [
        Cell(ctx.number(files)),
        Cell(ctx.number(len(dates))),
        Cell(first),
        Cell(last),
        Cell(ctx.number(len(dates) - len(known))),
    ]
