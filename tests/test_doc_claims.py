"""The figures and lists the docs state, checked against the code and tests they describe."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from graphflow.plan import passes

DOCS = Path(__file__).resolve().parent.parent / "docs"
TESTS = Path(__file__).resolve().parent


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_fuzz_example_counts_in_reliability_md_are_the_tests_settings():
    text = (DOCS / "reliability.md").read_text()
    section = text.split("## Correctness under random programs")[1].split("\n## ")[0]
    total = _number(re.search(r"tries \*\*([\d,]+) examples\*\*", section).group(1))
    rows = [_number(m) for m in re.findall(r"^\|.*\| ([\d,]+) \|$", section, re.MULTILINE)]
    settings = [
        int(n)
        for path in sorted(TESTS.glob("test_fuzz_*.py"))
        for n in re.findall(r"max_examples=(\d+)", path.read_text())
    ]
    assert sum(rows) == total == sum(settings), (rows, total, settings)


def test_architecture_md_lists_the_passes_in_the_order_optimize_runs_them():
    ran = re.findall(r"= (\w+)\((?:steps|plan)", inspect.getsource(passes.optimize))
    text = (DOCS / "architecture.md").read_text()
    listed = re.findall(r"^\d\. `(\w+)`", text.split("**The passes**")[1], re.MULTILINE)
    in_module = re.findall(r"^\d\. `(\w+)`", passes.__doc__, re.MULTILINE)
    assert ran == listed[: len(ran)] == in_module
    assert all(callable(getattr(passes, name)) for name in ran)
