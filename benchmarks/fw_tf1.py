"""TensorFlow through `tensorflow.compat.v1` in graph mode: placeholders, a Session and feed_dict, as TF-1 code runs.

Variables, matmuls and losses are the TF-1 ops (`tf.compat.v1.layers` needs Keras 2, so the dense layers are written
out: `relu(x @ W + b)`, which is what `layers.dense` builds). The optimizer is `tf.compat.v1.train.AdamOptimizer`.
"""

from __future__ import annotations

import time

import common
import numpy as np
import tensorflow as tf

v1 = tf.compat.v1


def configure() -> None:
    v1.disable_eager_execution()


def versions() -> dict[str, str]:
    return {"tensorflow": tf.__version__}


def session(graph) -> v1.Session:
    config = v1.ConfigProto(intra_op_parallelism_threads=common.THREADS, inter_op_parallelism_threads=common.THREADS)
    return v1.Session(graph=graph, config=config)


def build_mlp() -> dict:
    p = common.mlp_init()
    x = v1.placeholder(tf.float32, [None, 784], name="x")
    labels = v1.placeholder(tf.int64, [None], name="labels")
    W1, b1 = tf.Variable(p["W1"], name="W1"), tf.Variable(p["b1"], name="b1")
    W2, b2 = tf.Variable(p["W2"], name="W2"), tf.Variable(p["b2"], name="b2")
    h = tf.nn.relu(tf.matmul(x, W1) + b1)
    logits = tf.matmul(h, W2) + b2
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    train = v1.train.AdamOptimizer(common.LR, common.BETA1, common.BETA2, common.EPSILON).minimize(loss)
    correct = tf.equal(tf.argmax(logits, 1), labels)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    return {
        "x": x,
        "labels": labels,
        "train": train,
        "accuracy": accuracy,
        "weights": {"W1": W1, "b1": b1, "W2": W2, "b2": b2},
    }


class StepRunner(common.SessionStepRunner):
    def __init__(self, batch: int, subset: int = 0, warmup: int = 5) -> None:
        common.mnist(subset)
        self.batches = common.step_batches(batch, subset=subset)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = build_mlp()
            init = v1.global_variables_initializer()
        self.sess = session(self.graph)
        self.sess.run(init)
        self.i = 0
        self.run(warmup)

    def weights(self) -> dict[str, np.ndarray]:
        return self.sess.run(self.net["weights"])


class TutorialRunner:
    def __init__(self, dtype: str, subset: int = 0, data=None, warmup: int = 1) -> None:
        self.x, _, self.labels = data if data is not None else common.tutorial_data(dtype, subset)
        init = common.tutorial_init(dtype)
        self.graph = tf.Graph()
        with self.graph.as_default():
            x = v1.placeholder(dtype, [None, 784], name="x")
            labels = v1.placeholder(tf.int64, [None], name="labels")
            self.vars = {k: tf.Variable(v, name=k) for k, v in init.items()}
            p = self.vars
            a_h = tf.sigmoid(tf.matmul(x, p["W_h"], transpose_b=True) + p["b_h"])
            a_out = tf.sigmoid(tf.matmul(a_h, p["W_out"], transpose_b=True) + p["b_out"])
            error = tf.square(tf.one_hot(labels, 10, dtype=dtype) - a_out)
            objective = tf.reduce_mean(tf.reduce_sum(error, axis=1))
            self.train = v1.train.GradientDescentOptimizer(common.TUTORIAL_LR).minimize(objective)
            init_op = v1.global_variables_initializer()
        self.sess = session(self.graph)
        self.sess.run(init_op)
        self.feed = {x: self.x, labels: self.labels}
        self.run(warmup)

    def run(self, n: int) -> dict:
        return common.time_session_runs(self.sess.run, self.train, self.feed, n)

    def weights(self) -> dict[str, np.ndarray]:
        return self.sess.run(self.vars)


class AccuracyRunner(common.AccuracyRunnerBase):
    def run(self, n: int) -> dict:
        from fw_numpy import time_to_accuracy

        batch, max_steps, eval_every, target = self.cfg
        d = self.data
        graph = tf.Graph()
        with graph.as_default():
            net = build_mlp()
            init = v1.global_variables_initializer()
        with session(graph) as sess:
            sess.run(init)
            x, labels, train = net["x"], net["labels"], net["train"]

            def step(xb, yb):
                sess.run(train, {x: xb, labels: yb})

            def evaluate():
                return float(sess.run(net["accuracy"], {x: d["x_test"], labels: d["y_test"]}))

            for _ in range(3):
                step(d["x_train"][:batch], d["y_train"][:batch])
            sess.run(init)
            return time_to_accuracy(step, evaluate, d["x_train"], d["y_train"], batch, max_steps, eval_every, target)


def chain_graph(iterations: int):
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(tf.float32, [10], name="x")
        y = x
        for _ in range(iterations):
            y = y * 1.0001 + 0.0001
    return graph, x, y


class ChainRunner:
    def __init__(self, iterations: int) -> None:
        self.graph, self.x, self.y = chain_graph(iterations)
        self.sess = session(self.graph)
        self.value = np.ones(10, np.float32)
        self.run(2)

    def run(self, n: int) -> dict:
        return common.time_session_runs(self.sess.run, self.y, {self.x: self.value}, n)


class FixedCostRunner:
    def __init__(self) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.a = v1.placeholder(tf.float32, [10], name="a")
            self.b = v1.placeholder(tf.float32, [10], name="b")
            self.z = self.a + self.b
        self.sess = session(self.graph)
        self.va, self.vb = np.ones(10, np.float32), np.ones(10, np.float32)
        self.run(10)

    def run(self, n: int) -> dict:
        run, z, a, b, va, vb = self.sess.run, self.z, self.a, self.b, self.va, self.vb
        start = time.perf_counter()
        for _ in range(n):
            run(z, {a: va, b: vb})
        return {"seconds": time.perf_counter() - start}


class FirstCompileRunner:
    """The first Session.run of a new session on a prebuilt chain graph of `nodes` nodes (TF prunes and optimises)."""

    def __init__(self, nodes: int) -> None:
        start = time.perf_counter()
        self.graph, self.x, self.y = chain_graph(common.chain_length(nodes))
        self.info = {"build_seconds": time.perf_counter() - start, "nodes": len(self.graph.get_operations())}
        self.value = np.ones(10, np.float32)

    def run(self, n: int) -> dict:
        total = 0.0
        for _ in range(n):
            with session(self.graph) as sess:
                start = time.perf_counter()
                sess.run(self.y, {self.x: self.value})
                total += time.perf_counter() - start
        return {"seconds": total}


def setup(workload: str, params: dict):
    return common.setup(workload, params, globals(), memory_fields=slice(None))  # (pixels, one-hot, labels)


class WorkloadRunner(common.WorkloadRunnerBase):
    """A workload of common.WORKLOADS in TF-1 graph mode. `tf.compat.v1.layers` needs Keras 2, so dense layers are
    `x @ W + b` and batch normalisation is what `tf.layers.batch_normalization` builds for a 2-D input: the batch's
    moments, `tf.nn.batch_normalization`, and update ops moving the statistics."""

    def build(self, workload: str) -> None:
        _, _, optimizer, _ = common.WORKLOADS[workload]
        layers = common.workload_init(workload)
        self.graph = tf.Graph()
        with self.graph.as_default():
            x = v1.placeholder(tf.float32, [None, 784], name="x")
            labels = v1.placeholder(tf.int64, [None], name="labels")
            h = x
            updates = []
            for i, (kernel, bias) in enumerate(layers):
                last = i == len(layers) - 1
                W = tf.Variable(kernel, name=f"W{i}")
                if workload == "autoencoder":
                    h = tf.sigmoid(tf.matmul(h, W) + tf.Variable(bias, name=f"b{i}"))
                elif workload == "batchnorm" and not last:
                    h = tf.matmul(h, W)
                    n = kernel.shape[1]
                    gamma, beta = tf.Variable(np.ones(n, np.float32)), tf.Variable(np.zeros(n, np.float32))
                    moving_mean = tf.Variable(np.zeros(n, np.float32), trainable=False)
                    moving_var = tf.Variable(np.ones(n, np.float32), trainable=False)
                    mean, var = tf.nn.moments(h, [0])
                    decay = 1 - common.BN_MOMENTUM
                    updates += [
                        v1.assign_sub(moving_mean, (moving_mean - mean) * decay),
                        v1.assign_sub(moving_var, (moving_var - var) * decay),
                    ]
                    h = tf.nn.relu(tf.nn.batch_normalization(h, mean, var, beta, gamma, common.BN_EPSILON))
                else:
                    h = tf.matmul(h, W) + tf.Variable(bias, name=f"b{i}")
                    h = h if last else tf.nn.relu(h)
            if workload == "autoencoder":
                loss = tf.reduce_mean(tf.square(h - x))
            else:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=h))
            if optimizer == "rmsprop":
                opt = v1.train.RMSPropOptimizer(
                    common.RMSPROP_LR, decay=common.RMSPROP_DECAY, epsilon=common.RMSPROP_EPSILON
                )
            else:
                opt = v1.train.AdamOptimizer(common.LR, common.BETA1, common.BETA2, common.EPSILON)
            with tf.control_dependencies(updates):
                train = opt.minimize(loss)
            summaries = None
            if workload == "summaries":
                summaries = v1.summary.merge([v1.summary.histogram(v.op.name, v) for v in v1.trainable_variables()])
            init = v1.global_variables_initializer()
        self.sess = session(self.graph)
        self.sess.run(init)
        self.step = common.session_workload_step(self.sess.run, train, x, labels, summaries, v1.summary.FileWriter)
