"""The report's charts: horizontal bar charts drawn with matplotlib, as PNG images.

Nothing here touches pyplot or matplotlib's global settings: each chart is its own
:class:`~matplotlib.figure.Figure`, drawn by the Agg renderer under a local
``rc_context``.  The PNGs carry no software or date stamp, so the same figures give the
same bytes.  A chart is never the only carrier of its figures: the page shows the same
numbers in a table beside it.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from arealkart.registry.style import format_number

WIDTH = 4.6
"""Width of a chart, in inches."""
DPI = 130
"""Pixels per inch: a chart is 598 px wide, shown at up to that width (less on a phone)."""


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the PNG, base64-encoded, and its size in pixels."""

    png_base64: str
    size: tuple[int, int]


@dataclass(frozen=True)
class Series:
    """One stack of a stacked bar chart: its legend text, a value per bar, its colour."""

    label: str
    values: Sequence[float]
    colour: str


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    axis_label: str,
    lang: str,
    decimals: int,
) -> Chart | None:
    """Horizontal bars, one per label (top to bottom), each split into ``series``.

    Each bar ends with its total, written as the page writes numbers.  ``None`` when
    every value is 0: there is nothing to draw.
    """
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    if not any(totals):
        return None
    with _style():
        fig, ax = _axes(len(labels))
        left = [0.0] * len(labels)
        for s in series:
            ax.barh(range(len(labels)), s.values, left=left, color=s.colour, height=0.65)
            left = [a + b for a, b in zip(left, s.values, strict=True)]
        _finish(ax, labels, totals, axis_label, lang, decimals)
        if len(series) > 1:
            handles = [Patch(facecolor=s.colour, label=s.label) for s in series]
            fig.legend(
                handles=handles,
                loc="outside upper center",
                ncols=min(len(series), 2),
                frameon=False,
            )
        return _png(fig)


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str],
    *,
    axis_label: str,
    lang: str,
    decimals: int,
) -> Chart | None:
    """Horizontal bars, one per label (top to bottom), each in its own colour.

    ``None`` when every value is 0.
    """
    if not any(values):
        return None
    with _style():
        fig, ax = _axes(len(labels))
        ax.barh(range(len(labels)), values, color=list(colours), height=0.65)
        _finish(ax, labels, list(values), axis_label, lang, decimals)
        return _png(fig)


def _style() -> AbstractContextManager[None]:
    """The charts' look, for the time they are drawn (matplotlib's defaults stay as are)."""
    return mpl.rc_context(
        {
            "font.family": "DejaVu Sans",  # matplotlib's own font: every letter of æøå and –
            "font.size": 10,
            "axes.edgecolor": "#555555",
            "axes.labelcolor": "#222222",
            "xtick.color": "#333333",
            "ytick.color": "#222222",
        }
    )


def _axes(rows: int) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, 1.3 + 0.42 * rows), dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _finish(
    ax: Axes,
    labels: Sequence[str],
    totals: Sequence[float],
    axis_label: str,
    lang: str,
    decimals: int,
) -> None:
    """Labels, the totals at the bars' ends, a light grid, numbers in the page's way."""
    ax.set_yticks(range(len(labels)), labels=list(labels))
    ax.invert_yaxis()  # the first label on top, as in the table
    top = max(totals)
    ax.set_xlim(0, top * 1.22)
    for y, total in enumerate(totals):
        ax.text(
            total + top * 0.01,
            y,
            format_number(total, lang, decimals),
            va="center",
            ha="left",
            fontsize=9,
            color="#222222",
        )
    # whole ticks for counts; for small areas as many decimals as the tick step needs
    ax.xaxis.set_major_locator(MaxNLocator(integer=decimals == 0))
    ticks = ax.get_xticks()
    step = float(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    places = 0 if step >= 1 else max(1, -math.floor(math.log10(step)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, lang, places)))
    ax.set_xlabel(axis_label)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _png(fig: Figure) -> Chart:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    width, height = fig.get_size_inches() * fig.dpi
    return Chart(base64.b64encode(buffer.getvalue()).decode("ascii"), (round(width), round(height)))
