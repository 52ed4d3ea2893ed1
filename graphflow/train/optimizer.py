"""The optimizer base class: `minimize` = `apply_gradients(compute_gradients(loss))`, with TF-1 signatures.

Each optimizer defines only its update rule, `_apply_dense(grad, var)`, which builds one of TF-1's fused update ops
(`ApplyAdam`, `ApplyMomentum`, ... in graphflow/ops/training.py) on the variable and its slots. The gradient nodes
and the updates are built once, when the train op is built; running the train op replays one plan holding the
forward pass, the gradients and the updates. Slot state (momenta, Adam's
moments) is kept in non-trainable variables, so it lives in the session next to the variables it serves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphflow import dtypes
from graphflow.gradients import gradients
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.state import assign_add, group
from graphflow.ops.training import apply_gradient_descent
from graphflow.variables import Variable

GradsAndVars = list[tuple["Node | None", Variable]]


class Optimizer:
    """Base class. Subclasses implement `_apply_dense` and, if they need per-variable state, create slots in it.

    Args:
        learning_rate: a number or a scalar node (e.g. a placeholder for a schedule).
        name: the name scope of the update ops and the suffix of slot variable names.
    """

    def __init__(self, learning_rate: Any, use_locking: bool = False, name: str = "Optimizer") -> None:
        if not isinstance(learning_rate, Node | int | float):
            raise TypeError(f"learning_rate must be a number or a scalar node, got {learning_rate!r}")
        self._learning_rate = learning_rate
        self._name = name
        self._slots: dict[tuple[str, Variable], Variable] = {}
        self._non_slots: dict[str, Variable] = {}

    def compute_gradients(
        self,
        loss: Node,
        var_list: list[Variable] | None = None,
        gate_gradients: int = 1,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        grad_loss: Node | None = None,
    ) -> GradsAndVars:
        """Gradient nodes of `loss` for each variable: a list of `(gradient or None, variable)` pairs.

        Args:
            loss: the scalar to minimise.
            var_list: the variables to differentiate; all trainable variables of the loss's graph when None.
        """
        if not isinstance(loss, Node):
            raise TypeError(f"loss must be a graph node, got {type(loss).__name__}")
        if var_list is None:
            var_list = loss.graph.get_collection("trainable_variables")
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize: create gf.Variable(...)s or pass var_list")
        for var in var_list:
            if not isinstance(var, Variable):
                raise TypeError(f"var_list must hold gf.Variable objects, got {var!r}")
        grads = gradients(loss, var_list, grad_ys=grad_loss)
        return list(zip(grads, var_list, strict=True))

    def apply_gradients(
        self, grads_and_vars: GradsAndVars, global_step: Variable | None = None, name: str | None = None
    ) -> Node:
        """An op that updates each variable from its gradient (and increments `global_step`, if given).

        Everything built here (slots, step sizes, the update ops and the returned op) gets `role="update"`.

        Raises:
            ValueError: no variable has a gradient (the message lists the variables and their gradients).
        """
        grads_and_vars = list(grads_and_vars)
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            listing = ", ".join(f"'{v.name}'" for _, v in grads_and_vars)
            raise ValueError(
                f"No gradients provided for any variable ({listing}): the loss does not depend on them through "
                "float ops. Check that the loss is built from these variables."
            )
        graph = pairs[0][1].graph
        with graph.as_default(), graph.name_scope(name or self._name), graph.role_scope("update"):
            self._prepare()
            updates = [self._apply_dense(g, v) for g, v in pairs]
            # Grouped last variable first. A session runs a group's inputs in order, each after what it needs; the
            # backward pass makes the gradients of a network's later variables first, so each update then runs right
            # after its gradient, while the arrays it reads are still in cache.
            updates.reverse()
            updates += self._finish()
            if global_step is not None:
                updates.append(assign_add(global_step, np.ones((), global_step.dtype)))
            return group(*updates, name="update")

    def minimize(
        self,
        loss: Node,
        global_step: Variable | None = None,
        var_list: list[Variable] | None = None,
        gate_gradients: int = 1,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        name: str | None = None,
        grad_loss: Node | None = None,
    ) -> Node:
        """The train op: running it takes one step downhill on `loss`. Fetching it gives None."""
        grads_and_vars = self.compute_gradients(loss, var_list=var_list, grad_loss=grad_loss)
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    # -- for subclasses ------------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Builds what every update shares (e.g. Adam's beta powers) before the per-variable updates."""

    def _apply_dense(self, grad: Node, var: Variable) -> Node:
        raise NotImplementedError(f"{type(self).__name__} must define its update rule, _apply_dense")

    def _finish(self) -> list[Node]:
        """Updates that follow every variable's (e.g. Adam's beta powers); plain reads still see the old values."""
        return []

    def _slot(self, var: Variable, slot_name: str, initial: float) -> Variable:
        """The optimizer's state for `var`, a non-trainable variable named `<var>/<optimizer name>[_k]`."""
        key = (slot_name, var)
        if key not in self._slots:
            if var.shape is None or not var.shape.is_fully_defined():
                raise ValueError(f"{self._name} needs the full shape of '{var.name}' to create its slots")
            graph = var.graph
            with graph.name_scope(var.name + "/"):
                self._slots[key] = Variable(np.full(tuple(var.shape), initial, dtype=var.dtype), False, name=self._name)
        return self._slots[key]

    def _non_slot(self, name: str, initial: float, dtype: np.dtype) -> Variable:
        """State shared by every variable (e.g. `beta1_power`), created once in the graph's root scope."""
        if name not in self._non_slots:
            with get_default_graph().name_scope(None):
                self._non_slots[name] = Variable(np.asarray(initial, dtype=dtype), False, name=name)
        return self._non_slots[name]

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        """The slot variable `name` (e.g. "m" for Adam) of `var`, or None."""
        return self._slots.get((name, var))

    def get_slot_names(self) -> list[str]:
        return sorted({name for name, _ in self._slots})

    def variables(self) -> list[Variable]:
        """Every variable this optimizer created (slots and shared state)."""
        return [*self._slots.values(), *self._non_slots.values()]

    def _lr(self) -> Any:
        return self._learning_rate


class GradientDescentOptimizer(Optimizer):
    """var ← var − learning_rate · grad."""

    def __init__(self, learning_rate: Any, use_locking: bool = False, name: str = "GradientDescent") -> None:
        super().__init__(learning_rate, use_locking, name)

    def _apply_dense(self, grad: Node, var: Variable) -> Node:
        return apply_gradient_descent(var, self._lr(), grad)


def _float(dtype: np.dtype | None) -> np.dtype:
    return dtype if dtype is not None and dtypes.is_floating(dtype) else dtypes.float32
