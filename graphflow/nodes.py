"""The nodes of a graph: `Node` (a value the graph computes, TF-1's Tensor), `Placeholder`, `Constant` and
`Operation` (an op applied to input nodes); `Variable` is in `variables.py`.

Nodes hold no values: a `Session` computes them. Each node knows its static `dtype` and `shape` where they can be
inferred, so most mistakes surface when the graph is built. Edges point from a node to its inputs only.
"""

from __future__ import annotations

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


class Node:
    """A vertex of the graph. Its value exists only inside a `Session.run`.

    Attributes:
        graph: the `Graph` it belongs to.
        name: unique within the graph, e.g. `"dense/MatMul_1"`.
        inputs: the nodes it reads, in order.
        dtype: numpy dtype, or None when only known at run time.
        shape: `TensorShape` with None for unknown dimensions, or None for an unknown rank.
        role: what built it, one of `ROLES`: "gradient" inside `gf.gradients`, "update" inside an optimizer's
            `apply_gradients` (its slots, step sizes, update ops and train op), "initializer" for the initial value a
            variable builds (from an array or a callable), its `initializer` assign and `variables_initializer()`'s
            op; "forward" for everything else, including an initial value built before its variable.
    """

    __slots__ = ("__weakref__", "dtype", "graph", "inputs", "name", "role", "shape")
    kind = "node"
    _type = "Node"
    __array_ufunc__ = None  # `ndarray * node` must call `node.__rmul__`, not make an object array

    def __init__(self, graph: Graph, name: str, inputs: tuple[Node, ...], dtype: np.dtype | None, shape: Any) -> None:
        self.graph = graph
        self.name = name
        self.inputs = inputs
        self.dtype = dtype
        self.shape = as_shape(shape)
        self.role = graph._role
        graph._add(self)

    @property
    def type(self) -> str:
        """The op type, as in TF-1: `Placeholder`, `VariableV2`, `Const`, or the op's type such as `MatMul`."""
        return self._type

    @property
    def op(self) -> Node:
        """TF-1 scripts write `loss.op`; in graphflow a node is both the operation and its output."""
        return self

    @property
    def outputs(self) -> tuple[Node, ...]:
        return (self,)

    def get_shape(self) -> TensorShape | None:
        return self.shape

    def eval(self, feed_dict: Mapping | None = None, session: Any = None) -> Any:
        """The node's value in `session`, or in the default session (`with gf.Session() as sess:`)."""
        session = session or SESSIONS.top()
        if session is None:
            raise ValueError(
                f"No session to evaluate '{self.name}' in: use `with gf.Session() as sess:` or pass session="
            )
        return session.run(self, feed_dict)

    def __repr__(self) -> str:
        return (
            f"<gf.{type(self).__name__} '{self.name}' type={self.type} "
            f"shape={format_shape(self.shape)} dtype={dtype_name(self.dtype)}>"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            f"Using the graph node '{self.name}' as a Python bool is not allowed: its value only exists in a "
            "Session. Run it first (`sess.run(node)`), or build the condition into the graph."
        )

    def __iter__(self) -> Iterator:
        raise TypeError(f"The graph node '{self.name}' is not iterable: run it in a Session to get an array.")

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

    __slots__ = ("attrs", "grad_type", "opdef")
    kind = "operation"

    def __init__(self, opdef: Any, inputs: tuple[Node, ...], attrs: dict[str, Any], name: str | None = None) -> None:
        graph = common_graph(inputs, opdef.name)
        name = graph.unique_name(name or opdef.name)
        try:
            dtype, shape = opdef.infer(inputs, attrs)
        except (TypeError, ValueError) as e:
            where = ", ".join(f"'{x.name}' {format_shape(x.shape)} {dtype_name(x.dtype)}" for x in inputs)
            raise type(e)(f"{opdef.name} '{name}' (inputs: {where}): {e}") from None
        self.opdef = opdef
        self.attrs = attrs
        self.grad_type = graph._gradient_overrides.get(opdef.name, opdef.name)
        super().__init__(graph, name, inputs, dtype, shape)

    @property
    def type(self) -> str:
        return self.opdef.name

    def get_attr(self, name: str) -> Any:
        return self.attrs[name]
