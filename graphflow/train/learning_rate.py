"""Learning-rate schedules (TF-1 `tf.train.exponential_decay` and its kin): graph nodes of the global step.

Each returns a scalar node to pass as an optimizer's learning rate; it is computed from the step in every run, so the
rate follows `minimize(..., global_step=step)` as training goes. They compute in the learning rate's dtype (float32
for a Python number), with the step cast to it, as TF-1 does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow import dtypes
from graphflow.graph import get_default_graph
from graphflow.nodes import Node
from graphflow.ops import cast, exp, floor, minimum, negative, power, where
from graphflow.registry import as_node


def _rate_and_progress(
    learning_rate: Any, global_step: Any, decay_steps: Any, staircase: bool, what: str
) -> tuple[Node, Node]:
    """The rate as a float node, and global_step / decay_steps in its dtype (floored when `staircase`)."""
    if global_step is None:
        raise ValueError(f"{what} needs a global_step: pass gf.train.get_or_create_global_step()")
    rate = as_node(learning_rate, dtype=None if isinstance(learning_rate, Node) else dtypes.float32)
    dtype = rate.dtype or dtypes.float32
    progress = cast(global_step, dtype) / cast(as_node(decay_steps), dtype)
    return rate, floor(progress) if staircase else progress


def exponential_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Node:
    """learning_rate * decay_rate ** (global_step / decay_steps) (TF-1 `train.exponential_decay`).

    Args:
        learning_rate: the initial rate: a Python number or a scalar float node.
        global_step: the step counter, e.g. `gf.train.get_or_create_global_step()`.
        decay_steps: the number of steps over which the rate decays once.
        decay_rate: the base of the decay.
        staircase: floor global_step / decay_steps, so the rate changes in steps.
        name: the scope of the nodes ("ExponentialDecay").

    Returns:
        A scalar node, in the learning rate's dtype, to pass to an optimizer; it follows the step at every run.

    Raises:
        ValueError: `global_step` is None.

    Examples:
        >>> step = gf.train.get_or_create_global_step()
        >>> print(gf.Session().run(gf.train.exponential_decay(0.1, step, 100, 0.5)))
        0.1
    """
    with get_default_graph().name_scope(name or "ExponentialDecay"):
        rate, p = _rate_and_progress(learning_rate, global_step, decay_steps, staircase, "exponential_decay")
        return rate * power(cast(as_node(decay_rate), rate.dtype), p)


def inverse_time_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Node:
    """learning_rate / (1 + decay_rate * global_step / decay_steps) (TF-1 `train.inverse_time_decay`).

    Args:
        learning_rate: the initial rate: a Python number or a scalar float node.
        global_step: the step counter, e.g. `gf.train.get_or_create_global_step()`.
        decay_steps: the number of steps over which the rate decays once.
        decay_rate: the base of the decay.
        staircase: floor global_step / decay_steps, so the rate changes in steps.
        name: the scope of the nodes ("InverseTimeDecay").

    Returns:
        A scalar node, in the learning rate's dtype, to pass to an optimizer; it follows the step at every run.

    Raises:
        ValueError: `global_step` is None.

    Examples:
        >>> step = gf.train.get_or_create_global_step()
        >>> print(gf.Session().run(gf.train.inverse_time_decay(0.1, step, 100, 0.5)))
        0.1
    """
    with get_default_graph().name_scope(name or "InverseTimeDecay"):
        rate, p = _rate_and_progress(learning_rate, global_step, decay_steps, staircase, "inverse_time_decay")
        return rate / (1.0 + cast(as_node(decay_rate), rate.dtype) * p)


def natural_exp_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    decay_rate: Any,
    staircase: bool = False,
    name: str | None = None,
) -> Node:
    """learning_rate * exp(-decay_rate * global_step / decay_steps) (TF-1 `train.natural_exp_decay`).

    Args:
        learning_rate: the initial rate: a Python number or a scalar float node.
        global_step: the step counter, e.g. `gf.train.get_or_create_global_step()`.
        decay_steps: the number of steps over which the rate decays once.
        decay_rate: the base of the decay.
        staircase: floor global_step / decay_steps, so the rate changes in steps.
        name: the scope of the nodes ("NaturalExpDecay").

    Returns:
        A scalar node, in the learning rate's dtype, to pass to an optimizer; it follows the step at every run.

    Raises:
        ValueError: `global_step` is None.

    Examples:
        >>> step = gf.train.get_or_create_global_step()
        >>> print(gf.Session().run(gf.train.natural_exp_decay(0.1, step, 100, 0.5)))
        0.1
    """
    with get_default_graph().name_scope(name or "NaturalExpDecay"):
        rate, p = _rate_and_progress(learning_rate, global_step, decay_steps, staircase, "natural_exp_decay")
        return rate * exp(negative(cast(as_node(decay_rate), rate.dtype) * p))


def polynomial_decay(
    learning_rate: Any,
    global_step: Any,
    decay_steps: Any,
    end_learning_rate: Any = 0.0001,
    power: Any = 1.0,
    cycle: bool = False,
    name: str | None = None,
) -> Node:
    """From `learning_rate` to `end_learning_rate` over `decay_steps`, along (1 - step / decay_steps) ** power (TF-1).

    Args:
        learning_rate: the initial rate: a Python number or a scalar float node.
        global_step: the step counter, e.g. `gf.train.get_or_create_global_step()`.
        decay_steps: the number of steps over which the rate decays once.
        end_learning_rate: the rate after `decay_steps`.
        power: the polynomial's power; 1 decays linearly.
        cycle: start again after `decay_steps`, over the next multiple of it (TF-1).
        name: the scope of the nodes ("PolynomialDecay").

    Returns:
        A scalar node, in the learning rate's dtype, to pass to an optimizer; it follows the step at every run.

    Raises:
        ValueError: `global_step` is None.

    Examples:
        >>> step = gf.train.get_or_create_global_step()
        >>> print(gf.Session().run(gf.train.polynomial_decay(0.1, step, 100, 0.0)))
        0.1
    """
    with get_default_graph().name_scope(name or "PolynomialDecay"):
        rate, step = _rate_and_progress(learning_rate, global_step, 1.0, False, "polynomial_decay")
        horizon = cast(as_node(decay_steps), rate.dtype)
        if cycle:
            periods = negative(floor(negative(step / horizon)))  # ceil; the first period holds step 0
            horizon = horizon * where(step > 0.0, periods, 1.0)
        else:
            step = minimum(step, horizon)
        end = cast(as_node(end_learning_rate), rate.dtype)
        return (rate - end) * (1.0 - step / horizon) ** cast(as_node(power), rate.dtype) + end


def piecewise_constant(x: Any, boundaries: Sequence[Any], values: Sequence[Any], name: str | None = None) -> Node:
    """`values[0]` while `x <= boundaries[0]`, `values[1]` while `x <= boundaries[1]`, ..., then `values[-1]` (TF-1).

    Args:
        x: a scalar node, usually the global step.
        boundaries: increasing numbers, of `x`'s type.
        values: one more value than boundaries: the result in each interval.
        name: the scope of the nodes ("PiecewiseConstant").

    Returns:
        A scalar node of the values' dtype.

    Raises:
        ValueError: `values` does not have one more entry than `boundaries`.

    Examples:
        >>> rate = gf.train.piecewise_constant(gf.constant(5), [10, 20], [1.0, 0.5, 0.1])
        >>> print(gf.Session().run(rate))
        1.0
    """
    if len(values) != len(boundaries) + 1:
        raise ValueError(
            f"piecewise_constant needs one more value than boundaries, got {len(values)} values for "
            f"{len(boundaries)} boundaries"
        )
    with get_default_graph().name_scope(name or "PiecewiseConstant"):
        x = as_node(x)
        result = as_node(values[-1])  # Python floats give float32 and ints int32, as in TF-1
        for boundary, value in zip(reversed(boundaries), reversed(values[:-1]), strict=True):
            result = where(x <= cast(as_node(boundary), x.dtype), cast(as_node(value), result.dtype), result)
        return result
