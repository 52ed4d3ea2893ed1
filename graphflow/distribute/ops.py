"""The collectives as graph ops, with Horovod's op types and gradients: a plan runs them like any other step.

`HorovodAllreduce` sums (or averages) a tensor over the ranks; its gradient is the same allreduce of the incoming
gradient. `HorovodAllgather` concatenates the ranks' tensors along the first axis; its gradient is the rows of the
summed gradient that came from this rank (`HorovodOwnRows`, whose gradient puts rows back in place with zeros around
them, `HorovodPadRows`). `HorovodBroadcast` gives every rank the root's tensor; its gradient is the summed gradient on
the root and zeros elsewhere. In a world of one every collective returns its input.

`fused_allreduce` is Horovod's tensor fusion: the gradients of a step are packed into one buffer per dtype, reduced
with one MPI call, and the results are views into the reduced buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.distribute import world as _w
from graphflow.nodes import Node
from graphflow.ops._util import same_shape
from graphflow.ops.array import concat
from graphflow.ops.shape import reshape, zeros_like
from graphflow.registry import defop


def _reduce_op(op: Any, average: Any) -> str:
    """Horovod's rule: `op` wins; the old `average=` flag maps to Average/Sum; neither means Average."""
    if op is not None and average is not None:
        raise ValueError("allreduce takes op= or the older average=, not both")
    if op is None:
        op = _w.Sum if average is False else _w.Average
    if op not in _w.REDUCE_OPS:
        raise ValueError(f"allreduce op must be hvd.Average or hvd.Sum, got {op!r}")
    return op


def _allreduce_dtype(x: np.dtype | None, *, reduce_op: str) -> np.dtype | None:
    if reduce_op == _w.Average and x is not None and not dtypes.is_floating(x):
        raise TypeError(f"the average of {x} tensors is not {x}: use op=hvd.Sum, or cast to a float dtype first")
    return x


@defop("HorovodAllreduce", shape=same_shape, dtype=_allreduce_dtype, views=True)
def allreduce_op(x, *, reduce_op):
    return _w.allreduce(x, reduce_op, "allreduce")


@allreduce_op.defgrad
def _allreduce_grad(op, g):
    return (allreduce_op(g, reduce_op=op.attrs["reduce_op"]),)  # d allreduce = allreduce of the gradients


def _gather_shape(x, **_):
    return None if x is None else (None, *x[1:])


@defop("HorovodAllgather", shape=_gather_shape, views=True)
def allgather_op(x):
    return _w.allgather(x, "allgather")


@allgather_op.defgrad
def _allgather_grad(op, g):
    (x,) = op.inputs
    return (own_rows(allreduce_op(g, reduce_op=_w.Sum), x),)  # this rank's rows of the summed gradient


def _offset(n: int, what: str) -> int:
    counts = _w.row_counts(n, what)
    return int(counts[: _w.world().rank].sum())


@defop("HorovodOwnRows", shape=lambda t, x: x, dtype=lambda t, x: t, views=True)
def own_rows(t, x):
    start = _offset(len(x), "allgather's gradient")
    return t[start : start + len(x)]


@own_rows.defgrad
def _own_rows_grad(op, g):
    t, _ = op.inputs
    return pad_rows(g, t), None


@defop("HorovodPadRows", shape=lambda g, t: t, dtype=lambda g, t: g)
def pad_rows(g, t):
    start = _offset(len(g), "allgather's second gradient")
    out = np.zeros(t.shape, dtype=g.dtype)
    out[start : start + len(g)] = g
    return out


@pad_rows.defgrad
def _pad_rows_grad(op, gg):
    g, _ = op.inputs
    return own_rows(gg, g), None


@defop("HorovodBroadcast", shape=same_shape, views=True)
def broadcast_op(x, *, root_rank):
    return _w.broadcast(x, root_rank, "broadcast")


@broadcast_op.defgrad
def _broadcast_grad(op, g):
    reduced = allreduce_op(g, reduce_op=_w.Sum)  # every rank takes part in the sum; only the root's input counts
    return (reduced if _w.world().rank == op.attrs["root_rank"] else zeros_like(reduced),)


# --------------------------------------------------------------------------------------------------------------------
# Public functions with Horovod's signatures


def allreduce(
    tensor: Any,
    average: bool | None = None,
    device_dense: str = "",
    device_sparse: str = "",
    compression: Any = None,
    op: str | None = None,
    name: str | None = None,
) -> Node:
    """The sum or mean of `tensor` over every rank, as an op (Horovod's `hvd.allreduce`).

    Args:
        tensor: a node or value; every rank must pass the same shape and dtype.
        average: Horovod's older flag: True for the mean, False for the sum. Use `op` instead.
        device_dense, device_sparse: accepted for Horovod scripts; graphflow runs on the CPU.
        compression: `hvd.Compression.none` (the only one graphflow has) or None.
        op: `hvd.Average` (the default) or `hvd.Sum`.
        name: the op's name.

    Returns:
        A node of `tensor`'s shape and dtype. Its gradient is the same allreduce of the incoming gradient.

    Examples:
        >>> hvd.init()
        >>> mean_loss = hvd.allreduce(loss)          # the mean of every rank's loss
    """
    _check_compression(compression)
    return allreduce_op(tensor, reduce_op=_reduce_op(op, average), name=name)


def allgather(tensor: Any, name: str | None = None) -> Node:
    """Every rank's `tensor` concatenated along the first axis, in rank order (Horovod's `hvd.allgather`).

    Args:
        tensor: a node of rank 1 or more; the first dimension may differ between ranks, the others may not.

    Returns:
        A node of shape (sum of the ranks' first dimensions, ...). Its gradient is this rank's rows of the summed
        gradient.
    """
    return allgather_op(tensor, name=name)


def broadcast(tensor: Any, root_rank: int, name: str | None = None) -> Node:
    """Rank `root_rank`'s `tensor`, on every rank (Horovod's `hvd.broadcast`).

    Args:
        tensor: a node; every rank must pass the same shape and dtype.
        root_rank: the rank whose value every rank gets.

    Returns:
        A node of `tensor`'s shape. Its gradient is the sum of the ranks' gradients on the root, zeros elsewhere.
    """
    size = _w.world().size
    if not isinstance(root_rank, int | np.integer) or not 0 <= root_rank < size:
        raise ValueError(f"broadcast root_rank must be a rank of the job, 0 to {size - 1}, got {root_rank!r}")
    return broadcast_op(tensor, root_rank=int(root_rank), name=name)


class Compression:
    """Horovod's gradient compression choices. graphflow reduces gradients as they are: only `none`."""

    none = None


def _check_compression(compression: Any) -> None:
    if compression is not None:
        raise ValueError(f"graphflow reduces tensors uncompressed: use hvd.Compression.none, got {compression!r}")


def fused_allreduce(tensors: Sequence[Node], reduce_op: str, name: str = "fused") -> list[Node]:
    """One allreduce per dtype for all of `tensors` (Horovod's tensor fusion).

    The tensors of each dtype are flattened and concatenated into one buffer, the buffer is reduced with one MPI
    call, and each result is a slice of the reduced buffer reshaped to its tensor's shape (views, no copy). Tensors
    whose static shape is not fully known are reduced one by one.
    """
    results: list[Node | None] = [None] * len(tensors)
    groups: dict[Any, list[int]] = {}
    for i, t in enumerate(tensors):
        if t.shape is not None and t.shape.is_fully_defined():
            groups.setdefault(t.dtype, []).append(i)
        else:
            results[i] = allreduce_op(t, reduce_op=reduce_op)
    for members in groups.values():
        if len(members) == 1:
            (i,) = members
            results[i] = allreduce_op(tensors[i], reduce_op=reduce_op, name=name)
            continue
        shapes = [tuple(tensors[i].shape) for i in members]
        flat = concat([reshape(tensors[i], [-1]) for i in members], axis=0, name=f"{name}/pack")
        reduced = allreduce_op(flat, reduce_op=reduce_op, name=name)
        start = 0
        for i, shape in zip(members, shapes, strict=True):
            n = int(np.prod(shape, dtype=np.int64))
            results[i] = reshape(reduced[start : start + n], list(shape))
            start += n
    return results
