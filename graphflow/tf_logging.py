"""`gf.logging` (TF-1 `tf.logging`): the verbosity levels and log calls TF-1 scripts make, on Python's `logging`.

Messages go to the "graphflow" logger, so `gf.logging.set_verbosity(gf.logging.ERROR)` also quiets graphflow's own
messages (a checkpoint saved, a damaged file skipped).
"""

from __future__ import annotations

import logging as _logging
from typing import Any

__all__ = [
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "debug",
    "error",
    "fatal",
    "get_verbosity",
    "info",
    "log",
    "set_verbosity",
    "warn",
    "warning",
]

DEBUG, INFO, WARN, ERROR, FATAL = _logging.DEBUG, _logging.INFO, _logging.WARNING, _logging.ERROR, _logging.CRITICAL
WARNING = WARN

_logger = _logging.getLogger("graphflow")


def set_verbosity(v: int) -> None:
    """Shows messages of level `v` and above (TF-1 `logging.set_verbosity`), on stderr if nothing else handles them.

    Args:
        v: a level, e.g. `gf.logging.INFO` or `gf.logging.ERROR`.

    Returns:
        None.

    Examples:
        >>> gf.logging.set_verbosity(gf.logging.ERROR)
    """
    _logger.setLevel(v)
    if not _logger.handlers and not _logging.getLogger().handlers:
        _logger.addHandler(_logging.StreamHandler())


def get_verbosity() -> int:
    """The level below which messages are hidden (TF-1 `logging.get_verbosity`).

    Returns:
        An int level, e.g. `gf.logging.WARN`.
    """
    return _logger.getEffectiveLevel()


def log(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    """Logs `msg % args` at `level` to the "graphflow" logger (TF-1 `logging.log`).

    Args:
        level: e.g. `gf.logging.INFO`.
        msg: the message, with %-placeholders for `args`.
        *args: the values for the placeholders.
        **kwargs: passed to Python's `logging` (`exc_info`, `stack_info`, ...).

    Returns:
        None.
    """
    _logger.log(level, msg, *args, **kwargs)


def debug(msg: Any, *args: Any, **kwargs: Any) -> None:
    """`log(DEBUG, msg, *args, **kwargs)` (TF-1 `logging.debug`): details for debugging.

    Args:
        msg: the message, with %-placeholders for `args`.
        *args: the values for the placeholders.
        **kwargs: passed to Python's `logging`.

    Returns:
        None.
    """
    _logger.debug(msg, *args, **kwargs)


def info(msg: Any, *args: Any, **kwargs: Any) -> None:
    """`log(INFO, msg, *args, **kwargs)` (TF-1 `logging.info`): progress, such as a step's loss.

    Args:
        msg: the message, with %-placeholders for `args`.
        *args: the values for the placeholders.
        **kwargs: passed to Python's `logging`.

    Returns:
        None.
    """
    _logger.info(msg, *args, **kwargs)


def warning(msg: Any, *args: Any, **kwargs: Any) -> None:
    """`log(WARN, msg, *args, **kwargs)` (TF-1 `logging.warning`): something that may be wrong.

    Args:
        msg: the message, with %-placeholders for `args`.
        *args: the values for the placeholders.
        **kwargs: passed to Python's `logging`.

    Returns:
        None.
    """
    _logger.warning(msg, *args, **kwargs)


def error(msg: Any, *args: Any, **kwargs: Any) -> None:
    """`log(ERROR, msg, *args, **kwargs)` (TF-1 `logging.error`): something failed.

    Args:
        msg: the message, with %-placeholders for `args`.
        *args: the values for the placeholders.
        **kwargs: passed to Python's `logging`.

    Returns:
        None.
    """
    _logger.error(msg, *args, **kwargs)


def fatal(msg: Any, *args: Any, **kwargs: Any) -> None:
    """`log(FATAL, msg, *args, **kwargs)` (TF-1 `logging.fatal`); unlike absl's, it does not end the program.

    Args:
        msg: the message, with %-placeholders for `args`.
        *args: the values for the placeholders.
        **kwargs: passed to Python's `logging`.

    Returns:
        None.
    """
    _logger.critical(msg, *args, **kwargs)


warn = warning


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
