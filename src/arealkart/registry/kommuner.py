"""Municipality registry: any name or number form → the current number and name.

Numbers change with reforms (Vinje was 0834 until 2019, 3825 in 2020–2023 and 4036 from
2024), and data from different years mixes them.  :func:`resolve` accepts names in any case,
with or without "kommune", with ASCII spellings of æ/ø/å, and numbers as int or string in
any of the numberings in ``arealkart/data/kommuner.csv``, and follows the chain of
successors to today's number.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import geopandas as gpd
import pandas as pd

from arealkart.errors import MunicipalityError
from arealkart.model.resources import package_data, shipped_data
from arealkart.model.schema import CRS

VEST_TELEMARK = ("4022", "4028", "4030", "4032", "4034", "4036")
"""Current numbers of the Vest-Telemark municipalities: Seljord, Kviteseid, Nissedal,
Fyresdal, Tokke, Vinje."""

BOUNDARY_ATTRIBUTION = "Kommunegrenser © Kartverket, CC BY 4.0"


@dataclass(frozen=True, order=True)
class Kommune:
    """A municipality by its current number and name."""

    nummer: str
    navn: str

    @property
    def slug(self) -> str:
        """File-name friendly name, e.g. ``"vinje"`` or ``"evje-og-hornnes"``."""
        return slugify(self.navn)


def slugify(text: str) -> str:
    """Lower-case ASCII slug of a Norwegian name (``"Bø i Telemark"`` → ``"bo-i-telemark"``)."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text.casefold())).strip("-")


def resolve(value: str | int) -> Kommune:
    """Resolve a municipality name or number to its current number and name.

    Parameters
    ----------
    value
        ``"Vinje"``, ``"vinje kommune"``, ``"VINJE"``, ``4036``, ``"3825"``, ``"0834"``, ``834``.

    Raises
    ------
    MunicipalityError
        For an unknown or ambiguous value, listing the closest names.
    """
    table = _table()
    number = _as_number(value)
    if number is not None:
        if number not in table.index:
            raise MunicipalityError(
                f"unknown municipality number {value!r}; numbers are 4 digits such as "
                f"4036 (Vinje), 3825 (Vinje 2020–2023) or 0834 (Vinje until 2019)"
            )
        return _current(number)
    key = _name_key(str(value))
    numbers = _names().get(key, [])
    current = sorted({_current(n) for n in numbers})
    if len(current) == 1:
        return current[0]
    if len(current) > 1:
        listing = ", ".join(f"{k.navn} ({k.nummer})" for k in current)
        raise MunicipalityError(
            f"municipality name {value!r} is ambiguous: {listing}; give the number"
        )
    close = difflib.get_close_matches(key, list(_names()), n=5, cutoff=0.6)
    hint = ", ".join(_display_name(k) for k in close) or "none"
    raise MunicipalityError(f"unknown municipality {value!r}; closest names: {hint}")


def kommunenummer(value: str | int) -> str:
    """Current 4-digit number of a municipality given in any form (see :func:`resolve`)."""
    return resolve(value).nummer


def current_numbers(values: pd.Series) -> pd.Series:
    """Map a Series of municipality numbers or names to current 4-digit numbers.

    Each distinct value is resolved once; nulls stay null.
    """
    mapping = {v: kommunenummer(v) for v in values.dropna().unique()}
    return values.map(mapping).astype("string")


def names(numbers: Iterable[Any]) -> dict[str, str]:
    """Number → municipality name for each distinct number; an unknown one keeps its number."""
    out = {}
    for number in dict.fromkeys(str(n) for n in numbers if not pd.isna(n)):
        try:
            out[number] = resolve(number).navn
        except MunicipalityError:
            out[number] = number
    return out


def boundaries(kommuner: tuple[str, ...] | list[str] | None = None) -> gpd.GeoDataFrame:
    """Municipality boundaries in EPSG:25832 with current ``kommunenummer`` and ``navn``.

    Parameters
    ----------
    kommuner
        Municipalities (any form :func:`resolve` takes); default the six of Vest-Telemark.

    Raises
    ------
    MunicipalityError
        If a municipality has no boundary in the shipped file (only Vest-Telemark's ship).
    """
    wanted = [kommunenummer(k) for k in (kommuner or VEST_TELEMARK)]
    gdf = _boundaries()
    missing = sorted(set(wanted) - set(gdf["kommunenummer"]))
    if missing:
        raise MunicipalityError(
            f"no boundary shipped for {missing}; arealkart ships Vest-Telemark's boundaries "
            f"({', '.join(VEST_TELEMARK)})"
        )
    out = gdf[gdf["kommunenummer"].isin(wanted)]
    return out.set_index("kommunenummer", drop=False).loc[wanted].reset_index(drop=True)


@cache
def _boundaries() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(shipped_data("vest-telemark-kommuner-2020.geojson"))
    gdf["kommunenummer"] = current_numbers(gdf["kommunenummer"].astype(str).str.zfill(4))
    gdf["navn"] = [resolve(n).navn for n in gdf["kommunenummer"]]
    return gdf[["kommunenummer", "navn", "geometry"]].to_crs(CRS)


@cache
def _table() -> pd.DataFrame:
    table = pd.read_csv(package_data("kommuner.csv"), dtype=str, keep_default_na=False)
    return table.set_index("nummer")


@cache
def _names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for number, navn in _table()["navn"].items():
        for key in {_name_key(navn), _name_key(_ascii(navn))}:
            names.setdefault(key, []).append(str(number))
    return names


def _display_name(key: str) -> str:
    number = _names()[key][0]
    return str(_table().loc[number, "navn"])


def _current(number: str) -> Kommune:
    table = _table()
    seen = set()
    while table.loc[number, "etterfolger"]:
        if number in seen:  # pragma: no cover - guards against a cyclic data file
            raise MunicipalityError(f"cyclic successor chain at {number} in kommuner.csv")
        seen.add(number)
        number = str(table.loc[number, "etterfolger"])
    return Kommune(number, str(table.loc[number, "navn"]))


def _as_number(value: str | int) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:04d}"
    text = str(value).strip()
    if re.fullmatch(r"\d{1,4}(\.0)?", text):
        return f"{int(float(text)):04d}"
    return None


def _name_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold().strip()
    text = re.sub(r"\s+kommune$", "", text)
    return re.sub(r"[\s_\-]+", " ", text)


def _ascii(text: str) -> str:
    for src, dst in (("æ", "ae"), ("ø", "o"), ("å", "aa"), ("Æ", "Ae"), ("Ø", "O"), ("Å", "Aa")):
        text = text.replace(src, dst)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
