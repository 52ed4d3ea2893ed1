"""Reverse-mode differentiation that builds the gradient as graph nodes.

`gradients(ys, xs)` walks the graph breadth-first from `ys` towards `xs`. A node is taken from the queue only when
every consumer on a path from `xs` to `ys` has sent it its part of the gradient (Kahn's algorithm on the reversed
graph), so a node reached by a short and a long path is processed once, after both. The parts are summed, the op's
registered rule turns the node's gradient into gradients for its inputs, and the walk goes on. Because the rules
are written with graphflow ops, the result can be fetched, drawn, and differentiated again.
"""

from __future__ import annotations

import enum
from collections import defaultdict, deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import common_graph, topo_order
from graphflow.nodes import Node, Operation
from graphflow.ops.array import stack
from graphflow.ops.elementwise import add_n_op
from graphflow.ops.shape import ones_like, reshape, zeros_like
from graphflow.registry import as_node, constant, gradient_rule


def _as_list(nodes: Any, what: str) -> list[Node]:
    items = list(nodes) if isinstance(nodes, list | tuple) else [nodes]
    for item in items:
        if not isinstance(item, Node):
            raise TypeError(f"gradients: {what} must be graph nodes, got {type(item).__name__}: {item!r}")
    return items


def _path_nodes(ys: list[Node], xs: list[Node], stops: set[Node]) -> set[Node]:
    """The nodes on some path from an x to a y along which a gradient can flow.

    Integer and boolean values carry no gradient (argmax, equal, a cast from int), and nodes in `stops` are
    constants to the walk, so paths through either are cut.
    """
    order = topo_order(ys)
    reached = {x for x in xs if dtypes.is_floating(x.dtype) and x not in stops}
    for node in order:
        flows = node not in stops and dtypes.is_floating(node.dtype)
        if flows and node not in reached and any(i in reached for i in node.inputs):
            reached.add(node)
    on_path = {y for y in ys if y in reached}
    for node in reversed(order):  # every consumer comes before its inputs
        if node in on_path:
            on_path.update(i for i in node.inputs if i in reached)
    return on_path


class UnconnectedGradients(enum.Enum):
    """What `gradients` gives for an x that does not reach ys (TF-1 `tf.UnconnectedGradients`): None or zeros."""

    NONE = "none"
    ZERO = "zero"


def gradients(
    ys: Node | Sequence[Node],
    xs: Node | Sequence[Node],
    grad_ys: Node | Sequence[Node | None] | None = None,
    name: str = "gradients",
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
    stop_gradients: Sequence[Node] | None = None,
    unconnected_gradients: Any = "none",
) -> list[Node | None]:
    """Symbolic gradients of `sum(ys)` with respect to each of `xs` (TF-1 `tf.gradients`).

    Args:
        ys: a node or list of nodes to differentiate.
        xs: a node or list of nodes to differentiate with respect to (any node, not only variables).
        grad_ys: the incoming gradient for each y (same shapes); ones by default.
        name: the name scope the gradient nodes are built under (they all get `role="gradient"`).
        colocate_gradients_with_ops: accepted and ignored: graphflow runs on one device.
        gate_gradients: accepted and ignored: a plan computes each gradient once, in one order.
        aggregation_method: accepted and ignored: the parts of a gradient are summed with one `add_n`.
        stop_gradients: nodes treated as constants: no gradient flows through them.
        unconnected_gradients: "none" (TF-1's default) gives None for an x that does not reach ys; "zero" gives
            zeros shaped like x (a `gf.UnconnectedGradients` value works too).

    Returns:
        One gradient node per x, shaped like x, or None where x does not reach any y through float values.

    Examples:
        >>> x = gf.constant(3.0)
        >>> print(gf.Session().run(gf.gradients(x * x, x)[0]))
        6.0

    Raises:
        LookupError: a float op on the path from xs to ys has no registered gradient (names the op and its type).
        TypeError: ys or xs contain something that is not a graph node.
    """
    ys, xs = _as_list(ys, "ys"), _as_list(xs, "xs")
    unconnected = getattr(unconnected_gradients, "value", unconnected_gradients)
    if unconnected not in ("none", "zero"):
        raise ValueError(f"gradients: unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}")
    grad_ys = [None] * len(ys) if grad_ys is None else list(grad_ys if isinstance(grad_ys, list | tuple) else [grad_ys])
    if len(grad_ys) != len(ys):
        raise ValueError(f"gradients: got {len(grad_ys)} grad_ys for {len(ys)} ys")
    graph = common_graph(ys + xs, "gradients")

    on_path = _path_nodes(ys, xs, set(stop_gradients or ()))
    pending: dict[Node, int] = defaultdict(int)  # consumers on the path that have not yet sent their part
    for node in on_path:
        for i in node.inputs:
            if i in on_path:
                pending[i] += 1

    parts: dict[Node, list[Node]] = defaultdict(list)
    total: dict[Node, Node] = {}
    with graph.as_default(), graph.name_scope(name), graph.role_scope("gradient"):
        for y, gy in zip(ys, grad_ys, strict=True):
            if y in on_path:
                parts[y].append(_seed(y, gy))
        queue = deque(y for y in dict.fromkeys(ys) if y in on_path and pending[y] == 0)
        while queue:
            node = queue.popleft()
            if parts[node]:
                total[node] = parts[node][0] if len(parts[node]) == 1 else add_n_op(*parts[node])
            if node in total and isinstance(node, Operation) and any(i in on_path for i in node.inputs):
                for i, g in zip(node.inputs, _apply_rule(node, total[node]), strict=True):
                    if i in on_path and g is not None:
                        parts[i].append(g)
            for i in node.inputs:
                if i in on_path:
                    pending[i] -= 1
                    if pending[i] == 0:
                        queue.append(i)
        if unconnected == "zero":
            return [total[x] if x in total else zeros_like(x) for x in xs]
    return [total.get(x) for x in xs]


def _seed(y: Node, grad_y: Any) -> Node:
    if grad_y is not None:
        return as_node(grad_y, dtype=y.dtype)
    if y.shape == () and y.dtype is not None:
        return constant(1.0, dtype=y.dtype, name="grad_ys")  # a scalar loss needs no ones_like op at run time
    return ones_like(y, name="grad_ys")


def _apply_rule(op: Operation, g: Node) -> tuple[Node | None, ...]:
    rule = gradient_rule(op)
    with op.graph.name_scope(f"{op.op_name}_grad"):
        result = rule(op, g)
    # A rule may return one gradient as it is (TF-1 accepts that from a function registered for a one-input op).
    grads = (result,) if result is None or isinstance(result, Node) else tuple(result)
    if len(grads) != len(op.inputs):
        raise ValueError(
            f"the gradient rule for {op.type} '{op.op_name}' returned {len(grads)} gradients for "
            f"{len(op.inputs)} inputs"
        )
    return grads


def hessians(
    ys: Node | Sequence[Node],
    xs: Node | Sequence[Node],
    name: str = "hessians",
    colocate_gradients_with_ops: bool = False,
    gate_gradients: bool = False,
    aggregation_method: Any = None,
) -> list[Node | None]:
    """Second derivatives of `sum(ys)` with respect to each of `xs` (TF-1 `tf.hessians`).

    Args:
        ys: a node or list of nodes.
        xs: a node or list of nodes, each with a shape fully known when the graph is built.
        name: the name scope of the gradient nodes.
        colocate_gradients_with_ops, gate_gradients, aggregation_method: accepted for TF-1's signature; unused.

    Returns:
        For each x of shape s, a node of shape s + s whose entry [i, j] is d^2 sum(ys) / dx_i dx_j; None where x
        does not reach ys. Built by differentiating each element of the gradient again, so it costs one gradient
        graph per element of x.

    Raises:
        ValueError: an x's shape is not fully known.

    Examples:
        h = gf.hessians(gf.reduce_sum(x ** 3), x)[0]  # diag(6 x)
    """
    xs = _as_list(xs, "xs")
    first = gradients(ys, xs, name=name)
    result: list[Node | None] = []
    for x, g in zip(xs, first, strict=True):
        if g is None:
            result.append(None)
            continue
        if x.shape is None or None in x.shape:
            raise ValueError(f"hessians needs the shape of '{x.op_name}' fully known, got {x.shape}")
        size = int(np.prod(x.shape, dtype=np.int64))
        flat = reshape(g, [size])
        rows = [gradients(flat[i], x, name=name)[0] for i in range(size)]
        rows = [zeros_like(x) if row is None else row for row in rows]
        result.append(reshape(stack(rows), [*x.shape, *x.shape]))
    return result
