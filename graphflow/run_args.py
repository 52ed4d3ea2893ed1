"""What `Session.run` is given: fetch structures to flatten and rebuild, and fed values to check and convert."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphflow import errors, nest
from graphflow.nodes import Node, OpView
from graphflow.shapes import dtype_name, format_shape

Array = np.ndarray


def flatten(fetches: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """The leaves of a fetch structure, and a function that puts values back into that structure."""
    if isinstance(fetches, Node | OpView | str):
        return [fetches], _first
    try:
        return nest.flatten(
            fetches, (Node, OpView, str), "Fetch argument", "a graph node (or a list, tuple or dict of them)"
        )
    except TypeError as e:
        if not str(e).startswith("Fetch argument None "):
            raise
        raise TypeError(
            f"{e}. A None fetch is usually what `gf.summary.merge_all()` returns when no summary op was created "
            "before it was called: create summaries first (`gf.summary.scalar('loss', loss)`) and call merge_all "
            "after them, or leave the None out of the fetches."
        ) from None


def _first(values: list[Any]) -> Any:
    return values[0]


def convert_feed(node: Node, value: Any) -> Array:
    """The fed value as an array of the node's dtype, checked against its static shape."""
    dtype = node.dtype
    if type(value) is np.ndarray and (dtype is None or value.dtype == dtype):
        array = value
    else:
        try:
            array = np.asarray(value)
        except Exception as e:  # ragged nested lists, or an object whose own conversion fails
            raise errors.InvalidArgumentError(
                node,
                f"Cannot convert the value fed for '{node.op_name}' (which has {_declared(node)}) to an array: {e}",
            ) from None
        if array.dtype.kind not in "biuf":
            raise errors.InvalidArgumentError(
                node,
                f"Cannot feed a value of type {array.dtype} and shape {array.shape} ({_short(value)}) for "
                f"'{node.op_name}', which has {_declared(node)}",
            )
        if dtype is not None and array.dtype != dtype:
            if dtype.kind in "biu" and not _fits(array, dtype):
                raise errors.InvalidArgumentError(
                    node,
                    f"Cannot feed {array.dtype} values of shape {array.shape} ({_short(value)}) for '{node.op_name}', "
                    f"which has {_declared(node)}: they are not whole numbers that {dtype} can hold",
                )
            array = array.astype(dtype)
    shape = node.shape
    if shape is not None and (
        array.ndim != len(shape) or any(d is not None and d != a for d, a in zip(shape, array.shape, strict=True))
    ):
        raise errors.InvalidArgumentError(
            node,
            f"Cannot feed value of shape {array.shape} for '{node.op_name}', which has shape {format_shape(shape)}",
        )
    return array


def _declared(node: Node) -> str:
    return f"dtype {dtype_name(node.dtype)} and shape {format_shape(node.shape)}"


def _fits(array: Array, dtype: np.dtype) -> bool:
    """Whether converting `array` to the integer or bool `dtype` keeps every value (no fraction, wrap-around or NaN)."""
    if array.size == 0:
        return True
    if array.dtype.kind == "f" and not (np.isfinite(array).all() and np.array_equal(array, np.round(array))):
        return False
    if dtype.kind == "b":
        return bool(((array == 0) | (array == 1)).all())
    info = np.iinfo(dtype)
    return bool(info.min <= array.min() and array.max() <= info.max)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."
