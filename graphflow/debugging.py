"""The `gf.debugging` namespace (TF-1 `tf.debugging`): run-time checks that stop a run at the first bad value.

For a check of every op at once, create the session with `gf.Session(debug_nans=True)`.
"""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.debugging import check_numerics as _check_numerics_op


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Node:
    """Passes `tensor` through; the run fails with an error holding `message`, the node's name and whether NaN or
    Inf was seen if it has any non-finite value. Its gradient is checked the same way."""
    if not isinstance(message, str):
        raise TypeError(f"check_numerics: message must be a string, got {type(message).__name__}")
    return _check_numerics_op(tensor, message=message, name=name)
