"""Adagrad with TF-1's formulas: the accumulator starts at `initial_accumulator_value` (0.1)."""

from __future__ import annotations

from typing import Any

from graphflow.nodes import Node
from graphflow.ops.training import apply_adagrad
from graphflow.train.optimizer import Optimizer
from graphflow.variables import Variable


class AdagradOptimizer(Optimizer):
    """accum ← accum + g²; var ← var − lr · g / √accum."""

    def __init__(
        self,
        learning_rate: Any,
        initial_accumulator_value: float = 0.1,
        use_locking: bool = False,
        name: str = "Adagrad",
    ) -> None:
        if initial_accumulator_value <= 0:
            raise ValueError(f"initial_accumulator_value must be positive, got {initial_accumulator_value}")
        super().__init__(learning_rate, use_locking, name)
        self._initial = initial_accumulator_value

    def _apply_dense(self, grad: Node, var: Variable) -> Node:
        accum = self._slot(var, "accumulator", self._initial)
        return apply_adagrad(var, accum, self._lr(), grad)
