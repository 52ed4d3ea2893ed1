"""`draw_graph`: a graph drawn with matplotlib in a layered layout, styled by node kind, gradients set apart.

Shapes and colours say what a node is: placeholders are orange pills, variables green square boxes, constants grey
ellipses, operations blue rounded boxes and collapsed name scopes purple boxes. Gradient and optimizer nodes keep
their shape but get a red dashed outline and a pale red fill, and the edges into them are red. Box sizes follow their
labels and the figure follows the layout, one data unit per inch, so text stays the same size in any graph.
"""

from __future__ import annotations

import functools
import io
import itertools
import os
from collections.abc import Hashable, Iterable
from typing import Any

from graphflow.viz.convert import collapse_scopes as collapse
from graphflow.viz.convert import prepare
from graphflow.viz.labels import DETAIL_SIZE, _box_size, _lines, _text_width
from graphflow.viz.layout import Layout, layout

STYLES: dict[str, dict[str, Any]] = {
    "placeholder": {"face": "#ffe0b2", "edge": "#e65100", "shape": "pill", "title": "placeholder"},
    "variable": {"face": "#c8e6c9", "edge": "#2e7d32", "shape": "square", "title": "variable"},
    "constant": {"face": "#eeeeee", "edge": "#757575", "shape": "ellipse", "title": "constant"},
    "operation": {"face": "#d4e6fa", "edge": "#1565c0", "shape": "round", "title": "operation"},
    "scope": {"face": "#ead7f3", "edge": "#6a1b9a", "shape": "round", "title": "name scope"},
}
GRADIENT = {"face": "#fde4e1", "edge": "#c62828", "linestyle": (0, (3.5, 2.0)), "title": "gradient / optimizer"}
EDGE_COLOR = "#607d8b"
GRADIENT_EDGE_COLOR = "#d84c3e"
READ_EDGE_COLOR = "#e8a49c"  # a gradient op reading a forward value
# Past this many nodes a drawing collapses each top-level name scope into one box unless told otherwise.
COLLAPSE_ABOVE = 60

MARGIN = 0.2
# Labels are shown as written: a "$" in a name or title is not the start of matplotlib's math text.
LITERAL = {"parse_math": False}


def _inset(shape: str, w: float, h: float, offset: float, lr: bool) -> float:
    """How far inside its bounding box a curved border lies, `offset` from the middle of the side edges meet."""
    import math

    if shape == "ellipse":
        a, b = (w / 2, h / 2) if lr else (h / 2, w / 2)
        t = min(abs(offset) / b, 0.999)
        return a * (1 - math.sqrt(1 - t * t))
    if shape == "pill" and lr:
        r = min(w, h) / 2
        t = min(abs(offset), r * 0.999)
        return r - math.sqrt(r * r - t * t)
    return 0.0


def draw_graph(
    graph_or_fetches: Any,
    path: str | os.PathLike | None = None,
    ax: Any = None,
    show_gradients: bool = True,
    collapse_scopes: bool | Iterable[str] | None = None,
    direction: str = "LR",
    show_initializers: bool | None = None,
    names: bool = False,
    legend: bool = True,
    title: str | None = None,
    dpi: float = 100,
    show: bool = False,
    session: Any = None,
    feed_dict: Any = None,
    loss: Any = None,
) -> Any:
    """Draws a graph in a layered layout; saves it, draws it on `ax`, or returns a figure for Jupyter.

    Args:
        graph_or_fetches: a `gf.Graph`, a node or list/tuple/dict of nodes (drawn with everything they need), or a
            networkx graph made by `to_networkx` (e.g. after filtering it).
        path: save to this file; the extension picks the format (`.png`, `.svg`, `.pdf`). Rendered with Agg,
            without pyplot, so it works headless.
        ax: a matplotlib axis to draw on instead of a new figure; the drawing is scaled to fit it.
        show_gradients: False hides the gradient and optimizer nodes (see `gradient_nodes`).
        collapse_scopes: True draws each top-level name scope (`dense`, `dense_1`, `gradients`, `Adam`) as one
            box; or the names of the scopes to collapse. None (the default) collapses them when more than
            `COLLAPSE_ABOVE` (60) nodes would be drawn, so a large network stays legible.
        direction: "LR" (data flows left to right) or "TB" (top to bottom).
        show_initializers: draw the nodes that only initialise variables (see `initializer_nodes`). By default
            they are hidden when drawing a whole graph and shown when drawing fetches.
        names: label operations with their full name instead of their scope.
        legend: draw a key of the styles present above the graph.
        title: text above the graph.
        dpi: resolution of PNG output (and of the figure in Jupyter).
        show: call `matplotlib.pyplot.show()` at the end (opens a window in a script).
        session: run the drawn nodes in this `gf.Session` (with `feed_dict`) and write each one's value under its
            label: the numbers when there are at most four, else shape, mean and standard deviation. Ops that change
            variables are not run, so drawing changes nothing.
        feed_dict: the feeds for that run.
        loss: a scalar node: each node also shows d loss / d node ("grad"), as micrograd's drawing does. When a
            single scalar node is drawn with a session, it is the loss by default; `loss=False` turns that off.
            The gradient nodes this needs are added to the graph once (under the scope `draw_graph_gradients`)
            and left out of later drawings.

    Returns:
        The `ax` given, else the matplotlib `Figure` (it displays inline in Jupyter).

    Raises:
        ImportError: networkx or matplotlib is not installed.
        ValueError: unknown `direction` or file extension.
    """
    from graphflow.viz import values

    G = values.hide_drawing_gradients(prepare(graph_or_fetches, show_gradients, show_initializers, False))
    if session is not None:
        if loss is None and getattr(graph_or_fetches, "shape", None) == ():
            loss = graph_or_fetches
        graph = session.graph
        values.annotate(G, values.run_values(graph, list(G.nodes), session, feed_dict, None if loss is False else loss))
    if collapse_scopes is None:
        collapse_scopes = G.number_of_nodes() > COLLAPSE_ABOVE
    if collapse_scopes:
        G = collapse(G, collapse_scopes)
    labels, shapes, sizes = {}, {}, {}
    for n, data in G.nodes(data=True):
        style = STYLES.get(data.get("kind", "operation"), STYLES["operation"])
        labels[n] = _lines(data, names)
        shapes[n] = style["shape"]
        sizes[n] = _box_size(style["shape"], labels[n])
    lay = layout(G, sizes=sizes, direction=direction)

    kinds = [k for k in STYLES if any(d.get("kind") == k for _, d in G.nodes(data=True))]
    has_gradient = any(d.get("gradient") for _, d in G.nodes(data=True))
    entries = _legend_entries(kinds, has_gradient) if legend else []
    # A small graph still gets room for the legend (its widest entry at least); an empty one a blank figure.
    widest = max((_entry_width(text) for text, _ in entries), default=0.0)
    width, height = max(lay.width, 2.5 if ax is None else 0.5, widest), max(lay.height, 0.4)
    rows = _legend_rows(entries, width) if ax is None else [entries]
    legend_h = (0.42 + 0.3 * (len(rows) - 1)) if entries else 0.0
    header = legend_h + (0.3 if title else 0.0)
    fig_w, fig_h = width + 2 * MARGIN, height + 2 * MARGIN + header

    if ax is None:
        fig = _new_figure((fig_w, fig_h), dpi, show)
        target = fig.add_axes((MARGIN / fig_w, MARGIN / fig_h, width / fig_w, height / fig_h))
        target.set_ylim(0, height)
        scale = 1.0
    else:
        fig, target = ax.figure, ax
        bbox = ax.get_position()
        box_w, box_h = bbox.width * fig.get_figwidth(), bbox.height * fig.get_figheight()
        scale = min(box_w / width, box_h / (height + header))
        target.set_ylim(0, height + header)
    target.set_xlim(0, width)
    target.set_aspect("equal", adjustable="box")
    target.axis("off")

    _draw_edges(target, G, lay, shapes, scale)
    for n, data in G.nodes(data=True):
        _draw_node(target, data, lay.pos[n], sizes[n], shapes[n], labels[n], scale)

    if entries:
        if ax is None:
            bottom = height + 2 * MARGIN
            key_ax = fig.add_axes((0, bottom / fig_h, 1, legend_h / fig_h))
            key_ax.set_xlim(0, fig_w)
            key_ax.set_ylim(0, legend_h)
            key_ax.axis("off")
            for k, row in enumerate(rows):
                _draw_legend(key_ax, row, MARGIN, legend_h - 0.24 - 0.3 * k, 1.0)
        else:
            _draw_legend(target, entries, 0.0, height + header - 0.21, scale)
    if title:
        if ax is None:
            place = (MARGIN / fig_w, 1 - 0.08 / fig_h)
            fig.text(*place, title, ha="left", va="top", fontsize=11, weight="bold", **LITERAL)
        else:
            target.set_title(title, fontsize=11 * max(scale, 0.5), **LITERAL)

    if path is not None:
        _save(fig, path)
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return ax if ax is not None else fig


def _new_figure(size: tuple[float, float], dpi: float, show: bool) -> Any:
    # The pixel size must stay within what Agg can render; very large graphs get a lower resolution.
    dpi = min(dpi, 30000 / max(size))
    if show:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size, dpi=dpi)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    fig._repr_png_ = functools.partial(_png_bytes, fig)  # Jupyter shows the returned figure inline
    return fig


def _png_bytes(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def _save(fig: Any, path: str | os.PathLike) -> None:
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in ("png", "svg", "pdf", "jpg", "jpeg"):
        raise ValueError(f"cannot tell the image format from {os.fspath(path)!r}: use .png, .svg, .pdf or .jpg")
    if fig.canvas is None or type(fig.canvas).__name__ == "FigureCanvasBase":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    parent = os.path.dirname(os.fspath(path))
    if parent:
        os.makedirs(parent, exist_ok=True)
    fig.savefig(path, format=ext, dpi=fig.dpi, facecolor="white")


def _style(data: dict[str, Any]) -> dict[str, Any]:
    style = dict(STYLES.get(data.get("kind", "operation"), STYLES["operation"]))
    style["linestyle"] = "solid"
    style["linewidth"] = 1.6 if data.get("kind") in ("variable", "scope") else 1.0
    if data.get("gradient"):
        style.update(face=GRADIENT["face"], edge=GRADIENT["edge"], linestyle=GRADIENT["linestyle"])
    return style


def _patch(shape: str, center: tuple[float, float], size: tuple[float, float], style: dict, scale: float) -> Any:
    from matplotlib.patches import Ellipse, FancyBboxPatch

    (x, y), (w, h) = center, size
    common = {
        "facecolor": style["face"],
        "edgecolor": style["edge"],
        "linewidth": style["linewidth"] * max(scale, 0.3),
        "linestyle": style["linestyle"],
        "zorder": 3,
        "clip_on": False,
    }
    if shape == "ellipse":
        return Ellipse((x, y), w, h, **common)
    rounding = {"pill": min(w, h) / 2, "round": 0.07, "square": 0.0}[shape]
    box = f"round,pad=0,rounding_size={rounding}" if rounding else "square,pad=0"
    return FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=box, **common)


def _draw_node(
    ax: Any, data: dict, center: tuple[float, float], size: tuple[float, float], shape: str, lines: list, scale: float
) -> None:
    ax.add_patch(_patch(shape, center, size, _style(data), scale))
    x, y = center
    total = sum(s * 1.22 / 72 for _, s, _, _ in lines)
    top = y + total / 2
    for text, s, bold, colour in lines:
        step = s * 1.22 / 72
        ax.text(
            x,
            top - step / 2,
            text,
            ha="center",
            va="center",
            fontsize=s * scale,
            color=colour,
            weight="bold" if bold else "normal",
            **LITERAL,
            zorder=4,
        )
        top -= step


def _draw_edges(ax: Any, G: Any, lay: Layout, shapes: dict[Hashable, str], scale: float) -> None:
    from matplotlib.patches import PathPatch, Polygon
    from matplotlib.path import Path

    lr = lay.direction == "LR"
    for (u, v), points in lay.routes.items():
        # Heads of the edges entering one box must not overlap: narrower when many share its side.
        inputs = G.in_degree(v)
        side = (lay.size[v][1] if lr else lay.size[v][0]) * 0.6
        head_w = 0.06 if inputs < 2 else min(0.06, 0.85 * side / (inputs - 1))
        head_len = head_w * 1.4
        points = list(points)
        # Curved borders (pills, ellipses) lie inside the bounding box the layout used.
        for k, node, sign in ((0, u, 1), (-1, v, -1)):
            (px, py), (x, y) = points[k], lay.pos[node]
            w, h = lay.size[node]
            inset = _inset(shapes[node], w, h, (py - y) if lr else (px - x), lr)
            points[k] = (px - sign * inset, py) if lr else (px, py + sign * inset)
        # The arrow head ends at the border; the line ends at the head's base.
        tip = points[-1]
        base = (tip[0] - head_len, tip[1]) if lr else (tip[0], tip[1] + head_len)
        points[-1] = base
        if len(points) > 2 and (points[-2][0] > base[0] if lr else points[-2][1] < base[1]):
            del points[-2]  # the layer band starts under the arrow head
        verts, codes = [points[0]], [Path.MOVETO]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if lr:
                dx = (x1 - x0) / 2
                verts += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
            else:
                dy = (y1 - y0) / 2
                verts += [(x0, y0 + dy), (x1, y1 - dy), (x1, y1)]
            codes += [Path.CURVE4] * 3
        if not G.nodes[v].get("gradient", False):
            colour, width, z = EDGE_COLOR, 0.9, 1.2
        elif G.nodes[u].get("gradient", False):
            colour, width, z = GRADIENT_EDGE_COLOR, 0.9, 1.1
        else:  # a gradient reading a forward value: drawn lighter, these are many and long
            colour, width, z = READ_EDGE_COLOR, 0.75, 1.0
        ax.add_patch(
            PathPatch(
                Path(verts, codes),
                facecolor="none",
                edgecolor=colour,
                linewidth=width * max(scale, 0.3),
                zorder=z,
                capstyle="butt",
                clip_on=False,
            )
        )
        if lr:
            head = [tip, (base[0], base[1] + head_w / 2), (base[0], base[1] - head_w / 2)]
        else:
            head = [tip, (base[0] - head_w / 2, base[1]), (base[0] + head_w / 2, base[1])]
        ax.add_patch(Polygon(head, closed=True, facecolor=colour, edgecolor="none", zorder=2, clip_on=False))
        count = G.edges[u, v].get("count", 1)
        # `x * x`: one arrow for two inputs. Between scope boxes a count would only say how many wires merged.
        if count > 1 and "scope" not in (G.nodes[u].get("kind"), G.nodes[v].get("kind")):
            # In the gap before the arrow: the route ends [..., leave previous layer, enter v's layer, border of v].
            (x0, y0), (x1, y1) = lay.routes[(u, v)][-3:-1]
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                f"×{count}",
                fontsize=DETAIL_SIZE * scale,
                color=colour,
                ha="center",
                va="center",
                zorder=2.5,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )


def _legend_entries(kinds: list[str], gradient: bool) -> list[tuple[str, dict[str, Any]]]:
    """(text, node data to style the sample box) for each kind of node drawn."""
    entries = [(STYLES[k]["title"], {"kind": k}) for k in kinds]
    if gradient:
        entries.append((GRADIENT["title"], {"kind": "operation", "gradient": True}))
    return entries


def _entry_width(text: str) -> float:
    return 0.34 + 0.06 + _text_width(text, 8, False) + 0.25


def _legend_rows(entries: list, width: float) -> list[list]:
    """The entries in rows no wider than `width` inches, so the key is never cut off by a narrow figure."""
    rows: list[list] = [[]]
    used = 0.0
    for entry in entries:
        w = _entry_width(entry[0])
        if rows[-1] and used + w - 0.25 > width:
            rows.append([])
            used = 0.0
        rows[-1].append(entry)
        used += w
    return rows


def _draw_legend(ax: Any, entries: list, x: float, y: float, scale: float) -> None:
    """A row of sample boxes with their meaning; sizes in data units (inches), text scaled by `scale`."""
    for text, data in entries:
        shape = STYLES[data["kind"]]["shape"]
        w, h = 0.34, 0.2
        ax.add_patch(_patch(shape, (x + w / 2, y), (w, h), _style(data), scale))
        ax.text(x + w + 0.06, y, text, fontsize=8 * scale, va="center", ha="left", color="#263238", **LITERAL)
        x += _entry_width(text)
