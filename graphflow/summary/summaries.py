"""`gf.summary.scalar`, `histogram`, `merge` and `merge_all` (TF-1's `tf.summary`): graph ops whose value is a
serialized `Summary`, named and tagged as TF-1 names and tags them.

A summary called `name` built inside `name_scope("train")` is the op `train/name`, and its tag is that op's name:
a second `scalar("loss", ...)` in the same scope is `train/loss_1`, tagged so. With `family="f"`, the op is
`train/f/name` and its tag `f/train/f/name`, which TensorBoard shows in the tab `f`. Characters a tag cannot hold
become `_`, and leading slashes are dropped, as in TF-1.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from graphflow.graph import get_default_graph
from graphflow.nodes import Node, Operation
from graphflow.ops.summary import histogram_summary, image_summary, merge_summary, scalar_summary
from graphflow.registry import as_node

SUMMARIES = "summaries"  # `GraphKeys.SUMMARIES`, the collection summaries join unless told otherwise

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w.]", re.ASCII)
_log = logging.getLogger(__name__)


def clean_tag(name: str | None) -> str | None:
    """`name` with the characters TF-1 refuses in a summary's name replaced by `_` and leading slashes removed.

    Args:
        name: a summary's name, or None.

    Returns:
        The cleaned name (None for None); a changed name is logged at INFO level.

    Raises:
        TypeError: `name` is not a string.

    Examples:
        >>> gf.summary.clean_tag("/loss (train)")
        'loss__train_'
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"A summary's name must be a string, got {name!r} of type {type(name).__name__}")
    cleaned = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    if cleaned != name:
        _log.info("Summary name %s is illegal; using %s instead.", name, cleaned)
    return cleaned


def scalar(name: str, tensor: Any, collections: Iterable[str] | None = None, family: str | None = None) -> Node:
    """A summary of one real number, shown in TensorBoard's scalars tab (TF-1 `tf.summary.scalar`).

    Args:
        name: the op's name under the current name scope, and with it the tag.
        tensor: a scalar node (or Python number) of a float or integer dtype.
        collections: the graph collections it joins; `[GraphKeys.SUMMARIES]` when None.
        family: a tab name, prefixed to the op's name and tag.

    Returns:
        A node whose value is the serialized `Summary` (bytes), for `FileWriter.add_summary`.

    Raises:
        ValueError: `tensor`'s static shape is not a scalar; the message names it and its shape.
        TypeError: `tensor` is not a number.
    """
    return _summary(scalar_summary, name, as_node(tensor), collections, family)


def histogram(name: str, values: Any, collections: Iterable[str] | None = None, family: str | None = None) -> Node:
    """A histogram of every element of `values`, with TF-1's buckets (TF-1 `tf.summary.histogram`).

    Args:
        name, collections, family: as for `scalar`.
        values: a node (or array) of a float or integer dtype, any shape. A NaN or infinite element makes the run
            fail, naming the tag, as in TF-1.

    Returns:
        A node whose value is the serialized `Summary` (bytes).
    """
    return _summary(histogram_summary, name, as_node(values), collections, family)


def image(name: str, tensor: Any, max_outputs: int = 3, collections: Iterable[str] | None = None,
          family: str | None = None) -> Node:  # fmt: skip
    """Up to `max_outputs` images, PNG-encoded, shown in TensorBoard's images tab (TF-1 `tf.summary.image`).

    Args:
        name: the op's name under the current name scope; the tags are `name/image/0`, `name/image/1`, ... (or
            `name/image` when `max_outputs` is 1).
        tensor: shape [batch, height, width, channels] with 1 (grayscale), 3 (RGB) or 4 (RGBA) channels; uint8
            values are used as they are, floats are scaled as TF-1 does (all >= 0: the largest becomes 255; with
            negatives, 0 becomes 127).
        max_outputs: how many images of the batch to write.
        collections, family: as for `scalar`.

    Returns:
        A node whose value is the serialized `Summary` (bytes). No gradient.

    Examples:
        gf.summary.image("input", gf.reshape(x, [-1, 28, 28, 1]), 10)
    """
    return _summary(image_summary, name, as_node(tensor), collections, family, max_outputs=int(max_outputs))


def _summary(
    op: Any, name: str, tensor: Node, collections: Iterable[str] | None, family: str | None, **attrs: Any
) -> Operation:
    name, family = clean_tag(name), clean_tag(family)
    node = op(tensor, tag=name, name=name if family is None else f"{family}/{name}", **attrs)
    # The tag is the unique name the op was given, which is only known once it is made.
    node.attrs["tag"] = node.op_name if family is None else f"{family}/{node.op_name}"
    _collect(node, [SUMMARIES] if collections is None else collections)
    return node


def merge(inputs: Iterable[Any], collections: Iterable[str] | None = None, name: str | None = None) -> Node:
    """One summary holding the values of all `inputs` (TF-1 `tf.summary.merge`): the op `Merge/MergeSummary`, or
    `name/name` when named.

    Args:
        inputs: summary nodes (the values of `scalar`, `histogram` or other merges).
        collections: graph collections the merged summary joins; none when None.

    Returns:
        A node whose value is the serialized `Summary` (bytes). Running it fails if two inputs use the same tag.

    Raises:
        ValueError: `inputs` is empty.
        TypeError: an input is not a summary.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("summary.merge needs at least one summary to merge")
    name = clean_tag(name)
    graph = inputs[0].graph if isinstance(inputs[0], Node) else get_default_graph()
    with graph.name_scope(name or "Merge"):
        node = merge_summary(*inputs, name=name or "MergeSummary")
    _collect(node, collections or [])
    return node


def merge_all(key: str = SUMMARIES, scope: str | None = None, name: str | None = None) -> Node | None:
    """The merge of every summary in the default graph's collection `key` (TF-1 `tf.summary.merge_all`).

    Args:
        key: the collection; `GraphKeys.SUMMARIES` (where `scalar` and `histogram` put theirs) by default.
        scope: keep only the summaries whose op name matches this regular expression from its start.
        name: the merge op's name.

    Returns:
        The merged summary node, or None when the collection holds no summary (as TF-1).
    """
    summaries = get_default_graph().get_collection(key)
    if scope is not None:
        pattern = re.compile(scope)
        summaries = [s for s in summaries if pattern.match(s.op_name)]
    return merge(summaries, name=name) if summaries else None


def _collect(node: Node, collections: Iterable[str]) -> None:
    if isinstance(collections, str):
        raise TypeError(f"collections must be a list of collection names, got the string {collections!r}")
    for key in collections:
        node.graph.add_to_collection(key, node)
