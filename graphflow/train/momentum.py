"""Momentum (heavy ball), optionally Nesterov, with TF-1's formulas and slot name."""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.training import apply_momentum
from graphflow.train.optimizer import Optimizer
from graphflow.variables import Variable


class MomentumOptimizer(Optimizer):
    """accum ← momentum · accum + grad; var ← var − lr · accum.

    With `use_nesterov`: var ← var − (lr · grad + lr · momentum · accum), using the new accum (TF-1).
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: float,
        use_locking: bool = False,
        name: str = "Momentum",
        use_nesterov: bool = False,
    ) -> None:
        super().__init__(learning_rate, use_locking, name)
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _apply_dense(self, grad: Node, var: Variable) -> Node:
        accum = self._slot(var, "momentum", 0.0)
        return apply_momentum(var, accum, self._lr(), grad, self._momentum, use_nesterov=self._use_nesterov)
