"""Municipality registry: any name or number form → the current number and name.

Numbers change with reforms (Vinje was 0834 until 2019, 3825 in 2020–2023 and 4036 from
2024), and data from different years mixes them.  :func:`resolve` accepts names in any case,
with or without "kommune", with ASCII spellings of æ/ø/å, and numbers as int or string in
any of the numberings in ``arealkart/data/kommuner.csv``, and follows the chain of
successors to today's number.

The table holds all 357 municipalities of 2024 (SSB's classification 131), every number of
2020 with its successor, and Vest-Telemark's numbers before 2020.  A row whose ``til``
(last year) is empty is current; ``etterfolger`` is the number it became, or several
numbers for a municipality that was split (1507 Ålesund became 1508 Ålesund and 1580 Haram
in 2024), which no number alone can follow.  A name with parallel Sami or Kven names is
written in full, ``"Trondheim - Tråante"``, and each of its names alone resolves too; a
name SSB qualifies by county (``"Herøy (Nordland)"``) resolves with or without it (without
it, "Herøy" is ambiguous).

:func:`shipped_boundaries` gives the borders the package ships: all of Norway's of 2020
(© Kartverket, CC BY 4.0), under today's numbers.
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
SHIPPED_BORDERS = "kommuner-2020.fgb"
"""The package's municipal borders: Norway's 356 municipalities of 2020, 2020 numbering."""
_PARALLEL = re.compile(r"\s+[-–]\s+")
"""What separates parallel names: ``"Trondheim - Tråante"`` (a spaced hyphen or en dash)."""
_QUALIFIER = re.compile(r"\s*\([^()]*\)$")
"""SSB's county qualifier of a name two municipalities share: ``"Herøy (Nordland)"``."""


@dataclass(frozen=True, order=True)
class Kommune:
    """A municipality by its current number and name."""

    nummer: str
    navn: str

    @property
    def slug(self) -> str:
        """File-name friendly name, e.g. ``"vinje"`` or ``"evje-og-hornnes"``.

        Of the first of parallel names only: ``"trondheim"`` for "Trondheim - Tråante",
        ``"heroy-nordland"`` for "Herøy (Nordland)".
        """
        return slugify(_PARALLEL.split(self.navn)[0])


def slugify(text: str) -> str:
    """Lower-case ASCII slug of a Norwegian name (``"Bø i Telemark"`` → ``"bo-i-telemark"``)."""
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text.casefold())).strip("-")


def resolve(value: str | int) -> Kommune:
    """Resolve a municipality name or number to its current number and name.

    Parameters
    ----------
    value
        ``"Vinje"``, ``"vinje kommune"``, ``"VINJE"``, ``4036``, ``"3825"``, ``"0834"``,
        ``834``; ``"Trondheim - Tråante"``, ``"Tråante"`` or ``"traante"``.

    Raises
    ------
    MunicipalityError
        For an unknown or ambiguous value, listing the closest names, and for the number
        of a municipality that was split (1507), naming the municipalities it became.
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
    hint = ", ".join(dict.fromkeys(_display_name(k) for k in close)) or "none"
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


def boundaries(kommuner: Iterable[str | int] | None = None) -> gpd.GeoDataFrame:
    """Shipped municipality borders in EPSG:25832 with current ``kommunenummer`` and ``navn``.

    Parameters
    ----------
    kommuner
        Municipalities (any form :func:`resolve` takes), in the order wanted; default the
        six of Vest-Telemark.

    Raises
    ------
    MunicipalityError
        For an unknown municipality, and for one the shipped borders of 2020 do not hold
        apart (1508 Ålesund and 1580 Haram, one municipality, 1507, until 2023): give
        the region's own borders (``[region] borders``) for those.
    """
    wanted = [kommunenummer(k) for k in (VEST_TELEMARK if kommuner is None else kommuner)]
    shipped = shipped_border_numbers()
    missing = [n for n in dict.fromkeys(wanted) if n not in shipped]
    if missing:
        raise MunicipalityError(_no_border(missing))
    return _shipped_by_number().loc[wanted].reset_index(drop=True)


def shipped_boundaries() -> gpd.GeoDataFrame:
    """Every border the package ships, under today's numbers, in EPSG:25832.

    All of Norway's municipalities of 2020 but one: 1507 Ålesund, split in 2024 into 1508
    Ålesund and 1580 Haram, has no border under a current number.  Read once; a copy is
    returned, so a caller may change it.
    """
    return _shipped_boundaries().copy()


@cache
def shipped_border_numbers() -> frozenset[str]:
    """Current numbers of the municipalities :func:`shipped_boundaries` holds."""
    return frozenset(_shipped_boundaries()["kommunenummer"])


def _no_border(missing: list[str]) -> str:
    """Why the shipped borders have none for these current numbers, and what to do."""
    split = {n: old for n in missing if (old := _split_predecessor(n)) is not None}
    if split:
        together, old = list(split), next(iter(split.values()))
        parts = " and ".join(f"{n} {_current(n).navn}" for n in _successors(old))
        return (
            f"no shipped border for {together}: the shipped borders of 2020 hold {parts} "
            f"together as {old} {_table().loc[old, 'navn']!s}; give the region's own borders "
            f'([region] borders = "kommunegrenser.gpkg")'
        )
    return f"no shipped border for {missing}; give the region's own borders ([region] borders)"


@cache
def _shipped_by_number() -> gpd.GeoDataFrame:
    return _shipped_boundaries().set_index("kommunenummer", drop=False)


@cache
def _shipped_boundaries() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(shipped_data(SHIPPED_BORDERS))
    numbers = gdf["kommunenummer"].astype(int).map("{:04d}".format)
    whole = ~numbers.map(lambda n: len(_successors(n)) > 1).to_numpy()
    gdf = gdf[whole].assign(kommunenummer=current_numbers(numbers[whole]))
    gdf["navn"] = [resolve(n).navn for n in gdf["kommunenummer"]]
    out = gdf[["kommunenummer", "navn", "geometry"]].to_crs(CRS)
    return out.sort_values("kommunenummer").reset_index(drop=True)


@cache
def _table() -> pd.DataFrame:
    table = pd.read_csv(package_data("kommuner.csv"), dtype=str, keep_default_na=False)
    return table.set_index("nummer")


@cache
def _names() -> dict[str, list[str]]:
    """Name key → numbers: every name, each of its parallel names, with and without ASCII."""
    names: dict[str, list[str]] = {}
    for number, navn in _table()["navn"].items():
        if _is_split(str(number)):
            continue  # its name is its successor's too ("Ålesund" is 1508)
        for key in _keys(str(navn)):
            names.setdefault(key, []).append(str(number))
    return names


def _keys(navn: str) -> set[str]:
    """The keys a name is found by (see :func:`_name_key`)."""
    parts = [navn, *_PARALLEL.split(navn)]
    parts += [_QUALIFIER.sub("", part) for part in parts]
    forms = {form for part in parts for form in (part, _ascii(part), _ascii(part, "a"))}
    return {_name_key(form) for form in forms}


def _display_name(key: str) -> str:
    number = _names()[key][0]
    return str(_table().loc[number, "navn"])


def _successors(number: str) -> list[str]:
    """The numbers a number became (none for a current one, several for a split one)."""
    return _successor_table()[number]


@cache
def _successor_table() -> dict[str, list[str]]:
    return {str(n): str(e).split() for n, e in _table()["etterfolger"].items()}


def _is_split(number: str) -> bool:
    """Whether a number, or one it became, was split."""
    seen = set()
    while len(following := _successors(number)) == 1 and number not in seen:
        seen.add(number)
        number = following[0]
    return len(following) > 1


def _split_predecessor(number: str) -> str | None:
    """The split number that ``number`` is one of the parts of, if any."""
    for old, following in _successor_table().items():
        if number in following and len(following) > 1:
            return old
    return None


def _current(number: str) -> Kommune:
    seen = set()
    while following := _successors(number):
        if len(following) > 1:
            raise MunicipalityError(_split_message(number, following))
        if number in seen:  # pragma: no cover - guards against a cyclic data file
            raise MunicipalityError(f"cyclic successor chain at {number} in kommuner.csv")
        seen.add(number)
        number = following[0]
    return Kommune(number, _navn_table()[number])


@cache
def _navn_table() -> dict[str, str]:
    return {str(n): str(navn) for n, navn in _table()["navn"].items()}


def _split_message(number: str, following: list[str]) -> str:
    navn, fra, til = (str(_table().loc[number, c]) for c in ("navn", "fra", "til"))
    parts = " and ".join(f"{n} {_current(n).navn}" for n in following)
    years = f"{fra}–{til}" if fra else f"until {til}"
    return (
        f"municipality number {number} ({navn} {years}) was split in {int(til) + 1} into "
        f"{parts}; give the current number of the one you mean"
    )


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
    return re.sub(r"[\s_\-–]+", " ", text)


_LETTERS = {"æ": "ae", "ø": "o", "Æ": "Ae", "Ø": "O", "đ": "d", "Đ": "D", "ŋ": "ng", "Ŋ": "Ng"}
_LETTERS |= {"ŧ": "t", "Ŧ": "T"}
"""Letters without an ASCII decomposition: Norwegian, and Northern Sami's đ, ŋ, ŧ."""


def _ascii(text: str, aa: str = "aa") -> str:
    """ASCII spelling: ``å`` as ``aa`` (``Aamot``) or, with ``aa="a"``, ``a`` (``Traante``)."""
    for src, dst in (*_LETTERS.items(), ("å", aa), ("Å", aa.capitalize())):
        text = text.replace(src, dst)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
