"""The checkpoint file: how `Saver` writes variable values to a `.npz` file, and how it reads and checks one.

The file is a zip archive that `np.load` can read: one `<variable name>.npy` entry per variable (no pickles), and
`__manifest__.json` holding the format name and version, the graphflow version, the global step and each variable's
name, shape and dtype. The zip comment, the last 81 bytes of the file, is `graphflow-sha256:` followed by 64 hex
digits: the SHA-256 of every byte before those digits (the tag included), so truncation and flipped bytes anywhere in
the file are detected before anything is parsed. A write goes to a temporary file in the same folder, is fsynced and
renamed over the target (`_atomic_file`, also used for the state file), so an interrupted save leaves the previous
file as it was. `read_checkpoint` checks the whole file before it returns any value, and every problem is a
`CheckpointError` that names the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

import numpy as np

from graphflow.shapes import format_shape
from graphflow.version import __version__

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
        "graphflow_version": __version__,
        "global_step": step,
        "variables": [{"name": n, "shape": list(a.shape), "dtype": a.dtype.str} for n, a in arrays.items()],
    }
    with _atomic_file(path) as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr(_entry(MANIFEST), json.dumps(manifest, indent=1))
            for name, array in arrays.items():
                with zf.open(_entry(name + ".npy"), "w") as out:
                    np.lib.format.write_array(out, array, allow_pickle=False)
            zf.comment = _TAG + b"0" * 64  # the digest's placeholder: its length is part of what is hashed
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

    Args:
        path: the `.npz` file or its prefix.

    Raises:
        CheckpointError: the file is missing, unreadable, damaged, or not a graphflow checkpoint of this version.
    """
    path = _checkpoint_file(os.fspath(path))
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

    def damaged(why: str, what: str = "is damaged or not a graphflow checkpoint") -> CheckpointError:
        return CheckpointError(path, f"Checkpoint '{path}' {what}: {why}")

    if not data:
        raise damaged("the file is empty", "is damaged")
    if len(data) < _TRAILER + 22 or data[-_TRAILER:-64] != _TAG:
        if data.startswith(_ZIP_MAGIC):
            raise damaged(
                "it has no graphflow checksum at its end: it was truncated, or written by something other than "
                "gf.train.Saver (such as np.savez)"
            )
        raise damaged(f"it is not an .npz (zip) archive; it starts with {data[:8]!r}", "is not a graphflow checkpoint")
    expected = data[-64:]
    actual = hashlib.sha256(data[:-64]).hexdigest().encode("ascii")
    if expected != actual:
        raise damaged(
            f"its SHA-256 checksum does not match its contents (stored {expected.decode('ascii', 'replace')}, "
            f"computed {actual.decode('ascii')}): bytes were changed after it was written",
            "is damaged",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            manifest = _manifest(zf, path)
            arrays = {}
            names = set(zf.namelist())
            expected_names = {MANIFEST} | {v["name"] + ".npy" for v in manifest["variables"]}
            if names != expected_names:
                raise damaged(f"its entries {sorted(names ^ expected_names)} do not match its manifest")
            for entry in manifest["variables"]:
                name = entry["name"]
                stream = io.BytesIO(zf.read(name + ".npy"))
                array = np.lib.format.read_array(stream, allow_pickle=False)
                if stream.read(1):
                    raise damaged(f"the entry of '{name}' has trailing bytes")
                if list(array.shape) != entry["shape"] or array.dtype.str != entry["dtype"]:
                    raise damaged(
                        f"'{name}' is {format_shape(array.shape)} {array.dtype} but the manifest says "
                        f"{format_shape(entry['shape'])} {entry['dtype']}"
                    )
                if array.dtype.kind not in "biuf":
                    raise damaged(f"'{name}' has dtype {array.dtype}, which graphflow variables cannot hold")
                arrays[name] = array
    except CheckpointError:
        raise
    except Exception as e:  # zipfile, json and numpy raise many types on malformed input; none may escape raw
        raise damaged(f"{type(e).__name__}: {e}") from None
    return arrays


def _manifest(zf: zipfile.ZipFile, path: str) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except KeyError:
        raise CheckpointError(
            path, f"Checkpoint '{path}' has no {MANIFEST}: it was not written by gf.train.Saver"
        ) from None
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
    variables = manifest.get("variables")
    if not isinstance(variables, list) or not all(
        isinstance(v, dict)
        and isinstance(v.get("name"), str)
        and isinstance(v.get("dtype"), str)
        and isinstance(v.get("shape"), list)
        for v in variables
    ):
        raise CheckpointError(path, f"Checkpoint '{path}' has a malformed manifest")
    return manifest


# --------------------------------------------------------------------------------------------------------------------
# Helpers


@contextlib.contextmanager
def _atomic_file(path: str) -> Iterator[IO[bytes]]:
    """A temporary file next to `path` that replaces it only if the block succeeds (after an fsync)."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w+b") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Makes the rename durable; not every platform can open a folder, and the data is safe either way."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
