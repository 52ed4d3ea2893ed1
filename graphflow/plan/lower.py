"""Lowering: the part of the graph one request needs, as a flat list of steps over numbered slots.

The walk from the fetches (stopping at fed nodes) gives the nodes in topological order; node i gets slot i.
Constants go into the template a run starts from, variables and feeds are listed with their slots, and each
operation becomes a `Step`. Ops that change variables read the slot of the variable's newest value in the run, and
the last of them gives the value committed when the run succeeds. Inside a `gf.cond` branch the newest value is the
branch's own: each branch starts from the value before the cond, and after the cond's last Merge a step picks, for
each variable a branch updates, the value of the branch that ran. The passes (`passes.py`) then decide where each
result's array comes from and when each value is dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from graphflow import errors
from graphflow.graph import topo_order
from graphflow.nodes import Constant, Node, Operation, Placeholder
from graphflow.ops.control_flow import DEAD
from graphflow.plan.steps import Plan, Step
from graphflow.shapes import dtype_name, format_shape
from graphflow.variables import Variable


def lower(
    fetches: Sequence[Node],
    feed_keys: Sequence[Any],
    feed_nodes: Sequence[Node],
    rng_for: Callable[[Operation], np.random.Generator],
    compile: Callable[[list[Node], list[Node]], Callable[[list[Any]], list[Any]]] | None = None,
) -> Plan:
    """The plan for `fetches` given values for `feed_nodes` (whose feed_dict keys are `feed_keys`), before passes.

    `compile(fetches, feeds)` compiles a part of the graph that an op runs itself (see `OpDef.programs`).

    Raises:
        gf.errors.InvalidArgumentError: a placeholder the fetches need is not fed, or an update changes a variable
            that is fed.
    """
    fed = set(feed_nodes)
    nodes = topo_order(fetches, cut=fed)
    slot = {node: i for i, node in enumerate(nodes)}
    plan = Plan(
        nodes=nodes,
        owners={},
        template=[None] * len(nodes),
        variables=[],
        feeds=[(slot[node], node, key) for node, key in zip(feed_nodes, feed_keys, strict=True) if node in slot],
        buffers=[],
        steps=[],
        fetch_slots=[],
        commits=[],
        uninitialized=[],
    )
    latest = Latest()
    updated = Counter(ref for node in nodes if node not in fed for ref in changed_by(node))
    conds = nodes[0].graph._conds if nodes else {}
    last_merge = {conds[node]: node for node in nodes if node in conds}  # of each cond, the last Merge computed
    for node in nodes:
        if node in fed:
            continue
        if isinstance(node, Operation):
            opdef = node.opdef
            if opdef.ref is None and not opdef.needs_rng and opdef.programs is None and not node.control_inputs:
                fn = node.opdef.ufunc or node.opdef.forward  # a ufunc op is called as the ufunc: one frame fewer
                plan.steps.append(Step(node, fn, tuple([slot[i] for i in node.inputs]), node.attrs, slot[node]))
            else:
                plan.steps.append(_step(plan, node, slot, latest, updated, fed, rng_for, compile))
            if node in conds and last_merge[conds[node]] is node:
                plan.steps.extend(_merge_variables(plan, node, conds[node], slot, latest))
        elif isinstance(node, Variable):
            plan.variables.append((slot[node], node))
        elif isinstance(node, Constant):
            plan.template[slot[node]] = node.value
        elif isinstance(node, Placeholder):
            raise errors.InvalidArgumentError(
                node,
                f"You must feed a value for placeholder '{node.op_name}' with dtype {dtype_name(node.dtype)} "
                f"and shape {format_shape(node.shape)}: pass it in feed_dict, e.g. "
                f"sess.run(..., feed_dict={{{node.op_name}: value}})",
            )
    plan.fetch_slots = [slot[node] for node in fetches]  # after the steps: a multi-variable update moved its slot
    plan.commits = list(latest.outside.items())
    plan.uninitialized = sorted(_read_variables(plan), key=lambda v: v.op_name)
    return plan


def _read_variables(plan: Plan) -> set[Variable]:
    """The variables whose current value is fetched or read by a step: all but those only overwritten (the target
    of an `assign`), which need no initial value."""
    read = set(plan.fetch_slots)
    for step in plan.steps:
        skip = step.op.opdef.updates if step.op.opdef.ref == "write" else 0
        read.update(step.inputs[skip:])
    return {var for s, var in plan.variables if s in read}


class Latest:
    """The slot of each variable's newest value, as the run goes: outside any cond branch, and in each branch."""

    def __init__(self) -> None:
        self.outside: dict[Variable, int] = {}
        self.inside: dict[Any, dict[Variable, int]] = {}  # by cond branch (graphflow/control_flow.py `_Branch`)

    def get(self, context: Any, var: Variable, default: int) -> int:
        """The newest value seen from `context`: its own update, else its enclosing branch's, ..., else outside's."""
        for branch in _branches(context):
            if var in self.inside.get(branch, {}):
                return self.inside[branch][var]
        return self.outside.get(var, default)

    def set(self, context: Any, var: Variable, s: int) -> None:
        branch = next(_branches(context), None)
        (self.outside if branch is None else self.inside.setdefault(branch, {}))[var] = s


def _branches(context: Any) -> Iterator[Any]:
    """The cond branches around an op, innermost first (a while loop's frame, which updates nothing, is passed by)."""
    while context is not None:
        if hasattr(context, "side"):
            yield context
        context = context.outer


def _merge_variables(
    plan: Plan, merge: Operation, branches: tuple[Any, Any], slot: dict[Node, int], latest: Latest
) -> list[Step]:
    """After the last of a cond's Merge ops in the plan: for each variable either branch updates, a step that gives
    the newest value of the branch the predicate picked (a branch that left the variable alone gives the value before
    the cond)."""
    steps = []
    pred = slot[merge.inputs[0]]
    changed = {var: None for branch in branches for var in latest.inside.get(branch, {})}
    for var in changed:
        t, f = (latest.get(branch, var, slot[var]) for branch in branches)
        out = _extra_slot(plan, merge)
        steps.append(Step(merge, pick_by_pred, (pred, t, f), {}, out))
        latest.set(merge.context, var, out)
    return steps


def pick_by_pred(pred: Any, t: Any, f: Any) -> Any:
    """A variable's newest value after a cond: the true branch's if `pred`, else the false branch's (DEAD inside an
    enclosing branch that did not run)."""
    if pred is DEAD:
        return DEAD
    return t if pred else f


def _step(
    plan: Plan,
    op: Operation,
    slot: dict[Node, int],
    latest: Latest,
    updated: Counter,
    fed: set[Node],
    rng_for: Callable[[Operation], np.random.Generator],
    compile: Callable[..., Any] | None,
) -> Step:
    """The step for an op that changes variables, draws random numbers or has control inputs. It reads each changed
    variable's newest slot and passes its new value on; a random op gets the session's generator for it."""
    # An op that runs after updates (its control inputs) reads the values they gave the variables.
    after = _updated_by(op.control_inputs) if op.control_inputs else ()
    args = [latest.get(op.context, i, slot[i]) if i in after else slot[i] for i in op.inputs]
    changed = changed_by(op)
    # Where each changed variable's new value goes; the first is the op's own output. An op that changes several
    # variables returns a tuple, which lands in as many consecutive slots of its own.
    outs = [slot[op]]
    if len(changed) > 1:
        outs = [_extra_slot(plan, op) for _ in changed]
        slot[op] = outs[0]
    for k, ref in enumerate(changed):
        if ref in fed:
            raise errors.InvalidArgumentError(
                op,
                f"{op.type} '{op.op_name}' updates variable '{ref.op_name}', which is fed in this run; "
                "a fed variable cannot be updated",
            )
        args[k] = latest.get(op.context, ref, slot[ref])
        latest.set(op.context, ref, outs[k])
    for ref in changed:
        # The slot of a recycled array to write the new value into. A variable updated twice in a run gets none
        # (the slot stays None): its second update would overwrite a value the first one handed on.
        buffer = _extra_slot(plan, op)
        if updated[ref] == 1:
            plan.buffers.append((buffer, ref))
        args.append(buffer)
    attrs = op.attrs
    if op.opdef.needs_rng:
        attrs = {k: v for k, v in attrs.items() if k != "seed"}
        attrs["rng"] = rng_for(op)
    if op.opdef.programs is not None:
        attrs = op.opdef.programs(op, compile)
    fn = op.opdef.ufunc or op.opdef.forward
    output = outs[0] if len(outs) == 1 else slice(outs[0], outs[-1] + 1)  # env[a:b] = (x, y, z) fills three
    return Step(op, fn, tuple(args), attrs, output)


def _extra_slot(plan: Plan, op: Operation) -> int:
    """A new slot past the nodes' own, for a value `op` makes or uses besides its output."""
    plan.template.append(None)
    plan.owners[len(plan.template) - 1] = op
    return len(plan.template) - 1


def _updated_by(nodes: Sequence[Node]) -> set[Variable]:
    """The variables that `nodes` or anything they depend on update."""
    return {var for node in topo_order(nodes) for var in changed_by(node)}


def changed_by(node: Node) -> tuple[Variable, ...]:
    """The variables an op changes: its first `opdef.updates` inputs, if it is an update; none otherwise."""
    if isinstance(node, Operation) and node.opdef.ref is not None:
        return node.inputs[: node.opdef.updates]
    return ()
