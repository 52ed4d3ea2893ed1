"""Crafted files for the hostile-input tests: DEFLATE bombs, zip archives written field by field, and a probe of the
peak memory a call allocates.

A bomb is built without compressing anything large: after a full flush a DEFLATE block refers to nothing before it,
so the block that holds one MiB of zeros (1,037 bytes) can be repeated as often as wanted. A 300 MiB bomb takes
milliseconds and about 300 KB to build.
"""

from __future__ import annotations

import struct
import tracemalloc
import zlib

MIB = 1 << 20


def deflate_bomb(prefix: bytes, zero_mib: int) -> tuple[bytes, int, int]:
    """A raw DEFLATE stream of `prefix` followed by `zero_mib` MiB of zeros.

    Returns:
        (the stream, the CRC-32 of what it decompresses to, that size in bytes).
    """
    head = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)
    zeros = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = zeros.compress(bytes(MIB)) + zeros.flush(zlib.Z_FULL_FLUSH)
    crc, mib = zlib.crc32(prefix), bytes(MIB)
    for _ in range(zero_mib):
        crc = zlib.crc32(mib, crc)
    final = b"\x03\x00"  # an empty fixed-Huffman block with the final bit set
    return start + block * zero_mib + final, crc, len(prefix) + zero_mib * MIB


def gzip_bomb(prefix: bytes, zero_mib: int) -> bytes:
    """A well-formed gzip file of `prefix` followed by `zero_mib` MiB of zeros (CRC and length trailer included)."""
    stream, crc, size = deflate_bomb(prefix, zero_mib)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream + struct.pack("<2L", crc, size & 0xFFFFFFFF)


def zip_archive(entries: list[tuple[str, bytes, int, int, int]], comment: bytes = b"") -> bytes:
    """A zip file holding exactly what it is told, true or not.

    Args:
        entries: (name, the bytes stored, compression method (0 stored, 8 deflated), CRC-32, declared uncompressed
            size) for each entry; the local and central headers both declare these.
        comment: the archive comment, which ends the file.
    """
    body, directory = b"", b""
    for name, stored, method, crc, size in entries:
        encoded = name.encode("utf-8")
        # version needed, flags, method, time, date (1980-01-01), CRC, sizes, name length, extra length
        fields = struct.pack("<5H3L2H", 20, 0, method, 0, 0x21, crc, len(stored), size, len(encoded), 0)
        # version made by, the fields, comment length, disk, internal and external attributes, local header offset
        directory += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<3H2L", 0, 0, 0, 0, len(body))
        directory += encoded
        body += b"PK\x03\x04" + fields + encoded + stored
    count = len(entries)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), len(comment))
    return body + directory + end + comment


class PeakAllocation:
    """A context manager measuring the peak number of bytes allocated inside it beyond what was allocated before.

    tracemalloc sees every Python object and numpy's array buffers, so zlib's output and numpy's arrays are counted.
    After the block, `bytes` holds the peak, whether the block raised or not.
    """

    def __enter__(self) -> PeakAllocation:
        self._started = not tracemalloc.is_tracing()
        if self._started:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._before, _ = tracemalloc.get_traced_memory()
        self.bytes = 0
        return self

    def __exit__(self, *exc_info: object) -> None:
        _, peak = tracemalloc.get_traced_memory()
        self.bytes = peak - self._before
        if self._started:
            tracemalloc.stop()
