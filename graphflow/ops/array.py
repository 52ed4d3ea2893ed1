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
from graphflow.registry import as_node, convert_inputs, defop, public

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


@public
def concat(values: Sequence[Any], axis: int, name: str = "concat") -> Node:
    """Joins tensors along an existing axis (TF-1 `concat`).

    Args:
        values: a non-empty list of tensors of one rank and dtype, equal in every dimension but `axis`.
        axis: the axis to join along; negative counts from the end.
        name: the node's name.

    Returns:
        A tensor whose `axis` dimension is the sum of the inputs', the others as in each input.

    Raises:
        TypeError: `values` is not a non-empty list.
        ValueError: static dimensions other than `axis` differ.

    Gradient: d values[i] = the slice of g that values[i] filled.

    Examples:
        >>> c = gf.concat([gf.zeros([2, 3]), gf.ones([2, 1])], axis=1)
        >>> c.shape
        TensorShape([2, 4])
    """
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


@public
def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Node:
    """Stacks tensors of one shape along a new axis (TF-1 `stack`): n tensors of shape (a, b) give (n, a, b).

    Args:
        values: a non-empty list of tensors of one shape and dtype.
        axis: where the new axis goes in the result; negative counts from the end.
        name: the node's name.

    Returns:
        A tensor of rank one more than the inputs', with `len(values)` entries along `axis`.

    Gradient: d values[i] = entry i of g along `axis`.

    Examples:
        >>> s = gf.stack([gf.constant([1.0, 2.0]), gf.constant([3.0, 4.0])], axis=1)
        >>> gf.Session().run(s)
        array([[1., 3.],
               [2., 4.]], dtype=float32)
    """
    return stack_op(*_value_list(values, "stack"), axis=int(axis), name=name)


@public
def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list[Node]:
    """The entries of `value` along `axis`, as a list of tensors of one rank fewer (TF-1 `unstack`).

    Args:
        value: a tensor of rank >= 1.
        num: the length of `axis`; needed only when its static size is unknown.
        axis: the axis to split along.
        name: the nodes' name prefix.

    Returns:
        A list of `num` tensors, each `value`'s shape without `axis`.

    Raises:
        ValueError: `num` is not given and the static size of `axis` is unknown.

    Gradient: d value = the gradients of the parts stacked along `axis` (zeros for unused parts).

    Examples:
        >>> a, b = gf.unstack(gf.constant([[1.0, 2.0], [3.0, 4.0]]))
        >>> gf.Session().run(b)
        array([3., 4.], dtype=float32)
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


@public
def tile(input: Any, multiples: Sequence[int], name: str | None = None) -> Node:
    """Repeats `input` `multiples[i]` times along axis i (TF-1 `tile`).

    Args:
        input: a tensor of rank r.
        multiples: r Python ints >= 0.
        name: the node's name.

    Returns:
        A tensor of shape `[d * m for d, m in zip(input.shape, multiples)]`.

    Raises:
        ValueError: a negative multiple.

    Gradient: d input = the sum of g's tiles.

    Examples:
        >>> t = gf.tile(gf.constant([[1.0, 2.0]]), [2, 1])
        >>> gf.Session().run(t)
        array([[1., 2.],
               [1., 2.]], dtype=float32)
    """
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


@public(default_only=("batch_dims",))
def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    name: str | None = None,
    axis: int | None = None,
    batch_dims: int = 0,
) -> Node:
    """The entries of `params` along `axis` at `indices` (TF-1 `gather`), e.g. the embedding rows of word ids.

    Args:
        params: a tensor of rank >= 1.
        indices: an integer tensor; each entry in [0, params.shape[axis]).
        validate_indices: ignored, as in TF-1 (indices are always checked when run).
        name: the node's name.
        axis: the axis of `params` to index; 0 by default.
        batch_dims: only 0 (batched gathers are not supported).

    Returns:
        A tensor of shape params.shape[:axis] + indices.shape + params.shape[axis + 1:].

    Raises:
        NotImplementedError: `batch_dims` other than 0.
        gf.errors.InvalidArgumentError: when run, an index outside [0, params.shape[axis]).

    Gradient: d params = zeros with each row of g added at the row its index took (twice for an index taken twice).

    Examples:
        >>> g = gf.gather(gf.constant([10.0, 20.0, 30.0]), [2, 0])
        >>> gf.Session().run(g)
        array([30., 10.], dtype=float32)
    """
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

    Examples:
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

    Examples:
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
