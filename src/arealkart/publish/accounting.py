"""Nothing lost: every input feature is in the output or in the issues report.

For each input file and layer, :func:`balance` counts the features read (the readers'
``counts``), the rows of that file in the outputs, and the rows of that file the issues
report drops (``excluded`` or ``unreadable``).  ``read == written + reported`` must hold for
every file and layer; :func:`check_balance` raises :class:`AccountingError` otherwise.

Objects that belong to no layer (the curves a SOSI surface is built from, text labels,
plan boundaries) are listed as ``other:<object type>``: they are read, used, and not
expected in the outputs.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from arealkart.errors import AccountingError
from arealkart.model.issues import DROPPING_ACTIONS, source_file

COLUMNS = ["file", "layer", "crs", "read", "written", "reported", "unaccounted"]
"""``crs`` is the input's own CRS: everything is reprojected to EPSG:25832, and an input in
another CRS is noted here."""


def source_files(sources: pd.Series) -> pd.Series:
    """The input file(s) of each output row, from ``source`` (``"a.csv#3|b.geojson#7"``).

    A row built from several files (a plot register row joined to a polygon) names each;
    the result has one entry per (row, file).
    """
    return sources.map(source_file).str.split("|").explode()


def balance(
    counts: pd.DataFrame,
    outputs: Mapping[str, pd.DataFrame],
    issues: pd.DataFrame,
) -> pd.DataFrame:
    """Features read, written and reported, per input file and layer.

    A feature made from several files (a register row joined to a polygon) counts for each
    of them, in the outputs (``source`` ``"a.csv#3|b.geojson#7"``) and in the issues report
    (``file`` ``"a.csv|b.geojson"``).

    Parameters
    ----------
    counts
        The readers' counts: ``file``, ``layer``, ``features``.
    outputs
        Output layers by kind (``zones``, ``constraints``, ``plots``, ``buildings``), each
        with a ``source`` column.
    issues
        The issues report.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, one row per (file, layer) read; ``unaccounted`` is
        ``read − written − reported`` (0 everywhere when nothing was lost).
    """
    counts = counts if "crs" in counts.columns else counts.assign(crs=None)
    read = counts.groupby(["file", "layer"], as_index=False, dropna=False).agg(
        read=("features", "sum"), crs=("crs", "first")
    )
    written = pd.concat(
        [_written(frame, layer) for layer, frame in outputs.items() if len(frame)]
        or [pd.DataFrame(columns=["file", "layer", "written"])],
        ignore_index=True,
    )
    dropped = issues[issues["action"].isin(DROPPING_ACTIONS)]
    dropped = dropped.assign(file=dropped["file"].astype("string").str.split("|")).explode("file")
    reported = (
        dropped.drop_duplicates(["file", "layer", "feature"])
        .groupby(["file", "layer"], as_index=False)
        .size()
        .rename(columns={"size": "reported"})
    )
    table = read.merge(written, on=["file", "layer"], how="outer").merge(
        reported, on=["file", "layer"], how="outer"
    )
    for column in ("read", "written", "reported"):
        table[column] = table[column].fillna(0).astype(int)
    other = table["layer"].astype(str).str.startswith("other:")
    table.loc[other, "written"] = table.loc[other, "read"]
    table["unaccounted"] = table["read"] - table["written"] - table["reported"]
    return table[COLUMNS].sort_values(["file", "layer"], ignore_index=True)


def _written(frame: pd.DataFrame, layer: str) -> pd.DataFrame:
    files = source_files(frame["source"])
    return (
        files.value_counts()
        .rename_axis("file")
        .reset_index(name="written")
        .assign(layer=layer)[["file", "layer", "written"]]
    )


def check_balance(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` if every feature is accounted for; raise otherwise.

    Raises
    ------
    AccountingError
        Naming every file and layer whose features do not add up.
    """
    bad = table[table["unaccounted"] != 0]
    if len(bad):
        lines = "; ".join(
            f"{r.file} {r.layer}: read {r.read}, written {r.written}, reported {r.reported}"
            for r in bad.itertuples()
        )
        raise AccountingError(f"input features unaccounted for: {lines}")
    return table
