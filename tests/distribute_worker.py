"""What each process of the multi-process tests runs, under `mpiexec -n 2` (tests/test_distribute.py starts it).

    python tests/distribute_worker.py train OUT OPTIMIZER   train the small MLP, save each rank's weights to OUT
    python tests/distribute_worker.py collectives           check allreduce, allgather, broadcast and their gradients
    python tests/distribute_worker.py fail MODE             train until rank 1 fails at step 5 (kill, raise, exit)
    python tests/distribute_worker.py mismatch              allreduce tensors of different shapes on the two ranks

A failed check raises, which ends the whole job with a non-zero exit (graphflow.distribute's exception hook).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graphflow as gf
import graphflow.distribute as hvd

STEPS, BATCH, FEATURES, CLASSES = 30, 8, 20, 3
OPTIMIZERS = {
    "adam": lambda: gf.train.AdamOptimizer(0.01),
    "sgd": lambda: gf.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: gf.train.MomentumOptimizer(0.05, 0.9),
}


def data() -> tuple[np.ndarray, np.ndarray]:
    """STEPS batches of BATCH examples, the same on every rank and in the single-process reference."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((STEPS, BATCH, FEATURES)), rng.integers(0, CLASSES, (STEPS, BATCH))


def build(seed: int, optimizer: str, distributed: bool) -> dict:
    """A 20-16-3 ReLU network in float64 whose random initial weights depend on `seed`."""
    gf.set_random_seed(seed)
    x = gf.placeholder(gf.float64, [None, FEATURES], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    h = gf.layers.dense(x, 16, activation=gf.nn.relu)
    logits = gf.layers.dense(h, CLASSES)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    opt = OPTIMIZERS[optimizer]()
    if distributed:
        opt = hvd.DistributedOptimizer(opt)
    return {"x": x, "labels": labels, "loss": loss, "train": opt.minimize(loss)}


def weights(sess: gf.Session) -> dict[str, np.ndarray]:
    return {v.op_name: sess.run(v) for v in gf.global_variables()}


def train(out: str, optimizer: str) -> None:
    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    net = build(100 + rank, optimizer, distributed=True)  # a different start on every rank
    fused = [n for n in gf.get_default_graph().nodes if n.type == "HorovodAllreduce"]
    assert len(fused) == 1, f"expected one fused allreduce of the 4 gradients, found {len(fused)}"
    bcast = hvd.broadcast_global_variables(0)
    xs, ys = data()
    part = slice(rank * BATCH // size, (rank + 1) * BATCH // size)  # this rank's part of every batch
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        before = weights(sess)
        sess.run(bcast)
        for xb, yb in zip(xs, ys, strict=True):
            sess.run(net["train"], {net["x"]: xb[part], net["labels"]: yb[part]})
        after = weights(sess)
    np.savez(Path(out) / f"rank{rank}.npz", **{f"before/{k}": v for k, v in before.items()}, **after)


def collectives() -> None:
    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    assert size == 2 and hvd.local_size() == 2 and hvd.local_rank() == rank and hvd.mpi_enabled()
    mine = np.arange(6.0).reshape(2, 3) + 10 * rank  # rank r holds base + 10 r
    every = [np.arange(6.0).reshape(2, 3) + 10 * r for r in range(size)]
    x = gf.placeholder(gf.float64, [None, 3])
    c = gf.constant(np.full((2, 3), rank + 1.0))  # a different cotangent on each rank
    rows = gf.placeholder(gf.float64, [None, 3])  # allgather: rank r gives r + 1 rows
    avg, total = hvd.allreduce(x), hvd.allreduce(x, op=hvd.Sum)
    gathered, root1 = hvd.allgather(rows), hvd.broadcast(x, 1)
    grads = gf.gradients(
        [gf.reduce_sum(avg * c), gf.reduce_sum(gathered * gathered), gf.reduce_sum(root1 * c)], [x, rows]
    )
    g_avg = gf.gradients(gf.reduce_sum(avg * c), x)[0]
    g_bcast = gf.gradients(gf.reduce_sum(root1 * c), x)[0]
    g_gather = gf.gradients(gf.reduce_sum(gathered * gathered), rows)[0]
    my_rows = np.full((rank + 1, 3), rank + 1.0)
    feed = {x: mine, rows: my_rows}
    with gf.Session() as sess:
        got = sess.run([avg, total, gathered, root1, g_avg, g_bcast, g_gather], feed)
        sess.run(grads, feed)
    np.testing.assert_array_equal(got[0], sum(every) / size)
    np.testing.assert_array_equal(got[1], sum(every))
    np.testing.assert_array_equal(got[2], np.concatenate([np.full((r + 1, 3), r + 1.0) for r in range(size)]))
    np.testing.assert_array_equal(got[3], every[1])
    # d/dx_r sum_k <avg, c_k> = (c_0 + c_1) / 2 on every rank; the broadcast's gradient is the sum on the root only.
    np.testing.assert_array_equal(got[4], np.full((2, 3), (1.0 + 2.0) / 2))
    np.testing.assert_array_equal(got[5], np.full((2, 3), 3.0) if rank == 1 else np.zeros((2, 3)))
    # sum_k sum(gathered^2) = 2 sum(gathered^2): d/d rows_r = 2 * 2 * rows_r.
    np.testing.assert_array_equal(got[6], 4 * my_rows)
    print(f"collectives ok on rank {rank}", flush=True)


def fail(mode: str) -> None:
    hvd.init()
    net = build(1, "adam", distributed=True)
    xs, ys = data()
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(hvd.broadcast_global_variables(0))
        for step in range(100_000):
            if step == 5 and hvd.rank() == 1:
                print(f"rank 1 fails ({mode}) at step {step}", flush=True)
                if mode == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                if mode == "raise":
                    raise RuntimeError("a deliberate failure")
                if mode == "exit":
                    sys.exit(0)
            i = step % STEPS
            sess.run(net["train"], {net["x"]: xs[i], net["labels"]: ys[i]})


def mismatch() -> None:
    hvd.init()
    x = gf.constant(np.ones(3 + hvd.rank()))
    with gf.Session() as sess:
        sess.run(hvd.allreduce(x))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"train": train, "collectives": collectives, "fail": fail, "mismatch": mismatch}[command](*args)
