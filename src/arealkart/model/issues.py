"""The issues report: one row per input feature with a problem.

A feature gets a row when it was repaired, reclassified, excluded or could not be read.
Data problems in single features are not raised: they are collected here so that the rest
of a file still loads, and written to ``issues.csv`` and the GeoPackage.  Together with the
outputs, the report accounts for every input feature.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache

import pandas as pd

COLUMNS = ("file", "feature", "layer", "rule", "action", "detail")
"""Columns of the issues report."""

ACTIONS = ("repaired", "reclassified", "excluded", "unreadable", "flagged")
"""What happened to the feature: ``excluded`` and ``unreadable`` features are not in the
outputs; ``repaired``, ``reclassified`` and ``flagged`` ones are."""

DROPPING_ACTIONS = frozenset({"excluded", "unreadable"})


@dataclass(frozen=True)
class Issue:
    """One problem with one input feature.

    Parameters
    ----------
    file
        Input file name.
    feature
        Feature id within the file (e.g. ``"FLATE 140"`` or ``"fid 12"``).
    layer
        Layer kind (``zones``, ``plots``, ``buildings``, ``constraints``) or SOSI object type.
    rule
        Short stable name of the rule that fired, e.g. ``ukjent_kode``.
    action
        One of :data:`ACTIONS`.
    detail
        Human-readable explanation.
    """

    file: str
    feature: str
    layer: str
    rule: str
    action: str
    detail: str

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {self.action!r}")


@dataclass
class IssueLog:
    """An append-only collection of :class:`Issue` records."""

    items: list[Issue] = field(default_factory=list)

    def add(self, file: str, feature: str, layer: str, rule: str, action: str, detail: str) -> None:
        """Record one issue."""
        self.items.append(Issue(str(file), str(feature), layer, rule, action, detail))

    def __len__(self) -> int:
        return len(self.items)

    def frame(self) -> pd.DataFrame:
        """Return the issues as a DataFrame with :data:`COLUMNS`."""
        return issues_frame(self.items)


def source_file(source: object) -> str:
    """The input file(s) a ``source`` names: ``"a.csv#3|b.geojson#7"`` → ``"a.csv|b.geojson"``.

    ``source`` is ``file#feature``; a feature made from several files joins them with
    ``|``.  Issues rows use this as their ``file``.
    """
    return "|".join(part.split("#", 1)[0] for part in str(source).split("|"))


def source_feature(source: object) -> str:
    """The feature part of a ``source``, unique within its file: ``"a.gpkg#12"`` → ``"12"``."""
    return "|".join(part.split("#", 1)[-1] for part in str(source).split("|"))


def issues_frame(issues: Iterable[Issue] = ()) -> pd.DataFrame:
    """Build an issues DataFrame (string columns, :data:`COLUMNS` order) from issues."""
    rows = [asdict(i) for i in issues]
    if not rows:
        return _no_issues().copy()
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype("string")


@cache
def _no_issues() -> pd.DataFrame:
    return pd.DataFrame(columns=list(COLUMNS)).astype("string")


def concat_issues(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate issues frames, keeping the column order and dtypes."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return issues_frame()
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)].astype("string")
