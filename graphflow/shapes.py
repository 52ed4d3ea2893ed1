"""Static shapes: `TensorShape` (TF-1's), and how shapes and dtypes are written in messages.

A static shape is a tuple of ints with None for a dimension known only at run time; a shape of None means the rank
itself is unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import numpy as np


class Dimension(int):
    """One known dimension of a static shape: an int that also has TF-1's `.value` (`x.shape[1].value` is 784).

    Indexing a `TensorShape` gives one; a dimension known only at run time is None, as TF-2's shapes give it (TF-1
    gave a `Dimension` whose value is None). Iterating a shape gives plain ints.
    """

    @property
    def value(self) -> int:
        return int(self)

    __repr__ = int.__repr__  # shapes in messages read [100, 784], not [Dimension(100), ...]


class TensorShape(tuple):
    """A static shape: a tuple of ints, with None for a dimension known only at run time (TF-1's `TensorShape`).

    `shape[i]` is a `Dimension` (an int with `.value`) or None; `shape[i:j]` is a `TensorShape`.

    Raises:
        TypeError: a dimension is not an int or None (a float, a bool, a string).
        ValueError: a dimension is negative.
    """

    def __new__(cls, dims: Iterable[int | None], *, what: str = "TensorShape(dims=...)") -> TensorShape:
        if type(dims) is TensorShape:
            return dims
        dims = list(dims)
        return super().__new__(cls, [d if type(d) is int and d >= 0 else size(d, dims, what) for d in dims])

    @property
    def ndims(self) -> int:
        return len(self)

    rank = ndims

    def as_list(self) -> list[int | None]:
        return list(self)

    def is_fully_defined(self) -> bool:
        return None not in self

    def num_elements(self) -> int | None:
        return int(np.prod(self)) if self.is_fully_defined() else None

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        if isinstance(key, slice):
            return TensorShape(item)
        return item if item is None else Dimension(item)

    def __repr__(self) -> str:
        return f"TensorShape({list(self)})"


def as_shape(shape: Any, what: str = "shape") -> TensorShape | None:
    """Normalises a shape given as None (unknown rank), an int, or a sequence of ints and Nones.

    Args:
        what: the function and argument the shape was given to, as errors name it: `"zeros(shape=...)"`.

    Raises:
        TypeError: `shape` is no sequence, or a dimension is not an int or None (TF-1 refuses `[2.5, 3]` too).
        ValueError: a dimension is negative (-1 too: None marks a size known only at run time).
    """
    if shape is None:
        return None
    if isinstance(shape, int | np.integer):
        shape = [shape]
    try:
        dims = list(shape)
    except TypeError:
        raise TypeError(f"{what} got {shape!r}: a shape is a list of ints and Nones") from None
    return TensorShape(dims, what=what)


def full_shape(shape: Any, what: str) -> tuple[int, ...]:
    """`as_shape(shape, what)` as a tuple of ints; ValueError unless every dimension is known."""
    dims = as_shape(shape, what)
    if dims is None or not dims.is_fully_defined():
        raise ValueError(f"{what} got {shape!r}: it needs a fully known shape, a list of ints >= 0 with no None")
    return tuple(dims)


def size(value: Any, given: Any, what: str, unknown: str = "None") -> int | None:
    """`value`, one size (a dimension, a depth) in what was `given` to `what`, as an int >= 0.

    Args:
        unknown: what stands for a size known only at run time: "None" (returned as None), "-1" (returned as -1,
            which `reshape` takes), or "" when the size must be known.

    Raises:
        TypeError: `value` is not an integer (a float, even 2.0, a bool or a string) or is an unknown not allowed.
        ValueError: `value` is negative (other than -1 for `unknown="-1"`).
    """
    hint = "a size is an int >= 0" + (f", or {unknown} for one known only at run time" if unknown else "")
    if value is None and unknown == "None":
        return None
    if isinstance(value, bool | np.bool_) or not hasattr(type(value), "__index__"):
        kind = "unknown" if value is None else f"a {type(value).__name__}, not an integer"
        raise TypeError(f"{what} got {given!r}: {value!r} is {kind}; {hint}")
    value = operator.index(value)
    if value < 0 and not (value == -1 and unknown == "-1"):
        raise ValueError(f"{what} got {given!r}: {value} is negative; {hint}")
    return value


def format_shape(shape: tuple | None) -> str:
    """A shape as TF prints it: `[?,784]`, or `<unknown>` for an unknown rank."""
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def dtype_name(dtype: np.dtype | None) -> str:
    return "<from feed>" if dtype is None else str(dtype)


# --------------------------------------------------------------------------------------------------------------------
# Indices: what `t[...]` takes


def normalize_index(key: Any) -> tuple:
    """`key` (what `t[key]` is given) as a tuple of ints, slices of ints or None, `...` and None.

    Raises:
        TypeError: an entry is something else (a tensor, a list, a float), naming it.
        IndexError: more than one `...`.
    """
    entries = key if isinstance(key, tuple) else (key,)
    index = []
    for entry in entries:
        if entry is Ellipsis or entry is None:
            index.append(entry)
        elif isinstance(entry, slice):
            index.append(slice(*(int_or_none(v, "a slice bound") for v in (entry.start, entry.stop, entry.step))))
        else:
            index.append(int_or_none(entry, "an index"))
    if index.count(Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    return tuple(index)


def int_or_none(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a Python int, got a bool ({value!r})")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{what} must be a Python int, got {type(value).__name__} ({value!r}): slicing takes ints, slices of "
            "ints, '...' and gf.newaxis, whose values are known when the graph is built"
        ) from None
