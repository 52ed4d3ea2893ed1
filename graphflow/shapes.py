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
    """

    def __new__(cls, dims: Iterable[int | None]) -> TensorShape:
        return super().__new__(cls, (None if d is None or d == -1 else int(d) for d in dims))

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


def as_shape(shape: Any) -> TensorShape | None:
    """Normalises a shape given as None (unknown rank), an int, or a sequence of ints and Nones."""
    if shape is None:
        return None
    if isinstance(shape, int | np.integer):
        return TensorShape([shape])
    try:
        return TensorShape(shape)
    except (TypeError, ValueError):
        raise TypeError(f"shape must be a list of ints and Nones, got {shape!r}") from None


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
