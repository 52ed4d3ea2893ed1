"""Seeing graphs: graphflow graphs as networkx graphs, layered drawings with matplotlib, GraphML and DOT export.

`to_networkx(graph_or_fetches)` gives an `nx.DiGraph` that standard networkx tools work on; `draw_graph` draws it
left to right (or top down) by topological generation, styled by node kind, with gradient and optimizer nodes set
apart and name scopes optionally collapsed into boxes; `write_graphml`, `to_dot` and `write_dot` export it for other
tools. networkx and matplotlib are imported only when one of these functions runs, so `import graphflow` stays fast.
"""

from graphflow.viz.classify import gradient_nodes, initializer_nodes, node_is_gradient
from graphflow.viz.convert import collapse_scopes, to_networkx
from graphflow.viz.drawing import draw_graph
from graphflow.viz.export import to_dot, write_dot, write_graphml
from graphflow.viz.layout import layer_assignment, layered_layout

draw = draw_graph

__all__ = [
    "collapse_scopes", "draw", "draw_graph", "gradient_nodes", "initializer_nodes",
    "layer_assignment", "layered_layout", "node_is_gradient", "to_dot", "to_networkx", "write_dot", "write_graphml",
]  # fmt: skip


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
