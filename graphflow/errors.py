"""Errors a run can raise, named as in TF-1 (`gf.errors.InvalidArgumentError`).

Each one also derives from the matching Python built-in, so `except ValueError` catches a bad feed as expected.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FailedPreconditionError", "InvalidArgumentError", "OpError"]


class OpError(Exception):
    """An error tied to one node of the graph (`.node`; `.op` too, as in TF-1)."""

    def __init__(self, node: Any, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.op = node
        self.message = message


class InvalidArgumentError(OpError, ValueError):
    """A value is wrong for a node: a missing or ill-shaped feed, or an op that failed on its inputs."""


class FailedPreconditionError(OpError, RuntimeError):
    """The session cannot run the request in its current state (for example, it was closed)."""


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
