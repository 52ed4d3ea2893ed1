"""`gf.summary.FileWriter` and `FileWriterCache` (TF-1's): summaries and graphs written as TensorBoard event files.

Events go through TensorBoard's own `EventFileWriter`, which queues them and writes them from a thread in the
TFRecord format, in a file named `events.out.tfevents.<seconds>.<host>...` whose first event gives the file version.
`tensorboard --logdir DIR` then shows the scalars, histograms and graph.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from typing import Any, ClassVar

from graphflow import _tensorboard
from graphflow.graph import get_default_graph
from graphflow.nodes import Node, OpView


class FileWriter:
    """Writes summaries and the graph to an event file in `logdir` (TF-1 `tf.summary.FileWriter`).

    Args:
        logdir: the directory (created if missing) that `tensorboard --logdir` is pointed at.
        graph: a `gf.Graph` (often `sess.graph`) to write now, as `add_graph` does.
        max_queue: how many events may wait before `add_*` blocks until they are written.
        flush_secs: how often, in seconds, waiting events are written to disk.
        graph_def: a `GraphDef` to write instead of `graph`.
        filename_suffix: appended to the event file's name.
        session: accepted for TF-1 compatibility only; it must be None.

    Raises:
        OSError: `logdir` cannot be created, or is a file; the message names it.
        ImportError: tensorboard is not installed.

    Used as a context manager, it is closed at the end of the block.
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        graph_def: Any = None,
        filename_suffix: str | None = None,
        session: Any = None,
    ) -> None:
        if session is not None:
            raise NotImplementedError(
                "FileWriter(session=...) writes through TF-1's summary-writer ops, which graphflow does not have; "
                "leave session out: add_summary writes the values sess.run gives"
            )
        self._logdir = _checked_logdir(logdir)
        self._options = {
            "max_queue_size": max_queue,
            "flush_secs": flush_secs,
            "filename_suffix": filename_suffix or "",
        }
        self._lock = threading.Lock()
        self._seen_tags: set[str] = set()
        self._run_metadata_tags: set[str] = set()
        self._writer = self._open()
        self._closed = False
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    def _open(self) -> Any:
        module = _tensorboard.module("summary.writer.event_file_writer")
        return module.EventFileWriter(self._logdir, **self._options)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._logdir

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Writes `summary` at step `global_step`.

        Args:
            summary: what running a summary op gives (`sess.run(merged)`, bytes), or a `summary_pb2.Summary`.
            global_step: the step TensorBoard plots it at (an int, or a fetched integer); None for none.

        Raises:
            TypeError: `summary` is a graph node rather than its value, or something else.
        """
        summary_pb2 = _tensorboard.proto("summary_pb2")
        if isinstance(summary, Node | OpView):
            raise TypeError(
                f"add_summary takes the value of a summary op, not the node '{summary.name}': run it first, "
                "writer.add_summary(sess.run(summary), step)"
            )
        if isinstance(summary, bytes):
            summary = summary_pb2.Summary.FromString(summary)
        elif not isinstance(summary, summary_pb2.Summary):
            hint = " (merge_all gives None when no summary was made)" if summary is None else ""
            raise TypeError(
                f"add_summary takes a serialized Summary (bytes, as sess.run of a summary gives) or a Summary proto, "
                f"got {type(summary).__name__}{hint}"
            )
        with self._lock:
            # A tag's plugin metadata is kept with its first value only, as TF-1 does.
            for value in summary.value:
                if value.HasField("metadata"):
                    if value.tag in self._seen_tags:
                        value.ClearField("metadata")
                    else:
                        self._seen_tags.add(value.tag)
        self._add_event(_tensorboard.proto("event_pb2").Event(summary=summary), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Writes a graph for TensorBoard's graph tab: `graph` (a `gf.Graph`, with its static shapes) or `graph_def`.

        Raises:
            ValueError: both or neither are given.
        """
        if (graph is None) == (graph_def is None):
            raise ValueError("add_graph takes exactly one of graph (a gf.Graph) and graph_def (a GraphDef)")
        if graph is not None:
            graph_def = graph.as_graph_def(add_shapes=True) if hasattr(graph, "as_graph_def") else graph
        if not isinstance(graph_def, _tensorboard.proto("graph_pb2").GraphDef):
            raise TypeError(f"add_graph takes a gf.Graph or a GraphDef, got {type(graph_def).__name__}")
        event = _tensorboard.proto("event_pb2").Event(graph_def=graph_def.SerializeToString())
        self._add_event(event, global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Writes a run's `RunMetadata` under `tag`, for TensorBoard's graph tab (TF-1).

        Args:
            run_metadata: the `gf.RunMetadata` given to `Session.run`. graphflow records no device step statistics,
                so its `step_stats` stay empty; TensorBoard lists the tag without timings.
            tag: a name for this run, unique per writer.
            global_step: the step the event is filed under.

        Raises:
            ValueError: `tag` was used before by this writer.
        """
        with self._lock:
            if tag in self._run_metadata_tags:
                raise ValueError("The provided tag was already used for this event type")
            self._run_metadata_tags.add(tag)
        tagged = _tensorboard.proto("event_pb2").TaggedRunMetadata(
            tag=tag, run_metadata=run_metadata.SerializeToString()
        )
        self._add_event(_tensorboard.proto("event_pb2").Event(tagged_run_metadata=tagged), global_step)

    def add_event(self, event: Any) -> None:
        """Writes an `event_pb2.Event` as it is. After `close`, warns and writes nothing (TF-1)."""
        if self._closed:
            warnings.warn(
                f"Attempting to use a closed FileWriter (logdir '{self._logdir}'). The operation will be a noop "
                "unless the FileWriter is explicitly reopened.",
                stacklevel=3,
            )
            return
        self._writer.add_event(event)

    def _add_event(self, event: Any, step: Any) -> None:
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.add_event(event)

    def flush(self) -> None:
        """Writes every waiting event to disk and returns when they are."""
        if not self._closed:
            self._writer.flush()

    def close(self) -> None:
        """Flushes and closes the event file; closing twice is harmless. `reopen()` starts a new file."""
        if not self._closed:
            self._closed = True
            self._writer.close()

    def reopen(self) -> None:
        """After `close`, opens a new event file in the same directory (TF-1); does nothing if open."""
        if self._closed:
            self._writer = self._open()
            self._closed = False

    def __enter__(self) -> FileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<gf.summary.FileWriter '{self._logdir}'{' closed' if self._closed else ''}>"


class FileWriterCache:
    """One `FileWriter` per log directory, shared by whoever asks (TF-1 `tf.summary.FileWriterCache`)."""

    _cache: ClassVar[dict[str, FileWriter]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @staticmethod
    def get(logdir: str | os.PathLike) -> FileWriter:
        """The writer for `logdir`, made (with the default graph) the first time it is asked for."""
        key = os.fspath(logdir)
        with FileWriterCache._lock:
            if key not in FileWriterCache._cache:
                FileWriterCache._cache[key] = FileWriter(key, graph=get_default_graph())
            return FileWriterCache._cache[key]

    @staticmethod
    def clear() -> None:
        """Closes every cached writer and forgets them."""
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}


def _checked_logdir(logdir: Any) -> str:
    """`logdir` as a string, created if it is a local path that does not exist yet."""
    if not isinstance(logdir, str | os.PathLike):
        raise TypeError(f"FileWriter's logdir must be a path (str or os.PathLike), got {type(logdir).__name__}")
    logdir = os.fspath(logdir)
    if not logdir:
        raise ValueError("FileWriter needs a logdir: the directory to write event files into")
    if "://" not in logdir:  # remote file systems (gs://, s3://) are left to tensorboard's gfile
        if os.path.exists(logdir) and not os.path.isdir(logdir):
            raise NotADirectoryError(f"FileWriter's logdir '{logdir}' exists and is not a directory")
        try:
            os.makedirs(logdir, exist_ok=True)
        except OSError as e:
            raise type(e)(f"FileWriter cannot create the logdir '{logdir}': {e.strerror or e}") from e
    return logdir
