"""Running a plan: a loop over its steps that only indexes slots.

A run starts from a copy of the plan's template (the constants), with the variables' values, the spare buffers and
the fed values put in their slots by the session. Each step calls its function on the values in its input slots,
writes the result into its output slot, and drops the values it read last. Nothing here changes a variable: the
session commits the new values after the last step, only if every step succeeded.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Mapping
from contextvars import copy_context
from typing import Any

import numpy as np

from graphflow import errors
from graphflow.nodes import Node
from graphflow.ops.control_flow import DEAD
from graphflow.plan import passes
from graphflow.plan.steps import Plan, Signature, Step
from graphflow.shapes import format_shape
from graphflow.variables import Variable

Array = np.ndarray
_NO_CASTING = {"casting": "no"}  # a ufunc writing into an input must not round its result into a narrower dtype
_NOTHING: dict[str, Any] = {}


def fresh_env(
    plan: Plan, values: Mapping[Variable, Array], spares: dict[Variable, Array], feeds: list[Array]
) -> list[Any]:
    """The slots a run starts from. Takes each spare buffer the plan's updates may write into out of `spares`, so
    that no other run can be handed it."""
    env = plan.template.copy()
    for s, var in plan.variables:
        env[s] = values.get(var)
    for s, var in plan.buffers:
        env[s] = spares.pop(var, None)
    for (s, _, _), value in zip(plan.feeds, feeds, strict=True):
        env[s] = value
    return env


def run(plan: Plan, env: list[Any]) -> None:
    """Runs every step on `env`, in order. numpy's floating-point warnings name the step's op (`numeric_warning`).

    The loop runs in a copy of the caller's context, so the numpy state it sets to route the warnings (a context
    variable) is gone when it returns, even when an interrupt lands anywhere in it.

    Raises:
        gf.errors.InvalidArgumentError: a step failed; the message names its op, where it was built and the shapes
            and dtypes it was given.
    """
    copy_context().run(_run, plan, env)


def _run(plan: Plan, env: list[Any]) -> None:
    _route_warnings()
    out = inputs = None
    try:
        for fn, inputs, attrs, out, frees in plan.program:
            # One- and two-input calls are spelled out: building an argument list costs more than a small op.
            if attrs:
                env[out] = fn(*[env[s] for s in inputs], **attrs)
            elif len(inputs) == 2:
                env[out] = fn(env[inputs[0]], env[inputs[1]])
            elif len(inputs) == 1:
                env[out] = fn(env[inputs[0]])
            else:
                env[out] = fn(*[env[s] for s in inputs])
            for s in frees:
                env[s] = None
    except Exception as e:
        error = failure(plan.node_at(out), e, [env[s] for s in inputs])
        env.clear()  # the values are not handed on, and the traceback keeps none of them alive
        raise error from e


def run_checked(plan: Plan, env: list[Any]) -> None:
    """`run` that also stops at the first op whose output holds NaN or Inf (`Session(debug_nans=True)`).

    A separate loop, so the plain one pays nothing for the check. The check reports every NaN and Inf with its op, so
    numpy's own warnings, which would only repeat it, are silenced (a category the caller set to raise still raises).
    """
    quiet = {k: "ignore" if v == "warn" else v for k, v in np.geterr().items()}
    try:
        with np.errstate(**quiet):
            for fn, inputs, attrs, out, frees in plan.program:
                args = [env[s] for s in inputs]
                try:
                    value = fn(*args, **attrs)
                except Exception as e:
                    raise failure(plan.node_at(out), e, args) from e
                if _non_finite(value):
                    raise _non_finite_error(plan.node_at(out), value, args)
                env[out] = value
                for s in frees:
                    env[s] = None
    except errors.OpError:
        env.clear()
        raise


def program(plan: Plan) -> list[tuple[Any, ...]]:
    """The steps as the run loop reads them: `(fn, inputs, attrs, output, frees)`, with `fn` bound to write into
    the array the passes chose for the step (`into`, `recycle`) and to skip it when an input is DEAD (`guards`), so
    the loop itself makes no decision."""
    return [
        (_guarded(step, _bound(step, plan)), step.reads(), step.attrs, step.output, step.frees) for step in plan.steps
    ]


def _guarded(step: Step, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, skipped (giving DEAD) when one of its inputs or guards is DEAD, for a step that may get DEAD."""
    if step.guards is None:
        return fn
    n = len(step.inputs)
    dead = DEAD if type(step.output) is int else (DEAD,) * len(step.outputs())

    def unless_dead(*args: Any, **attrs: Any) -> Any:
        for a in args:
            if a is DEAD:
                return dead
        return fn(*args[:n], **attrs)

    return unless_dead


def _bound(step: Step, plan: Plan) -> Callable[..., Any]:
    fn = step.fn
    if step.into is not None:
        i = step.into
        extra = _NO_CASTING if type(fn) is np.ufunc else _NOTHING

        def into_input(*args: Any, **attrs: Any) -> Any:
            """`fn(*args, **attrs)` written into `args[i]` when that array has the result's shape and dtype."""
            if type(args[i]) is np.ndarray:
                try:
                    return fn(*args, out=args[i], **attrs, **extra)
                except (TypeError, ValueError):  # the result needs another shape or dtype (a broadcast, a promotion)
                    pass
            return fn(*args, **attrs)

        return into_input
    if step.recycle:
        pool, slot = plan.pool, step.output

        def into_kept(*args: Any, **attrs: Any) -> Any:
            """`fn(*args, **attrs)` written into the array this step made in an earlier run of this thread, when the
            inputs have the shapes and dtypes they had then (so the result has that array's shape and dtype)."""
            kept = pool.kept()
            signature = _signature(args)
            entry = kept.get(slot)
            if entry is not None and entry[0] == signature:
                return fn(*args, out=entry[1], **attrs)
            result = fn(*args, **attrs)
            if type(result) is np.ndarray and result.nbytes >= passes.RECYCLE_BYTES and signature is not None:
                kept[slot] = (signature, result)
            return result

        return into_kept
    return fn


class Subprogram:
    """A part of the graph that an op runs itself (a while loop's condition or body), as a function from values for
    its feeds, in order, to its fetched values.

    Raises:
        gf.errors.InvalidArgumentError: from a step of the part; an update in it, which no part may make.
    """

    def __init__(self, plan: Plan) -> None:
        if plan.commits:
            var = plan.commits[0][0]
            raise errors.InvalidArgumentError(
                plan.node_at(plan.commits[0][1]),
                f"'{var.op_name}' is updated inside a while loop's condition or body; a loop may not change variables. "
                "Return the new value as a loop variable and assign it after the loop",
            )
        self.plan = plan

    def __call__(self, values: list[Any]) -> list[Any]:
        plan = self.plan
        env = fresh_env(plan, {}, {}, [values[key] for _, _, key in plan.feeds])
        (run_checked if plan.debug else run)(plan, env)
        return [env[s] for s in plan.fetch_slots]


def _signature(args: tuple[Any, ...]) -> Signature | None:
    """The shape and dtype of each input, or None when one is not an array."""
    try:
        return tuple((a.shape, a.dtype) for a in args)
    except AttributeError:
        return None


# --------------------------------------------------------------------------------------------------------------------
# Errors and warnings


def _errstate() -> dict[str, Any]:
    """`np.errstate` arguments that route numpy's floating-point warnings inside a run to `numeric_warning`, which names
    the op. A category the caller set to ignore or raise keeps that setting (`np.seterr`); if the caller installed a
    handler of its own (`call`, `log`), everything stays as the caller set it."""
    modes = np.geterr()
    if "call" in modes.values() or "log" in modes.values():
        return {}
    return {"call": numeric_warning, **{k: "call" if v == "warn" else v for k, v in modes.items()}}


# numpy (2.0 and later) keeps its floating-point error state in a context variable. Entering `np.errstate` for every
# run would cost about 1.3 µs, a fifth of a small run, so the state `_errstate` makes is kept for the last state it was
# made from, and a run only sets the variable (in its own copy of the context, see `run`). With numpy 1.x, whose state
# is not a context variable, warnings are left as numpy gives them.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _numpy_state
except ImportError:  # numpy 1.x
    _numpy_state = None
_routed: tuple[Any, Any] = (None, None)  # (the caller's state, the same with warnings routed to numeric_warning)


def _route_warnings() -> None:
    """Routes numpy's warnings to `numeric_warning` for the rest of the current context."""
    global _routed
    if _numpy_state is None:
        return
    cached = _routed  # read once: another thread may replace it
    outer = _numpy_state.get()
    if cached[0] is not outer:
        with np.errstate(**_errstate()):
            cached = _routed = (outer, _numpy_state.get())
    _numpy_state.set(cached[1])


def numeric_warning(kind: str, flag: int) -> None:
    """Warns as numpy would, naming the op whose step met `kind` ("overflow", "invalid value", ...) and where the user
    built it, and attributed to the user's line that ran the session rather than to this module."""
    frame, op = sys._getframe(1), None
    while frame is not None and op is None:
        if frame.f_code is _RUN_LOOP:
            local = frame.f_locals
            op = local["plan"].node_at(local["out"])
        frame = frame.f_back
    level = 2  # 1 is this function; count the frames of graphflow and numpy above it
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_FILES):
        level += 1
        frame = frame.f_back
    where = errors.defined_at(op) if op is not None else ""
    warnings.warn(
        f"{kind} encountered in "
        + (f"{op.type} '{op.op_name}'" if op is not None else "an op")
        + (f", defined at {where}" if where else "")
        + ". "
        "Session(debug_nans=True) stops the run at the first op that gives NaN or Inf and shows its inputs.",
        errors.NumericWarning,
        stacklevel=level,
    )


_RUN_LOOP = _run.__code__
_LIBRARY_FILES = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep, os.path.dirname(np.__file__))


def failure(op: Node, error: Exception, values: list[Any]) -> errors.OpError:
    """The error for a step whose op raised `error` on the arrays `values` the step read."""
    # `values` may go on past the op's inputs (the buffers an update writes into), or, for a fused step, be the
    # inputs of the op inside it; plain zip pairs what there is, so describing the error can never raise another.
    given = [_given(x, v) for x, v in zip(op.inputs, values)]  # noqa: B905
    return errors.InvalidArgumentError(
        op,
        f"{op.type} '{op.op_name}' failed: {error}\n  inputs: {', '.join(given) or 'none'}\nNo variable was changed.",
    )


def _given(node: Node, value: Any) -> str:
    """An input as a step got it: its actual shape and dtype, and the static shape where that says less."""
    declared = format_shape(node.shape)
    shape, dtype = np.shape(value), getattr(value, "dtype", type(value).__name__)
    actual = format_shape(shape)
    return f"'{node.op_name}' {dtype} {actual}" + ("" if declared == actual else f" (declared {declared})")


def _non_finite_error(op: Node, value: Any, inputs: list[Any]) -> errors.OpError:
    # `inputs` may go on past the op's inputs with the buffers an update writes into; those are not described.
    described = zip(op.inputs, inputs[: len(op.inputs)], strict=True)
    lines = [f"  input {i} '{x.op_name}': {summary(v)}" for i, (x, v) in enumerate(described)]
    return errors.InvalidArgumentError(
        op,
        f"{op.type} '{op.op_name}' produced {summary(value)}; it is the first op of this run to do so. "
        "Its inputs were:\n" + "\n".join(lines or ["  (none)"]) + "\nNo variable was changed.",
    )


def _non_finite(value: Any) -> bool:
    """Whether a step's output is a float array (or number) with a NaN or Inf in it, or a tuple holding one."""
    if type(value) is tuple:
        return any(_non_finite(v) for v in value)
    array = np.asarray(value) if value is not None else None
    return array is not None and array.dtype.kind == "f" and not np.isfinite(array).all()


def summary(value: Any) -> str:
    """shape, dtype, NaN/Inf counts and the range of the finite values, for debug messages."""
    if value is None:
        return "no value"
    array = np.asarray(value)
    text = f"shape {array.shape} {array.dtype}"
    if array.dtype.kind != "f":
        return text
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    finite = array[np.isfinite(array)]
    text += f", {nan} NaN, {inf} Inf"
    if finite.size:
        text += f", finite values in [{finite.min():.4g}, {finite.max():.4g}] with mean {finite.mean():.4g}"
    return text
