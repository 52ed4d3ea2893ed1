"""The graph: the `Graph` that collects nodes, the default-graph stack, name scopes and the topological order.

A `Graph` is a program. Its nodes (`nodes.py`, `variables.py`) are `Placeholder`s (inputs fed at run time),
`Variable`s (state a `Session` keeps), `Constant`s and `Operation`s (an op applied to input nodes). This module knows
nodes only by what they hold (`graph`, `name`, `inputs`), so it imports none of them.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from graphflow.defaults import GRAPHS, AsDefault

if TYPE_CHECKING:
    from graphflow.nodes import Node

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
