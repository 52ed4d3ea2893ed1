"""`gf.train.ExponentialMovingAverage` (TF-1): shadow variables that follow other values at a decay.

`apply(var_list)` makes, for each variable or tensor, a non-trainable shadow variable named
`"<name>/ExponentialMovingAverage"` and returns one op that moves every shadow towards its value:
shadow -= (1 - decay) * (shadow - value). Evaluation code can read the shadows (`average(var)`) or load them into
the model's own variables with a `Saver(ema.variables_to_restore())`, as TF-1 scripts do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.elementwise import divide, multiply, power, subtract
from graphflow.ops.piecewise import minimum
from graphflow.ops.shape import cast
from graphflow.ops.state import assign, assign_add, assign_sub, group
from graphflow.registry import as_node
from graphflow.variables import Variable

MOVING_AVERAGE_VARIABLES = "moving_average_variables"


def assign_moving_average(variable: Variable, value: Any, decay: Any, name: str | None = None) -> Node:
    """The op that moves `variable` towards `value`: variable -= (variable - value) * (1 - decay), as TF-1 writes
    it (`decay` a number or a node); what an average's shadow and batch normalisation's moving statistics run."""
    with get_default_graph().name_scope(name or "AssignMovingAvg"):
        return assign_sub(variable, multiply(subtract(variable, value), 1.0 - decay))


class ExponentialMovingAverage:
    """Keeps moving averages of variables and tensors (TF-1 `tf.train.ExponentialMovingAverage`).

    Args:
        decay: how much of the old average each update keeps, e.g. 0.999.
        num_updates: a number or a scalar node (usually the global step); when given, each update uses
            min(decay, (1 + num_updates) / (10 + num_updates)), so the averages move faster early in training.
        zero_debias: for tensors (not variables), whose averages start at zero, divide by 1 - decay^t after t
            updates, so that the average is not biased towards zero (TF-1 `zero_debias`).
        name: the shadows' name suffix and the name scope of the update ops.
    """

    def __init__(
        self, decay: Any, num_updates: Any = None, zero_debias: bool = False, name: str = "ExponentialMovingAverage"
    ) -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict[Node, Variable] = {}
        self._debiased: dict[Variable, tuple[Variable, Variable]] = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list: list[Any] | None = None) -> Node:
        """Makes the shadows of `var_list` (once per value) and returns the op that updates them.

        A variable's shadow starts at the variable's initial value, a tensor's at zeros. Each variable is added to
        the `GraphKeys.MOVING_AVERAGE_VARIABLES` collection (the averaged variable itself, as in TF-1; its shadow
        joins `GLOBAL_VARIABLES`). Running the op does not run anything that changes the values: to average after
        a training step, build it inside `gf.control_dependencies([train_op])`.

        Args:
            var_list: variables and float tensors of fully known shape; None for every trainable variable.

        Raises:
            TypeError: a value is not of a float dtype.
            ValueError: a tensor's shape is not fully known.
        """
        graph = get_default_graph()
        if var_list is None:
            var_list = graph.get_collection("trainable_variables")
        var_list = [v if isinstance(v, Variable) else as_node(v) for v in var_list]
        for var in var_list:
            if var.dtype is None or not dtypes.is_floating(var.dtype):
                raise TypeError(
                    f"ExponentialMovingAverage: '{var.op_name}' has dtype {var.dtype}; only float values can be "
                    "averaged"
                )
            if var not in self._averages:
                self._averages[var] = self._shadow(var)
        with graph.name_scope(self._name):
            updates = [self._update(self._averages[var], var) for var in var_list]
            return group(*updates, name=self._name)

    def _shadow(self, var: Node) -> Variable:
        graph = var.graph
        with graph.as_default(), graph.name_scope(var.op_name + "/"), graph.role_scope("update"):
            if isinstance(var, Variable):
                # The initial value's node is shared, so the initializer of both gives them the same value.
                initial = var.initial_array()
                shadow = Variable(var.initial_value if initial is None else initial, False, name=self._name)
                graph.add_to_collection(MOVING_AVERAGE_VARIABLES, var)
                return shadow
            if var.shape is None or not var.shape.is_fully_defined():
                raise ValueError(
                    f"ExponentialMovingAverage: the shape of '{var.op_name}' must be fully known to make its "
                    f"average, got {var.shape}"
                )
            shadow = Variable(np.zeros(tuple(var.shape), var.dtype), False, name=self._name)
            if self._zero_debias:
                # TF-1's zero debiasing: a biased average that starts at zero and a count of updates, divided out.
                with graph.name_scope(shadow.op_name + "/"):
                    biased = Variable(np.zeros(tuple(shadow.shape), shadow.dtype), False, name="biased")
                    local_step = Variable(np.zeros((), shadow.dtype), False, name="local_step")
                self._debiased[shadow] = (biased, local_step)
            return shadow

    def _decay_for(self, dtype: np.dtype) -> Any:
        decay, n = self._decay, self._num_updates
        if n is None:
            return decay
        if not isinstance(n, Node):
            return min(decay, (1.0 + n) / (10.0 + n))
        n = cast(n, dtypes.float32, name="num_updates")
        return cast(minimum(decay, (1.0 + n) / (10.0 + n)), dtype)

    def _update(self, shadow: Variable, value: Node) -> Node:
        decay = self._decay_for(shadow.dtype)
        if shadow not in self._debiased:
            return assign_moving_average(shadow, value, decay)
        biased, local_step = self._debiased[shadow]
        updated = assign_moving_average(biased, value, decay)
        steps = assign_add(local_step, np.ones((), shadow.dtype))
        return assign(shadow, divide(updated, 1.0 - power(decay, steps)))

    def average(self, var: Any) -> Variable | None:
        """The shadow variable of `var`, or None if `apply` was never given it."""
        return self._averages.get(var)

    def average_name(self, var: Any) -> str:
        """The name of `var`'s shadow: `"<var>/ExponentialMovingAverage"` (what a checkpoint saves it under)."""
        if var in self._averages:
            return self._averages[var].op_name
        return f"{var.op_name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables: list[Variable] | None = None) -> dict[str, Variable]:
        """A `Saver` var_list that loads each average into its variable, and every other variable as it is.

        As in TF-1, the averaged variables default to the trainable ones and the `MOVING_AVERAGE_VARIABLES`
        collection, and each maps from `average_name(var)`; every other global variable maps from its own name
        (the shadows themselves are among them unless their names are taken).

        Returns:
            A dict from checkpoint name to `Variable`.
        """
        graph = get_default_graph()
        if moving_avg_variables is None:
            moving_avg_variables = [
                *graph.get_collection("trainable_variables"),
                *graph.get_collection(MOVING_AVERAGE_VARIABLES),
            ]
        averaged = list(dict.fromkeys(moving_avg_variables))
        name_map = {self.average_name(v): v for v in averaged}
        averaged_names = {v.op_name for v in averaged}
        for v in graph.get_collection("variables"):
            if v.op_name not in averaged_names and v.op_name not in name_map:
                name_map[v.op_name] = v
        return name_map
