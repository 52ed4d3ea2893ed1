"""A layered (Sugiyama-style) layout: data flows one way, boxes never overlap, long edges bend around boxes.

The steps: layers by topological generation (`nx.topological_generations`), then each node moved within its slack
to shorten edges (a variable sits just before the op that reads it, not in the first column); edges spanning several
layers get a chain of invisible way-points; the order inside each layer is improved by barycenter sweeps (fewer
crossings); and coordinates across the layers are set so edges run as straight as the boxes' sizes allow.
Everything is measured in inches, so a figure can be sized to the graph.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphflow.viz.convert import require_networkx

Point = tuple[float, float]


def layer_assignment(G: Any) -> dict[Hashable, int]:
    """The layer (column for left-to-right) of every node of the DAG `G`; every edge goes to a higher layer.

    Starts from `nx.topological_generations`, then moves each node within the bounds its inputs and outputs set,
    to the end where its edges are shorter in total: a variable or constant sits just before its first reader, not
    in the first column. A gradient node's reads of forward values (node attribute `gradient`) weigh half, and a
    gradient node that could go either way goes late, so a backward chain stays next to the gradients it feeds
    instead of next to the forward values it reads.

    Args:
        G: a networkx DiGraph, e.g. from `to_networkx`.

    Returns:
        A dict from node to layer number, 0 for the first.

    Raises:
        ValueError: `G` has a cycle.
    """
    nx = require_networkx()
    if not nx.is_directed_acyclic_graph(G):
        raise ValueError(f"cannot lay out a graph with a cycle: {nx.find_cycle(G)}")
    layer = {n: k for k, generation in enumerate(nx.topological_generations(G)) for n in generation}
    order = list(nx.topological_sort(G))
    gradient = {n: bool(G.nodes[n].get("gradient", False)) for n in G.nodes}

    def weight(u: Hashable, v: Hashable) -> float:
        if G.in_degree(u) == 0:
            return 0.0  # a source follows its reader, so its edge does not hold the reader back
        return 0.5 if gradient[v] and not gradient[u] else 1.0

    for _ in range(8):
        changed = False
        for sweep in (reversed(order), order):
            for n in sweep:
                preds, succs = set(G.predecessors(n)), set(G.successors(n))
                if not succs:
                    continue  # a sink stays right after its last input
                hi = min(layer[s] - 1 for s in succs)
                if not preds:
                    new = hi
                else:
                    lo = max(layer[p] + 1 for p in preds)
                    pull_in = sum(weight(p, n) for p in preds)
                    pull_out = sum(weight(n, s) for s in succs)
                    if pull_out > pull_in or (pull_out == pull_in and gradient[n]):
                        new = hi
                    elif pull_in > pull_out:
                        new = lo
                    else:
                        continue
                if new != layer[n]:
                    layer[n], changed = new, True
        if not changed:
            break
    low = min(layer.values(), default=0)
    return {n: k - low for n, k in layer.items()}


@dataclass
class Layout:
    """Where everything goes, in inches: box centres, layers, and each edge's way-points (box border to border)."""

    direction: str
    pos: dict[Hashable, Point] = field(default_factory=dict)
    size: dict[Hashable, Point] = field(default_factory=dict)
    layer: dict[Hashable, int] = field(default_factory=dict)
    routes: dict[tuple[Hashable, Hashable], list[Point]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


@dataclass(frozen=True)
class _Dummy:
    """A way-point of the long edge `u -> v` in an intermediate layer."""

    u: Hashable
    v: Hashable
    k: int


def layout(
    G: Any,
    sizes: Mapping[Hashable, Point] | None = None,
    direction: str = "LR",
    rank_gap: float | None = None,
    node_gap: float = 0.22,
    port_spread: float = 0.6,
) -> Layout:
    """Lays out the DAG `G`; see the module docstring.

    Args:
        G: a networkx DiGraph (acyclic). Node attribute `index`, when present, breaks ties in the ordering.
        sizes: (width, height) in inches per node; 1 x 0.4 when missing.
        direction: "LR" (inputs on the left) or "TB" (inputs at the top).
        rank_gap: space between layers along the flow, in inches (default 0.5 for LR, 0.45 for TB).
        node_gap: space between neighbouring boxes of one layer, in inches.
        port_spread: the fraction of a box's side over which its incoming (and outgoing) edges are spread.

    Returns:
        A `Layout`; `pos` holds box centres with y growing upwards (matplotlib's convention).
    """
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' (left to right) or 'TB' (top to bottom), got {direction!r}")
    lr = direction == "LR"
    rank_gap = (0.5 if lr else 0.45) if rank_gap is None else rank_gap
    sizes = dict(sizes or {})
    size = {n: tuple(sizes.get(n, (1.0, 0.4))) for n in G.nodes}
    index = {n: G.nodes[n].get("index", k) for k, n in enumerate(G.nodes)}
    layer = layer_assignment(G)
    result = Layout(direction, size=size, layer=dict(layer))
    if not layer:
        return result

    # Way-points split every long edge into one-layer steps.
    chains: dict[tuple[Hashable, Hashable], list[Hashable]] = {}
    preds: dict[Hashable, list[Hashable]] = {n: [] for n in G.nodes}
    succs: dict[Hashable, list[Hashable]] = {n: [] for n in G.nodes}
    for u, v in G.edges():
        chain = [u, *(_Dummy(u, v, k) for k in range(layer[u] + 1, layer[v])), v]
        for k, d in enumerate(chain[1:-1], start=layer[u] + 1):
            layer[d] = k
            index[d] = index[u]
            preds[d], succs[d] = [], []
        for a, b in itertools.pairwise(chain):
            succs[a].append(b)
            preds[b].append(a)
        chains[(u, v)] = chain
    rows: list[list[Hashable]] = [[] for _ in range(max(layer.values()) + 1)]
    for n in sorted(layer, key=lambda n: index[n]):
        rows[layer[n]].append(n)

    rows = _order(rows, preds, succs, index)
    cross = {n: (size[n][1] if lr else size[n][0]) if not isinstance(n, _Dummy) else 0.0 for n in layer}
    coord = _coordinates(rows, preds, succs, cross, node_gap)

    # Along the flow: each layer as wide as its widest box.
    depth = [
        max((size[n][0] if lr else size[n][1]) for n in row if not isinstance(n, _Dummy))
        if any(not isinstance(n, _Dummy) for n in row)
        else 0.0
        for row in rows
    ]
    along, at = [], 0.0
    for k, d in enumerate(depth):
        at += (depth[k - 1] / 2 + rank_gap + d / 2) if k else d / 2
        along.append(at)
    low = min(coord[n] - cross[n] / 2 for n in coord)
    high = max(coord[n] + cross[n] / 2 for n in coord)
    extent_along = along[-1] + depth[-1] / 2
    extent_cross = high - low

    def point(n: Hashable) -> Point:
        a, c = along[layer[n]], coord[n] - low
        # LR: inputs left, the first row at the top; TB: inputs at the top.
        return (a, extent_cross - c) if lr else (c, extent_along - a)

    for n in G.nodes:
        result.pos[n] = point(n)
    result.width, result.height = (extent_along, extent_cross) if lr else (extent_cross, extent_along)

    # Ports: the edges entering (leaving) a box are spread along its side, ordered by where they come from (go to).
    out_port: dict[tuple[Hashable, Hashable], float] = {}
    in_port: dict[tuple[Hashable, Hashable], float] = {}
    for n in G.nodes:
        for edges, ports, neighbour in (
            ([(n, v) for v in G.successors(n)], out_port, lambda e: chains[e][1]),
            ([(u, n) for u in G.predecessors(n)], in_port, lambda e: chains[e][-2]),
        ):
            edges.sort(key=lambda e, nb=neighbour: coord[nb(e)])
            side = cross[n] * port_spread
            for k, e in enumerate(edges):
                ports[e] = 0.0 if len(edges) == 1 else side * (k / (len(edges) - 1) - 0.5)

    def band(k: int, cross_at: float, edge: int) -> Point:
        """Where a line at `cross_at` enters (edge -1) or leaves (edge +1) layer k's band."""
        a = along[k] + edge * depth[k] / 2
        return (a, cross_at) if lr else (cross_at, extent_along - a)

    # Inside a layer's band a line runs straight along the flow, level with its port or way-point, so it never cuts
    # a box (boxes of a layer are kept apart across the flow); it bends only in the gaps between layers.
    for (u, v), chain in chains.items():
        start = _border(result, u, out_port[(u, v)], leaving=True)
        end = _border(result, v, in_port[(u, v)], leaving=False)
        route = [start, band(layer[u], start[1] if lr else start[0], +1)]
        for d in chain[1:-1]:
            c = point(d)[1] if lr else point(d)[0]
            route += [band(layer[d], c, -1), band(layer[d], c, +1)]
        route += [band(layer[v], end[1] if lr else end[0], -1), end]
        result.routes[(u, v)] = route
    return result


def _border(result: Layout, n: Hashable, offset: float, leaving: bool) -> Point:
    """The point where an edge meets box `n`'s outgoing (or incoming) side, `offset` inches from its middle."""
    x, y = result.pos[n]
    w, h = result.size[n]
    if result.direction == "LR":
        return (x + w / 2 if leaving else x - w / 2), y - offset
    return x + offset, (y - h / 2 if leaving else y + h / 2)


def _crossings(upper: list[Hashable], lower: list[Hashable], succs: Mapping[Hashable, list[Hashable]]) -> int:
    where = {n: k for k, n in enumerate(lower)}
    edges = sorted((i, where[s]) for i, n in enumerate(upper) for s in succs[n] if s in where)
    count = 0
    for a in range(len(edges)):
        for b in range(a + 1, len(edges)):
            if edges[a][0] < edges[b][0] and edges[a][1] > edges[b][1]:
                count += 1
    return count


def _order(
    rows: list[list[Hashable]],
    preds: Mapping[Hashable, list[Hashable]],
    succs: Mapping[Hashable, list[Hashable]],
    index: Mapping[Hashable, int],
    sweeps: int = 12,
) -> list[list[Hashable]]:
    """Barycenter ordering: each node moves to the mean position of its neighbours in the previous layer."""

    def total(rs: list[list[Hashable]]) -> int:
        return sum(_crossings(a, b, succs) for a, b in itertools.pairwise(rs))

    best, best_count = [list(r) for r in rows], total(rows)
    rows = [list(r) for r in rows]
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        span = range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)
        for k in span:
            ref = rows[k - 1] if down else rows[k + 1]
            other = (rows[k + 1] if k + 1 < len(rows) else []) if down else (rows[k - 1] if k else [])
            where = {n: i for i, n in enumerate(ref)}
            there = {n: i for i, n in enumerate(other)}
            current = {n: i for i, n in enumerate(rows[k])}

            def key(n: Hashable, where: dict = where, there: dict = there, current: dict = current, down: bool = down):
                near = [where[m] for m in (preds[n] if down else succs[n]) if m in where]
                if near:
                    return (sum(near) / len(near), index[n])
                # No neighbour on this side (a source, a sink): follow the other side, scaled to this side's row.
                far = [there[m] for m in (succs[n] if down else preds[n]) if m in there]
                if far:
                    return (sum(far) / len(far) * max(len(where) - 1, 1) / max(len(there) - 1, 1), index[n])
                return (current[n] * max(len(where) - 1, 1) / max(len(current) - 1, 1), index[n])

            rows[k].sort(key=key)
        count = total(rows)
        if count < best_count:
            best, best_count = [list(r) for r in rows], count
        if best_count == 0:
            break
    return best


def _coordinates(
    rows: list[list[Hashable]],
    preds: Mapping[Hashable, list[Hashable]],
    succs: Mapping[Hashable, list[Hashable]],
    cross: Mapping[Hashable, float],
    node_gap: float,
    rounds: int = 24,
) -> dict[Hashable, float]:
    """Cross-axis centres: each node pulled towards its neighbours, keeping the order and the minimum gaps."""

    def gap(a: Hashable, b: Hashable) -> float:
        real = (not isinstance(a, _Dummy)) + (not isinstance(b, _Dummy))
        return (cross[a] + cross[b]) / 2 + (node_gap if real == 2 else node_gap * 0.6 if real == 1 else node_gap * 0.4)

    coord: dict[Hashable, float] = {}
    for row in rows:
        at = 0.0
        for k, n in enumerate(row):
            at += gap(row[k - 1], n) if k else 0.0
            coord[n] = at
        shift = at / 2
        for n in row:
            coord[n] -= shift
    for r in range(rounds):
        mode = r % 3  # pull towards inputs, towards outputs, then both
        span = range(len(rows)) if mode != 1 else range(len(rows) - 1, -1, -1)
        for k in span:
            row = rows[k]
            desired, weight = [], []
            for n in row:
                near = (preds[n] if mode != 1 else []) + (succs[n] if mode != 0 else [])
                dummy = isinstance(n, _Dummy)
                desired.append(sum(coord[m] for m in near) / len(near) if near else coord[n])
                weight.append((4.0 if dummy else 1.0) if near else 0.1)
            offsets = [0.0]
            for a, b in itertools.pairwise(row):
                offsets.append(offsets[-1] + gap(a, b))
            fitted = _isotonic([d - o for d, o in zip(desired, offsets, strict=True)], weight)
            for n, z, o in zip(row, fitted, offsets, strict=True):
                coord[n] = z + o
    return coord


def _isotonic(values: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to `values` in weighted least squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return out


def layered_layout(G: Any, direction: str = "LR", sizes: Mapping[Hashable, Point] | None = None) -> dict:
    """Box centres (x, y) in inches for every node of the DAG `G`, usable as `pos=` in `nx.draw(G, pos)`.

    Args:
        G: a networkx DiGraph without cycles, e.g. from `to_networkx`.
        direction: "LR" (data flows left to right) or "TB" (top to bottom).
        sizes: (width, height) per node in inches; 1 x 0.4 for nodes not given.

    Returns:
        A dict from node to its (x, y).
    """
    return layout(G, sizes=sizes, direction=direction).pos
