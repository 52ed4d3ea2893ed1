"""MNIST handwritten digits, read from the original IDX files (plain or gzipped) and checked against their SHA-256.

`load_data()` returns the four uint8 arrays that `tf.keras.datasets.mnist.load_data()` returns. It reads them from a
directory you pass, else from the directory in the `GRAPHFLOW_DATA` environment variable, else from the copy bundled
in `graphflow/datasets/data`. `read_idx()` reads any IDX file, and `preprocess()` and `one_hot()` turn the raw arrays
into what a dense network is fed. Nothing here touches the network, and importing the module reads no files.

Each file is read as a bounded stream (`graphflow.datasets.idx`): its header first, held against what that file must
be (images 3-D, labels 1-D, both uint8), then exactly the bytes the header promises, so a crafted or damaged file is
refused at the cost of about 1 MiB, however far it would inflate.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from graphflow.data import one_hot
from graphflow.datasets.idx import IdxFile, MNISTFormatError, read_idx

__all__ = [
    "BUNDLED_DIR",
    "CANONICAL_SHAPES",
    "DATA_ENV",
    "SHA256",
    "ChecksumError",
    "MNISTFormatError",
    "load_data",
    "one_hot",
    "preprocess",
    "read_idx",
]

Array = np.ndarray
PathLike = str | os.PathLike

DATA_ENV = "GRAPHFLOW_DATA"
"""Environment variable naming the directory `load_data()` reads when it is given no path."""

BUNDLED_DIR = Path(__file__).resolve().parent / "data"
"""The directory holding the copy of MNIST shipped with graphflow (the four original gzipped files)."""

# Hashes of the *decompressed* files, so a file verifies whether it is stored plain or gzipped, and whatever
# compressor produced the .gz (the bundled copies are recompressed, so their .gz bytes differ from Yann LeCun's).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# Only a file whose header claims the original's dimensions is checked against SHA256: that is a copy of MNIST that
# has been damaged, whereas a file with other dimensions is the user's own data in MNIST's layout and still loads.
CANONICAL_SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}


class ChecksumError(MNISTFormatError):
    """A file with the original MNIST dimensions whose decompressed contents do not match the published SHA-256."""


def load_data(path: PathLike | None = None, *, verify: bool = True) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    """Loads MNIST from the original IDX files, like `tf.keras.datasets.mnist.load_data()`.

    Each of the four files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
    `t10k-labels-idx1-ubyte`) is looked for in the directory under these names, and the first that exists is read
    (shown for the training images; plain and gzipped files are told apart by their contents):

        1. directory/train-images-idx3-ubyte
        2. directory/train-images-idx3-ubyte.gz
        3. directory/train-images.idx3-ubyte
        4. directory/train-images.idx3-ubyte.gz
        5. directory/MNIST/train-images.idx3-ubyte
        6. directory/MNIST/train-images.idx3-ubyte.gz

    Every file is checked for a well-formed IDX header and as many bytes as the header promises. A file whose header
    gives the original dimensions (60000 or 10000 items of 28 x 28) must also match the original's SHA-256, computed
    on the decompressed contents; files with other dimensions (your own data in MNIST's layout) are read unchecked.

    Args:
        path: Directory holding the files. If None, the directory in the `GRAPHFLOW_DATA` environment variable,
            or if that is unset or empty, the copy bundled with graphflow (`BUNDLED_DIR`).
        verify: Whether to compare the original-sized files with their SHA-256 (about 0.1 s for all four).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape (N, rows, cols), (60000, 28, 28) and
        (10000, 28, 28) for MNIST, and uint8 labels of shape (N,).

    Raises:
        FileNotFoundError: A file is not found; the message lists every path tried.
        NotADirectoryError: `path` is a file (this loader does not read Keras's `mnist.npz`).
        MNISTFormatError: A file is malformed: bad magic number, wrong number of dimensions, not uint8, truncated,
            or images and labels differ in count. `ChecksumError`, a subclass, for a checksum mismatch.
    """
    if path is not None:
        directory, source = Path(path).expanduser(), "the path given"
    elif os.environ.get(DATA_ENV):
        directory, source = Path(os.environ[DATA_ENV]).expanduser(), f"${DATA_ENV}"
    else:
        directory, source = BUNDLED_DIR, "the copy bundled with graphflow"
    if directory.is_file():
        raise NotADirectoryError(
            f"{directory}: load_data() expects the directory holding the IDX files, not a file "
            "(Keras's mnist.npz is not read)"
        )
    files = _locate(directory, source)
    train = _load_split("train", files, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", verify)
    test = _load_split("test", files, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", verify)
    return train, test


def preprocess(
    images: ArrayLike, labels: ArrayLike, num_classes: int = 10, dtype: DTypeLike = np.float32
) -> tuple[Array, Array]:
    """Turns raw MNIST arrays into what a dense network is fed: pixel rows in [0, 1] and one-hot labels.

    Args:
        images: uint8 pixel values 0..255, shape (N, rows, cols) (any shape with N first).
        labels: Integer labels, shape (N,).
        num_classes: Length of each one-hot row.
        dtype: Floating dtype of both results.

    Returns:
        `(x, y)`: `x` of shape (N, rows * cols), pixel / 255, so 0 maps to 0.0 and 255 to exactly 1.0; `y` of shape
        (N, num_classes), one-hot.

    Raises:
        TypeError: `images` are not uint8 (already scaled images would be scaled twice), or `dtype` is not floating.
        ValueError: `images` and `labels` differ in length, or a label is out of range.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    dtype = np.dtype(dtype)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8 pixel values 0..255, got dtype {images.dtype} (already preprocessed?)")
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    if images.ndim < 1 or labels.ndim < 1 or len(images) != len(labels):
        raise ValueError(f"images and labels must have the same length, got shapes {images.shape} and {labels.shape}")
    # Divide rather than multiply by 1/255: division is exact at 255, so the largest pixel is exactly 1.0.
    x = images.reshape(len(images), math.prod(images.shape[1:])).astype(dtype)
    x /= 255
    return x, one_hot(labels, num_classes, dtype)


def _candidates(directory: Path, name: str) -> list[Path]:
    """The paths `name` (for example "train-images-idx3-ubyte") is looked for at, in search order."""
    dotted = name.replace("-idx", ".idx")
    places = [directory / name, directory / dotted, directory / "MNIST" / dotted]
    return [candidate for place in places for candidate in (place, place.with_name(place.name + ".gz"))]


def _locate(directory: Path, source: str) -> dict[str, Path]:
    """Finds all four files before reading any, so a missing one is reported with every path tried."""
    found, tried = {}, []
    for name in SHA256:
        candidates = _candidates(directory, name)
        hit = next((candidate for candidate in candidates if candidate.is_file()), None)
        if hit is None:
            tried.extend(candidates)
        else:
            found[name] = hit
    if tried:
        missing = ", ".join(name for name in SHA256 if name not in found)
        listing = "".join(f"\n  {candidate}" for candidate in tried)
        raise FileNotFoundError(
            f"MNIST file(s) {missing} not found in {directory} ({source}); tried:{listing}\n"
            "Put the original IDX files there (plain or .gz), or call load_data() with no path and "
            f"{DATA_ENV} unset to use the copy bundled with graphflow."
        )
    return found


def _load_split(
    split: str, files: dict[str, Path], images_name: str, labels_name: str, verify: bool
) -> tuple[Array, Array]:
    # Both headers are held against their roles before the data of either is read. The counts are compared last,
    # so that a damaged file is reported as such even when it also gives the wrong count.
    images, labels = _checked(files[images_name], images_name), _checked(files[labels_name], labels_name)
    image_values, label_values = _read(images, images_name, verify), _read(labels, labels_name, verify)
    if len(image_values) != len(label_values):
        raise MNISTFormatError(
            f"{files[images_name]}: {split} images and labels differ in count: this file has {len(image_values)} "
            f"images, {files[labels_name]} has {len(label_values)} labels"
        )
    return image_values, label_values


def _checked(path: Path, name: str) -> IdxFile:
    """The file found for `name` (a key of SHA256), once its header shows it fits that role."""
    idx = IdxFile(path)
    shape, dtype = idx.header.shape, idx.header.dtype
    kind, ndim, layout = ("images", 3, "images x rows x cols") if "images" in name else ("labels", 1, "one per image")
    if len(shape) != ndim:
        raise MNISTFormatError(
            f"{path}: wrong number of dimensions for MNIST {kind}: expected {ndim} ({layout}), the header gives "
            f"{len(shape)} {shape}"
        )
    if dtype != np.uint8:
        raise MNISTFormatError(f"{path}: MNIST {kind} must be uint8 (type code 0x08), the header gives {dtype.name}")
    return idx


def _read(idx: IdxFile, name: str, verify: bool) -> Array:
    """The file's values; with `verify`, a file of the original dimensions must have the original's SHA-256."""

    def check(digest: str) -> None:
        if digest != SHA256[name]:
            raise ChecksumError(
                f"{idx.path}: checksum mismatch: the header gives the dimensions of the original {name} "
                f"{idx.header.shape}, but the SHA-256 of the decompressed contents is {digest}, not {SHA256[name]}. "
                "The file is damaged or modified; replace it with the original, or pass verify=False to load it "
                "anyway."
            )

    return idx.read(check if verify and idx.header.shape == CANONICAL_SHAPES[name] else None)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
