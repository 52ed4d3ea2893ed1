"""TF-1's `tensorflow.examples.tutorials.mnist.input_data`, so old tutorials run with only their imports changed.

`read_data_sets()` returns `Datasets(train, validation, test)`, three `DataSet`s whose `next_batch()` hands out batches
exactly as TF-1's did: shuffled each epoch, and a batch that crosses an epoch's end is the rest of that epoch followed
by the start of the next. The files are read by `graphflow.datasets.mnist.load_data()`. Differences from TF-1:
nothing is downloaded (a `train_dir` without the files falls back to the bundled copy and logs a warning); shuffling
draws from each DataSet's own generator, never from the global `np.random` state; `.images` and `.labels` keep their
original order (TF-1 reordered them in place). `fake_data=True` gives TF-1's fake data for unit tests: every
image all ones, every label 0, and 10000 examples per split.
"""

from __future__ import annotations

import logging
import math
import os
from numbers import Integral
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from graphflow.datasets import mnist

__all__ = ["DataSet", "Datasets", "read_data_sets"]

logger = logging.getLogger(__name__)

Array = np.ndarray


class DataSet:
    """One split of MNIST (or any images and labels) with TF-1's `next_batch()`.

    Args:
        images: uint8 pixel values 0..255, shape (N, rows, cols) or (N, rows, cols, 1).
        labels: Labels, shape (N,) or (N, num_classes); stored as given.
        dtype: uint8 keeps the raw pixel values; a floating dtype scales them to [0, 1].
        reshape: Whether images become rows of shape (N, rows * cols); otherwise they have shape (N, rows, cols, 1),
            as in TF-1.
        seed: Seed, `np.random.SeedSequence` or `np.random.Generator` for the shuffling; None draws fresh entropy.

    Raises:
        TypeError: `images` are not uint8, or `dtype` is neither uint8 nor floating.
        ValueError: `images` and `labels` differ in length.
    """

    def __init__(
        self,
        images: ArrayLike,
        labels: ArrayLike,
        *,
        dtype: DTypeLike = np.float32,
        reshape: bool = True,
        seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    ) -> None:
        images, labels = np.asarray(images), np.asarray(labels)
        dtype = np.dtype(dtype)
        if images.dtype != np.uint8:
            raise TypeError(f"images must be uint8 pixel values 0..255, got dtype {images.dtype}")
        if dtype != np.uint8 and dtype.kind != "f":
            raise TypeError(f"dtype must be uint8 (raw pixels) or a floating dtype (scaled to [0, 1]), got {dtype}")
        if images.ndim < 2 or len(images) != len(labels):
            raise ValueError(
                f"images and labels must have the same length, got shapes {images.shape} and {labels.shape}"
            )
        if reshape:
            images = images.reshape(len(images), math.prod(images.shape[1:]))
        elif images.ndim == 3:
            images = images[..., np.newaxis]
        if dtype.kind == "f":
            images = images.astype(dtype)
            images /= 255  # exact at 255, so pixels span [0, 1] inclusive
        self._images = images
        self._labels = labels
        self._num_examples = len(images)
        self._rng = np.random.default_rng(seed)
        # next_batch() walks `_order`, a permutation of row indices, instead of reordering the arrays as TF-1 did:
        # the batches are the same, without copying every image each epoch.
        self._order = np.arange(self._num_examples)
        self._index_in_epoch = 0
        self._epochs_completed = 0

    @property
    def images(self) -> Array:
        """All images in their original order: (N, rows * cols) if reshaped, else (N, rows, cols, 1)."""
        return self._images

    @property
    def labels(self) -> Array:
        """All labels in their original order: uint8 (N,), or one-hot (N, num_classes)."""
        return self._labels

    @property
    def num_examples(self) -> int:
        """Number of examples N."""
        return self._num_examples

    @property
    def epochs_completed(self) -> int:
        """Number of epochs finished; it counts up when a batch reaches past an epoch's last example."""
        return self._epochs_completed

    def next_batch(self, batch_size: int, fake_data: bool = False, shuffle: bool = True) -> tuple[Array, Array]:
        """Returns the next `batch_size` examples, as TF-1's `DataSet.next_batch` did.

        With `shuffle`, the first call draws a random order and each epoch's end draws a new one. A batch that runs
        past the end of an epoch holds the epoch's remaining examples followed by the first ones of the next epoch,
        so every batch has exactly `batch_size` examples and each epoch covers every example once.

        Args:
            batch_size: Number of examples, 1 <= batch_size <= num_examples.
            fake_data: Whether to return TF-1's fake batch instead: images of ones, labels 0 (one-hot if the
                labels are one-hot), drawing nothing from the data.
            shuffle: Whether to draw a new order at the start and at each epoch's end; if False from the first call,
                examples come in their stored order.

        Returns:
            `(images, labels)`, each with `batch_size` rows.

        Raises:
            ValueError: `batch_size` is not an integer in [1, num_examples].
        """
        if fake_data:
            return _fake_batch(batch_size, self._images.shape[1:], self._images.dtype, self._labels.shape[1:],
                               self._labels.dtype)  # fmt: skip
        n = self._num_examples
        if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be an integer between 1 and num_examples={n}, got {batch_size!r}")
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._order = self._rng.permutation(n)
        if start + batch_size > n:
            self._epochs_completed += 1
            rest = self._order[start:]
            if shuffle:
                self._order = self._rng.permutation(n)
            self._index_in_epoch = batch_size - len(rest)
            index = np.concatenate([rest, self._order[: self._index_in_epoch]])
        else:
            self._index_in_epoch = start + batch_size
            index = self._order[start : self._index_in_epoch]
        return self._images[index], self._labels[index]

    def __repr__(self) -> str:
        return (
            f"DataSet(num_examples={self._num_examples}, images={self._images.shape} {self._images.dtype}, "
            f"labels={self._labels.shape} {self._labels.dtype}, epochs_completed={self._epochs_completed})"
        )


class Datasets(NamedTuple):
    """The three splits `read_data_sets()` returns, TF-1's `base.Datasets`."""

    train: DataSet
    validation: DataSet
    test: DataSet


def read_data_sets(
    train_dir: str | os.PathLike | None = None,
    fake_data: bool = False,
    one_hot: bool = False,
    dtype: DTypeLike = np.float32,
    reshape: bool = True,
    validation_size: int = 5000,
    seed: int | None = None,
    source_url: str | None = None,
) -> Datasets:
    """Loads MNIST as TF-1's `input_data.read_data_sets` did: train, validation and test `DataSet`s.

    The validation set is the first `validation_size` training examples, and the train set the rest (55000 and 5000
    with the defaults), as in TF-1.

    Args:
        train_dir: Directory with the four IDX files (see `graphflow.datasets.mnist.load_data` for the names looked
            for). None reads `$GRAPHFLOW_DATA` or the bundled copy. Tutorials pass a download directory such as
            "MNIST_data/"; since nothing is downloaded, a directory without the files falls back to the default
            location, with a logged warning.
        fake_data: Whether to return TF-1's fake data sets (for unit tests) instead of reading MNIST: 10000
            examples each, every image all ones, every label 0.
        one_hot: Whether labels are one-hot rows of 10 (float32, or float64 if `dtype` is float64) instead of uint8.
        dtype: np.float32 (or another floating dtype) scales pixels to [0, 1]; np.uint8 keeps 0..255.
        reshape: Whether images are rows of 784 rather than (28, 28, 1) arrays.
        validation_size: Number of training examples set aside for validation, 0 <= validation_size <= 60000.
        seed: Seed for the three DataSets' shuffling (each gets its own independent stream); None for fresh entropy.
        source_url: Where TF-1 downloaded from; accepted and not used, since nothing is downloaded.

    Returns:
        `Datasets(train, validation, test)`.

    Raises:
        FileNotFoundError: The files are missing from the default location too.
        graphflow.datasets.mnist.MNISTFormatError: A file is malformed or fails its checksum.
        ValueError: `validation_size` is out of range.
        TypeError: `dtype` is neither uint8 nor floating.
    """
    if fake_data:
        return _fake_data_sets(one_hot, np.dtype(dtype), reshape, seed)
    try:
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data(train_dir)
    except FileNotFoundError:
        if train_dir is None:
            raise
        # TF-1 downloaded missing files into train_dir; graphflow never downloads, so the nearest equivalent is
        # the copy it ships with.
        logger.warning(
            "no MNIST files in %s; reading graphflow's default copy instead (nothing is downloaded)", train_dir
        )
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data()

    if (
        not isinstance(validation_size, Integral)
        or isinstance(validation_size, bool)
        or not 0 <= validation_size <= len(train_images)
    ):
        raise ValueError(f"validation_size must be between 0 and {len(train_images)}, got {validation_size!r}")
    dtype = np.dtype(dtype)
    if one_hot:
        label_dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
        train_labels = mnist.one_hot(train_labels, 10, label_dtype)
        test_labels = mnist.one_hot(test_labels, 10, label_dtype)

    seeds = np.random.SeedSequence(seed).spawn(3)
    options = {"dtype": dtype, "reshape": reshape}
    return Datasets(
        train=DataSet(train_images[validation_size:], train_labels[validation_size:], seed=seeds[0], **options),
        validation=DataSet(train_images[:validation_size], train_labels[:validation_size], seed=seeds[1], **options),
        test=DataSet(test_images, test_labels, seed=seeds[2], **options),
    )


FAKE_EXAMPLES = 10000  # TF-1's fake DataSet's num_examples


def _fake_data_sets(one_hot: bool, dtype: np.dtype, reshape: bool, seed: int | None) -> Datasets:
    """TF-1's `read_data_sets(fake_data=True)`: three DataSets of all-ones images labelled 0."""
    images = np.full((FAKE_EXAMPLES, 28, 28), 255, np.uint8)  # scaled to 1.0 by a floating dtype, as TF-1's ones
    labels = np.zeros(FAKE_EXAMPLES, np.uint8)
    if one_hot:
        labels = mnist.one_hot(labels, 10, dtype if dtype.kind == "f" else np.dtype(np.float32))
    seeds = np.random.SeedSequence(seed).spawn(3)
    return Datasets(*(DataSet(images, labels, dtype=dtype, reshape=reshape, seed=s) for s in seeds))


def _fake_batch(batch_size: int, image_shape: tuple, image_dtype: np.dtype, label_shape: tuple,
                label_dtype: np.dtype) -> tuple[Array, Array]:  # fmt: skip
    images = np.full((batch_size, *image_shape), 255 if image_dtype == np.uint8 else 1, image_dtype)
    labels = np.zeros((batch_size, *label_shape), label_dtype)
    if label_shape:
        labels[:, 0] = 1
    return images, labels
