"""Datasets for examples and tests: MNIST from its original IDX files (bundled), and the red/blue XOR clusters.

Nothing here downloads anything, and importing it reads no data: files are opened only when a loader is called.
"""

from graphflow.datasets import mnist, xor

__all__ = ["mnist", "xor"]


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
