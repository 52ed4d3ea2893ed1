"""The nodes of a graph: `Node` (a value the graph computes, TF-1's Tensor), `Placeholder`, `Constant` and
`Operation` (an op applied to input nodes); `Variable` is in `variables.py`.

A node is both TF-1's operation and its one output tensor: `node.op_name` is the operation's name ("dense/MatMul"),
`node.name` the tensor's ("dense/MatMul:0"), and `node.op` an `OpView` that answers as TF-1's `Operation` does. An op
with no output (`group`, a train op) is only an operation: its `name` is its op name, as in TF-1.

Nodes hold no values: a `Session` computes them. Each node knows its static `dtype` and `shape` where they can be
inferred, so most mistakes surface when the graph is built. Edges point from a node to its inputs only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.defaults import SESSIONS
from graphflow.graph import common_graph
from graphflow.shapes import TensorShape, as_shape, dtype_name, format_shape, normalize_index

if TYPE_CHECKING:
    from graphflow.graph import Graph


# The registered op types by name: `registry.defop` fills this table. Operator overloads (`x + y`) and variables'
# assign ops look their op up here when they are called, so this module imports nothing of graphflow but dtypes and
# the default stacks.
OPS: dict[str, Any] = {}


def _op(type_name: str) -> Any:
    return OPS[type_name]


# Files under this folder are graphflow's own: a node's creation site is the first frame outside it.
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_getframe = sys._getframe


def creation_site() -> tuple[str, int, str] | None:
    """`(file, line, function)` of the innermost caller outside graphflow: where the user's code built a node, as TF-1
    records it for "defined at" in its errors. Walks a few frames; reading the source line is left to the error."""
    frame = _getframe(2)  # 1 is Node.__init__, always graphflow's
    package = _PACKAGE
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith(package):
            return code.co_filename, frame.f_lineno, code.co_name
        frame = frame.f_back
    return None


class Node:
    """A vertex of the graph. Its value exists only inside a `Session.run`.

    Attributes:
        graph: the `Graph` it belongs to.
        op_name: unique within the graph, e.g. `"dense/MatMul_1"`; `name` is TF-1's tensor name, `"dense/MatMul_1:0"`.
        inputs: the nodes it reads, in order.
        control_inputs: nodes that run before it without being read (`gf.control_dependencies`); empty for
            placeholders, variables and constants.
        dtype: numpy dtype, or None when only known at run time.
        shape: `TensorShape` with None for unknown dimensions, or None for an unknown rank.
        site: `(file, line, function)` where the user's code built it (the first frame outside graphflow), or None;
            run-time errors show it as "defined at file:line", as TF-1's do.
        role: what built it, one of `ROLES`: "gradient" inside `gf.gradients`, "update" inside an optimizer's
            `apply_gradients` (its slots, step sizes, update ops and train op), "initializer" for the initial value a
            variable builds (from an array or a callable), its `initializer` assign and `variables_initializer()`'s
            op; "forward" for everything else, including an initial value built before its variable.
    """

    __slots__ = ("__weakref__", "control_inputs", "dtype", "graph", "inputs", "op_name", "role", "shape", "site")
    kind = "node"
    _type = "Node"
    __array_ufunc__ = None  # `ndarray * node` must call `node.__rmul__`, not make an object array

    def __init__(self, graph: Graph, name: str, inputs: tuple[Node, ...], dtype: np.dtype | None, shape: Any) -> None:
        self.graph = graph
        self.op_name = name
        self.inputs = inputs
        self.control_inputs: tuple[Node, ...] = ()
        self.dtype = dtype
        self.shape = as_shape(shape)
        self.role = graph._role
        self.site = creation_site()
        graph._add(self)

    @property
    def type(self) -> str:
        """The op type, as in TF-1: `Placeholder`, `VariableV2`, `Const`, or the op's type such as `MatMul`."""
        return self._type

    @property
    def name(self) -> str:
        """TF-1's tensor name, `"<op name>:0"`; for an op with no output (`group`, a train op), its op name."""
        return self.op_name if self.type == "NoOp" else self.op_name + ":0"

    @property
    def op(self) -> OpView:
        """The operation that computes this node, as TF-1's `tensor.op`: `loss.op.name`, `sess.run(train.op)`."""
        return OpView(self)

    @property
    def outputs(self) -> tuple[Node, ...]:
        return () if self.type == "NoOp" else (self,)

    def get_shape(self) -> TensorShape | None:
        return self.shape

    def eval(self, feed_dict: Mapping | None = None, session: Any = None) -> Any:
        """The node's value in `session`, or in the default session (`with gf.Session() as sess:`)."""
        session = session or SESSIONS.top()
        if session is None:
            raise ValueError(
                f"No session to evaluate '{self.op_name}' in: use `with gf.Session() as sess:` or pass session="
            )
        return session.run(self, feed_dict)

    def run(self, feed_dict: Mapping | None = None, session: Any = None) -> None:
        """Runs the node in `session` or the default session, discarding its value: TF-1's `Operation.run`, which
        scripts call on what `global_variables_initializer()`, `minimize()` and `group()` return."""
        self.op.run(feed_dict, session)

    def __repr__(self) -> str:
        return (
            f"<gf.{type(self).__name__} '{self.op_name}' type={self.type} "
            f"shape={format_shape(self.shape)} dtype={dtype_name(self.dtype)}>"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            f"Using the graph node '{self.op_name}' as a Python bool is not allowed: its value only exists in a "
            "Session. Run it first (`sess.run(node)`), or build the condition into the graph."
        )

    def __iter__(self) -> Iterator:
        raise TypeError(f"The graph node '{self.op_name}' is not iterable: run it in a Session to get an array.")

    # Operator overloads only call registered ops.
    def __add__(self, other: Any) -> Node:
        return _op("Add")(self, other)

    def __radd__(self, other: Any) -> Node:
        return _op("Add")(other, self)

    def __sub__(self, other: Any) -> Node:
        return _op("Sub")(self, other)

    def __rsub__(self, other: Any) -> Node:
        return _op("Sub")(other, self)

    def __mul__(self, other: Any) -> Node:
        return _op("Mul")(self, other)

    def __rmul__(self, other: Any) -> Node:
        return _op("Mul")(other, self)

    def __truediv__(self, other: Any) -> Node:
        return _op("RealDiv")(self, other)

    def __rtruediv__(self, other: Any) -> Node:
        return _op("RealDiv")(other, self)

    def __matmul__(self, other: Any) -> Node:
        return _op("MatMul")(self, other)

    def __rmatmul__(self, other: Any) -> Node:
        return _op("MatMul")(other, self)

    def __pow__(self, other: Any) -> Node:
        return _op("Pow")(self, other)

    def __rpow__(self, other: Any) -> Node:
        return _op("Pow")(other, self)

    def __floordiv__(self, other: Any) -> Node:
        return _op("FloorDiv")(self, other)

    def __rfloordiv__(self, other: Any) -> Node:
        return _op("FloorDiv")(other, self)

    def __mod__(self, other: Any) -> Node:
        return _op("FloorMod")(self, other)

    def __rmod__(self, other: Any) -> Node:
        return _op("FloorMod")(other, self)

    # As in TF-1, `&`, `|` and `~` are the logical ops (on bool nodes).
    def __and__(self, other: Any) -> Node:
        return _op("LogicalAnd")(self, other)

    def __rand__(self, other: Any) -> Node:
        return _op("LogicalAnd")(other, self)

    def __or__(self, other: Any) -> Node:
        return _op("LogicalOr")(self, other)

    def __ror__(self, other: Any) -> Node:
        return _op("LogicalOr")(other, self)

    def __invert__(self) -> Node:
        return _op("LogicalNot")(self)

    def __getitem__(self, key: Any) -> Node:
        """`t[1:, ..., 0, gf.newaxis]`: numpy's basic indexing, as TF-1's strided slice."""
        return _op("StridedSlice")(self, index=normalize_index(key), name="strided_slice")

    def __neg__(self) -> Node:
        return _op("Neg")(self)

    def __abs__(self) -> Node:
        return _op("Abs")(self)

    def __gt__(self, other: Any) -> Node:
        return _op("Greater")(self, other)

    def __ge__(self, other: Any) -> Node:
        return _op("GreaterEqual")(self, other)

    def __lt__(self, other: Any) -> Node:
        return _op("Less")(self, other)

    def __le__(self, other: Any) -> Node:
        return _op("LessEqual")(self, other)

    # Comparisons above build ops, so identity (not value) equality keeps nodes usable as dict keys.
    __hash__ = object.__hash__


class Placeholder(Node):
    """An input whose value is given in `feed_dict` at each run."""

    __slots__ = ()
    kind = "placeholder"
    _type = "Placeholder"


class Constant(Node):
    """A value fixed when the graph is built.

    `value` is an ndarray, or a plain Python number when the dtype is left to its partner in an op whose other
    inputs have a dtype known only at run time (numpy then keeps the partner's precision).
    """

    __slots__ = ("value",)
    kind = "constant"
    _type = "Const"

    def __init__(self, graph: Graph, name: str, value: Any, dtype: np.dtype | None) -> None:
        if isinstance(value, np.ndarray):
            value = np.array(value, copy=True)  # read-only, and not an alias of the caller's array
            value.flags.writeable = False
        self.value = value
        super().__init__(graph, name, (), dtype, np.shape(value))


class Operation(Node):
    """An op (`opdef`) applied to input nodes, with keyword attributes such as `axis`."""

    __slots__ = ("attrs", "context", "grad_type", "opdef")
    kind = "operation"

    def __init__(self, opdef: Any, inputs: tuple[Node, ...], attrs: dict[str, Any], name: str | None = None) -> None:
        graph = common_graph(inputs, opdef.name)
        branch = graph._branch  # inside a cond branch or a loop body: values from outside enter through it
        if branch is not None:
            inputs = branch.capture(opdef, inputs)
        name = graph.unique_name(name or opdef.name)
        try:
            dtype, shape = opdef.infer(inputs, attrs)
        except (TypeError, ValueError) as e:
            where = ", ".join(f"'{x.op_name}' {format_shape(x.shape)} {dtype_name(x.dtype)}" for x in inputs)
            raise type(e)(f"{opdef.name} '{name}' (inputs: {where}): {e}") from None
        self.opdef = opdef
        self.attrs = attrs
        self.grad_type = graph._gradient_overrides.get(opdef.name, opdef.name)
        super().__init__(graph, name, inputs, dtype, shape)
        self.control_inputs = graph._control
        self.context = branch  # the cond branch or while loop it was built in, or None
        if branch is not None:
            branch.adopt(self)

    @property
    def type(self) -> str:
        return self.opdef.name

    def get_attr(self, name: str) -> Any:
        return self.attrs[name]


class OpView:
    """A node seen as TF-1's `Operation`: what `tensor.op`, `graph.get_operation_by_name` and `get_operations` give.

    Fetching it runs the node and gives None, as fetching an operation does in TF-1; it can stand for its node in
    `control_dependencies` and `group`. Two views of one node are equal.
    """

    __slots__ = ("node",)

    def __init__(self, node: Node) -> None:
        self.node = node

    device = ""

    @property
    def name(self) -> str:
        """The op name, e.g. `dense/MatMul`."""
        return self.node.op_name

    @property
    def type(self) -> str:
        """The op type, e.g. `MatMul`."""
        return self.node.type

    @property
    def graph(self) -> Graph:
        return self.node.graph

    @property
    def inputs(self) -> tuple[Node, ...]:
        """The tensors it reads."""
        return self.node.inputs

    @property
    def outputs(self) -> tuple[Node, ...]:
        """Its output tensor, or none for a `NoOp`."""
        return self.node.outputs

    @property
    def control_inputs(self) -> tuple[OpView, ...]:
        return tuple(OpView(c) for c in self.node.control_inputs)

    def values(self) -> tuple[Node, ...]:
        return self.outputs

    def get_attr(self, name: str) -> Any:
        attrs = getattr(self.node, "attrs", {})
        if name not in attrs:
            raise ValueError(f"Operation '{self.name}' ({self.type}) has no attribute '{name}'; it has {sorted(attrs)}")
        return attrs[name]

    def run(self, feed_dict: Mapping | None = None, session: Any = None) -> None:
        """Runs the op in `session` or the default session, as TF-1's `Operation.run`."""
        session = session or SESSIONS.top()
        if session is None:
            raise ValueError(f"No session to run '{self.name}' in: use `with gf.Session() as sess:` or pass session=")
        session.run(self, feed_dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpView) and other.node is self.node

    def __hash__(self) -> int:
        return hash(self.node)

    def __repr__(self) -> str:
        return f"<gf.Operation '{self.name}' type={self.type}>"
