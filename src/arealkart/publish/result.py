"""What a build computed: :class:`BuildResult`, the one value every writer of a build reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from arealkart.available.rule import AvailableLand
from arealkart.config import RegionConfig
from arealkart.model.plandata import PlanData

__all__ = ["BuildResult"]


@dataclass(frozen=True)
class BuildResult:
    """What a build computed (see :func:`arealkart.build`), and the files it wrote.

    ``balance`` is the accounting: features read, written and reported per input file and
    layer (all ``unaccounted`` are 0, or the build would have failed).  ``files`` is empty
    until :func:`arealkart.publish.outputs.write_outputs` has written them.
    """

    config: RegionConfig
    data: PlanData
    result: AvailableLand
    summary: pd.DataFrame
    issues: pd.DataFrame
    balance: pd.DataFrame
    files: tuple[Path, ...] = ()
