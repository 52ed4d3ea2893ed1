"""The graph: the `Graph` that collects nodes, the default-graph stack, name scopes and the topological order.

A `Graph` is a program. Its nodes (`nodes.py`, `variables.py`) are `Placeholder`s (inputs fed at run time),
`Variable`s (state a `Session` keeps), `Constant`s and `Operation`s (an op applied to input nodes). This module knows
nodes only by what they hold (`graph`, `op_name`, `inputs`), so it imports none of them.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.defaults import GRAPHS, AsDefault

if TYPE_CHECKING:
    from graphflow.nodes import Node, OpView

Array = np.ndarray


# --------------------------------------------------------------------------------------------------------------------
# Names

# TF-1's rules: an op name, and a scope opened at the top level, starts with a letter, digit or '.', then letters,
# digits and `_ . - / >`; a scope nested in another may also start with those. Anything else (spaces, ':', control
# characters, '$') would break tensor names ("x:0"), the exporters' formats and the drawing's labels.
_FIRST, _REST = "A-Za-z0-9.", r"A-Za-z0-9_.\-/>"
_VALID = {
    "node": re.compile(f"[{_FIRST}][{_REST}]*"),
    "top-level scope": re.compile(f"[{_FIRST}][{_REST}]*"),
    "scope": re.compile(f"[{_REST}]*"),
}


def check_name(name: str, kind: str) -> None:
    """Raises ValueError naming `name` if it is not a valid TF-1 `kind` name: "node", "top-level scope" or "scope"
    (one nested in another)."""
    if not isinstance(name, str):
        raise TypeError(f"A {kind} name must be a string, got {name!r} of type {type(name).__name__}")
    if _VALID[kind].fullmatch(name) is None:
        first_rule = kind != "scope"
        suggestion = re.sub(f"[^{_REST}]", "_", name)
        if first_rule and not re.match(f"[{_FIRST}]", suggestion):
            suggestion = "x" + suggestion
        raise ValueError(
            f"{name!r} is not a valid {kind} name: names hold letters, digits and the characters _ . - / > "
            f"{'(and start with a letter, digit or .) ' if first_rule else ''}as in TF-1. "
            f"Use for example {suggestion!r}"
        )


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
        self._control: tuple[Node, ...] = ()  # what ops built now run after (`control_dependencies`)
        self._branch: Any = None  # the cond branch or while loop being built, see graphflow/control_flow.py
        # Each cond's two branches, by each of its Merge ops: lowering merges the variables they update after the
        # last of them a plan computes.
        self._conds: dict[Node, tuple[Any, Any]] = {}
        self._collections: dict[str, list] = {}
        self._gradient_overrides: dict[str, str] = {}
        self._op_seeds = itertools.count(1)
        self._finalized = False
        self._variable_store: Any = None  # `get_variable`'s variables and scopes, see graphflow/variable_scope.py

    def __repr__(self) -> str:
        return f"<gf.Graph #{self.serial} with {len(self._nodes)} nodes>"

    # -- building ------------------------------------------------------------------------------------------------

    def as_default(self) -> AsDefault[Graph]:
        """Makes this the default graph now; used with `with`, the previous default returns at the end of the block."""
        return AsDefault(GRAPHS, self)

    def unique_name(self, name: str) -> str:
        """`name` under the current name scope, with `_1`, `_2`, ... appended if it is taken (as TF-1 does, ignoring
        case: after `A`, `a` becomes `a_1`). A name ending in `/` is a full name, taken as it is without the `/`.

        Raises:
            ValueError: `name` is not a valid TF-1 op name (see `check_name`).
        """
        check_name(name, "node")
        if name.endswith("/"):
            return name[:-1]
        return self._unique(name)

    def _unique(self, name: str) -> str:
        if self._scope:
            name = f"{self._scope}/{name}"
        key = name.lower()
        count = self._names_in_use.get(key, 0)
        self._names_in_use[key] = count + 1
        if count == 0:
            return name
        base = name
        while name.lower() in self._names_in_use:
            name = f"{base}_{count}"
            count += 1
        self._names_in_use[name.lower()] = 1
        return name

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Prefixes the names of nodes built inside with `name/`; nested scopes join with `/`.

        A scope name already used gets a suffix (`dense_1`), as in TF-1; a name ending in `/` re-enters that scope.
        Yields the scope's full name followed by `/`.
        """
        previous = self._scope
        if name:
            check_name(name, "scope" if previous else "top-level scope")
        if not name:
            self._scope = ""
        elif name.endswith("/"):
            self._scope = name[:-1]
        else:
            self._scope = self._unique(name)  # which prefixes the enclosing scope itself
        try:
            yield self._scope + "/" if self._scope else ""
        finally:
            self._scope = previous

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Iterable[Any] | None) -> Iterator[None]:
        """Ops built inside run after every node in `control_inputs` (TF-1 `control_dependencies`): in a run that
        computes such an op, those nodes are computed (and their updates applied) first, and a variable the op reads
        has the value their updates gave it. Blocks nest, adding to the enclosing ones; `None` clears them.

        Raises:
            TypeError: an entry is not a graph node of this graph (a train op, an update, any tensor).
        """
        previous = self._control
        if control_inputs is None:
            self._control = ()
        else:
            added = []
            for item in control_inputs:
                item = getattr(item, "node", item)  # an OpView (`train.op`) stands for its node
                if not hasattr(item, "inputs") or getattr(item, "graph", None) is not self:
                    raise TypeError(
                        f"control_dependencies takes nodes of {self} (ops or tensors, such as a train op or an "
                        f"assign), got {item!r}"
                    )
                if item not in previous and item not in added:
                    added.append(item)
            self._control = previous + tuple(added)
        try:
            yield
        finally:
            self._control = previous

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
            self.refuse(f"{node.type} '{node.op_name}'")
        self._nodes.append(node)
        self._names[node.op_name] = node

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

    def get_operations(self) -> list[OpView]:
        """Every node as TF-1's `Operation`, in the order they were built."""
        return [node.op for node in self._nodes]

    def get_tensor_by_name(self, name: str) -> Node:
        """The node whose tensor is called `name`, `"<op name>:0"` (TF-1 `Graph.get_tensor_by_name`).

        Raises:
            ValueError: `name` is an op name (no `:0`).
            KeyError: no op of the graph has that name, or the op has no such output.
        """
        op_name, colon, index = name.rpartition(":")
        if not colon or not index.isdigit():
            raise ValueError(
                f"The name '{name}' looks like an op name, not a tensor name: tensor names have the form "
                f"'<op name>:<output index>', e.g. '{name}:0'; or use get_operation_by_name('{name}')"
            )
        node = self._node_named(op_name, name)
        if int(index) >= len(node.outputs):
            raise KeyError(
                f"The name '{name}' refers to a tensor which does not exist: the op '{op_name}' ({node.type}) has "
                f"{len(node.outputs)} output{'s' if len(node.outputs) != 1 else ''}"
            )
        return node

    def get_operation_by_name(self, name: str) -> OpView:
        """The op called `name` (TF-1 `Graph.get_operation_by_name`).

        Raises:
            ValueError: `name` is a tensor name (`"x:0"`).
            KeyError: no op of the graph has that name.
        """
        if ":" in name:
            raise ValueError(
                f"The name '{name}' looks like a tensor name, not an op name: use get_tensor_by_name('{name}') or "
                f"get_operation_by_name('{name.rpartition(':')[0]}')"
            )
        return self._node_named(name, name).op

    def as_graph_element(self, obj: Any) -> Node | OpView:
        """A name or node as what it refers to (TF-1 `Graph.as_graph_element`): `"x:0"` gives the tensor, `"x"` the
        op; nodes and ops are returned as they are."""
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        return obj

    def _node_named(self, op_name: str, asked: str) -> Node:
        try:
            return self._names[op_name]
        except KeyError:
            close = difflib.get_close_matches(op_name, self._names, n=3)
            hint = f"; similar names: {', '.join(close)}" if close else ""
            raise KeyError(f"The name '{asked}' refers to no op of {self}: there is no op '{op_name}'{hint}") from None

    def as_graph_def(self, from_version: int | None = None, add_shapes: bool = False) -> Any:
        """The graph as TF-1's `GraphDef` protocol buffer, one `NodeDef` per node (see `graphflow/graph_def.py`).

        Args:
            from_version: accepted for TF-1 compatibility; every node is included.
            add_shapes: record each node's static output shape in its `_output_shapes` attribute.
        """
        from graphflow.graph_def import graph_def  # it needs tensorboard's protos, loaded only when asked for

        return graph_def(self, add_shapes=add_shapes)

    def add_to_collection(self, key: str, value: Any) -> None:
        self._collections.setdefault(key, []).append(value)

    def get_collection(self, key: str) -> list:
        return list(self._collections.get(key, []))


_root = Graph()


def get_default_graph() -> Graph:
    """The graph new nodes are added to: the innermost `as_default()`, else the global default graph (TF-1).

    Returns:
        A `gf.Graph`.

    Examples:
        >>> with gf.Graph().as_default() as g:
        ...     gf.get_default_graph() is g
        True
    """
    graph = GRAPHS.top()
    return _root if graph is None else graph


def reset_default_graph() -> None:
    """Replaces the global default graph with a new, empty one (and leaves any `as_default()` of this thread).

    Returns:
        None.

    Examples:
        >>> gf.reset_default_graph()
        >>> len(gf.get_default_graph().get_operations())
        0
    """
    global _root
    _root = Graph()
    GRAPHS.items().clear()


def control_dependencies(control_inputs: Iterable[Any] | None) -> contextlib.AbstractContextManager[None]:
    """Ops built inside the block run after every node in `control_inputs` (TF-1 `control_dependencies`).

    Args:
        control_inputs: nodes (ops, updates, tensors) to run first; None clears the enclosing blocks' list.

    Returns:
        A context manager; see `Graph.control_dependencies`.

    Examples:
        >>> v = gf.Variable(1.0)
        >>> with gf.control_dependencies([gf.assign_add(v, 1.0)]):
        ...     read = gf.identity(v)
        >>> print(gf.Session().run(read))
        2.0
    """
    return get_default_graph().control_dependencies(control_inputs)


def name_scope(
    name: str | None, default_name: str | None = None, values: Any = None
) -> contextlib.AbstractContextManager[str]:
    """Prefixes the names of nodes built inside with `name/` in the default graph (TF-1 `name_scope`).

    Args:
        name: the scope's name; a name already used gets a suffix (`layer_1`); None returns to the top level.
        default_name: the name to use when `name` is None.
        values: TF-1's list of inputs, used there to pick the graph; accepted and ignored.

    Returns:
        A context manager whose value is the scope's full name followed by `/`.

    Examples:
        >>> with gf.Graph().as_default(), gf.name_scope("layer1"):
        ...     gf.constant(1.0, name="w").op_name
        'layer1/w'
    """
    return get_default_graph().name_scope(default_name if name is None and default_name is not None else name)


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
                f"{what}: '{first.op_name}' belongs to {graph} but '{node.op_name}' belongs to {node.graph}; "
                "nodes of two graphs cannot be mixed. Build them under one `with graph.as_default():`."
            )
    return graph if graph is not None else get_default_graph()


# --------------------------------------------------------------------------------------------------------------------
# Topological order


def topo_order(
    roots: Iterable[Node], cut: frozenset | set = frozenset(), inputs_of: Callable[[Node], Any] | None = None
) -> list[Node]:
    """Every node reachable from `roots`, each after all of its inputs.

    Iterative (no recursion limit) and linear: each node is visited once. A node's control inputs count as inputs
    here. Nodes in `cut` are treated as leaves (their inputs are not followed), which is how fed nodes prune a plan.

    Args:
        roots: the nodes to start from, e.g. the fetches of a run.
        cut: nodes whose inputs are not followed.
        inputs_of: when given, `inputs_of(node)` says which nodes to follow instead of its inputs and control inputs
            (the ONNX export follows only the branch a cond takes).

    Returns:
        A list of nodes, inputs before the nodes that read them.

    Examples:
        >>> x = gf.constant(1.0, name="x")
        >>> [n.op_name for n in gf.topo_order([gf.square(x, name="y")])]
        ['x', 'y']
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
                if inputs_of is not None:
                    stack.extend((i, False) for i in reversed(inputs_of(node)))
                elif node not in cut:
                    deps = node.inputs + node.control_inputs if node.control_inputs else node.inputs
                    stack.extend((i, False) for i in reversed(deps))
    return order
