"""`import_model(path_or_model)`: an ONNX model as graphflow nodes in the default graph, so a network exported from
graphflow, PyTorch or Keras can be drawn (`gf.viz`), run in a `Session` and differentiated with `gf.gradients`.

The model's inputs become placeholders, its float initializers trainable variables (integer ones, which hold shapes
and axes, constants), and each node is built by its function in `IMPORTS` (filled in `import_ops.py`), one per ONNX
op type: what MLPs use (MatMul, Gemm, Add, the activations, Softmax, BatchNormalization, Dropout, Flatten, Reshape)
and what `export` writes. Values a function needs when it builds (shapes, axes, slice bounds) must be constants in
the model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

import graphflow as gf
from graphflow.nodes import Node
from graphflow.onnx.table import registers

Importer = Callable[..., Node]
IMPORTS: dict[str, Importer] = {}


@dataclass
class ImportedModel:
    """What `import_model` built, by the names the ONNX model gives.

    Attributes:
        inputs: a placeholder per model input.
        outputs: the node computing each model output.
        variables: a variable per float initializer (the weights), trainable, initialised to the model's values.
        values: every value the model names (inputs, initializers, node outputs), for inspection.
    """

    inputs: dict[str, Node] = field(default_factory=dict)
    outputs: dict[str, Node] = field(default_factory=dict)
    variables: dict[str, gf.Variable] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


class _Node:
    """One ONNX node while it is imported: its type, name, attributes, and its inputs as graphflow nodes."""

    def __init__(self, proto: onnx.NodeProto, model: ImportedModel) -> None:
        self.proto = proto
        self.type = proto.op_type
        self.name = proto.name or proto.output[0]
        self.out = _gf_name(proto.output[0])  # the graphflow name of its result
        self.attrs = {a.name: helper.get_attribute_value(a) for a in proto.attribute}
        self._values = model.values
        self.inputs = [self.node(i) if name else None for i, name in enumerate(proto.input)]

    def node(self, i: int) -> Node:
        value = self._values[self.proto.input[i]]
        return value if isinstance(value, Node) else gf.constant(value)

    def static(self, i: int, what: str) -> np.ndarray | None:
        """Input i's value when the model holds it as a constant (None when the input is left out)."""
        if i >= len(self.proto.input) or not self.proto.input[i]:
            return None
        value = self._values[self.proto.input[i]]
        if isinstance(value, gf.Variable):
            value = value.initial_array()
        if isinstance(value, Node):
            raise ValueError(self.refusal(f"its {what} (input {i}) must be a constant of the model"))
        return np.asarray(value)

    def refusal(self, reason: str) -> str:
        return f"cannot import ONNX node '{self.name}' ({self.type}): {reason}"


def imports(*op_types: str) -> Callable[[Importer], Importer]:
    """Registers the import function of the ONNX `op_types`."""
    return registers(IMPORTS, *op_types)


def import_model(model: str | os.PathLike | onnx.ModelProto, name: str | None = None) -> ImportedModel:
    """Builds the ONNX `model` (a path or a `ModelProto`) in the default graph.

    Args:
        model: the model, as a file path or an `onnx.ModelProto`.
        name: a name scope to build it under (none by default).

    Returns:
        An `ImportedModel`: placeholders, output nodes and variables by their ONNX names.

    Raises:
        ValueError: an op type with no graphflow form, or an op domain other than ONNX's own; the error names the
            node and its type.
    """
    proto = model if isinstance(model, onnx.ModelProto) else onnx.load(os.fspath(model))
    for opset in proto.opset_import:
        if opset.domain not in ("", "ai.onnx"):
            raise ValueError(f"cannot import ONNX op domain '{opset.domain}': only ONNX's own ops are supported")
    result = ImportedModel()
    graph = gf.get_default_graph()
    with graph.name_scope(name):
        initialized = {t.name for t in proto.graph.initializer}
        for t in proto.graph.initializer:
            value = numpy_helper.to_array(t)
            if value.dtype.kind == "f":
                result.variables[t.name] = gf.Variable(value, name=_gf_name(t.name))
                result.values[t.name] = result.variables[t.name]
            else:
                result.values[t.name] = value
        for info in proto.graph.input:
            if info.name not in initialized:
                result.inputs[info.name] = _placeholder(info)
                result.values[info.name] = result.inputs[info.name]
        for node_proto in proto.graph.node:
            node = _Node(node_proto, result)
            convert = IMPORTS.get(node.type)
            if convert is None:
                raise ValueError(node.refusal("no graphflow form is registered for this op type"))
            if node.type == "Constant":
                result.values[node_proto.output[0]] = convert(node)
                continue
            result.values[node_proto.output[0]] = convert(node, *node.inputs)
        for info in proto.graph.output:
            value = result.values[info.name]
            result.outputs[info.name] = value if isinstance(value, Node) else gf.constant(value)
    return result


def _gf_name(onnx_name: str) -> str:
    """A valid graphflow op name for an ONNX value name (PyTorch's `/fc1/Gemm_output_0` -> `fc1/Gemm_output_0`)."""
    name = re.sub(r"[^A-Za-z0-9_.\-/>]", "_", onnx_name).strip("/")
    return name if re.match(r"[A-Za-z0-9.]", name) else "x" + name


def _placeholder(info: onnx.ValueInfoProto) -> Node:
    tensor = info.type.tensor_type
    dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
    shape = None
    if tensor.HasField("shape"):
        shape = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    return gf.placeholder(dtype, shape, name=_gf_name(info.name))
