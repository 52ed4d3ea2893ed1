"""Fused optimizer updates: one op computes the new values of a variable and of its slots (TF-1's ApplyAdam).

Written with graph ops, Adam's update is a dozen elementwise steps, each one a full pass over the variable's memory.
Here it is one loop over the elements, compiled by numba the first time a plan runs it (and cached on disk), so each
array is read once and each new value written once. The loop is the optimizer's equations, in the variable's dtype:
float32 and float64 run as they are; other float dtypes (float16) are computed in float32 and rounded back.

Like every update, these ops write into the buffers the session hands them (or into new arrays), never into the
variable's current value, so a run that fails later leaves the variables as they were.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.ops._util import broadcast_shape, compatible, compute_dtype, jit
from graphflow.ops.state import _assign_shape, _keeps_shape
from graphflow.registry import defop


def _update(
    kernel: Callable[..., None], state: Sequence[np.ndarray], reads: Sequence[Any], scalars: Sequence[Any], buffers
) -> tuple[np.ndarray, ...]:
    """Runs `kernel(*state, *reads, *scalars, *new_state)` on flat arrays and returns the new state.

    `state` is the variable and its slots; their new values go into `buffers` (one per state array, None for a new
    array). `reads` (the gradient) are broadcast to the variable's shape; `scalars` are cast to its dtype.
    """
    var = state[0]
    dtype = compute_dtype(var.dtype)
    if dtype != var.dtype:  # float16: compute in float32, then round into the variable's dtype
        wide = _update(kernel, [s.astype(dtype) for s in state], reads, scalars, [None] * len(state))
        return tuple(w.astype(var.dtype) if b is None else _copied(b, w) for w, b in zip(wide, buffers, strict=True))
    real = dtype.type
    # The kernel writes through flat views, which only a C-contiguous array has: a buffer in any other layout (the
    # Fortran-ordered result of an earlier numpy update) is left aside, and new arrays are C-ordered whatever the
    # layout of the variable's value.
    new = [
        b if b is not None and b.flags.c_contiguous else np.empty(s.shape, dtype)
        for s, b in zip(state, buffers, strict=True)
    ]
    kernel(
        *[s.reshape(-1) for s in state],
        *[_flat(r, dtype, var.shape) for r in reads],
        *[c if type(c) is real else real(c) for c in scalars],  # most are of the dtype already (see _in_dtype)
        *[n.reshape(-1) for n in new],
    )
    return tuple(new)


@functools.lru_cache(maxsize=256)
def _in_dtype(dtype: np.dtype, *constants: float) -> tuple[np.generic, ...]:
    """An optimizer's constant hyperparameters as scalars of `dtype`, converted once rather than at every step."""
    return tuple(dtype.type(c) for c in constants)


def _flat(array: Any, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """`array` as a flat array of `dtype` with one element per element of `shape` (broadcast if need be)."""
    if type(array) is np.ndarray and array.dtype == dtype and array.shape == shape:
        return array.reshape(-1)
    return np.ravel(np.broadcast_to(np.asarray(array, dtype), shape))


def _copied(buffer: np.ndarray, value: np.ndarray) -> np.ndarray:
    np.copyto(buffer, value, casting="same_kind")
    return buffer


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


@jit
def _adam(var, m, v, grad, lr_t, one_minus_beta1, one_minus_beta2, epsilon, new_var, new_m, new_v):
    for i in range(var.size):
        g = grad[i]
        m_i = m[i] + (g - m[i]) * one_minus_beta1
        v_i = v[i] + (g * g - v[i]) * one_minus_beta2
        new_m[i] = m_i
        new_v[i] = v_i
        new_var[i] = var[i] - m_i * lr_t / (np.sqrt(v_i) + epsilon)


@defop("ApplyAdam", shape=_state_shape(3), ref="update", updates=3)
def apply_adam(var, m, v, lr_t, grad, var_out=None, m_out=None, v_out=None, *, beta1, beta2, epsilon):
    """Adam's step for `var` and its moments `m`, `v` (TF-1's ApplyAdam): m ← m + (g − m)(1 − β1);
    v ← v + (g² − v)(1 − β2); var ← var − lr_t · m / (√v + ε), where `lr_t` has the bias correction folded in."""
    one, beta1, beta2, epsilon = _in_dtype(compute_dtype(var.dtype), 1, beta1, beta2, epsilon)
    scalars = (lr_t, one - beta1, one - beta2, epsilon)
    return _update(_adam, (var, m, v), (grad,), scalars, (var_out, m_out, v_out))


# --------------------------------------------------------------------------------------------------------------------
# Gradient descent, momentum, RMSProp, Adagrad


@defop("ApplyGradientDescent", shape=_state_shape(1), ref="update")
def apply_gradient_descent(var, lr, grad, var_out=None):
    """var ← var − lr · grad (TF-1's ApplyGradientDescent). Two numpy passes, in the variable's dtype: a compiled
    loop would save one pass, not worth loading a compiler (about 100 MB) for plain gradient descent."""
    _keeps_shape(var, grad, broadcast=True)
    return np.subtract(var, np.multiply(lr, grad), out=var_out)


@jit
def _momentum(var, accum, grad, lr, momentum, new_var, new_accum):
    for i in range(var.size):
        a = accum[i] * momentum + grad[i]
        new_accum[i] = a
        new_var[i] = var[i] - a * lr


@jit
def _nesterov_momentum(var, accum, grad, lr, momentum, new_var, new_accum):
    for i in range(var.size):
        a = accum[i] * momentum + grad[i]
        new_accum[i] = a
        new_var[i] = var[i] - (grad[i] * lr + a * momentum * lr)


@defop("ApplyMomentum", shape=_state_shape(2), ref="update", updates=2)
def apply_momentum(var, accum, lr, grad, momentum, var_out=None, accum_out=None, *, use_nesterov=False):
    """accum ← momentum · accum + grad; var ← var − lr · accum, or with `use_nesterov`
    var ← var − (lr · grad + lr · momentum · accum) (TF-1's ApplyMomentum)."""
    kernel = _nesterov_momentum if use_nesterov else _momentum
    return _update(kernel, (var, accum), (grad,), (lr, momentum), (var_out, accum_out))


@jit
def _adagrad(var, accum, grad, lr, new_var, new_accum):
    for i in range(var.size):
        g = grad[i]
        a = accum[i] + g * g
        new_accum[i] = a
        new_var[i] = var[i] - lr * g / np.sqrt(a)


@defop("ApplyAdagrad", shape=_state_shape(2), ref="update", updates=2)
def apply_adagrad(var, accum, lr, grad, var_out=None, accum_out=None):
    """accum ← accum + grad²; var ← var − lr · grad / √accum (TF-1's ApplyAdagrad)."""
    return _update(_adagrad, (var, accum), (grad,), (lr,), (var_out, accum_out))


@jit
def _rmsprop(var, ms, mom, grad, lr, one_minus_decay, momentum, epsilon, new_var, new_ms, new_mom):
    for i in range(var.size):
        g = grad[i]
        s = ms[i] + (g * g - ms[i]) * one_minus_decay
        p = mom[i] * momentum + lr * g / np.sqrt(s + epsilon)
        new_ms[i] = s
        new_mom[i] = p
        new_var[i] = var[i] - p


@defop("ApplyRMSProp", shape=_state_shape(3), ref="update", updates=3)
def apply_rmsprop(var, ms, mom, lr, grad, var_out=None, ms_out=None, mom_out=None, *, decay, momentum, epsilon):
    """ms ← ms + (grad² − ms)(1 − decay); mom ← momentum · mom + lr · grad / √(ms + ε); var ← var − mom
    (TF-1's ApplyRMSProp)."""
    scalars = (lr, 1.0 - decay, momentum, epsilon)
    return _update(_rmsprop, (var, ms, mom), (grad,), scalars, (var_out, ms_out, mom_out))


@jit
def _centered_rmsprop(var, ms, mg, mom, grad, lr, one_minus_decay, momentum, epsilon, new_var, new_ms, new_mg, new_mom):
    for i in range(var.size):
        g = grad[i]
        s = ms[i] + (g * g - ms[i]) * one_minus_decay
        a = mg[i] + (g - mg[i]) * one_minus_decay
        p = mom[i] * momentum + lr * g / np.sqrt(s - a * a + epsilon)
        new_ms[i] = s
        new_mg[i] = a
        new_mom[i] = p
        new_var[i] = var[i] - p


@defop("ApplyCenteredRMSProp", shape=_state_shape(4), ref="update", updates=4)
def apply_centered_rmsprop(
    var, ms, mg, mom, lr, grad, var_out=None, ms_out=None, mg_out=None, mom_out=None, *, decay, momentum, epsilon
):
    """RMSProp with ms − mg² in place of ms, where mg ← mg + (grad − mg)(1 − decay) is the running mean of the
    gradient (TF-1's ApplyCenteredRMSProp)."""
    scalars = (lr, 1.0 - decay, momentum, epsilon)
    return _update(_centered_rmsprop, (var, ms, mg, mom), (grad,), scalars, (var_out, ms_out, mg_out, mom_out))
