"""Round planning as jobs for the routing service's worker processes.

Everything CPU-bound happens here, in a spawned process, never in a nameko worker (DESIGN.md).
One module per concept: `placement` (points on the road graph, named when they cannot be),
`common` (points, matrices, clock), `drawing` (a vehicle's round and its road), `meal_job`,
`waste_job`, and `replan_merge` (one rule for both re-plans).
"""
