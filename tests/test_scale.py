"""Long runs and big graphs: flat memory over 20,000 steps, a 100,000-node graph, deterministic training.

Whether the step time stays flat is a timing, measured by benchmarks/long_run.py rather than asserted here.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import graphflow as gf

STEPS = 20_000


def current_rss_bytes() -> int:
    """Resident memory now (not the peak), from /proc."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_20000_step_training_loop_keeps_memory_flat_and_compiles_once():
    with gf.Graph().as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float32, [None, 8])
        y = gf.placeholder(gf.int64, [None])
        logits = gf.layers.dense(gf.layers.dense(x, 16, activation=gf.nn.relu), 3)
        loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = gf.train.AdamOptimizer(1e-3).minimize(loss, global_step=gf.train.get_or_create_global_step())
        gf.get_default_graph().finalize()  # the loop must not add nodes
        rng = np.random.default_rng(0)
        feed = {x: rng.standard_normal((32, 8)).astype(np.float32), y: rng.integers(0, 3, 32)}
        with gf.Session() as sess:
            rss = {}
            for step in range(1, STEPS + 1):
                sess.run(train, feed)
                if step == 1:
                    plans = len(sess._plans)
                if step in (1_000, STEPS):
                    rss[step] = current_rss_bytes()
            assert len(sess._plans) == plans  # the train op's plan is compiled once and replayed
            assert sess.run(gf.train.get_global_step()) == STEPS
    growth = rss[STEPS] - rss[1_000]
    assert growth < 8 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB from step 1,000 to {STEPS}"


def test_a_100000_node_graph_builds_compiles_runs_and_differentiates():
    n = 100_000
    with gf.Graph().as_default() as graph:
        x = gf.placeholder(gf.float64, [], name="x")
        y = x
        for _ in range(n // 2):  # each step adds a constant and an op
            y = y * 1.00001
        assert len(graph.nodes) >= n
        with gf.Session() as sess:
            value = sess.run(y, {x: 2.0})
            np.testing.assert_allclose(value, 2.0 * 1.00001 ** (n // 2), rtol=1e-9)
        (grad,) = gf.gradients(y, [x])
        with gf.Session() as sess:
            np.testing.assert_allclose(sess.run(grad, {x: 2.0}), 1.00001 ** (n // 2), rtol=1e-9)


def test_same_seeds_give_bit_identical_weights_across_two_runs_of_the_modern_preset(tmp_path):
    from test_examples import load_example

    mnist_mlp = load_example("mnist_mlp")
    weights = []
    for run in range(2):
        result = mnist_mlp.main(["--train-subset", "2000", "--epochs", "1", "--hidden", "64", "--seed", "7",
                                 "--quiet", "--out", str(tmp_path / str(run))])  # fmt: skip
        weights.append(dict(np.load(result["checkpoint"] + ".npz")))
    assert weights[0].keys() == weights[1].keys()
    assert any(k.endswith("kernel.npy") or "kernel" in k for k in weights[0])
    for key in weights[0]:
        np.testing.assert_array_equal(weights[0][key], weights[1][key], err_msg=key)
