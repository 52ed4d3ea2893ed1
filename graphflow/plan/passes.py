"""The passes over a lowered plan. Each is a small function from steps to steps, run once per plan, in this order:

1. `fuse`: two ops registered as a fusion (`registry.deffusion`) become one step.
2. `skip_dead`: the steps that may get DEAD inputs (in a `gf.cond` branch) are marked to be skipped then.
3. `free_after_last_use`: each step drops the values it reads last.
4. `write_in_place`: a step writes its result into an input array it reads last, when the run made that array.
5. `recycle`: a step that makes a large array writes, in later runs, into the array it made before.
6. `fetch_copies`: which fetched arrays the caller must get as copies.

`execute.program` then turns the steps into the tuples the run loop reads.

Passes 4 to 6 decide who owns each array. An array a step makes belongs to the run; the run hands it to the caller
when it is fetched, and no later run ever writes into it. A variable's value, a constant and a committed update
belong to the session and are never written: the caller gets copies of them. Only arrays that nothing after the run
can read are written into again: `escaping_slots` names the others.
"""

from __future__ import annotations

import math
from collections import Counter

from graphflow.nodes import Node, Operation
from graphflow.ops._util import compatible
from graphflow.plan.steps import Plan, Step
from graphflow.registry import FUSIONS

# Measured on float32 arrays: below 32 KiB a new array costs less than a call with out= (345 against 630 ns for 10
# elements); from 2 MiB up, the allocator hands freed arrays back to the operating system, and every run pays page
# faults for them again (the tutorial's float32 iteration: 2,600 faults, about 20 ms of 105 ms).
IN_PLACE_BYTES = 1 << 15
RECYCLE_BYTES = 1 << 21


def optimize(plan: Plan, debug: bool = False) -> Plan:
    """Runs the passes on `plan`. A debugging plan keeps every op as its own step and every input intact, so that
    its checks see each op's own result and its messages can describe the inputs."""
    outlive = plan.outlive()
    steps = plan.steps
    if not debug:
        steps = fuse(steps, outlive)
    steps = skip_dead(steps, plan)
    steps = free_after_last_use(steps, outlive)
    if not debug:
        steps = write_in_place(steps, plan)
    plan.steps = recycle(steps, outlive)
    plan.fetch_copies = fetch_copies(plan)
    plan.debug = debug
    return plan


def fuse(steps: list[Step], outlive: set[int]) -> list[Step]:
    """Runs `outer(inner(*a), *c)` as one step `fn(*a, *c)` where a fusion is registered for the two op types, the
    outer op is the only reader of the inner result, and nothing reads it after the run."""
    readers = Counter(s for step in steps for s in step.inputs)
    made_by = {step.output: i for i, step in enumerate(steps) if type(step.output) is int}
    gone = set()
    for j, step in enumerate(steps):
        fusions = FUSIONS.get(step.op.type)
        i = made_by.get(step.inputs[0]) if fusions and step.inputs else None
        if i is None or readers[step.inputs[0]] != 1 or step.inputs[0] in outlive:
            continue
        inner = steps[i]
        if inner.op.control_inputs:  # the fused step would run, or be skipped, by the outer op's alone
            continue
        for fusion in fusions:
            if fusion.inner == inner.op.type and fusion.applies(inner.op):
                inputs = inner.inputs + step.inputs[1:]
                steps[j] = Step(step.op, fusion.fn, inputs, {}, step.output, fused=inner.op)
                gone.add(i)
                break
    return [step for i, step in enumerate(steps) if i not in gone]


def skip_dead(steps: list[Step], plan: Plan) -> list[Step]:
    """Sets `guards` on each step that may get DEAD: one whose input or control input is the output of a Switch,
    or of a step that may give DEAD itself. Ops registered `handles_dead` (Switch, Merge) take DEAD as it comes."""
    if not any(step.op.opdef.handles_dead for step in steps):
        return steps
    plan.conditional = True
    slot_of = {node: i for i, node in enumerate(plan.nodes)}
    maybe_dead: set[int] = set()
    guarded = []
    for step in steps:
        dead_inputs = any(s in maybe_dead for s in step.inputs)
        if step.op.opdef.handles_dead:
            if dead_inputs or step.op.type == "Switch":
                maybe_dead.update(step.outputs())
        else:
            guards = tuple(slot_of[c] for c in step.op.control_inputs if slot_of.get(c) in maybe_dead)
            if dead_inputs or guards:
                step = step._replace(guards=guards)
                maybe_dead.update(step.outputs())
        guarded.append(step)
    return guarded


def free_after_last_use(steps: list[Step], keep: set[int]) -> list[Step]:
    """Sets each step's `frees`: the slots whose last reader it is, other than those in `keep`."""
    last_reader: dict[int, int] = {}
    for index, step in enumerate(steps):
        for s in step.reads():
            last_reader[s] = index
    frees: list[list[int]] = [[] for _ in steps]
    for s, index in last_reader.items():
        if s not in keep:
            frees[index].append(s)
    return [step._replace(frees=tuple(f)) if f else step for step, f in zip(steps, frees, strict=True)]


def write_in_place(steps: list[Step], plan: Plan) -> list[Step]:
    """Lets a step write its result into an input instead of a new array, when the op can (`ufunc`, or `out` and
    `into_inputs` in its registration) and the input is an array that:

    - this step reads last (it is in the step's `frees`);
    - another such step made in this run, so nobody else holds it;
    - no view-returning op reads (no alias of it outlives this step);
    - has the result's dtype and, as far as the static shapes tell, its shape (the run checks the real shape and
      allocates when it differs).

    Results that the static shapes show to be under `IN_PLACE_BYTES` are left to allocate.
    """
    made = {step.output for step in steps if writes_out(step.op)}
    viewed = {s for step in steps if step.op.opdef.views for s in step.inputs}
    planned = []
    for step in steps:
        op = step.op
        if step.frees and writes_out(op) and op.opdef.into_inputs and not smaller_than(op, IN_PLACE_BYTES):
            for k, s in enumerate(step.inputs):
                if s in step.frees and s in made and s not in viewed and _can_hold(plan.node_at(s), op):
                    step = step._replace(into=k)
                    break
        planned.append(step)
    return planned


def recycle(steps: list[Step], outlive: set[int]) -> list[Step]:
    """Marks the steps whose result array is kept for the step to write into in the next run: large results (not
    known to be under `RECYCLE_BYTES`) of ops that can write into a given array, that no fetch or committed value
    can be (see `escaping_slots`). Each new large array would otherwise be fresh memory from the operating system,
    paid for again in page faults at every run."""
    escaping = escaping_slots(steps, outlive)
    return [
        step._replace(recycle=True)
        if step.into is None
        and type(step.output) is int
        and step.output not in escaping
        and writes_out(step.op)
        and not smaller_than(step.op, RECYCLE_BYTES)
        else step
        for step in steps
    ]


def escaping_slots(steps: list[Step], outlive: set[int]) -> set[int]:
    """The slots whose array may still be read after the run: those in `outlive` (fetches, commits) and every slot
    whose array one of them may be, through a view-returning op or a step that writes into its input."""
    escaping = set(outlive)
    for step in reversed(steps):  # a view or an in-place result comes after the array it shares
        if type(step.output) is int and step.output in escaping:
            if step.op.opdef.views:
                escaping.update(step.inputs)
            if step.into is not None:
                escaping.add(step.inputs[step.into])
    return escaping


def fetch_copies(plan: Plan) -> tuple[int, ...]:
    """The indices of the fetches whose array may be the session's (a variable's value, a constant, a committed update)
    rather than one the run made or the caller fed: following views and in-place writes back to where the array
    came from."""
    made_by = {step.output: step for step in plan.steps if type(step.output) is int}
    fed = {s for s, _, _ in plan.feeds}

    def shared(slot: int) -> bool:
        stack, seen = [slot], set()
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            step = made_by.get(s)
            if step is None:  # a variable, a constant, a feed, or one of a multi-variable update's values
                if s not in fed:
                    return True
            elif step.op.opdef.ref is not None:  # an update's new value, which the session keeps
                return True
            else:
                if step.op.opdef.views:
                    stack.extend(step.inputs)
                if step.into is not None:
                    stack.append(step.inputs[step.into])
        return False

    return tuple(i for i, s in enumerate(plan.fetch_slots) if shared(s))


def writes_out(op: Operation) -> bool:
    """Whether `op`'s forward can write its result into a given array, and otherwise makes a new one."""
    return op.opdef.ufunc is not None or op.opdef.out


def smaller_than(node: Node, nbytes: int) -> bool:
    """Whether `node`'s static dtype and shape are known and make its value smaller than `nbytes`."""
    shape = node.shape
    if node.dtype is None or shape is None or None in shape:
        return False
    return node.dtype.itemsize * math.prod(shape) < nbytes


def _can_hold(value: Node, result: Node) -> bool:
    """Whether `value`'s array may hold `result`: the same dtype, and static shapes that can be equal."""
    return value.dtype is not None and value.dtype == result.dtype and compatible(value.shape, result.shape)
