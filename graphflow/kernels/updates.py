"""Optimizer updates as compiled loops: one pass over a variable and its slots computes all their new values, where
numpy would make a dozen passes over the variable's memory. Each loop is the optimizer's equations (TF-1's Apply*
ops) in the variable's dtype, in the operand order of the numpy reference registered with it, so the two agree bit
for bit; other float dtypes (float16) are computed in float32 and rounded back.

Each driver takes the state (the variable and its slots), the learning rate, the gradient and the hyperparameters,
and `out`: one array per state array to write the new value into (None for a new one). It never writes into the
state itself, so a run that fails later leaves the variables as they were.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphflow.kernels.base import Kernel, compute_dtype, jit, register

Out = Sequence[np.ndarray | None] | None


def _update(
    kernel: Callable[..., None], state: Sequence[np.ndarray], reads: Sequence[Any], scalars: Sequence[Any], buffers: Out
) -> tuple[np.ndarray, ...]:
    """Runs `kernel(*state, *reads, *scalars, *new_state)` on flat arrays and returns the new state.

    `state` is the variable and its slots; their new values go into `buffers` (one per state array, None for a new
    array). `reads` (the gradient) are broadcast to the variable's shape; `scalars` are cast to its dtype.
    """
    buffers = [None] * len(state) if buffers is None else buffers
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


def _example(count: int, extra: tuple = ()) -> Callable[[np.random.Generator, np.dtype], tuple]:
    """Inputs for an update of `count` state arrays: random state (slots positive, as squares' averages are), a
    learning rate, a gradient, then `extra` hyperparameters."""

    def example(rng: np.random.Generator, dtype: np.dtype) -> tuple:
        state = [rng.standard_normal((9, 4)).astype(dtype)]
        state += [(rng.random((9, 4)) * 0.1).astype(dtype) for _ in range(count - 1)]
        return (*state, dtype.type(0.03), rng.standard_normal((9, 4)).astype(dtype), *extra)

    return example


@jit
def _adam(var, m, v, grad, lr_t, one_minus_beta1, one_minus_beta2, epsilon, new_var, new_m, new_v):
    for i in range(var.size):
        g = grad[i]
        m_i = m[i] + (g - m[i]) * one_minus_beta1
        v_i = v[i] + (g * g - v[i]) * one_minus_beta2
        new_m[i] = m_i
        new_v[i] = v_i
        new_var[i] = var[i] - m_i * lr_t / (np.sqrt(v_i) + epsilon)


def adam(var, m, v, lr_t, grad, beta1, beta2, epsilon, out: Out = None) -> tuple[np.ndarray, ...]:
    """Adam's step (TF-1's ApplyAdam): m ← m + (g − m)(1 − β1); v ← v + (g² − v)(1 − β2);
    var ← var − lr_t · m / (√v + ε), where `lr_t` has the bias correction folded in. Returns (var, m, v)."""
    one, beta1, beta2, epsilon = _in_dtype(compute_dtype(var.dtype), 1, beta1, beta2, epsilon)
    return _update(_adam, (var, m, v), (grad,), (lr_t, one - beta1, one - beta2, epsilon), out)


def _adam_reference(var, m, v, lr_t, grad, beta1, beta2, epsilon):
    c = var.dtype.type
    m = m + (grad - m) * (c(1) - c(beta1))
    v = v + (grad * grad - v) * (c(1) - c(beta2))
    return var - m * lr_t / (np.sqrt(v) + c(epsilon)), m, v


register(Kernel("adam", adam, _adam_reference, _example(3, (0.9, 0.999, 1e-8))))


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


def momentum(var, accum, lr, grad, momentum, use_nesterov=False, out: Out = None) -> tuple[np.ndarray, ...]:
    """accum ← momentum · accum + grad; var ← var − lr · accum, or with `use_nesterov`
    var ← var − (lr · grad + lr · momentum · accum) (TF-1's ApplyMomentum). Returns (var, accum)."""
    kernel = _nesterov_momentum if use_nesterov else _momentum
    return _update(kernel, (var, accum), (grad,), (lr, momentum), out)


def _momentum_reference(var, accum, lr, grad, momentum, use_nesterov=False):
    mu = var.dtype.type(momentum)
    a = accum * mu + grad
    return (var - (grad * lr + a * mu * lr) if use_nesterov else var - a * lr), a


register(Kernel("momentum", momentum, _momentum_reference, _example(2, (0.9, False))))
register(Kernel("nesterov_momentum", momentum, _momentum_reference, _example(2, (0.9, True))))


@jit
def _adagrad(var, accum, grad, lr, new_var, new_accum):
    for i in range(var.size):
        g = grad[i]
        a = accum[i] + g * g
        new_accum[i] = a
        new_var[i] = var[i] - lr * g / np.sqrt(a)


def adagrad(var, accum, lr, grad, out: Out = None) -> tuple[np.ndarray, ...]:
    """accum ← accum + grad²; var ← var − lr · grad / √accum (TF-1's ApplyAdagrad). Returns (var, accum)."""
    return _update(_adagrad, (var, accum), (grad,), (lr,), out)


def _adagrad_reference(var, accum, lr, grad):
    a = accum + grad * grad
    return var - lr * grad / np.sqrt(a), a


register(Kernel("adagrad", adagrad, _adagrad_reference, _example(2)))


@jit
def _rmsprop(var, ms, mom, grad, lr, one_minus_decay, momentum, epsilon, new_var, new_ms, new_mom):
    for i in range(var.size):
        g = grad[i]
        s = ms[i] + (g * g - ms[i]) * one_minus_decay
        p = mom[i] * momentum + lr * g / np.sqrt(s + epsilon)
        new_ms[i] = s
        new_mom[i] = p
        new_var[i] = var[i] - p


def rmsprop(var, ms, mom, lr, grad, decay, momentum, epsilon, out: Out = None) -> tuple[np.ndarray, ...]:
    """ms ← ms + (grad² − ms)(1 − decay); mom ← momentum · mom + lr · grad / √(ms + ε); var ← var − mom
    (TF-1's ApplyRMSProp). Returns (var, ms, mom)."""
    return _update(_rmsprop, (var, ms, mom), (grad,), (lr, 1.0 - decay, momentum, epsilon), out)


def _rmsprop_reference(var, ms, mom, lr, grad, decay, momentum, epsilon):
    c = var.dtype.type
    s = ms + (grad * grad - ms) * c(1.0 - decay)
    p = mom * c(momentum) + lr * grad / np.sqrt(s + c(epsilon))
    return var - p, s, p


register(Kernel("rmsprop", rmsprop, _rmsprop_reference, _example(3, (0.95, 0.9, 1e-6))))


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


def centered_rmsprop(var, ms, mg, mom, lr, grad, decay, momentum, epsilon, out: Out = None) -> tuple[np.ndarray, ...]:
    """RMSProp with ms − mg² in place of ms, where mg ← mg + (grad − mg)(1 − decay) is the running mean of the
    gradient (TF-1's ApplyCenteredRMSProp). Returns (var, ms, mg, mom)."""
    return _update(_centered_rmsprop, (var, ms, mg, mom), (grad,), (lr, 1.0 - decay, momentum, epsilon), out)


def _centered_rmsprop_reference(var, ms, mg, mom, lr, grad, decay, momentum, epsilon):
    c = var.dtype.type
    s = ms + (grad * grad - ms) * c(1.0 - decay)
    a = mg + (grad - mg) * c(1.0 - decay)
    p = mom * c(momentum) + lr * grad / np.sqrt(s - a * a + c(epsilon))
    return var - p, s, a, p


register(Kernel("centered_rmsprop", centered_rmsprop, _centered_rmsprop_reference, _example(4, (0.95, 0.9, 1e-6))))
