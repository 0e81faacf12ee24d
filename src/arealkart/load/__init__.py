"""Load: read any supported file into the canonical layers, and check what was read.

:func:`read_plan` picks the reader by the file's content (``read``): SOSI (``sosi/``),
plan GML (``gml/``), GIS layers and CSV plot registers (``vector``); plan objects of
SOSI and GML become rows in ``planobjects``; ``geometry`` repairs and reprojects;
``quality`` reports duplicates and features outside their municipality; ``describe``
says what a file holds before building.
"""

from arealkart.load.describe import FileDescription, describe
from arealkart.load.gml import read_gml
from arealkart.load.quality import check_quality
from arealkart.load.read import read_plan, sniff_format
from arealkart.load.sosi import read_sosi
from arealkart.load.vector import read_csv_plots, read_vector

__all__ = [
    "FileDescription",
    "check_quality",
    "describe",
    "read_csv_plots",
    "read_gml",
    "read_plan",
    "read_sosi",
    "read_vector",
    "sniff_format",
]
