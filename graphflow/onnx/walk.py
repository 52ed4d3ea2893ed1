"""Which nodes the outputs need, in order, and their conversion: constants and variables become Constant nodes and
initializers, each op goes through its function in `table.EXPORTS`, and the ops that are not plain computations are
handled here.

- A `placeholder_with_default` that is not an input is its default.
- A `gf.cond` (Switch and Merge ops, see graphflow/ops/control_flow.py) whose predicate the export can know (a
  constant, such a default, or an op of them) is the branch it takes: the other branch is DEAD and not exported.
- A cond whose predicate only a run knows becomes an ONNX `If` per Merge: each branch is a subgraph, built by this
  same walk with the predicate taken as True (then) or False (else), reading the values from outside the cond by
  name, as ONNX subgraphs may. Nested conds nest Ifs.
- A `gf.while_loop` (one While op, its results taken by TupleGet ops) becomes an ONNX `Loop`: the condition is
  built once on the initial values, and the body subgraph computes the new values and the condition on them.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any

import numpy as np
from onnx import TensorProto, helper

from graphflow.graph import topo_order
from graphflow.nodes import Constant, Node, Operation, Placeholder
from graphflow.onnx.table import EXPORTS, refusal
from graphflow.shapes import format_shape
from graphflow.variables import Variable

DEAD = object()  # the value of an op in the branch of a cond that the predicate does not take
_UNKNOWN = object()  # a value only a run knows


def convert_all(ctx: Any, roots: list[Node]) -> None:
    """Gives every node `roots` need an ONNX name in `ctx.names` (DEAD in an untaken branch), adding its nodes."""
    for node in _walk(ctx, roots):
        if node not in ctx.names:
            ctx.names[node] = _convert(ctx, node)


def _walk(ctx: Any, roots: list[Node]) -> list[Node]:
    """The nodes `roots` need, each after its inputs; nodes that already have a name (the values around a cond's
    branch or a loop's body) are leaves."""
    return topo_order(roots, inputs_of=lambda node: [] if node in ctx.names else _needs(ctx, node))


def _needs(ctx: Any, node: Node) -> list[Node]:
    if not isinstance(node, Operation):
        return []
    if node.type == "Switch":
        if node.inputs[1] in ctx.assumed:  # a value entering the If branch being built: named outside it
            return []
        return [] if _taken(ctx, node) is False else [node.inputs[0]]
    if node.type == "Merge":
        pred, t, f = node.inputs
        value = _static(ctx, pred)
        if value is _UNKNOWN:  # an If: its predicate, and what its branches read from outside
            return [pred, *_entering(ctx, node, True), *_entering(ctx, node, False)]
        return [t if bool(value) else f]
    return list(node.inputs)


def _entering(ctx: Any, merge: Operation, side: bool) -> list[Node]:
    """The values from outside a cond that the `side` branch of `merge` reads: the inputs of its Switches."""
    pred = merge.inputs[0]
    branch = ctx.branch(pred, side)
    order = _walk(branch, [merge.inputs[1 if side else 2]])
    return [n.inputs[0] for n in order if n.type == "Switch" and n.inputs[1] is pred and n.attrs["side"] == side]


def _taken(ctx: Any, switch: Node) -> bool | None:
    """Whether a Switch passes its value on; None when its predicate is known only at run time."""
    value = _static(ctx, switch.inputs[1])
    return None if value is _UNKNOWN else bool(value) == switch.attrs["side"]


def _static(ctx: Any, node: Node) -> Any:
    """The value of a cond's predicate when the export can know it: a constant, the default of a
    placeholder_with_default that is not an input, the side of the If branch being built, or an op of such values
    (`gf.logical_not(training)`)."""
    if node in ctx.assumed:
        return ctx.assumed[node]
    if node in ctx.fed:
        return _UNKNOWN
    if isinstance(node, Constant):
        return node.value
    if not isinstance(node, Operation):
        return _UNKNOWN
    if node.type in ("PlaceholderWithDefault", "Identity"):
        return _static(ctx, node.inputs[0])
    opdef = node.opdef
    if opdef.needs_rng or opdef.ref or opdef.programs or opdef.handles_dead:
        return _UNKNOWN
    values = [_static(ctx, x) for x in node.inputs]
    if any(v is _UNKNOWN for v in values):
        return _UNKNOWN
    return opdef.forward(*values, **node.attrs)


def _convert(ctx: Any, node: Node) -> Any:
    """The ONNX value name of `node` (DEAD for a node of an untaken branch), adding what computes it."""
    if isinstance(node, Variable):
        return ctx.initializer(ctx.session.run(node), node.dtype, node.op_name)
    if isinstance(node, Constant):
        return node.op_name if node.dtype is None else ctx.const(node.value, node.dtype, node.op_name)
    if isinstance(node, Placeholder):
        raise ValueError(
            f"placeholder '{node.op_name}' {format_shape(node.shape)} is needed by the outputs but is not among the "
            "inputs: add it to inputs"
        )
    if node.type == "Switch":  # inside an If branch, its own predicate is known
        return ctx.names[node.inputs[0]] if _taken(ctx, node) else DEAD
    if node.type == "Merge":
        pred, t, f = node.inputs
        value = _static(ctx, pred)
        return _if(ctx, node) if value is _UNKNOWN else ctx.names[t if bool(value) else f]
    if node.type == "PlaceholderWithDefault":
        return ctx.names[node.inputs[0]]
    if node.type == "TupleGet":  # a while loop's result: the While gave one name per loop variable
        return ctx.names[node.inputs[0]][node.attrs["index"]]
    if _is_dead(ctx, node):
        return DEAD
    if node.type == "While":
        return _loop(ctx, node)
    convert = EXPORTS.get(node.type)
    if convert is None:
        raise ValueError(refusal(node))
    inputs = [_input_name(ctx, x, node) for x in node.inputs]
    return convert(ctx, node, *inputs)


def _if(ctx: Any, merge: Operation) -> str:
    """The Merge of a cond whose predicate only a run knows, as an ONNX If with one subgraph per branch."""
    pred = merge.inputs[0]
    if merge.dtype is None:
        raise ValueError(refusal(merge, "its dtype is known only at run time; cast the branches' results"))
    graphs = {}
    for side, key in ((True, "then_branch"), (False, "else_branch")):
        branch = ctx.branch(pred, side)
        root = merge.inputs[1 if side else 2]
        convert_all(branch, [root])
        # A subgraph's output must be computed inside it, also when the branch returns a value from outside.
        out = branch.emit("Identity", [branch.names[root]], ctx.part(merge, key))
        value = helper.make_tensor_value_info(out, helper.np_dtype_to_tensor_dtype(merge.dtype), None)
        graphs[key] = helper.make_graph(branch.nodes, f"{merge.op_name}/{key}", [], [value])
    return ctx.emit("If", [ctx.names[pred]], merge.op_name, **graphs)


def _loop(ctx: Any, op: Operation) -> tuple[str, ...]:
    """A while loop as an ONNX Loop: `while (maximum_iterations not reached) and cond(vars): vars = body(vars)`."""
    a = op.attrs
    loop_vars, n = a["loop_vars"], len(a["loop_vars"])
    first = ctx.scope(share_nodes=True)  # the condition on the initial values, computed before the loop
    first.names.update(zip(loop_vars, (ctx.names[x] for x in op.inputs[:n]), strict=True))
    convert_all(first, [a["cond"]])
    body = ctx.scope()
    inputs = [
        helper.make_tensor_value_info(ctx.fresh(f"{op.op_name}/iteration"), TensorProto.INT64, []),
        helper.make_tensor_value_info(ctx.fresh(f"{op.op_name}/cond"), TensorProto.BOOL, []),
    ]
    for var in loop_vars:
        if var.dtype is None:
            raise ValueError(refusal(op, f"the dtype of the loop variable '{var.op_name}' is known only at run time"))
        inputs.append(_tensor_info(ctx.fresh(var.op_name), var))
        body.names[var] = inputs[-1].name
    convert_all(body, list(a["body"]))
    again = body.scope(share_nodes=True)  # the condition on the new values, for the next iteration
    again.names.update(zip(loop_vars, (body.names[x] for x in a["body"]), strict=True))
    convert_all(again, [a["cond"]])
    # The body's outputs must be computed inside it, also where a value passes through unchanged.
    cond_out = body.emit("Identity", [again.names[a["cond"]]], ctx.fresh(f"{op.op_name}/cond_out"))
    outputs = [helper.make_tensor_value_info(cond_out, TensorProto.BOOL, [])]
    for x, var in zip(a["body"], loop_vars, strict=True):
        outputs.append(_tensor_info(body.emit("Identity", [body.names[x]], ctx.fresh(f"{var.op_name}/next")), var))
    graph = helper.make_graph(body.nodes, f"{op.op_name}/body", inputs, outputs)
    limit = a["maximum_iterations"]
    trips = "" if limit is None else ctx.const(limit, np.int64, f"{op.op_name}/maximum_iterations")
    results = [ctx.fresh(f"{op.op_name}:{i}") for i in range(n)]
    initial = [ctx.names[x] for x in op.inputs[:n]]
    ctx.nodes.append(
        helper.make_node("Loop", [trips, first.names[a["cond"]], *initial], results, name=op.op_name, body=graph)
    )
    ctx.produced.update(results)
    return tuple(results)


def _tensor_info(name: str, node: Node) -> Any:
    """A subgraph input or output of `node`'s dtype, and of its rank where known (its dimensions may change)."""
    rank = None if node.shape is None else [None] * len(node.shape)
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(node.dtype), rank)


def _is_dead(ctx: Any, op: Operation) -> bool:
    """An op with an input from an untaken branch, or built in such a branch with no input from it (its control
    input is the branch's predicate Switch)."""
    if any(ctx.names.get(x) is DEAD for x in op.inputs):
        return True
    pivots = [c for c in op.control_inputs if isinstance(c, Operation) and c.type == "Switch"]
    return any(_taken(ctx, p) is False for p in pivots)


def _input_name(ctx: Any, x: Node, op: Operation) -> str:
    """`x`'s ONNX name; a Python number left untyped (its partners' dtype was unknown when built) becomes a
    constant of the op's dtype."""
    if isinstance(x, Constant) and x.dtype is None:
        known = [i.dtype for i in op.inputs if i.dtype is not None]
        dtype = known[0] if known else op.dtype
        if dtype is None:
            raise ValueError(f"{op.type} '{op.op_name}': the dtype of the number '{x.op_name}' is known only at run")
        return ctx.const(x.value, dtype, x.op_name)
    return ctx.names[x]


def scoped_names(names: Any) -> ChainMap:
    """A branch's names: its own first, then those of the graphs around it (which ONNX lets a subgraph read)."""
    return ChainMap({}, names)
