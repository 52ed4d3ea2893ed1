"""Minibatches and label encoding for training loops: `batches()` slices aligned arrays into (optionally shuffled)
batches; `one_hot()` turns class labels into one-hot rows.

Shuffling draws from its own `np.random.default_rng(seed)`, never from the global `np.random` state, so a seeded loop
gives the same batches every run and does not disturb other random streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["batches", "num_batches", "one_hot"]

Array = np.ndarray


def num_batches(n: int, batch_size: int, drop_remainder: bool = False) -> int:
    """The number of batches one epoch over `n` examples yields.

    Args:
        n: Number of examples (>= 0).
        batch_size: Examples per batch (>= 1).
        drop_remainder: Whether a last, smaller batch is dropped rather than yielded.

    Returns:
        `n // batch_size` if `drop_remainder`, else `ceil(n / batch_size)`.

    Raises:
        ValueError: `n` is negative or `batch_size` is not a positive integer.
    """
    _check_positive_int(batch_size, "batch_size")
    if not _is_int(n) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return n // batch_size if drop_remainder else -(-n // batch_size)


def batches(
    *arrays: ArrayLike,
    batch_size: int,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    drop_remainder: bool = False,
    epochs: int | None = 1,
) -> Iterator[tuple[Array, ...]]:
    """Yields aligned minibatches of `arrays`, epoch after epoch.

    Every epoch visits each example exactly once (only the last, smaller batch is left out if `drop_remainder`),
    in a fresh random order when `shuffle`. The arguments are checked when `batches` is called, not when the first
    batch is requested.

    Example::

        for x_batch, y_batch in batches(x_train, y_train, batch_size=128, seed=0, epochs=5):
            sess.run(train_op, {x: x_batch, y: y_batch})

    Args:
        *arrays: One or more arrays with the same first dimension N (examples along axis 0).
        batch_size: Examples per batch (>= 1).
        shuffle: Whether to visit the examples in a new random order each epoch. If False, batches are views of
            consecutive rows; if True, they are copies.
        seed: Seed or `np.random.Generator` for the shuffling; None draws fresh entropy.
        drop_remainder: Whether to drop the last batch of an epoch when it has fewer than `batch_size` examples.
        epochs: Number of passes over the data (>= 1), or None to repeat forever.

    Yields:
        A tuple with one slice per array, of shape (B, ...) with B = `batch_size` except perhaps at an epoch's end.
        It is a tuple even for a single array: `for (x_batch,) in batches(x, batch_size=32)`.

    Raises:
        ValueError: No arrays are given, an array has no first dimension, the arrays differ in length, `batch_size`
            or `epochs` is not a positive integer, or `epochs` is None but an epoch would yield no batch.
    """
    if not arrays:
        raise ValueError("batches() needs at least one array")
    arrays = tuple(np.asarray(a) for a in arrays)
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise ValueError(f"arrays[{i}] is a scalar; every array needs a first (example) dimension")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        shapes = ", ".join(f"arrays[{i}]: {a.shape}" for i, a in enumerate(arrays))
        raise ValueError(f"arrays must have the same first dimension, got {shapes}")
    _check_positive_int(batch_size, "batch_size")
    if epochs is not None:
        _check_positive_int(epochs, "epochs")
    n = lengths[0]
    per_epoch = num_batches(n, batch_size, drop_remainder)
    if epochs is None and per_epoch == 0:
        # Repeating forever over epochs that yield nothing would hang the caller's loop.
        raise ValueError(
            f"epochs=None with {n} examples, batch_size={batch_size} and drop_remainder={drop_remainder} would "
            "loop forever without yielding a batch"
        )
    rng = np.random.default_rng(seed) if shuffle else None
    return _generate(arrays, n, batch_size, per_epoch, rng, epochs)


def _generate(
    arrays: tuple[Array, ...],
    n: int,
    batch_size: int,
    per_epoch: int,
    rng: np.random.Generator | None,
    epochs: int | None,
) -> Iterator[tuple[Array, ...]]:
    epoch = 0
    while epochs is None or epoch < epochs:
        order = rng.permutation(n) if rng is not None else None
        for b in range(per_epoch):
            lo, hi = b * batch_size, min((b + 1) * batch_size, n)
            if order is None:
                yield tuple(a[lo:hi] for a in arrays)
            else:
                index = order[lo:hi]
                yield tuple(a[index] for a in arrays)
        epoch += 1


def _is_int(value: object) -> bool:
    # bool is an int subclass, but batch_size=True is a bug, not a batch of one.
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_positive_int(value: object, name: str) -> None:
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def one_hot(labels: ArrayLike, num_classes: int = 10, dtype: DTypeLike = np.float32) -> Array:
    """Turns integer class labels into one-hot rows.

    Args:
        labels: Integer labels of any shape, each in [0, num_classes).
        num_classes: Number of classes, the length of each row.
        dtype: dtype of the result.

    Returns:
        Array of shape `labels.shape + (num_classes,)`, 1 at each label's index and 0 elsewhere.

    Raises:
        TypeError: `labels` are not integers.
        ValueError: `num_classes` is not a positive integer, or a label lies outside [0, num_classes).
    """
    labels = np.asarray(labels)
    if labels.size == 0:
        labels = labels.astype(np.intp)  # np.asarray([]) is float64, yet an empty list holds no bad label
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {labels.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    if labels.size:
        low, high = labels.min(), labels.max()
        if low < 0 or high >= num_classes:
            raise ValueError(f"labels must lie in [0, {num_classes}); found {low if low < 0 else high}")
    return np.eye(num_classes, dtype=dtype)[labels]


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
