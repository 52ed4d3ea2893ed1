"""Slicing: `t[...]`, `strided_slice` and `slice` (TF-1), all one op, `StridedSlice`, whose gradient scatters the
incoming gradient back into zeros of the input's shape.

An index is what numpy's basic indexing takes: a tuple of Python ints, slices of ints, `...` and `None` (a new
axis of length 1, `gf.newaxis`). The op keeps it as its `index` attribute and returns `x[index]`, a view of x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.nodes import Node
from graphflow.ops.shape import zeros_like
from graphflow.registry import defop, public
from graphflow.shapes import int_or_none, normalize_index

newaxis = None


def _slice_shape(x, *, index):
    """The static shape of `x[index]`: known dimensions sliced, unknown ones unknown unless the slice takes all."""
    if x is None:
        return None
    consumed = sum(1 for entry in index if entry is not None and entry is not Ellipsis)
    if consumed > len(x):
        raise ValueError(f"too many indices ({consumed}) for a tensor of rank {len(x)}")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (len(x) - consumed) + index[at + 1 :]
    else:
        index = index + (slice(None),) * (len(x) - consumed)
    shape, dims = [], iter(x)
    for entry in index:
        if entry is None:
            shape.append(1)
            continue
        dim = next(dims)
        if isinstance(entry, slice):
            if dim is not None:
                shape.append(len(range(*entry.indices(dim))))
            else:
                shape.append(None if entry != slice(None) else dim)
        elif dim is not None and not -dim <= entry < dim:
            raise ValueError(f"index {entry} is out of range for a dimension of size {dim}")
    return tuple(shape)


@defop("StridedSlice", shape=_slice_shape, views=True)
def strided_slice_op(x, *, index):
    return x[index]


@strided_slice_op.defgrad
def _strided_slice_grad(op, g):
    return (strided_slice_grad(g, op.inputs[0], index=op.attrs["index"]),)


@defop("StridedSliceGrad", shape=lambda g, x, **_: x, dtype=lambda g, x, **_: g)
def strided_slice_grad(g, x, *, index):
    """Zeros of x's shape, with `g` where `x[index]` took its values (the gradient of a slice)."""
    out = np.zeros(np.shape(x), np.result_type(g))
    out[index] = g
    return out


@strided_slice_grad.defgrad
def _strided_slice_grad_grad(op, gg):
    _, x = op.inputs
    return strided_slice_op(gg, index=op.attrs["index"]), zeros_like(x)  # linear in g; x only gives the shape


@public(default_only=("var",))
def strided_slice(
    input_: Any,
    begin: Any,
    end: Any,
    strides: Any = None,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
    var: Any = None,
    name: str | None = None,
) -> Node:
    """A strided slice of `input_` (TF-1 `strided_slice`); `x[1:, ::2]` on a node builds one.

    Entry i of `begin`, `end` and `strides` slices axis i as `begin[i]:end[i]:strides[i]`; bit i of each mask says to
    ignore that begin or end, to stand for `...`, to insert a new axis, or to take one element and drop the axis.

    Args:
        input_: a tensor.
        begin: a list of ints, one per sliced axis.
        end: a list of ints, as long as `begin`.
        strides: a list of non-zero ints, as long as `begin`; all 1 when None.
        begin_mask: bit i set: axis i starts at its beginning (`begin[i]` ignored).
        end_mask: bit i set: axis i runs to its end (`end[i]` ignored).
        ellipsis_mask: bit i set: entry i stands for `...`.
        new_axis_mask: bit i set: entry i inserts an axis of length 1.
        shrink_axis_mask: bit i set: take element `begin[i]` and drop axis i.
        var: TF-1's variable to slice-assign into; accepted only as None.
        name: the node's name.

    Returns:
        A tensor of `input_`'s dtype (a view when run).

    Raises:
        ValueError: `begin`, `end` and `strides` differ in length.

    Gradient: d input_ = g scattered into zeros of `input_`'s shape at the sliced positions.

    Examples:
        >>> s = gf.strided_slice(gf.constant([1.0, 2.0, 3.0, 4.0]), [0], [4], [2])
        >>> gf.Session().run(s)
        array([1., 3.], dtype=float32)
    """
    begin, end = list(begin), list(end)
    strides = [1] * len(begin) if strides is None else list(strides)
    if not len(begin) == len(end) == len(strides):
        raise ValueError(
            f"strided_slice: begin, end and strides must have one entry per axis, got {len(begin)}, {len(end)} "
            f"and {len(strides)}"
        )
    index = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides, strict=True)):
        bit = 1 << i
        if ellipsis_mask & bit:
            index.append(Ellipsis)
        elif new_axis_mask & bit:
            index.append(None)
        elif shrink_axis_mask & bit:
            index.append(b)
        else:
            index.append(slice(None if begin_mask & bit else b, None if end_mask & bit else e, s))
    return strided_slice_op(input_, index=normalize_index(tuple(index)), name=name or "strided_slice")


@public(name="slice")
def slice_(input_: Any, begin: Any, size: Any, name: str | None = None) -> Node:
    """`size[i]` elements of axis i of `input_`, from `begin[i]` (TF-1 `slice`); a size of -1 takes the rest.

    Args:
        input_: a tensor of rank r.
        begin: r ints >= 0.
        size: r ints >= 0, or -1 for the rest of the axis.
        name: the node's name.

    Returns:
        A tensor of shape `size` (with -1 entries resolved) and `input_`'s dtype.

    Raises:
        ValueError: `begin` and `size` differ in length, or a begin or size is negative (other than size -1).

    Gradient: d input_ = g placed into zeros of `input_`'s shape at the slice.

    Examples:
        >>> s = gf.slice(gf.constant([[1.0, 2.0, 3.0]]), [0, 1], [1, -1])
        >>> gf.Session().run(s)
        array([[2., 3.]], dtype=float32)
    """
    begin, size = list(begin), list(size)
    if len(begin) != len(size):
        raise ValueError(f"slice: begin and size must have one entry per axis, got {len(begin)} and {len(size)}")
    index = []
    for b, n in zip(begin, size, strict=True):
        b, n = int_or_none(b, "a begin"), int_or_none(n, "a size")
        if b is None or n is None or b < 0 or n < -1:
            raise ValueError(f"slice: begin must be >= 0 and size >= -1, got begin {begin} and size {size}")
        index.append(slice(b, None if n == -1 else b + n))
    return strided_slice_op(input_, index=tuple(index), name=name or "Slice")
