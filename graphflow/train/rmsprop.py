"""RMSProp with TF-1's formulas: the mean square starts at one, epsilon sits inside the square root."""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.training import apply_centered_rmsprop, apply_rmsprop
from graphflow.train.optimizer import Optimizer
from graphflow.variables import Variable


class RMSPropOptimizer(Optimizer):
    """ms ← ms + (g² − ms)(1 − decay); mom ← momentum · mom + lr · g / √(ms + ε); var ← var − mom.

    With `centered`, ms − mg² replaces ms, where mg is the running mean of g.
    """

    def __init__(
        self,
        learning_rate: Any,
        decay: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-10,
        use_locking: bool = False,
        centered: bool = False,
        name: str = "RMSProp",
    ) -> None:
        super().__init__(learning_rate, use_locking, name)
        self._decay, self._momentum, self._epsilon, self._centered = decay, momentum, epsilon, centered

    def _apply_dense(self, grad: Node, var: Variable) -> Node:
        ms = self._slot(var, "rms", 1.0)
        # TF-1's slot order (and so names): rms W/RMSProp, mg W/RMSProp_1 (centered only), momentum the last one.
        mg = self._slot(var, "mg", 0.0) if self._centered else None
        mom = self._slot(var, "momentum", 0.0)
        hyper = {"decay": self._decay, "momentum": self._momentum, "epsilon": self._epsilon}
        if mg is not None:
            return apply_centered_rmsprop(var, ms, mg, mom, self._lr(), grad, **hyper)
        return apply_rmsprop(var, ms, mom, self._lr(), grad, **hyper)
