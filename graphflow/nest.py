"""Nested structures of lists, tuples (named tuples too) and dicts, as `Session.run` fetches them and `gf.cond` and
`gf.while_loop` return them: their leaves in order, and a function that rebuilds the structure from new leaves."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def flatten(
    structure: Any, leaf_types: type | tuple[type, ...] | None = None, what: str = "Leaf", expected: str = ""
) -> tuple[list[Any], Callable[[Sequence[Any]], Any]]:
    """The leaves of `structure`, and `rebuild(new_leaves)`, which puts new leaves, in the same order, into a
    structure of the same shape.

    Without `leaf_types`, anything that is not a list, tuple or dict is a leaf. With them, a leaf must be one of
    them (tested first, so a run's fetches need no slower test for a mapping), and anything else that is not a
    container raises a TypeError that begins with `what` and says it must be `expected`. `Session.run` calls this
    on every run: the rebuilding function is made once, as closures that index the new leaves directly.
    """
    leaves: list[Any] = []

    def walk(item: Any) -> Callable[[Sequence[Any]], Any]:
        if leaf_types is None or not isinstance(item, leaf_types):
            if isinstance(item, list | tuple):
                parts = [walk(v) for v in item]
                if hasattr(item, "_fields"):  # a named tuple
                    return lambda values: type(item)(*(b(values) for b in parts))
                return lambda values: type(item)(b(values) for b in parts)
            if isinstance(item, Mapping):
                builders = {k: walk(v) for k, v in item.items()}
                return lambda values: type(item)({k: b(values) for k, b in builders.items()})  # type: ignore[call-arg]
            if leaf_types is not None:
                raise TypeError(f"{what} {item!r} has invalid type {type(item).__name__}; it must be {expected}")
        index = len(leaves)
        leaves.append(item)
        return lambda values: values[index]

    return leaves, walk(structure)
