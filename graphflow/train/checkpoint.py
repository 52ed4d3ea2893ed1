"""The checkpoint file: how `Saver` writes variable values to a `.npz` file, and how it reads and checks one.

The file is a zip archive that `np.load` can read: one `<variable name>.npy` entry per variable (no pickles), and
`__manifest__.json` holding the format name and version, the graphflow version, the global step and each variable's
name, shape and dtype. The zip comment, the last 81 bytes of the file, is `graphflow-sha256:` followed by 64 hex
digits: the SHA-256 of every byte before those digits (the tag included), so truncation and flipped bytes anywhere in
the file are detected before anything is parsed. A write goes to a temporary file in the same folder, is fsynced and
renamed over the target (`graphflow/train/atomic_file.py`, also used for the state file), so an interrupted save
leaves the previous file as it was. A read checks the checksum, the manifest, and every entry's declared size against
what the manifest says its variable needs before it decompresses any value (and the manifest's size against what that
many variables can need), and never inflates an entry past its declared size, so a DEFLATE bomb is refused at the cost
of its own bytes. Every problem is a `CheckpointError` that names the file (and the entry at fault).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.shapes import format_shape
from graphflow.train.atomic_file import _atomic_file
from graphflow.version import GRAPHFLOW_VERSION

Array = np.ndarray

FORMAT = "graphflow.checkpoint"
FORMAT_VERSION = 1
EXTENSION = ".npz"
MANIFEST = "__manifest__.json"
_TAG = b"graphflow-sha256:"
_TRAILER = len(_TAG) + 64  # the zip comment: tag + hex digest
_ZIP_MAGIC = b"PK\x03\x04"
_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp in the zip headers, so equal values give identical files
_CHUNK = 1 << 20
_LOCAL_HEADER = 30  # a zip entry's local header before its name and extra field
_NPY_HEADER_MAX = 4096  # numpy writes 128 bytes for a few dimensions, 1,472 for 64 of 19 digits (its most)
_MANIFEST_SLACK = 64 << 10
_MANIFEST_BASE = 4096  # the format, the versions and the global step, with room to spare
_MANIFEST_PER_VARIABLE = 2048  # its keys, its dtype and a shape of 64 dimensions of 19 digits, indented


class CheckpointError(ValueError):
    """A checkpoint cannot be read or does not fit the variables it is restored into.

    Attributes:
        path: the file (or state file) concerned.
        problems: one line per variable that is missing or mismatched; empty for a damaged or unreadable file.
    """

    def __init__(self, path: str, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.path = path
        self.problems = list(problems)


# --------------------------------------------------------------------------------------------------------------------
# Writing and reading


def _write_checkpoint(path: str, values: dict[str, Array], step: int | None) -> None:
    """Writes `values` to `path` atomically, with the manifest and the checksum trailer."""
    arrays = {name: np.asarray(v) for name, v in values.items()}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "graphflow_version": GRAPHFLOW_VERSION,
        "global_step": step,
        "variables": [{"name": n, "shape": list(a.shape), "dtype": a.dtype.str} for n, a in arrays.items()],
    }
    with _atomic_file(path) as f:
        zf = zipfile.ZipFile(f, "w", zipfile.ZIP_STORED)
        try:
            zf.writestr(_entry(MANIFEST), json.dumps(manifest, indent=1))
            for name, array in arrays.items():
                with zf.open(_entry(name + ".npy"), "w") as out:
                    np.lib.format.write_array(out, array, allow_pickle=False)
            zf.comment = _TAG + b"0" * 64  # the digest's placeholder: its length is part of what is hashed
        except BaseException:
            # The temporary file is deleted, so the archive is abandoned rather than closed: closing it would write
            # its directory, or, when an interrupt lands just after an entry was opened, raise a ValueError about
            # the open entry in place of the KeyboardInterrupt.
            zf.fp = None
            raise
        zf.close()
        size = f.tell()
        f.seek(0)
        digest = hashlib.sha256()
        remaining = size - 64  # every byte before the digest itself, the tag included
        while remaining > 0:
            chunk = f.read(min(_CHUNK, remaining))
            digest.update(chunk)
            remaining -= len(chunk)
        f.seek(size - 64)
        f.write(digest.hexdigest().encode("ascii"))


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.external_attr = 0o644 << 16
    return info


def read_checkpoint(path: str | os.PathLike) -> dict[str, Array]:
    """Every value in a checkpoint file, by name, after checking the checksum and the format.

    No entry is decompressed past the size its manifest entry allows, so this allocates what the manifest declares;
    `Saver.restore` first holds the manifest against the variables, and so allocates only what they hold.

    Args:
        path: the `.npz` file or its prefix.

    Raises:
        CheckpointError: the file is missing, unreadable, damaged, or not a graphflow checkpoint of this version.
    """
    checkpoint = _Checkpoint(path)
    return {name: checkpoint.read(name) for name in checkpoint.variables}


class _Checkpoint:
    """A checkpoint file whose checksum, manifest and entry sizes have been checked; `read` gives one value.

    Before anything but the manifest is decompressed, every entry's declared size is held against what the manifest
    says its variable needs, and no entry is ever inflated past the size it declares, so a crafted file (a DEFLATE
    bomb) costs no more memory than the values it claims to hold.

    Attributes:
        path: the `.npz` file.
        variables: each variable's name → (shape, dtype) as the manifest gives them, in the manifest's order.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = path = _checkpoint_file(os.fspath(path))
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise CheckpointError(path, f"Checkpoint '{path}' not found") from None
        except IsADirectoryError:
            raise CheckpointError(
                path, f"Checkpoint '{path}' is a directory; use gf.train.latest_checkpoint('{path}')"
            ) from None
        except OSError as e:
            raise CheckpointError(path, f"Cannot read checkpoint '{path}': {e}") from None
        if not data:
            raise self._damaged("the file is empty", "is damaged")
        if len(data) < _TRAILER + 22 or data[-_TRAILER:-64] != _TAG:
            if data.startswith(_ZIP_MAGIC):
                raise self._damaged(
                    "it has no graphflow checksum at its end: it was truncated, or written by something other than "
                    "gf.train.Saver (such as np.savez)"
                )
            # A link's target is not quoted: it may be any file the reader can read.
            start = "it is a link to a file" if os.path.islink(path) else f"it starts with {data[:8]!r}"
            why = f"it is not an .npz (zip) archive; {start}"
            raise self._damaged(why, "is not a graphflow checkpoint")
        self._data = memoryview(data)  # its slices share the file's bytes rather than copying them
        expected = data[-64:]
        actual = hashlib.sha256(self._data[:-64]).hexdigest().encode("ascii")
        if expected != actual:
            raise self._damaged(
                f"its SHA-256 checksum does not match its contents (stored {expected.decode('ascii', 'replace')}, "
                f"computed {actual.decode('ascii')}): bytes were changed after it was written",
                "is damaged",
            )
        try:
            self._open(data)
        except CheckpointError:
            raise
        except Exception as e:  # zipfile, json and numpy raise many types on malformed input; none may escape raw
            raise self._damaged(f"{type(e).__name__}: {e}") from None

    def _open(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # BytesIO shares `data`; given the memoryview, it would copy
            infos = zf.infolist()  # the central directory only; nothing is decompressed
        self._infos = {info.filename: info for info in infos}
        if len(self._infos) != len(infos):
            raise self._damaged("two of its entries have the same name")
        if MANIFEST not in self._infos:
            raise CheckpointError(
                self.path, f"Checkpoint '{self.path}' has no {MANIFEST}: it was not written by gf.train.Saver"
            )
        # Bounded before a byte is inflated, and not only by the file: json.loads makes 25 MiB of lists of 1 MiB of
        # "[0],", which a 2 KB file can deflate to. Saver stores the manifest uncompressed, so it is smaller than the
        # file (the slack admits a repacked one), and each variable takes at most _MANIFEST_PER_VARIABLE bytes in it
        # besides its name (12 bytes a character at most, as JSON escapes it).
        count = len(self._infos) - 1
        need = _MANIFEST_BASE + sum(_MANIFEST_PER_VARIABLE + 12 * len(n) for n in self._infos if n != MANIFEST)
        limit = min(len(data) + _MANIFEST_SLACK, need)
        why = f"a manifest of {count} variables may take at most {limit} bytes, in a file of {len(data)}"
        text = self._contents(self._infos[MANIFEST], limit, why)
        self.variables = _manifest(json.loads(text.decode("utf-8")), self.path)
        expected = {MANIFEST} | {name + ".npy" for name in self.variables}
        if set(self._infos) != expected:
            raise self._damaged(f"its entries {sorted(set(self._infos) ^ expected)} do not match its manifest")
        for name in self.variables:
            self._check_declared(self._infos[name + ".npy"], *self._npy_limit(name))

    def read(self, name: str) -> Array:
        """The value of the manifest's variable `name`, once its entry is found to hold exactly that."""
        entry = name + ".npy"
        shape, dtype = self.variables[name]
        try:
            stream = io.BytesIO(self._contents(self._infos[entry], *self._npy_limit(name)))
            array = np.lib.format.read_array(stream, allow_pickle=False)
        except CheckpointError:
            raise
        except Exception as e:  # numpy raises several types on a malformed .npy header
            raise self._damaged(f"the entry '{entry}' is not a .npy array: {type(e).__name__}: {e}") from None
        if stream.read(1):
            raise self._damaged(f"the entry '{entry}' has trailing bytes")
        if array.shape != shape or array.dtype != dtype:
            raise self._damaged(
                f"the entry '{entry}' holds {format_shape(array.shape)} {array.dtype} but the manifest says "
                f"{format_shape(shape)} {dtype}"
            )
        return array

    def _npy_limit(self, name: str) -> tuple[int, str]:
        """The most bytes the .npy entry of `name` may hold, and the reason, for the error that refuses more."""
        shape, dtype = self.variables[name]
        data = math.prod(shape) * dtype.itemsize
        why = (
            f"the manifest gives '{name}' as {format_shape(shape)} {dtype}: {data} bytes of data and a .npy header "
            f"of at most {_NPY_HEADER_MAX}"
        )
        return data + _NPY_HEADER_MAX, why

    def _check_declared(self, info: zipfile.ZipInfo, limit: int, why: str) -> None:
        if info.flag_bits & 0x1:
            raise self._damaged(f"the entry '{info.filename}' is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self._damaged(
                f"the entry '{info.filename}' is compressed with method {info.compress_type}; graphflow reads "
                "stored (0) and deflated (8) entries only"
            )
        if info.file_size > limit:
            raise self._damaged(f"the entry '{info.filename}' declares {info.file_size} bytes, but {why}")

    def _contents(self, info: zipfile.ZipInfo, limit: int, why: str) -> bytes:
        """The entry's bytes; never inflates more than one byte past the size it declares, which is at most `limit`."""
        self._check_declared(info, limit, why)
        entry, offset = info.filename, info.header_offset
        local = self._data[offset : offset + _LOCAL_HEADER]
        if len(local) < _LOCAL_HEADER or local[:4] != _ZIP_MAGIC:
            raise self._damaged(f"the entry '{entry}' has no local header at offset {offset}")
        name_length, extra_length = struct.unpack("<2H", local[26:30])
        start = offset + _LOCAL_HEADER + name_length + extra_length
        raw = self._data[start : start + info.compress_size]
        if len(raw) < info.compress_size:
            raise self._damaged(f"the entry '{entry}' runs past the end of the file")
        if info.compress_type == zipfile.ZIP_STORED:
            contents = bytes(raw)
        else:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                # One byte past the declared size tells a stream that runs on from one that ends where it says.
                contents = inflater.decompress(raw, info.file_size + 1)
            except zlib.error as e:
                raise self._damaged(f"the entry '{entry}' holds corrupt DEFLATE data ({e})") from None
            if len(contents) > info.file_size:
                raise self._damaged(
                    f"the entry '{entry}' decompresses to more than the {info.file_size} bytes it declares "
                    "(decompression stopped there)"
                )
            if not inflater.eof:
                raise self._damaged(f"the compressed data of entry '{entry}' stops before its DEFLATE stream ends")
        if len(contents) != info.file_size:
            raise self._damaged(f"the entry '{entry}' holds {len(contents)} bytes but declares {info.file_size}")
        if zlib.crc32(contents) != info.CRC:
            raise self._damaged(f"the entry '{entry}' does not match its CRC-32")
        return contents

    def _damaged(self, why: str, what: str = "is damaged or not a graphflow checkpoint") -> CheckpointError:
        return CheckpointError(self.path, f"Checkpoint '{self.path}' {what}: {why}")


def _manifest(manifest: Any, path: str) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each variable's (shape, dtype) from a parsed manifest, after checking its format, version and fields."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(
            path, f"Checkpoint '{path}' is not a graphflow checkpoint (its manifest lacks format '{FORMAT}')"
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        by = manifest.get("graphflow_version", "an unknown version")
        raise CheckpointError(
            path,
            f"Checkpoint '{path}' has format version {version!r} (written by graphflow {by}); this graphflow reads "
            f"format version {FORMAT_VERSION}",
        )
    entries = manifest.get("variables")
    if not isinstance(entries, list):
        raise CheckpointError(path, f"Checkpoint '{path}' has a malformed manifest: 'variables' is not a list")
    variables = {}
    for entry in entries:
        fields = entry if isinstance(entry, dict) else {}
        name, shape, dtype = fields.get("name"), fields.get("shape"), fields.get("dtype")
        if (
            not isinstance(name, str)
            or not isinstance(dtype, str)
            or not isinstance(shape, list)
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
            or name in variables
        ):
            raise CheckpointError(path, f"Checkpoint '{path}' has a malformed manifest entry: {str(entry)[:200]}")
        try:
            dtype = np.dtype(dtype)
        except (TypeError, ValueError):
            raise CheckpointError(
                path, f"Checkpoint '{path}' has an unknown dtype {dtype[:50]!r} for '{name}'"
            ) from None
        if dtype.kind not in "biuf":
            raise CheckpointError(
                path,
                f"Checkpoint '{path}' is damaged: '{name}' has dtype {dtype}, which graphflow variables cannot hold",
            )
        variables[name] = tuple(shape), dtype
    return variables


# --------------------------------------------------------------------------------------------------------------------
# Helpers


def _prefix(path: str) -> str:
    return path[: -len(EXTENSION)] if path.endswith(EXTENSION) else path


def _checkpoint_file(path: str) -> str:
    """The file for a prefix or file name: `prefix.npz`, or the path itself if it names an existing file."""
    if path.endswith(EXTENSION):
        return path
    candidate = path + EXTENSION
    if not os.path.exists(candidate) and os.path.isfile(path):
        return path
    return candidate
