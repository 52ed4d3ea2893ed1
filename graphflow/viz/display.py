"""How graphs, nodes, sessions and plans show themselves in Jupyter: drawings as SVG, sessions and plans as HTML.

The `_repr_svg_` and `_repr_html_` methods of `Graph`, `Node`, `Session` and `Plan` call these functions, so the
core stays free of drawing code and imports this module only when a notebook asks for a picture.
"""

from __future__ import annotations

import html
import io
from typing import Any

# A notebook cell should not turn into a poster: past this many nodes the picture is the collapsed scopes only, and
# past MAX_NODES there is no picture, only the text repr.
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


def graph_svg(graph_or_fetches: Any, size: int) -> str | None:
    """A graph's or node's picture for Jupyter, or None (Jupyter then shows the text repr) when it is too large."""
    if size == 0 or size > MAX_NODES:
        return None
    try:
        return svg(graph_or_fetches)
    except ImportError:  # no networkx or matplotlib: the text repr will do
        return None


def session_html(session: Any) -> str:
    """A session as a small table: its graph, variables holding values, compiled plans and debugging mode."""
    rows = [
        ("graph", repr(session.graph)),
        ("variables with a value", str(len(session._values))),
        ("compiled plans", str(len(session._plans))),
        ("debug_nans", str(session.debug_nans)),
        ("closed", str(session._closed)),
    ]
    cells = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table><caption>gf.Session</caption>{cells}</table>"


def plan_html(plan: Any) -> str:
    """A plan as the monospaced text `print(plan)` gives, which is meant to be read line by line."""
    return f"<pre style='font-size:90%'>{html.escape(str(plan))}</pre>"
