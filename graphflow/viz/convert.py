"""Graphflow graphs as networkx graphs, with the gradient and initializer flags, and scope collapsing.

`to_networkx` turns graphflow nodes into networkx ones (flagged by `graphflow.viz.classify`); drawing and export work
on the networkx graph it returns, so a user can filter that graph with networkx and still draw or export it. networkx
is imported inside the functions, so `import graphflow` (and `import graphflow.viz`) stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphflow.graph import Graph, common_graph, topo_order
from graphflow.nodes import Node
from graphflow.shapes import format_shape
from graphflow.viz.classify import gradient_nodes, initializer_nodes


def require_networkx() -> Any:
    """The networkx module, or an ImportError that says what to install."""
    try:
        import networkx
    except ImportError as e:
        raise ImportError("graphflow.viz needs networkx: pip install networkx (or pip install graphflow)") from e
    return networkx


# --------------------------------------------------------------------------------------------------------------------
# Which nodes to show


def _flatten(fetches: Any) -> list[Node]:
    """The nodes in a fetch structure as `Session.run` accepts it: a node, or lists, tuples, dicts nesting nodes."""
    out: list[Node] = []
    stack = [fetches]
    while stack:
        item = stack.pop()
        if isinstance(item, Node):
            out.append(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(reversed(list(item)))
        else:
            raise TypeError(
                f"expected a gf.Graph, a graph node, or a list/tuple/dict of nodes, got {type(item).__name__}: {item!r}"
            )
    return out


def select(graph_or_fetches: Any) -> tuple[Graph, list[Node]]:
    """The graph and the nodes to convert, in creation order (which is a topological order).

    A `Graph` gives all its nodes; a node or a structure of nodes gives those nodes and everything they need.

    Raises:
        TypeError: `graph_or_fetches` is neither a graph nor nodes.
        ValueError: the fetches are empty or come from two graphs.
    """
    if isinstance(graph_or_fetches, Graph):
        return graph_or_fetches, list(graph_or_fetches.nodes)
    fetches = _flatten(graph_or_fetches)
    if not fetches:
        raise ValueError("nothing to convert: the fetches hold no graph nodes")
    graph = common_graph(fetches, "graphflow.viz")
    needed = set(topo_order(fetches))
    return graph, [n for n in graph.nodes if n in needed]


# --------------------------------------------------------------------------------------------------------------------
# Conversion


def scope_of(name: str) -> str:
    """`dense/MatMul` -> `dense`; `x` -> `` (the root scope)."""
    return name.rsplit("/", 1)[0] if "/" in name else ""


def _short_value(node: Node) -> str:
    """A constant's value when it is a scalar (`0.03`), else ''."""
    value = getattr(node, "value", None)
    try:
        if value is not None and getattr(value, "ndim", 0) == 0:
            return f"{float(value):.4g}"
    except (TypeError, ValueError):
        pass
    return ""


def to_networkx(graph_or_fetches: Any, multigraph: bool = False) -> Any:
    """The graph as a networkx `DiGraph` keyed by node name.

    Args:
        graph_or_fetches: a `gf.Graph` (every node), or a node / list / tuple / dict of nodes (those nodes and what
            they need, as a `Session.run` of them would compute).
        multigraph: return a `MultiDiGraph` with one edge per input instead (`x * x` gives two parallel edges).

    Returns:
        `nx.DiGraph` with node attributes `name`, `kind` (placeholder / variable / constant / operation), `op` (the
        op type, e.g. `MatMul`), `dtype` (str, '' when only known at run time), `shape` (str such as `[?,784]`,
        `<unknown>` for an unknown rank), `scope` (the node's name scope, '' at the root), `gradient` (bool, see
        `gradient_nodes`), `initializer` (bool, see `initializer_nodes`), `trainable` (bool, variables only),
        `value` (a scalar constant's value as str, else '') and `index` (creation order).
        One edge per (input, consumer) pair with `position`, the input's index in the consumer's inputs; an input
        used several times (`x * x`) gives one edge whose `position` is the first index, `positions` lists them all
        ("0,1") and `count` says how many. Every attribute is a str, int or bool, so `nx.write_graphml` works.
        With `multigraph=True`, every input is its own edge, with its own `position`.

    Raises:
        ImportError: networkx is not installed.
    """
    nx = require_networkx()
    graph, nodes = select(graph_or_fetches)
    grads = gradient_nodes(graph)
    inits = initializer_nodes(graph)
    index = {n: k for k, n in enumerate(graph.nodes)}
    G = nx.MultiDiGraph() if multigraph else nx.DiGraph()
    G.graph["name"] = f"graphflow graph #{graph.serial}"
    for n in nodes:
        G.add_node(
            n.op_name,
            name=n.op_name,
            kind=n.kind,
            op=n.type,
            dtype="" if n.dtype is None else str(n.dtype),
            shape=format_shape(n.shape),
            scope=scope_of(n.op_name),
            gradient=n in grads,
            initializer=n in inits,
            trainable=bool(getattr(n, "trainable", False)),
            value=_short_value(n),
            index=index[n],
        )
    for n in nodes:
        slots: dict[str, list[int]] = {}
        for position, i in enumerate(n.inputs):
            slots.setdefault(i.op_name, []).append(position)
        for source, positions in slots.items():
            if multigraph:
                for p in positions:
                    G.add_edge(source, n.op_name, position=p)
            else:
                G.add_edge(
                    source,
                    n.op_name,
                    position=positions[0],
                    positions=",".join(map(str, positions)),
                    count=len(positions),
                )
    return G


def as_networkx(graph_or_fetches: Any, multigraph: bool = False) -> Any:
    """A networkx graph made by `to_networkx` is used as it is; anything else is converted (`multigraph`: one edge
    per input, see `to_networkx`)."""
    nx = require_networkx()
    if isinstance(graph_or_fetches, nx.Graph):
        return graph_or_fetches
    return to_networkx(graph_or_fetches, multigraph=multigraph)


def top_scope(name: str) -> str:
    """`dense/kernel/Adam` -> `dense`; a node in the root scope has none ('')."""
    return name.split("/", 1)[0] if "/" in name else ""


def collapse_scopes(G: Any, scopes: bool | Iterable[str] = True) -> Any:
    """A copy of `G` with each top-level name scope merged into one node of kind `scope`.

    A scope holding both forward and gradient nodes becomes two boxes (`dense` holds the layer, `dense [grad]` the
    optimizer slots Adam keeps next to its variables), so a box never mixes the two. A box that would close a cycle
    (a scope read by a node that reads it) is left expanded, so the result stays a DAG.

    Args:
        G: a graph from `to_networkx`.
        scopes: True for every top-level scope, or the names of the top-level scopes to collapse.

    Returns:
        A new `nx.DiGraph`. A scope node has `kind="scope"`, `name`, `op` (the scope name), `members` (how many
        nodes it holds), `gradient`, `shape` and `dtype` (of the one member read from outside, e.g. the layer's
        activation; '' when there are several), and `variables` (how many variables it holds). Edges join what
        the members joined.
    """
    nx = require_networkx()
    wanted = None if scopes is True else set(scopes or ())

    kinds: dict[str, set[bool]] = {}
    for n in G.nodes:
        kinds.setdefault(top_scope(n), set()).add(bool(G.nodes[n].get("gradient")))

    def box(n: str) -> str | None:
        s = top_scope(n)
        if not s or (wanted is not None and s not in wanted):
            return None
        mixed = len(kinds[s]) == 2
        return f"{s} [grad]" if mixed and G.nodes[n].get("gradient") else s

    group = {n: box(n) for n in G.nodes}
    while True:
        H, keys = _merge(nx, G, group)
        if nx.is_directed_acyclic_graph(H):
            return H
        cycle = {u for u, _ in nx.find_cycle(H)}
        for n, b in group.items():
            if b is not None and keys[b] in cycle:
                group[n] = None


def _merge(nx: Any, G: Any, group: dict[str, str | None]) -> tuple[Any, dict[str, str]]:
    """`G` with each group's members merged into one node; also returns each group's node key."""
    H = nx.DiGraph()
    H.graph.update(G.graph)
    members: dict[str, list[str]] = {}
    for n in G.nodes:
        b = group[n]
        if b is None:
            H.add_node(n, **G.nodes[n])
        else:
            members.setdefault(b, []).append(n)
    keys = {}
    for b, ns in members.items():
        key = b if b not in H else f"{b}/"  # a lone node may already have the scope's name (`loss` and `loss/...`)
        keys[b] = key
        gradient = all(G.nodes[n].get("gradient", False) for n in ns)
        # The box's output: its one member read from outside (by forward nodes, for a forward box).
        outputs = [
            n
            for n in ns
            if any(group.get(s) != b and (gradient or not G.nodes[s].get("gradient")) for s in G.successors(n))
        ]
        out = G.nodes[outputs[0]] if len(outputs) == 1 else {}
        H.add_node(
            key,
            name=b,
            kind="scope",
            op=b,
            dtype=out.get("dtype", ""),
            shape=out.get("shape", ""),
            scope="",
            gradient=gradient,
            initializer=all(G.nodes[n].get("initializer", False) for n in ns),
            trainable=False,
            value="",
            index=min(G.nodes[n].get("index", 0) for n in ns),
            members=len(ns),
            variables=sum(G.nodes[n].get("kind") == "variable" for n in ns),
            **{k: out[k] for k in ("run_value", "run_grad") if k in out},  # a drawing's values, see viz.values
        )
    for u, v, data in G.edges(data=True):
        src = u if group[u] is None else keys[group[u]]
        dst = v if group[v] is None else keys[group[v]]
        if src == dst:
            continue
        if H.has_edge(src, dst):
            H.edges[src, dst]["count"] = H.edges[src, dst].get("count", 1) + data.get("count", 1)
        else:
            H.add_edge(src, dst, position=data.get("position", 0), count=data.get("count", 1))
    return H, keys


def prepare(
    graph_or_fetches: Any,
    show_gradients: bool = True,
    show_initializers: bool | None = None,
    collapse: bool | Iterable[str] = False,
) -> Any:
    """The networkx graph to draw or export: converted, filtered, and with scopes collapsed if asked.

    `show_initializers=None` hides the initializer nodes of a whole `Graph` but keeps them when they were fetched.
    """
    nx = require_networkx()
    whole = isinstance(graph_or_fetches, Graph)
    G = as_networkx(graph_or_fetches)
    if show_initializers is None:
        show_initializers = not whole
    drop = [
        n
        for n, d in G.nodes(data=True)
        if (not show_gradients and d.get("gradient")) or (not show_initializers and d.get("initializer"))
    ]
    if drop:
        G = G.copy()
        G.remove_nodes_from(drop)
    if isinstance(G, nx.MultiGraph):
        G = _simple(nx, G)
    if collapse:
        G = collapse_scopes(G, collapse)
    return G


def _simple(nx: Any, G: Any) -> Any:
    """A MultiDiGraph from `to_networkx(..., multigraph=True)` as a DiGraph with `positions`/`count` per edge."""
    H = nx.DiGraph()
    H.graph.update(G.graph)
    H.add_nodes_from(G.nodes(data=True))
    for u, v, data in G.edges(data=True):
        p = data.get("position", 0)
        if H.has_edge(u, v):
            e = H.edges[u, v]
            e["positions"] += f",{p}"
            e["count"] += 1
            e["position"] = min(e["position"], p)
        else:
            H.add_edge(u, v, position=p, positions=str(p), count=1)
    return H
