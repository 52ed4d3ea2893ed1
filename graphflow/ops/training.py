"""Fused optimizer updates: one op computes the new values of a variable and of its slots (TF-1's ApplyAdam).

Written with graph ops, Adam's update is a dozen elementwise steps, each one a full pass over the variable's memory.
Here it is one loop over the elements (graphflow/kernels/updates.py), compiled by numba the first time a plan runs
it and cached on disk, so each array is read once and each new value written once.

Like every update, these ops write into the buffers the session hands them (or into new arrays), never into the
variable's current value, so a run that fails later leaves the variables as they were.
"""

from __future__ import annotations

import numpy as np

from graphflow.kernels import updates
from graphflow.ops._util import broadcast_shape, compatible
from graphflow.ops.state import _assign_shape, _keeps_shape
from graphflow.registry import defop


def _state_shape(count: int):
    """The shape rule of an update of `count` state arrays (the variable and its slots, its first inputs): the
    variable's shape, which its slots must have too, and which the gradient must broadcast to. As in TF's Apply*
    ops, the gradient follows the slots and the learning rate."""

    def rule(var, *inputs, **_):
        for shape in inputs[: count - 1]:
            _assign_shape(var, shape)
        grad = inputs[count]
        if var is not None and grad is not None:
            try:
                fits = compatible(broadcast_shape(var, grad), var)
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"a gradient of shape {tuple(grad)} cannot update a variable of shape {tuple(var)}")
        return var

    return rule


# --------------------------------------------------------------------------------------------------------------------
# Adam


@defop("ApplyAdam", shape=_state_shape(3), ref="update", updates=3)
def apply_adam(var, m, v, lr_t, grad, var_out=None, m_out=None, v_out=None, *, beta1, beta2, epsilon):
    """Adam's step for `var` and its moments `m`, `v` (TF-1's ApplyAdam): m ← m + (g − m)(1 − β1);
    v ← v + (g² − v)(1 − β2); var ← var − lr_t · m / (√v + ε), where `lr_t` has the bias correction folded in."""
    return updates.adam(var, m, v, lr_t, grad, beta1, beta2, epsilon, out=(var_out, m_out, v_out))


# --------------------------------------------------------------------------------------------------------------------
# Gradient descent, momentum, RMSProp, Adagrad


@defop("ApplyGradientDescent", shape=_state_shape(1), ref="update")
def apply_gradient_descent(var, lr, grad, var_out=None):
    """var ← var − lr · grad (TF-1's ApplyGradientDescent). Two numpy passes, in the variable's dtype: a compiled
    loop would save one pass, not worth loading a compiler (about 100 MB) for plain gradient descent."""
    _keeps_shape(var, grad, broadcast=True)
    return np.subtract(var, np.multiply(lr, grad), out=var_out)


@defop("ApplyMomentum", shape=_state_shape(2), ref="update", updates=2)
def apply_momentum(var, accum, lr, grad, momentum, var_out=None, accum_out=None, *, use_nesterov=False):
    """accum ← momentum · accum + grad; var ← var − lr · accum, or with `use_nesterov`
    var ← var − (lr · grad + lr · momentum · accum) (TF-1's ApplyMomentum)."""
    return updates.momentum(var, accum, lr, grad, momentum, use_nesterov, out=(var_out, accum_out))


@defop("ApplyAdagrad", shape=_state_shape(2), ref="update", updates=2)
def apply_adagrad(var, accum, lr, grad, var_out=None, accum_out=None):
    """accum ← accum + grad²; var ← var − lr · grad / √accum (TF-1's ApplyAdagrad)."""
    return updates.adagrad(var, accum, lr, grad, out=(var_out, accum_out))


@defop("ApplyRMSProp", shape=_state_shape(3), ref="update", updates=3)
def apply_rmsprop(var, ms, mom, lr, grad, var_out=None, ms_out=None, mom_out=None, *, decay, momentum, epsilon):
    """ms ← ms + (grad² − ms)(1 − decay); mom ← momentum · mom + lr · grad / √(ms + ε); var ← var − mom
    (TF-1's ApplyRMSProp)."""
    return updates.rmsprop(var, ms, mom, lr, grad, decay, momentum, epsilon, out=(var_out, ms_out, mom_out))


@defop("ApplyCenteredRMSProp", shape=_state_shape(4), ref="update", updates=4)
def apply_centered_rmsprop(
    var, ms, mg, mom, lr, grad, var_out=None, ms_out=None, mg_out=None, mom_out=None, *, decay, momentum, epsilon
):
    """RMSProp with ms − mg² in place of ms, where mg ← mg + (grad − mg)(1 − decay) is the running mean of the
    gradient (TF-1's ApplyCenteredRMSProp)."""
    out = (var_out, ms_out, mg_out, mom_out)
    return updates.centered_rmsprop(var, ms, mg, mom, lr, grad, decay, momentum, epsilon, out=out)
