"""`graphflow.onnx.import_model`: every export case round-trips (export, import, run equal), and an MLP exported by
PyTorch imports into a graph that runs, differentiates and draws as PyTorch's model does."""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import pytest
from test_onnx_ops import CASES

import graphflow as gf
from graphflow.onnx import export, import_model

ROUND_TRIP = [c for c in CASES if c[0] not in ("While", "TupleGet")]  # ONNX's Loop is not imported


@pytest.mark.parametrize(
    ("op_type", "build", "specs"), ROUND_TRIP, ids=[f"{c[0]}-{i}" for i, c in enumerate(ROUND_TRIP)]
)
def test_export_then_import_runs_equal(op_type, build, specs):
    rng = np.random.default_rng(0)
    with gf.Graph().as_default():
        shapes = [[None if d == "n" else d for d in s.shape] for s in specs]
        xs = [gf.placeholder(s.dtype, shape) for s, shape in zip(specs, shapes, strict=True)]
        y = build(*xs)
        with gf.Session() as sess:
            model = export(sess, xs, y)
            values = [np.asarray(s.sample(rng, tuple(3 if d == "n" else d for d in s.shape))).astype(s.dtype)
                      for s in specs]  # fmt: skip
            expected = sess.run(y, dict(zip(xs, values, strict=True)))
    with gf.Graph().as_default():
        imported = import_model(model)
        (out,) = imported.outputs.values()
        with gf.Session() as sess:
            feed = {imported.inputs[x.op_name]: v for x, v in zip(xs, values, strict=True)}
            got = sess.run(out, feed)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def torch_mlp():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.BatchNorm1d(16), torch.nn.Dropout(0.3),
        torch.nn.Linear(16, 4), torch.nn.Softmax(dim=-1),
    )  # fmt: skip
    with torch.no_grad():  # statistics other than the initial 0 and 1, so that importing them is tested
        net[3].running_mean.uniform_(-1, 1)
        net[3].running_var.uniform_(0.5, 2)
    net.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter, which works offline
        torch.onnx.export(net, (torch.randn(2, 2, 3),), buffer, input_names=["x"], output_names=["p"],
                          dynamic_axes={"x": {0: "batch"}, "p": {0: "batch"}}, dynamo=False)  # fmt: skip
    return torch, net, onnx.load_from_string(buffer.getvalue())


def test_pytorch_mlp_imports_runs_and_differentiates_as_in_pytorch(torch_mlp):
    torch, net, model = torch_mlp
    assert {"Flatten", "Gemm", "BatchNormalization", "Softmax"} <= {n.op_type for n in model.graph.node}
    x_value = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    cotangent = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    x_torch = torch.tensor(x_value, requires_grad=True)
    p_torch = net(x_torch)
    (p_torch * torch.tensor(cotangent)).sum().backward()
    with gf.Graph().as_default():
        imported = import_model(model)
        x, p = imported.inputs["x"], imported.outputs["p"]
        assert x.shape.as_list() == [None, 2, 3]
        weight = imported.variables["1.weight"]
        grad_x, grad_w = gf.gradients(gf.reduce_sum(p * cotangent), [x, weight])
        with gf.Session() as sess:
            got_p, got_gx, got_gw = sess.run([p, grad_x, grad_w], {x: x_value})
    np.testing.assert_allclose(got_p, p_torch.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_gx, x_torch.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got_gw, net[1].weight.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_imported_model_draws(torch_mlp, tmp_path):
    pytest.importorskip("networkx")
    _, _, model = torch_mlp
    with gf.Graph().as_default():
        imported = import_model(model, name="torch")
        drawn = gf.viz.to_networkx(list(imported.outputs.values()))
        gf.viz.draw_graph(list(imported.outputs.values()), path=tmp_path / "torch_mlp.png")
    assert (tmp_path / "torch_mlp.png").stat().st_size > 1000
    ops = {data["op"] for _, data in drawn.nodes(data=True)}
    assert {"MatMul", "Relu", "Softmax"} <= ops
    assert imported.outputs["p"].op_name.startswith("torch/")


def test_an_op_with_no_graphflow_form_is_refused_by_name():
    node = onnx.helper.make_node("Conv", ["x", "w"], ["y"], name="conv1")
    graph = onnx.helper.make_graph(
        [node],
        "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 4, 4])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
        initializer=[onnx.numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")],
    )
    with gf.Graph().as_default(), pytest.raises(ValueError, match=r"cannot import ONNX node 'conv1' \(Conv\)"):
        import_model(onnx.helper.make_model(graph))
