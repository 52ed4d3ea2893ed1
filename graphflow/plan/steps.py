"""What a compiled plan is made of: `Step` records over numbered slots, and the `Plan` that holds them.

A plan is data, not code: each step names the op it computes, the function called, the slots it reads and writes,
where its result's array comes from, and which slots it frees. `print(plan)` shows all of it, one line a step.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from graphflow.nodes import Constant, Node, Operation, Placeholder
from graphflow.variables import Variable

Array = np.ndarray
Signature = tuple[tuple[tuple[int, ...], np.dtype], ...]


class Step(NamedTuple):
    """One op of a plan: `env[output] = fn(*[env[s] for s in inputs], **attrs)`.

    Attributes:
        op: the operation computed (for a fused pair, the outer op; `fused` names the inner one).
        fn: the function called: the op's forward, its numpy ufunc, or a fusion's function.
        inputs: the slots read, in order.
        attrs: keyword arguments (the op's attributes; `rng=` for a random op).
        output: the slot written, or for an op that changes several variables a slice of consecutive slots that the
            tuple of their new values fills.
        into: the index of an input whose array the result is written into (this step is that input's last reader
            and the run made the array), or None.
        recycle: the result is written into the array this step made in an earlier run of the same thread, when
            that array was large enough to keep (see `Pool`); the passes have checked that no fetch or committed
            value can be that array. Printed as "recycles".
        frees: slots whose last reader this step is; the run drops their values after it.
        fused: the inner op of a fused pair, or None.
        guards: for a step that may be skipped, because an input may be DEAD (the value of an op in the branch of
            a `gf.cond` that was not taken): the slots of the control inputs that may be DEAD too. The step is
            skipped, and gives DEAD, when any input or any of these is. None for a step that always runs.
    """

    op: Operation
    fn: Callable[..., Any]
    inputs: tuple[int, ...]
    attrs: Mapping[str, Any]
    output: int | slice
    into: int | None = None
    recycle: bool = False
    frees: tuple[int, ...] = ()
    fused: Operation | None = None
    guards: tuple[int, ...] | None = None

    def reads(self) -> tuple[int, ...]:
        """Every slot the step reads: its inputs, and the guards it checks."""
        return self.inputs if self.guards is None else self.inputs + self.guards

    def outputs(self) -> range:
        """The slots the step writes: one, or as many as the variables a fused update changes."""
        out = self.output
        return range(out.start, out.stop) if type(out) is slice else range(out, out + 1)


class Pool:
    """The arrays recycling steps write into, kept between runs: one per step and thread.

    Each thread has its own, so two runs of a plan in two threads never share one. Within a thread runs follow one
    another, and a kept array is never a value that outlives its run (the passes check it), so the next run of the
    thread may write into it.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def kept(self) -> dict[int, tuple[Signature, Array]]:
        """This thread's arrays: the inputs' shapes and dtypes, and the result array, by the step's output slot."""
        kept = getattr(self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = {}
        return kept

    def arrays(self) -> list[Array]:
        """The arrays this thread keeps now (for tests and memory accounting)."""
        return [array for _, array in self.kept().values()]


@dataclass(eq=False)
class Plan:
    """A compiled request: the slots that hold its inputs and results, and the steps between them.

    Attributes:
        nodes: slot i holds the value of nodes[i], for i < len(nodes); later slots belong to an op (`owners`).
        owners: for each slot past the nodes', the op that uses it: a buffer an update writes its new value into,
            or one of the values of an op that changes several variables.
        template: the slots a run starts from, holding the constants' values.
        variables: `(slot, variable)` for each variable whose current value the plan reads.
        feeds: `(slot, node, key)` for each fed node the request needs; `key` is its key in the feed_dict.
        buffers: `(slot, variable)`: where a recycled array for the variable's next value goes, for each variable
            updated once in the plan (the session's spare for it, or None).
        steps: the steps, in order.
        fetch_slots: the slot of each fetch.
        fetch_copies: the indices of the fetches whose array may belong to someone else (a variable's value, a
            constant, a committed update), so that the caller is handed a copy; the run made the others' arrays.
        commits: `(variable, slot)`: the variable's new value when the run succeeds.
        uninitialized: variables whose value the plan reads, to initialise before its first run in a session.
        pool: the arrays recycling steps keep between runs.
        program: the steps as the run loop reads them, `(fn, inputs, attrs, output, frees)`, where `fn` already
            writes into the array the step's `into` or `recycle` chose and checks its guards (see
            `execute.program`).
        debug: the plan checks every op's output (`Session(debug_nans=True)`).
        ops_fetched: the indices of the fetches that name an operation rather than its tensor (`train.op`, or a
            name without `:0`): the op runs and the fetch gives None, as in TF-1.
        conditional: some steps may be skipped (the plan runs a `gf.cond`), so a fetch or commit may be DEAD.
    """

    nodes: list[Node]
    owners: dict[int, Operation]
    template: list[Any]
    variables: list[tuple[int, Variable]]
    feeds: list[tuple[int, Node, Any]]
    buffers: list[tuple[int, Variable]]
    steps: list[Step]
    fetch_slots: list[int]
    commits: list[tuple[Variable, int]]
    uninitialized: list[Variable]
    fetch_copies: tuple[int, ...] = ()
    ops_fetched: tuple[int, ...] = ()
    pool: Pool = field(default_factory=Pool)
    program: list[tuple[Any, ...]] = field(default_factory=list)
    debug: bool = False
    conditional: bool = False

    def node_at(self, slot: int | slice) -> Node:
        """The node whose value `slot` (or a step's slice of slots) holds, or the op that made or uses it."""
        if type(slot) is slice:
            slot = slot.start
        return self.nodes[slot] if slot < len(self.nodes) else self.owners[slot]

    def outlive(self) -> set[int]:
        """The slots read after the last step: the fetches and the committed values."""
        return {*self.fetch_slots, *(s for _, s in self.commits)}

    def __str__(self) -> str:
        return "\n".join(describe(self))

    def __repr__(self) -> str:  # a dataclass's generated repr would dump every field
        return f"<gf.Plan: {len(self.fetch_slots)} fetches, {len(self.feeds)} feeds, {len(self.steps)} steps>"

    def _repr_html_(self) -> str:
        """In a notebook: the printed plan, monospaced, as it is meant to be read line by line."""
        return f"<pre style='font-size:90%'>{html.escape(str(self))}</pre>"


def describe(plan: Plan) -> list[str]:
    """The plan as text: its inputs, one line per step, then the fetches and commits."""
    fed = {s for s, _, _ in plan.feeds}
    lines = [f"Plan: {len(plan.fetch_slots)} fetches, {len(plan.feeds)} feeds, {len(plan.steps)} steps"]
    for s, node in enumerate(plan.nodes):
        if s in fed or not isinstance(node, Operation):
            kind = "fed" if s in fed else _kind(node)
            lines.append(f"  s{s:<4} {kind:<9} {node.op_name}")
    calls = [f"{_slots(step)} = {_name(step.fn)}({', '.join(f's{s}' for s in step.inputs)})" for step in plan.steps]
    ops = [step.op.op_name + (f" (with {step.fused.op_name})" if step.fused is not None else "") for step in plan.steps]
    call_width, op_width = (min(60, max(map(len, texts), default=0)) for texts in (calls, ops))
    for i, (step, call, op) in enumerate(zip(plan.steps, calls, ops, strict=True)):
        notes = [f"into s{step.inputs[step.into]}"] if step.into is not None else []
        notes += ["recycles"] if step.recycle else []
        notes += ["skipped if an input is dead"] if step.guards is not None else []
        notes += [f"frees {' '.join(f's{s}' for s in step.frees)}"] if step.frees else []
        lines.append(f"  {i:>4}  {call:<{call_width}}  {op:<{op_width}}  {'; '.join(notes)}".rstrip())
    for i, s in enumerate(plan.fetch_slots):
        lines.append(f"  fetch  s{s}{' (copied)' if i in plan.fetch_copies else ''}")
    for var, s in plan.commits:
        lines.append(f"  commit {var.op_name} = s{s}")
    return lines


def _kind(node: Node) -> str:
    if isinstance(node, Variable):
        return "variable"
    if isinstance(node, Constant):
        return "constant"
    return "feed" if isinstance(node, Placeholder) else node.type


def _slots(step: Step) -> str:
    return ",".join(f"s{s}" for s in step.outputs())


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", type(fn).__name__)
