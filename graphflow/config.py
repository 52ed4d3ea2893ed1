"""Session configuration as TF-1 scripts write it: `gf.ConfigProto`, `gf.GPUOptions`, `gf.device`, `gf.RunOptions`,
`gf.RunMetadata`.

graphflow reads the thread counts of a `ConfigProto` (`intra_op_parallelism_threads`: the threads each matrix product
uses, see graphflow/threads.py; `inter_op_parallelism_threads`: graphflow runs a plan's ops one after another on the
calling thread, so it only checks this one). The other fields are kept for TF-1 scripts that set them and have no
effect: graphflow runs every op on the CPU, in the process that calls `Session.run`, so device placement changes
nothing (`with gf.device("/gpu:0"):` builds its ops as usual). `RunOptions`, `RunMetadata`, `GraphOptions` and
`OptimizerOptions` are TensorFlow's own protocol buffers, from the tensorboard package (imported on first use), so
their fields and constants are TF-1's (`gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE)`); a session accepts
them and uses none of their settings, and a `RunMetadata` passed to `run` stays empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphflow import _tensorboard

__all__ = ["PROTOS", "ConfigProto", "GPUOptions", "device", "proto"]

# TF-1's names for the messages in tensorflow/core/protobuf/config.proto
PROTOS = ("GraphOptions", "OptimizerOptions", "RunMetadata", "RunOptions")


@contextlib.contextmanager
def device(device_name_or_function: Any) -> Iterator[None]:
    """TF-1's `tf.device`: ops built inside would be placed on that device; graphflow runs them all on the CPU.

    Args:
        device_name_or_function: a device name such as "/cpu:0" or "/gpu:1", or a function of the op; accepted and
            not used.

    Returns:
        A context manager; ops built inside it are built as usual.

    Examples:
        with gf.device("/cpu:0"):
            embedding = gf.Variable(gf.random_normal([vocabulary, 128]))
    """
    yield


def proto(name: str) -> Any:
    """The protocol buffer class `name` (one of PROTOS) from TensorFlow's config.proto."""
    return getattr(_tensorboard.proto("config_pb2"), name)


class GPUOptions:
    """TF-1's `tf.GPUOptions`: accepted and kept; graphflow runs on the CPU only."""

    FIELDS = ("allow_growth", "per_process_gpu_memory_fraction", "visible_device_list")

    def __init__(self, **fields: Any) -> None:
        self.allow_growth = False
        self.per_process_gpu_memory_fraction = 0.0
        self.visible_device_list = ""
        _set_fields(self, fields)


class ConfigProto:
    """TF-1's `tf.ConfigProto`: options for a `Session`.

    Args:
        intra_op_parallelism_threads: threads for each matrix product; 0 (the default) lets graphflow choose from
            the cores other programs leave free, re-checked as the session runs.
        inter_op_parallelism_threads: ops run at once; graphflow runs them in order, so any count behaves as 1.
        **fields: TF-1's other fields (`allow_soft_placement`, `log_device_placement`, `device_count`,
            `gpu_options`, ...), kept and not used.

    Raises:
        ValueError: a field TF-1's ConfigProto does not have.

    Examples:
        >>> sess = gf.Session(config=gf.ConfigProto(intra_op_parallelism_threads=1))  # one BLAS thread
    """

    FIELDS = (
        "intra_op_parallelism_threads",
        "inter_op_parallelism_threads",
        "use_per_session_threads",
        "allow_soft_placement",
        "log_device_placement",
        "device_count",
        "device_filters",
        "gpu_options",
        "graph_options",
        "operation_timeout_in_ms",
        "placement_period",
        "isolate_session_state",
    )

    def __init__(self, **fields: Any) -> None:
        self.intra_op_parallelism_threads = 0
        self.inter_op_parallelism_threads = 0
        self.use_per_session_threads = False
        self.allow_soft_placement = False
        self.log_device_placement = False
        self.device_count: dict[str, int] = {}
        self.device_filters: list[str] = []
        self.gpu_options = GPUOptions()
        self.graph_options = None
        self.operation_timeout_in_ms = 0
        self.placement_period = 0
        self.isolate_session_state = False
        _set_fields(self, fields)

    def __repr__(self) -> str:
        return (
            f"ConfigProto(intra_op_parallelism_threads={self.intra_op_parallelism_threads}, "
            f"inter_op_parallelism_threads={self.inter_op_parallelism_threads})"
        )


def _set_fields(message: Any, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in message.FIELDS:
            raise ValueError(
                f'Protocol message {type(message).__name__} has no "{name}" field (graphflow knows '
                f"{', '.join(message.FIELDS)})"
            )
        setattr(message, name, value)
