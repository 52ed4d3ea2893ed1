"""What the fuzz test modules share: hypothesis profiles, counting the examples each test passes, and the report of
cases tried that ends the pytest output (and goes to $GRAPHFLOW_FUZZ_REPORT as JSON, if set).

The `ci` profile is derandomized, so every CI run tries the same cases; GRAPHFLOW_FUZZ_PROFILE=explore runs ten times
as many examples from fresh seeds.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("GRAPHFLOW_FUZZ_PROFILE", "ci")
SCALE = 10 if PROFILE == "explore" else 1
REPORT_PLUGIN = "graphflow-fuzz-report"


def fuzz_settings(max_examples: int) -> settings:
    """The active profile with `max_examples` (times ten when exploring)."""
    return settings(settings.get_profile(PROFILE), max_examples=max_examples * SCALE)


class CaseCounter(Counter):
    """A fuzz module's counts; `@counts.counted` counts the examples a test passes (a draw hypothesis abandons is
    not one)."""

    def counted(self, test: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            test(*args, **kwargs)
            self[f"{test.__name__}: examples"] += 1

        return run


class FuzzReport:
    """Collects the fuzz modules' counts and prints them in pytest's terminal summary."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("-", "graphflow fuzz: cases tried")
        for key, count in sorted(self.counts.items(), key=lambda kv: (kv[0].split(":")[0], kv[0].endswith("examples"))):
            terminalreporter.write_line(f"{key}: {count}")
        total = sum(count for key, count in self.counts.items() if key.endswith(": examples"))
        terminalreporter.write_line(f"hypothesis examples in all fuzz tests: {total}")
        path = os.environ.get("GRAPHFLOW_FUZZ_REPORT")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"profile": PROFILE, "total_examples": total, "counts": self.counts}, f, indent=1)


def report(request: pytest.FixtureRequest, counts: CaseCounter) -> None:
    """Adds a finished module's counts to the report."""
    manager = request.config.pluginmanager
    plugin = manager.get_plugin(REPORT_PLUGIN)
    if plugin is None:
        plugin = FuzzReport()
        manager.register(plugin, REPORT_PLUGIN)
    module = request.module.__name__.rpartition(".")[2]
    for key, count in counts.items():
        plugin.counts[f"{module}: {key}"] = count
