"""Ops that join, split, repeat and pick along an axis: concat, stack, unstack, tile and gather. Each gradient is
the adjoint op: the slice of a concat, the slices of a stack, the tile sums of a tile, a scatter-add for a gather;
and the adjoint's own gradient is the op again, so second derivatives come for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.nodes import Node
from graphflow.ops._util import resolve_axes
from graphflow.ops.shape import identity, zeros_like
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
    return tuple(concat_part(g, *op.inputs, axis=op.attrs["axis"], index=i) for i in range(len(op.inputs)))


@defop("ConcatPart", shape=lambda g, *values, axis, index: values[index], dtype=lambda g, *_, **__: g, views=True)
def concat_part(g, *values, axis, index):
    """The part of `g` (a concat's gradient) that lies over input `index` of the concat of `values` along `axis`."""
    start = sum(v.shape[axis] for v in values[:index])
    return g[(slice(None),) * (axis % g.ndim) + (slice(start, start + values[index].shape[axis]),)]


@concat_part.defgrad
def _concat_part_grad(op, gg):
    _, *values = op.inputs
    index = op.attrs["index"]
    parts = [gg if i == index else zeros_like(v) for i, v in enumerate(values)]  # gg back in its place, zeros around
    return (concat_op(*parts, axis=op.attrs["axis"]),) + (None,) * len(values)


def concat(values: Sequence[Any], axis: int, name: str = "concat") -> Node:
    """Joins `values` along `axis`, which must exist in each; the other dimensions must agree (TF-1 `concat`)."""
    values = _value_list(values, "concat")
    if len(values) == 1:
        return identity(values[0], name=name)
    return concat_op(*values, axis=int(axis), name=name)


def _value_list(values: Any, what: str) -> tuple[Node, ...]:
    if isinstance(values, Node) or not isinstance(values, list | tuple) or not values:
        hint = ""
        if isinstance(values, int):  # concat(1, [a, b]): TF-0.x's order, changed in TF-1.0
            hint = f"; TF-1 takes the tensors first ({what}(values, axis)), where TF-0.x took the axis first"
        raise TypeError(f"{what} expects a non-empty list of tensors, got {values!r}{hint}")
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


def _pad_shape(x, *, paddings, constant_values):
    if x is None:
        return None
    if len(paddings) != len(x):
        raise ValueError(f"pad: paddings need one [before, after] pair per axis of the input, whose shape is {x}")
    return tuple(None if d is None else d + before + after for d, (before, after) in zip(x, paddings, strict=True))


@defop("Pad", shape=_pad_shape)
def pad_op(x, *, paddings, constant_values):
    return np.pad(x, paddings, constant_values=constant_values)


@pad_op.defgrad
def _pad_grad(op, g):
    (x,) = op.inputs
    begin = [before for before, _ in op.attrs["paddings"]]
    return (slice_like(g, x, begin=tuple(begin)),)  # d pad(x) = the padded region of g cut away


@defop("SliceLike", shape=lambda t, like, **_: like, dtype=lambda t, like, **_: t)
def slice_like(t, like, *, begin):
    """The block of `t` starting at `begin` with `like`'s run-time shape (the gradient of a pad)."""
    return t[tuple(slice(b, b + n) for b, n in zip(begin, like.shape, strict=True))]


@slice_like.defgrad
def _slice_like_grad(op, g):
    t = op.inputs[0]
    return pad_like(g, t, begin=op.attrs["begin"]), None  # g back in its place, zeros around it


@defop("PadLike", shape=lambda g, like, **_: like, dtype=lambda g, like, **_: g)
def pad_like(g, like, *, begin):
    """`g` placed at `begin` in zeros of `like`'s run-time shape (the gradient of `slice_like`)."""
    out = np.zeros(like.shape, g.dtype)
    out[tuple(slice(b, b + n) for b, n in zip(begin, g.shape, strict=True))] = g
    return out


@pad_like.defgrad
def _pad_like_grad(op, g):
    inner = op.inputs[0]
    return slice_like(g, inner, begin=op.attrs["begin"]), None


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """Pads `tensor` with `constant_values` (TF-1 `pad`).

    Args:
        tensor: a tensor of rank n.
        paddings: n pairs `[before, after]` of ints: how many values to add before and after each axis.
        mode: "CONSTANT" (TF-1's "REFLECT" and "SYMMETRIC" are not supported).
        name: the op's name.
        constant_values: the value padded with.

    Returns:
        A tensor whose axis i has `before_i + shape[i] + after_i` entries. Gradient: the middle block of g.

    Example:
        gf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]])  # 28x28 images become 32x32
    """
    if str(mode).upper() != "CONSTANT":
        raise ValueError(f"pad: mode {mode!r} is not supported; graphflow pads with a constant (mode='CONSTANT')")
    if isinstance(paddings, Node):
        raise TypeError("pad: paddings must be a list of [before, after] pairs of ints, known when the graph is built")
    pairs = tuple((int(before), int(after)) for before, after in np.asarray(paddings).reshape(-1, 2))
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"pad: paddings must be >= 0, got {[list(p) for p in pairs]}")
    return pad_op(tensor, paddings=pairs, constant_values=constant_values, name=name)


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits `value` along `axis` into pieces (TF-1 `split`).

    Args:
        value: the tensor to split.
        num_or_size_splits: an int n (n equal pieces; the axis length must divide by n) or a list of piece sizes,
            one of which may be -1 (the rest).
        axis: the axis to split; its length must be known when the graph is built.
        num: unused (TF-1 needs it only when the sizes are a tensor).
        name: the prefix of the pieces' names.

    Returns:
        A list of tensors, views of consecutive blocks. Gradient: each piece's g in its place, zeros elsewhere.

    Example:
        first, second = gf.split(x, 2, axis=1)
    """
    if isinstance(value, int) or isinstance(axis, Node):
        raise TypeError(
            "split(value, num_or_size_splits, axis) takes the tensor first and an int axis; TF-0.x's "
            "split(axis, num_split, value) order changed in TF-1.0"
        )
    value = as_node(value)
    if value.shape is None:
        raise ValueError("split needs the input's rank to be known when the graph is built")
    axis = int(axis) % len(value.shape)
    length = value.shape[axis]
    if isinstance(num_or_size_splits, int | np.integer):
        if length is None or length % int(num_or_size_splits):
            raise ValueError(
                f"split: axis {axis} of length {length} cannot be split into {num_or_size_splits} equal pieces"
            )
        sizes = [length // int(num_or_size_splits)] * int(num_or_size_splits)
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) == 1 and length is not None:
            sizes[sizes.index(-1)] = length - (sum(sizes) + 1)
        if length is None or sum(sizes) != length or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {list(num_or_size_splits)} do not add up to axis {axis}'s length {length}")
    pieces, start = [], 0
    for size in sizes:
        index = [slice(None)] * len(value.shape)
        index[axis] = slice(start, start + size)
        pieces.append(value[tuple(index)])
        start += size
    return pieces
