"""MNIST loader (graphflow.datasets.mnist), minibatches (graphflow.data) and the TF-1 input_data shim.

The shipped files are read once per module; every other file is a small IDX file written into tmp_path, so the
error paths are exercised on files whose defect is known. Crafted gzip files (300 KB that would inflate to 300 MiB,
built with tests/bombs.py) check that a refused load costs no more memory than the file.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import logging
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from bombs import MIB, PeakAllocation, deflate_bomb, gzip_bomb

from graphflow.data import batches, num_batches
from graphflow.datasets import mnist
from graphflow.datasets.mnist import ChecksumError, MNISTFormatError
from graphflow.examples.tutorials.mnist import input_data

NAMES = list(mnist.SHA256)  # train images, train labels, test images, test labels
TRAIN_HISTOGRAM = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
IDX_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


@pytest.fixture(scope="module")
def shipped():
    """The bundled data, loaded once with `$GRAPHFLOW_DATA` unset so the default location is the bundled copy."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(mnist.DATA_ENV, raising=False)
        return mnist.load_data()


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype.str[1:]], array.ndim])
    header += b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, compresslevel=1) if gz else data)
    return path


def file_name(name: str, spelling: str) -> str:
    """`name` under one of the layouts load_data searches ("dash", "dot", "MNIST/dot"), relative to the directory."""
    dotted = name.replace("-idx", ".idx")
    return {"dash": name, "dot": dotted, "MNIST/dot": f"MNIST/{dotted}"}[spelling]


def write_small(directory: Path, shipped, n_train=20, n_test=10, spelling="dash", gz=False, **replace) -> dict:
    """Writes the first examples of each split as four IDX files; `replace` maps a name to other file contents."""
    (x_train, y_train), (x_test, y_test) = shipped
    arrays = dict(zip(NAMES, [x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]], strict=True))
    paths = {}
    for name, array in arrays.items():
        suffix = ".gz" if gz else ""
        data = replace.get(name.replace("-", "_"))
        paths[name] = write(
            directory / (file_name(name, spelling) + suffix), idx_bytes(array) if data is None else data, gz
        )
    return paths


# --- the shipped files -------------------------------------------------------------------------------------------


def test_shipped_shapes_and_dtypes(shipped):
    (x_train, y_train), (x_test, y_test) = shipped
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
        assert a.flags.writeable
    assert x_train.min() == 0 and x_train.max() == 255


def test_shipped_labels(shipped):
    (_, y_train), (_, y_test) = shipped
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_HISTOGRAM
    assert np.bincount(y_test, minlength=10).tolist() == TEST_HISTOGRAM


def test_bundled_files_match_the_checksum_table():
    for name, digest in mnist.SHA256.items():
        data = gzip.decompress((mnist.BUNDLED_DIR / f"{name}.gz").read_bytes())
        assert hashlib.sha256(data).hexdigest() == digest
        assert len(data) == 4 + 4 * len(mnist.CANONICAL_SHAPES[name]) + np.prod(mnist.CANONICAL_SHAPES[name])


def test_full_size_files_under_the_other_spelling_plain_and_gzipped(tmp_path, shipped):
    # The originals, verified, found as MNIST/<name>.idxN-ubyte: train gzipped, test decompressed.
    for name in NAMES:
        source = mnist.BUNDLED_DIR / f"{name}.gz"
        target = tmp_path / (file_name(name, "MNIST/dot") + (".gz" if name.startswith("train") else ""))
        target.parent.mkdir(exist_ok=True)
        if name.startswith("train"):
            shutil.copyfile(source, target)
        else:
            target.write_bytes(gzip.decompress(source.read_bytes()))
    loaded = mnist.load_data(tmp_path)
    # np.array_equal rather than assert_array_equal, which takes ~0.25 s per 47 MB array.
    for got, want in zip(itertools.chain(*loaded), itertools.chain(*shipped), strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want)


# --- finding files -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["dash", "dot", "MNIST/dot"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_every_spelling_plain_and_gzipped(tmp_path, shipped, spelling, gz):
    write_small(tmp_path, shipped, spelling=spelling, gz=gz)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(tmp_path)
    (x_train0, y_train0), (x_test0, y_test0) = shipped
    np.testing.assert_array_equal(x_train, x_train0[:20])
    np.testing.assert_array_equal(y_train, y_train0[:20])
    np.testing.assert_array_equal(x_test, x_test0[:10])
    np.testing.assert_array_equal(y_test, y_test0[:10])


def test_search_order_prefers_plain_dash_spelling(tmp_path, shipped):
    write_small(tmp_path, shipped, n_train=5, spelling="MNIST/dot")
    write_small(tmp_path, shipped, n_train=4, spelling="dot", gz=True)
    write_small(tmp_path, shipped, n_train=3, spelling="dot")
    write_small(tmp_path, shipped, n_train=2, spelling="dash", gz=True)
    assert len(mnist.load_data(tmp_path)[0][0]) == 2
    write_small(tmp_path, shipped, n_train=1, spelling="dash")
    assert len(mnist.load_data(tmp_path)[0][0]) == 1


def test_gzip_is_recognised_by_content_not_name(tmp_path, shipped):
    paths = write_small(tmp_path, shipped, spelling="dash")
    # A plain file named .gz, and a gzipped file without the suffix.
    for name, path in paths.items():
        if name.startswith("train"):
            path.rename(path.with_name(path.name + ".gz"))
        else:
            path.write_bytes(gzip.compress(path.read_bytes()))
    assert len(mnist.load_data(tmp_path)[0][0]) == 20


def test_env_var_names_the_default_directory(tmp_path, shipped, monkeypatch):
    write_small(tmp_path, shipped, n_train=7)
    monkeypatch.setenv(mnist.DATA_ENV, str(tmp_path))
    assert len(mnist.load_data()[0][0]) == 7
    monkeypatch.setenv(mnist.DATA_ENV, str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError, match=r"\$GRAPHFLOW_DATA"):
        mnist.load_data()


def test_missing_files_list_every_path_tried(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data(tmp_path)
    message = str(info.value)
    for name in NAMES:
        assert name in message
        dotted = name.replace("-idx", ".idx")
        for relative in (name, dotted, f"MNIST/{dotted}"):
            for suffix in ("", ".gz"):
                assert str(tmp_path / (relative + suffix)) in message


def test_partly_missing_files_name_only_those(tmp_path, shipped):
    paths = write_small(tmp_path, shipped)
    paths["t10k-labels-idx1-ubyte"].unlink()
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data(tmp_path)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte" in message and "train-images-idx3-ubyte" not in message


def test_a_file_as_path_is_rejected(tmp_path):
    npz = write(tmp_path / "mnist.npz", b"PK")
    with pytest.raises(NotADirectoryError, match=r"mnist\.npz"):
        mnist.load_data(npz)


# --- read_idx ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_read_idx_dtype_codes(tmp_path, dtype, gz):
    array = (np.arange(24).reshape(2, 3, 4) * (-1 if dtype[0] in "if" else 1)).astype(dtype)
    if dtype[0] == "f":
        array = (array / 7).astype(dtype)
    path = write(tmp_path / "a.idx", idx_bytes(array), gz)
    got = mnist.read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    assert got.flags.writeable
    np.testing.assert_array_equal(got, array)


def test_read_idx_empty_and_missing(tmp_path):
    assert mnist.read_idx(write(tmp_path / "e.idx", idx_bytes(np.zeros((0, 28, 28), np.uint8)))).shape == (0, 28, 28)
    with pytest.raises(FileNotFoundError):
        mnist.read_idx(tmp_path / "nope.idx")


# --- malformed files ---------------------------------------------------------------------------------------------

GOOD_IMAGES = np.arange(3 * 28 * 28, dtype=np.uint16).reshape(3, 28, 28).astype(np.uint8)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x00\x00", "too short"),
        (b"\x12\x34\x08\x03" + idx_bytes(GOOD_IMAGES)[4:], "bad magic number 0x12340803"),
        (b"\x00\x00\x07\x03" + idx_bytes(GOOD_IMAGES)[4:], "bad magic number 0x00000703"),
        (idx_bytes(GOOD_IMAGES)[:10], "truncated header"),
        (idx_bytes(GOOD_IMAGES)[:-100], "truncated data"),
        (idx_bytes(GOOD_IMAGES) + b"\x00" * 5, "5 unexpected bytes after the data"),
        (gzip.compress(idx_bytes(GOOD_IMAGES))[:-20], "corrupt gzip data"),
    ],
    ids=["short", "magic", "type-code", "header", "truncated", "trailing", "gzip"],
)
def test_read_idx_rejects_malformed_files(tmp_path, data, problem):
    path = write(tmp_path / "bad.idx", data)
    with pytest.raises(MNISTFormatError) as info:
        mnist.read_idx(path)
    assert str(info.value).startswith(str(path))
    assert problem in str(info.value)


def test_truncated_data_says_what_the_header_promised(tmp_path):
    path = write(tmp_path / "x", idx_bytes(GOOD_IMAGES)[: 16 + 28 * 28 * 2 + 5])
    with pytest.raises(MNISTFormatError, match=r"3 x 28 x 28 of uint8, 2352 bytes.*only 1573 bytes.*2 complete items"):
        mnist.read_idx(path)


@pytest.mark.parametrize(
    ("name", "array", "problem"),
    [
        ("train-images-idx3-ubyte", np.zeros(20, np.uint8), "wrong number of dimensions for MNIST images: expected 3"),
        ("train-labels-idx1-ubyte", np.zeros((20, 2), np.uint8), "wrong number of dimensions for MNIST labels"),
        ("t10k-images-idx3-ubyte", np.zeros((10, 28, 28), np.int16), "must be uint8"),
        ("train-labels-idx1-ubyte", np.zeros(19, np.uint8), "train images and labels differ in count"),
        ("t10k-images-idx3-ubyte", np.zeros((11, 28, 28), np.uint8), "test images and labels differ in count"),
    ],
)
def test_load_data_rejects_files_that_do_not_fit_mnist(tmp_path, shipped, name, array, problem):
    paths = write_small(tmp_path, shipped, **{name.replace("-", "_"): idx_bytes(array)})
    with pytest.raises(MNISTFormatError) as info:
        mnist.load_data(tmp_path)
    message = str(info.value)
    assert problem in message
    assert str(paths[name]) in message
    if "count" in problem:  # both files are named
        pair = [n for n in NAMES if n[:4] == name[:4]]
        assert all(str(paths[n]) in message for n in pair)


def test_load_data_reports_bad_magic_with_the_file(tmp_path, shipped):
    paths = write_small(tmp_path, shipped, gz=True, t10k_labels_idx1_ubyte=b"\x00\x00\x08\x00\x05")
    with pytest.raises(MNISTFormatError, match="wrong number of dimensions") as info:
        mnist.load_data(tmp_path)
    assert str(paths["t10k-labels-idx1-ubyte"]) in str(info.value)
    write_small(tmp_path, shipped, gz=True, t10k_labels_idx1_ubyte=b"<!DOCTYPE html>")  # a saved error page
    with pytest.raises(MNISTFormatError, match=r"t10k-labels-idx1-ubyte.gz: bad magic number 0x3C21444F"):
        mnist.load_data(tmp_path)


def test_checksum_mismatch_on_original_sized_labels(tmp_path, shipped):
    (_, y_train), _ = shipped
    labels = y_train.copy()
    labels[123] = (labels[123] + 1) % 10
    paths = write_small(tmp_path, shipped, train_labels_idx1_ubyte=idx_bytes(labels))
    with pytest.raises(ChecksumError) as info:
        mnist.load_data(tmp_path)
    message = str(info.value)
    assert message.startswith(str(paths["train-labels-idx1-ubyte"]))
    assert "checksum mismatch" in message and mnist.SHA256["train-labels-idx1-ubyte"] in message
    assert "verify=False" in message
    assert isinstance(info.value, ValueError)


def test_checksum_mismatch_on_original_sized_images_and_verify_false(tmp_path, shipped):
    (_, y_train), _ = shipped
    paths = write_small(
        tmp_path,
        shipped,
        train_images_idx3_ubyte=idx_bytes(np.zeros((60000, 28, 28), np.uint8)),
        train_labels_idx1_ubyte=idx_bytes(y_train),
    )
    with pytest.raises(ChecksumError, match="verify=False") as info:
        mnist.load_data(tmp_path)
    assert str(paths["train-images-idx3-ubyte"]) in str(info.value)
    (x_train, labels), _ = mnist.load_data(tmp_path, verify=False)
    assert x_train.shape == (60000, 28, 28) and not x_train.any()
    np.testing.assert_array_equal(labels, y_train)


def test_own_data_in_mnist_layout_is_not_checksummed(tmp_path, shipped):
    # Different contents, valid format, non-original dimensions (32 x 32 images): loads with verify on.
    write_small(
        tmp_path,
        shipped,
        train_images_idx3_ubyte=idx_bytes(np.full((20, 32, 32), 7, np.uint8)),
    )
    (x_train, _), _ = mnist.load_data(tmp_path)
    assert x_train.shape == (20, 32, 32) and (x_train == 7).all()


def test_original_count_in_other_dimensions_is_not_checksummed(tmp_path, shipped):
    # MNIST padded to 32 x 32 keeps the original count (60,000) and labels: the user's own data, not a damaged copy.
    (_, y_train), _ = shipped
    write_small(
        tmp_path,
        shipped,
        train_images_idx3_ubyte=idx_bytes(np.full((60000, 32, 32), 3, np.uint8)),
        train_labels_idx1_ubyte=idx_bytes(y_train),
    )
    (x_train, labels), _ = mnist.load_data(tmp_path)
    assert x_train.shape == (60000, 32, 32) and x_train[-1, -1, -1] == 3
    np.testing.assert_array_equal(labels, y_train)


# --- crafted files: refused at the cost of about 1 MiB, however far they would inflate ----------------------------

ZEROS_MIB = 300  # each bomb below is about 300 KB of gzip that would inflate to 300 MiB and more


def _idx_header(*dims: int) -> bytes:
    return bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


def _lying_crc(prefix: bytes, zero_mib: int) -> bytes:
    """A gzip file of `prefix` and `zero_mib` MiB of zeros whose trailer gives the right length but a wrong CRC-32."""
    stream, crc, size = deflate_bomb(prefix, zero_mib)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream + struct.pack("<2L", crc ^ 1, size & 0xFFFFFFFF)


RECOPY = "the file is damaged or incomplete; copy it again from the original"
HOSTILE_GZIPS = [  # the file it replaces, its contents, what the error says, whether read_idx refuses it too
    ("train-labels-idx1-ubyte", lambda: gzip_bomb(_idx_header(60000) + bytes(60000), ZEROS_MIB),
     r"unexpected bytes after the data: the header gives dimensions 60000 of uint8, 60000 bytes of data "
     r"\(decompression stopped there\); " + RECOPY, True),
    ("train-images-idx3-ubyte", lambda: gzip_bomb(_idx_header(60000, 28, 28), ZEROS_MIB),
     r"unexpected bytes after the data: the header gives dimensions 60000 x 28 x 28 of uint8, 47040000 bytes", True),
    ("train-images-idx3-ubyte", lambda: gzip_bomb(_idx_header(1000000, 28, 28), ZEROS_MIB),
     r"784000000 bytes of data, more than a gzip file of 3\d{5} bytes can hold \(DEFLATE expands at most 1032 "
     r"times\); " + RECOPY, True),
    ("train-images-idx3-ubyte", lambda: gzip_bomb(_idx_header(307300, 32, 32), ZEROS_MIB),
     r"truncated data: .* 314675200 bytes of data, but only 314572800 bytes follow the header \(307200 complete "
     r"items of 307300\); " + RECOPY, True),
    ("train-images-idx3-ubyte", lambda: _lying_crc(_idx_header(307200, 32, 32), ZEROS_MIB),
     r"corrupt gzip data \(CRC check failed .*\); " + RECOPY, True),
    ("t10k-labels-idx1-ubyte", lambda: gzip_bomb(_idx_header(10000, 28, 28), ZEROS_MIB),
     r"wrong number of dimensions for MNIST labels: expected 1 \(one per image\), the header gives 3", False),
    ("t10k-labels-idx1-ubyte", lambda: gzip.compress(_idx_header(10000) + bytes(10000)),
     r"checksum mismatch: .* replace it with the original", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "build", "match", "also_read_idx"),
    HOSTILE_GZIPS,
    ids=["labels-run-on", "images-run-on", "more-than-gzip-holds", "data-missing", "crc-wrong", "role", "checksum"],
)
def test_a_crafted_gzip_is_refused_naming_the_file_before_it_costs_more_than_its_size(
    tmp_path, name, build, match, also_read_idx
):
    small = {
        "train-images-idx3-ubyte": np.zeros((2, 28, 28), np.uint8),
        "train-labels-idx1-ubyte": np.zeros(2, np.uint8),
        "t10k-images-idx3-ubyte": np.zeros((1, 28, 28), np.uint8),
        "t10k-labels-idx1-ubyte": np.zeros(1, np.uint8),
    }
    for other, array in small.items():
        write(tmp_path / f"{other}.gz", idx_bytes(array), gz=True)
    data = build()
    assert len(data) < 400_000
    path = write(tmp_path / f"{name}.gz", data)
    for read, where in [(mnist.load_data, tmp_path), *([(mnist.read_idx, path)] if also_read_idx else [])]:
        with PeakAllocation() as peak, pytest.raises(MNISTFormatError, match=match) as info:
            read(where)
        assert str(info.value).startswith(f"{path}: ")
        # Only chunks of the stream are ever held: more than a few MiB over the file would be the bomb going off.
        assert peak.bytes <= len(data) + 8 * MIB, f"{read.__name__} allocated {peak.bytes / MIB:.1f} MiB at its peak"


def test_a_plain_file_of_the_wrong_size_is_refused_before_its_data_is_read(tmp_path):
    path = write(tmp_path / "big", _idx_header(60000, 28, 28) + bytes(47040000 + 7))
    with PeakAllocation() as peak, pytest.raises(MNISTFormatError, match="7 unexpected bytes after the data"):
        mnist.read_idx(path)
    assert peak.bytes < MIB


# --- preprocess and one_hot --------------------------------------------------------------------------------------


def test_preprocess(shipped):
    (x_train, y_train), _ = shipped
    x, y = mnist.preprocess(x_train[:500], y_train[:500])
    assert x.shape == (500, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_allclose(x * 255, x_train[:500].reshape(500, 784), atol=1e-4)
    assert y.shape == (500, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(axis=1), y_train[:500])
    assert (y.sum(axis=1) == 1).all()
    x64, y64 = mnist.preprocess(x_train[:2], y_train[:2], dtype=np.float64)
    assert x64.dtype == y64.dtype == np.float64


def test_preprocess_errors():
    with pytest.raises(TypeError, match="uint8"):
        mnist.preprocess(np.zeros((2, 28, 28), np.float32), np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="same length"):
        mnist.preprocess(np.zeros((2, 28, 28), np.uint8), np.zeros(3, np.uint8))
    with pytest.raises(TypeError, match="floating"):
        mnist.preprocess(np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8), dtype=np.int32)


def test_one_hot():
    np.testing.assert_array_equal(mnist.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert mnist.one_hot(np.array([1], np.uint8)).shape == (1, 10)
    assert mnist.one_hot([], 4).shape == (0, 4)
    with pytest.raises(ValueError, match=r"\[0, 10\); found 10"):
        mnist.one_hot([3, 10])
    with pytest.raises(ValueError, match="found -1"):
        mnist.one_hot([-1, 3])
    with pytest.raises(TypeError, match="integers"):
        mnist.one_hot([0.5])
    with pytest.raises(ValueError, match="num_classes"):
        mnist.one_hot([0], 0)


# --- graphflow.data.batches --------------------------------------------------------------------------------------


def test_num_batches():
    assert num_batches(103, 10) == 11
    assert num_batches(103, 10, drop_remainder=True) == 10
    assert num_batches(100, 10) == num_batches(100, 10, True) == 10
    assert num_batches(0, 10) == 0
    with pytest.raises(ValueError, match="batch_size"):
        num_batches(10, 0)
    with pytest.raises(ValueError, match="n must be"):
        num_batches(-1, 3)


@pytest.mark.parametrize("shuffle", [True, False])
def test_batches_cover_every_example_once_per_epoch(shuffle):
    x = np.arange(103)
    y = np.arange(103) * 2.0
    out = list(batches(x, y, batch_size=10, shuffle=shuffle, seed=1, epochs=3))
    assert len(out) == 3 * 11
    assert [len(xb) for xb, _ in out[:11]] == [10] * 10 + [3]
    epochs = []
    for e in range(3):
        chunk = out[11 * e : 11 * (e + 1)]
        for xb, yb in chunk:
            np.testing.assert_array_equal(yb, 2.0 * xb)  # slices stay aligned
        seen = np.concatenate([xb for xb, _ in chunk])
        assert sorted(seen.tolist()) == list(range(103))
        epochs.append(seen)
    if shuffle:
        assert not np.array_equal(epochs[0], epochs[1])  # a new order each epoch
        assert not np.array_equal(epochs[0], x)
    else:
        np.testing.assert_array_equal(epochs[0], x)


def test_batches_seeded_determinism_and_no_global_state():
    x = np.arange(50).reshape(25, 2)
    np.random.seed(1234)
    state = np.random.get_state()
    run = [xb for (xb,) in batches(x, batch_size=4, seed=7, epochs=2)]
    again = [xb for (xb,) in batches(x, batch_size=4, seed=7, epochs=2)]
    other = [xb for (xb,) in batches(x, batch_size=4, seed=8, epochs=2)]
    assert all(np.array_equal(a, b) for a, b in zip(run, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(run, other, strict=True))
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    rng = np.random.default_rng(7)  # a Generator is accepted as the seed
    assert all(np.array_equal(a, b) for a, (b,) in zip(run, batches(x, batch_size=4, seed=rng, epochs=2), strict=True))


def test_batches_drop_remainder_and_forever():
    sizes = [len(xb) for (xb,) in batches(np.arange(10), batch_size=4, drop_remainder=True, epochs=2, seed=0)]
    assert sizes == [4, 4, 4, 4]
    forever = batches(np.arange(3), batch_size=2, shuffle=False, epochs=None)
    assert [xb.tolist() for (xb,) in itertools.islice(forever, 5)] == [[0, 1], [2], [0, 1], [2], [0, 1]]
    assert list(batches(np.arange(3), batch_size=4, drop_remainder=True)) == []


def test_batches_errors_are_raised_at_call_time():
    x = np.zeros((10, 3))
    for bad in (0, -2, 2.5, True, None):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            batches(x, batch_size=bad)
    with pytest.raises(ValueError, match=r"same first dimension.*arrays\[0\]: \(10, 3\), arrays\[1\]: \(9,\)"):
        batches(x, np.zeros(9), batch_size=2)
    with pytest.raises(ValueError, match="at least one array"):
        batches(batch_size=2)
    with pytest.raises(ValueError, match=r"arrays\[1\] is a scalar"):
        batches(x, 3.0, batch_size=2)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        batches(x, batch_size=2, epochs=0)
    with pytest.raises(ValueError, match="loop forever"):
        batches(x, batch_size=20, drop_remainder=True, epochs=None)


# --- TF-1 input_data shim ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tutorial(shipped):
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(mnist.DATA_ENV, raising=False)
        return input_data.read_data_sets(one_hot=True, seed=0)


@pytest.fixture
def cached_loader(shipped, monkeypatch):
    """Makes load_data() without a path return 6000 + 1000 examples of the module's copy, so shim tests run fast."""
    real = mnist.load_data
    (x_train, y_train), (x_test, y_test) = shipped
    small = (x_train[:6000], y_train[:6000]), (x_test[:1000], y_test[:1000])

    def load(path=None, **kwargs):
        return real(path, **kwargs) if path is not None else small

    monkeypatch.setattr(mnist, "load_data", load)


def test_read_data_sets_shapes_and_one_hot(tutorial, shipped):
    (x_train, y_train), (x_test, y_test) = shipped
    assert (tutorial.train.num_examples, tutorial.validation.num_examples, tutorial.test.num_examples) == (
        55000,
        5000,
        10000,
    )
    for split, x, y in [
        (tutorial.train, x_train[5000:], y_train[5000:]),
        (tutorial.validation, x_train[:5000], y_train[:5000]),
        (tutorial.test, x_test, y_test),
    ]:
        assert split.images.shape == (len(x), 784) and split.images.dtype == np.float32
        assert split.images.min() == 0.0 and split.images.max() == 1.0
        assert split.labels.shape == (len(x), 10) and split.labels.dtype == np.float32
        np.testing.assert_array_equal(split.labels.argmax(1), y)
        np.testing.assert_array_equal(split.images[:3], mnist.preprocess(x[:3], y[:3])[0])
        assert split.epochs_completed == 0
    xs, ys = tutorial.train.next_batch(100)
    assert xs.shape == (100, 784) and ys.shape == (100, 10)


def test_read_data_sets_raw_options(cached_loader):
    sets = input_data.read_data_sets(one_hot=False, dtype=np.uint8, reshape=False, validation_size=0)
    assert sets.train.images.shape == (6000, 28, 28, 1) and sets.train.images.dtype == np.uint8
    assert sets.train.labels.shape == (6000,) and sets.train.labels.dtype == np.uint8
    assert sets.validation.num_examples == 0
    with pytest.raises(ValueError, match="validation_size must be between 0 and 6000"):
        input_data.read_data_sets(validation_size=6001)
    with pytest.raises(TypeError, match="dtype"):
        input_data.read_data_sets(dtype=np.int32)


def test_read_data_sets_reads_train_dir(tmp_path, shipped):
    write_small(tmp_path, shipped, n_train=30, spelling="dash", gz=True)
    sets = input_data.read_data_sets(str(tmp_path), validation_size=10)
    assert (sets.train.num_examples, sets.validation.num_examples, sets.test.num_examples) == (20, 10, 10)
    sets = input_data.read_data_sets(tmp_path, one_hot=True, dtype=np.float64, validation_size=30)
    assert sets.train.images.dtype == sets.train.labels.dtype == np.float64
    assert sets.validation.num_examples == 30 and sets.train.num_examples == 0


def test_read_data_sets_without_files_falls_back_to_the_default_copy(tmp_path, cached_loader, caplog):
    with caplog.at_level(logging.WARNING, logger=input_data.__name__):
        sets = input_data.read_data_sets(tmp_path / "MNIST_data", one_hot=True)
    assert (sets.train.num_examples, sets.validation.num_examples, sets.test.num_examples) == (1000, 5000, 1000)
    assert "MNIST_data" in caplog.text and "nothing is downloaded" in caplog.text


def small_dataset(n=10, seed=0):
    images = np.arange(n, dtype=np.uint8).repeat(4).reshape(n, 2, 2)
    return input_data.DataSet(images, np.arange(n), seed=seed)


def test_next_batch_wraps_around_an_epoch_end():
    data = small_dataset()
    assert data.images.shape == (10, 4) and data.images[1, 0] == np.float32(1) / np.float32(255)
    first = [data.next_batch(4)[1] for _ in range(2)]
    assert data.epochs_completed == 0
    images, labels = data.next_batch(4)  # 2 left in epoch 0, then 2 from epoch 1
    assert data.epochs_completed == 1
    np.testing.assert_allclose(images[:, 0] * 255, labels, atol=1e-4)  # images and labels stay aligned
    epoch0 = np.concatenate([*first, labels[:2]])
    assert sorted(epoch0.tolist()) == list(range(10))
    assert not np.array_equal(epoch0, np.arange(10))  # shuffled
    rest = np.concatenate([labels[2:], data.next_batch(4)[1], data.next_batch(4)[1]])
    assert sorted(rest.tolist()) == list(range(10))  # epoch 1 covers everything once as well
    assert data.epochs_completed == 1
    data.next_batch(1)
    assert data.epochs_completed == 2


def test_next_batch_at_an_exact_epoch_end_counts_the_epoch_on_the_next_call():
    data = small_dataset()
    data.next_batch(5, shuffle=False)
    _, labels = data.next_batch(5, shuffle=False)
    np.testing.assert_array_equal(labels, [5, 6, 7, 8, 9])
    assert data.epochs_completed == 0  # as in TF-1
    _, labels = data.next_batch(3, shuffle=False)
    np.testing.assert_array_equal(labels, [0, 1, 2])
    assert data.epochs_completed == 1


def test_next_batch_without_shuffle_wraps_in_order():
    data = small_dataset()
    got = [data.next_batch(4, shuffle=False)[1].tolist() for _ in range(3)]
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]


def test_next_batch_is_seeded_and_leaves_global_state_alone():
    np.random.seed(99)
    state = np.random.get_state()
    a = [small_dataset(seed=3).next_batch(7)[1].tolist() for _ in range(2)]
    assert a[0] == a[1]
    assert small_dataset(seed=4).next_batch(7)[1].tolist() != a[0]
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_next_batch_rejects_bad_sizes():
    data = small_dataset()
    for bad in (0, 11, 2.0):
        with pytest.raises(ValueError, match="batch_size must be an integer between 1 and num_examples=10"):
            data.next_batch(bad)
    images, _ = data.next_batch(4, False)  # TF-1's second positional parameter, fake_data
    assert len(images) == 4
