"""Rich display: graphs and nodes draw themselves as SVG in Jupyter, sessions and plans as short text or HTML, and
`draw_graph(..., session=)` writes each node's value and gradient into the drawing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import graphflow as gf

pytest.importorskip("networkx")
pytest.importorskip("matplotlib")

from graphflow.viz import display, values
from graphflow.viz.drawing import COLLAPSE_ABOVE
from graphflow.viz.labels import user_named


def texts(svg: str) -> list[str]:
    """Every text element of an SVG written with svg.fonttype 'none'."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.fixture
def tiny():
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [2], name="x")
        w = gf.Variable(np.array([3.0, -1.0]), name="w")
        total = gf.reduce_sum(x * w, name="total")
        yield graph, x, w, total


def test_graph_and_node_render_as_svg_with_the_names_given(tiny):
    graph, _x, _w, total = tiny
    shown = texts(display.graph_svg(graph))
    assert {"x", "w", "total", "Mul"} <= set(shown)
    assert "Sum []" in shown  # a named op shows its type too
    assert set(texts(display.graph_svg(total))) >= {"x", "w", "total"}


def test_an_ipython_shell_shows_graphs_and_nodes_as_drawings(tiny):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    graph, _x, _w, total = tiny
    shell = interactiveshell.InteractiveShell.instance()
    try:
        gf._show_graphs_as_drawings()  # what `import graphflow` does inside IPython
        for obj in (graph, total):
            data, _ = shell.display_formatter.format(obj)
            assert "total" in texts(data["image/svg+xml"]) and data["text/plain"] == repr(obj)
        data, _ = shell.display_formatter.format(gf.Graph())
        assert "image/svg+xml" not in data  # an empty graph has no picture, only its repr
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_text_reprs_stay_short(tiny):
    graph, x, _w, total = tiny
    with gf.Session() as sess:
        sess.run(total, {x: [1.0, 2.0]})
        assert repr(sess) == f"<gf.Session on graph #{graph.serial}: 1 variables set, 1 plans>"
        assert "<td>1</td>" in sess._repr_html_()
        plan = sess.plan_for(total, {x: [1.0, 2.0]})
        assert repr(plan) == f"<gf.Plan: 1 fetches, 1 feeds, {len(plan.steps)} steps>"
        assert plan._repr_html_().startswith("<pre") and "total" in plan._repr_html_()
    assert repr(sess).endswith("closed>")


def test_drawing_with_a_session_shows_values_and_gradients(tiny):
    _graph, x, _w, total = tiny
    with gf.Session() as sess:
        shown = texts(display.svg(total, session=sess, feed_dict={x: [1.0, 2.0]}))
        assert "= [1 2]" in shown and "= [3 -1]" in shown and "= 1" in shown  # x, w, total = 3 - 2
        assert "grad [3 -1]" in shown  # d total / d x = w
        assert "grad [1 2]" in shown  # d total / d w = x
        assert "grad 1" in shown


def test_drawing_again_reuses_its_gradient_nodes_and_hides_them(tiny):
    graph, x, _w, total = tiny
    with gf.Session() as sess:
        display.svg(total, session=sess, feed_dict={x: [1.0, 2.0]})
        size = len(graph.nodes)
        display.svg(total, session=sess, feed_dict={x: [5.0, 2.0]})
        assert len(graph.nodes) == size
    assert not any(values.SCOPE in t for t in texts(display.graph_svg(graph)))


def test_large_arrays_show_statistics_and_nonfinite_counts():
    assert values.summarize(np.arange(12.0).reshape(3, 4)) == "(3x4) μ 5.5 σ 3.45"
    assert values.summarize(np.array([1.0, np.nan, 3.0, 4.0, 5.0])) == "(5) 1 not finite"
    assert values.summarize(np.float64(0.25)) == "0.25"
    assert values.summarize(b"summary") == ""


def test_drawing_runs_no_update(tiny):
    graph, x, w, total = tiny
    with graph.as_default():
        step = w.assign_add([1.0, 1.0])
    with gf.Session() as sess:
        before = sess.run(w)
        display.svg([total, step], session=sess, feed_dict={x: [1.0, 2.0]}, loss=False)
        np.testing.assert_array_equal(sess.run(w), before)


def test_drawing_a_graph_with_an_unfed_placeholder_shows_what_it_can(tiny):
    graph, _x, _w, _total = tiny
    with gf.Session() as sess:
        shown = texts(display.svg(graph, session=sess))
    assert "= [3 -1]" in shown and not any(t.startswith("grad") for t in shown)


def test_legend_stays_inside_a_narrow_figure():
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float32, [], name="a")
        v = gf.Variable(1.0, name="v")
        loss = a * v + 1.0
        gf.train.GradientDescentOptimizer(0.1).minimize(loss)
        fig = gf.viz.draw_graph(gf.get_default_graph(), show_gradients=True, collapse_scopes=False)
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    labels = [t for ax in fig.axes for t in ax.texts if t.get_text() == "gradient / optimizer"]
    assert labels, "the legend names the gradient style"
    for ax in fig.axes:
        for t in ax.texts:
            extent = t.get_window_extent(renderer)
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, t.get_text()


def test_legend_wraps_onto_rows_instead_of_running_off():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [], name="x")
        fig = gf.viz.draw_graph(gf.square(x + gf.Variable(2.0)))
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for t in ax.texts:
            assert t.get_window_extent(renderer).x1 <= fig.bbox.x1 + 1, t.get_text()


def test_four_layer_mlp_with_gradients_collapses_its_scopes_by_default():
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float32, [None, 20], name="x")
        y = gf.placeholder(gf.int64, [None], name="y")
        h = x
        for _ in range(3):
            h = gf.layers.dense(h, 32, activation=gf.nn.relu)
        logits = gf.layers.dense(h, 10)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits), name="loss")
        gf.train.AdamOptimizer().minimize(loss)
    assert len(graph.nodes) > COLLAPSE_ABOVE
    shown = texts(display.graph_svg(graph))
    assert {"dense", "dense_3", "gradients", "loss"} <= set(shown)
    assert "MatMul" not in shown  # inside the collapsed layers
    expanded = texts(display.svg(graph, collapse_scopes=False))
    assert "MatMul" in expanded


def test_names_given_by_the_author_are_told_apart_from_default_names():
    assert user_named("J", "Sum") and user_named("output/logits", "Add") and user_named("loss_1", "Mean")
    assert not user_named("MatMul_2", "MatMul") and not user_named("dense/BiasAdd", "Add")
    assert not user_named("gradients/Sum_grad/Tile", "Tile")
