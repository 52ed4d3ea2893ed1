"""The default graph and the default session are each the top of a per-thread stack, as in TF-1.

`with graph.as_default():` and `with sess.as_default():` push onto these stacks and pop at the end of the block;
`graph.as_default()` on its own line pushes until a block that encloses it ends. Each thread has its own stacks, so a
thread that builds nodes in a graph other than the global default enters that graph itself. This module is the one
place the stacks live: `graph.py` and `session.py` both use it, and it imports nothing else of graphflow.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class DefaultStack(Generic[T]):
    """A per-thread stack whose top is the current default."""

    def __init__(self) -> None:
        self._local = threading.local()

    def items(self) -> list[T]:
        """This thread's stack, innermost last."""
        stack = getattr(self._local, "items", None)
        if stack is None:
            stack = self._local.items = []
        return stack

    def top(self) -> T | None:
        stack = self.items()
        return stack[-1] if stack else None

    def push(self, item: T) -> None:
        self.items().append(item)

    def leave(self, item: T) -> None:
        """Ends a block entered for `item`: removes its innermost entry and every entry pushed after it (plain
        `as_default()` calls made inside the block)."""
        stack = self.items()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is item:
                del stack[i:]
                return

    def discard(self, item: T) -> None:
        """Removes the innermost entry of `item`, if any, leaving the others (a closed interactive session)."""
        stack = self.items()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is item:
                del stack[i]
                return


class AsDefault(Generic[T]):
    """What `as_default()` returns: `item` is pushed when this is made; a `with` block pops it when it ends."""

    def __init__(self, stack: DefaultStack[T], item: T) -> None:
        self.stack = stack
        self.item = item
        stack.push(item)

    def __enter__(self) -> T:
        return self.item

    def __exit__(self, *exc: object) -> None:
        self.stack.leave(self.item)


GRAPHS: DefaultStack = DefaultStack()
SESSIONS: DefaultStack = DefaultStack()
