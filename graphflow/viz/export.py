"""Export for other tools: GraphML through networkx, and Graphviz DOT text written here (no pydot needed).

Render the DOT with Graphviz (`dot -Tsvg graph.dot -o graph.svg`); open the GraphML in Gephi, yEd or Cytoscape, or
read it back with `nx.read_graphml`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from graphflow.viz.convert import as_networkx, prepare, require_networkx, top_scope
from graphflow.viz.drawing import EDGE_COLOR, GRADIENT, GRADIENT_EDGE_COLOR, STYLES
from graphflow.viz.labels import _lines

_DOT_SHAPES = {
    "placeholder": ("oval", "filled"),
    "variable": ("box", "filled"),
    "constant": ("ellipse", "filled"),
    "operation": ("box", "rounded,filled"),
    "scope": ("box3d", "filled"),
}


def write_graphml(graph_or_fetches: Any, path: str | os.PathLike, multigraph: bool = False) -> None:
    """Writes `to_networkx(graph_or_fetches)` as GraphML; `nx.read_graphml(path)` gives the same graph back.

    Args:
        graph_or_fetches: a `gf.Graph`, fetches, or a graph from `to_networkx`.
        path: the file to write.
        multigraph: one edge per input (see `to_networkx`).

    Returns:
        None.
    """
    require_networkx().write_graphml(as_networkx(graph_or_fetches, multigraph), os.fspath(path))


def quote(text: Any) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as `\\n`."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    return f'"{text}"'


def to_dot(
    graph_or_fetches: Any,
    show_gradients: bool = True,
    collapse_scopes: bool | Iterable[str] = False,
    direction: str = "LR",
    clusters: bool = True,
    show_initializers: bool | None = None,
) -> str:
    """Graphviz DOT text for the graph, styled like `draw_graph`.

    Args:
        graph_or_fetches: a `gf.Graph`, fetches, or a graph from `to_networkx`.
        show_gradients, collapse_scopes, show_initializers: as in `draw_graph`.
        direction: "LR" or "TB" (Graphviz `rankdir`).
        clusters: draw each top-level name scope as a Graphviz cluster (a frame around its nodes).

    Returns:
        The DOT source: one statement per node (its name quoted as the id) and one per edge, with the input
        position as the edge attribute `position`.
    """
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', got {direction!r}")
    G = prepare(graph_or_fetches, show_gradients, show_initializers, collapse_scopes)
    title = G.graph.get("name", "graphflow")
    out = [
        f"digraph {quote(title)} {{",
        f"  rankdir={direction};",
        '  node [fontname="Helvetica", fontsize=10, margin="0.08,0.04"];',
        f'  edge [color="{EDGE_COLOR}", arrowsize=0.6];',
    ]
    groups: dict[str, list[str]] = {}
    for n, data in G.nodes(data=True):
        scope = top_scope(str(n)) if clusters and data.get("kind") != "scope" else ""
        groups.setdefault(scope, []).append(_dot_node(n, data, context=not clusters))
    for scope, lines in groups.items():
        if not scope:
            out += [f"  {line}" for line in lines]
            continue
        out.append(f"  subgraph {quote('cluster_' + scope)} {{")
        out.append(f'    label={quote(scope)}; style="rounded,dashed"; color="#9e9e9e"; fontname="Helvetica";')
        out += [f"    {line}" for line in lines]
        out.append("  }")
    for u, v, data in G.edges(data=True):
        attrs = [f"position={int(data.get('position', 0))}"]
        if data.get("count", 1) > 1:
            attrs.append(f"label={quote('×' + str(data['count']))}")
        if G.nodes[v].get("gradient"):
            attrs.append(f'color="{GRADIENT_EDGE_COLOR}"')
        out.append(f"  {quote(u)} -> {quote(v)} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_node(n: Any, data: dict, context: bool) -> str:
    kind = data.get("kind", "operation")
    style = STYLES.get(kind, STYLES["operation"])
    shape, fill = _DOT_SHAPES.get(kind, _DOT_SHAPES["operation"])
    face, edge = style["face"], style["edge"]
    if data.get("gradient"):
        face, edge, fill = GRADIENT["face"], GRADIENT["edge"], fill + ",dashed"
    label = "\n".join(text for text, *_ in _lines(data, names=False, context=context))
    attrs = [
        f"label={quote(label)}",
        f"shape={shape}",
        f'style="{fill}"',
        f'fillcolor="{face}"',
        f'color="{edge}"',
    ]
    if kind in ("variable", "scope"):
        attrs.append("penwidth=1.6")
    return f"{quote(n)} [{', '.join(attrs)}];"


def write_dot(graph_or_fetches: Any, path: str | os.PathLike, **kwargs: Any) -> None:
    """Writes `to_dot(graph_or_fetches, **kwargs)` to `path` (UTF-8), for Graphviz (`dot -Tsvg`).

    Args:
        graph_or_fetches: a `gf.Graph`, fetches, or a graph from `to_networkx`.
        path: the file to write.
        **kwargs: `to_dot`'s options.

    Returns:
        None.
    """
    text = to_dot(graph_or_fetches, **kwargs)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


__all__ = ["as_networkx", "quote", "to_dot", "write_dot", "write_graphml"]
