"""Session configuration as TF-1 scripts write it: `gf.device`, `gf.ConfigProto`, `gf.RunOptions`, `gf.RunMetadata`.

graphflow runs every op on the CPU, in the process that calls `Session.run`, so device placement changes nothing:
`with gf.device("/gpu:0"):` builds its ops as usual. The configuration messages are TensorFlow's own protocol
buffers, from the tensorboard package (imported on first use), so their fields and constants are TF-1's
(`gf.RunOptions(trace_level=gf.RunOptions.FULL_TRACE)`); a session accepts them and uses none of their settings,
and a `RunMetadata` passed to `run` stays empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphflow import _tensorboard

__all__ = ["PROTOS", "device", "proto"]

# TF-1's names for the messages in tensorflow/core/protobuf/config.proto
PROTOS = ("ConfigProto", "GPUOptions", "GraphOptions", "OptimizerOptions", "RunMetadata", "RunOptions")


@contextlib.contextmanager
def device(device_name_or_function: Any) -> Iterator[None]:
    """TF-1's `tf.device`: ops built inside would be placed on that device; graphflow runs them all on the CPU.

    Args:
        device_name_or_function: a device name such as "/cpu:0" or "/gpu:1", or a function of the op; accepted and
            not used.

    Example:
        with gf.device("/cpu:0"):
            embedding = gf.Variable(gf.random_normal([vocabulary, 128]))
    """
    yield


def proto(name: str) -> Any:
    """The protocol buffer class `name` (one of PROTOS) from TensorFlow's config.proto."""
    return getattr(_tensorboard.proto("config_pb2"), name)
