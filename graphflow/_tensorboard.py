"""The one place graphflow imports the `tensorboard` package, and only when a summary is run or written.

Summary ops, the GraphDef export and `gf.summary.FileWriter` build TensorBoard's own protocol buffers and use its
event file writer, so the files they write are the ones TensorBoard reads. `import graphflow` does not import it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """`tensorboard.<name>`, e.g. `module("compat.proto.summary_pb2")`.

    Raises:
        ImportError: tensorboard is not installed; the message says how to install it.
    """
    # tensorboard imports TensorFlow when it finds a module of that name, and a folder called `tensorflow` in the
    # working directory is one (an empty namespace package), which then breaks its file writer. graphflow needs
    # none of TensorFlow, so tensorboard is told to use its own stub, as its `no_tensorflow` build does.
    sys.modules.setdefault("tensorboard.compat.notf", ModuleType("tensorboard.compat.notf"))
    try:
        return importlib.import_module(f"tensorboard.{name}")
    except ImportError as e:
        if e.name is not None and not e.name.startswith("tensorboard"):
            raise
        raise ImportError(
            "graphflow's summaries and event files need the tensorboard package, an optional extra: "
            "pip install 'graphflow[tensorboard]' (or pip install 'tensorboard>=2.10')"
        ) from e


def proto(name: str) -> ModuleType:
    """The protocol buffer module `tensorboard.compat.proto.<name>` (`summary_pb2`, `graph_pb2`, ...)."""
    return module(f"compat.proto.{name}")
