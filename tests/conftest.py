"""Shared test set-up: fuzz modules (those defining COUNTS) report how many cases they tried."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _fuzz_case_report(request: pytest.FixtureRequest):
    yield
    counts = getattr(request.module, "COUNTS", None)
    if counts is not None:
        import fuzzing

        fuzzing.report(request, counts)
