"""RMSProp with TF-1's formulas: the mean square starts at one, epsilon sits inside the square root."""

from __future__ import annotations

from typing import Any

from graphflow.graph import Node, Variable
from graphflow.ops.elementwise import sqrt
from graphflow.ops.state import assign, assign_add, assign_sub
from graphflow.train.optimizer import Optimizer


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
        new_ms = assign_add(ms, (grad * grad - ms) * (1.0 - self._decay))
        denominator = new_ms
        if mg is not None:
            new_mg = assign_add(mg, (grad - mg) * (1.0 - self._decay))
            denominator = new_ms - new_mg * new_mg
        new_mom = assign(mom, mom * self._momentum + self._lr() * grad / sqrt(denominator + self._epsilon))
        return assign_sub(var, new_mom)
