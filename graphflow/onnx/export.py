"""`export(session, inputs, outputs)`: the part of a graph that computes `outputs` from `inputs`, as an ONNX model.

The walk starts at the outputs and stops at the inputs, so gradients, optimizer slots and updates, which no output
reads, are left out. Variables become initializers holding their values in the session, constants Constant nodes.
A `placeholder_with_default` that is not an input takes its default, and a `gf.cond` whose predicate is then known
(a `training` flag left at False) is replaced by the branch it takes: batch normalisation and dropout export in
their inference form; a cond whose predicate only a run knows becomes an ONNX If (see `walk.py`). Each other op is
converted by its function in `table.EXPORTS`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from graphflow.nodes import Node, Operation, Placeholder
from graphflow.onnx import array_ops, math_ops  # noqa: F401  (they fill the table)
from graphflow.onnx.walk import DEAD, convert_all, scoped_names
from graphflow.version import __version__

DEFAULT_OPSET = 17  # read by onnxruntime 1.12 and later, and by every current ONNX tool
MIN_OPSET = 13  # the first with axes as inputs of Squeeze, Unsqueeze and ReduceSum, which the converters use


class Context:
    """The graph being built (the model's, or an If branch's): its nodes, the ONNX name of each graphflow node's
    value, and the predicates a branch takes as known; the model's initializers and the names used anywhere."""

    def __init__(self, session: Any, opset: int, fed: set[Node]) -> None:
        self.session = session
        self.opset = opset
        self.fed = fed
        self.assumed: dict[Node, bool] = {}
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self.names: Any = {}
        self.taken: set[str] = set()  # every name in the model, subgraphs included
        self.produced: set[str] = set()  # the names nodes compute

    def scope(self, share_nodes: bool = False) -> Context:
        """An inner context (an If branch, a Loop body) that reads the values around it by name, as ONNX subgraphs
        may; with `share_nodes`, its nodes go into this graph (only its names are its own)."""
        inner = Context(self.session, self.opset, self.fed)
        inner.assumed = dict(self.assumed)
        inner.names = scoped_names(self.names)
        inner.initializers, inner.taken, inner.produced = self.initializers, self.taken, self.produced
        if share_nodes:
            inner.nodes = self.nodes
        return inner

    def branch(self, pred: Node, side: bool) -> Context:
        """The context of an If branch: `pred` is `side` in it."""
        inner = self.scope()
        inner.assumed[pred] = side
        return inner

    def fresh(self, base: str) -> str:
        """A value name not used yet, `base` if possible."""
        name, k = base, 0
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def part(self, op: Node, label: str) -> str:
        """The name of an intermediate value of `op`'s conversion, e.g. `dense/MatMul/transpose_b`."""
        return self.fresh(f"{op.op_name}/{label}")

    def emit(self, op_type: str, inputs: Sequence[str], output: str, **attrs: Any) -> str:
        """Adds an ONNX node computing `output` (renamed `output_1`, ... if a node computes it already, as when a
        while loop's condition is built for the first test and again in the body); returns that name."""
        if output in self.produced:
            output = self.fresh(output)
        self.taken.add(output)
        self.produced.add(output)
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=output, **attrs))
        return output

    def chain(self, op: Operation, x: str, steps: Sequence[tuple[str, Sequence[str], dict]]) -> str:
        """Applies `steps` (ONNX type, inputs after the running value, attributes) one after the other to `x`; the
        last gives the op's output. No steps: an Identity."""
        steps = list(steps) or [("Identity", [], {})]
        for k, (op_type, extra, attrs) in enumerate(steps):
            last = k == len(steps) - 1
            out = op.op_name if last else self.part(op, op_type)
            x = self.emit(op_type, [x, *extra], out, **attrs)
        return x

    def const(self, value: Any, dtype: Any, label: str) -> str:
        """A Constant node giving `value` as `dtype`, named after `label`. (Initializers hold the variables only, so
        that `import_model` can tell weights from constants.)"""
        name = self.fresh(label)
        tensor = numpy_helper.from_array(np.asarray(value, dtype=dtype), name)
        self.nodes.append(helper.make_node("Constant", [], [name], name=name, value=tensor))
        return name

    def ints(self, values: Sequence[int], label: str) -> str:
        """A 1-d int64 constant (axes, shapes, repeats)."""
        return self.const(list(values), np.int64, label)

    def initializer(self, value: Any, dtype: Any, label: str) -> str:
        """An initializer holding `value` (a variable's value)."""
        name = self.fresh(label)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name


def export(
    session: Any,
    inputs: Node | Sequence[Node],
    outputs: Node | Sequence[Node],
    path: str | os.PathLike | None = None,
    opset: int | None = None,
) -> onnx.ModelProto:
    """The graph that computes `outputs` from `inputs`, with the variables' values in `session`, as an ONNX model.

    Args:
        session: the `gf.Session` whose variable values are frozen into the model.
        inputs: the placeholders the model takes (a node or a list). A `placeholder_with_default` given here stays
            an input; one not given takes its default value (a `training` flag: the inference form).
        outputs: the nodes the model computes (a node or a list). The model's inputs and outputs are named after
            the nodes' op names; a dimension that is None (a batch size) stays symbolic.
        path: if given, the model is written there too (atomically: the file is whole or absent).
        opset: the ONNX operator set version, from `MIN_OPSET` (13) to onnx's newest; `DEFAULT_OPSET` (17) by
            default.

    Returns:
        The `onnx.ModelProto`, checked with `onnx.checker.check_model`.

    Raises:
        TypeError: an input is not a placeholder, or a node is not a graphflow node.
        ValueError: a node of another graph, a placeholder the outputs need that is not an input, an opset out of
            range, or an op with no ONNX form (the error names it and its type, and says why).
    """
    inputs, outputs = _node_list(inputs, "inputs"), _node_list(outputs, "outputs")
    opset = _check_opset(opset)
    for node in (*inputs, *outputs):
        if node.graph is not session.graph:
            raise ValueError(f"'{node.op_name}' belongs to another graph than the session's")
    for x in inputs:
        if not (isinstance(x, Placeholder) or x.type == "PlaceholderWithDefault"):
            raise TypeError(f"inputs: '{x.op_name}' ({x.type}) is not a placeholder; the inputs are what a run feeds")
        if x.dtype is None:
            raise ValueError(f"inputs: placeholder '{x.op_name}' has no dtype; give it one to export it")
    if len(set(outputs)) != len(outputs):
        raise ValueError("outputs: a node is listed twice")

    ctx = Context(session, opset, set(inputs))
    ctx.taken.update(x.op_name for x in inputs)
    for x in inputs:
        ctx.names[x] = x.op_name
    convert_all(ctx, outputs)

    graph_outputs = []
    for node in outputs:
        name = ctx.names[node]
        if name is DEAD:
            raise ValueError(f"outputs: '{node.op_name}' lies in the branch of a cond that is not taken")
        if name != node.op_name:  # an input, a frozen variable, or a value another node computed: give it its name
            wanted = node.op_name if node.op_name not in ctx.taken else node.name
            name = ctx.emit("Identity", [name], ctx.fresh(wanted))
        graph_outputs.append(_value_info(name, node, symbolic=False))

    graph = helper.make_graph(
        ctx.nodes,
        _graph_name(outputs),
        [_value_info(x.op_name, x, symbolic=True) for x in inputs],
        graph_outputs,
        initializer=ctx.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        producer_name="graphflow",
        producer_version=__version__,
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    onnx.checker.check_model(model)
    if path is not None:
        _write(model, path)
    return model


def _node_list(nodes: Any, what: str) -> list[Node]:
    items = [nodes] if isinstance(nodes, Node) else list(nodes)
    if not items:
        raise ValueError(f"{what}: give at least one node")
    for node in items:
        if not isinstance(node, Node):
            raise TypeError(f"{what}: expected graphflow nodes, got {type(node).__name__} {node!r}")
    return items


def _check_opset(opset: int | None) -> int:
    if opset is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be an int from {MIN_OPSET} to {newest} (the installed onnx's newest), got {opset!r}"
        )
    return opset


def _graph_name(outputs: list[Node]) -> str:
    return "graphflow: " + ", ".join(node.op_name for node in outputs)


def _value_info(name: str, node: Node, symbolic: bool) -> onnx.ValueInfoProto:
    """The declared type of a model input or output. Unknown dimensions of inputs get names (`batch` for the first
    axis, `<input>_dim<i>` for others), so tools show them; those of outputs stay unnamed."""
    if node.dtype is None:
        raise ValueError(f"'{node.op_name}' ({node.type}) has a dtype known only at run time; cast it to export it")
    elem = helper.np_dtype_to_tensor_dtype(node.dtype)
    if node.shape is None:
        return helper.make_tensor_value_info(name, elem, None)
    dims = []
    for i, d in enumerate(node.shape):
        if d is not None:
            dims.append(d)
        elif symbolic:
            dims.append("batch" if i == 0 else f"{node.op_name}_dim{i}")
        else:
            dims.append(None)
    return helper.make_tensor_value_info(name, elem, dims)


def _write(model: onnx.ModelProto, path: str | os.PathLike) -> None:
    """Writes into a new file next to `path`, then renames it over `path`, so a crash leaves no half file. The file
    is created with the usual permissions (0o666 less the umask), as `open` would."""
    path = os.fspath(path)
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(model.SerializeToString())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
