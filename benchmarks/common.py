"""What every benchmark worker shares: thread settings, the data, the initial weights and the batch order.

Every framework trains the same network from the same initial arrays on the same batches in the same order, so a
difference in time is a difference in the framework, not in the work. Nothing here imports a peer framework.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
THREADS = 2

# Set before numpy, torch, TensorFlow or JAX start their thread pools (workers are started with them too).
THREAD_ENV = {
    "OMP_NUM_THREADS": str(THREADS),
    "MKL_NUM_THREADS": str(THREADS),
    "OPENBLAS_NUM_THREADS": str(THREADS),
    "NUMEXPR_NUM_THREADS": str(THREADS),
    "TF_NUM_INTRAOP_THREADS": str(THREADS),
    "TF_NUM_INTEROP_THREADS": str(THREADS),
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=true",
    "JAX_PLATFORMS": "cpu",
    "PYTHONHASHSEED": "0",
}

if str(REPO) not in sys.path:  # graphflow from this checkout, whichever venv runs the benchmark
    sys.path.insert(0, str(REPO))

Array = np.ndarray

# The minibatch network the performance goals are stated for: 784-256-10, ReLU, softmax cross-entropy, Adam.
HIDDEN = 256
LR = 1e-3
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8
TARGET_ACCURACY = 0.975
# The tutorial network: 784-50-10, sigmoid, squared error, full-batch gradient descent.
TUTORIAL_HIDDEN = 50
TUTORIAL_LR = 0.5

_cache: dict = {}


def raw_mnist(train_subset: int = 0, test_subset: int = 0) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    """MNIST's uint8 images and labels, read once per process (optionally only the first images of each split)."""
    key = ("raw", train_subset, test_subset)
    if key not in _cache:
        from graphflow.datasets import mnist as idx

        (x_train, y_train), (x_test, y_test) = idx.load_data()
        if train_subset:
            x_train, y_train = x_train[:train_subset], y_train[:train_subset]
        if test_subset:
            x_test, y_test = x_test[:test_subset], y_test[:test_subset]
        _cache[key] = (x_train, y_train), (x_test, y_test)
    return _cache[key]


def mnist(train_subset: int = 0, test_subset: int = 0) -> dict[str, Array]:
    """MNIST as float32 pixel rows in [0, 1] and int64 labels, converted once per process."""
    key = ("mnist", train_subset, test_subset)
    if key not in _cache:
        from graphflow.datasets import mnist as idx

        (x_train, y_train), (x_test, y_test) = raw_mnist(train_subset, test_subset)
        _cache[key] = {
            "x_train": idx.preprocess(x_train, y_train, dtype=np.float32)[0],
            "y_train": y_train.astype(np.int64),
            "x_test": idx.preprocess(x_test, y_test, dtype=np.float32)[0],
            "y_test": y_test.astype(np.int64),
        }
    return _cache[key]


def tutorial_data(dtype: str, subset: int = 0) -> tuple[Array, Array, Array]:
    """The tutorial's full batch: pixels (N, 784), one-hot targets (N, 10) and int64 labels, in `dtype`."""
    from graphflow.datasets import mnist as idx

    (x_train, y_train), _ = raw_mnist(subset)
    x, y_onehot = idx.preprocess(x_train, y_train, dtype=dtype)
    return x, y_onehot, y_train.astype(np.int64)


def mlp_init(seed: int = 0) -> dict[str, Array]:
    """Initial weights of the 784-256-10 network: He-normal hidden kernel, Glorot-uniform output kernel, zero biases.

    Kernels are (in, out), as `gf.layers.dense` and TF store them.
    """
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6.0 / (HIDDEN + 10))
    return {
        "W1": (rng.standard_normal((784, HIDDEN)) * np.sqrt(2.0 / 784)).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "W2": rng.uniform(-limit, limit, (HIDDEN, 10)).astype(np.float32),
        "b2": np.zeros(10, np.float32),
    }


def tutorial_init(dtype: str) -> dict[str, Array]:
    """The tutorial's initial weights (RandomState(123), normal(0, 0.1)); kernels are (out, in) as it stores them."""
    rng = np.random.RandomState(123)
    params = {
        "W_h": rng.normal(0.0, 0.1, (TUTORIAL_HIDDEN, 784)),
        "b_h": np.zeros(TUTORIAL_HIDDEN),
        "W_out": rng.normal(0.0, 0.1, (10, TUTORIAL_HIDDEN)),
        "b_out": np.zeros(10),
    }
    return {k: v.astype(dtype) for k, v in params.items()}


def step_batches(batch: int, count: int = 8, seed: int = 1, subset: int = 0) -> list[tuple[Array, Array]]:
    """`count` fixed minibatches of the training set (contiguous float32 rows, int64 labels) for step timing."""
    data = mnist(subset)
    n = len(data["x_train"])
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        index = np.sort(rng.choice(n, size=min(batch, n), replace=False))
        out.append((np.ascontiguousarray(data["x_train"][index]), data["y_train"][index]))
    return out


def epoch_order(n: int, epoch: int, seed: int = 0) -> Array:
    """The shuffled order of epoch `epoch`; every framework visits the batches in this order."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def chain_length(nodes: int) -> int:
    """Iterations of `x = x * 1.0001 + 0.0001` making a graph of `nodes` nodes (4 each: 2 ops, 2 constants)."""
    return max(1, nodes // 4)


def status_mib(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM, ...) in MiB; NaN where there is no /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def rss_mib() -> float:
    """This process's resident set size now, in MiB (Linux)."""
    return status_mib("VmRSS")


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------------------------------
# Runner pieces the framework modules share


def time_session_runs(run, fetch, feed: dict, n: int) -> dict:
    """`n` calls of `run(fetch, feed)` (a session's `run`, graphflow or TF-1) with one fixed feed, timed."""
    start = time.perf_counter()
    for _ in range(n):
        run(fetch, feed)
    return {"seconds": time.perf_counter() - start}


class SessionStepRunner:
    """The timed loop of a session-based training step (graphflow and TF-1), for a subclass that sets `sess`, `net`
    (with "train", "x" and "labels"), `batches` and `i`: `n` runs of the train op, fed the next batches in turn."""

    def run(self, n: int) -> dict:
        run, train, x, labels, batches = (
            self.sess.run,
            self.net["train"],
            self.net["x"],
            self.net["labels"],
            self.batches,
        )
        start = time.perf_counter()
        for k in range(self.i, self.i + n):
            xb, yb = batches[k % len(batches)]
            run(train, {x: xb, labels: yb})
        seconds = time.perf_counter() - start
        self.i += n
        return {"seconds": seconds}


class StepFunctionRunner:
    """The timed loop of a training step written as a Python function (numpy, PyTorch eager and torch.compile), for a
    subclass that sets `step` (a function of one batch's images and labels), `batches` and `i`: `n` calls of `step`,
    fed the next batches in turn."""

    def run(self, n: int) -> dict:
        batches, step = self.batches, self.step
        start = time.perf_counter()
        for k in range(self.i, self.i + n):
            x, y = batches[k % len(batches)]
            step(x, y)
        seconds = time.perf_counter() - start
        self.i += n
        return {"seconds": seconds}


class AccuracyRunnerBase:
    """Time to a test accuracy: the data and settings every framework's runner keeps; each defines `run`."""

    def __init__(self, subset: int, test_subset: int, batch: int, max_steps: int, eval_every: int, target: float, **_):
        self.data = mnist(subset, test_subset)
        self.cfg = (batch, max_steps, eval_every, target)


class MemoryRunner:
    """Peak memory of `iterations` tutorial iterations of a framework's `tutorial_runner` (see memory.measure).

    `memory_fields` selects what the tutorial runner takes as `data` from `tutorial_data`'s (pixels, one-hot, labels).
    """

    def __init__(self, tutorial_runner, memory_fields: slice, dtype: str, subset: int, iterations: int, **_) -> None:
        self.tutorial_runner, self.fields = tutorial_runner, memory_fields
        self.dtype, self.subset, self.iterations = dtype, subset, iterations

    def run(self, n: int) -> dict:
        from memory import measure

        def prepare():
            return tutorial_data(self.dtype, self.subset)[self.fields]

        def train(data):
            self.tutorial_runner(self.dtype, data=data, warmup=self.iterations)

        return measure(prepare, train)


# The runner class of each workload in a framework module (the memory workload reuses its TutorialRunner), and how it
# is built from the workload's parameters.
_RUNNERS = {
    "mlp_step": ("StepRunner", lambda cls, p: cls(p["batch"], p.get("subset", 0))),
    "tutorial": ("TutorialRunner", lambda cls, p: cls(p["dtype"], p.get("subset", 0))),
    "accuracy": ("AccuracyRunner", lambda cls, p: cls(**p)),
    "chain": ("ChainRunner", lambda cls, p: cls(p["iterations"])),
    "fixed_cost": ("FixedCostRunner", lambda cls, p: cls()),
    "first_compile": ("FirstCompileRunner", lambda cls, p: cls(p["nodes"])),
    "memory": ("TutorialRunner", lambda cls, p: MemoryRunner(cls, **p)),
    "workload": ("WorkloadRunner", lambda cls, p: cls(**p)),
}


def setup(workload: str, params: dict, module: dict, memory_fields: slice = slice(2)):
    """Builds the runner of `workload` from the runner classes of a framework module (its `globals()`).

    A workload whose class the module lacks, or a `variant` of the training step, raises NotImplementedError (a
    framework with variants handles them before calling this). `memory_fields` is what the module's TutorialRunner
    takes as `data` from `tutorial_data`'s (pixels, one-hot, labels).
    """
    if workload not in _RUNNERS or _RUNNERS[workload][0] not in module:
        raise NotImplementedError(workload)
    if workload == "mlp_step" and params.get("variant"):
        raise NotImplementedError(params["variant"])
    name, build = _RUNNERS[workload]
    return build(module[name], dict(params, memory_fields=memory_fields) if workload == "memory" else params)


# --------------------------------------------------------------------------------------------------------------------
# Real workloads beside the benchmark MLP: each framework builds the same network from the same initial arrays and
# trains it on the same batches.

WORKLOADS = {
    # name: (layer sizes, batch, optimizer, steps per timed block (full, quick))
    "autoencoder": ([784, 256, 128, 256, 784], 256, "rmsprop", (20, 2)),
    "wide": ([784, 1024, 1024, 1024, 1024, 10], 128, "adam", (6, 1)),
    "batchnorm": ([784, 256, 256, 10], 128, "adam", (40, 2)),
    "summaries": ([784, HIDDEN, 10], 128, "adam", (100, 10)),
}
WORKLOAD_TITLES = {
    "autoencoder": "autoencoder 784-256-128-256-784, sigmoid, squared error, RMSProp 0.01, batch 256",
    "wide": "4-layer 1024-wide ReLU MLP (784-1024x4-10), softmax cross-entropy, Adam, batch 128",
    "batchnorm": "batch-norm network 784-256-256-10 (dense, batch norm, ReLU), Adam, batch 128",
    "summaries": "the benchmark MLP at batch 128 writing a histogram summary of every weight every 10 steps",
}
RMSPROP_LR, RMSPROP_DECAY, RMSPROP_EPSILON = 0.01, 0.9, 1e-10  # TF-1's RMSPropOptimizer defaults but the rate
BN_MOMENTUM, BN_EPSILON = 0.99, 1e-3  # tf.layers.batch_normalization's defaults
SUMMARY_EVERY = 10


def workload_init(name: str, seed: int = 0) -> list[tuple[Array, Array]]:
    """Each layer's (kernel (in, out), bias): Glorot-uniform kernels (He-normal for ReLU layers), zero biases."""
    sizes = WORKLOADS[name][0]
    rng = np.random.default_rng([seed, len(sizes), sizes[1]])
    layers = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        if name == "autoencoder" or fan_out == 10:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            kernel = rng.uniform(-limit, limit, (fan_in, fan_out))
        else:
            kernel = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
        layers.append((kernel.astype(np.float32), np.zeros(fan_out, np.float32)))
    return layers


class WorkloadRunnerBase:
    """The timed loop of a workload: `n` calls of `step(k, x, y)` (k counts the steps, for the summaries every
    SUMMARY_EVERY steps), then `sync()` (JAX waits for its queued work). A subclass builds the network in `build`."""

    def __init__(self, workload: str, subset: int = 0, warmup: int = 3, **_) -> None:
        if workload not in WORKLOADS:
            raise NotImplementedError(workload)
        self.workload = workload
        mnist(subset)
        self.batches = step_batches(WORKLOADS[workload][1], subset=subset)
        self.i = 0
        self.build(workload)
        self.run(warmup)

    def build(self, workload: str) -> None:
        raise NotImplementedError(workload)

    def sync(self) -> None:
        pass

    def run(self, n: int) -> dict:
        batches, step = self.batches, self.step
        start = time.perf_counter()
        for k in range(self.i, self.i + n):
            x, y = batches[k % len(batches)]
            step(k, x, y)
        self.sync()
        seconds = time.perf_counter() - start
        self.i += n
        return {"seconds": seconds}


def session_workload_step(run, train, x, labels, summaries=None, file_writer=None):
    """`step(k, xb, yb)` of a session-based workload (graphflow and TF-1): one `run(train, feed)`, and every
    SUMMARY_EVERY steps the merged `summaries` fetched with it and written by a `file_writer(logdir)` into a temporary
    folder (removed when the process exits)."""
    if summaries is None:

        def step(k, xb, yb):
            run(train, {x: xb, labels: yb})

        return step
    import atexit
    import shutil
    import tempfile

    logdir = tempfile.mkdtemp(prefix="bench-summaries-")
    atexit.register(shutil.rmtree, logdir, True)
    writer = file_writer(logdir)

    def step(k, xb, yb):
        if k % SUMMARY_EVERY == 0:
            writer.add_summary(run([train, summaries], {x: xb, labels: yb})[1], k)
        else:
            run(train, {x: xb, labels: yb})

    return step
