"""PyTorch, eager and with torch.compile: the same workloads written the way a PyTorch user writes them.

The training step is `zero_grad; cross_entropy(model(x), y).backward(); opt.step()` with nn.Linear layers and
torch.optim.Adam. Under torch.compile the whole step function is compiled (forward, backward and the optimizer).
"""

from __future__ import annotations

import contextlib
import time

import common
import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (PyTorch's own spelling)
from torch import nn

COMPILED = False


def configure(compiled: bool = False) -> None:
    global COMPILED
    COMPILED = compiled
    torch.set_num_threads(common.THREADS)
    with contextlib.suppress(RuntimeError):  # already set
        torch.set_num_interop_threads(common.THREADS)


def versions() -> dict[str, str]:
    return {"torch": torch.__version__}


def maybe_compile(fn):
    return torch.compile(fn) if COMPILED else fn


def mlp_model() -> nn.Module:
    p = common.mlp_init()
    model = nn.Sequential(nn.Linear(784, common.HIDDEN), nn.ReLU(), nn.Linear(common.HIDDEN, 10))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(p["W1"].T))
        model[0].bias.copy_(torch.from_numpy(p["b1"]))
        model[2].weight.copy_(torch.from_numpy(p["W2"].T))
        model[2].bias.copy_(torch.from_numpy(p["b2"]))
    return model


def train_step_fn(model: nn.Module):
    opt = torch.optim.Adam(model.parameters(), lr=common.LR, betas=(common.BETA1, common.BETA2), eps=common.EPSILON)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return maybe_compile(step), opt


def reset(model: nn.Module, opt: torch.optim.Optimizer) -> None:
    """Back to the initial weights and an empty Adam state, in place, so compiled code stays valid."""
    with torch.no_grad():
        for p, q in zip(model.parameters(), mlp_model().parameters(), strict=True):
            p.copy_(q)
        for state in opt.state.values():
            for value in state.values():
                if torch.is_tensor(value):
                    value.zero_()


def mlp_weights(model: nn.Module) -> dict[str, np.ndarray]:
    return {
        "W1": model[0].weight.detach().numpy().T.copy(),
        "b1": model[0].bias.detach().numpy().copy(),
        "W2": model[2].weight.detach().numpy().T.copy(),
        "b2": model[2].bias.detach().numpy().copy(),
    }


class StepRunner(common.StepFunctionRunner):
    def __init__(self, batch: int, subset: int = 0, warmup: int = 5) -> None:
        common.mnist(subset)
        self.batches = [
            (torch.from_numpy(x), torch.from_numpy(y)) for x, y in common.step_batches(batch, subset=subset)
        ]
        self.model = mlp_model()
        self.step, _ = train_step_fn(self.model)
        self.i = 0
        start = time.perf_counter()
        self.run(warmup)
        self.info = {"warmup_seconds": time.perf_counter() - start}

    def weights(self) -> dict[str, np.ndarray]:
        return mlp_weights(self.model)


class TutorialRunner:
    def __init__(self, dtype: str, subset: int = 0, data=None, warmup: int = 1) -> None:
        x, y = data if data is not None else common.tutorial_data(dtype, subset)[:2]
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        init = common.tutorial_init(dtype)
        self.params = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
        opt = torch.optim.SGD(list(self.params.values()), lr=common.TUTORIAL_LR)
        p = self.params

        def step(x, y):
            opt.zero_grad(set_to_none=True)
            a_h = torch.sigmoid(x @ p["W_h"].T + p["b_h"])
            a_out = torch.sigmoid(a_h @ p["W_out"].T + p["b_out"])
            ((y - a_out) ** 2).sum(dim=1).mean().backward()
            opt.step()

        self.step = maybe_compile(step)
        self.run(warmup)

    def run(self, n: int) -> dict:
        start = time.perf_counter()
        for _ in range(n):
            self.step(self.x, self.y)
        return {"seconds": time.perf_counter() - start}

    def weights(self) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy().copy() for k, v in self.params.items()}


class AccuracyRunner(common.AccuracyRunnerBase):
    def run(self, n: int) -> dict:
        from fw_numpy import time_to_accuracy

        batch, max_steps, eval_every, target = self.cfg
        d = self.data
        model = mlp_model()
        step, opt = train_step_fn(model)
        x_test, y_test = torch.from_numpy(d["x_test"]), torch.from_numpy(d["y_test"])

        def evaluate():
            with torch.no_grad():
                return float((model(x_test).argmax(1) == y_test).float().mean())

        # Warm up (torch.compile compiles here) before the clock starts, then back to the initial state.
        for _ in range(3):
            step(torch.from_numpy(d["x_train"][:batch]), torch.from_numpy(d["y_train"][:batch]))
        reset(model, opt)

        def prepare(xe, ye):
            return torch.from_numpy(xe), torch.from_numpy(ye)

        return time_to_accuracy(
            step, evaluate, d["x_train"], d["y_train"], batch, max_steps, eval_every, target, prepare=prepare
        )


class ChainRunner:
    def __init__(self, iterations: int) -> None:
        def chain(x):
            for _ in range(iterations):
                x = x * 1.0001 + 0.0001
            return x

        self.fn = maybe_compile(chain)
        self.x = torch.ones(10)
        start = time.perf_counter()
        self.run(2)
        self.info = {"warmup_seconds": time.perf_counter() - start}

    def run(self, n: int) -> dict:
        fn, x = self.fn, self.x
        start = time.perf_counter()
        with torch.no_grad():
            for _ in range(n):
                fn(x)
        return {"seconds": time.perf_counter() - start}


class FixedCostRunner:
    def __init__(self) -> None:
        def add(a, b):
            return a + b

        self.fn = maybe_compile(add)
        self.a, self.b = torch.ones(10), torch.ones(10)
        self.run(10)

    def run(self, n: int) -> dict:
        fn, a, b = self.fn, self.a, self.b
        start = time.perf_counter()
        with torch.no_grad():
            for _ in range(n):
                fn(a, b)
        return {"seconds": time.perf_counter() - start}


class FirstCompileRunner:
    """torch.compile only: the first call of a compiled chain of `nodes` graph nodes (tracing and compiling it)."""

    def __init__(self, nodes: int) -> None:
        if not COMPILED:
            raise NotImplementedError("eager PyTorch has no compile step")
        self.iterations = common.chain_length(nodes)
        self.x = torch.ones(10)

    def run(self, n: int) -> dict:
        import torch._dynamo

        total = 0.0
        for _ in range(n):
            torch._dynamo.reset()

            def chain(x, iterations=self.iterations):
                for _ in range(iterations):
                    x = x * 1.0001 + 0.0001
                return x

            fn = torch.compile(chain)
            start = time.perf_counter()
            with torch.no_grad():
                fn(self.x)
            total += time.perf_counter() - start
        return {"seconds": total}


def setup(workload: str, params: dict):
    params = {k: v for k, v in params.items() if k != "compiled"}
    return common.setup(workload, params, globals())


class WorkloadRunner(common.WorkloadRunnerBase):
    """A workload of common.WORKLOADS as a PyTorch user writes it: nn.Linear, nn.BatchNorm1d, torch.optim, and
    torch.utils.tensorboard's SummaryWriter.add_histogram."""

    def build(self, workload: str) -> None:
        import atexit
        import shutil
        import tempfile

        _, _, optimizer, _ = common.WORKLOADS[workload]
        layers = common.workload_init(workload)
        modules: list[nn.Module] = []
        for i, (kernel, bias) in enumerate(layers):
            last = i == len(layers) - 1
            batchnorm = workload == "batchnorm" and not last
            linear = nn.Linear(*kernel.shape, bias=not batchnorm)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(kernel.T))
                if not batchnorm:
                    linear.bias.copy_(torch.from_numpy(bias))
            modules.append(linear)
            if batchnorm:
                modules.append(nn.BatchNorm1d(kernel.shape[1], eps=common.BN_EPSILON, momentum=1 - common.BN_MOMENTUM))
            if workload == "autoencoder":
                modules.append(nn.Sigmoid())
            elif not last:
                modules.append(nn.ReLU())
        model = self.model = nn.Sequential(*modules)
        if optimizer == "rmsprop":  # TF-1's epsilon sits inside the square root, PyTorch's outside: close enough
            opt = torch.optim.RMSprop(
                model.parameters(), lr=common.RMSPROP_LR, alpha=common.RMSPROP_DECAY, eps=common.RMSPROP_EPSILON
            )
        else:
            opt = torch.optim.Adam(model.parameters(), lr=common.LR, betas=(common.BETA1, common.BETA2), eps=1e-8)
        autoencoder = workload == "autoencoder"

        def train(x, y):
            opt.zero_grad(set_to_none=True)
            out = model(x)
            loss = F.mse_loss(out, x) if autoencoder else F.cross_entropy(out, y)
            loss.backward()
            opt.step()

        train = maybe_compile(train)
        self.batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in self.batches]
        if workload != "summaries":
            self.step = lambda k, x, y: train(x, y)
            return
        from torch.utils.tensorboard import SummaryWriter

        logdir = tempfile.mkdtemp(prefix="torch-bench-summaries-")
        atexit.register(shutil.rmtree, logdir, True)
        writer = SummaryWriter(logdir)
        named = list(model.named_parameters())

        def step(k, x, y):
            train(x, y)
            if k % common.SUMMARY_EVERY == 0:
                for name, p in named:
                    writer.add_histogram(name, p.detach(), k)

        self.step = step
