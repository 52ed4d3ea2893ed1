"""The `gf.summary` namespace (TF-1 `tf.summary`): summary ops, whose values are serialized `Summary` protos.

tensorboard is imported only when a summary runs, not with graphflow.
"""

from graphflow.summary.summaries import clean_tag, histogram, merge, merge_all, scalar

__all__ = ["clean_tag", "histogram", "merge", "merge_all", "scalar"]
