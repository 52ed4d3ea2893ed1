"""Ops that change variables (assign, assign_add, assign_sub) and `group`.

A session runs them transactionally: within a run, each update sees the updates before it, and the new values are
stored in the session only when the whole run has succeeded, so a failing run changes no variable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.nodes import Node
from graphflow.registry import defop, public
from graphflow.variables import Variable


def _assign_shape(ref, value, **_):
    if ref is not None and value is not None and len(ref) == len(value):
        for r, v in zip(ref, value, strict=True):
            if r is not None and v is not None and r != v:
                raise ValueError(f"cannot assign a value of shape {tuple(value)} to a variable of shape {tuple(ref)}")
    elif ref is not None and value is not None:
        raise ValueError(f"cannot assign a value of shape {tuple(value)} to a variable of shape {tuple(ref)}")
    return ref


def _keeps_shape(ref: np.ndarray | None, value: np.ndarray, broadcast: bool) -> None:
    """A variable keeps its shape: refuse a value that would change it (`broadcast`: one that stretches to it is
    fine, as for assign_add)."""
    shape = np.shape(value)
    if ref is None or shape == ref.shape:
        return
    try:
        fits = broadcast and np.broadcast_shapes(ref.shape, shape) == ref.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"cannot assign a value of shape {shape} to a variable of shape {ref.shape}")


# Each update's `out` is a buffer the session recycles for the variable's next value (None: a new array). Writing
# into it never touches the variable's current value, so a run that fails later still leaves the variable as it was.


@defop("Assign", shape=_assign_shape, ref="write")
def assign_op(ref, value, out=None):
    _keeps_shape(ref, value, broadcast=False)
    if out is None:  # a copy, so the session's state never aliases an array the caller still holds
        return np.array(value, dtype=None if ref is None else ref.dtype, copy=True)
    np.copyto(out, value)
    return out


@defop("AssignAdd", shape=_assign_shape, ref="update")
def assign_add_op(ref, value, out=None):
    _keeps_shape(ref, value, broadcast=True)
    return np.add(ref, value, out=out)


@defop("AssignSub", shape=_assign_shape, ref="update")
def assign_sub_op(ref, value, out=None):
    _keeps_shape(ref, value, broadcast=True)
    return np.subtract(ref, value, out=out)


def _variable(ref: Any, what: str) -> Variable:
    if not isinstance(ref, Variable):
        raise TypeError(f"{what} needs a gf.Variable as its first argument, got {ref!r}")
    return ref


@public
def assign(
    ref: Variable,
    value: Any,
    validate_shape: bool | None = None,
    use_locking: bool | None = None,
    name: str | None = None,
) -> Node:
    """Sets `ref` to `value` (TF-1 `assign`); running the op changes the variable in that session.

    Args:
        ref: the `gf.Variable` to change.
        value: a tensor of the variable's shape and dtype.
        validate_shape: only None or True: the value must have the variable's shape.
        use_locking: accepted and ignored: a graphflow run never updates a variable concurrently.
        name: the node's name.

    Returns:
        The op; its output is the variable's new value.

    Raises:
        TypeError: `ref` is not a Variable.

    Gradient: none: a state change.

    Examples:
        >>> v = gf.Variable([1.0, 2.0])
        >>> gf.Session().run(gf.assign(v, [5.0, 6.0]))
        array([5., 6.], dtype=float32)
    """
    if validate_shape is False:
        raise NotImplementedError("assign: validate_shape=False (changing a variable's shape) is not supported")
    return assign_op(_variable(ref, "assign"), value, name=name)


@public
def assign_add(ref: Variable, value: Any, use_locking: bool | None = None, name: str | None = None) -> Node:
    """Adds `value` to `ref` (TF-1 `assign_add`); running the op changes the variable in that session.

    Args:
        ref: the `gf.Variable` to change.
        value: a tensor of the variable's shape and dtype.
        use_locking: accepted and ignored: a graphflow run never updates a variable concurrently.
        name: the node's name.

    Returns:
        The op; its output is the variable's new value.

    Raises:
        TypeError: `ref` is not a Variable.

    Gradient: none: a state change.

    Examples:
        >>> v = gf.Variable([1.0, 2.0])
        >>> gf.Session().run(gf.assign_add(v, [1.0, 1.0]))
        array([2., 3.], dtype=float32)
    """
    return assign_add_op(_variable(ref, "assign_add"), value, name=name)


@public
def assign_sub(ref: Variable, value: Any, use_locking: bool | None = None, name: str | None = None) -> Node:
    """Subtracts `value` from `ref` (TF-1 `assign_sub`); running the op changes the variable in that session.

    Args:
        ref: the `gf.Variable` to change.
        value: a tensor of the variable's shape and dtype.
        use_locking: accepted and ignored: a graphflow run never updates a variable concurrently.
        name: the node's name.

    Returns:
        The op; its output is the variable's new value.

    Raises:
        TypeError: `ref` is not a Variable.

    Gradient: none: a state change.

    Examples:
        >>> v = gf.Variable([1.0, 2.0])
        >>> gf.Session().run(gf.assign_sub(v, [1.0, 1.0]))
        array([0., 1.], dtype=float32)
    """
    return assign_sub_op(_variable(ref, "assign_sub"), value, name=name)


def _no_output(*input_dtypes: Any, **attrs: Any) -> None:
    return None


@defop("NoOp", dtype=_no_output)
def group_op(*inputs):
    return None


@public
def group(*inputs: Any, name: str | None = None) -> Node:
    """An op that runs all `inputs` and outputs nothing (TF-1 `group`): the usual train op of several updates.

    Args:
        *inputs: nodes, or lists of nodes, to run.
        name: the node's name.

    Returns:
        An operation; fetching it runs the inputs and gives None.

    Raises:
        TypeError: an input is not a graph node.

    Gradient: none.

    Examples:
        >>> v = gf.Variable(0.0)
        >>> gf.Session().run(gf.group(gf.assign_add(v, 1.0), gf.assign_add(v, 2.0))) is None
        True
    """
    flat: list[Node] = []
    for x in inputs:
        flat.extend(x if isinstance(x, list | tuple) else [x])
    for x in flat:
        if not isinstance(x, Node):
            raise TypeError(f"group expects graph nodes, got {x!r}")
    return group_op(*flat, name=name)


@public
def no_op(name: str | None = None) -> Node:
    """An op that does nothing (TF-1 `no_op`): a point to hang control dependencies on.

    Args:
        name: the node's name.

    Returns:
        An operation; fetching it gives None.

    Gradient: none.

    Examples:
        >>> gf.Session().run(gf.no_op()) is None
        True
    """
    return group_op(name=name)
