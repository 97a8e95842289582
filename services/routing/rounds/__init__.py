"""Rounds: model building and solving for meal and waste rounds, pure (no I/O, no nameko).

Everything takes plain data and numpy matrices (integer seconds and metres, index 0 = depot) and
returns frozen dataclasses, so it can be submitted as is to a spawn ProcessPoolExecutor. OR-Tools
holds the GIL for a whole search: never call these functions inside a nameko worker.

Public API:
- generic: `Problem`, `Stop`, `Vehicle`, `Solution`, `solve`, `check`
- VRPLIB: `read_instance`, `read_best_known`, `write_solution`, `Instance`, `InstanceError`
- meals: `Delivery`, `MealVehicle`, `MealSettings`, `plan_meal_round`, `MealPlan`
- waste: `Container`, `Reading`, `Truck`, `WasteSettings`, `forecast_fill`, `plan_waste_round`,
  `WastePlan`
- re-planning: `VehicleProgress`, `replan`, `replan_meal_round`, `replan_waste_round`
"""

from .checker import Check, check
from .meals import (
    Delivery,
    MealPlan,
    MealSettings,
    MealVehicle,
    PlannedStop,
    Unserved,
    VehicleRound,
    plan_meal_round,
)
from .ortools_engine import PLAIN, TUNED, SearchConfig
from .problem import Problem, Solution, Stop, Vehicle
from .replan import Replan, VehicleProgress, replan, replan_meal_round, replan_waste_round
from .solver import solve
from .vrplib_io import Instance, InstanceError, read_best_known, read_instance, write_solution
from .waste import (
    Container,
    Forecast,
    Reading,
    Trip,
    Truck,
    TruckRound,
    WastePlan,
    WasteSettings,
    forecast_fill,
    plan_waste_round,
)

__all__ = [
    "PLAIN",
    "TUNED",
    "Check",
    "Container",
    "Delivery",
    "Forecast",
    "Instance",
    "InstanceError",
    "MealPlan",
    "MealSettings",
    "MealVehicle",
    "PlannedStop",
    "Problem",
    "Reading",
    "Replan",
    "SearchConfig",
    "Solution",
    "Stop",
    "Trip",
    "Truck",
    "TruckRound",
    "Unserved",
    "Vehicle",
    "VehicleProgress",
    "VehicleRound",
    "WastePlan",
    "WasteSettings",
    "check",
    "forecast_fill",
    "plan_meal_round",
    "plan_waste_round",
    "read_best_known",
    "read_instance",
    "replan",
    "replan_meal_round",
    "replan_waste_round",
    "solve",
    "write_solution",
]
