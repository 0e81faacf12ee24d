"""The facts every stage shares, below them all.

========================  =================================================================
module                    what it holds
========================  =================================================================
``schema``                the canonical columns of the four input layers, ``conform``,
                          ``validate``, the working CRS
``plandata``              :class:`~arealkart.model.plandata.PlanData`, what every reader
                          returns, and ``combine`` / ``relabel``
``issues``                the issues report: its rows, actions and helpers
``vocabulary``            categories, zone and plot statuses, the region-total number
``output_layers``         the one table of a build's output layers (names, ids, areas,
                          descriptions, schemas)
``resources``             where the package data and the demo data are
========================  =================================================================

This package imports none of them itself, so the CLI can read ``output_layers`` and
``vocabulary`` without loading pandas.
"""

__all__ = ["issues", "output_layers", "plandata", "resources", "schema", "vocabulary"]
