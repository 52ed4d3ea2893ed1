"""graphflow.viz: networkx conversion, the gradient and initializer flags, layout, drawing, export, lazy imports."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

nx = pytest.importorskip("networkx")
pytest.importorskip("matplotlib")

import graphflow as gf  # noqa: E402
from graphflow import viz  # noqa: E402
from graphflow.viz.layout import layout  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def linear():
    """y = x @ W + b: 5 nodes, 4 edges."""
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        W = gf.Variable(np.zeros((3, 2), np.float32), name="W")
        b = gf.Variable(np.zeros(2, np.float32), name="b")
        y = gf.matmul(x, W) + b
    return g, x, W, b, y


def xor(optimizer=None):
    """The 2-2-2 XOR network of examples/visualize.py, with a training op."""
    g = gf.Graph()
    with g.as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        labels = gf.placeholder(gf.float32, [None, 2], name="labels")
        logits = gf.layers.dense(gf.layers.dense(x, 2, activation=gf.nn.sigmoid), 2)
        loss = gf.losses.softmax_cross_entropy(labels, logits)
        train = (optimizer or gf.train.GradientDescentOptimizer(0.03)).minimize(loss)
    return g, loss, train


# -- to_networkx --------------------------------------------------------------------------------------------------


def test_linear_graph_nodes_edges_and_attributes():
    g, *_ = linear()
    G = viz.to_networkx(g)
    assert isinstance(G, nx.DiGraph) and not G.is_multigraph()
    assert set(G.nodes) == {"x", "W", "b", "MatMul", "Add"}
    assert set(G.edges) == {("x", "MatMul"), ("W", "MatMul"), ("MatMul", "Add"), ("b", "Add")}
    assert G.nodes["x"] == G.nodes["x"] | {"name": "x", "kind": "placeholder", "op": "Placeholder", "shape": "[?,3]"}
    assert G.nodes["W"]["kind"] == "variable" and G.nodes["W"]["op"] == "VariableV2" and G.nodes["W"]["trainable"]
    assert G.nodes["MatMul"]["kind"] == "operation" and G.nodes["MatMul"]["op"] == "MatMul"
    assert G.nodes["Add"]["shape"] == "[?,2]" and G.nodes["Add"]["dtype"] == "float32"
    assert all(d["scope"] == "" and d["gradient"] is False for _, d in G.nodes(data=True))
    assert G.edges["x", "MatMul"]["position"] == 0 and G.edges["W", "MatMul"]["position"] == 1
    assert G.edges["MatMul", "Add"]["position"] == 0 and G.edges["b", "Add"]["position"] == 1
    assert nx.is_directed_acyclic_graph(G)


def test_constants_scopes_and_unknown_dtype():
    g = gf.Graph()
    with g.as_default(), gf.name_scope("outer"), gf.name_scope("inner"):
        x = gf.placeholder(None, None, name="x")
        y = x * 0.5
    G = viz.to_networkx(g)
    assert G.nodes["outer/inner/x"]["scope"] == "outer/inner"
    assert G.nodes["outer/inner/x"]["dtype"] == "" and G.nodes["outer/inner/x"]["shape"] == "<unknown>"
    (const,) = [n for n, d in G.nodes(data=True) if d["kind"] == "constant"]
    assert G.nodes[const]["value"] == "0.5"
    assert G.nodes[y.op.name]["op"] == "Mul"


def test_x_times_x_gives_one_edge_with_both_positions():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        y = x * x
    G = viz.to_networkx(g)
    assert G.number_of_edges() == 1
    assert G.edges["x", y.op.name] | {} == G.edges["x", y.op.name] | {"position": 0, "positions": "0,1", "count": 2}
    M = viz.to_networkx(g, multigraph=True)
    assert M.is_multigraph() and M.number_of_edges("x", y.op.name) == 2
    assert sorted(d["position"] for _, _, d in M.edges(data=True)) == [0, 1]


def test_fetches_give_only_what_they_need():
    g = gf.Graph()
    with g.as_default():
        a = gf.placeholder(gf.float32, [2], name="a")
        b = gf.placeholder(gf.float32, [2], name="b")
        left = gf.exp(a, name="left")
        right = gf.add(left, b, name="right")
        gf.negative(b, name="unrelated")
    assert set(viz.to_networkx(left)) == {"a", "left"}
    assert set(viz.to_networkx([right])) == {"a", "b", "left", "right"}
    assert set(viz.to_networkx({"out": (left, [b])})) == {"a", "b", "left"}
    assert len(viz.to_networkx(g)) == 5
    with pytest.raises(TypeError, match=r"expected a gf\.Graph"):
        viz.to_networkx([left, "right"])
    with pytest.raises(ValueError, match="no graph nodes"):
        viz.to_networkx([])


def test_gradient_flag_for_gf_gradients():
    g, _x, W, b, y = linear()
    with g.as_default():
        loss = gf.reduce_sum(y, name="loss")
        dW, db = gf.gradients(loss, [W, b])
        (dW2,) = gf.gradients(loss, [W], name="backprop")  # any scope name: gf.gradients marks its nodes
    G = viz.to_networkx(g)
    flagged = {n for n, d in G.nodes(data=True) if d["gradient"]}
    assert {"x", "W", "b", "MatMul", "Add", "loss"}.isdisjoint(flagged)
    assert {dW.op.name, db.op.name, dW2.op.name} <= flagged
    assert flagged == {n for n in G if n.startswith(("gradients/", "backprop/"))}
    assert viz.node_is_gradient(dW) and not viz.node_is_gradient(W)


def test_gradient_flag_follows_what_built_a_node_not_its_name():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float64, [3], name="x")
        with gf.name_scope("gradients"):  # a forward scope that only has the name
            y = gf.exp(x, name="y")
        gf.identity(y, name="grad_ys")
        with gf.name_scope("model"):
            w = gf.Variable(np.ones(3), name="w")
            loss = gf.reduce_sum(w * y, name="loss")
            (dw,) = gf.gradients(loss, [w], name="d")
            step = w.assign_sub(0.1 * dw, name="step")  # an update written by hand, next to the forward ops
        norm = gf.reduce_sum(gf.square(dw), name="norm")
    flag = nx.get_node_attributes(viz.to_networkx(g), "gradient")
    assert not any(flag[n.op.name] for n in (x, y, w, loss)) and not flag["grad_ys"]
    assert flag[dw.op.name] and flag[step.op.name] and flag[norm.op.name]  # computed from a gradient
    assert all(flag[n] for n in flag if n.startswith("model/d/"))


def test_gradient_flag_for_optimizer_updates_and_slots():
    g, loss, train = xor(gf.train.AdamOptimizer(0.01))
    with g.as_default():
        step = gf.train.get_or_create_global_step()
        gf.train.AdamOptimizer(0.01).minimize(loss, global_step=step, name="Adam2")
        gf.global_variables_initializer()  # every variable, slots too, gets an `initializer` assign reading it
    G = viz.to_networkx(g)
    flag = nx.get_node_attributes(G, "gradient")
    assert flag[train.op.name] and flag["Adam/ApplyAdam"]
    assert flag["dense/kernel/Adam"] and flag["dense/kernel/Adam_1"] and flag["beta1_power"] and flag["global_step"]
    assert not flag["init"] and not flag["dense/kernel/Adam/Assign"]
    assert all(flag[n] for n in G if n.startswith(("gradients/", "Adam/")))
    forward = {n for n in viz.to_networkx(loss)}
    assert not any(flag[n] for n in forward), "a forward node was flagged"
    assert not flag["dense/kernel"] and not flag["dense_1/bias"]


def test_initializer_nodes_are_flagged_and_hidden_when_drawing_a_whole_graph():
    g, _loss, _ = xor()
    G = viz.to_networkx(g)
    inits = {n for n, d in G.nodes(data=True) if d["initializer"]}
    assert inits == {
        f"{layer}/{v}"
        for layer in ("dense", "dense_1")
        for v in ("kernel/Initializer/RandomUniform", "bias/Initializer/Const")
    }
    from graphflow.viz.convert import prepare

    assert inits.isdisjoint(prepare(g)) and not inits.isdisjoint(prepare(g, show_initializers=True))
    assert not any(d["gradient"] for _, d in prepare(g, show_gradients=False).nodes(data=True))


def test_initial_values_built_before_their_variable_are_initializer_nodes():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 4], name="x")
        W = gf.Variable(gf.random_normal([4, 3]), name="W")  # built as a forward node, then handed to the variable
        shared = gf.zeros([3], name="shared")
        b = gf.Variable(shared, name="b")
        y = gf.matmul(x, W) + b + shared  # `shared` is used by the model too
        init = gf.group(W.initializer, b.initializer, name="my_init")
    inits = viz.initializer_nodes(g)
    assert {W.initial_value, W.initializer, b.initializer, init} <= inits
    assert inits.isdisjoint({x, W, b, y, shared})


# -- layout -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_layout_goes_forward_and_boxes_do_not_overlap(direction):
    g, _, _ = xor()
    G = viz.to_networkx(g)
    layer = viz.layer_assignment(G)
    assert all(layer[u] < layer[v] for u, v in G.edges), "an edge goes backwards or stays in its layer"
    generations = {n: k for k, gen in enumerate(nx.topological_generations(G)) for n in gen}
    assert all(generations[u] < generations[v] for u, v in G.edges)
    sizes = {n: (1.0 + 0.1 * len(n) % 0.7, 0.4) for n in G}
    lay = layout(G, sizes=sizes, direction=direction)
    for u, v in G.edges:  # data flows one way on the page
        (xu, yu), (xv, yv) = lay.pos[u], lay.pos[v]
        assert xu < xv if direction == "LR" else yu > yv
    for a, b in itertools.combinations(G.nodes, 2):
        (xa, ya), (wa, ha) = lay.pos[a], lay.size[a]
        (xb, yb), (wb, hb) = lay.pos[b], lay.size[b]
        assert abs(xa - xb) >= (wa + wb) / 2 - 1e-9 or abs(ya - yb) >= (ha + hb) / 2 - 1e-9, f"{a} overlaps {b}"
    assert all(0 <= x <= lay.width and 0 <= y <= lay.height for x, y in lay.pos.values())
    assert viz.layered_layout(G, direction=direction).keys() == set(G)


def test_layout_rejects_cycles_and_bad_direction():
    with pytest.raises(ValueError, match="cycle"):
        viz.layer_assignment(nx.DiGraph([("a", "b"), ("b", "a")]))
    with pytest.raises(ValueError, match="direction"):
        viz.layered_layout(nx.DiGraph([("a", "b")]), direction="RL")


# -- collapsing ---------------------------------------------------------------------------------------------------


def test_collapse_scopes_keeps_one_box_per_top_level_scope():
    g, _, _ = xor()
    G = viz.to_networkx(g)
    C = viz.collapse_scopes(G)
    tops = {n.split("/")[0] for n in G if "/" in n}
    assert tops == {"dense", "dense_1", "gradients", "GradientDescent"}
    boxes = {n for n, d in C.nodes(data=True) if d["kind"] == "scope"}
    assert boxes == tops
    assert set(C) - boxes == {n for n in G if "/" not in n}
    assert len(C) < len(G) and nx.is_directed_acyclic_graph(C)
    assert C.nodes["gradients"]["gradient"] and not C.nodes["dense"]["gradient"]
    assert C.nodes["dense"]["members"] == sum(1 for n in G if n.startswith("dense/"))
    assert C.nodes["dense"]["shape"] == "[?,2]" and C.nodes["dense"]["variables"] == 2
    assert C.has_edge("x", "dense") and C.has_edge("dense", "dense_1") and C.has_edge("gradients", "GradientDescent")
    only = viz.collapse_scopes(G, ["dense"])
    assert {n for n, d in only.nodes(data=True) if d["kind"] == "scope"} == {"dense"}


def test_collapse_leaves_a_scope_expanded_when_its_box_would_make_a_cycle():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [2], name="x")
        with gf.name_scope("s"):
            a = gf.exp(x, name="a")
        mid = gf.negative(a, name="mid")
        with gf.name_scope("s/"):
            gf.add(mid, a, name="b")
    C = viz.collapse_scopes(viz.to_networkx(g))
    assert nx.is_directed_acyclic_graph(C)
    assert set(C) == {"x", "mid", "s/a", "s/b"}


# -- drawing ------------------------------------------------------------------------------------------------------


def test_draw_png_and_svg(tmp_path):
    g, *_ = linear()
    fig = viz.draw_graph(g, tmp_path / "linear.png")
    data = (tmp_path / "linear.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 2000
    assert fig.get_figwidth() > 2 and fig.get_figheight() > 1
    gf.viz.draw_graph(g, tmp_path / "sub" / "linear.svg", direction="TB", title="y = xW + b")
    root = ET.parse(tmp_path / "sub" / "linear.svg").getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 20
    with pytest.raises(ValueError, match="format"):
        viz.draw_graph(g, tmp_path / "linear.bmpx")


def test_draw_gradient_graph_hidden_and_collapsed(tmp_path):
    g, _loss, train = xor()
    full = viz.draw_graph(g)
    forward = viz.draw_graph(g, show_gradients=False)
    assert forward.get_figwidth() < full.get_figwidth()
    assert full._repr_png_().startswith(PNG_SIGNATURE)  # shown inline by Jupyter
    collapsed = viz.draw_graph(train, tmp_path / "c.png", collapse_scopes=True, names=True, legend=False)
    assert collapsed.get_figwidth() < full.get_figwidth()


def test_draw_on_given_axis():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    g, *_ = linear()
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    assert viz.draw_graph(g, ax=ax) is ax
    assert len(ax.patches) >= 5 + 4  # a box per node, a line per edge
    assert {t.get_text() for t in ax.texts} >= {"x", "W", "b", "MatMul", "Add"}
    fig.canvas.draw()


# -- export -------------------------------------------------------------------------------------------------------


def test_graphml_round_trip(tmp_path):
    g, _, _ = xor()
    G = viz.to_networkx(g)
    viz.write_graphml(g, tmp_path / "xor.graphml")
    H = nx.read_graphml(tmp_path / "xor.graphml")
    assert set(H.nodes) == set(G.nodes) and set(H.edges) == set(G.edges)
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    assert all(H.edges[e] == G.edges[e] for e in G.edges)
    nx.write_graphml(G, tmp_path / "direct.graphml")  # every attribute is GraphML-friendly as it is


def test_dot_text_has_every_node_and_edge(tmp_path):
    g, _, _ = xor()
    with g.as_default():
        gf.identity(g.get_tensor_by_name("x:0"), name="odd.name-with>all/the_marks")
    G = viz.to_networkx(g)
    text = viz.to_dot(g, show_initializers=True)
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    for n in G:
        assert viz.export.quote(n) + " [" in text
    assert text.count(" -> ") == G.number_of_edges()
    assert '"odd.name-with>all/the_marks" [' in text  # quoted: a bare DOT ID may not hold . - > /
    assert 'subgraph "cluster_gradients"' in text and "rankdir=LR" in text
    viz.write_dot(g, tmp_path / "xor.dot", direction="TB", collapse_scopes=True)
    assert "rankdir=TB" in (tmp_path / "xor.dot").read_text(encoding="utf-8")


# -- imports and the example --------------------------------------------------------------------------------------


def test_import_graphflow_does_not_import_networkx_or_matplotlib():
    code = (
        "import sys, graphflow, graphflow.viz\nprint(sorted(m for m in ('networkx', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_gf_viz_is_imported_on_first_use():
    code = """
import sys
import graphflow as gf
loaded = lambda: sorted(m for m in ("networkx", "matplotlib", "graphflow.viz") if m in sys.modules)
print(loaded(), "viz" in dir(gf))
with gf.Graph().as_default() as g:
    gf.exp(gf.placeholder(gf.float32, [2], name="x"), name="y")
print(sorted(gf.viz.to_networkx(g)), loaded())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[] True", "['x', 'y'] ['graphflow.viz', 'networkx']"]
    with pytest.raises(AttributeError, match="no attribute 'vis'"):
        gf.vis  # noqa: B018


def test_missing_networkx_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)
    g, *_ = linear()
    with pytest.raises(ImportError, match="pip install networkx"):
        viz.to_networkx(g)


def test_example_script_runs_headless(tmp_path):
    spec = importlib.util.spec_from_file_location("visualize_example", ROOT / "examples" / "visualize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.main(["--out", str(tmp_path)])
    names = {p.name for p in written}
    assert names == {"xor_forward.png", "xor_gradients.png", "mnist_layers.png", "xor.graphml", "xor.dot"}
    for p in written:
        assert p.exists() and p.stat().st_size > 500
        if p.suffix == ".png":
            assert p.read_bytes().startswith(PNG_SIGNATURE)
    assert nx.read_graphml(tmp_path / "xor.graphml").number_of_nodes() > 40


def test_saving_training_pictures_leaves_pyplot_and_the_backend_alone(tmp_path):
    code = f"""
import sys, numpy as np
import matplotlib
def backend():  # the setting as stored: reading rcParams["backend"] itself would import pyplot to resolve it
    return dict.__getitem__(matplotlib.rcParams, "backend")
before = backend()
from graphflow.viz import plots
out = {str(tmp_path)!r}
rng = np.random.default_rng(0)
labels = rng.integers(0, 10, 20)
written = [
    plots.decision_boundary(lambda p: np.column_stack([p[:, 0] > 0, p[:, 0] <= 0]).astype(float),
                            rng.standard_normal((8, 2)), np.arange(8) % 2, out + "/boundary.png"),
    plots.training_curves({{"loss": [1.0, 0.5], "accuracy": [0.5, 0.9]}}, [1, 2], out + "/curves.png"),
    plots.image_grid(rng.random((4, 784)), labels[:4], labels[:4], out + "/grid.png"),
    plots.confusion_matrix(labels, labels[::-1], out + "/confusion.svg"),
    plots.weight_tiles(rng.standard_normal((784, 8)), out + "/weights.png"),
]
print(len(written), "matplotlib.pyplot" in sys.modules, backend() == before)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["5", "False", "True"]
    for name in ("boundary.png", "curves.png", "grid.png", "weights.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)
    assert (tmp_path / "confusion.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_text_that_looks_like_math_is_drawn_as_written(tmp_path):
    """Names can hold no "$" (gf checks them as TF-1 does), but a networkx graph or a title can: it stays literal."""
    g, *_ = linear()
    G = viz.to_networkx(g)
    G.nodes["W"]["name"] = "$x^$"  # unbalanced math text: matplotlib's parser would raise while drawing
    fig = viz.draw_graph(G, tmp_path / "literal.png", title="cost in $ and $^")
    texts = {t.get_text() for t in fig.texts} | {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"$x^$", "cost in $ and $^"} <= texts
    assert (tmp_path / "literal.png").read_bytes().startswith(PNG_SIGNATURE)
