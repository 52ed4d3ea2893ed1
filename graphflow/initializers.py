"""Initializers for variables (TF-1 `tf.initializers`): callables `init(shape, dtype)` that build the initial value.

Random initializers build random ops, so they draw from the graph's seed (`set_random_seed`) and never touch numpy's
global random state.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphflow import dtypes, registry
from graphflow.nodes import Node
from graphflow.ops.random import random_normal, random_uniform, truncated_normal
from graphflow.shapes import as_shape

__all__ = [
    "Constant",
    "Initializer",
    "Ones",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "constant_initializer",
    "glorot_normal",
    "glorot_normal_initializer",
    "glorot_uniform",
    "glorot_uniform_initializer",
    "he_normal",
    "he_uniform",
    "ones",
    "ones_initializer",
    "random_normal_initializer",
    "random_uniform_initializer",
    "truncated_normal_initializer",
    "variance_scaling_initializer",
    "zeros",
    "zeros_initializer",
]

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it keeps the truncated draws' variance.
_TRUNCATED_STDDEV = 0.87962566103423978


class Initializer:
    """Base class of initializers: `init(shape, dtype=None)` returns a node that produces the initial value.

    Examples:
        >>> init = gf.initializers.constant(0.5)
        >>> gf.Session().run(init([2]))
        array([0.5, 0.5], dtype=float32)
    """

    dtype: np.dtype = dtypes.float32

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Node:
        raise NotImplementedError  # each subclass defines how it builds the value

    def _dtype(self, dtype: Any) -> np.dtype:
        return dtypes.as_dtype(dtype) or self.dtype


class Constant(Initializer):
    """Every element set to `value` (TF-1 `constant_initializer`).

    Args:
        value: a number, or an array that broadcasts to the variable's shape.
        dtype: the default dtype of the values.
    """

    def __init__(self, value: float = 0.0, dtype: Any = dtypes.float32) -> None:
        self.value, self.dtype = value, dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Node:
        value = np.broadcast_to(np.asarray(self.value, dtype=self._dtype(dtype)), tuple(as_shape(shape)))
        return registry.constant(value, name="Const")


class Zeros(Constant):
    """Every element 0 (TF-1 `zeros_initializer`): the usual bias initializer."""

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        super().__init__(0.0, dtype)


class Ones(Constant):
    """Every element 1 (TF-1 `ones_initializer`): e.g. batch normalisation's scale."""

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        super().__init__(1.0, dtype)


class RandomNormal(Initializer):
    """Draws from N(mean, stddev²) (TF-1 `random_normal_initializer`).

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: the op seed (see `gf.set_random_seed`).
        dtype: the default dtype of the values.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None, dtype: Any = dtypes.float32):
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Node:
        return random_normal(shape, self.mean, self.stddev, self._dtype(dtype), seed=self.seed)


class TruncatedNormal(RandomNormal):
    """Draws from N(mean, stddev²), redrawing values more than 2 stddev from the mean (TF-1
    `truncated_normal_initializer`). Takes `RandomNormal`'s arguments."""

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Node:
        return truncated_normal(shape, self.mean, self.stddev, self._dtype(dtype), seed=self.seed)


class RandomUniform(Initializer):
    """Draws uniformly from [minval, maxval) (TF-1 `random_uniform_initializer`).

    Args:
        minval: the lower bound, included.
        maxval: the upper bound, excluded.
        seed: the op seed (see `gf.set_random_seed`).
        dtype: the default dtype of the values.
    """

    def __init__(self, minval: float = 0.0, maxval: float = 1.0, seed: int | None = None, dtype: Any = dtypes.float32):
        self.minval, self.maxval, self.seed, self.dtype = minval, maxval, seed, dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Node:
        return random_uniform(shape, self.minval, self.maxval, self._dtype(dtype), seed=self.seed)


class VarianceScaling(Initializer):
    """Draws with variance `scale / n`, n the fan-in, fan-out or their mean (TF-1 `variance_scaling_initializer`).

    Args:
        scale: the variance numerator (1 for Glorot, 2 for He).
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal" (or the TF-1 alias "normal"), "untruncated_normal" or "uniform".
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("normal", "truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                f"distribution must be 'truncated_normal', 'untruncated_normal' or 'uniform', got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.seed, self.dtype = seed, dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Node:
        dims = tuple(as_shape(shape))
        fan_in, fan_out = _fans(dims)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        dtype = self._dtype(dtype)
        if self.distribution in ("normal", "truncated_normal"):
            return truncated_normal(dims, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_normal(dims, 0.0, math.sqrt(variance), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * variance)
        return random_uniform(dims, -limit, limit, dtype, seed=self.seed)


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform(seed: int | None = None, dtype: Any = dtypes.float32) -> VarianceScaling:
    """Uniform in ±sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010); `layers.dense`'s default kernel init.

    Args:
        seed: the op seed (see `gf.set_random_seed`).
        dtype: the default dtype of the values.

    Returns:
        A `VarianceScaling` initializer.
    """
    return VarianceScaling(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal(seed: int | None = None, dtype: Any = dtypes.float32) -> VarianceScaling:
    """Truncated normal with variance 2 / (fan_in + fan_out) (Glorot and Bengio 2010).

    Args:
        seed: the op seed (see `gf.set_random_seed`).
        dtype: the default dtype of the values.

    Returns:
        A `VarianceScaling` initializer.
    """
    return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed: int | None = None, dtype: Any = dtypes.float32) -> VarianceScaling:
    """Truncated normal with variance 2 / fan_in (He et al. 2015), suited to ReLU layers.

    Args:
        seed: the op seed (see `gf.set_random_seed`).
        dtype: the default dtype of the values.

    Returns:
        A `VarianceScaling` initializer.
    """
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed, dtype)


def he_uniform(seed: int | None = None, dtype: Any = dtypes.float32) -> VarianceScaling:
    """Uniform in ±sqrt(6 / fan_in) (He et al. 2015), suited to ReLU layers.

    Args:
        seed: the op seed (see `gf.set_random_seed`).
        dtype: the default dtype of the values.

    Returns:
        A `VarianceScaling` initializer.
    """
    return VarianceScaling(2.0, "fan_in", "uniform", seed, dtype)


# TF-1 spellings, as in `tf.initializers.zeros()` and `tf.zeros_initializer()`.
zeros = zeros_initializer = Zeros
ones = ones_initializer = Ones
constant = constant_initializer = Constant
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = glorot_uniform
glorot_normal_initializer = glorot_normal


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
