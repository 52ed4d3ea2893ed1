"""Threads: training and inference on one session at once, one compile for concurrent first runs, independent
sessions.

The stress test's size is set by $GRAPHFLOW_STRESS_STEPS (training steps per thread): CI runs 40; run it with 2000
to soak.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import graphflow as gf
from graphflow import session as session_module
from graphflow.plan import passes


def mlp(seed: int = 0):
    gf.set_random_seed(seed)
    x = gf.placeholder(gf.float64, [None, 6], name="x")
    y = gf.placeholder(gf.float64, [None, 2], name="y")
    out = gf.layers.dense(gf.layers.dense(x, 12, activation=gf.nn.tanh), 2)
    loss = gf.losses.mean_squared_error(y, out)
    return x, y, out, loss


@pytest.mark.parametrize("recycle_bytes", [passes.RECYCLE_BYTES, 0])
def test_threads_running_inference_on_one_session_get_correct_results(monkeypatch, recycle_bytes):
    monkeypatch.setattr(passes, "RECYCLE_BYTES", recycle_bytes)  # 0: every large-enough result reuses an array
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
    original = session_module.compile_plan

    def counting(*args, **kwargs):
        compiled.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(session_module, "compile_plan", counting)
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


STRESS_STEPS = int(os.environ.get("GRAPHFLOW_STRESS_STEPS", "40"))


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("recycle_bytes", [passes.RECYCLE_BYTES, 0])
def test_eight_threads_train_one_session_while_others_infer_and_no_fetched_array_ever_changes(
    monkeypatch, optimizer, recycle_bytes
):
    monkeypatch.setattr(passes, "RECYCLE_BYTES", recycle_bytes)  # 0: every large-enough result reuses an array
    with gf.Graph().as_default():
        x, y, out, loss = mlp(seed=2)
        opt = gf.train.AdamOptimizer(0.01) if optimizer == "adam" else gf.train.GradientDescentOptimizer(0.05)
        train = opt.minimize(loss)
        w = gf.trainable_variables()[0]
        hidden = out.inputs[0].inputs[0]  # the first layer's output, a view-free intermediate
        rng = np.random.default_rng(3)
        data = {x: rng.standard_normal((16, 6)), y: rng.standard_normal((16, 2))}
        sess = gf.Session()
        first_loss = sess.run(loss, data)
        errors, held = [], []  # held: (fetched arrays, their copies at fetch time)

        def trainer():
            try:
                for _ in range(STRESS_STEPS):
                    held.append(_with_copies(sess.run([train, loss, w], data)[1:]))
            except Exception as e:  # collected, so the test reports every thread's failure
                errors.append(e)

        def reader():
            try:
                for _ in range(STRESS_STEPS * 2):
                    held.append(_with_copies(sess.run([out, hidden, w], {x: data[x]})))
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=f) for f in [trainer] * 8 + [reader] * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final_loss = sess.run(loss, data)
        sess.close()
    assert errors == []
    assert len(held) == 8 * STRESS_STEPS + 2 * 2 * STRESS_STEPS
    for arrays, copies in held:  # every array a run returned is the caller's: no later run wrote into it
        for a, c in zip(arrays, copies, strict=True):
            np.testing.assert_array_equal(a, c)
    assert np.isfinite(final_loss) and final_loss < first_loss


def _with_copies(arrays):
    return arrays, [np.array(a, copy=True) for a in arrays]


def test_a_variable_read_while_other_threads_update_it_is_never_torn_and_updates_commit_together():
    with gf.Graph().as_default():
        a = gf.Variable(np.zeros(50_000), name="a")  # large enough that a torn copy would show
        b = gf.Variable(np.zeros(3), name="b")
        step = gf.group(a.assign_add(np.ones(50_000)), b.assign_add(np.ones(3)))
        sess = gf.Session()
        sess.run(step)
        seen, errors = [], []

        def writer():
            try:
                for _ in range(STRESS_STEPS * 2):
                    sess.run(step)
            except Exception as e:
                errors.append(e)

        def reader():
            for _ in range(STRESS_STEPS * 4):
                seen.append(sess.run([a, b]))

        threads = [threading.Thread(target=writer) for _ in range(4)] + [threading.Thread(target=reader)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = sess.run(a)
        sess.close()
    assert errors == []
    for a_value, b_value in seen:
        assert (a_value == a_value[0]).all()  # one commit's value, never parts of two
        assert (b_value == a_value[0]).all()  # both updates of a run become visible together
    # Concurrent steps each apply their update to the values they read, so a step may be lost (Hogwild), never
    # half-applied.
    assert 1 <= final[0] <= 1 + 4 * STRESS_STEPS * 2 and (final == final[0]).all()
