"""`gf.app` (TF-1 `tf.app`): `run`, which calls the script's `main(argv)` and exits with what it returns, and
`flags`, TF-1's command-line flags (`flags.DEFINE_integer('max_steps', 2000, 'help')`, then `flags.FLAGS.max_steps`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["flags", "run"]


class _FlagValues:
    """TF-1's `FLAGS`: one attribute per defined flag, parsed from `sys.argv` when first read (or by `run`)."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parser", argparse.ArgumentParser(add_help=False))
        object.__setattr__(self, "_values", None)

    def _define(self, name: str, default: Any, help: str | None, kind: Callable[[str], Any]) -> None:
        if self._values is not None:
            raise ValueError(f"flag '{name}' is defined after the flags were parsed; define every flag first")
        self._parser.add_argument(f"--{name}", dest=name, default=default, type=kind, help=help)

    def _parse(self, argv: list[str]) -> list[str]:
        """Parses the defined flags out of `argv` (its first entry is the program); returns the rest."""
        values, rest = self._parser.parse_known_args(argv[1:])
        object.__setattr__(self, "_values", values)
        return [argv[0], *rest] if argv else rest

    def __getattr__(self, name: str) -> Any:
        if self._values is None:
            self._parse(sys.argv)
        try:
            return getattr(self._values, name)
        except AttributeError:
            message = f"no flag '{name}' is defined; define it with flags.DEFINE_...('{name}', ...)"
            raise AttributeError(message) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if self._values is None:
            self._parse(sys.argv)
        setattr(self._values, name, value)


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "t", "yes", "y"):
        return True
    if text.lower() in ("0", "false", "f", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


class _Flags:
    """TF-1's `tf.app.flags` module: `FLAGS` and the `DEFINE_*` functions."""

    def __init__(self) -> None:
        self.FLAGS = _FlagValues()

    def DEFINE_string(self, name: str, default: str | None, help: str | None = None) -> None:
        """Defines the flag `--name` holding a string."""
        self.FLAGS._define(name, default, help, str)

    def DEFINE_integer(self, name: str, default: int | None, help: str | None = None) -> None:
        """Defines the flag `--name` holding an int."""
        self.FLAGS._define(name, default, help, int)

    def DEFINE_float(self, name: str, default: float | None, help: str | None = None) -> None:
        """Defines the flag `--name` holding a float."""
        self.FLAGS._define(name, default, help, float)

    def DEFINE_boolean(self, name: str, default: bool | None, help: str | None = None) -> None:
        """Defines the flag `--name` holding a bool (`--name=false`, `--name true`)."""
        self.FLAGS._define(name, default, help, _bool)

    DEFINE_bool = DEFINE_boolean


flags = _Flags()


def run(main: Callable[[list[str]], Any] | None = None, argv: list[str] | None = None) -> None:
    """Parses the flags, calls `main` with the arguments left, then `sys.exit`s with its result (TF-1 `app.run`).

    Args:
        main: the function to call; the `main` of the script being run by default.
        argv: the arguments, the program's name first; `sys.argv` by default.

    Returns:
        Never: it exits the program.
    """
    if main is None:
        main = sys.modules["__main__"].main
    rest = flags.FLAGS._parse(list(sys.argv if argv is None else argv))
    sys.exit(main(rest))


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
