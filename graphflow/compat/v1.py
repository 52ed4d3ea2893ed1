"""The whole graphflow API under TF-1's compatibility name: `import graphflow.compat.v1 as tf`.

graphflow always runs TF-1's graph mode, so `disable_v2_behavior()` and `disable_eager_execution()` change nothing and
`executing_eagerly()` is False. Every other name is graphflow's own (`tf.placeholder` is `graphflow.placeholder`).
"""

from typing import Any

import graphflow as _gf
from graphflow import *  # noqa: F403  (the public API, as TF-1's compat.v1 module re-exports TF-1's)


def disable_v2_behavior() -> None:
    """Nothing to do: graphflow is TF-1's graph mode."""


def disable_eager_execution() -> None:
    """Nothing to do: graphflow has no eager mode."""


def executing_eagerly() -> bool:
    return False


def enable_eager_execution(*args: Any, **kwargs: Any) -> None:
    raise NotImplementedError(
        "graphflow runs graphs only (TF-1 graph mode): build the graph, then run it in a gf.Session"
    )


def __getattr__(name: str) -> Any:
    return getattr(_gf, name)  # names graphflow loads on first use, such as `viz`
