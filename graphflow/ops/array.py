"""Ops that join, split, repeat and pick along an axis: concat, stack, unstack, tile and gather. Each gradient is
the adjoint op: the slice of a concat, the slices of a stack, the tile sums of a tile, a scatter-add for a gather;
and the adjoint's own gradient is the op again, so second derivatives come for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.nodes import Node
from graphflow.ops._util import resolve_axes
from graphflow.ops.shape import identity
from graphflow.ops.slicing import strided_slice_op
from graphflow.registry import as_node, convert_inputs, defop

Shape = tuple | None


def _merged(shapes: Sequence[Shape], what: str) -> Shape:
    """The one static shape that all `shapes` can have; ValueError when two known dimensions differ."""
    known = [s for s in shapes if s is not None]
    if not known:
        return None
    if len({len(s) for s in known}) > 1:
        raise ValueError(f"{what}: all inputs must have the same rank, got shapes {[tuple(s) for s in known]}")
    merged = []
    for i, dims in enumerate(zip(*known, strict=True)):
        sizes = {d for d in dims if d is not None}
        if len(sizes) > 1:
            raise ValueError(f"{what}: inputs differ in dimension {i}: {sorted(sizes)}")
        merged.append(sizes.pop() if sizes else None)
    return tuple(merged)


# --- concat ----------------------------------------------------------------------------------------------------------


def _concat_shape(*shapes, axis):
    known = [s for s in shapes if s is not None]
    if not known:
        return None
    (a,) = resolve_axes((axis,), len(known[0]))
    others = _merged([None if s is None else (*s[:a], None, *s[a + 1 :]) for s in shapes], "concat")
    sizes = [None if s is None else s[a] for s in shapes]
    total = None if None in sizes else sum(sizes)
    return (*others[:a], total, *others[a + 1 :])


@defop("ConcatV2", shape=_concat_shape)
def concat_op(*values, axis):
    return np.concatenate(values, axis=axis)


@concat_op.defgrad
def _concat_grad(op, g):
    # One op finds where every input starts, then one slice per input: edges linear in the number of inputs (TF-1).
    axis = op.attrs["axis"]
    offsets = concat_offset(*op.inputs, axis=axis)
    return tuple(concat_part(g, offsets, x, axis=axis, index=i) for i, x in enumerate(op.inputs))


@defop("ConcatOffset", shape=lambda *values, axis: (len(values),), dtype=lambda *_, **__: dtypes.int64)
def concat_offset(*values, axis):
    """Where each of `values` starts along `axis` in their concat (TF-1 `ConcatOffset`, for the one axis)."""
    offsets = np.zeros(len(values), np.int64)
    np.cumsum([np.shape(v)[axis] for v in values[:-1]], out=offsets[1:])
    return offsets


@concat_offset.defgrad
def _concat_offset_grad(op, g):
    return (None,) * len(op.inputs)  # the values give only their shapes


def _part(ndim, axis, start, size):
    return (slice(None),) * (axis % ndim) + (slice(start, start + size),)


@defop("ConcatPart", shape=lambda g, offsets, value, **_: value, dtype=lambda g, *_, **__: g, views=True)
def concat_part(g, offsets, value, *, axis, index):
    """The part of `g` (a concat's gradient) over its input `index`, `value`, which starts at `offsets[index]`."""
    return g[_part(g.ndim, axis, offsets[index], np.shape(value)[axis])]


@concat_part.defgrad
def _concat_part_grad(op, gg):
    g, offsets, _ = op.inputs
    return concat_part_grad(gg, g, offsets, **op.attrs), None, None


@defop("ConcatPartGrad", shape=lambda gg, g, offsets, **_: g, dtype=lambda gg, *_, **__: gg)
def concat_part_grad(gg, g, offsets, *, axis, index):
    """Zeros of `g`'s shape with `gg` in the place of part `index` (the adjoint of `concat_part`)."""
    out = np.zeros(np.shape(g), np.result_type(gg))
    out[_part(out.ndim, axis, offsets[index], np.shape(gg)[axis])] = gg
    return out


@concat_part_grad.defgrad
def _concat_part_grad_grad(op, ggg):
    gg, _, offsets = op.inputs
    return concat_part(ggg, offsets, gg, **op.attrs), None, None  # linear in gg; g only gives the shape


def concat(values: Sequence[Any], axis: int, name: str = "concat") -> Node:
    """Joins `values` along `axis`, which must exist in each; the other dimensions must agree (TF-1 `concat`)."""
    values = _value_list(values, "concat")
    if len(values) == 1:
        return identity(values[0], name=name)
    return concat_op(*values, axis=int(axis), name=name)


def _value_list(values: Any, what: str) -> tuple[Node, ...]:
    if isinstance(values, Node) or not isinstance(values, list | tuple) or not values:
        raise TypeError(f"{what} expects a non-empty list of tensors, got {values!r}")
    return convert_inputs(tuple(values), what)


# --- stack and unstack ---------------------------------------------------------------------------------------------


def _stack_shape(*shapes, axis):
    one = _merged(shapes, "stack")
    if one is None:
        return None
    (a,) = resolve_axes((axis,), len(one) + 1)
    return (*one[:a], len(shapes), *one[a:])


@defop("Pack", shape=_stack_shape)
def stack_op(*values, axis):
    return np.stack(values, axis=axis)


def _take(axis: int, i: int) -> tuple:
    """The basic index that takes entry i of `axis` (counted from the end when negative), whatever the rank."""
    if axis >= 0:
        return (slice(None),) * axis + (i,)
    return (Ellipsis, i) + (slice(None),) * (-axis - 1)


@stack_op.defgrad
def _stack_grad(op, g):
    return tuple(strided_slice_op(g, index=_take(op.attrs["axis"], i)) for i in range(len(op.inputs)))


def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Node:
    """Stacks tensors of one shape along a new `axis` (TF-1 `stack`): n tensors of shape (a, b) give (n, a, b)."""
    return stack_op(*_value_list(values, "stack"), axis=int(axis), name=name)


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list[Node]:
    """The entries of `value` along `axis`, as a list of `num` tensors of one rank fewer (TF-1 `unstack`).

    Raises:
        ValueError: `num` is not given and the static size of `axis` is unknown.
    """
    (value,) = convert_inputs((value,), "unstack")
    axis = int(axis)
    if num is None:
        if value.shape is None or value.shape[resolve_axes((axis,), len(value.shape))[0]] is None:
            raise ValueError(
                f"unstack: cannot infer num from the shape {value.shape} of '{value.op.name}' along axis {axis}; "
                "pass num="
            )
        num = value.shape[resolve_axes((axis,), len(value.shape))[0]]
    return [strided_slice_op(value, index=_take(axis, i), name=name) for i in range(int(num))]


# --- tile ------------------------------------------------------------------------------------------------------------


def _tile_shape(x, *, multiples):
    if x is None:
        return None
    if len(x) != len(multiples):
        raise ValueError(
            f"tile: multiples has {len(multiples)} entries for a tensor of rank {len(x)}; give one per axis"
        )
    return tuple(None if d is None else d * m for d, m in zip(x, multiples, strict=True))


@defop("Tile", shape=_tile_shape)
def tile_op(x, *, multiples):
    if x.ndim != len(multiples):
        raise ValueError(f"multiples has {len(multiples)} entries for a tensor of rank {x.ndim}; give one per axis")
    return np.tile(x, multiples)


@tile_op.defgrad
def _tile_grad(op, g):
    return (tile_grad(g, op.inputs[0], multiples=op.attrs["multiples"]),)


@defop("TileGrad", shape=lambda g, x, **_: x, dtype=lambda g, x, **_: g)
def tile_grad(g, x, *, multiples):
    """The sum of the `multiples` copies of x's shape that `g` (the gradient of a tile of x) is made of."""
    interleaved = [n for m, d in zip(multiples, x.shape, strict=True) for n in (m, d)]
    return g.reshape(interleaved).sum(axis=tuple(range(0, 2 * x.ndim, 2)))


@tile_grad.defgrad
def _tile_grad_grad(op, gg):
    return tile_op(gg, multiples=op.attrs["multiples"]), None  # linear in g; x only gives the shape


def tile(input: Any, multiples: Sequence[int], name: str | None = None) -> Node:
    """Repeats `input` `multiples[i]` times along axis i (TF-1 `tile`); `multiples` is a list of Python ints."""
    multiples = tuple(int(m) for m in multiples)
    if any(m < 0 for m in multiples):
        raise ValueError(f"tile: multiples must be >= 0, got {list(multiples)}")
    return tile_op(input, multiples=multiples, name=name)


# --- gather ----------------------------------------------------------------------------------------------------------


def _gather_shape(params, indices, *, axis):
    if params is None or indices is None:
        return None
    (a,) = resolve_axes((axis,), len(params))
    return params[:a] + tuple(indices) + params[a + 1 :]


def _gather_dtype(params, indices, **_):
    if indices is not None and indices.kind not in "iu":
        raise TypeError(f"gather: indices must be integers, got {indices}; convert them with gf.cast(i, gf.int32)")
    return params


@defop("GatherV2", shape=_gather_shape, dtype=_gather_dtype)
def gather_op(params, indices, *, axis):
    indices = np.asarray(indices)
    n = params.shape[axis]
    bad = (indices < 0) | (indices >= n)
    if bad.any():
        at = np.argwhere(bad)[0]
        where = "" if indices.ndim == 0 else "[" + ", ".join(map(str, at)) + "]"
        raise ValueError(f"indices{where} = {indices[tuple(at)]} is not in [0, {n}) (axis {axis} of the params)")
    return np.take(params, indices, axis=axis)


@gather_op.defgrad
def _gather_grad(op, g):
    params, indices = op.inputs
    return gather_grad(g, indices, params, axis=op.attrs["axis"]), None


@defop("GatherGrad", shape=lambda g, indices, params, **_: params, dtype=lambda g, *_, **__: g)
def gather_grad(g, indices, params, *, axis):
    """Zeros of the shape of `params`, with each row of `g` added at the row its index took (the gradient of a
    gather: a row taken twice gets both rows of g)."""
    out = np.zeros(params.shape, np.result_type(g))
    np.add.at(out, (slice(None),) * (axis % params.ndim) + (np.asarray(indices),), g)
    return out


@gather_grad.defgrad
def _gather_grad_grad(op, gg):
    _, indices, _ = op.inputs
    return gather_op(gg, indices, axis=op.attrs["axis"]), None, None  # linear in g


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    name: str | None = None,
    axis: int | None = None,
    batch_dims: int = 0,
) -> Node:
    """The entries of `params` along `axis` (0 by default) at `indices` (TF-1 `gather`): the result has shape
    params.shape[:axis] + indices.shape + params.shape[axis + 1:].

    Raises:
        ValueError: `batch_dims` other than 0 (not supported).
        gf.errors.InvalidArgumentError: when run, an index outside [0, params.shape[axis]).
    """
    if batch_dims:
        raise ValueError("gather: batch_dims other than 0 is not supported")
    return gather_op(as_node(params), as_node(indices), axis=0 if axis is None else int(axis), name=name)
