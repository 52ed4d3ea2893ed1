"""Hand-written numpy: the same equations as every graphflow workload, written the way a careful person would.

The training step and the tutorial iteration use preallocated buffers and in-place ufuncs (`out=`), so they are the
bar for what graphflow can reach on top of numpy. Both also have a "matmuls" variant: only their five matrix products,
the floor on this machine.
"""

from __future__ import annotations

import time

import common
import numpy as np

NAME = "numpy"


def versions() -> dict[str, str]:
    return {"numpy": np.__version__}


class MLP:
    """784-256-10 ReLU network, mean sparse softmax cross-entropy, Adam with TF-1's update, all in place."""

    def __init__(self, batch: int, dtype=np.float32) -> None:
        p = common.mlp_init()
        self.params = [p["W1"].copy(), p["b1"].copy(), p["W2"].copy(), p["b2"].copy()]
        self.m = [np.zeros_like(a) for a in self.params]
        self.v = [np.zeros_like(a) for a in self.params]
        self.grads = [np.zeros_like(a) for a in self.params]
        self.tmp = [np.zeros_like(a) for a in self.params]
        self.t = 0
        self._buffers(batch)

    def _buffers(self, batch: int) -> None:
        self.batch = batch
        self.h = np.empty((batch, common.HIDDEN), np.float32)
        self.dh = np.empty_like(self.h)
        self.mask = np.empty(self.h.shape, bool)
        self.logits = np.empty((batch, 10), np.float32)
        self.rowmax = np.empty((batch, 1), np.float32)
        self.rows = np.arange(batch)

    def logits_of(self, x: np.ndarray) -> np.ndarray:
        W1, b1, W2, b2 = self.params
        return np.maximum(x @ W1 + b1, 0) @ W2 + b2

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        if len(x) != self.batch:
            self._buffers(len(x))
        W1, b1, W2, b2 = self.params
        gW1, gb1, gW2, gb2 = self.grads
        h, dh, z = self.h, self.dh, self.logits
        np.matmul(x, W1, out=h)
        h += b1
        np.maximum(h, 0, out=h)
        np.matmul(h, W2, out=z)
        z += b2
        # Softmax in place; its gradient for the mean cross-entropy is (p - onehot) / batch.
        np.max(z, axis=1, keepdims=True, out=self.rowmax)
        z -= self.rowmax
        np.exp(z, out=z)
        np.sum(z, axis=1, keepdims=True, out=self.rowmax)
        self.rowmax *= len(x)
        z /= self.rowmax
        z[self.rows, y] -= 1.0 / len(x)
        np.matmul(h.T, z, out=gW2)
        np.sum(z, axis=0, out=gb2)
        np.matmul(z, W2.T, out=dh)
        np.greater(h, 0, out=self.mask)
        dh *= self.mask
        np.matmul(x.T, dh, out=gW1)
        np.sum(dh, axis=0, out=gb1)
        self.t += 1
        lr_t = common.LR * np.sqrt(1 - common.BETA2**self.t) / (1 - common.BETA1**self.t)
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.tmp, strict=True):
            m *= common.BETA1
            m += (1 - common.BETA1) * g
            np.multiply(g, g, out=tmp)
            tmp *= 1 - common.BETA2
            v *= common.BETA2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += common.EPSILON
            np.divide(m, tmp, out=tmp)
            tmp *= lr_t
            p -= tmp

    def matmuls(self, x: np.ndarray, y: np.ndarray) -> None:
        """The step's five matrix products alone, into the step's buffers: the time no step can go below."""
        if len(x) != self.batch:
            self._buffers(len(x))
        W1, _, W2, _ = self.params
        gW1, _, gW2, _ = self.grads
        np.matmul(x, W1, out=self.h)
        np.matmul(self.h, W2, out=self.logits)
        np.matmul(self.h.T, self.logits, out=gW2)
        np.matmul(self.logits, W2.T, out=self.dh)
        np.matmul(x.T, self.dh, out=gW1)


class StepRunner(common.StepFunctionRunner):
    """The training step; or only its five matrix products (`matmuls_only`), which change no weight."""

    def __init__(self, batch: int, subset: int = 0, matmuls_only: bool = False, warmup: int = 5) -> None:
        common.mnist(subset)
        self.batches = common.step_batches(batch, subset=subset)
        self.model = MLP(batch)
        self.matmuls_only = matmuls_only
        self.step = self.model.matmuls if matmuls_only else self.model.step
        self.i = 0
        self.run(warmup)

    def weights(self) -> dict[str, np.ndarray]:
        if self.matmuls_only:
            raise NotImplementedError("the matmul floor does not train")
        return dict(zip(("W1", "b1", "W2", "b2"), self.model.params, strict=True))


class TutorialRunner:
    """Full-batch sigmoid/MSE gradient descent, in place; or only its five matrix products (`matmuls_only`)."""

    def __init__(self, dtype: str, subset: int = 0, matmuls_only: bool = False, data=None, warmup: int = 1) -> None:
        self.x, self.y = data if data is not None else common.tutorial_data(dtype, subset)[:2]
        self.params = common.tutorial_init(dtype)
        self.matmuls_only = matmuls_only
        n, h = len(self.x), common.TUTORIAL_HIDDEN
        self.a1 = np.empty((n, h), dtype)
        self.d1 = np.empty((n, h), dtype)
        self.t1 = np.empty((n, h), dtype)
        self.a2 = np.empty((n, 10), dtype)
        self.d2 = np.empty((n, 10), dtype)
        self.t2 = np.empty((n, 10), dtype)
        self.gW_h = np.empty((h, 784), dtype)
        self.gW_out = np.empty((10, h), dtype)
        self.gb_h = np.empty(h, dtype)
        self.gb_out = np.empty(10, dtype)
        self.scale = np.asarray(2.0 / n, dtype)
        self.lr = np.asarray(common.TUTORIAL_LR, dtype)
        self.run(warmup)

    @staticmethod
    def _sigmoid(z: np.ndarray) -> None:
        """z <- 0.5 (1 + tanh(z / 2)) in place: graphflow's overflow-free sigmoid, so the results agree exactly."""
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5

    def iteration(self) -> None:
        p, X, Y = self.params, self.x, self.y
        a1, d1, t1, a2, d2, t2 = self.a1, self.d1, self.t1, self.a2, self.d2, self.t2
        np.matmul(X, p["W_h"].T, out=a1)
        a1 += p["b_h"]
        self._sigmoid(a1)
        np.matmul(a1, p["W_out"].T, out=a2)
        a2 += p["b_out"]
        self._sigmoid(a2)
        # D2 = -2 (Y - a2) / N * a2 (1 - a2)
        np.subtract(a2, Y, out=d2)
        d2 *= self.scale
        d2 *= a2
        np.subtract(1.0, a2, out=t2)
        d2 *= t2
        # D1 = (D2 W_out) * a1 (1 - a1), with W_out before its update
        np.matmul(d2, p["W_out"], out=d1)
        d1 *= a1
        np.subtract(1.0, a1, out=t1)
        d1 *= t1
        np.matmul(d2.T, a1, out=self.gW_out)
        np.sum(d2, axis=0, out=self.gb_out)
        np.matmul(d1.T, X, out=self.gW_h)
        np.sum(d1, axis=0, out=self.gb_h)
        for name, grad in (("W_out", self.gW_out), ("b_out", self.gb_out), ("W_h", self.gW_h), ("b_h", self.gb_h)):
            grad *= self.lr
            p[name] -= grad

    def matmuls(self) -> None:
        p, X = self.params, self.x
        np.matmul(X, p["W_h"].T, out=self.a1)
        np.matmul(self.a1, p["W_out"].T, out=self.a2)
        np.matmul(self.a2, p["W_out"], out=self.d1)
        np.matmul(self.a2.T, self.a1, out=self.gW_out)
        np.matmul(self.d1.T, X, out=self.gW_h)

    def run(self, n: int) -> dict:
        body = self.matmuls if self.matmuls_only else self.iteration
        start = time.perf_counter()
        for _ in range(n):
            body()
        return {"seconds": time.perf_counter() - start}

    def weights(self) -> dict[str, np.ndarray]:
        if self.matmuls_only:
            raise NotImplementedError("the matmul floor does not train")
        return self.params


class AccuracyRunner(common.AccuracyRunnerBase):
    def run(self, n: int) -> dict:
        batch, max_steps, eval_every, target = self.cfg
        d = self.data
        MLP(batch).step(d["x_train"][:batch], d["y_train"][:batch])  # symmetry with the peers' warm-up
        model = MLP(batch)
        return time_to_accuracy(
            model.step,
            lambda: float(np.mean(model.logits_of(d["x_test"]).argmax(1) == d["y_test"])),
            d["x_train"],
            d["y_train"],
            batch,
            max_steps,
            eval_every,
            target,
        )


def time_to_accuracy(step, accuracy, x_train, y_train, batch, max_steps, eval_every, target, prepare=None, sync=None):
    """Trains with `step(xb, yb)` in the shared batch order until `accuracy()` first reaches `target`.

    Only the training steps are timed (shuffling, converting an epoch's data and evaluating are not). `prepare`
    converts an epoch's shuffled arrays to the framework's own; `sync` waits for queued work before the clock stops.
    """
    n = len(x_train)
    per_epoch = n // batch
    steps, seconds, best = 0, 0.0, 0.0
    epoch = 0
    while steps < max_steps:
        order = common.epoch_order(n, epoch)
        xe, ye = np.ascontiguousarray(x_train[order]), y_train[order]
        if prepare is not None:
            xe, ye = prepare(xe, ye)
        epoch += 1
        i = 0
        while i < per_epoch and steps < max_steps:
            chunk = min(eval_every - steps % eval_every, per_epoch - i, max_steps - steps)
            start = time.perf_counter()
            for k in range(i, i + chunk):
                step(xe[k * batch : (k + 1) * batch], ye[k * batch : (k + 1) * batch])
            if sync is not None:
                sync()
            seconds += time.perf_counter() - start
            i += chunk
            steps += chunk
            if steps % eval_every == 0 or steps >= max_steps:
                acc = accuracy()
                best = max(best, acc)
                if acc >= target:
                    return {"seconds": seconds, "steps": steps, "accuracy": acc, "reached": True, "epochs": epoch}
    return {"seconds": seconds, "steps": steps, "accuracy": best, "reached": False, "epochs": epoch}


class ChainRunner:
    """`x = x * 1.0001 + 0.0001`, `iterations` times: 2 bare numpy calls each."""

    def __init__(self, iterations: int) -> None:
        self.x = np.ones(10, np.float32)
        self.iterations = iterations

    def run(self, n: int) -> dict:
        iterations = self.iterations
        start = time.perf_counter()
        for _ in range(n):
            x = self.x
            for _ in range(iterations):
                x = x * 1.0001 + 0.0001
        return {"seconds": time.perf_counter() - start}


class FixedCostRunner:
    """One bare numpy call on two small arrays: what a session's fixed cost is set against."""

    def __init__(self) -> None:
        self.a = np.ones(10, np.float32)
        self.b = np.ones(10, np.float32)

    def run(self, n: int) -> dict:
        a, b, add = self.a, self.b, np.add
        start = time.perf_counter()
        for _ in range(n):
            add(a, b)
        return {"seconds": time.perf_counter() - start}


def setup(workload: str, params: dict):
    if workload == "mlp_step":  # the step, or its matrix products alone
        return StepRunner(params["batch"], params.get("subset", 0), params.get("variant") == "matmuls")
    if workload == "tutorial":
        return TutorialRunner(params["dtype"], params.get("subset", 0), params.get("variant") == "matmuls")
    return common.setup(workload, params, globals())
