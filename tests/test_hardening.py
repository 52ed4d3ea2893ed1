"""Hostile conditions: interrupts landing anywhere in a run, graphs dropped in a loop, very wide gradients, nonsense
shapes, hostile checkpoint state files, closed sessions and integer division by zero."""

from __future__ import annotations

import contextlib
import gc
import signal
import threading
import time
import weakref

import numpy as np
import pytest

import graphflow as gf

# ---------------------------------------------------------------------------------------------------------------------
# An interrupt (Ctrl-C) lands anywhere in a run: the run applies whole or not at all.


@contextlib.contextmanager
def _interrupts(low: float, high: float):
    """Raises KeyboardInterrupt from a SIGALRM handler, at random intervals of `low` to `high` seconds, while
    `armed[0]` is true."""
    armed = [False]
    rng = np.random.default_rng(0)

    def interrupt(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, rng.uniform(low, high))
        if armed[0]:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, low)
    try:
        yield armed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(
    not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread(),
    reason="needs SIGALRM timers in the main thread",
)
def test_an_interrupt_never_tears_a_run_and_leaves_no_run_in_flight():
    with gf.Graph().as_default():
        variables = [gf.Variable(np.zeros(4)) for _ in range(200)]
        step = gf.group(*[v.assign_add(np.ones(4)) for v in variables])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            interrupted = finished = 0
            deadline = time.perf_counter() + 3.0
            with _interrupts(0.0002, 0.002) as armed:
                while time.perf_counter() < deadline:
                    try:
                        armed[0] = True
                        sess.run(step)
                        armed[0] = False
                        finished += 1
                    except KeyboardInterrupt:
                        armed[0] = False
                        interrupted += 1
            counts = {float(value[0]) for value in sess.run(variables)}
            assert interrupted > 100 and finished > 0
            assert len(counts) == 1, f"the variables moved by different counts: {sorted(counts)[:5]}..."
            assert not sess._running, f"{len(sess._running)} runs are still counted as in flight"
            # the replaced values are recycled again: an update writes into the array the previous one replaced
            before = sess._values[variables[0]]
            sess.run(step)
            sess.run(step)
            assert sess._values[variables[0]] is before


# ---------------------------------------------------------------------------------------------------------------------
# Graphs dropped in a loop are freed.


def test_graphs_that_used_get_variable_and_dense_are_freed_when_dropped():
    dropped = []
    for _ in range(20):
        gf.reset_default_graph()
        graph = gf.get_default_graph()
        x = gf.placeholder(gf.float32, [None, 3])
        with gf.variable_scope("model"):
            y = gf.layers.dense(x, 4) + gf.get_variable("bias", [4])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            sess.run(y, {x: np.ones((2, 3))})
        dropped.append(weakref.ref(graph))
        del graph, x, y, sess
    gf.reset_default_graph()
    gc.collect()
    alive = sum(ref() is not None for ref in dropped)
    assert alive == 0, f"{alive} of {len(dropped)} dropped graphs are still alive"
