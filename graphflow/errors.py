"""Errors a run can raise, named as in TF-1 (`gf.errors.InvalidArgumentError`).

Each one also derives from the matching Python built-in, so `except ValueError` catches a bad feed as expected.
"""

from __future__ import annotations

import linecache
from typing import Any

__all__ = ["FailedPreconditionError", "InvalidArgumentError", "NumericWarning", "OpError", "defined_at"]


class OpError(Exception):
    """An error tied to one node of the graph (`.node`; `.op` too, as in TF-1).

    The message ends with the line of the user's code that built the node, as TF-1's "defined at" does.
    """

    def __init__(self, node: Any, message: str) -> None:
        where = defined_at(node)
        if where:  # after the first line, which says what went wrong
            first, newline, rest = message.partition("\n")
            message = f"{first}\n  '{node.op_name}' was defined at {where}{newline}{rest}"
        super().__init__(message)
        self.node = node
        self.op = node
        self.message = message


def defined_at(node: Any) -> str:
    """Where the user's code built a node: the first frame outside graphflow when it was made (`node.site`).

    Args:
        node: a graph node.

    Returns:
        `"file:line in function: source line"`, or "" when the node was built by graphflow itself.

    Examples:
        >>> y = gf.constant(1.0) + 1.0
        >>> gf.errors.defined_at(y).startswith("<doctest")
        True
    """
    site = getattr(node, "site", None)
    if site is None:
        return ""
    file, line, function = site
    source = linecache.getline(file, line).strip()
    return f"{file}:{line} in {function}" + (f": {source}" if source else "")


class NumericWarning(RuntimeWarning):
    """numpy met an overflow, a division by zero or an invalid value (NaN) inside an op of a run; the message names
    the op and where it was built."""


class InvalidArgumentError(OpError, ValueError):
    """A value is wrong for a node: a missing or ill-shaped feed, or an op that failed on its inputs."""


class FailedPreconditionError(OpError, RuntimeError):
    """The session cannot run the request in its current state (for example, it was closed)."""


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
