"""Checkpoints: `Saver` writes a session's variable values to a `.npz` file and restores them (TF-1 `tf.train.Saver`).

On disk, `save(sess, "run/model.ckpt", global_step=100)` writes `run/model.ckpt-100.npz` and returns the prefix
`run/model.ckpt-100`, as TF-1 returns a prefix; `restore` takes the prefix or the file name, `latest_checkpoint` the
folder. The file's format (a zip archive with a manifest and a checksum trailer, written atomically) lives in
`graphflow.train.checkpoint`, and the folder's JSON state file (which checkpoints `max_to_keep` keeps, and the newest)
in `graphflow.train.checkpoint_state`; this module matches values to variables by name and decides what to keep. A
restore checks the whole file and every variable before it changes any, and reports every problem in one
`CheckpointError` that names the file.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphflow.graph import Graph, get_default_graph
from graphflow.nodes import Node
from graphflow.ops._util import compatible
from graphflow.shapes import format_shape
from graphflow.train.atomic_file import remove_stale_temporaries
from graphflow.train.checkpoint import (
    EXTENSION,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    CheckpointError,
    _Checkpoint,
    _prefix,
    _write_checkpoint,
    read_checkpoint,
)
from graphflow.train.checkpoint_state import (
    STATE_FORMAT,
    STATE_FORMAT_VERSION,
    CheckpointState,
    _write_state,
    get_checkpoint_state,
    latest_checkpoint,
)
from graphflow.variables import Variable

# The file format's and the state file's public names stay importable from here, where they were first defined.
__all__ = [
    "EXTENSION", "FORMAT", "FORMAT_VERSION", "MANIFEST", "STATE_FORMAT", "STATE_FORMAT_VERSION", "CheckpointError",
    "CheckpointState", "Saver", "get_checkpoint_state", "latest_checkpoint", "read_checkpoint",
]  # fmt: skip

Array = np.ndarray

logger = logging.getLogger(__name__)


class Saver:
    """Saves and restores variables (TF-1 `tf.train.Saver`).

    Args:
        var_list: the variables to save: None for every global variable of the default graph when the saver is built
            (including optimizer slots and `global_step`), a list of `Variable`s (saved under their names), or a dict
            name → `Variable`.
        reshape: allow restoring a value whose shape differs from the variable's if the element count is the same.
        sharded: accepted for TF-1 compatibility; graphflow always writes one file.
        max_to_keep: the number of recent checkpoints to keep; older files are deleted when a save writes the state
            file. None or 0 keeps every file (and the state file lists only the latest), as in TF-1.
        keep_checkpoint_every_n_hours: additionally keep one checkpoint per this many hours of training forever.
        name: accepted for TF-1 compatibility (a saver adds no nodes to the graph).
        allow_empty: allow a saver with no variables; its `save` and `restore` then do nothing.
        pad_step_number: write the step with 8 digits (`model.ckpt-00000100`).
        save_relative_paths: accepted for TF-1 compatibility; the state file always holds relative paths.

    Raises:
        TypeError: `var_list` holds something that is not a `Variable`, or a name that is not a string.
        ValueError: there are no variables (and `allow_empty` is False), or two variables share a name.
    """

    def __init__(
        self,
        var_list: Sequence[Variable] | Mapping[str, Variable] | None = None,
        reshape: bool = False,
        sharded: bool = False,
        max_to_keep: int | None = 5,
        keep_checkpoint_every_n_hours: float = 10000.0,
        name: str | None = None,
        *,
        allow_empty: bool = False,
        pad_step_number: bool = False,
        save_relative_paths: bool = True,
    ) -> None:
        if not isinstance(reshape, bool):
            raise TypeError(f"Saver(reshape=...) must be a bool, got {reshape!r}")
        if max_to_keep is not None and (not isinstance(max_to_keep, int) or max_to_keep < 0):
            raise ValueError(f"max_to_keep must be None or an int >= 0, got {max_to_keep!r}")
        self._vars = _named_variables(var_list)
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save: build the model before the Saver, or pass allow_empty=True")
        self._reshape = reshape
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._next_keep_time = time.time() + keep_checkpoint_every_n_hours * 3600
        self._pad_step_number = pad_step_number
        self._last: list[tuple[str, float]] = []  # (prefix, time) of the checkpoints this saver keeps, oldest first
        self._lock = threading.Lock()

    @property
    def var_list(self) -> dict[str, Variable]:
        """The variables this saver handles, by the name they are saved under."""
        return dict(self._vars)

    @property
    def last_checkpoints(self) -> list[str]:
        """The prefixes of the checkpoints this saver keeps, oldest first."""
        return [path for path, _ in self._last]

    def recover_last_checkpoints(self, checkpoint_paths: Sequence[str]) -> None:
        """Takes over older checkpoints (e.g. from `get_checkpoint_state`) so `max_to_keep` deletes them in turn."""
        now = time.time()
        self._last = [(_prefix(os.fspath(p)), now) for p in checkpoint_paths]

    def save(
        self,
        sess: Any,
        save_path: str | os.PathLike,
        global_step: int | Node | None = None,
        latest_filename: str | None = None,
        meta_graph_suffix: str = "meta",
        write_meta_graph: bool = False,
        write_state: bool = True,
        strip_default_attrs: bool = False,
        save_debug_info: bool = False,
    ) -> str | None:
        """Writes the variables' values in `sess` to `{save_path}[-{step}].npz`.

        Args:
            sess: the session whose values are saved.
            save_path: the checkpoint prefix, e.g. `"run/model.ckpt"` (a trailing `.npz` is taken as the extension).
                Its folder must exist.
            global_step: an int, or a node (such as the global step variable) whose value is read from `sess`;
                appended to the prefix as `-{step}`.
            latest_filename: the state file's name in the folder (default `checkpoint`).
            write_meta_graph: graphflow has no meta graph; True only logs that nothing was written.
            write_state: update the state file and apply `max_to_keep`.
            meta_graph_suffix, strip_default_attrs, save_debug_info: accepted for TF-1 compatibility; unused.

        Returns:
            The checkpoint prefix (`run/model.ckpt-100`; the file is that plus `.npz`), or None for an empty saver.

        Raises:
            ValueError: the folder does not exist, or `global_step` is not an integer.
            OSError: the file could not be written; the previous file of that name is left unchanged.
        """
        if not self._vars:
            return None
        prefix = _prefix(os.fspath(save_path))
        if global_step is not None:
            step = _step_value(sess, global_step)
            prefix = f"{prefix}-{step:08d}" if self._pad_step_number else f"{prefix}-{step}"
        else:
            step = None
        folder = os.path.dirname(prefix) or "."
        if not os.path.isdir(folder):
            raise ValueError(f"Parent directory of {prefix} doesn't exist, can't save.")
        if write_meta_graph:
            logger.info("Saver.save(write_meta_graph=True): graphflow has no meta graph; only the values are saved")
        names = list(self._vars)
        values = sess.run([self._vars[n] for n in names])
        remove_stale_temporaries(folder)
        try:
            _write_checkpoint(prefix + EXTENSION, dict(zip(names, values, strict=True)), step)
            if write_state:
                with self._lock:
                    kept, doomed, next_keep_time = self._kept_after(prefix)
                    _write_state(folder, latest_filename, prefix, [p for p, _ in kept], [t for _, t in kept])
                    # Only once the state file names them, and before deleting any file.
                    self._last, self._next_keep_time = kept, next_keep_time
                    for old in doomed:
                        _remove(old + EXTENSION)
        except BaseException:  # an interrupt, a full disk: the checkpoint may be written but not in the state file
            if write_state and os.path.isfile(prefix + EXTENSION):
                self._remember(prefix)
            raise
        return prefix

    def _remember(self, prefix: str) -> None:
        """Keeps a checkpoint that its save wrote but did not finish recording among those `max_to_keep` deletes in
        turn; otherwise nothing would ever delete it."""
        with self._lock:
            if all(p != prefix for p, _ in self._last):
                self._last.append((prefix, time.time()))

    def restore(self, sess: Any, save_path: str | os.PathLike | None) -> None:
        """Sets the saver's variables in `sess` to the values in a checkpoint.

        The file is read and checked in full (checksum, format version, and every variable's presence, shape and
        dtype) before any variable is changed; if anything is wrong, no variable changes.

        Args:
            sess: the session to load into; the saver's variables must belong to its graph.
            save_path: what `save` or `latest_checkpoint` returned: the prefix, or the `.npz` file itself.

        Raises:
            CheckpointError (a ValueError): the file is missing, unreadable, damaged, from another format version,
                or lacks a variable or holds one with another shape or dtype; the message names the file and lists
                every problem with the expected and found shape and dtype.
            ValueError: a variable belongs to another graph than the session's.
        """
        if not self._vars:
            return
        if save_path is None:
            raise ValueError(
                "Can't restore: save_path is None (gf.train.latest_checkpoint returns None when a folder holds no "
                "checkpoint)"
            )
        graph = getattr(sess, "graph", None)
        for name, var in self._vars.items():
            if var.graph is not graph:
                raise ValueError(
                    f"Variable '{name}' belongs to {var.graph}, but this session runs {graph}: build the Saver in "
                    "the session's graph (after building the model there)"
                )
        if getattr(sess, "_closed", False):
            raise RuntimeError("Attempted to use a closed Session.")
        checkpoint = _Checkpoint(save_path)
        values = self._matched(checkpoint)
        for var, value in values:
            sess.load_variable(var, value)

    def _matched(self, checkpoint: _Checkpoint) -> list[tuple[Variable, Array]]:
        """Each variable with its value from the checkpoint; raises CheckpointError listing every problem.

        The variables are matched against the manifest before any value is read, so a manifest that claims more
        than the variables hold is refused before its entries are decompressed.
        """
        problems, matched = [], []
        specs = checkpoint.variables
        for name, var in self._vars.items():
            if name not in specs:
                hint = difflib.get_close_matches(name, list(specs), n=1)
                problems.append(
                    f"'{name}': not found in the checkpoint" + (f" (did you mean '{hint[0]}'?)" if hint else "")
                )
                continue
            shape, dtype = specs[name]
            want_shape, want_dtype = var.shape, var.dtype
            reshape = None
            if want_dtype is not None and dtype != want_dtype:
                problems.append(
                    f"'{name}': dtype mismatch: the variable is {want_dtype} {format_shape(want_shape)}, "
                    f"the checkpoint holds {dtype} {format_shape(shape)}"
                )
            elif not compatible(want_shape, shape):
                if self._reshape and want_shape is not None and want_shape.num_elements() == math.prod(shape):
                    reshape = tuple(want_shape)
                else:
                    problems.append(
                        f"'{name}': shape mismatch: the variable is {format_shape(want_shape)} {want_dtype}, "
                        f"the checkpoint holds {format_shape(shape)} {dtype}"
                    )
            matched.append((var, name, reshape))
        if problems:
            path = checkpoint.path
            held = ", ".join(f"'{n}'" for n in list(specs)[:12]) + (", ..." if len(specs) > 12 else "")
            raise CheckpointError(
                path,
                f"Cannot restore from checkpoint '{path}': {len(problems)} of {len(self._vars)} variables do not "
                f"match, so no variable was changed.\n  - " + "\n  - ".join(problems) + f"\nThe checkpoint holds "
                f"{len(specs)} variables: {held or 'none'}",
                problems,
            )
        values = []
        for var, name, reshape in matched:
            value = checkpoint.read(name)
            values.append((var, value if reshape is None else value.reshape(reshape)))
        return values

    def _kept_after(self, prefix: str) -> tuple[list[tuple[str, float]], list[str], float]:
        """The checkpoints kept once `prefix` is the newest, the prefixes whose files must then be deleted, and the
        time after which the next checkpoint leaving the window is kept for good. Changes nothing itself."""
        next_keep_time = self._next_keep_time
        if not self._max_to_keep:
            return [(prefix, time.time())], [], next_keep_time
        kept = [(p, t) for p, t in self._last if p != prefix]
        kept.append((prefix, time.time()))
        doomed = []
        while len(kept) > self._max_to_keep:
            old, stamp = kept.pop(0)
            if self._keep_hours and stamp > next_keep_time:
                next_keep_time += self._keep_hours * 3600
            else:
                doomed.append(old)
        return kept, doomed, next_keep_time


# --------------------------------------------------------------------------------------------------------------------
# Helpers


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        logger.warning("Could not delete old checkpoint %s: %s", path, e)


def _step_value(sess: Any, global_step: int | Node) -> int:
    value = sess.run(global_step) if isinstance(global_step, Node) else global_step
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"global_step must be an integer, got {value!r}")
    try:
        step = int(value)
        exact = step == value
    except (TypeError, ValueError):
        exact = False
    if not exact:
        raise ValueError(f"global_step must be an integer (or a node holding one), got {value!r}")
    return step


def _named_variables(var_list: Any) -> dict[str, Variable]:
    if var_list is None:
        graph: Graph = get_default_graph()
        var_list = graph.get_collection("variables")
    if isinstance(var_list, Mapping):
        pairs = list(var_list.items())
    elif isinstance(var_list, Variable) or not isinstance(var_list, Sequence | set | frozenset):
        raise TypeError(f"var_list must be None, a list of Variables or a dict name -> Variable, got {var_list!r}")
    else:
        pairs = [(getattr(v, "op_name", None), v) for v in var_list]
    named: dict[str, Variable] = {}
    for name, var in pairs:
        if not isinstance(var, Variable):
            raise TypeError(f"var_list must hold gf.Variable objects, got {var!r}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"Checkpoint names must be non-empty strings, got {name!r} for '{var.op_name}'")
        if name in named:
            what = "appears twice" if named[name] is var else "is used by two variables"
            raise ValueError(f"The name '{name}' {what} in var_list; each variable is saved under one unique name")
        named[name] = var
    return named
