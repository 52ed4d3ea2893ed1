"""What a drawing shows from a run: each node's value and, for a loss, each node's gradient (as micrograd draws them).

`run_values` runs the drawn nodes in a session and `annotate` writes the short texts onto the networkx graph that
`draw_graph` draws. Ops that change variables (assignments, optimizer updates) are never run: drawing a graph leaves
the session's variables as they were. The gradient nodes built for a drawing are cached per (loss, nodes), under the
name scope `SCOPE`, so drawing again does not grow the graph, and drawings of the whole graph leave them out.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np

from graphflow.graph import Graph
from graphflow.nodes import Node

SCOPE = "draw_graph_gradients"
_OWN = re.compile(rf"{SCOPE}(_\d+)?(/|$)")
_GRADIENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loss -> {tuple of nodes: gradient nodes}


def summarize(value: Any) -> str:
    """A few characters for an array: the numbers when there are at most four, else mean, spread and range."""
    if value is None:
        return ""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return ""
    shape = "x".join(map(str, array.shape))
    if array.size == 0:
        return f"({shape}) empty"
    if array.size <= 4:
        numbers = " ".join(_number(v) for v in array.ravel())
        return numbers if array.ndim == 0 else f"[{numbers}]"
    flat = array.astype(np.float64).ravel()
    if not np.isfinite(flat).all():
        bad = int((~np.isfinite(flat)).sum())
        return f"({shape}) {bad} not finite"
    return f"({shape}) μ {_number(flat.mean())} σ {_number(flat.std())}"


def _number(v: Any) -> str:
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


def _drawable(node: Node) -> bool:
    """A forward node whose value can be fetched without changing anything."""
    opdef = getattr(node, "opdef", None)
    if opdef is not None and (opdef.ref is not None or opdef.name in ("NoOp",)):
        return False
    return node.role == "forward" and node.dtype is not None


def _values(session: Any, nodes: list[Node], feed_dict: Mapping | None) -> dict[Node, Any]:
    try:
        return dict(zip(nodes, session.run(nodes, feed_dict), strict=True))
    except Exception:  # a node needs a feed that was not given: show what can be computed, node by node
        out = {}
        for node in nodes:
            try:
                out[node] = session.run(node, feed_dict)
            except Exception:  # each node on its own, so a missing feed hides only the nodes that need it
                continue
        return out


def gradient_nodes_for(loss: Node, nodes: list[Node]) -> dict[Node, Node]:
    """d loss / d node for each float node that reaches `loss`, built once per (loss, nodes) and cached."""
    from graphflow.gradients import gradients

    key = tuple(nodes)
    cache = _GRADIENTS.setdefault(loss, {})
    if key not in cache:
        floats = [n for n in nodes if np.dtype(n.dtype).kind == "f"]
        with loss.graph.as_default():
            grads = gradients(loss, floats, name=SCOPE) if floats else []
        cache[key] = {n: g for n, g in zip(floats, grads, strict=True) if g is not None}
    return cache[key]


def run_values(
    graph: Graph, names: list[str], session: Any, feed_dict: Mapping | None = None, loss: Node | None = None
) -> dict[str, dict[str, str]]:
    """For each node name, `{"value": ..., "grad": ...}` texts from one run of `session` with `feed_dict`.

    Args:
        loss: a scalar node; each drawn node then also shows d loss / d node.
    """
    by_name = {n.op_name: n for n in graph.nodes}
    nodes = [by_name[n] for n in names if n in by_name and _drawable(by_name[n])]
    values = _values(session, nodes, feed_dict)
    grads: dict[Node, Any] = {}
    if loss is not None:
        grad_nodes = gradient_nodes_for(loss, [n for n in nodes if n in values])
        fetched = _values(session, list(grad_nodes.values()), feed_dict)
        grads = {n: fetched[g] for n, g in grad_nodes.items() if g in fetched}
    return {
        node.op_name: {"value": summarize(values.get(node)), "grad": summarize(grads.get(node))}
        for node in nodes
        if node in values
    }


def annotate(G: Any, texts: dict[str, dict[str, str]]) -> None:
    """Stores the texts as node attributes `run_value` and `run_grad`, which `draw_graph` adds to the labels."""
    for name, text in texts.items():
        if name in G:
            G.nodes[name]["run_value"] = text["value"]
            G.nodes[name]["run_grad"] = text["grad"]


def hide_drawing_gradients(G: Any) -> Any:
    """`G` without the gradient nodes earlier drawings built (under `SCOPE`)."""
    drop = [n for n in G.nodes if _OWN.match(n)]
    if drop:
        G = G.copy()
        G.remove_nodes_from(drop)
    return G
