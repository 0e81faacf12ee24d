"""The official SOSI plan code lists, loaded from package data.

Each list is a CSV file in ``arealkart/data/codes`` with at least ``code`` and ``name``
columns and a ``source`` column recording where the facts come from.  Land-use codes are
only meaningful together with the code list they belong to (see
:data:`arealkart.model.schema.OBJTYPES`): 140 is *industri/lager* in a pbl 1985 regulation plan
but *fritidsbebyggelse* in a pbl 1985 master plan.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from arealkart.errors import CodeListError
from arealkart.model.resources import package_data

LISTS = {
    "RP": "rp_arealformal_pbl2008.csv",
    "KP": "kp_arealformal_pbl2008.csv",
    "RB": "reguleringsformal_pbl1985.csv",
    "KP1985": "kp_arealbruk_pbl1985.csv",
    "hensyn": "hensynssoner_pbl2008.csv",
    "planstatus": "planstatus.csv",
    "plantype": "plantype.csv",
    "arealst": "arealbruksstatus_kp.csv",
    "eierform": "eierform.csv",
    "utnyttingstype": "utnyttingstype.csv",
    "lovreferanse": "lovreferanse.csv",
    "vertikalniva": "vertikalniva.csv",
}
"""Code list name → file in ``arealkart/data/codes``."""

ZONE_LISTS = ("RP", "KP", "RB", "KP1985")


@cache
def code_list(name: str) -> pd.DataFrame:
    """Return code list ``name`` as a DataFrame indexed by the integer code.

    Parameters
    ----------
    name
        A key of :data:`LISTS`, e.g. ``"RP"`` or ``"hensyn"``.

    Raises
    ------
    CodeListError
        If ``name`` is not a known list.
    """
    try:
        filename = LISTS[name]
    except KeyError:
        raise CodeListError(
            f"unknown code list {name!r}; expected one of {sorted(LISTS)}"
        ) from None
    table = pd.read_csv(package_data(f"codes/{filename}"), dtype={"code": "int64"})
    return table.set_index("code")


def code_names(objtype: pd.Series, codes: pd.Series) -> pd.Series:
    """Look up the official name of each (code list, code) pair; unknown pairs give ``<NA>``."""
    names = pd.Series(pd.NA, index=codes.index, dtype="string")
    for name in objtype.dropna().unique():
        mask = objtype == name
        table = code_list(str(name))["name"]
        names[mask] = codes[mask].map(table).astype("string")
    return names


def is_known(objtype: pd.Series, codes: pd.Series) -> pd.Series:
    """Boolean Series: whether each (code list, code) pair is in the official list."""
    known = pd.Series(False, index=codes.index)
    for name in objtype.dropna().unique():
        mask = objtype == name
        known[mask] = codes[mask].isin(code_list(str(name)).index)
    return known
