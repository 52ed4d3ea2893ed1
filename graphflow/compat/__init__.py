"""`graphflow.compat.v1`: graphflow under the name TF-1 scripts import, `import graphflow.compat.v1 as tf`."""

from graphflow.compat import v1

__all__ = ["v1"]
