"""Small datasets for examples and tests: MNIST read from its original IDX files (bundled with the package).

Nothing here downloads anything, and importing it reads no data: files are opened only when a loader is called.
"""

from graphflow.datasets import mnist

__all__ = ["mnist"]
