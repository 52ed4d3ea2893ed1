"""Which nodes belong to a gradient and which only initialise variables, read from the marks the core sets.

`gf.gradients`, optimizers and variable initializers build their nodes under a role (`gf.Node.role`); these
functions add what follows from the graph's structure (what is computed from a gradient, what only an initializer
needs) and never look at names. They read graphflow nodes only, so they need neither networkx nor matplotlib.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphflow.graph import Graph, topo_order
from graphflow.nodes import Node
from graphflow.variables import Variable


def _consumers(graph: Graph) -> dict[Node, list[Node]]:
    consumers: dict[Node, list[Node]] = {n: [] for n in graph.nodes}
    for node in graph.nodes:
        for i in dict.fromkeys(node.inputs):
            consumers.setdefault(i, []).append(node)
    return consumers


def _downstream(graph: Graph, seeds: Iterable[Node]) -> set[Node]:
    """`seeds` and every node computed from them (one pass: creation order puts inputs first)."""
    found = set(seeds)
    for n in graph.nodes:
        if n not in found and any(i in found for i in n.inputs):
            found.add(n)
    return found


def initializer_nodes(graph: Graph) -> set[Node]:
    """Nodes that only exist to initialise variables: initial values, their inputs, `initializer` assigns, `init`.

    These are the nodes built with `role="initializer"` (see `gf.Node.role`), the initial values a variable was given
    as nodes (`gf.Variable(gf.random_normal(...))`) and groups of initializers (`gf.group(W.initializer, ...)`), with
    what they read, unless something else needs them.
    They hang off the graph unconnected (a variable does not take its initial value as an input), so drawings leave
    them out unless asked.

    Args:
        graph: a `gf.Graph`.

    Returns:
        A set of nodes.
    """
    roots = {n for n in graph.nodes if n.role == "initializer"}
    # A variable given an array has no initial-value node until something asks for it; asking would add one.
    roots.update(v.initial_value for v in graph.nodes if isinstance(v, Variable) and v.initial_array() is None)
    consumers = _consumers(graph)
    for n in graph.nodes:  # `gf.group(W.initializer, b.initializer)`: a NoOp that only runs initializers
        if n.type == "NoOp" and n.inputs and all(i in roots for i in n.inputs):
            roots.add(n)
    sinks = [n for n in graph.nodes if n not in roots and not consumers[n]]
    used = set(topo_order(sinks))
    return {n for n in graph.nodes if n not in used}


def gradient_nodes(graph: Graph) -> set[Node]:
    """The nodes of `graph` that belong to a gradient: built by `gf.gradients` or by an optimizer.

    That is:

    1. nodes built with `role="gradient"` or `role="update"` (see `gf.Node.role`): the backward pass, and an
       optimizer's slots, step sizes, update ops and train op;
    2. nodes computed from those (a gradient's norm, an update written by hand with `assign_sub`);
    3. leaves (variables, constants, placeholders) read only by gradient nodes: a learning-rate placeholder, the
       global step;

    and the nodes computed from those. Forward nodes a gradient reads (the layer's activations) stay forward nodes,
    and nodes that only initialise variables (see `initializer_nodes`) are never gradient nodes.

    Args:
        graph: a `gf.Graph`.

    Returns:
        A set of nodes.
    """
    consumers = _consumers(graph)
    inits = initializer_nodes(graph)
    found = _downstream(graph, [n for n in graph.nodes if n.role in ("gradient", "update")])
    for n in graph.nodes:
        readers = [c for c in consumers[n] if c not in inits]  # its own `initializer` assign does not count
        if not n.inputs and readers and all(c in found for c in readers):
            found.add(n)
    return _downstream(graph, found) - inits


def node_is_gradient(node: Node) -> bool:
    """Whether `node` belongs to a gradient or an optimizer update (the rule of `gradient_nodes`).

    Args:
        node: a node of a graph.

    Returns:
        bool.
    """
    return node in gradient_nodes(node.graph)
