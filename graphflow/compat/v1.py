"""The whole graphflow API under TF-1's compatibility name: `import graphflow.compat.v1 as tf`.

graphflow always runs TF-1's graph mode, so `disable_v2_behavior()` and `disable_eager_execution()` change nothing and
`executing_eagerly()` is False. Every other name is graphflow's own (`tf.placeholder` is `graphflow.placeholder`).
"""

from typing import Any

import graphflow as _gf
from graphflow import *  # noqa: F403  (the public API, as TF-1's compat.v1 module re-exports TF-1's)

__all__ = [
    *_gf.__all__,
    "disable_eager_execution",
    "disable_v2_behavior",
    "enable_eager_execution",
    "executing_eagerly",
]


def disable_v2_behavior() -> None:
    """Nothing to do: graphflow is TF-1's graph mode.

    Returns:
        None.
    """


def disable_eager_execution() -> None:
    """Nothing to do: graphflow has no eager mode.

    Returns:
        None.
    """


def executing_eagerly() -> bool:
    """Whether ops run as they are built (TF-2's eager mode).

    Returns:
        False: graphflow builds graphs and runs them in a session.
    """
    return False


def enable_eager_execution(*args: Any, **kwargs: Any) -> None:
    """Refused: graphflow has no eager mode.

    Args:
        *args: TF-1's `config`, `device_policy` and `execution_mode`.
        **kwargs: the same by name.

    Returns:
        Never.

    Raises:
        NotImplementedError: always.
    """
    raise NotImplementedError(
        "graphflow runs graphs only (TF-1 graph mode): build the graph, then run it in a gf.Session"
    )


def __getattr__(name: str) -> Any:
    return getattr(_gf, name)  # names graphflow loads on first use, such as `viz`, and those no star import takes


def __dir__() -> list[str]:
    return sorted({*__all__, *_gf._NOT_STARRED})
