"""`DistributedOptimizer` and the broadcasts that give every rank the same starting weights.

`DistributedOptimizer(opt)` wraps any graphflow optimizer: its `compute_gradients` asks the wrapped optimizer for
the gradients and averages them over the ranks with one fused allreduce (graphflow/distribute/ops.py), and
everything else (`apply_gradients`, slots) is the wrapped optimizer's. Each rank computes its gradients on its own
part of the batch; after the average, every rank applies the same update to the same weights, so the ranks stay
equal once `broadcast_global_variables(0)` has made them equal.
"""

from __future__ import annotations

from typing import Any

from graphflow.distribute import world as _w
from graphflow.distribute.ops import _check_compression, broadcast_op, fused_allreduce
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops.state import assign, group
from graphflow.train.optimizer import GradsAndVars, Optimizer
from graphflow.variables import Variable


class DistributedOptimizer(Optimizer):
    """Wraps `optimizer` so that its gradients are averaged (or summed) over every rank before they are applied.

    Args:
        optimizer: any graphflow optimizer (`gf.train.AdamOptimizer(...)`, ...).
        name: the name scope of the fused allreduce; "Distributed" + the wrapped class's name when None.
        use_locking, device_dense, device_sparse, sparse_as_dense: accepted for Horovod scripts; graphflow has one
            device and no sparse gradients.
        compression: `hvd.Compression.none` (the only one graphflow has).
        op: `hvd.Average` (default) or `hvd.Sum`.
        backward_passes_per_step: must be 1: graphflow reduces every step's gradients.

    Raises:
        TypeError: `optimizer` is not a graphflow optimizer.
        ValueError: an option graphflow does not have (compression, backward_passes_per_step > 1, another op).

    Examples:
        >>> opt = hvd.DistributedOptimizer(gf.train.AdamOptimizer(1e-3 * hvd.size()))
        >>> train_op = opt.minimize(loss)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        name: str | None = None,
        use_locking: bool = False,
        device_dense: str = "",
        device_sparse: str = "",
        compression: Any = None,
        sparse_as_dense: bool = False,
        op: str = _w.Average,
        backward_passes_per_step: int = 1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DistributedOptimizer wraps a graphflow optimizer, got {type(optimizer).__name__}")
        _check_compression(compression)
        if op not in _w.REDUCE_OPS:
            raise ValueError(f"DistributedOptimizer op must be hvd.Average or hvd.Sum, got {op!r}")
        if backward_passes_per_step != 1:
            raise ValueError(
                f"backward_passes_per_step={backward_passes_per_step}: graphflow reduces the gradients of every "
                "step; accumulate them in variables yourself, or pass 1"
            )
        super().__init__(optimizer._learning_rate, use_locking, name or f"Distributed{type(optimizer).__name__}")
        self._optimizer = optimizer
        self._op = op

    def compute_gradients(self, *args: Any, **kwargs: Any) -> GradsAndVars:
        """The wrapped optimizer's `(gradient, variable)` pairs, each gradient averaged over every rank.

        All the gradients go through one allreduce (per dtype), which runs once they are all computed. In a world
        of one the gradients are returned as they are, so the plan is the wrapped optimizer's.
        """
        grads_and_vars = self._optimizer.compute_gradients(*args, **kwargs)
        if _w.world().size == 1:
            return grads_and_vars
        present = [(i, g) for i, (g, _) in enumerate(grads_and_vars) if g is not None]
        if not present:
            return grads_and_vars
        graph = present[0][1].graph
        with graph.as_default(), graph.name_scope(self._name + "_Allreduce"):
            reduced = fused_allreduce([g for _, g in present], self._op, name="gradients")
        result = list(grads_and_vars)
        for (i, _), r in zip(present, reduced, strict=True):
            result[i] = (r, grads_and_vars[i][1])
        return result

    def apply_gradients(self, *args: Any, **kwargs: Any) -> Node:
        return self._optimizer.apply_gradients(*args, **kwargs)

    def get_slot(self, *args: Any, **kwargs: Any) -> Variable | None:
        return self._optimizer.get_slot(*args, **kwargs)

    def get_slot_names(self, *args: Any, **kwargs: Any) -> list[str]:
        return self._optimizer.get_slot_names(*args, **kwargs)

    def variables(self, *args: Any, **kwargs: Any) -> list[Variable]:
        return self._optimizer.variables(*args, **kwargs)


def broadcast_variables(variables: list[Variable], root_rank: int) -> Node:
    """An op that sets each of `variables` to its value on rank `root_rank` (Horovod's `broadcast_variables`)."""
    size = _w.world().size
    if not isinstance(root_rank, int) or not 0 <= root_rank < size:
        raise ValueError(f"root_rank must be a rank of the job, 0 to {size - 1}, got {root_rank!r}")
    variables = list(variables)
    graph = variables[0].graph if variables else get_default_graph()
    with graph.as_default(), graph.name_scope("broadcast_variables"):
        return group(*[assign(v, broadcast_op(v, root_rank=root_rank)) for v in variables], name="broadcast")


def broadcast_global_variables(root_rank: int) -> Node:
    """An op that sets every variable of the default graph, optimizer slots included, to its value on
    `root_rank`. Run it once after initialising, so that every rank starts from the same weights."""
    return broadcast_variables(get_default_graph().get_collection("variables"), root_rank)
