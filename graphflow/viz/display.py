"""Graphs and nodes as drawings in Jupyter: `register` tells IPython to show them with `svg`.

`import graphflow` calls `register` when it runs inside IPython, so a `gf.Graph` or a node left as a cell's last
line (or passed to `display`) shows as its drawing; sessions and plans have `_repr_html_` of their own. The core
classes keep no drawing code, and viz is imported only where IPython is.
"""

from __future__ import annotations

import io
from typing import Any

# A notebook cell should not turn into a poster: past this many nodes there is no picture, only the text repr.
MAX_NODES = 400


def svg(graph_or_fetches: Any, **options: Any) -> str:
    """`draw_graph` as SVG text; text stays text (not paths), so names can be searched and selected."""
    import matplotlib

    from graphflow.viz.drawing import draw_graph

    fig = draw_graph(graph_or_fetches, **options)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", facecolor="white")
    return buffer.getvalue()


def graph_svg(graph_or_node: Any) -> str | None:
    """A graph's or node's picture for Jupyter, or None (Jupyter then shows the text repr) when it is empty or too
    large to draw, or networkx or matplotlib is missing."""
    size = len(getattr(graph_or_node, "graph", graph_or_node).nodes)
    if size == 0 or size > MAX_NODES:
        return None
    try:
        return svg(graph_or_node)
    except ImportError:
        return None


def register(shell: Any) -> None:
    """Shows graphs and nodes (and so variables and placeholders) as drawings in this IPython shell."""
    from graphflow.graph import Graph
    from graphflow.nodes import Node

    formatter = shell.display_formatter.formatters["image/svg+xml"]
    for cls in (Graph, Node):
        formatter.for_type(cls, graph_svg)
