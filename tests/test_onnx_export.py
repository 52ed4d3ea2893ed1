"""`graphflow.onnx.export` on whole models: a trained MLP with batch normalisation and dropout runs in onnxruntime
as in graphflow at several batch sizes; only what the outputs need is exported, with the variables' values at export
time; refusals name the op; the file is written whole; the MNIST example's --export; the missing-extra error."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from test_examples import load_example

import graphflow as gf
from graphflow.onnx import export


def runtime(model: onnx.ModelProto) -> ort.InferenceSession:
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def trained():
    """The example's MLP (dense+relu, batch norm and dropout driven by a `training` flag, softmax), trained."""
    graph = gf.Graph()
    with graph.as_default():
        net = load_example("export_onnx").build(seed=3)
        sess = gf.Session()
        rng = np.random.default_rng(0)
        for _ in range(30):
            xb = rng.standard_normal((32, 2)).astype(np.float32)
            yb = ((xb[:, 0] > 0) != (xb[:, 1] > 0)).astype(np.int64)
            sess.run(net["train"], {net["x"]: xb, net["labels"]: yb, net["training"]: True})
    yield graph, sess, net["x"], net["labels"], net["probabilities"], net["loss"]
    sess.close()


def test_trained_mlp_with_batch_norm_and_dropout_runs_as_in_graphflow(trained):
    graph, sess, x, labels, probabilities, loss = trained
    with graph.as_default():
        model = export(sess, [x, labels], [probabilities, loss])
    onnx.checker.check_model(model, full_check=True)
    run = runtime(model)
    rng = np.random.default_rng(1)
    for n in (1, 5, 64):
        xb = rng.standard_normal((n, 2)).astype(np.float32)
        yb = rng.integers(0, 2, n)
        got_p, got_loss = run.run(None, {"x": xb, "labels": yb})
        want_p, want_loss = sess.run([probabilities, loss], {x: xb, labels: yb})  # training left at False
        np.testing.assert_allclose(got_p, want_p, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got_loss, want_loss, rtol=1e-5, atol=1e-5)
    # Training moved the moving statistics, so inference form and batch statistics differ: the test can tell them.
    moving_mean = sess.run(graph.get_tensor_by_name("batch_norm/moving_mean:0"))
    assert np.abs(moving_mean).max() > 1e-3


def test_export_holds_only_what_the_outputs_need(trained):
    _, sess, x, _, probabilities, _ = trained
    model = export(sess, x, probabilities)
    initializers = sorted(t.name for t in model.graph.initializer)
    assert initializers == sorted(
        [
            "hidden/kernel",
            "hidden/bias",
            "batch_norm/gamma",
            "batch_norm/beta",
            "batch_norm/moving_mean",
            "batch_norm/moving_variance",
            "logits/kernel",
            "logits/bias",
        ]
    )  # no Adam slots, no step counts, no gradients
    types = [n.op_type for n in model.graph.node if n.op_type != "Constant"]
    assert "If" not in types and "RandomUniform" not in types  # the training conds folded to inference
    assert types[:3] == ["MatMul", "Add", "Relu"]  # the plan's fused bias+relu is two graph ops, exported as such
    assert [i.name for i in model.graph.input] == ["x"]
    assert [o.name for o in model.graph.output] == ["probabilities"]
    (dim_batch, dim_features) = model.graph.input[0].type.tensor_type.shape.dim
    assert dim_batch.dim_param == "batch" and dim_features.dim_value == 2
    assert {n.name for n in model.graph.node} >= {"hidden/MatMul", "hidden/BiasAdd", "hidden/Relu", "probabilities"}


def test_variables_are_frozen_at_their_values_when_exported(trained):
    graph, sess, x, _, probabilities, _ = trained
    model = export(sess, x, probabilities)
    kernel = graph.get_tensor_by_name("hidden/kernel:0")
    frozen = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.testing.assert_array_equal(frozen["hidden/kernel"], sess.run(kernel))
    with gf.Session(graph=graph) as fresh:  # another session's values are its own
        other = export(fresh, x, probabilities)
        values = {t.name: onnx.numpy_helper.to_array(t) for t in other.graph.initializer}
        np.testing.assert_array_equal(values["hidden/kernel"], fresh.run(kernel))
    assert not np.array_equal(values["hidden/kernel"], frozen["hidden/kernel"])


def test_training_flag_given_as_input_exports_the_conds_as_if(trained):
    graph, sess, x, _, probabilities, _ = trained
    training = graph.get_tensor_by_name("training:0")
    model = export(sess, [x, training], probabilities)
    onnx.checker.check_model(model, full_check=True)
    assert [n.name for n in model.graph.node if n.op_type == "If"] == ["batch_norm/cond/Merge", "dropout/cond/Merge"]
    xb = np.random.default_rng(4).standard_normal((9, 2)).astype(np.float32)
    (got,) = runtime(model).run(None, {"x": xb, "training": np.array(False)})
    np.testing.assert_allclose(got, sess.run(probabilities, {x: xb}), rtol=1e-5, atol=1e-5)


def test_batch_norm_exported_with_its_flag_normalises_with_the_batch_when_fed_true():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 5], name="x")
        training = gf.placeholder_with_default(False, [], name="training")
        y = gf.layers.batch_normalization(x * 3.0 + 1.0, training=training, name="bn")
        with gf.Session() as sess:
            model = export(sess, [x, training], y)
            run = runtime(model)
            rng = np.random.default_rng(5)
            for n, flag in ((4, True), (7, True), (3, False)):
                xb = rng.standard_normal((n, 5)).astype(np.float32)
                (got,) = run.run(None, {"x": xb, "training": np.array(flag)})
                np.testing.assert_allclose(got, sess.run(y, {x: xb, training: flag}), rtol=1e-5, atol=1e-5)


def test_cond_on_the_data_and_nested_conds_export_as_if():
    def build(x):
        total = gf.reduce_sum(x)
        inner = lambda: gf.cond(gf.reduce_max(x) > 1.0, lambda: x * 10.0, lambda: gf.exp(x), name="inner")  # noqa: E731
        return gf.cond(total > 0.0, inner, lambda: -x, name="outer")

    from test_onnx_ops import F, assert_same, run_both

    for got, expected in run_both(build, [F("n", 3)], batches=(1, 2, 3, 4, 5, 6, 7, 8)):
        assert_same(got, expected)


def test_while_loops_export_as_loop():
    def build(x):
        w = gf.Variable(np.array([0.5, 1.0, 2.0], np.float32), name="w")  # read by the body from outside the loop
        step = lambda i, v: (i + 1, v * 2.0 + w)  # noqa: E731
        i, v = gf.while_loop(lambda i, v: gf.reduce_sum(v) < 50.0, step, [gf.constant(0), x], maximum_iterations=6)
        return gf.cast(i, gf.float32) + gf.reduce_sum(v)

    from test_onnx_ops import F, assert_same, run_both

    for got, expected in run_both(build, [F("n", 3, lo=-1.0, hi=8.0)], batches=(1, 2, 4, 9)):
        assert_same(got, expected)


def test_path_writes_the_model_whole(trained, tmp_path):
    _, sess, x, _, probabilities, _ = trained
    path = tmp_path / "mlp.onnx"
    model = export(sess, x, probabilities, path=path)
    assert onnx.load(str(path)) == model
    assert os.listdir(tmp_path) == ["mlp.onnx"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would create it, readable by others
    with pytest.raises(FileNotFoundError):
        export(sess, x, probabilities, path=tmp_path / "missing" / "mlp.onnx")
    assert os.listdir(tmp_path) == ["mlp.onnx"]


@pytest.mark.parametrize("opset", [13, 18, onnx.defs.onnx_opset_version()])
def test_opsets(trained, opset):
    _, sess, x, _, probabilities, _ = trained
    model = export(sess, x, probabilities, opset=opset)
    assert model.opset_import[0].version == opset
    onnx.checker.check_model(model, full_check=True)
    if opset <= 21:  # what the onnxruntime in use implements may lag the newest onnx
        xb = np.random.default_rng(2).standard_normal((3, 2)).astype(np.float32)
        (got,) = runtime(model).run(None, {"x": xb})
        np.testing.assert_allclose(got, sess.run(probabilities, {x: xb}), rtol=1e-5, atol=1e-5)


def test_an_input_or_a_variable_can_be_an_output():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        w = gf.Variable(np.arange(2.0, dtype=np.float32), name="w")
        with gf.Session() as sess:
            model = export(sess, [x], [x, w, x + w])
    onnx.checker.check_model(model, full_check=True)
    assert [o.name for o in model.graph.output] == ["x", "w", "Add"]
    got = runtime(model).run(None, {"x": np.ones((3, 2), np.float32)})
    np.testing.assert_array_equal(got[1], [0.0, 1.0])
    np.testing.assert_array_equal(got[2], np.ones((3, 2)) + np.array([0.0, 1.0]))


# --------------------------------------------------------------------------------------------------------------------
# Refusals name the op, its type and why


def _refusal(build):
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        out = build(x)
        with gf.Session() as sess, pytest.raises(ValueError) as e:
            export(sess, x, out)
    return str(e.value)


def test_refusals_name_the_op_and_its_type():
    message = _refusal(lambda x: x + gf.random_uniform([3], name="noise"))
    assert message.startswith("cannot export RandomUniform 'noise' to ONNX: it draws from the session's random")
    # and the line of the user's code that built it
    assert f"'noise' was defined at {__file__}:" in message and "gf.random_uniform([3]" in message
    message = _refusal(lambda x: gf.gradients(gf.reduce_sum(gf.nn.relu(x)), x)[0])
    assert re.match(r"cannot export \w+ 'gradients/.*' to ONNX: it is part of a gradient", message)
    message = _refusal(lambda x: gf.Variable(np.zeros(3, np.float32), name="v").assign(x[0], name="keep"))
    assert message.startswith("cannot export Assign 'keep' to ONNX: it changes a variable")
    message = _refusal(lambda x: x // 2.0)
    assert message.startswith("cannot export FloorDiv 'FloorDiv' to ONNX")


def test_bad_arguments_name_what_is_wrong():
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3], name="x")
        y = gf.placeholder(gf.float32, [None, 3], name="y")
        total = x + y
        with gf.Session() as sess:
            with pytest.raises(ValueError, match=r"placeholder 'y' .* is needed by the outputs but is not among"):
                export(sess, x, total)
            with pytest.raises(TypeError, match=r"inputs: 'Add' \(Add\) is not a placeholder"):
                export(sess, total, total)
            with pytest.raises(ValueError, match="opset must be an int from 13"):
                export(sess, [x, y], total, opset=9)
            with gf.Graph().as_default():
                stranger = gf.placeholder(gf.float32, [3], name="stranger")
            with pytest.raises(ValueError, match="'stranger' belongs to another graph"):
                export(sess, stranger, total)


# --------------------------------------------------------------------------------------------------------------------
# The MNIST example, and the optional extra


def test_mnist_example_exports_a_model_onnxruntime_agrees_with(tmp_path):
    mnist_mlp = load_example("mnist_mlp")
    path = tmp_path / "model.onnx"
    result = mnist_mlp.main(["--train-subset", "3000", "--epochs", "1", "--hidden", "64", "--quiet",
                             "--out", str(tmp_path / "out"), "--export", str(path)])  # fmt: skip
    assert path.exists()
    assert result["onnx_test_accuracy"] == pytest.approx(result["test_accuracy"], abs=1e-6)  # graphflow's is float32
    assert result["onnx_max_difference"] < 1e-5
    assert result["test_accuracy"] > 0.6  # it learned: chance is 0.1


def test_export_example_prints_both_outputs(tmp_path, capsys):
    result = load_example("export_onnx").main(["--steps", "200", "--out", str(tmp_path)])
    assert (tmp_path / "xor_mlp.onnx").exists()
    assert result["max_difference"] < 1e-5
    assert result["accuracy"] > 0.9
    assert "graphflow    onnxruntime" in capsys.readouterr().out


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_graphflow_does_not_import_onnx_and_a_missing_onnx_names_the_extra():
    assert _python("import sys, graphflow; assert 'onnx' not in sys.modules").returncode == 0
    result = _python("import sys; sys.modules['onnx'] = None; import graphflow.onnx")
    assert result.returncode != 0
    assert "pip install graphflow[onnx]" in result.stderr
