"""Looking up the plan a session compiled for a request, for tests that check what the plan does."""

from __future__ import annotations

from typing import Any


def plan_for(sess: Any, fetches: list[Any]) -> Any:
    """The one plan `sess` compiled for exactly these `fetches` (whatever the feeds and the debugging mode)."""
    (plan,) = [plan for key, plan in sess._plans.items() if key[0] == tuple(fetches)]
    return plan
