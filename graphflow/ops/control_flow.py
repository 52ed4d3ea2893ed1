"""The ops behind `gf.cond` and `gf.while_loop` (built in graphflow/control_flow.py).

A cond is TF-1's dataflow form: each value that enters a branch passes a `Switch`, which gives it on when the
predicate picks that branch and gives `DEAD` otherwise; an op with a DEAD input is skipped by the plan and gives DEAD
too, so an untaken branch costs nothing; `Merge` gives on the value of the branch that ran. The gradient follows the
same path back: Merge's gradient switches the incoming gradient into the taken branch, and Switch's gradient turns a
DEAD gradient (from the untaken branch) into zeros, so every gradient of the branch's values is computed from the
values the forward pass computed, random draws included.

A while loop is one op, `While`, that runs its condition and body as compiled parts of the graph until the condition
is false; `TupleGet` hands out its loop variables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.registry import defop, same_dtype


class _Dead:
    """The value of an op in a branch that did not run."""

    def __repr__(self) -> str:
        return "DEAD"

    def __bool__(self) -> bool:
        raise TypeError("the value of an op in an untaken cond branch was used as a bool")


DEAD: Any = _Dead()


def _first(x, *_, **__):
    return x


@defop("Switch", shape=_first, dtype=_first, views=True, handles_dead=True)
def switch(x, pred, *, side):
    """`x` if the predicate is `side`, else DEAD (also when `x` or the predicate is DEAD: an enclosing branch that
    did not run)."""
    if pred is DEAD or x is DEAD or bool(pred) != side:
        return DEAD
    return x


@switch.defgrad
def _switch_grad(op, g):
    x, _ = op.inputs
    return undead(g, x), None  # the untaken branch sends DEAD back: its share of x's gradient is zero


def _merge_shape(pred, t, f, **_):
    if t is None or f is None or len(t) != len(f):
        return None
    return tuple(a if a == b else None for a, b in zip(t, f, strict=True))


def _merge_dtype(pred, t, f, **_):
    try:
        return same_dtype(t, f)
    except TypeError:
        raise TypeError(
            f"the two branches of a cond give different dtypes, {t} and {f}: both must give the same; cast one "
            "with gf.cast"
        ) from None


@defop("Merge", shape=_merge_shape, dtype=_merge_dtype, views=True, handles_dead=True)
def merge(pred, t, f):
    """The value of the branch that ran: `t`, or `f` when `t` is DEAD."""
    return f if t is DEAD else t


@merge.defgrad
def _merge_grad(op, g):
    pred = op.inputs[0]
    return None, switch(g, pred, side=True), switch(g, pred, side=False)


@defop("Undead", shape=lambda g, like, **_: like, dtype=_first, views=True, handles_dead=True)
def undead(g, like):
    """`g`, or zeros shaped like `like` when `g` is DEAD; DEAD when both are, as inside an enclosing branch not taken
    (its own Undead gives the zeros)."""
    if g is DEAD:
        return DEAD if like is DEAD else np.zeros(np.shape(like), np.result_type(like))
    return g


@undead.defgrad
def _undead_grad(op, gg):
    return gg, None


# --------------------------------------------------------------------------------------------------------------------
# While


def _no_dtype(*_, **__):
    return None


def _loop_programs(op, compile):
    """The While op's condition and body, compiled as functions of the loop variables and the captured values."""
    feeds = [*op.attrs["loop_vars"], *op.attrs["captured"]]
    return {
        "cond": compile([op.attrs["cond"]], feeds),
        "body": compile(list(op.attrs["body"]), feeds),
        "n_vars": len(op.attrs["loop_vars"]),
        "maximum_iterations": op.attrs["maximum_iterations"],
    }


@defop("While", shape=_no_dtype, dtype=_no_dtype, programs=_loop_programs)
def while_op(*values, cond, body, n_vars, maximum_iterations):
    """Runs `body` on the loop variables (the first values; the others are the captured ones) while `cond` is true,
    at most `maximum_iterations` times. Gives the loop variables' last values, as a tuple."""
    state, captured = list(values[:n_vars]), list(values[n_vars:])
    done = 0
    while (maximum_iterations is None or done < maximum_iterations) and bool(cond(state + captured)[0]):
        state = body(state + captured)
        done += 1
    return tuple(state)


@defop("TupleGet", shape=lambda *_, shape, **__: shape, dtype=lambda *_, dtype, **__: dtype, views=True)
def tuple_get(values, *_, index, shape, dtype):
    """Element `index` of a tuple-valued op (a While); its other inputs are the loop's inputs, which only tell the
    gradient walk where the value comes from."""
    return values[index]


@tuple_get.defgrad
def _tuple_get_grad(op, g):
    raise LookupError(
        f"No gradient through gf.while_loop '{op.inputs[0].op_name}': graphflow differentiates a loop's inputs only "
        "through gf.cond. Unroll the loop with a Python for loop to differentiate it, or cut the path with "
        "gf.stop_gradient."
    )
