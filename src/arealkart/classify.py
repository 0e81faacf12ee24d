"""Classify plan zones and plots into the categories the region asked for.

Categories: ``bolig`` (permanent housing), ``fritid`` (leisure homes), ``kombinert``
(combined use, where permanent and leisure homes or housing and business mix), ``naering``
(business) and ``annet`` (everything else: roads, green structure, LNFR, water, …; never
counted as building land).

The default rule is data: ``arealkart/data/kategorier.csv`` maps ranges of codes *per code
list* to a category and says why (see ``KATEGORIER.md`` beside it).  A user file in the same
form overrides it by code, and rows with ``plan_id`` (and optionally ``feltnavn`` and
``kommunenummer``) override single zones, e.g. a housing field whose provisions also allow
leisure homes becomes ``kombinert``.

Beside its category every zone gets a ``kombinasjon``: what its plan lets mix
(:data:`~arealkart.model.vocabulary.COMBINATIONS`: ``bolig_fritid`` where permanent and
leisure homes may stand side by side, ``bolig_naering``, ``sentrum``, ``annen``; empty for
single use).  Its rule is ``arealkart/data/kombinasjoner.csv``, in the same form and
overridden the same way (a zone row with ``kombinasjon = ingen`` makes a zone single use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from arealkart.errors import CodeListError
from arealkart.load.frames import canonical_layer
from arealkart.model.resources import package_data
from arealkart.model.schema import OBJTYPES
from arealkart.model.vocabulary import CATEGORIES, COMBINATIONS, SINGLE_USE
from arealkart.registry.codes import code_names, is_known

RULE_CODE = "kode"
RULE_UNKNOWN = "ukjent_kode"
RULE_OVERRIDE_CODE = "overstyrt_kode"
RULE_OVERRIDE_ZONE = "overstyrt_felt"

_ZONE_RULE_KEYS = ("plan_id", "feltnavn", "kommunenummer")


@dataclass(frozen=True)
class _Decision:
    """What a rule table decides: its value column, the values it may take, its file."""

    column: str
    values: tuple[str, ...]
    default_file: str
    what: str


_CATEGORY = _Decision("kategori", CATEGORIES, "kategorier.csv", "category")
_COMBINATION = _Decision(
    "kombinasjon", (*COMBINATIONS, SINGLE_USE), "kombinasjoner.csv", "combination"
)


@dataclass(frozen=True)
class CategoryRules:
    """Code ranges and single-zone overrides that decide each zone's category.

    The rule of combined use has the same form, with a ``kombinasjon`` column.

    Attributes
    ----------
    codes
        Rows ``objtype, fra, til, <value>, begrunnelse, regel``; later rows win.
    zones
        Rows ``plan_id, feltnavn, kommunenummer, <value>`` (``feltnavn`` and
        ``kommunenummer`` may be empty to match any).
    """

    codes: pd.DataFrame
    zones: pd.DataFrame


def load_category_rules(overrides: str | Path | pd.DataFrame | None = None) -> CategoryRules:
    """Load the default category rule, with a user's overrides on top.

    Parameters
    ----------
    overrides
        A CSV file or DataFrame.  Rows with ``objtype`` and either ``kode`` or ``fra``/``til``
        override by code; rows with ``plan_id`` (and optionally ``feltnavn``,
        ``kommunenummer``) override single zones.  Every row needs ``kategori``.

    Raises
    ------
    CodeListError
        If the file is malformed; the message names the file, the row and what was expected.
    """
    return _load_rules(_CATEGORY, overrides)


def load_combination_rules(
    overrides: str | Path | pd.DataFrame | None = None,
) -> CategoryRules:
    """Load the default rule of combined use (``kombinasjoner.csv``), with overrides on top.

    Parameters
    ----------
    overrides
        A CSV file or DataFrame in the form of :func:`load_category_rules`'s, with a
        ``kombinasjon`` column (one of :data:`~arealkart.model.vocabulary.COMBINATIONS`,
        or ``ingen`` for single use).

    Raises
    ------
    CodeListError
        If the file is malformed; the message names the file, the row and what was expected.
    """
    return _load_rules(_COMBINATION, overrides)


def _load_rules(decision: _Decision, overrides: str | Path | pd.DataFrame | None) -> CategoryRules:
    default = _read_rule_table(package_data(decision.default_file), decision)
    default["regel"] = RULE_CODE
    _check_code_rules(default, f"arealkart/data/{decision.default_file}", decision)
    if overrides is None:
        return CategoryRules(default, _empty_zone_rules(decision))
    name = "overrides" if isinstance(overrides, pd.DataFrame) else str(overrides)
    table = (
        overrides.copy()
        if isinstance(overrides, pd.DataFrame)
        else _read_rule_table(overrides, decision)
    )
    if decision.column not in table.columns:
        raise CodeListError(
            f"{name}: a {decision.what} override file needs a {decision.column!r} column"
        )
    by_zone = table.get("plan_id", pd.Series(pd.NA, index=table.index)).notna()
    zone_rules = _zone_rules(table[by_zone], name, decision)
    code_rules = _code_rules(table[~by_zone], name, decision)
    code_rules["regel"] = RULE_OVERRIDE_CODE
    return CategoryRules(pd.concat([default, code_rules], ignore_index=True), zone_rules)


def classify_zones(
    zones: gpd.GeoDataFrame,
    overrides: str | Path | pd.DataFrame | CategoryRules | None = None,
    combinations: str | Path | pd.DataFrame | CategoryRules | None = None,
) -> gpd.GeoDataFrame:
    """Give every zone a category, the official name of its code, and the rule that decided.

    Parameters
    ----------
    zones
        A zones layer (see :mod:`arealkart.model.schema`), or any GeoDataFrame of plan
        zones: columns named as the readers know them (``RPAREALFORMÅL``, ``planid`` …),
        any CRS (reprojected to EPSG:25832), ``kommunenummer`` taken from where a zone
        lies if missing (see :func:`arealkart.load.frames.canonical_layer`).
    overrides
        User overrides (see :func:`load_category_rules`) or ready :class:`CategoryRules`.
    combinations
        User overrides of the combined-use rule (see :func:`load_combination_rules`).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``zones`` with ``kategori``, ``formal_navn``, ``kategori_regel``,
        ``kombinasjon`` (empty for single use) and ``kombinasjon_regel``.  A code missing
        from its official list becomes ``annet`` with rule ``ukjent_kode`` (see
        :func:`classification_issues`) unless a user override names it.
    """
    categories = (
        overrides if isinstance(overrides, CategoryRules) else load_category_rules(overrides)
    )
    mixes = (
        combinations
        if isinstance(combinations, CategoryRules)
        else load_combination_rules(combinations)
    )
    out = canonical_layer(zones, "zones").copy()
    objtype = out["objtype"].astype("string")
    code = out["arealformal"].astype("Int64")
    known = is_known(objtype, code)
    codes = (objtype, code, known)
    kategori, kategori_regel = _decide(out, codes, categories, _CATEGORY, "annet")
    mix, mix_rule = _decide(out, codes, mixes, _COMBINATION, SINGLE_USE)
    out["kategori"] = kategori
    out["formal_navn"] = code_names(objtype, code)
    out["kategori_regel"] = kategori_regel
    out["kombinasjon"] = mix.mask(mix == SINGLE_USE)
    out["kombinasjon_regel"] = mix_rule
    return out


def _decide(
    zones: gpd.GeoDataFrame,
    codes: tuple[pd.Series, pd.Series, pd.Series],
    rules: CategoryRules,
    decision: _Decision,
    default: str,
) -> tuple[pd.Series, pd.Series]:
    """Each zone's value of ``decision`` and the rule that gave it.

    Code rows in order (the default's only for codes of the official lists), then
    single-zone rows.
    """
    objtype, code, known = codes  # each zone's code list, code, and whether it is official
    # plain pd.Series: the rule tables' cells are untyped scalars
    value: pd.Series = pd.Series(default, index=zones.index, dtype="string")
    regel: pd.Series = pd.Series(RULE_CODE, index=zones.index, dtype="string")
    regel[~known] = RULE_UNKNOWN
    row: Any  # a row of a rule table, whatever its cells hold
    for row in rules.codes.itertuples(index=False):
        hit = (objtype == row.objtype) & code.between(row.fra, row.til).fillna(False)
        if row.regel == RULE_CODE:
            hit &= known
        value[hit] = getattr(row, decision.column)
        regel[hit] = row.regel
    for row in rules.zones.itertuples(index=False):
        hit = _zone_match(zones, row)
        value[hit] = getattr(row, decision.column)
        regel[hit] = RULE_OVERRIDE_ZONE
    return value, regel


def classification_issues(classified: gpd.GeoDataFrame) -> pd.DataFrame:
    """Issues-report rows for zones whose code is not in the official list."""
    from arealkart.model.issues import Issue, issues_frame, source_file

    unknown = classified[classified["kategori_regel"] == RULE_UNKNOWN]
    return issues_frame(
        Issue(
            file=source_file(row.source),
            feature=str(row.zone_id),
            layer="zones",
            rule=RULE_UNKNOWN,
            action="reclassified",
            detail=(
                f"arealformål {row.arealformal} is not in the official {row.objtype} code "
                f"list; classified as 'annet'"
            ),
        )
        for row in unknown.itertuples(index=False)
    )


def _zone_match(zones: gpd.GeoDataFrame, rule: Any) -> pd.Series:
    hit = zones["plan_id"].astype("string") == rule.plan_id
    for key in ("feltnavn", "kommunenummer"):
        value = getattr(rule, key)
        if pd.notna(value) and value != "":
            hit &= zones[key].astype("string") == str(value)
    return hit.fillna(False)


def _read_rule_table(path: str | Path, decision: _Decision) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise CodeListError(f"{path}: {decision.what} override file not found") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CodeListError(f"{path}: not a readable CSV file ({exc})") from None


def _code_rules(table: pd.DataFrame, name: str, decision: _Decision) -> pd.DataFrame:
    columns = ("objtype", "fra", "til", decision.column)
    table = table.copy()
    if "kode" in table.columns:
        table["fra"] = table.get("fra", pd.Series(pd.NA, index=table.index)).fillna(table["kode"])
        table["til"] = table.get("til", pd.Series(pd.NA, index=table.index)).fillna(table["kode"])
    missing = [c for c in columns if c not in table.columns]
    if missing and len(table):
        raise CodeListError(
            f"{name}: code overrides need columns objtype, kode (or fra and til) and "
            f"{decision.column}; missing {missing}"
        )
    if not len(table):
        return pd.DataFrame(columns=[*columns, "begrunnelse"])
    if "begrunnelse" not in table.columns:
        table["begrunnelse"] = "user override"
    table = table[[*columns, "begrunnelse"]]
    _check_code_rules(table, name, decision)
    return table


def _check_code_rules(table: pd.DataFrame, name: str, decision: _Decision) -> None:
    row: Any  # a row of the override table, whatever its cells hold
    for i, row in enumerate(table.itertuples(index=False), start=2):
        if row.objtype not in OBJTYPES:
            raise CodeListError(
                f"{name}, row {i}: objtype {row.objtype!r} is not one of {list(OBJTYPES)}"
            )
        _check_value(getattr(row, decision.column), name, i, decision)
        try:
            fra, til = int(row.fra), int(row.til)
        except (TypeError, ValueError):
            raise CodeListError(
                f"{name}, row {i}: codes must be integers, got fra={row.fra!r} til={row.til!r}"
            ) from None
        if fra > til:
            raise CodeListError(f"{name}, row {i}: 'fra' {fra} is greater than 'til' {til}")
    table["fra"] = table["fra"].astype(int)
    table["til"] = table["til"].astype(int)


def _zone_rules(table: pd.DataFrame, name: str, decision: _Decision) -> pd.DataFrame:
    rules = pd.DataFrame(
        {k: table.get(k, pd.Series(pd.NA, index=table.index)) for k in _ZONE_RULE_KEYS}
    )
    rules[decision.column] = table[decision.column]
    for i, value in enumerate(rules[decision.column], start=2):
        _check_value(value, name, i, decision)
    return rules.astype("string").reset_index(drop=True)


def _empty_zone_rules(decision: _Decision) -> pd.DataFrame:
    return pd.DataFrame(columns=[*_ZONE_RULE_KEYS, decision.column], dtype="string")


def _check_value(value: object, name: str, row: int, decision: _Decision) -> None:
    if value not in decision.values:
        raise CodeListError(
            f"{name}, row {row}: {decision.what} {value!r} is not one of {list(decision.values)}"
        )
