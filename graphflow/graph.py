"""The graph: nodes, the default-graph stack, name scopes and the topological order.

A `Graph` is a program. Its nodes are `Placeholder`s (inputs fed at run time), `Variable`s (state a `Session` keeps),
`Constant`s and `Operation`s (an op applied to input nodes). Nodes hold no values: a `Session` computes them. Each node
knows its static `dtype` and `shape` where they can be inferred, so most mistakes surface when the graph is built.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.defaults import GRAPHS, SESSIONS, AsDefault
from graphflow.shapes import TensorShape, as_shape, dtype_name, format_shape, normalize_index

Array = np.ndarray


# --------------------------------------------------------------------------------------------------------------------
# Graph and the default-graph stack

# What built a node (`Node.role`): the model itself, `gf.gradients`, an optimizer's update, or a variable's initializer.
ROLES = ("forward", "gradient", "update", "initializer")


class Graph:
    """A collection of nodes; the program a `Session` runs.

    Node names are unique within a graph. `with graph.as_default():` makes it the graph new nodes go into;
    `graph.as_default()` on its own line does the same until another graph is made the default.
    """

    _serials = itertools.count(1)

    def __init__(self) -> None:
        self.serial = next(Graph._serials)
        self.seed: int | None = None
        self._nodes: list[Node] = []
        self._names: dict[str, Node] = {}
        self._names_in_use: dict[str, int] = {}
        self._scope = ""
        self._role = "forward"
        self._collections: dict[str, list] = {}
        self._gradient_overrides: dict[str, str] = {}
        self._op_seeds = itertools.count(1)
        self._finalized = False

    def __repr__(self) -> str:
        return f"<gf.Graph #{self.serial} with {len(self._nodes)} nodes>"

    # -- building ------------------------------------------------------------------------------------------------

    def as_default(self) -> AsDefault[Graph]:
        """Makes this the default graph now; used with `with`, the previous default returns at the end of the block."""
        return AsDefault(GRAPHS, self)

    def unique_name(self, name: str) -> str:
        """`name` under the current name scope, with `_1`, `_2`, ... appended if it is taken (as TF-1 does)."""
        if self._scope:
            name = f"{self._scope}/{name}"
        count = self._names_in_use.get(name, 0)
        self._names_in_use[name] = count + 1
        if count == 0:
            return name
        base = name
        while name in self._names_in_use:
            name = f"{base}_{count}"
            count += 1
        self._names_in_use[name] = 1
        return name

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Prefixes the names of nodes built inside with `name/`; nested scopes join with `/`.

        A scope name already used gets a suffix (`dense_1`), as in TF-1; a name ending in `/` re-enters that scope.
        Yields the scope's full name followed by `/`.
        """
        previous = self._scope
        if not name:
            self._scope = ""
        elif name.endswith("/"):
            self._scope = name[:-1]
        else:
            self._scope = previous  # unique_name prefixes the enclosing scope itself
            self._scope = self.unique_name(name)
        try:
            yield self._scope + "/" if self._scope else ""
        finally:
            self._scope = previous

    @contextlib.contextmanager
    def role_scope(self, role: str) -> Iterator[None]:
        """Nodes built inside get `role` (see `Node.role`): how `gf.gradients`, optimizers and initializers mark theirs.

        Raises:
            ValueError: `role` is not one of `ROLES`.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
        previous, self._role = self._role, role
        try:
            yield
        finally:
            self._role = previous

    def _add(self, node: Node) -> None:
        if self._finalized:
            self.refuse(f"{node.type} '{node.name}'")
        self._nodes.append(node)
        self._names[node.name] = node

    def refuse(self, what: str) -> None:
        """Raises the error for adding `what` to a finalized graph."""
        raise RuntimeError(
            f"Graph is finalized and cannot be modified: tried to add {what}. Build every node before calling "
            "graph.finalize(), or create the node outside the training loop."
        )

    def finalize(self) -> None:
        """Makes the graph read-only: adding a node afterwards raises `RuntimeError` naming it (TF-1)."""
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: Mapping[str, str]) -> Iterator[None]:
        """Ops of type `key` built inside use the gradient registered under `value` (`RegisterGradient`)."""
        previous = dict(self._gradient_overrides)
        self._gradient_overrides.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_overrides = previous

    def next_op_seed(self) -> int:
        return next(self._op_seeds)

    # -- looking things up ---------------------------------------------------------------------------------------

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(self._nodes)

    def get_operations(self) -> list[Node]:
        return list(self._nodes)

    def get_tensor_by_name(self, name: str) -> Node:
        """The node called `name`; TF-1's output suffix `:0` is accepted."""
        key = name[:-2] if name.endswith(":0") else name
        try:
            return self._names[key]
        except KeyError:
            raise KeyError(f"The name '{name}' refers to no node in {self}") from None

    get_operation_by_name = get_tensor_by_name

    def add_to_collection(self, key: str, value: Any) -> None:
        self._collections.setdefault(key, []).append(value)

    def get_collection(self, key: str) -> list:
        return list(self._collections.get(key, []))


_root = Graph()


def get_default_graph() -> Graph:
    """The graph new nodes are added to: the innermost `as_default()`, else the global default graph."""
    graph = GRAPHS.top()
    return _root if graph is None else graph


def reset_default_graph() -> None:
    """Replaces the global default graph with a new, empty one (and leaves any `as_default()` of this thread)."""
    global _root
    _root = Graph()
    GRAPHS.items().clear()


def name_scope(name: str | None) -> contextlib.AbstractContextManager[str]:
    """`with gf.name_scope("layer1"):` prefixes node names in the default graph (TF-1 `tf.name_scope`)."""
    return get_default_graph().name_scope(name)


# --------------------------------------------------------------------------------------------------------------------
# Nodes


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


class Variable(Node):
    """State that persists across runs of one `Session`. Each session holds its own value.

    A session initialises a variable from its initial value the first time a run needs it, or again when it runs
    `global_variables_initializer()`. Only `assign` ops and optimizers change it.
    """

    __slots__ = ("_initial_array", "_initial_node", "_initializer", "trainable")
    kind = "variable"
    _type = "VariableV2"

    def __init__(
        self,
        initial_value: Any,
        trainable: bool = True,
        *,
        name: str | None = None,
        dtype: Any = None,
        collections: list[str] | None = None,
    ) -> None:
        if not isinstance(trainable, bool | np.bool_):
            raise TypeError(
                f"Variable(trainable=...) must be a bool, got {trainable!r}; give the name as a keyword: name=..."
            )
        if initial_value is None:
            raise ValueError("Variable needs an initial_value (an array, a number, or a graph node)")
        graph = initial_value.graph if isinstance(initial_value, Node) else get_default_graph()
        dtype = dtypes.as_dtype(dtype)
        if callable(initial_value) and not isinstance(initial_value, Node):
            with graph.role_scope("initializer"):
                initial_value = initial_value()
        if isinstance(initial_value, Node):
            if dtype is not None and initial_value.dtype is not None and initial_value.dtype != dtype:
                initial_value = _op("Cast")(initial_value, dtype=dtype)
            self._initial_node, self._initial_array = initial_value, None
            shape, dtype = initial_value.shape, dtype or initial_value.dtype
        else:
            array = np.array(initial_value, dtype=dtype or dtypes.default_dtype(initial_value))
            dtypes.as_dtype(array.dtype)
            self._initial_node, self._initial_array = None, array
            shape, dtype = array.shape, array.dtype
        self.trainable = bool(trainable)
        self._initializer: Node | None = None
        super().__init__(graph, graph.unique_name(name or "Variable"), (), dtype, shape)
        for key in collections if collections is not None else ["variables"]:
            graph.add_to_collection(key, self)
        if self.trainable and "trainable_variables" not in (collections or []):
            graph.add_to_collection("trainable_variables", self)

    @property
    def initial_value(self) -> Node:
        """The initial value as a graph node (a constant is made on first access for array initial values)."""
        if self._initial_node is None:
            with self.graph.name_scope(self.name + "/"), self.graph.role_scope("initializer"):
                self._initial_node = Constant(
                    self.graph, self.graph.unique_name("initial_value"), self._initial_array, self.dtype
                )
        return self._initial_node

    def initial_array(self) -> Array | None:
        """The initial value when it was given as an array (so sessions can copy it without running a plan)."""
        return self._initial_array

    @property
    def initializer(self) -> Node:
        """The op that (re)sets this variable to its initial value in the session that runs it."""
        if self._initializer is None:
            with self.graph.role_scope("initializer"):
                self._initializer = _op("Assign")(self, self.initial_value, name=self.name + "/Assign")
        return self._initializer

    def assign(self, value: Any, name: str | None = None) -> Node:
        return _op("Assign")(self, value, name=name)

    def assign_add(self, delta: Any, name: str | None = None) -> Node:
        return _op("AssignAdd")(self, delta, name=name)

    def assign_sub(self, delta: Any, name: str | None = None) -> Node:
        return _op("AssignSub")(self, delta, name=name)

    def value(self) -> Node:
        return self

    read_value = value

    def load(self, value: Any, session: Any = None) -> None:
        """Sets the variable's value in `session` (default: the default session) without adding nodes."""
        session = session or SESSIONS.top()
        if session is None:
            raise ValueError(f"No session to load '{self.name}' into: pass session=")
        session.load_variable(self, value)


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


def common_graph(nodes: Iterable[Node], what: str) -> Graph:
    """The graph all `nodes` belong to (the default graph if there are none).

    Raises:
        ValueError: the nodes come from two graphs.
    """
    graph = None
    first = None
    for node in nodes:
        if graph is None:
            graph, first = node.graph, node
        elif node.graph is not graph:
            raise ValueError(
                f"{what}: '{first.name}' belongs to {graph} but '{node.name}' belongs to {node.graph}; "
                "nodes of two graphs cannot be mixed. Build them under one `with graph.as_default():`."
            )
    return graph if graph is not None else get_default_graph()


# --------------------------------------------------------------------------------------------------------------------
# Topological order


def topo_order(roots: Iterable[Node], cut: frozenset | set = frozenset()) -> list[Node]:
    """Every node reachable from `roots`, each after all of its inputs.

    Iterative (no recursion limit) and linear: each node is visited once. Nodes in `cut` are treated as leaves
    (their inputs are not followed), which is how fed nodes prune a plan.
    """
    order: list[Node] = []
    seen: set[Node] = set()
    for root in roots:
        stack = [(root, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                if node not in cut:
                    stack.extend((i, False) for i in reversed(node.inputs))
    return order
