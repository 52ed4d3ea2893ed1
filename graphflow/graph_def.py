"""A graph as TF-1's `GraphDef` protocol buffer (`tensorboard.compat.proto.graph_pb2`), what `graph.as_graph_def()`
returns and `FileWriter.add_graph` writes for TensorBoard's graph tab.

Each node becomes one `NodeDef`: its op name, its op type, its inputs as TF-1 spells them (`"x"` for a node's
output, `"^x"` for a control input; a `NoOp`'s inputs are control inputs, as `tf.group`'s are), and attributes:
`dtype` and `shape` for placeholders, variables and constants, `T` (the dtype of the first input, else of the
output) for operations, the op's own attributes where they are numbers, strings, dtypes or lists of ints, the
value of constants of up to `MAX_CONSTANT_ELEMENTS` elements, and with `add_shapes=True` each output's static shape
in `_output_shapes`. Nodes are written in the order they were built, so every input comes before its reader.

This module knows nodes only by what they hold (`op_name`, `type`, `kind`, `inputs`, `dtype`, `shape`), so the graph
module can use it without importing the nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import _tensorboard, dtypes

# Larger constants (a dataset baked into the graph) keep their dtype and shape but not their value, which would make
# the event file as large as the data.
MAX_CONSTANT_ELEMENTS = 1024

_DATA_TYPES = {  # numpy dtype -> name of TF's DataType enum value
    dtypes.float16: "DT_HALF",
    dtypes.float32: "DT_FLOAT",
    dtypes.float64: "DT_DOUBLE",
    dtypes.int8: "DT_INT8",
    dtypes.int16: "DT_INT16",
    dtypes.int32: "DT_INT32",
    dtypes.int64: "DT_INT64",
    dtypes.uint8: "DT_UINT8",
    dtypes.bool_: "DT_BOOL",
    dtypes.string: "DT_STRING",
}


def graph_def(graph: Any, add_shapes: bool = False) -> Any:
    """`graph` as a `graph_pb2.GraphDef`, one `NodeDef` per node (see the module docstring).

    Args:
        graph: a `gf.Graph`.
        add_shapes: also record each node's static output shape in its `_output_shapes` attribute (TF-1's option;
            `FileWriter.add_graph` sets it, so TensorBoard labels edges with shapes).
    """
    graph_pb2 = _tensorboard.proto("graph_pb2")
    result = graph_pb2.GraphDef()
    for node in graph.nodes:
        node_def = result.node.add()
        node_def.name = node.op_name
        node_def.op = node.type
        control = node.type == "NoOp"
        node_def.input.extend(("^" if control else "") + x.op_name for x in node.inputs)
        node_def.input.extend("^" + c.op_name for c in node.control_inputs)
        for key, value in node_attrs(node, add_shapes).items():
            node_def.attr[key].CopyFrom(value)
    return result


def node_attrs(node: Any, add_shapes: bool = False) -> dict[str, Any]:
    """The `AttrValue`s of `node`'s `NodeDef`, by key."""
    attr_value_pb2 = _tensorboard.proto("attr_value_pb2")
    attrs: dict[str, Any] = {}
    if node.kind == "operation":
        for key, value in node.attrs.items():
            converted = attr_value(value)
            if converted is not None:
                attrs[key] = converted
        typed = next((x.dtype for x in node.inputs if x.dtype is not None), node.dtype)
        if "T" not in attrs and data_type(typed) is not None:
            attrs["T"] = attr_value_pb2.AttrValue(type=data_type(typed))
    else:
        value = getattr(node, "value", None)
        dtype = node.dtype
        if node.kind == "constant" and dtype is None:  # a Python number left for its partner to type
            dtype = np.asarray(value).dtype
        if data_type(dtype) is not None:
            attrs["dtype"] = attr_value_pb2.AttrValue(type=data_type(dtype))
        if node.kind in ("placeholder", "variable"):
            attrs["shape"] = attr_value_pb2.AttrValue(shape=shape_proto(node.shape))
        if node.kind == "constant" and np.size(value) <= MAX_CONSTANT_ELEMENTS:
            tensor = tensor_proto(np.asarray(value, dtype=dtype))
            if tensor is not None:
                attrs["value"] = attr_value_pb2.AttrValue(tensor=tensor)
    if add_shapes and node.type != "NoOp":
        shapes = attr_value_pb2.AttrValue.ListValue(shape=[shape_proto(node.shape)])
        attrs["_output_shapes"] = attr_value_pb2.AttrValue(list=shapes)
    return attrs


def data_type(dtype: np.dtype | None) -> int | None:
    """TF's `DataType` enum value for a numpy dtype, or None for an unknown or unsupported one."""
    name = _DATA_TYPES.get(dtype) if dtype is not None else None
    return None if name is None else _tensorboard.proto("types_pb2").DataType.Value(name)


def shape_proto(shape: tuple | None) -> Any:
    """A static shape as a `TensorShapeProto`: -1 for an unknown dimension, `unknown_rank` for an unknown rank."""
    tensor_shape_pb2 = _tensorboard.proto("tensor_shape_pb2")
    if shape is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d) for d in shape]
    return tensor_shape_pb2.TensorShapeProto(dim=dims)


def tensor_proto(array: np.ndarray) -> Any:
    """`array` as a `TensorProto` with its bytes in `tensor_content` (little-endian), or None for a dtype TF lacks."""
    dtype = data_type(array.dtype)
    if dtype is None or array.dtype == dtypes.string:
        return None
    tensor_pb2 = _tensorboard.proto("tensor_pb2")
    content = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape_proto(array.shape), tensor_content=content)


def attr_value(value: Any) -> Any:
    """An op attribute as an `AttrValue`, or None for a kind a `NodeDef` cannot hold (a function, an index)."""
    attr_value_pb2 = _tensorboard.proto("attr_value_pb2")
    if isinstance(value, bool | np.bool_):
        return attr_value_pb2.AttrValue(b=bool(value))
    if isinstance(value, int | np.integer):
        return attr_value_pb2.AttrValue(i=int(value))
    if isinstance(value, float | np.floating):
        return attr_value_pb2.AttrValue(f=float(value))
    if isinstance(value, str):
        return attr_value_pb2.AttrValue(s=value.encode())
    if isinstance(value, np.dtype):
        dtype = data_type(value)
        return None if dtype is None else attr_value_pb2.AttrValue(type=dtype)
    if isinstance(value, tuple | list) and all(isinstance(v, int | np.integer) for v in value):
        if any(isinstance(v, bool | np.bool_) for v in value):
            return None
        return attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(i=[int(v) for v in value]))
    return None
