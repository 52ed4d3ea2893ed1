"""The TF-1 scripts in examples/tf1 run unchanged but for their import, on the bundled MNIST, in shortened runs.

Each script runs in this process with its own argv, in a fresh default graph; the checks use what it prints and the
globals it leaves. The thresholds are well below what the shortened runs reach (see examples/tf1/README.md), yet
far above chance, so a wrong gradient, optimizer or restore fails them.
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.train.saver import read_checkpoint

TF1 = Path(__file__).resolve().parents[1] / "examples" / "tf1"
SCRIPTS = sorted(p.name for p in TF1.glob("*.py"))
GRAPHFLOW_LINES = {
    "import graphflow.compat.v1 as tf",
    "from graphflow.examples.tutorials.mnist import input_data",
}


def run_script(name: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Runs examples/tf1/`name` as `__main__` with `args`; returns its globals."""
    monkeypatch.setattr(sys, "argv", [str(TF1 / name), *args])
    with gf.Graph().as_default() as graph:
        return {**runpy.run_path(str(TF1 / name), run_name="__main__"), "graph": graph}


def printed(out: str, label: str) -> list[float]:
    return [float(v) for v in re.findall(rf"^{re.escape(label)} ([0-9.]+)$", out, flags=re.MULTILINE)]


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_only_graphflow_lines_are_the_imports(name):
    """Swapping the first line for `import tensorflow.compat.v1 as tf` is all TF-1 needs (the benchmark does so)."""
    lines = (TF1 / name).read_text().splitlines()
    assert [line for line in lines if re.search(r"\bgraphflow\.|\bgf\.", line)] == sorted(GRAPHFLOW_LINES)[::-1]
    assert "tf.disable_v2_behavior()" in lines


def test_logistic_regression(monkeypatch, capsys):
    result = run_script("logistic_regression.py", "--epochs", "1", monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert re.search(r"^Epoch: 0001 cost= 1\.[0-9]{9}$", out, flags=re.MULTILINE)
    assert printed(out, "Accuracy:") == [pytest.approx(result["test_accuracy"])]
    assert result["test_accuracy"] > 0.83  # 0.85 after one epoch; 0.1 for an untrained model


def test_multilayer_perceptron(monkeypatch, capsys):
    result = run_script("multilayer_perceptron.py", "--epochs", "1", monkeypatch=monkeypatch)
    assert "Optimization Finished!" in capsys.readouterr().out
    assert result["test_accuracy"] > 0.8  # 0.86-0.87 after one epoch


def test_mnist_softmax_tutorial_exits_through_app_run(monkeypatch, capsys):
    try:
        with pytest.raises(SystemExit) as exit_info:
            run_script("mnist_softmax.py", "--steps", "300", monkeypatch=monkeypatch)
        # The tutorial leaves its InteractiveSession open, and so the default session, as in TF-1.
        assert isinstance(gf.get_default_session(), gf.InteractiveSession)
    finally:
        if gf.get_default_session() is not None:
            gf.get_default_session().close()
    assert exit_info.value.code is None
    (accuracy,) = printed(capsys.readouterr().out, "Accuracy:")
    assert accuracy > 0.88  # 0.90-0.91 after 300 steps, 0.92 after the tutorial's 1000


def test_save_restore_model_restores_the_trained_values(monkeypatch, capsys, tmp_path):
    model_path = str(tmp_path / "run" / "model.ckpt")  # a folder that does not exist yet, as in the docstring
    args = ["--first_epochs", "1", "--second_epochs", "1", "--model_path", model_path]
    result = run_script("save_restore_model.py", *args, monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    (before,) = printed(out, "Accuracy before restoring:")
    first, final = result["first_accuracy"], result["final_accuracy"]
    assert before < 0.3 < 0.8 < first < final
    assert result["restored_accuracy"] == first
    assert result["latest"] == f"{model_path}-2"

    # Both checkpoints hold exactly what the sessions had: restoring them gives the same accuracy again.
    images, labels = result["mnist"].test.images, result["mnist"].test.labels
    saver, accuracy, x, y = (result[k] for k in ("saver", "accuracy", "x", "y"))
    with gf.Session(graph=accuracy.graph) as sess:
        for path, expected in [(model_path, first), (result["latest"], final)]:
            saver.restore(sess, path)
            assert sess.run(accuracy, {x: images, y: labels}) == expected
        weights = sess.run(result["weights"])
    np.testing.assert_array_equal(weights["out"], read_checkpoint(result["latest"])["Variable_2"])


def test_layers_shared_weights(monkeypatch, capsys):
    result = run_script("layers_shared_weights.py", "--num_steps", "300", monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert "Global step: 300" in out
    # The test network found the training network's variables instead of making its own.
    names = [v.op.name for v in result["graph"].get_collection(gf.GraphKeys.TRAINABLE_VARIABLES)]
    assert names == [
        f"NeuralNet/{layer}/{kind}" for layer in ("dense", "dense_1", "dense_2") for kind in ("kernel", "bias")
    ]
    assert result["test_accuracy"] > 0.92  # 0.95 after 300 steps


def test_tensorboard_basic_writes_the_curves_and_the_scoped_graph(monkeypatch, capsys, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = run_script("tensorboard_basic.py", "--epochs", "1", "--logs_path", str(tmp_path), monkeypatch=monkeypatch)
    assert result["test_accuracy"] > 0.83
    (event_file,) = tmp_path.glob("events.out.tfevents.*")
    events = EventAccumulator(str(event_file), size_guidance={"scalars": 0})
    events.Reload()
    # The name scopes "Loss" and "Accuracy" take the names "loss" and "accuracy" (TF-1 compares names ignoring case),
    # so the summaries are tagged "loss_1" and "accuracy_1", as TF-1 tags them for this script.
    assert sorted(events.Tags()["scalars"]) == ["accuracy_1", "loss_1"]
    loss, accuracy = events.Scalars("loss_1"), events.Scalars("accuracy_1")
    steps = result["total_batch"]
    assert [e.step for e in loss] == [e.step for e in accuracy] == list(range(steps))
    # The logged loss is the one the script averaged; the minibatch accuracy climbs from chance.
    assert np.mean([e.value for e in loss]) == pytest.approx(result["avg_cost"], rel=1e-5)
    assert np.mean([e.value for e in accuracy[:10]]) < 0.7 < 0.8 < np.mean([e.value for e in accuracy[-100:]])
    scopes = {node.name.split("/")[0] for node in events.Graph().node}
    assert {"Model", "Loss", "SGD", "Accuracy", "InputData", "Weights"} <= scopes
