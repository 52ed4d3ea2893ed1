"""Data types. graphflow's dtypes are numpy dtypes, so a value's `.dtype` and a node's `.dtype` compare directly.

TF-1 names (`float32`, `int64`, ...) and spellings (`"float"`, `"double"`) are accepted wherever a dtype is.
A node whose dtype is `None` has a dtype known only at run time (a `placeholder()` without one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "as_dtype", "bool_", "default_dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "is_floating", "string", "uint8",
]  # fmt: skip

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
# TF-1's `tf.string`, whose numpy dtype is `object`: the dtype of a summary op, whose value is the serialized
# `Summary` protocol buffer (bytes). No placeholder, variable or constant takes it (`as_dtype` refuses it).
string = np.dtype(object)

_ALIASES = {"float": float32, "double": float64, "half": float16, "bool": bool_, "int": int32, "long": int64}


def as_dtype(type_value: Any) -> np.dtype | None:
    """Normalises a dtype (a numpy dtype or type, a TF-1 name such as "float", or None) to a numpy dtype.

    Args:
        type_value: e.g. `gf.float32`, `np.int64`, `"float"`, `bool`, or None.

    Returns:
        A numpy dtype, or None for None.

    Raises:
        TypeError: `type_value` names no numeric type graphflow supports.

    Examples:
        >>> gf.as_dtype("double")
        dtype('float64')
    """
    dtype = type_value
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in _ALIASES:
        return _ALIASES[dtype]
    if dtype is bool:
        return bool_
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{dtype!r} is not a dtype; use gf.float32, gf.float64, gf.int32, gf.int64 or gf.bool"
        ) from None
    if result.kind not in "biuf":
        raise TypeError(f"dtype {result} is not supported; use a float, integer or bool dtype")
    return result


def is_floating(dtype: np.dtype | None) -> bool:
    """True for floating dtypes and for a dtype unknown until run time (gradients may flow through both).

    Args:
        dtype: a numpy dtype or None.

    Returns:
        bool.
    """
    return dtype is None or dtype.kind == "f"


def default_dtype(value: Any) -> np.dtype:
    """The dtype TF-1 gives a Python value: float32 for floats, int32 for ints; arrays keep theirs.

    Args:
        value: a number, nested list or array.

    Returns:
        A numpy dtype.
    """
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype
    array = np.asarray(value)
    if array.dtype.kind == "f":
        return float32
    if array.dtype.kind in "iu":
        return int32
    return as_dtype(array.dtype)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
