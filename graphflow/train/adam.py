"""Adam (Kingma and Ba 2015) with TF-1's formulation: bias correction folded into the step size."""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.elementwise import sqrt
from graphflow.ops.shape import cast
from graphflow.ops.state import assign
from graphflow.ops.training import apply_adam
from graphflow.train.optimizer import Optimizer, _float
from graphflow.variables import Variable


class AdamOptimizer(Optimizer):
    """m ← m + (g − m)(1 − β1); v ← v + (g² − v)(1 − β2); var ← var − lr_t · m / (√v + ε),
    with lr_t = lr · √(1 − β2^t) / (1 − β1^t), as TF-1's ApplyAdam computes it.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        use_locking: bool = False,
        name: str = "Adam",
    ) -> None:
        super().__init__(learning_rate, use_locking, name)
        self._beta1, self._beta2, self._epsilon = beta1, beta2, epsilon

    def _prepare(self) -> None:
        self._lr_t: dict = {}  # dtype -> the step size node every variable of that dtype shares

    def _step_size(self, dtype) -> Node:
        if dtype not in self._lr_t:
            # The beta powers take the first variable's dtype; variables of another dtype get the step size cast.
            beta1_power = self._non_slot("beta1_power", self._beta1, dtype)
            beta2_power = self._non_slot("beta2_power", self._beta2, dtype)
            lr_t = self._lr() * sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
            self._lr_t[dtype] = lr_t if lr_t.dtype in (None, dtype) else cast(lr_t, dtype)
        return self._lr_t[dtype]

    def _apply_dense(self, grad: Node, var: Variable) -> Node:
        dtype = _float(var.dtype)
        lr_t = self._step_size(dtype)
        m = self._slot(var, "m", 0.0)
        v = self._slot(var, "v", 0.0)
        # One fused op changes var, m and v in one pass over memory (graphflow/ops/training.py has the loop).
        return apply_adam(var, m, v, lr_t, grad, beta1=self._beta1, beta2=self._beta2, epsilon=self._epsilon)

    def _finish(self) -> list[Node]:
        powers = (("beta1_power", self._beta1), ("beta2_power", self._beta2))
        return [assign(self._non_slots[name], self._non_slots[name] * beta) for name, beta in powers]
