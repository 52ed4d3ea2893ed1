"""graphflow's side of every workload, written as a graphflow user writes it: a graph, a session, one `run` per step."""

from __future__ import annotations

import subprocess
import time

import common
import numpy as np

import graphflow as gf
from graphflow import threads

NAME = "graphflow"


def versions() -> dict[str, str]:
    try:
        rev = subprocess.run(
            ["git", "-C", str(common.REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(common.REPO), "status", "--porcelain", "--untracked-files=no", "graphflow"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev, dirty = "", ""
    version = gf.GRAPHFLOW_VERSION + (f" ({rev}{' + local changes' if dirty else ''})" if rev else "")
    return {"graphflow": version, "numpy": np.__version__}


def build_mlp(onehot: bool = False) -> dict:
    """The 784-256-10 network with gf.layers.dense, the softmax cross-entropy and Adam's train op."""
    p = common.mlp_init()
    x = gf.placeholder(gf.float32, [None, 784], name="x")
    const = gf.initializers.constant_initializer
    h = gf.layers.dense(x, common.HIDDEN, activation=gf.nn.relu, kernel_initializer=const(p["W1"]))
    logits = gf.layers.dense(h, 10, kernel_initializer=const(p["W2"]))
    if onehot:
        labels = gf.placeholder(gf.float32, [None, 10], name="onehot")
        xent = gf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    else:
        labels = gf.placeholder(gf.int64, [None], name="labels")
        xent = gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    loss = gf.reduce_mean(xent)
    train = gf.train.AdamOptimizer(common.LR, common.BETA1, common.BETA2, common.EPSILON).minimize(loss)
    return {"x": x, "labels": labels, "logits": logits, "loss": loss, "train": train}


def mlp_weights(sess: gf.Session) -> dict[str, np.ndarray]:
    kernels = [v for v in gf.trainable_variables() if v.op.name.endswith("kernel")]
    biases = [v for v in gf.trainable_variables() if v.op.name.endswith("bias")]
    w1, w2 = sess.run(kernels)
    b1, b2 = sess.run(biases)
    return {"W1": w1, "b1": b1, "W2": w2, "b2": b2}


def with_policy(result: dict) -> dict:
    """A timed block's result, with the BLAS thread count graphflow's policy chose for it (as of its last step) and
    the load it saw (cores' worth of CPU time other processes used)."""
    return {**result, "blas_threads": threads.POLICY.current, "others_busy": threads.POLICY.others}


class StepRunner(common.SessionStepRunner):
    def __init__(self, batch: int, subset: int = 0, onehot: bool = False, warmup: int = 5) -> None:
        common.mnist(subset)
        self.batches = common.step_batches(batch, subset=subset)
        if onehot:
            self.batches = [(x, np.eye(10, dtype=np.float32)[y]) for x, y in self.batches]
        self.graph = gf.Graph()
        with self.graph.as_default():
            self.net = build_mlp(onehot)
        self.sess = gf.Session(graph=self.graph)
        self.i = 0
        self.run(warmup)

    def run(self, n: int) -> dict:
        return with_policy(super().run(n))

    def weights(self) -> dict[str, np.ndarray]:
        with self.graph.as_default():
            return mlp_weights(self.sess)


def build_tutorial(dtype: str) -> dict:
    """The tutorial preset of examples/mnist_mlp.py, with its full-batch gradient descent train op."""
    import sys

    sys.path.insert(0, str(common.REPO / "examples"))
    import mnist_mlp

    net = mnist_mlp.build_tutorial(dtype)
    net["train"] = gf.train.GradientDescentOptimizer(common.TUTORIAL_LR).minimize(net["objective"])
    return net


class TutorialRunner:
    def __init__(self, dtype: str, subset: int = 0, data=None, warmup: int = 1) -> None:
        self.x, self.labels = data if data is not None else common.tutorial_data(dtype, subset)[::2]
        self.graph = gf.Graph()
        with self.graph.as_default():
            self.net = build_tutorial(dtype)
        self.sess = gf.Session(graph=self.graph)
        self.feed = {self.net["x"]: self.x, self.net["labels"]: self.labels}
        self.run(warmup)

    def run(self, n: int) -> dict:
        return with_policy(common.time_session_runs(self.sess.run, self.net["train"], self.feed, n))

    def weights(self) -> dict[str, np.ndarray]:
        with self.graph.as_default():
            names = {"hidden/W": "W_h", "hidden/b": "b_h", "output/W": "W_out", "output/b": "b_out"}
            return {names[v.op.name]: self.sess.run(v) for v in gf.trainable_variables() if v.op.name in names}


class AccuracyRunner(common.AccuracyRunnerBase):
    def run(self, n: int) -> dict:
        from fw_numpy import time_to_accuracy

        batch, max_steps, eval_every, target = self.cfg
        d = self.data
        with gf.Graph().as_default():
            net = build_mlp()
            correct = gf.equal(gf.argmax(net["logits"], 1), net["labels"])
            accuracy = gf.reduce_mean(gf.cast(correct, gf.float32))
            with gf.Session() as sess:
                x, labels, train = net["x"], net["labels"], net["train"]

                def step(xb, yb):
                    sess.run(train, {x: xb, labels: yb})

                def evaluate():
                    return float(sess.run(accuracy, {x: d["x_test"], labels: d["y_test"]}))

                # Warm up (the plan compiles here) before the clock starts, then back to the initial state.
                for _ in range(3):
                    step(d["x_train"][:batch], d["y_train"][:batch])
                sess.run(gf.global_variables_initializer())

                return time_to_accuracy(
                    step, evaluate, d["x_train"], d["y_train"], batch, max_steps, eval_every, target
                )


class ChainRunner:
    """`iterations` times `x = x * 1.0001 + 0.0001` (2 ops each) on a fed (10,) vector, through one Session.run."""

    def __init__(self, iterations: int) -> None:
        self.graph = gf.Graph()
        with self.graph.as_default():
            self.x = gf.placeholder(gf.float32, [10], name="x")
            y = self.x
            for _ in range(iterations):
                y = y * 1.0001 + 0.0001
            self.y = y
        self.sess = gf.Session(graph=self.graph)
        self.value = np.ones(10, np.float32)
        self.run(2)

    def run(self, n: int) -> dict:
        return common.time_session_runs(self.sess.run, self.y, {self.x: self.value}, n)


class FixedCostRunner:
    """One Session.run of `a + b` with both fed: the per-run cost that does not depend on the graph."""

    def __init__(self) -> None:
        self.graph = gf.Graph()
        with self.graph.as_default():
            self.a = gf.placeholder(gf.float32, [10], name="a")
            self.b = gf.placeholder(gf.float32, [10], name="b")
            self.z = self.a + self.b
        self.sess = gf.Session(graph=self.graph)
        self.va = np.ones(10, np.float32)
        self.vb = np.ones(10, np.float32)
        self.run(10)

    def run(self, n: int) -> dict:
        run, z, a, b, va, vb = self.sess.run, self.z, self.a, self.b, self.va, self.vb
        start = time.perf_counter()
        for _ in range(n):
            run(z, {a: va, b: vb})
        return {"seconds": time.perf_counter() - start}


class FirstCompileRunner:
    """A chain graph of `nodes` nodes, built anew for each measurement, then run twice in a new session.

    The first run compiles the plan (walk, slots, steps, last uses) and executes it once; the second run of the same
    session only executes, so first - second is the compile alone. A fresh graph each time keeps any cache keyed on
    the graph from hiding the compile.
    """

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes
        self.value = np.ones(10, np.float32)
        self.info: dict = {}

    def _build(self) -> tuple[gf.Graph, gf.Node, gf.Node]:
        graph = gf.Graph()
        with graph.as_default():
            x = gf.placeholder(gf.float32, [10], name="x")
            y = x
            for _ in range(common.chain_length(self.nodes)):
                y = y * 1.0001 + 0.0001
        return graph, x, y

    def run(self, n: int) -> dict:
        build = first = second = 0.0
        for _ in range(n):
            t0 = time.perf_counter()
            graph, x, y = self._build()
            t1 = time.perf_counter()
            sess = gf.Session(graph=graph)
            sess.run(y, {x: self.value})
            t2 = time.perf_counter()
            sess.run(y, {x: self.value})
            t3 = time.perf_counter()
            sess.close()
            build, first, second = build + t1 - t0, first + t2 - t1, second + t3 - t2
            self.info = {"nodes": len(graph.nodes)}
        return {"seconds": first, "second_seconds": second, "build_seconds": build / n, **self.info}


class WorkloadRunner(common.WorkloadRunnerBase):
    """A workload of common.WORKLOADS as a graphflow user writes it: layers.dense, the TF-1 optimizers, the
    batch-norm layer with its update ops, summary.histogram and a FileWriter."""

    def build(self, workload: str) -> None:
        _, _, optimizer, _ = common.WORKLOADS[workload]
        layers = common.workload_init(workload)
        const = gf.initializers.constant_initializer
        self.graph = gf.Graph()
        with self.graph.as_default():
            x = gf.placeholder(gf.float32, [None, 784], name="x")
            labels = gf.placeholder(gf.int64, [None], name="labels")
            h = x
            for i, (kernel, _bias) in enumerate(layers):
                last = i == len(layers) - 1
                if workload == "autoencoder":
                    h = gf.layers.dense(h, kernel.shape[1], activation=gf.nn.sigmoid, kernel_initializer=const(kernel))
                elif workload == "batchnorm" and not last:
                    h = gf.layers.dense(h, kernel.shape[1], use_bias=False, kernel_initializer=const(kernel))
                    h = gf.layers.batch_normalization(
                        h, momentum=common.BN_MOMENTUM, epsilon=common.BN_EPSILON, training=True
                    )
                    h = gf.nn.relu(h)
                else:
                    activation = None if last else gf.nn.relu
                    h = gf.layers.dense(h, kernel.shape[1], activation=activation, kernel_initializer=const(kernel))
            if workload == "autoencoder":
                loss = gf.reduce_mean(gf.square(h - x))
            else:
                loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
            if optimizer == "rmsprop":
                opt = gf.train.RMSPropOptimizer(
                    common.RMSPROP_LR, decay=common.RMSPROP_DECAY, epsilon=common.RMSPROP_EPSILON
                )
            else:
                opt = gf.train.AdamOptimizer(common.LR, common.BETA1, common.BETA2, common.EPSILON)
            with gf.control_dependencies(gf.get_collection(gf.GraphKeys.UPDATE_OPS)):
                train = opt.minimize(loss)
            summaries = None
            if workload == "summaries":
                summaries = gf.summary.merge([gf.summary.histogram(v.op.name, v) for v in gf.trainable_variables()])
        self.sess = gf.Session(graph=self.graph)
        self.step = common.session_workload_step(self.sess.run, train, x, labels, summaries, gf.summary.FileWriter)

    def run(self, n: int) -> dict:
        return with_policy(super().run(n))


def setup(workload: str, params: dict):
    if workload == "mlp_step":
        return StepRunner(params["batch"], params.get("subset", 0), onehot=params.get("variant") == "onehot")
    return common.setup(workload, params, globals(), memory_fields=slice(None, None, 2))  # (pixels, labels)
