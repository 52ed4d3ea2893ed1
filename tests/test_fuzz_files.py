"""Random corruptions of checkpoint and IDX files: a clear error naming the file, never a crash, a hang or wrong values.

Corruptions: truncation at a random point, 1-4 flipped bytes at random positions, an overwritten header (wrong
magic), bytes inserted, deleted or appended, and files of random garbage. Every read runs under a deadline (a hang
fails the test), and only the documented error types may escape: `CheckpointError` and `MNISTFormatError` (both
ValueErrors) or `FileNotFoundError`, each with the file's path in its message.

What is promised, and asserted exactly:

* Checkpoints (`gf.train.Saver`): every corruption is caught, because the file ends in a SHA-256 of all its other
  bytes. `restore` raises `CheckpointError` (with `.path`) and changes no variable. A file whose checksum was
  recomputed after the damage ("forged": a buggy writer, not bit rot) cannot be caught by the checksum; it must
  still be refused with `CheckpointError` or restore values of exactly the declared shapes and dtypes.
* IDX files (`read_idx`, `load_data`): IDX has no checksum, so `read_idx` is held to an independent parser
  (`reference_idx`): it raises `MNISTFormatError` exactly when the bytes are not a well-formed IDX file (bad magic,
  unknown type code, or a payload that is not the size the header promises), and otherwise returns exactly the array
  the bytes describe. From that follow the guarantees for a flipped byte in the header: in the two zero bytes of the
  magic, always caught; in a dimension, always caught when no dimension is 0 (the payload size no longer matches);
  in the type code, caught unless it becomes another code of the same item size (uint8 <-> int8, int32 <-> float32),
  which no format without a checksum can notice; in the dimension count, usually but not always caught (the payload's
  first bytes can happen to read as a consistent header). Truncating or appending to a plain file is always caught.
  A flipped byte in the payload of a plain file is not detectable: the result has the right shape and dtype and
  differs from the original in exactly the elements holding flipped bytes. Gzipped files carry a CRC-32: any
  corruption is caught or decompresses to exactly the original values. `load_data` adds MNIST's own rules (uint8,
  3 or 1 dimensions, as many labels as images), so with at least one image of at least 1x1 pixels every flipped
  header byte is caught (an insertion or deletion can still shift zero bytes of the payload into a consistent header,
  e.g. 1 image of 4x0 pixels); and a file with the original MNIST dimensions must match the SHA-256 of the original,
  so any corruption of one is caught.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzzing import CaseCounter, fuzz_settings
from hypothesis import assume, given, note
from hypothesis import strategies as st

import graphflow as gf
from graphflow.datasets import mnist
from graphflow.train import checkpoint as checkpoint_module
from graphflow.train.saver import CheckpointError

COUNTS = CaseCounter()
counted = COUNTS.counted


DEADLINE = 10.0  # seconds for one read of a file of a few kilobytes: far beyond any honest parse


class Hang(BaseException):
    """Raised by the deadline; a BaseException, so no `except Exception` in the code under test can swallow it."""


@contextlib.contextmanager
def deadline(seconds: float = DEADLINE) -> Iterator[None]:
    """Fails the test with `Hang` if the block runs longer than `seconds` (POSIX main thread; elsewhere unguarded)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------------------------------------------------
# Corruptions


@dataclass
class Corruption:
    kind: str
    apply: Callable[[bytes], bytes]
    detail: str
    flipped: tuple[int, ...] = ()  # positions of flipped bytes, for the "flip" kind

    def __repr__(self) -> str:
        return f"Corruption({self.kind}: {self.detail})"


@st.composite
def corruptions(draw: Any, size: int, header: int = 0, kinds: tuple[str, ...] | None = None) -> Corruption:
    """A random change to a file of `size` bytes whose first `header` bytes are its header."""
    kinds = kinds or ("truncate", "flip", "flip", "header", "insert", "delete", "append", "garbage")
    kind = draw(st.sampled_from(kinds))
    if kind == "truncate":
        n = draw(st.integers(0, size - 1))
        return Corruption(kind, lambda d: d[:n], f"keep the first {n} of {size} bytes")
    if kind == "flip":
        region = draw(st.sampled_from(["anywhere", "header", "payload"])) if header else "anywhere"
        lo, hi = {"anywhere": (0, size - 1), "header": (0, header - 1), "payload": (header, size - 1)}[region]
        if lo > hi:
            lo, hi = 0, size - 1
        positions = tuple(draw(st.lists(st.integers(lo, hi), min_size=1, max_size=4, unique=True)))
        masks = [draw(st.integers(1, 255)) for _ in positions]

        def flip(d: bytes) -> bytes:
            out = bytearray(d)
            for p, m in zip(positions, masks, strict=True):
                out[p] ^= m
            return bytes(out)

        return Corruption(kind, flip, f"xor {dict(zip(positions, masks, strict=True))}", positions)
    if kind == "header":
        n = draw(st.integers(1, max(1, min(size, header or 16))))
        junk = draw(st.binary(min_size=n, max_size=n))
        return Corruption(kind, lambda d: junk + d[n:], f"first {n} bytes replaced by {junk!r}")
    if kind == "insert":
        at = draw(st.integers(0, size))
        junk = draw(st.binary(min_size=1, max_size=16))
        return Corruption(kind, lambda d: d[:at] + junk + d[at:], f"{junk!r} inserted at {at}")
    if kind == "delete":
        at = draw(st.integers(0, size - 1))
        n = draw(st.integers(1, 16))
        return Corruption(kind, lambda d: d[:at] + d[at + n :], f"{n} bytes deleted at {at}")
    if kind == "append":
        junk = draw(st.binary(min_size=1, max_size=64))
        return Corruption(kind, lambda d: d + junk, f"{junk!r} appended")
    prefix = draw(st.sampled_from([b"", b"PK\x03\x04", b"\x1f\x8b", b"\x00\x00\x08\x01", b"\x00\x00\x08\x03"]))
    junk = prefix + draw(st.binary(max_size=2 * size))
    return Corruption("garbage", lambda d: junk, f"{len(junk)} bytes of garbage starting {junk[:8]!r}")


# --------------------------------------------------------------------------------------------------------------------
# Checkpoints


class CheckpointCase:
    """A saved checkpoint of variables of several dtypes and shapes, and a session to restore damaged copies into."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        rng = np.random.default_rng(0)
        self.graph = gf.Graph()
        with self.graph.as_default():
            initial = {
                "kernel": rng.standard_normal((3, 4)).astype(np.float32),
                "bias": rng.standard_normal(4),
                "global_step": np.int64(7),
                "counts": rng.integers(-5, 5, (2, 3)).astype(np.int32),
                "mask": np.array([True, False, True]),
                "pixels": rng.integers(0, 255, (2, 2)).astype(np.uint8),
                "empty": np.zeros((0,), np.float32),
            }
            self.variables = [gf.Variable(value, name=name) for name, value in initial.items()]
            self.saver = gf.train.Saver(self.variables)
            with gf.Session() as sess:
                self.saved = sess.run(self.variables)
                self.prefix = self.saver.save(sess, str(folder / "model.ckpt"), global_step=7)
            self.sess = gf.Session()
            self.sentinel = [np.full(v.shape, 3, v.dtype) for v in self.saved]
            for var, value in zip(self.variables, self.sentinel, strict=True):
                var.load(value, self.sess)
        self.original = Path(self.prefix + ".npz").read_bytes()
        self.state_text = (folder / "checkpoint").read_bytes()
        self.damaged = folder / "damaged.ckpt.npz"

    def state(self) -> list[np.ndarray]:
        return self.sess.run(self.variables)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> CheckpointCase:
    return CheckpointCase(tmp_path_factory.mktemp("checkpoints"))


def _assert_arrays_identical(expected: list[np.ndarray], got: list[np.ndarray], what: str) -> None:
    for e, g in zip(expected, got, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape, what
        np.testing.assert_array_equal(g, e, err_msg=what)


def _forge_checksum(data: bytes) -> bytes:
    """The file with its SHA-256 trailer recomputed, as if the damage had happened before the checksum was taken."""
    return data[:-64] + hashlib.sha256(data[:-64]).hexdigest().encode("ascii")


def _restore(case: CheckpointCase, data: bytes) -> CheckpointError | None:
    case.damaged.write_bytes(data)
    try:
        with deadline():
            case.saver.restore(case.sess, str(case.damaged))
    except CheckpointError as e:
        assert e.path == str(case.damaged), e.path
        assert str(case.damaged) in str(e), str(e)
        return e
    return None


def test_the_undamaged_checkpoint_restores_exactly(checkpoint):
    assert _restore(checkpoint, checkpoint.original) is None
    _assert_arrays_identical(checkpoint.saved, checkpoint.state(), "restored")
    assert _restore(checkpoint, _forge_checksum(checkpoint.original)) is None  # forging an intact file is a no-op
    for var, value in zip(checkpoint.variables, checkpoint.sentinel, strict=True):
        var.load(value, checkpoint.sess)


@fuzz_settings(max_examples=300)
@given(data=st.data())
@counted
def test_every_corruption_of_a_checkpoint_is_caught_and_changes_nothing(checkpoint, data):
    corruption = data.draw(corruptions(len(checkpoint.original), header=30))
    damaged = corruption.apply(checkpoint.original)
    assume(damaged != checkpoint.original)  # e.g. a deletion past the end: nothing to detect, and not counted
    note(repr(corruption))
    error = _restore(checkpoint, damaged)
    assert error is not None, f"{corruption} was not detected"
    _assert_arrays_identical(checkpoint.sentinel, checkpoint.state(), "variables after a refused restore")
    COUNTS[f"checkpoint corruptions caught ({corruption.kind})"] += 1


@fuzz_settings(max_examples=200)
@given(data=st.data())
@counted
def test_a_forged_checksum_is_refused_or_restores_the_declared_shapes_and_dtypes(checkpoint, data):
    body = len(checkpoint.original) - checkpoint_module._TRAILER
    corruption = data.draw(corruptions(body, header=30, kinds=("flip", "flip", "flip", "header")))
    damaged = _forge_checksum(corruption.apply(checkpoint.original[:body]) + checkpoint.original[body:])
    note(repr(corruption))
    error = _restore(checkpoint, damaged)
    state = checkpoint.state()
    if error is not None:
        _assert_arrays_identical(checkpoint.sentinel, state, "variables after a refused restore")
        COUNTS["forged checkpoints refused by the format checks"] += 1
        return
    for var, value in zip(checkpoint.variables, state, strict=True):
        assert value.dtype == var.dtype and value.shape == tuple(var.shape), var.op.name
    for var, value in zip(checkpoint.variables, checkpoint.sentinel, strict=True):
        var.load(value, checkpoint.sess)
    COUNTS["forged checkpoints restored with the declared shapes and dtypes"] += 1


@fuzz_settings(max_examples=100)
@given(data=st.data())
@counted
def test_a_damaged_state_file_gives_a_checkpoint_error_or_an_existing_checkpoint(checkpoint, data):
    state_file = checkpoint.folder / "checkpoint"
    corruption = data.draw(corruptions(len(checkpoint.state_text)))
    note(repr(corruption))
    state_file.write_bytes(corruption.apply(checkpoint.state_text))
    try:
        with deadline():
            latest = gf.train.latest_checkpoint(str(checkpoint.folder))
    except CheckpointError as e:
        assert str(state_file) in str(e), str(e)
        COUNTS["state file corruptions caught"] += 1
    else:
        # Still valid JSON of the right form (a changed timestamp, say): whatever it names must exist.
        assert latest is None or os.path.isfile(latest + ".npz"), latest
        COUNTS["state file corruptions harmless"] += 1
    finally:
        state_file.write_bytes(checkpoint.state_text)


# --------------------------------------------------------------------------------------------------------------------
# IDX files


IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def reference_idx(data: bytes) -> np.ndarray | None:
    """The array an IDX file describes, or None if the bytes are not a well-formed IDX file."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        return None
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        return None
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[data[2]])
    if len(data) - header != math.prod(shape) * dtype.itemsize:
        return None
    if math.prod(d for d in shape if d) * dtype.itemsize >= 2**63:
        return None  # empty, but with a dimension too large for numpy to make even an empty array
    return np.frombuffer(data, dtype, offset=header).reshape(shape)


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.dtype(IDX_TYPES[code])).tobytes()


def _same_values(got: np.ndarray, expected: np.ndarray) -> bool:
    """Bit for bit (NaN payloads included), after bringing the big-endian reference to native order."""
    native = expected.astype(expected.dtype.newbyteorder("="))
    return got.dtype == native.dtype and got.shape == native.shape and got.tobytes() == native.tobytes()


@dataclass
class IdxFile:
    code: int
    shape: tuple[int, ...]
    plain: bytes  # the uncompressed file
    gz: bool

    @property
    def data(self) -> bytes:
        return gzip.compress(self.plain, mtime=0) if self.gz else self.plain

    @property
    def header(self) -> int:
        return 4 + 4 * len(self.shape)

    @property
    def array(self) -> np.ndarray:
        return reference_idx(self.plain)


@st.composite
def idx_files(draw: Any, nonzero: bool = False) -> IdxFile:
    code = draw(st.sampled_from(sorted(IDX_TYPES)))
    shape = tuple(draw(st.lists(st.integers(1 if nonzero else 0, 4), max_size=3)))
    itemsize = np.dtype(IDX_TYPES[code]).itemsize
    payload = draw(st.binary(min_size=math.prod(shape) * itemsize, max_size=math.prod(shape) * itemsize))
    plain = bytes([0, 0, code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape) + payload
    return IdxFile(code, shape, plain, gz=draw(st.sampled_from([False, False, True])))


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("idx")


def _read(path: Path) -> np.ndarray | mnist.MNISTFormatError:
    try:
        with deadline():
            return mnist.read_idx(path)
    except mnist.MNISTFormatError as e:
        assert str(e).startswith(f"{path}: "), str(e)
        return e


def _flips_only_in_payload(corruption: Corruption, header: int) -> bool:
    return corruption.kind == "flip" and all(p >= header for p in corruption.flipped)


SAME_ITEMSIZE = {0x08: 0x09, 0x09: 0x08, 0x0C: 0x0D, 0x0D: 0x0C}


@fuzz_settings(max_examples=600)
@given(data=st.data())
@counted
def test_read_idx_agrees_with_the_reference_parser_on_any_corruption(idx_dir, data):
    idx = data.draw(idx_files())
    original = idx.data
    corruption = data.draw(corruptions(len(original), header=0 if idx.gz else idx.header))
    damaged = corruption.apply(original)
    note(f"{idx}\n{corruption!r}")
    path = idx_dir / ("damaged.gz" if idx.gz else "damaged")
    path.write_bytes(damaged)
    got = _read(path)

    if idx.gz and damaged[:2] == b"\x1f\x8b":
        # gzip's CRC-32 stands between the damage and the values: refused, or exactly the original.
        assert isinstance(got, mnist.MNISTFormatError) or _same_values(got, idx.array), got
        COUNTS["idx gzip: caught" if isinstance(got, Exception) else "idx gzip: harmless (original values)"] += 1
        return
    expected = reference_idx(damaged)
    if expected is None:
        assert isinstance(got, mnist.MNISTFormatError), f"malformed IDX bytes were read as {got!r}"
        COUNTS["idx plain: malformed, caught"] += 1
    else:
        assert not isinstance(got, Exception), f"a well-formed IDX file was refused: {got}"
        assert _same_values(got, expected)
        COUNTS["idx plain: well-formed, read exactly"] += 1

    # The guarantees that follow, for a flip in the plain file.
    if corruption.kind != "flip" or idx.gz:
        if corruption.kind in ("truncate", "append") and not idx.gz:
            assert isinstance(got, mnist.MNISTFormatError)
        return
    if _flips_only_in_payload(corruption, idx.header):
        assert got.shape == idx.shape and got.dtype == idx.array.dtype.newbyteorder("=")
        itemsize = got.dtype.itemsize
        touched = {(p - idx.header) // itemsize for p in corruption.flipped}
        bits = got.reshape(-1).view(f"u{itemsize}"), idx.array.reshape(-1).view(f">u{itemsize}")
        differs = set(np.flatnonzero(bits[0] != bits[1]))
        assert differs == touched, (differs, touched)
        COUNTS["idx plain: payload flips (undetectable, exactly located)"] += 1
        return
    flipped = set(corruption.flipped)
    magic = bool(flipped & {0, 1})
    ndim = 3 in flipped  # no promise: the payload's first bytes may read as a consistent header
    empty = 0 in idx.shape  # no payload: neither the item size nor the other dimensions can be checked
    code = 2 in flipped and (damaged[2] not in IDX_TYPES or (not empty and damaged[2] != SAME_ITEMSIZE.get(idx.code)))
    dims = any(4 <= p < idx.header for p in flipped) and not empty
    if magic or (not ndim and (code or dims)):
        assert isinstance(got, mnist.MNISTFormatError), f"the header flip {corruption} was not caught"
        COUNTS["idx plain: header flips, caught as promised"] += 1


def test_an_empty_idx_file_with_enormous_dimensions_is_refused_naming_it(idx_dir):
    """Found by the fuzzer: 0 x 2**31 x 2**31 items need no payload, but numpy cannot shape even an empty array so."""
    path = idx_dir / "enormous"
    path.write_bytes(bytes([0, 0, 0x0E, 3]) + b"".join(d.to_bytes(4, "big") for d in (2**31, 0, 2**31)))
    with pytest.raises(mnist.MNISTFormatError) as info:
        mnist.read_idx(path)
    assert str(info.value).startswith(f"{path}: ")
    assert reference_idx(path.read_bytes()) is None


def test_read_idx_of_a_missing_file_names_it(idx_dir):
    missing = idx_dir / "no-such-file-idx1-ubyte"
    with pytest.raises(FileNotFoundError) as info:
        mnist.read_idx(missing)
    assert str(missing) in str(info.value)


# --------------------------------------------------------------------------------------------------------------------
# load_data on small files in MNIST's layout, and on a file of the original size


NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@st.composite
def mnist_folders(draw: Any) -> dict[str, bytes]:
    """The four files of a tiny MNIST (1-3 images of 1-4 x 1-4 pixels per split), as IDX bytes."""
    files = {}
    for split in ("train", "t10k"):
        n, rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
        images = np.frombuffer(draw(st.binary(min_size=n * rows * cols, max_size=n * rows * cols)), np.uint8)
        labels = np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)), np.uint8)
        files[f"{split}-images-idx3-ubyte"] = idx_bytes(images.reshape(n, rows, cols), 0x08)
        files[f"{split}-labels-idx1-ubyte"] = idx_bytes(labels, 0x08)
    return files


@pytest.fixture(scope="module")
def mnist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mnist")


@fuzz_settings(max_examples=300)
@given(data=st.data())
@counted
def test_load_data_catches_every_header_corruption_and_reads_payload_flips_exactly(mnist_dir, data):
    files = data.draw(mnist_folders())
    name = data.draw(st.sampled_from(NAMES))
    header = 16 if "images" in name else 8
    corruption = data.draw(corruptions(len(files[name]), header=header))
    damaged = corruption.apply(files[name])
    note(f"{name}: {corruption!r}")
    for key, content in files.items():
        (mnist_dir / key).write_bytes(damaged if key == name else content)
    path = mnist_dir / name
    try:
        with deadline():
            (x_train, y_train), (x_test, y_test) = mnist.load_data(mnist_dir)
    except mnist.MNISTFormatError as e:
        assert str(path) in str(e), str(e)
        assert damaged != files[name]
        COUNTS[f"load_data: caught ({corruption.kind})"] += 1
        return
    loaded = dict(zip(NAMES, (x_train, y_train, x_test, y_test), strict=True))
    # Garbage, or bytes shifted by an insertion or deletion, may happen to form a well-formed file that fits MNIST's
    # layout (a zero-filled payload read as dimensions); it is then held to the reference parser like any file.
    undetectable = _flips_only_in_payload(corruption, header) or corruption.kind in ("garbage", "insert", "delete")
    assert damaged == files[name] or undetectable, f"{corruption} was not caught"
    for key, array in loaded.items():
        expected = reference_idx(damaged if key == name else files[key])
        assert expected is not None, f"{key} is malformed but was loaded"
        assert array.dtype == np.uint8 and _same_values(array, expected), key
    COUNTS["load_data: payload flips read exactly (undetectable)"] += 1


@dataclass
class CanonicalDir:
    folder: Path
    labels: bytes = field(repr=False)  # the original t10k labels, decompressed


@pytest.fixture(scope="module")
def canonical_dir(tmp_path_factory: pytest.TempPathFactory) -> CanonicalDir:
    """Tiny training files, 10,000 test images of 2 x 2 pixels (not MNIST's dimensions, so not checksummed, and cheap
    to read at every example), and (to be corrupted) a plain copy of the original test labels."""
    folder = tmp_path_factory.mktemp("canonical")
    images = np.zeros((2, 28, 28), np.uint8)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(images, 0x08))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([3, 4], np.uint8), 0x08))
    (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((10000, 2, 2), np.uint8), 0x08))
    labels = gzip.decompress((mnist.BUNDLED_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    return CanonicalDir(folder, labels)


@fuzz_settings(max_examples=200)
@given(data=st.data())
@counted
def test_any_corruption_of_a_file_of_the_original_size_is_caught(canonical_dir, data):
    folder, labels = canonical_dir.folder, canonical_dir.labels
    corruption = data.draw(corruptions(len(labels), header=8, kinds=("flip", "flip", "truncate", "header")))
    damaged = corruption.apply(labels)
    assume(damaged != labels)  # a "corruption" that wrote the bytes already there: not counted
    note(repr(corruption))
    path = folder / "t10k-labels-idx1-ubyte"
    path.write_bytes(damaged)
    with deadline(), pytest.raises(mnist.MNISTFormatError) as info:
        mnist.load_data(folder)
    assert str(path) in str(info.value)
    if _flips_only_in_payload(corruption, 8):
        assert isinstance(info.value, mnist.ChecksumError)
    COUNTS["load_data: corruptions of an original-size file caught"] += 1
