"""Compiled plans: what a `Session` makes of each distinct request, once, and replays on every run.

`lower.py` turns the part of the graph a request needs into steps over numbered slots (`steps.py` defines them);
`passes.py` fuses ops, frees values after their last reader and decides whose array each result is written into;
`execute.py` runs the steps. `print(plan)` shows the result of all three.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.nodes import Node, Operation
from graphflow.plan import execute
from graphflow.plan.lower import lower
from graphflow.plan.passes import optimize
from graphflow.plan.steps import Plan, Pool, Step


def compile_plan(
    fetches: Sequence[Node],
    feed_keys: Sequence[Any],
    feed_nodes: Sequence[Node],
    rng_for: Callable[[Operation], np.random.Generator],
    debug: bool = False,
) -> Plan:
    """The plan that computes `fetches` from values fed for `feed_nodes` (keyed `feed_keys` in the feed_dict).

    Args:
        rng_for: the generator each random op draws from (the session owns them).
        debug: keep each op its own step and every input intact, for `Session(debug_nans=True)`.
    """
    plan = optimize(lower(fetches, feed_keys, feed_nodes, rng_for), debug=debug)
    plan.program = execute.program(plan)
    return plan


__all__ = ["Plan", "Pool", "Step", "compile_plan"]
