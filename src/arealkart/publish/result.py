"""What a build computed: :class:`BuildResult`, the one value every writer of a build reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from arealkart.available.rule import AvailableLand
from arealkart.config import RegionConfig
from arealkart.model.output_layers import LAYER_DESCRIPTIONS, OUTPUT_LAYERS
from arealkart.model.plandata import PlanData

if TYPE_CHECKING:
    from arealkart.publish.postgis import PostgisWritten

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
    postgis: PostgisWritten | None = None
    """What the build wrote into PostGIS (``to_postgis``), if it wrote there."""
    cache: Any = None
    """What the build took from its cache (a
    :class:`~arealkart.pipeline.cache.CacheReport`), if it used one."""

    def layers(self) -> dict[str, pd.DataFrame]:
        """The build's output layers and tables (the GeoPackage's), in their order."""
        frames = {
            "soner": self.result.zones,
            "ledige_arealer": self.result.free,
            "tomter": self.result.plots,
            "hensynssoner": self.data.constraints,
            "bygninger": self.data.buildings,
            "sammendrag": self.summary,
            "avvik": self.issues,
            "regnskap": self.balance,
        }
        return {name: frames[name] for name in OUTPUT_LAYERS}

    def layer_descriptions(self) -> dict[str, str]:
        """Each layer's description, with the region's attribution (data owner) after it."""
        note = f" ({self.config.attribution})" if self.config.attribution else ""
        return {name: text + note for name, text in LAYER_DESCRIPTIONS.items()}
