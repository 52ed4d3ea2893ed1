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


def set_verbosity(level: int) -> None:
    """Shows messages of `level` and above; shows them on stderr if nothing else handles them yet."""
    _logger.setLevel(level)
    if not _logger.handlers and not _logging.getLogger().handlers:
        _logger.addHandler(_logging.StreamHandler())


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def log(level: int, msg: Any, *args: Any) -> None:
    _logger.log(level, msg, *args)


def debug(msg: Any, *args: Any) -> None:
    _logger.debug(msg, *args)


def info(msg: Any, *args: Any) -> None:
    _logger.info(msg, *args)


def warning(msg: Any, *args: Any) -> None:
    _logger.warning(msg, *args)


def error(msg: Any, *args: Any) -> None:
    _logger.error(msg, *args)


def fatal(msg: Any, *args: Any) -> None:
    _logger.critical(msg, *args)


warn = warning


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
