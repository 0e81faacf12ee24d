"""Ask: where can I build?  Queries over a result or a finished build.

``search`` (:func:`query`), ``filters`` (a query's arguments checked and normalised before
any data is read), ``index`` (a layer prepared for fast queries, and reading a build's
layers) and ``places`` (the gazetteer, points, boxes and areas).
"""

from arealkart.ask.filters import Filters, make_filters
from arealkart.ask.index import LayerIndex, read_layer
from arealkart.ask.search import query

__all__ = ["Filters", "LayerIndex", "make_filters", "query", "read_layer"]
