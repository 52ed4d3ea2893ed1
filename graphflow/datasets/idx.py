"""The IDX file format (MNIST's), read as a bounded stream: `read_idx()` and the `IdxFile` the MNIST loader builds on.

An IDX file starts with the magic number `0x00 0x00 <type code> <ndim>`, followed by `ndim` big-endian uint32
dimensions and the values in C order, plain or gzipped (told apart by the first bytes, not the name). `IdxFile` reads
the header alone (8 bytes for labels, 16 for images), so a caller can hold it against what the file must be before
any data is read; `read()` then takes exactly the number of bytes the header promises, and one more to see that the
file ends there. A plain file's size is checked before anything is read. A gzipped file is decompressed twice: once
in 256 KiB chunks, keeping none, to check that it holds exactly that many bytes (and, if asked, their SHA-256), and
once into the array. So a crafted or damaged file is refused at the cost of about 1 MiB however far it would inflate,
for about 0.1 s more on the 47 MB of MNIST's training images.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np

__all__ = ["IdxFile", "MNISTFormatError", "read_idx"]

Array = np.ndarray

# IDX type codes; multi-byte values are big-endian on disk.
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 18
_DEFLATE_RATIO = 1032  # zlib's limit: no DEFLATE stream expands more than 1032 times
RECOPY = "the file is damaged or incomplete; copy it again from the original"


class MNISTFormatError(ValueError):
    """A data file is not a well-formed IDX file, does not fit MNIST's layout, or fails its checksum.

    The message starts with the file's path and says what is wrong with it.
    """


def read_idx(path: str | os.PathLike) -> Array:
    """Reads one IDX file, plain or gzipped, into an array.

    Args:
        path: The file to read.

    Returns:
        A new, writable array of the dimensions the header gives, in native byte order. Its dtype follows the type
        code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.

    Raises:
        FileNotFoundError: `path` does not exist.
        MNISTFormatError: The file is not valid gzip, has a bad magic number, or holds fewer or more bytes than its
            header promises. Nothing past those bytes is decompressed, and no array is made before the file is known
            to hold exactly them.
    """
    return IdxFile(Path(path)).read()


class Header(NamedTuple):
    raw: bytes  # the magic number and the dimensions, as in the file
    dtype: np.dtype  # as stored: big-endian
    shape: tuple[int, ...]

    @property
    def data_bytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


class IdxFile:
    """An IDX file whose header has been read; `read()` gives its values.

    Attributes:
        path: the file.
        header: its magic number and dimensions, with the dtype (as stored) and shape they give.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with _opened(path) as (stream, _, _):
            self.header = self._read_header(stream)

    def read(self, check_digest: Callable[[str], None] | None = None) -> Array:
        """The values in native byte order, once the file is known to hold exactly what its header promises.

        Args:
            check_digest: called with the SHA-256 (hex) of the decompressed file before its values are returned (for a
                gzipped file, before the array is even made); it raises to refuse the file.
        """
        header, path = self.header, self.path
        hasher = hashlib.sha256(header.raw) if check_digest else None
        with _opened(path) as (stream, size, gz):
            if gz:  # first only count (and hash) the bytes, so that nothing is kept of a file that is then refused
                if header.data_bytes > size * _DEFLATE_RATIO:
                    raise MNISTFormatError(
                        f"{path}: {self._promise()}, more than a gzip file of {size} bytes can hold (DEFLATE expands "
                        f"at most {_DEFLATE_RATIO} times); {RECOPY}"
                    )
                self._skip_header(stream)
                self._drain(stream, hasher)
                if check_digest and hasher:
                    check_digest(hasher.hexdigest())
                    hasher = None
                stream.seek(0)
            elif size - len(header.raw) != header.data_bytes:
                raise self._size_error(size - len(header.raw), exact=True)
            self._skip_header(stream)
            try:
                values = np.empty(header.shape, header.dtype.newbyteorder("="))
            except ValueError as error:  # no data, but dimensions so large numpy cannot make even an empty array
                raise MNISTFormatError(f"{path}: numpy cannot hold the dimensions {header.shape}: {error}") from None
            raw = values.reshape(-1).view(np.uint8)
            filled = 0
            while filled < len(raw):
                got = stream.readinto(raw[filled : filled + _CHUNK])
                if not got:
                    break
                filled += got
            if filled < len(raw) or stream.read(1):  # it changed after its size was checked
                raise MNISTFormatError(f"{path}: the file changed while it was being read; read it again")
        if check_digest and hasher:
            hasher.update(raw)
            check_digest(hasher.hexdigest())
        if not header.dtype.isnative:
            values.byteswap(inplace=True)
        return values

    def _read_header(self, stream: IO[bytes]) -> Header:
        path = self.path
        magic = stream.read(4)
        if len(magic) < 4:
            raise MNISTFormatError(
                f"{path}: too short for an IDX file ({len(magic)} bytes; the magic number alone is 4)"
            )
        if magic[0] or magic[1] or magic[2] not in IDX_DTYPES:
            codes = ", ".join(f"0x{code:02X} {dtype.name}" for code, dtype in IDX_DTYPES.items())
            raise MNISTFormatError(
                f"{path}: bad magic number 0x{int.from_bytes(magic, 'big'):08X}; an IDX file starts with two zero "
                f"bytes, a type code ({codes}) and the number of dimensions (MNIST images have 0x00000803, labels "
                "0x00000801)"
            )
        dtype, ndim = IDX_DTYPES[magic[2]], magic[3]
        dims = stream.read(4 * ndim)
        if len(dims) < 4 * ndim:
            raise MNISTFormatError(
                f"{path}: truncated header: {ndim} dimensions need a {4 + 4 * ndim}-byte header, "
                f"but the file has only {4 + len(dims)} bytes; {RECOPY}"
            )
        shape = tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, len(dims), 4))
        return Header(magic + dims, dtype, shape)

    def _skip_header(self, stream: IO[bytes]) -> None:
        if stream.read(len(self.header.raw)) != self.header.raw:
            raise MNISTFormatError(f"{self.path}: the file changed while it was being read; read it again")

    def _drain(self, stream: IO[bytes], hasher: hashlib._Hash | None) -> None:
        """Reads the data in chunks, keeping none, and refuses a stream that ends early or runs on past it."""
        expected, seen = self.header.data_bytes, 0
        while seen <= expected:
            chunk = stream.read(min(_CHUNK, expected + 1 - seen))
            if not chunk:
                break
            seen += len(chunk)
            if hasher:
                hasher.update(chunk)
        if seen != expected:
            raise self._size_error(seen, exact=seen < expected)

    def _promise(self) -> str:
        dims = " x ".join(map(str, self.header.shape)) or "a scalar"
        return f"the header gives dimensions {dims} of {self.header.dtype.name}, {self.header.data_bytes} bytes of data"

    def _size_error(self, actual: int, exact: bool) -> MNISTFormatError:
        """The error for `actual` bytes of data where the header promises another number (`exact`: not a lower bound,
        as when decompression stopped one byte past the promise)."""
        path, shape, expected = self.path, self.header.shape, self.header.data_bytes
        if actual > expected:
            extra = f"{actual - expected} unexpected bytes" if exact else "unexpected bytes"
            stopped = "" if exact else " (decompression stopped there)"
            return MNISTFormatError(f"{path}: {extra} after the data: {self._promise()}{stopped}; {RECOPY}")
        item_bytes = expected // shape[0] if shape and shape[0] else expected
        complete = actual // item_bytes if item_bytes else 0
        return MNISTFormatError(
            f"{path}: truncated data: {self._promise()}, but only {actual} bytes follow the header "
            f"({complete} complete items of {shape[0] if shape else 1}); {RECOPY}"
        )


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tuple[IO[bytes], int, bool]]:
    """The file's contents as a stream (decompressed if they start with the gzip magic; an IDX file starts with 0x00
    0x00), the file's size, and whether it is gzipped. Errors in the gzip data become MNISTFormatError."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        gz = f.read(2) == _GZIP_MAGIC
        f.seek(0)
        if not gz:
            yield f, size, False
            return
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                yield stream, size, True
        except (EOFError, OSError, zlib.error) as error:
            raise MNISTFormatError(f"{path}: corrupt gzip data ({error}); {RECOPY}") from None
