"""Summary ops (TF-1's `ScalarSummary`, `HistogramSummary`, `MergeSummary`): their value is a serialized
`tensorboard.compat.proto.summary_pb2.Summary`, the bytes TF-1's `sess.run(summary)` returns and
`FileWriter.add_summary` takes. No gradient flows through them: their dtype is `string`.

The histogram's buckets are TF-1's (`tensorflow/core/lib/histogram/histogram.cc`): edges growing by 10% from 1e-12
to 1e20, mirrored below zero, with 0 and ±DBL_MAX; each value goes into the first bucket whose limit exceeds it,
and runs of empty buckets are written as one.
"""

from __future__ import annotations

import sys

import numpy as np

from graphflow import _tensorboard, dtypes, kernels
from graphflow.kernels.histogram import bucket_limits
from graphflow.registry import defop
from graphflow.shapes import format_shape

DBL_MAX = sys.float_info.max


def _scalar_shape(shape, *, tag):
    if shape is not None and len(shape) != 0:
        raise ValueError(
            f"summary.scalar '{tag}' needs a scalar, got a value of shape {format_shape(shape)}: reduce it first, "
            "e.g. gf.reduce_mean(x)"
        )
    return ()


def _any_shape(*shapes, **attrs):
    return ()


def _real_to_string(*input_dtypes, **attrs):
    for dtype in input_dtypes:
        if dtype is not None and dtype.kind not in "iuf":
            raise TypeError(f"a summary of '{attrs.get('tag')}' takes real numbers, got {dtype}")
    return dtypes.string


def _strings_to_string(*input_dtypes, **attrs):
    for dtype in input_dtypes:
        if dtype is not None and dtype != dtypes.string:
            raise TypeError(f"summary.merge takes the values of summary ops (dtype string), got {dtype}")
    return dtypes.string


@defop("ScalarSummary", shape=_scalar_shape, dtype=_real_to_string)
def scalar_summary(value, *, tag):
    """A `Summary` with one `simple_value` (rounded to float32, as TF-1 stores it) tagged `tag`."""
    value = np.asarray(value)
    if value.shape != ():
        raise ValueError(
            f"tags and values are not the same shape: [] != {format_shape(value.shape)} (tag '{tag}'); "
            "summary.scalar needs a scalar: reduce the tensor first, e.g. gf.reduce_mean(x)"
        )
    summary_pb2 = _tensorboard.proto("summary_pb2")
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, simple_value=float(value))]
    ).SerializeToString()


@defop("HistogramSummary", shape=_any_shape, dtype=_real_to_string)
def histogram_summary(values, *, tag):
    """A `Summary` with one `HistogramProto` of every element of `values`, tagged `tag`."""
    summary_pb2 = _tensorboard.proto("summary_pb2")
    histo = summary_pb2.HistogramProto(**histogram(values, tag))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)]).SerializeToString()


@defop("MergeSummary", shape=_any_shape, dtype=_strings_to_string)
def merge_summary(*summaries):
    """One `Summary` holding the values of all `summaries`, in order.

    Raises:
        ValueError: two inputs have a value with the same tag.
    """
    summary_pb2 = _tensorboard.proto("summary_pb2")
    merged = summary_pb2.Summary()
    tags: set[str] = set()
    for serialized in summaries:
        for value in summary_pb2.Summary.FromString(serialized).value:
            if value.tag in tags:
                raise ValueError(f"Duplicate tag {value.tag} found in summary inputs")
            tags.add(value.tag)
            merged.value.append(value)
    return merged.SerializeToString()


def histogram(values, tag: str) -> dict:
    """The fields of the `HistogramProto` TF-1 makes of `values` (cast to float64, in C order).

    Raises:
        ValueError: a value is NaN or infinite (TF-1's messages).
    """
    x = np.asarray(values)
    if x.dtype not in kernels.KERNEL_DTYPES or not x.flags.c_contiguous:
        x = np.ascontiguousarray(x, dtype=np.float64)
    counts, (low, high, total, squares, nan, inf) = kernels.histogram.histogram(x)
    if nan:
        raise ValueError(f"Nan in summary histogram for: {tag}")
    if inf:
        raise ValueError(f"Infinity in summary histogram for: {tag}")
    limits = bucket_limits()
    # A run of empty buckets is written once, with the limit of its last bucket.
    empty = counts == 0
    keep = ~empty | np.append(~empty[1:], True)
    return {
        "min": float(low) if x.size else DBL_MAX,
        "max": float(high) if x.size else -DBL_MAX,
        "num": float(x.size),
        "sum": float(total),
        "sum_squares": float(squares),
        "bucket_limit": limits[keep].tolist(),
        "bucket": counts[keep].tolist(),
    }


def _image_shape(shape, *, tag, max_outputs):
    if shape is not None and (len(shape) != 4 or shape[3] not in (None, 1, 3, 4)):
        raise ValueError(
            f"summary.image '{tag}' needs images of shape [batch, height, width, channels] with 1, 3 or 4 channels, "
            f"got {format_shape(shape)}"
        )
    return ()


def _image_dtype(dtype, **attrs):
    if dtype is not None and dtype != dtypes.uint8 and dtype.kind != "f":
        raise TypeError(f"summary.image '{attrs.get('tag')}' takes uint8 or float images, got {dtype}")
    return dtypes.string


@defop("ImageSummary", shape=_image_shape, dtype=_image_dtype)
def image_summary(images, *, tag, max_outputs):
    """A `Summary` with the first `max_outputs` images PNG-encoded, tagged `tag/image` (one) or `tag/image/i`."""
    import io

    from PIL import Image

    summary_pb2 = _tensorboard.proto("summary_pb2")
    values = []
    shown = images[:max_outputs]
    pixels = shown if shown.dtype == np.uint8 else _to_uint8(shown.astype(np.float64))
    for i, picture in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(picture[..., 0] if picture.shape[-1] == 1 else picture).save(buffer, format="PNG")
        height, width, channels = picture.shape
        image = summary_pb2.Summary.Image(
            height=height, width=width, colorspace=channels, encoded_image_string=buffer.getvalue()
        )
        values.append(summary_pb2.Summary.Value(tag=f"{tag}/image" if max_outputs == 1 else f"{tag}/image/{i}",
                                                image=image))  # fmt: skip
    return summary_pb2.Summary(value=values).SerializeToString()


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """TF-1's scaling of float images, each on its own (`summary_image_op.cc`): with no negative value, the largest
    becomes 255; otherwise 0 becomes 128 and the value of largest magnitude 128 ± 127. Values are then truncated."""
    out = np.empty(images.shape, np.uint8)
    for i, image in enumerate(images.astype(np.float32)):
        finite = image[np.isfinite(image)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        if low < 0:
            largest = max(-low, abs(high))
            scale, offset = (np.float32(127.0) / np.float32(largest) if largest > 1e-6 else 0.0), np.float32(128.0)
        else:
            scale, offset = (np.float32(255.0) / np.float32(high) if high > 1e-6 else 0.0), np.float32(0.0)
        out[i] = np.clip(np.nan_to_num(image) * np.float32(scale) + offset, 0, 255).astype(np.uint8)
    return out
