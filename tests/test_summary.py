"""gf.summary: summary ops (names, tags, collections, bytes values), TF-1's histogram buckets, the GraphDef export,
and event files read back by TensorBoard's own EventAccumulator and graph plugin."""

from __future__ import annotations

import base64
import glob
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2, graph_pb2, summary_pb2, types_pb2

import graphflow as gf
from graphflow.ops.summary import bucket_limits

ROOT = Path(__file__).resolve().parents[1]


def parse(serialized: bytes) -> summary_pb2.Summary:
    assert type(serialized) is bytes
    return summary_pb2.Summary.FromString(serialized)


# -- names, tags and collections --------------------------------------------------------------------------------


def test_tags_follow_the_name_scope_and_repeat_as_tf1_does():
    with gf.Graph().as_default():
        loss = gf.reduce_mean(gf.placeholder(gf.float32, [None, 3], name="x"))
        with gf.name_scope("train"):
            made = [
                gf.summary.scalar("loss", loss),
                gf.summary.scalar("loss", loss),
                gf.summary.scalar("loss", loss, family="fam"),
                gf.summary.histogram("acts", loss),
                gf.summary.scalar("bad name!", loss),
            ]
        made.append(gf.summary.scalar("/lead", loss))
    # Names and tags TF-1 gives the same calls (tensorflow.compat.v1, checked side by side).
    assert [(s.op_name, s.get_attr("tag"), s.type) for s in made] == [
        ("train/loss", "train/loss", "ScalarSummary"),
        ("train/loss_1", "train/loss_1", "ScalarSummary"),
        ("train/fam/loss", "fam/train/fam/loss", "ScalarSummary"),
        ("train/acts", "train/acts", "HistogramSummary"),
        ("train/bad_name_", "train/bad_name_", "ScalarSummary"),
        ("lead", "lead", "ScalarSummary"),
    ]
    assert all(s.name == s.op_name + ":0" and s.shape == () and s.dtype == gf.dtypes.string for s in made)


def test_merge_names_and_merge_all_collections():
    with gf.Graph().as_default() as g:
        x = gf.constant(2.0)
        assert gf.summary.merge_all() is None  # TF-1: nothing to merge gives None
        a = gf.summary.scalar("a", x)
        with gf.name_scope("eval"):
            b = gf.summary.scalar("b", x)
        c = gf.summary.scalar("c", x, collections=["mine"])
        d = gf.summary.scalar("d", x, collections=[])
        assert g.get_collection(gf.GraphKeys.SUMMARIES) == [a, b] and g.get_collection("mine") == [c]
        merged, named = gf.summary.merge([a, c]), gf.summary.merge([d], name="mine")
        assert (merged.op_name, named.op_name) == ("Merge/MergeSummary", "mine/mine")
        everything = gf.summary.merge_all()
        scoped = gf.summary.merge_all(scope="eval")
        own = gf.summary.merge_all("mine", name="own")
        assert gf.summary.merge_all("nothing") is None
        assert everything.op_name == "Merge_1/MergeSummary" and everything.inputs == (a, b)
        assert scoped.inputs == (b,) and own.inputs == (c,) and own.op_name == "own/own"
        with gf.Session() as sess:
            values = sess.run({"all": everything, "merged": merged, "own": own})
    assert [v.tag for v in parse(values["all"]).value] == ["a", "eval/b"]
    assert [(v.tag, v.simple_value) for v in parse(values["merged"]).value] == [("a", 2.0), ("c", 2.0)]
    assert [v.tag for v in parse(values["own"]).value] == ["c"]


def test_scalar_values_match_tf1_bytes():
    # sess.run(tf.summary.scalar(name, tf.constant(value))) in TF-1, base64: simple_value is rounded to float32.
    tf1 = {"f64": "CgoKA2Y2NBXNzMw9", "i64": "CgoKA2k2NBUAAIBT", "big": "CgoKA2JpZxUAAIB/"}
    values = {"f64": np.float64(0.1), "i64": np.int64(2**40 + 1), "big": np.float64(1e300)}
    with gf.Graph().as_default(), gf.Session() as sess:
        for tag, value in values.items():
            assert sess.run(gf.summary.scalar(tag, gf.constant(value))) == base64.b64decode(tf1[tag]), tag


# -- values are bytes, and the plan hands them over as they are ----------------------------------------------------


def test_a_summary_fetches_as_bytes_in_every_structure_and_plan():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [3], name="x")
        v = gf.Variable(np.float32(1.5), name="v")
        s = gf.summary.scalar("v", v)
        h = gf.summary.histogram("x", x)
        merged = gf.summary.merge_all()
        feed = {x: np.arange(3, dtype=np.float32)}
        with gf.Session() as sess:
            plan = sess.plan_for([s, merged, x * 2.0], feed)
            assert plan.fetch_copies == (), "a summary's bytes are made by the run: nothing to copy"
            for _ in range(2):  # a compile, then a cached plan
                value, both, doubled = sess.run([s, merged, x * 2.0], feed)
                assert type(value) is bytes and type(both) is bytes and type(doubled) is np.ndarray
            assert [t.tag for t in parse(both).value] == ["v_1", "x_1"]  # the names v and x are taken, as in TF-1
            assert type(sess.run({"h": (h,)}, feed)["h"][0]) is bytes
            assert type(h.eval(feed, session=sess)) is bytes
        with gf.Session(debug_nans=True) as sess:  # the checking run loop takes bytes too
            assert parse(sess.run(merged, feed)) == parse(both)


def test_summaries_have_no_gradient_and_stop_the_walk():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [], name="x")
        s = gf.summary.scalar("x", x * 3.0)
        assert gf.gradients(gf.summary.merge([s]), [x]) == [None]


# -- errors ----------------------------------------------------------------------------------------------------------


def test_a_non_scalar_names_the_node_its_shape_and_says_to_reduce_it():
    with gf.Graph().as_default():
        acts = gf.placeholder(gf.float32, [None, 3], name="acts")
        with pytest.raises(ValueError, match=r"'acts' \[\?,3\].*shape \[\?,3\]: reduce it first, e.g. gf.reduce_mean"):
            gf.summary.scalar("loss", acts)
        unknown = gf.placeholder(gf.float32, None, name="unknown")
        s = gf.summary.scalar("total", unknown)
        with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(s, {unknown: np.zeros((2, 3))})
    assert "ScalarSummary 'total'" in str(e.value) and "[] != [2,3] (tag 'total')" in str(e.value)
    assert "reduce the tensor first" in str(e.value)


def test_other_build_and_run_errors():
    with gf.Graph().as_default():
        flag = gf.placeholder(gf.bool_, [], name="flag")
        with pytest.raises(TypeError, match="takes real numbers, got bool"):
            gf.summary.scalar("flag", flag)
        with pytest.raises(ValueError, match="at least one summary"):
            gf.summary.merge([])
        with pytest.raises(TypeError, match="values of summary ops"):
            gf.summary.merge([gf.constant(1.0)])
        with pytest.raises(TypeError, match="list of collection names"):
            gf.summary.scalar("a", 1.0, collections="mine")
        x = gf.placeholder(gf.float64, [None], name="x")
        s = gf.summary.scalar("s", gf.reduce_sum(x))
        h = gf.summary.histogram("h", x)
        twice = gf.summary.merge([s, s])
        with gf.Session() as sess:
            with pytest.raises(gf.errors.InvalidArgumentError, match="Duplicate tag s found in summary inputs"):
                sess.run(twice, {x: [1.0]})
            for bad, message in ((np.nan, "Nan in summary histogram for: h"), (-np.inf, "Infinity in summary")):
                with pytest.raises(gf.errors.InvalidArgumentError, match=message):
                    sess.run(h, {x: [1.0, bad]})


# -- histograms ------------------------------------------------------------------------------------------------------


def test_bucket_limits_are_tf1s_formula():
    limits = bucket_limits()
    positive = limits[limits > 0]
    assert limits[0] == -sys.float_info.max and limits[-1] == sys.float_info.max and 0.0 in limits
    np.testing.assert_array_equal(limits[limits < 0], -positive[::-1])
    assert positive[0] == 1e-12 and positive[-2] < 1e20 <= positive[-2] * 1.1
    np.testing.assert_allclose(positive[1:-1] / positive[:-2], 1.1, rtol=1e-12)
    assert len(limits) == 2 * len(positive) + 1 == 1551


# sess.run(tf.summary.histogram(tag, tf.constant(values))) in TF-1, base64.
TF1_HISTOGRAMS = {
    "mixed": (
        np.array([[0, 1, -2.5], [1e-13, 3, 1e30]], np.float32),
        "CtsBCgVtaXhlZCrRAQkAAAAAAAAEwBEAAABAWT4pRhkAAAAAAAAYQCEAAABAWT4pRimA7NDu5OljTDJQ6jYPdqPvBMB3YDwOZggDwAAAAA"
        "AAAAAAEeotgZmXcT0ImWkZFVrtPysU+s2+JPA/aLwQNZoHB0ANnMWgKVUJQExUnwIjgxVE////////7386UAAAAAAAAAAAAAAAAAAA8D8A"
        "AAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAADwPwAAAAAAAAAAAAAAAAAA8D8AAAAAAAAAAAAAAAAAAPA/",
    ),
    "arange": (
        np.arange(5, dtype=np.int32),
        "CuMBCgZhcmFuZ2Uq2AERAAAAAAAAEEAZAAAAAAAAFEAhAAAAAAAAJEApAAAAAAAAPkAyWAAAAAAAAAAAEeotgZmXcT0ImWkZFVrtPysU+s"
        "2+JPA/3JTNLo11/z/gEfEMdE0BQGi8EDWaBwdADZzFoClVCUCBREv4C6cOQHsy9i7g2xBA////////7386WAAAAAAAAAAAAAAAAAAA8D8A"
        "AAAAAAAAAAAAAAAAAPA/AAAAAAAAAAAAAAAAAADwPwAAAAAAAAAAAAAAAAAA8D8AAAAAAAAAAAAAAAAAAPA/AAAAAAAAAAA=",
    ),
    "tiny": (
        np.array([1e-300, -1e-300, 0.0, -0.0, 1e-12, 1.1e-12, 1e20, 1e300]),
        "CpoBCgR0aW55KpEBCVnz+MIfbqWBEZx1AIg85Dd+GQAAAAAAACBAIZx1AIg85Dd+KQAAAAAAAPB/MjAR6i2BmZdxvQAAAAAAAAAAEeotgZ"
        "mXcT16gbKn9VlzPUxUnwIjgxVE////////7386MAAAAAAAAAAAAAAAAAAA8D8AAAAAAAAIQAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAQA==",
    ),
}


@pytest.mark.parametrize("tag", sorted(TF1_HISTOGRAMS))
def test_histograms_are_tf1s_byte_for_byte(tag):
    values, tf1 = TF1_HISTOGRAMS[tag]
    with gf.Graph().as_default(), gf.Session() as sess:
        ours = sess.run(gf.summary.histogram(tag, gf.constant(values)))
    assert parse(ours) == parse(base64.b64decode(tf1))
    assert ours == base64.b64decode(tf1)


def test_histogram_fields():
    rng = np.random.default_rng(3)
    values = rng.standard_normal((40, 25))
    with gf.Graph().as_default(), gf.Session() as sess:
        histo = parse(sess.run(gf.summary.histogram("w", values))).value[0].histo
        empty = parse(sess.run(gf.summary.histogram("none", np.zeros((0, 3))))).value[0].histo
    assert (histo.min, histo.max, histo.num) == (values.min(), values.max(), 1000)
    assert histo.sum == pytest.approx(values.sum()) and histo.sum_squares == pytest.approx((values**2).sum())
    assert sum(histo.bucket) == 1000 and list(histo.bucket_limit) == sorted(histo.bucket_limit)
    counts = dict(zip(histo.bucket_limit, histo.bucket, strict=True))
    limits = bucket_limits()
    i = np.searchsorted(limits, values[0, 0], side="right")  # the first limit above the value
    assert counts[limits[i]] >= 1 and limits[i - 1] <= values[0, 0] < limits[i]
    assert (empty.num, list(empty.bucket_limit), list(empty.bucket)) == (0, [sys.float_info.max], [0.0])


# -- the graph as a GraphDef -----------------------------------------------------------------------------------------


def small_graph():
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        w = gf.Variable(np.ones((3, 2), np.float32), name="w")
        y = gf.add(gf.matmul(x, w), gf.constant([1.0, 2.0]), name="y")
        big = gf.constant(np.zeros(5000, np.float32), name="big")
        am = gf.argmax(y, 1, name="am")
        with gf.control_dependencies([am]):
            q = gf.identity(y, name="q")
        gf.group(q, big, name="done")
        gf.summary.scalar("loss", gf.reduce_mean(q))
    return g


def edges(graph_def):
    return {(i, n.name) for n in graph_def.node for i in n.input}


def test_as_graph_def_has_one_node_per_op_with_its_inputs_and_attrs():
    g = small_graph()
    gd = g.as_graph_def(add_shapes=True)
    assert isinstance(gd, graph_pb2.GraphDef)
    assert [n.name for n in gd.node] == [n.op_name for n in g.nodes]
    assert [n.op for n in gd.node] == [n.type for n in g.nodes]
    node = {n.name: n for n in gd.node}
    assert {("x", "MatMul"), ("w", "MatMul"), ("MatMul", "y"), ("Const", "y"), ("y", "q"), ("^am", "q")} <= edges(gd)
    assert list(node["done"].input) == ["^q", "^big"]  # a group's inputs are control inputs, as tf.group's
    assert node["x"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in node["x"].attr["shape"].shape.dim] == [-1, 3]
    assert node["w"].op == "VariableV2" and [d.size for d in node["w"].attr["shape"].shape.dim] == [3, 2]
    assert node["MatMul"].attr["T"].type == types_pb2.DT_FLOAT and node["am"].attr["T"].type == types_pb2.DT_FLOAT
    assert [d.size for d in node["y"].attr["_output_shapes"].list.shape[0].dim] == [-1, 2]
    const = node["Const"].attr["value"].tensor
    assert const.dtype == types_pb2.DT_FLOAT and np.frombuffer(const.tensor_content, "<f4").tolist() == [1.0, 2.0]
    assert "value" not in node["big"].attr and node["big"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert node["loss"].attr["tag"].s == b"loss" and node["loss"].attr["T"].type == types_pb2.DT_FLOAT
    assert "_output_shapes" not in g.as_graph_def().node[0].attr  # add_shapes is off by default, as in TF-1


# -- event files -----------------------------------------------------------------------------------------------------


def events_in(logdir):
    files = sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*")))
    accumulator = EventAccumulator(files[-1], size_guidance={"scalars": 0, "histograms": 0})
    accumulator.Reload()
    return files, accumulator


def test_scalars_histograms_and_the_graph_round_trip_through_tensorboard(tmp_path):
    g = small_graph()
    with g.as_default():
        x = g.get_tensor_by_name("x:0")
        with gf.name_scope("train"):
            gf.summary.histogram("x", x)
        merged = gf.summary.merge_all()
    batches = [np.full((2, 3), k, np.float32) for k in range(4)]
    with gf.Session(graph=g) as sess, gf.summary.FileWriter(tmp_path / "run", sess.graph) as writer:
        for step, batch in enumerate(batches):
            writer.add_summary(sess.run(merged, {x: batch}), global_step=10 * step)
        assert writer.get_logdir() == str(tmp_path / "run")
    files, acc = events_in(tmp_path / "run")
    assert len(files) == 1 and os.path.basename(files[0]).startswith("events.out.tfevents.")
    assert acc.file_version == 2.0  # the first event is the "brain.Event:2" file_version event
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"] and tags["histograms"] == ["train/x"] and tags["graph"]
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(10 * k, 3.0 * k + 1.5) for k in range(4)]
    histograms = acc.Histograms("train/x")
    assert [h.step for h in histograms] == [0, 10, 20, 30]
    assert [(h.histogram_value.num, h.histogram_value.max, h.histogram_value.sum) for h in histograms] == [
        (6, k, 6 * k) for k in range(4)
    ]
    graph_def = acc.Graph()
    assert {n.name for n in graph_def.node} == {n.op_name for n in g.nodes}
    assert edges(graph_def) == edges(g.as_graph_def())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # html5lib's, imported by the plugin
def test_tensorboards_graph_plugin_serves_the_graph(tmp_path):
    from google.protobuf import text_format
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.graph import graphs_plugin

    g = small_graph()
    with gf.summary.FileWriter(tmp_path, graph=g):
        pass
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path))
    plugin = graphs_plugin.GraphsPlugin(base_plugin.TBContext(data_provider=provider, logdir=str(tmp_path)))
    assert plugin.info_impl(context.RequestContext(), "")["."]["run_graph"]
    body, mime = plugin.graph_impl(context.RequestContext(), ".", None, False, experiment="")
    served = text_format.Parse(body, graph_pb2.GraphDef())
    assert mime == "text/x-protobuf" and edges(served) == edges(g.as_graph_def())


def test_flush_close_reopen_and_the_closed_writer(tmp_path):
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="t", simple_value=1.0)])
    writer = gf.summary.FileWriter(tmp_path, flush_secs=3600, filename_suffix=".v1")
    writer.add_summary(summary, 1)
    writer.flush()  # visible now, with the writer still open
    files, acc = events_in(tmp_path)
    assert files[0].endswith(".v1") and [e.step for e in acc.Scalars("t")] == [1]
    writer.add_summary(summary.SerializeToString(), np.int64(2))
    writer.close()
    writer.close()  # twice is harmless
    assert [e.step for e in events_in(tmp_path)[1].Scalars("t")] == [1, 2]
    with pytest.warns(UserWarning, match="closed FileWriter"):
        writer.add_summary(summary, 3)
    writer.flush()
    writer.reopen()  # a new event file, as TF-1's reopen makes
    writer.add_summary(summary, 4)
    writer.close()
    files, acc = events_in(tmp_path)
    assert len(files) == 2 and [e.step for e in acc.Scalars("t")] == [4]


def test_writer_errors_name_the_logdir_and_the_mistake(tmp_path):
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    with pytest.raises(NotADirectoryError, match=f"logdir '{not_a_dir}' exists and is not a directory"):
        gf.summary.FileWriter(not_a_dir)
    with pytest.raises(OSError, match=f"cannot create the logdir '{not_a_dir / 'sub'}'"):
        gf.summary.FileWriter(not_a_dir / "sub")
    with pytest.raises(NotImplementedError, match="leave session out"):
        gf.summary.FileWriter(tmp_path, session=object())
    with gf.Graph().as_default(), gf.summary.FileWriter(tmp_path) as writer:
        s = gf.summary.scalar("s", 1.0)
        with pytest.raises(TypeError, match=r"not the node 's:0': run it first"):
            writer.add_summary(s)
        with pytest.raises(TypeError, match="merge_all gives None"):
            writer.add_summary(None)
        with pytest.raises(ValueError, match="exactly one of graph"):
            writer.add_graph(None)


def test_file_writer_cache_shares_one_writer_per_logdir(tmp_path):
    try:
        with gf.Graph().as_default() as g:
            gf.constant(1.0, name="c")
            writer = gf.summary.FileWriterCache.get(tmp_path)
            assert gf.summary.FileWriterCache.get(str(tmp_path)) is writer
    finally:
        gf.summary.FileWriterCache.clear()
    assert [n.name for n in events_in(tmp_path)[1].Graph().node] == [n.op_name for n in g.nodes]
    with pytest.warns(UserWarning, match="closed"):
        writer.add_event(event_pb2.Event(step=1))


def test_the_xor_example_writes_summaries_tensorboard_reads(tmp_path):
    from tests.test_examples import load_example

    load_example("xor").main(["--quiet", "--steps", "20", "--out", str(tmp_path), "--logdir", str(tmp_path / "logs")])
    _, acc = events_in(tmp_path / "logs")
    assert acc.Tags()["scalars"] == ["loss", "accuracy"] and acc.Tags()["graph"]
    assert acc.Tags()["histograms"] == ["weights/hidden/W", "weights/hidden/b", "weights/output/W", "weights/output/b"]
    assert [e.step for e in acc.Scalars("loss")] == [0, 10, 20]


def python_output(code: str) -> str:
    """What `code` prints when run by a fresh Python in the repository."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_graphflow_and_building_summaries_do_not_import_tensorboard():
    code = (
        "import sys, graphflow as gf\n"
        "s = gf.summary.merge_all() or gf.summary.scalar('a', 1.0)\n"
        "print('tensorboard' in sys.modules)\n"
        "gf.Session().run(s)\n"
        "print('tensorboard' in sys.modules)\n"
    )
    assert python_output(code).split() == ["False", "True"]


def test_a_summary_without_tensorboard_names_the_extra_to_install():
    code = (
        "import sys, graphflow as gf\n"
        "sys.modules['tensorboard'] = None  # as if it were not installed\n"
        "try:\n"
        "    gf.Session().run(gf.summary.scalar('loss', 1.0))\n"
        "except Exception as e:  # the op's failure, naming the op, with the ImportError's message\n"
        "    print(e)\n"
    )
    assert "pip install 'graphflow[tensorboard]'" in python_output(code)


def test_fetching_merge_all_before_any_summary_says_why_it_is_none():
    with gf.Graph().as_default():
        merged = gf.summary.merge_all()
        x = gf.constant(1.0)
        with (
            gf.Session() as sess,
            pytest.raises(TypeError, match=r"Fetch argument None .*merge_all\(\).*create summaries first"),
        ):
            sess.run([merged, x])
