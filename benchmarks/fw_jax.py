"""JAX with jax.jit: pure functions of the parameters, the whole training step (with Adam) compiled by XLA.

Adam is written out with TF-1's update (as optax would do it, without the dependency). Buffers of the parameters and
optimizer state are donated to the step, so XLA updates them in place. Every timed block ends with
`block_until_ready`, so queued work is counted.
"""

from __future__ import annotations

import time
from functools import partial

import common
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)  # for the float64 tutorial; float32 arrays stay float32


def versions() -> dict[str, str]:
    import jaxlib

    return {"jax": f"{jax.__version__} (jaxlib {jaxlib.__version__})"}


def mlp_logits(params, x):
    W1, b1, W2, b2 = params
    return jnp.maximum(x @ W1 + b1, 0) @ W2 + b2


def mlp_loss(params, x, y):
    logp = jax.nn.log_softmax(mlp_logits(params, x))
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


@partial(jax.jit, donate_argnums=(0, 1))
def mlp_step(params, state, x, y):
    m, v, t = state
    grads = jax.grad(mlp_loss)(params, x, y)
    t = t + 1
    lr_t = common.LR * jnp.sqrt(1 - common.BETA2**t) / (1 - common.BETA1**t)
    m = [mi + (g - mi) * (1 - common.BETA1) for mi, g in zip(m, grads, strict=True)]
    v = [vi + (g * g - vi) * (1 - common.BETA2) for vi, g in zip(v, grads, strict=True)]
    params = [p - lr_t * mi / (jnp.sqrt(vi) + common.EPSILON) for p, mi, vi in zip(params, m, v, strict=True)]
    return params, (m, v, t)


@jax.jit
def mlp_accuracy(params, x, y):
    return jnp.mean(jnp.argmax(mlp_logits(params, x), axis=1) == y)


def mlp_init():
    p = common.mlp_init()
    params = [jnp.asarray(p[k]) for k in ("W1", "b1", "W2", "b2")]
    state = ([jnp.zeros_like(a) for a in params], [jnp.zeros_like(a) for a in params], jnp.asarray(0.0, jnp.float32))
    return params, state


class StepRunner:
    def __init__(self, batch: int, subset: int = 0, warmup: int = 5) -> None:
        common.mnist(subset)
        self.batches = [(jnp.asarray(x), jnp.asarray(y)) for x, y in common.step_batches(batch, subset=subset)]
        self.params, self.state = mlp_init()
        self.i = 0
        start = time.perf_counter()
        self.run(warmup)
        self.info = {"warmup_seconds": time.perf_counter() - start}

    def run(self, n: int) -> dict:
        batches, params, state = self.batches, self.params, self.state
        start = time.perf_counter()
        for k in range(self.i, self.i + n):
            x, y = batches[k % len(batches)]
            params, state = mlp_step(params, state, x, y)
        jax.block_until_ready(params)
        seconds = time.perf_counter() - start
        self.params, self.state = params, state
        self.i += n
        return {"seconds": seconds}

    def weights(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(a) for k, a in zip(("W1", "b1", "W2", "b2"), self.params, strict=True)}


def tutorial_objective(p, x, y):
    a_h = jax.nn.sigmoid(x @ p["W_h"].T + p["b_h"])
    a_out = jax.nn.sigmoid(a_h @ p["W_out"].T + p["b_out"])
    return jnp.mean(jnp.sum((y - a_out) ** 2, axis=1))


@partial(jax.jit, donate_argnums=(0,))
def tutorial_step(p, x, y):
    grads = jax.grad(tutorial_objective)(p, x, y)
    return {k: p[k] - common.TUTORIAL_LR * grads[k] for k in p}


class TutorialRunner:
    def __init__(self, dtype: str, subset: int = 0, data=None, warmup: int = 1) -> None:
        x, y = data if data is not None else common.tutorial_data(dtype, subset)[:2]
        self.x, self.y = jnp.asarray(x), jnp.asarray(y)
        self.params = {k: jnp.asarray(v) for k, v in common.tutorial_init(dtype).items()}
        self.run(warmup)

    def run(self, n: int) -> dict:
        p = self.params
        start = time.perf_counter()
        for _ in range(n):
            p = tutorial_step(p, self.x, self.y)
        jax.block_until_ready(p)
        self.params = p
        return {"seconds": time.perf_counter() - start}

    def weights(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.params.items()}


class AccuracyRunner(common.AccuracyRunnerBase):
    def run(self, n: int) -> dict:
        from fw_numpy import time_to_accuracy

        batch, max_steps, eval_every, target = self.cfg
        d = self.data
        x_test, y_test = jnp.asarray(d["x_test"]), jnp.asarray(d["y_test"])
        params, state = mlp_init()
        for _ in range(3):  # compile before the clock starts
            params, state = mlp_step(
                params, state, jnp.asarray(d["x_train"][:batch]), jnp.asarray(d["y_train"][:batch])
            )
        jax.block_until_ready(params)
        box = list(mlp_init())

        def step(xb, yb):
            box[0], box[1] = mlp_step(box[0], box[1], xb, yb)

        def evaluate():
            return float(mlp_accuracy(box[0], x_test, y_test))

        def prepare(xe, ye):
            return jnp.asarray(xe), jnp.asarray(ye)

        return time_to_accuracy(
            step,
            evaluate,
            d["x_train"],
            d["y_train"],
            batch,
            max_steps,
            eval_every,
            target,
            prepare=prepare,
            sync=lambda: jax.block_until_ready(box[0]),
        )


def chain_fn(iterations: int, offset: float = 0.0):
    def chain(x):
        for _ in range(iterations):
            x = x * 1.0001 + (0.0001 + offset)
        return x

    return jax.jit(chain)


class ChainRunner:
    def __init__(self, iterations: int) -> None:
        self.fn = chain_fn(iterations)
        self.x = jnp.ones(10, jnp.float32)
        start = time.perf_counter()
        self.run(2)
        self.info = {"warmup_seconds": time.perf_counter() - start}

    def run(self, n: int) -> dict:
        fn, x = self.fn, self.x
        start = time.perf_counter()
        for _ in range(n):
            y = fn(x)
        jax.block_until_ready(y)
        return {"seconds": time.perf_counter() - start}


class FixedCostRunner:
    def __init__(self) -> None:
        self.fn = jax.jit(lambda a, b: a + b)
        self.a, self.b = jnp.ones(10, jnp.float32), jnp.ones(10, jnp.float32)
        self.run(10)

    def run(self, n: int) -> dict:
        fn, a, b = self.fn, self.a, self.b
        start = time.perf_counter()
        for _ in range(n):
            fn(a, b).block_until_ready()
        return {"seconds": time.perf_counter() - start}


class FirstCompileRunner:
    """The first call of a newly jitted chain of `nodes` graph nodes: tracing, lowering and XLA compilation."""

    def __init__(self, nodes: int) -> None:
        self.iterations = common.chain_length(nodes)
        self.x = jnp.ones(10, jnp.float32)
        self.calls = 0

    def run(self, n: int) -> dict:
        total = 0.0
        for _ in range(n):
            self.calls += 1
            fn = chain_fn(self.iterations, offset=1e-9 * self.calls)  # a new constant defeats the compile caches
            start = time.perf_counter()
            fn(self.x).block_until_ready()
            total += time.perf_counter() - start
        return {"seconds": total}


def setup(workload: str, params: dict):
    return common.setup(workload, params, globals())


def _adam(params, grads, state):
    m, v, t = state
    t = t + 1
    lr_t = common.LR * jnp.sqrt(1 - common.BETA2**t) / (1 - common.BETA1**t)
    m = jax.tree_util.tree_map(lambda mi, g: mi + (g - mi) * (1 - common.BETA1), m, grads)
    v = jax.tree_util.tree_map(lambda vi, g: vi + (g * g - vi) * (1 - common.BETA2), v, grads)
    params = jax.tree_util.tree_map(lambda p, mi, vi: p - lr_t * mi / (jnp.sqrt(vi) + common.EPSILON), params, m, v)
    return params, (m, v, t)


def _rmsprop(params, grads, state):
    ms, t = state
    ms = jax.tree_util.tree_map(lambda s, g: s + (g * g - s) * (1 - common.RMSPROP_DECAY), ms, grads)
    params = jax.tree_util.tree_map(
        lambda p, s, g: p - common.RMSPROP_LR * g / jnp.sqrt(s + common.RMSPROP_EPSILON), params, ms, grads
    )
    return params, (ms, t)


def _forward(workload: str, params, stats, x):
    """The network's output, and for batch norm the batch moments of each normalised layer."""
    h, moments = x, []
    for i, layer in enumerate(params):
        last = i == len(params) - 1
        if workload == "batchnorm" and not last:
            W, gamma, beta = layer
            h = h @ W
            mean, var = jnp.mean(h, 0), jnp.var(h, 0)
            moments.append((mean, var))
            h = jnp.maximum((h - mean) * jax.lax.rsqrt(var + common.BN_EPSILON) * gamma + beta, 0)
        else:
            W, b = layer
            h = h @ W + b
            if workload == "autoencoder":
                h = jax.nn.sigmoid(h)
            elif not last:
                h = jnp.maximum(h, 0)
    return h, moments


def _workload_step(workload: str):
    update = _rmsprop if common.WORKLOADS[workload][2] == "rmsprop" else _adam

    def loss(params, stats, x, y):
        out, moments = _forward(workload, params, stats, x)
        if workload == "autoencoder":
            return jnp.mean((out - x) ** 2), moments
        logp = jax.nn.log_softmax(out)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1)), moments

    @partial(jax.jit, donate_argnums=(0, 1, 2))
    def step(params, state, stats, x, y):
        grads, moments = jax.grad(loss, has_aux=True)(params, stats, x, y)
        params, state = update(params, grads, state)
        decay = 1 - common.BN_MOMENTUM
        stats = [
            (mm - (mm - m) * decay, mv - (mv - v) * decay) for (mm, mv), (m, v) in zip(stats, moments, strict=True)
        ]
        return params, state, stats

    return step


class WorkloadRunner(common.WorkloadRunnerBase):
    """A workload of common.WORKLOADS as one jitted step (forward, backward, the optimizer written out, batch norm's
    moving statistics). JAX has no summary writer of its own (users reach for TensorFlow's or tensorboardX), so the
    summaries workload is not run."""

    def build(self, workload: str) -> None:
        if workload == "summaries":
            raise NotImplementedError("JAX has no summary writer of its own")
        params, stats = [], []
        for i, (kernel, bias) in enumerate(common.workload_init(workload)):
            if workload == "batchnorm" and i < len(common.WORKLOADS[workload][0]) - 2:
                n = kernel.shape[1]
                params.append((jnp.asarray(kernel), jnp.ones(n, jnp.float32), jnp.zeros(n, jnp.float32)))
                stats.append((jnp.zeros(n, jnp.float32), jnp.ones(n, jnp.float32)))
            else:
                params.append((jnp.asarray(kernel), jnp.asarray(bias)))
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        t = jnp.asarray(0.0, jnp.float32)
        self.state = (zeros, jax.tree_util.tree_map(jnp.zeros_like, params), t)
        if common.WORKLOADS[workload][2] == "rmsprop":  # TF-1 starts the mean square at one
            self.state = (jax.tree_util.tree_map(jnp.ones_like, params), t)
        self.params, self.stats = params, stats
        self.batches = [(jnp.asarray(x), jnp.asarray(y)) for x, y in self.batches]
        jitted = _workload_step(workload)

        def step(k, x, y):
            self.params, self.state, self.stats = jitted(self.params, self.state, self.stats, x, y)

        self.step = step

    def sync(self) -> None:
        jax.block_until_ready(self.params)
