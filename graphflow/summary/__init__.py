"""The `gf.summary` namespace (TF-1 `tf.summary`): summary ops and the writer of TensorBoard event files.

tensorboard is imported only when a summary runs or a writer is made, not with graphflow.
"""

from graphflow.summary.summaries import clean_tag, histogram, image, merge, merge_all, scalar
from graphflow.summary.writer import FileWriter, FileWriterCache

__all__ = ["FileWriter", "FileWriterCache", "clean_tag", "histogram", "image", "merge", "merge_all", "scalar"]


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
