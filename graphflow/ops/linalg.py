"""Matrix product and transpose."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.nodes import Node
from graphflow.ops._util import broadcast_shape
from graphflow.ops.reduction import sum_to
from graphflow.registry import defop, public


def _matmul_shape(a, b, *, transpose_a=False, transpose_b=False):
    if a is None or b is None:
        return None
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"matmul needs tensors of rank >= 2, got ranks {len(a)} and {len(b)}")
    rows, inner_a = (a[-1], a[-2]) if transpose_a else (a[-2], a[-1])
    inner_b, cols = (b[-1], b[-2]) if transpose_b else (b[-2], b[-1])
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise ValueError(
            f"dimensions must be equal, but are {inner_a} and {inner_b}: cannot multiply "
            f"{_fmt(a, transpose_a)} by {_fmt(b, transpose_b)}"
        )
    return (*broadcast_shape(a[:-2], b[:-2]), rows, cols)  # batch dimensions broadcast, as np.matmul's do


def _fmt(shape, transposed):
    text = "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
    return text + "ᵀ" if transposed else text


@defop("MatMul", shape=_matmul_shape, out=True, into_inputs=False)
def matmul_op(a, b, *, transpose_a=False, transpose_b=False, out=None):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b, out=out)


@matmul_op.defgrad
def _matmul_grad(op, g):
    # For c = a b: da = g bᵀ, db = aᵀ g; with the transpose flags folded in so no transpose op is built.
    a, b = op.inputs
    ta, tb = op.attrs.get("transpose_a", False), op.attrs.get("transpose_b", False)
    if ta:
        ga = matmul(b, g, transpose_a=tb, transpose_b=True)
    else:
        ga = matmul(g, b, transpose_b=not tb)
    if tb:
        gb = matmul(g, a, transpose_a=True, transpose_b=ta)
    else:
        gb = matmul(a, g, transpose_a=not ta)
    if not _same_batch(a.shape, b.shape):
        ga, gb = sum_to(ga, a), sum_to(gb, b)  # undo the broadcasting of batch dimensions
    return ga, gb


@public
def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
) -> Node:
    """The matrix product `a @ b` (TF-1 `matmul`), batched over leading dimensions.

    Args:
        a: shape (..., m, k), or (..., k, m) with `transpose_a`.
        b: shape (..., k, n), or (..., n, k) with `transpose_b`; leading (batch) dimensions broadcast with `a`'s.
        transpose_a: multiply by the transpose of `a`'s last two axes (no transposed copy is made).
        transpose_b: likewise for `b`.
        adjoint_a: the conjugate transpose; graphflow's dtypes are real, so this is `transpose_a`.
        adjoint_b: likewise for `b`.
        a_is_sparse: a performance hint in TF-1; accepted and ignored (numpy multiplies dense arrays).
        b_is_sparse: likewise for `b`.
        name: the node's name.

    Returns:
        Shape (..., m, n), the dtype of `a` and `b` (which must agree).

    Raises:
        ValueError: ranks below 2, inner dimensions that differ, or both `transpose_x` and `adjoint_x` set.

    Gradient: for c = a b, da = g bᵀ and db = aᵀ g (summed over broadcast batch dimensions).

    Examples:
        >>> c = gf.matmul([[1.0, 2.0]], [[3.0], [4.0]])
        >>> gf.Session().run(c)
        array([[11.]], dtype=float32)
    """
    for transposed, adjoint, which in ((transpose_a, adjoint_a, "a"), (transpose_b, adjoint_b, "b")):
        if transposed and adjoint:
            raise ValueError(f"matmul: only one of transpose_{which} and adjoint_{which} can be True")
    return matmul_op(
        a, b, transpose_a=bool(transpose_a or adjoint_a), transpose_b=bool(transpose_b or adjoint_b), name=name
    )


def _same_batch(a, b) -> bool:
    """Whether the static shapes prove that a and b have the same batch dimensions (so nothing was broadcast)."""
    if a is None or b is None or len(a) != len(b):
        return False
    return all(x is not None and x == y for x, y in zip(a[:-2], b[:-2], strict=True))


def _transpose_shape(x, *, perm):
    if x is None:
        return None
    if perm is None:
        return tuple(reversed(x))
    if sorted(perm) != list(range(len(x))):
        raise ValueError(f"perm {list(perm)} is not a permutation of the {len(x)} axes")
    return tuple(x[p] for p in perm)


@defop("Transpose", shape=_transpose_shape, views=True)
def transpose_op(x, *, perm):
    return np.transpose(x, perm)


@transpose_op.defgrad
def _transpose_grad(op, g):
    perm = op.attrs["perm"]
    return (transpose_op(g, perm=None if perm is None else tuple(np.argsort(perm).tolist())),)


@public(default_only=("conjugate",))
def transpose(a: Any, perm: Any = None, name: str | None = None, conjugate: bool = False) -> Node:
    """Permutes the axes of `a` (TF-1 `transpose`); with `perm` None, reverses them (a matrix's transpose).

    Args:
        a: a tensor of any rank r.
        perm: a permutation of 0..r-1: output axis i is input axis perm[i]. None: (r-1, ..., 0).
        name: the node's name.
        conjugate: TF-1's conjugate transpose for complex dtypes, which graphflow does not have; only False.

    Returns:
        A tensor of shape `[a.shape[p] for p in perm]`, a view of `a` when run (no copy).

    Gradient: the inverse permutation of g, transpose(g, argsort(perm)).

    Examples:
        >>> t = gf.transpose(gf.zeros([2, 3, 4]), perm=[2, 0, 1])
        >>> t.shape
        TensorShape([4, 2, 3])
    """
    return transpose_op(a, perm=None if perm is None else tuple(int(p) for p in perm), name=name)
