"""Threads: concurrent inference on one session, one compile for concurrent first runs, independent sessions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import graphflow as gf
from graphflow import session as session_module


def mlp(seed: int = 0):
    gf.set_random_seed(seed)
    x = gf.placeholder(gf.float64, [None, 6], name="x")
    y = gf.placeholder(gf.float64, [None, 2], name="y")
    out = gf.layers.dense(gf.layers.dense(x, 12, activation=gf.nn.tanh), 2)
    loss = gf.losses.mean_squared_error(y, out)
    return x, y, out, loss


@pytest.mark.parametrize("recycle_bytes", [session_module.RECYCLE_BYTES, 0])
def test_threads_running_inference_on_one_session_get_correct_results(monkeypatch, recycle_bytes):
    monkeypatch.setattr(session_module, "RECYCLE_BYTES", recycle_bytes)  # 0: every result reuses an earlier array
    with gf.Graph().as_default():
        x, _, out, _ = mlp()
        with gf.Session() as sess:
            rng = np.random.default_rng(0)
            inputs = [rng.standard_normal((int(rng.integers(1, 40)), 6)) for _ in range(64)]
            expected = [sess.run(out, {x: batch}) for batch in inputs]
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(lambda batch: sess.run(out, {x: batch}), inputs * 4))
    for got, want in zip(results, expected * 4, strict=True):
        np.testing.assert_array_equal(got, want)


def test_concurrent_first_runs_of_the_same_fetches_compile_one_plan(monkeypatch):
    compiled = []
    original = session_module.Plan.__init__

    def counting(self, *args, **kwargs):
        compiled.append(threading.get_ident())
        original(self, *args, **kwargs)

    monkeypatch.setattr(session_module.Plan, "__init__", counting)
    with gf.Graph().as_default():
        x, _, out, _ = mlp()
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            compiled.clear()
            barrier = threading.Barrier(8)

            def first_run(_):
                barrier.wait()
                return sess.run(out, {x: np.ones((3, 6))})

            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(first_run, range(8)))
    assert len(compiled) == 1
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_two_sessions_on_one_graph_train_independently_in_two_threads():
    with gf.Graph().as_default():
        x, y, _, loss = mlp(seed=1)
        train = gf.train.AdamOptimizer(0.01).minimize(loss)
        rng = np.random.default_rng(1)
        data = {x: rng.standard_normal((32, 6)), y: rng.standard_normal((32, 2))}
        with gf.Session() as reference:
            for _ in range(50):
                reference.run(train, data)
            expected = reference.run(gf.trainable_variables())
        sessions = [gf.Session(), gf.Session()]
        variables = gf.trainable_variables()  # the default graph is per thread (as in TF-1): look them up here

        def train_in(sess, steps):
            for _ in range(steps):
                sess.run(train, data)
            return sess.run(variables)

        with ThreadPoolExecutor(max_workers=2) as pool:
            fifty, twenty = pool.map(train_in, sessions, [50, 20])
        for s in sessions:
            s.close()
    for got, want in zip(fifty, expected, strict=True):
        np.testing.assert_array_equal(got, want)  # the other thread's session did not interfere
    assert not all(np.array_equal(a, b) for a, b in zip(twenty, expected, strict=True))
