"""`gf.app.run` (TF-1 `tf.app.run`): calls the script's `main(argv)` and exits with what it returns."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["run"]


def run(main: Callable[[list[str]], Any] | None = None, argv: list[str] | None = None) -> None:
    """Calls `main(argv)`, then `sys.exit` with its result, as TF-1's `app.run` does without flags.

    Args:
        main: the function to call; the `main` of the script being run by default.
        argv: the arguments to pass; `sys.argv` by default.

    Returns:
        Never: it exits the program.
    """
    if main is None:
        main = sys.modules["__main__"].main
    sys.exit(main(list(sys.argv if argv is None else argv)))


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
