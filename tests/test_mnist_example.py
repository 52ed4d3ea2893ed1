"""The MNIST example: the tutorial preset reproduces the numpy tutorial, the modern preset learns, the script runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_examples import assert_png, load_example

import graphflow as gf
from graphflow.datasets import mnist

mnist_mlp = load_example("mnist_mlp")
tutorial_numpy = load_example("tutorial_numpy")
ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


@pytest.fixture(scope="module")
def mnist_float64():
    (x_train, y_train), _ = mnist.load_data()
    x, y_onehot = mnist.preprocess(x_train, y_train, dtype=np.float64)
    return x, y_onehot, y_train.astype(np.int64)


def test_tutorial_preset_matches_the_numpy_transcription(mnist_float64):
    x, y_onehot, labels = mnist_float64
    reference = tutorial_numpy.init_params()
    with gf.Graph().as_default():
        net = mnist_mlp.build_tutorial("float64")
        train = gf.train.GradientDescentOptimizer(tutorial_numpy.LEARNING_RATE).minimize(net["objective"])
        variables = {v.op.name: v for v in gf.trainable_variables()}
        names = {"W_h": "hidden/W", "b_h": "hidden/b", "W_out": "output/W", "b_out": "output/b"}
        with gf.Session() as sess:
            for _ in range(10):
                printed = sess.run(net["loss"], {net["x"]: x, net["labels"]: labels})
                sess.run(train, {net["x"]: x, net["labels"]: labels})
                expected_loss = tutorial_numpy.step(reference, x, y_onehot)
                assert printed == pytest.approx(expected_loss, rel=1e-12)
            for ours, theirs in names.items():
                got = sess.run(variables[theirs])
                assert got.dtype == np.float64
                np.testing.assert_allclose(got, reference[ours], rtol=0, atol=1e-10, err_msg=theirs)
                # Ten steps must have moved the weights far more than the tolerance, or the test proves nothing.
                assert np.abs(got - tutorial_numpy.init_params()[ours]).max() > 1e-4


def test_modern_preset_exceeds_90_percent_on_a_short_run(tmp_path):
    result = mnist_mlp.main(["--train-subset", "12000", "--epochs", "2", "--batch-size", "64", "--quiet",
                             "--out", str(tmp_path)])  # fmt: skip
    assert result["steps"] == 2 * (12000 // 64 + 1)
    assert result["test_accuracy"] > 0.90


def test_script_writes_every_picture_and_a_checkpoint_that_restores(tmp_path, capsys):
    out = tmp_path / "run"
    result = mnist_mlp.main(["--train-subset", "2000", "--epochs", "1", "--hidden", "32", "--quiet",
                             "--out", str(out)])  # fmt: skip
    for name in ("curves.png", "predictions.png", "confusion.png", "weights.png"):
        assert_png(out / name)
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith("mnist modern: 1 epochs")
    assert "test accuracy" in summary and "wall time" in summary

    restored = mnist_mlp.main(["--hidden", "32", "--restore", result["checkpoint"], "--quiet",
                               "--out", str(tmp_path / "eval")])  # fmt: skip
    assert restored["test_accuracy"] == result["test_accuracy"]
    assert restored["steps"] == result["steps"]


def test_restore_of_a_different_network_names_the_mismatch(tmp_path):
    result = mnist_mlp.main(["--train-subset", "500", "--epochs", "1", "--hidden", "16", "--quiet",
                             "--out", str(tmp_path)])  # fmt: skip
    with pytest.raises(gf.train.CheckpointError, match="dense/kernel"):
        mnist_mlp.main(["--hidden", "32", "--restore", result["checkpoint"], "--quiet", "--out", str(tmp_path)])


def test_tutorial_preset_runs_end_to_end(tmp_path):
    result = mnist_mlp.main(["--preset", "tutorial", "--epochs", "3", "--train-subset", "1000", "--quiet",
                             "--out", str(tmp_path)])  # fmt: skip
    assert result["steps"] == 3
    assert_png(tmp_path / "weights.png")


def test_output_to_a_log_has_one_line_per_epoch_and_no_redrawn_bars(tmp_path):
    script = Path(mnist_mlp.__file__)
    args = ["--train-subset", "500", "--epochs", "2", "--hidden", "16", "--out", str(tmp_path)]
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=ENV, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "\r" not in out.stdout + out.stderr  # tqdm redraws its bar with carriage returns
    epochs = [line for line in out.stdout.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in epochs] == ["1", "2"]


def test_picture_grid_shows_mistakes_first():
    y = np.array([1, 2, 3, 4, 5])
    predictions = np.array([1, 0, 3, 0, 5])
    images, labels, guesses = mnist_mlp.shown_predictions(np.arange(5)[:, None], y, predictions, count=4)
    assert labels.tolist() == [2, 4, 1, 3] and guesses.tolist() == [0, 0, 1, 3]
    assert images.ravel().tolist() == [1, 3, 0, 2]
