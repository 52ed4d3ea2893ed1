"""`gf.cond` and `gf.while_loop` (TF-1), built from the ops in graphflow/ops/control_flow.py.

While a branch function of `cond` runs, the graph's `_branch` is a `_Branch`: each op built then has its inputs from
outside the branch replaced by their `Switch` for that branch, and an op with no input tied to the branch (a random
op, an op on constants) gets the branch's pivot as a control input, so that it is skipped with the branch. While a
loop's condition and body are built, `_branch` is a `_Frame`, which records the values from outside the loop that
they read: the `While` op takes them as inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphflow import dtypes
from graphflow.graph import Graph, common_graph
from graphflow.nest import flatten
from graphflow.nodes import Constant, Node, Operation, Placeholder
from graphflow.ops.control_flow import merge, switch, tuple_get, while_op
from graphflow.registry import as_node


class _Branch:
    """One side of a cond, while its function builds it."""

    def __init__(self, graph: Graph, pred: Node, side: bool) -> None:
        self.graph, self.pred, self.side = graph, pred, side
        self.outer = graph._branch
        self.members: set[Node] = set()
        self.switched: dict[Node, Node] = {}
        self.switches: set[Node] = set()  # the values of `switched`, for membership tests
        self.pivot = self.enter(pred)

    def enter(self, x: Node) -> Node:
        """x as seen inside the branch: its Switch, built in the enclosing context (which captures x in turn)."""
        if x in self.members or x in self.switches:
            return x
        if x not in self.switched:
            previous, self.graph._branch = self.graph._branch, self.outer
            try:
                s = switch(x, self.pred, side=self.side, name="Switch_t" if self.side else "Switch_f")
            finally:
                self.graph._branch = previous
            self.switched[x] = s
            self.switches.add(s)
        return self.switched[x]

    def capture(self, opdef: Any, inputs: tuple[Node, ...]) -> tuple[Node, ...]:
        changed = opdef.updates if opdef.ref is not None else 0  # the variables an update changes stay as they are
        return tuple(x if k < changed or isinstance(x, Constant) else self.enter(x) for k, x in enumerate(inputs))

    def adopt(self, op: Operation) -> None:
        self.members.add(op)
        if not any(i in self.members or i in self.switches for i in op.inputs):
            op.control_inputs = (*op.control_inputs, self.pivot)
        # The op belongs to the enclosing cond branches and loop too: a loop body must not take it for a value
        # captured from outside the loop.
        outer = self.outer
        while outer is not None:
            outer.members.add(op)
            outer = outer.outer


class _Frame:
    """A while loop's condition and body, while they are built: the values they read from outside the loop."""

    def __init__(self, graph: Graph, loop_vars: list[Placeholder]) -> None:
        self.graph = graph
        self.outer = graph._branch
        self.members: set[Node] = set(loop_vars)
        self.captured: dict[Node, None] = {}

    def capture(self, opdef: Any, inputs: tuple[Node, ...]) -> tuple[Node, ...]:
        changed = opdef.updates if opdef.ref is not None else 0
        if changed:
            raise ValueError(
                f"{opdef.name} in a while_loop body: a loop may not change variables. Return the new value as a loop "
                "variable and assign it after the loop"
            )
        for x in inputs:
            if x not in self.members and not isinstance(x, Constant) and x not in self.captured:
                self.captured[x] = None
        return inputs

    def adopt(self, op: Operation) -> None:
        self.members.add(op)


def _in_context(context: Any, fn: Callable[..., Any], *args: Any) -> Any:
    graph = context.graph
    graph._branch = context
    try:
        return fn(*args)
    finally:
        graph._branch = context.outer


def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    strict: bool = False,
    name: str | None = None,
    fn1: Callable[[], Any] | None = None,
    fn2: Callable[[], Any] | None = None,
) -> Any:
    """`true_fn()` if `pred` is true, else `false_fn()` (TF-1 `tf.cond`); only the taken branch runs.

    Args:
        pred: a scalar bool node; a Python bool is refused, as in TF-1.
        true_fn, false_fn: functions of no arguments that build each branch and return the same structure of
            nodes (a node, or lists, tuples and dicts of them). Ops they build run only when their branch is taken;
            ops built outside and merely returned run either way, as in TF-1.
        strict: keep a one-element list as a list (TF-1 otherwise returns its element).

    Returns:
        The structure the branches return, each leaf the value of the branch that ran.

    Raises:
        TypeError: `pred` is not a bool, a function is missing, or the branches give different dtypes.
        ValueError: the branches return different structures.
    """
    true_fn, false_fn = true_fn or fn1, false_fn or fn2
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond needs two functions of no arguments, true_fn and false_fn")
    if isinstance(pred, bool):
        raise TypeError(
            f"cond: pred is the Python bool {pred}, which the graph cannot branch on at run time; use a Python `if` "
            "to choose a branch while building the graph, or pass a bool node (e.g. a placeholder or x > 0)"
        )
    pred = as_node(pred)
    if pred.dtype is not None and pred.dtype != dtypes.bool_:
        raise TypeError(
            f"cond: pred must be a bool, got '{pred.op_name}' of dtype {pred.dtype}; compare it, e.g. x > 0"
        )
    if pred.shape is not None and pred.shape != ():
        raise ValueError(f"cond: pred must be a scalar, got '{pred.op_name}' of shape {tuple(pred.shape)}")
    graph = common_graph([pred], "cond")
    with graph.as_default(), graph.name_scope(name or "cond"):
        results = []
        for side, fn in ((True, true_fn), (False, false_fn)):
            branch = _Branch(graph, pred, side)
            leaves, rebuild = flatten(_in_context(branch, fn))
            results.append((branch, leaves, rebuild))
        (t_branch, t_leaves, rebuild), (f_branch, f_leaves, f_rebuild) = results
        # Leaves numbered in order: equal only if the structures are, with their nodes in the same places.
        if rebuild(list(range(len(t_leaves)))) != f_rebuild(list(range(len(f_leaves)))):
            t_shape, f_shape = rebuild(["<node>"] * len(t_leaves)), f_rebuild(["<node>"] * len(f_leaves))
            raise ValueError(
                f"cond '{graph._scope}': true_fn and false_fn must return the same structure of nodes, in the same "
                f"order, got {t_shape} and {f_shape}"
            )
        merged = [
            merge(pred, _exit(t_branch, t), _exit(f_branch, f), name="Merge")
            for t, f in zip(t_leaves, f_leaves, strict=True)
        ]
        for m in merged:  # a run's plan takes each variable's newest value from the branch that ran after these
            graph._conds[m] = (t_branch, f_branch)
    out = rebuild(merged)
    if not strict and isinstance(out, list) and len(out) == 1:
        return out[0]
    return out


def _exit(branch: _Branch, value: Any) -> Node:
    """A branch's result as the Merge reads it: an op of the branch, or the Switch of a value from outside."""
    if isinstance(value, Node) and (value in branch.members or value in branch.switches):
        return value
    return branch.enter(as_node(value))


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
    maximum_iterations: int | None = None,
    return_same_structure: bool = False,
) -> Any:
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` is true (TF-1 `tf.while_loop`).

    Args:
        cond: a function of the loop variables giving a scalar bool node.
        body: a function of the loop variables giving new values in the same structure.
        loop_vars: a node or a (nested) list, tuple or dict of nodes.
        shape_invariants: the shapes the loop variables keep, in the same structure (None dimensions may vary);
            by default each keeps its initial shape.
        maximum_iterations: stop after this many iterations.
        parallel_iterations, back_prop, swap_memory: accepted for TF-1 compatibility (one iteration runs at a time).

    Returns:
        The loop variables' final values: a single node for a single loop variable (TF-1), unless
        `return_same_structure`.

    Raises:
        ValueError: the body gives another structure or a shape the invariants do not allow, or changes a
            variable.
    """
    leaves, rebuild = flatten(loop_vars)
    initial = [as_node(v) for v in leaves]
    shapes = flatten(shape_invariants)[0] if shape_invariants is not None else [v.shape for v in initial]
    graph = common_graph(initial, "while_loop")
    with graph.as_default(), graph.name_scope(name or "while"):
        placeholders = [
            Placeholder(graph, graph.unique_name("loop_var"), (), v.dtype, s)
            for v, s in zip(initial, shapes, strict=True)
        ]
        frame = _Frame(graph, placeholders)
        # The loop runs after the enclosing control dependencies as one op; its parts do not take them again.
        with graph.control_dependencies(None):
            stop = _in_context(frame, lambda: as_node(cond(*rebuild(placeholders))))
            new = _in_context(frame, body, *rebuild(placeholders))
        new_leaves = flatten(new if len(leaves) > 1 or isinstance(new, list | tuple) else [new])[0]
        if len(new_leaves) != len(leaves):
            raise ValueError(f"while_loop: body must return {len(leaves)} loop variables, got {len(new_leaves)}")
        new_leaves = [_checked_shape(as_node(n), p) for n, p in zip(new_leaves, placeholders, strict=True)]
        for value in (stop, *new_leaves):  # a value from outside, returned as it is, is read from outside too
            if value not in frame.members and not isinstance(value, Constant):
                frame.captured.setdefault(value, None)
        captured = list(frame.captured)
        attrs = {"loop_vars": tuple(placeholders), "captured": tuple(captured), "cond": stop}
        loop = while_op(*initial, *captured, body=tuple(new_leaves), maximum_iterations=maximum_iterations, **attrs)
        outputs = [
            tuple_get(loop, *initial, *captured, index=i, shape=p.shape, dtype=p.dtype, name="Exit")
            for i, p in enumerate(placeholders)
        ]
    if len(outputs) == 1 and not return_same_structure:
        return outputs[0]
    return rebuild(outputs)


def _checked_shape(value: Node, var: Placeholder) -> Node:
    if value.dtype is not None and var.dtype is not None and value.dtype != var.dtype:
        raise TypeError(
            f"while_loop: body gives '{value.op_name}' of dtype {value.dtype} for a {var.dtype} loop variable"
        )
    if var.shape is not None and value.shape is not None:
        same = len(var.shape) == len(value.shape) and all(
            a is None or a == b for a, b in zip(var.shape, value.shape, strict=True)
        )
        if not same:
            raise ValueError(
                f"while_loop: a loop variable has shape {tuple(var.shape)} before the loop, but the body gives "
                f"'{value.op_name}' of shape {tuple(value.shape)}. To let the shape vary across iterations, pass "
                "shape_invariants with None for the dimensions that change"
            )
    return value
