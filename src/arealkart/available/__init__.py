"""Available land: what is still free to build on, and why.

``rule`` (:func:`available_land`, the split of every zone into built, blocked, unusable
and free land), ``parameters`` (every threshold), ``plans`` (plans in force, overlapping
plans), ``plots`` (plot statuses) and ``engine`` (the array geometry under them all).
"""

from arealkart.available.parameters import Parameters
from arealkart.available.rule import AvailableLand, available_land

__all__ = ["AvailableLand", "Parameters", "available_land"]
