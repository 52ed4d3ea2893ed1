"""The `gf.debugging` namespace (TF-1 `tf.debugging`): run-time checks that stop a run at the first bad value.

For a check of every op at once, create the session with `gf.Session(debug_nans=True)`.
"""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.debugging import check_numerics as _check_numerics_op

__all__ = ["check_numerics"]


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Node:
    """`tensor` itself, checked: a NaN or Inf in it stops the run (TF-1 `check_numerics`).

    Args:
        tensor: a float tensor of any shape.
        message: the text the error starts with.
        name: the node's name.

    Returns:
        A tensor equal to `tensor`; the run fails with `gf.errors.InvalidArgumentError` holding `message`, the node's
        name and whether NaN or Inf was seen if it has any non-finite value.

    Raises:
        TypeError: `message` is not a string.

    Gradient: d tensor = g, checked the same way.

    Examples:
        >>> y = gf.check_numerics(gf.constant([1.0, 2.0]), "y is bad")
        >>> gf.Session().run(y)
        array([1., 2.], dtype=float32)
    """
    if not isinstance(message, str):
        raise TypeError(f"check_numerics: message must be a string, got {type(message).__name__}")
    return _check_numerics_op(tensor, message=message, name=name)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
