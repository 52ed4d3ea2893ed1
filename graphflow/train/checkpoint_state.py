"""The checkpoint state file: which checkpoints of a folder are kept, and which is the newest (TF-1's `checkpoint`).

`Saver.save(..., write_state=True)` writes it next to the checkpoints as JSON, `checkpoint` by default (or
`latest_filename`): `{"format": "graphflow.checkpoint_state", "format_version": 1, "model_checkpoint_path":
"model.ckpt-300", "all_model_checkpoint_paths": ["model.ckpt-200", "model.ckpt-300"],
"all_model_checkpoint_timestamps": [...]}`. Paths in it are relative to the folder, so a folder of checkpoints can be
moved; a path read from it that is absolute or leads out of the folder is refused, since the file decides what
`restore(sess, latest_checkpoint(folder))` reads and what `max_to_keep` deletes. The file is written atomically, as
the checkpoints are.

`list_variables` and `load_variable` read a checkpoint given by its prefix or by its folder (the newest one there).
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import NamedTuple

import numpy as np

from graphflow.train.atomic_file import _atomic_file
from graphflow.train.checkpoint import EXTENSION, CheckpointError, _Checkpoint

__all__ = ["STATE_FORMAT", "STATE_FORMAT_VERSION", "CheckpointState", "get_checkpoint_state", "latest_checkpoint"]

STATE_FORMAT = "graphflow.checkpoint_state"
STATE_FORMAT_VERSION = 1
STATE_FILE_MAX_BYTES = 16 * 2**20  # enough for 250,000 checkpoints' names and times


class CheckpointState(NamedTuple):
    """What the state file says (TF-1 `CheckpointState`); paths are joined to the checkpoint folder."""

    model_checkpoint_path: str
    all_model_checkpoint_paths: list[str]
    all_model_checkpoint_timestamps: list[float]


def get_checkpoint_state(
    checkpoint_dir: str | os.PathLike, latest_filename: str | None = None
) -> CheckpointState | None:
    """The state file of `checkpoint_dir` (TF-1 `tf.train.get_checkpoint_state`), or None if there is none.

    Args:
        checkpoint_dir: the folder `Saver.save` wrote into.
        latest_filename: the state file's name; "checkpoint" by default.

    Returns:
        A `CheckpointState` (`model_checkpoint_path`, `all_model_checkpoint_paths`), or None.

    Raises:
        CheckpointError: the state file exists but cannot be read or parsed, or names a path that is absolute or
            leads out of `checkpoint_dir`.

    Examples:
        >>> gf.train.get_checkpoint_state("/nonexistent") is None
        True
    """
    folder = os.fspath(checkpoint_dir)
    path = os.path.join(folder, latest_filename or "checkpoint")
    raw = _read_state(path)
    if raw is None:
        return None
    try:
        latest, paths, stamps = _parsed(raw)
    except (ValueError, KeyError, TypeError, RecursionError) as e:  # UnicodeDecodeError, JSONDecodeError: ValueErrors
        raise CheckpointError(path, f"Checkpoint state file '{path}' is damaged: {e}") from None
    latest, *paths = (_inside(folder, path, p) for p in [latest, *paths])
    return CheckpointState(latest, paths, stamps)


def _read_state(path: str) -> bytes | None:
    """The state file's bytes, or None if there is none. Only a regular file of at most `STATE_FILE_MAX_BYTES` is
    read: opening a named pipe would wait for a writer for ever, and a link to `/dev/zero` never ends."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CheckpointError(path, f"Cannot read checkpoint state file '{path}': {e}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(
                path, f"Checkpoint state file '{path}' is not a regular file (a pipe, a device or a folder); delete it"
            )
        problem = f"holds {info.st_size} bytes" if info.st_size > STATE_FILE_MAX_BYTES else None
        if problem is None:
            raw = f.read(STATE_FILE_MAX_BYTES + 1)  # a file that grew after fstat is still read bounded
            problem = "grew while it was read, past the bound" if len(raw) > STATE_FILE_MAX_BYTES else None
    if problem:
        raise CheckpointError(
            path,
            f"Checkpoint state file '{path}' {problem}; a state file holds at most {STATE_FILE_MAX_BYTES} bytes "
            "(Saver writes about 60 a checkpoint). It is not one Saver wrote: delete it",
        )
    return raw


def _parsed(raw: bytes) -> tuple[str, list[str], list[float]]:
    """The newest path, every path and their timestamps in a state file's bytes; ValueError (or KeyError,
    TypeError, RecursionError) saying what is wrong."""
    state = json.loads(raw.decode("utf-8"))
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise ValueError(f"it is not a graphflow checkpoint state file (expected format '{STATE_FORMAT}')")
    if state.get("format_version") != STATE_FORMAT_VERSION:
        raise ValueError(
            f"it has format version {state.get('format_version')!r}; this graphflow reads {STATE_FORMAT_VERSION}"
        )
    latest = state["model_checkpoint_path"]
    paths = state["all_model_checkpoint_paths"]
    stamps = state.get("all_model_checkpoint_timestamps", [])
    if not isinstance(latest, str) or not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ValueError("model_checkpoint_path must be a string and all_model_checkpoint_paths a list of strings")
    if not isinstance(stamps, list):
        raise ValueError("all_model_checkpoint_timestamps must be a list")
    # A bool is an int to Python, and an int of 400 digits is valid JSON that no float holds.
    if not all((type(t) is float and math.isfinite(t)) or (type(t) is int and abs(t) < 2**53) for t in stamps):
        raise ValueError("all_model_checkpoint_timestamps must hold finite numbers of seconds")
    return latest, paths, [float(t) for t in stamps]


def latest_checkpoint(checkpoint_dir: str | os.PathLike, latest_filename: str | None = None) -> str | None:
    """The prefix of the newest checkpoint `Saver.save` recorded in `checkpoint_dir`, or None if it recorded none.

    Args:
        checkpoint_dir: the folder `Saver.save` wrote into.
        latest_filename: the state file's name; "checkpoint" by default.

    Returns:
        A path prefix to pass to `Saver.restore`, or None.

    Raises:
        CheckpointError: the state file is damaged, names a path outside `checkpoint_dir`, or names a checkpoint
            whose file is gone (rather than returning None, which would let a training script silently start again
            from scratch).

    Examples:
        >>> gf.train.latest_checkpoint("/nonexistent") is None
        True
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None:
        return None
    prefix = state.model_checkpoint_path
    if not os.path.isfile(prefix + EXTENSION):
        state_file = os.path.join(os.fspath(checkpoint_dir), latest_filename or "checkpoint")
        raise CheckpointError(
            state_file,
            f"Checkpoint state file '{state_file}' names '{prefix}', but '{prefix}{EXTENSION}' does not exist; "
            "delete the state file to start afresh",
        )
    return prefix


def _inside(folder: str, state_file: str, relative: str) -> str:
    """A path from the state file, joined to its folder; refused if it is absolute or leads out of the folder.

    The state file decides what `restore` reads and what `max_to_keep` deletes, so a path in it that reaches outside
    the folder (`../`, `/etc/...`) would let a copied or crafted folder do either elsewhere.
    """
    normal = os.path.normpath(relative)
    if os.path.isabs(relative) or os.path.splitdrive(relative)[0]:
        problem = "an absolute path"
    elif normal == os.pardir or normal.startswith(os.pardir + os.sep):
        problem = "a path that leads out of its folder"
    elif normal == os.curdir:
        problem = "the folder itself rather than a checkpoint"
    else:
        return os.path.join(folder, normal)
    raise CheckpointError(
        state_file,
        f"Checkpoint state file '{state_file}' names '{relative}', {problem}: its paths must be relative to "
        f"'{folder}' and stay inside it, as Saver writes them. Fix or delete the state file; to restore a "
        "checkpoint kept elsewhere, pass its path to Saver.restore.",
    )


def _write_state(folder: str, latest_filename: str | None, latest: str, paths: list[str], stamps: list[float]) -> None:
    state = {
        "format": STATE_FORMAT,
        "format_version": STATE_FORMAT_VERSION,
        "model_checkpoint_path": os.path.basename(latest),
        "all_model_checkpoint_paths": [os.path.basename(p) for p in paths],
        "all_model_checkpoint_timestamps": stamps,
    }
    text = json.dumps(state, indent=2) + "\n"
    with _atomic_file(os.path.join(folder, latest_filename or "checkpoint")) as f:
        f.write(text.encode("utf-8"))


def _checkpoint_at(ckpt_dir_or_file: str | os.PathLike) -> _Checkpoint:
    """The checkpoint a folder's state file names as the newest, or the checkpoint file (or prefix) given."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        newest = latest_checkpoint(path)
        if newest is None:
            raise CheckpointError(path, f"'{path}' holds no checkpoint state file: pass a checkpoint's prefix instead")
        path = newest
    return _Checkpoint(path)


def list_variables(ckpt_dir_or_file: str | os.PathLike) -> list[tuple[str, list[int]]]:
    """(name, shape) of every value in a checkpoint, sorted by name (TF-1 `tf.train.list_variables`).

    Args:
        ckpt_dir_or_file: a checkpoint's path prefix, or a folder (its newest checkpoint).

    Returns:
        A list of (name, shape) pairs, shapes as lists of ints.

    Raises:
        CheckpointError: the checkpoint is missing or damaged.

    Examples:
        `gf.train.list_variables("model/")` gives e.g. `[("dense/bias", [10]), ("dense/kernel", [784, 10])]`.
    """
    checkpoint = _checkpoint_at(ckpt_dir_or_file)
    return sorted((name, list(shape)) for name, (shape, _) in checkpoint.variables.items())


def load_variable(ckpt_dir_or_file: str | os.PathLike, name: str) -> np.ndarray:
    """The value saved under `name` (TF-1 `tf.train.load_variable`), checked as a restore checks it.

    Args:
        ckpt_dir_or_file: a checkpoint's path prefix, or a folder (its newest checkpoint).
        name: the variable's name, as `list_variables` gives it.

    Returns:
        A numpy array.

    Raises:
        CheckpointError: the checkpoint is missing or damaged, or holds no value of that name (the message lists
            the names it holds).

    Examples:
        `gf.train.load_variable("model/", "dense/bias")` gives the saved bias as an array.
    """
    checkpoint = _checkpoint_at(ckpt_dir_or_file)
    if name not in checkpoint.variables:
        raise CheckpointError(
            checkpoint.path,
            f"'{checkpoint.path}' holds no variable '{name}'; it holds {', '.join(sorted(checkpoint.variables))}",
        )
    return checkpoint.read(name)
