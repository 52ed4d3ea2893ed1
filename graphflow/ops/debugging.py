"""check_numerics: passes a tensor through unchanged, or stops the run when it holds NaN or Inf."""

from __future__ import annotations

import sys

import numpy as np

from graphflow.ops._util import same_shape
from graphflow.registry import defop


@defop("CheckNumerics", shape=same_shape, views=True)
def check_numerics(x, *, message):
    """`x` itself; raises naming what was found (the session adds the node's name) if x has NaN or Inf values."""
    if not np.isfinite(x).all():
        found = " and ".join(kind for kind, bad in (("NaN", np.isnan(x).any()), ("Inf", np.isinf(x).any())) if bad)
        raise FloatingPointError(f"{message} : Tensor had {found} values")
    return x


@check_numerics.defgrad
def _check_numerics_grad(op, g):
    message = "Not a number (NaN) or infinity (Inf) values detected in gradient. " + op.attrs["message"]
    return (check_numerics(g, message=message),)


def _print_dtype(x, *data, **attrs):
    return x


@defop("Print", shape=lambda x, *data, **attrs: x, dtype=_print_dtype, views=True)
def print_op(x, *data, message, first_n, summarize, printed):
    """`x` itself; writes `message` and the values of `data` to stderr, as TF-1's `Print` op does."""
    if first_n < 0 or printed[0] < first_n:
        printed[0] += 1
        sys.stderr.write(message + "".join(_summarized(d, summarize) for d in data) + "\n")
    return x


@print_op.defgrad
def _print_grad(op, g):
    return (g, *(None for _ in op.inputs[1:]))  # the identity for x; nothing flows to what is printed


def _summarized(value: np.ndarray, summarize: int) -> str:
    flat = np.asarray(value).reshape(-1)
    shown = " ".join(_number(v) for v in flat[:summarize])
    return f"[{shown}{'...' if flat.size > summarize else ''}]"


def _number(v) -> str:
    """A number as TF-1 writes it: 6 for 6.0, 0.5 for 0.5."""
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):
    """An identity op that, each time it runs, writes `message` and the values of `data` to stderr (TF-1 `Print`).

    Args:
        input_: the tensor passed through.
        data: a list of tensors whose values are written (the first `summarize` elements of each).
        message: a string written before them.
        first_n: write only the first `first_n` times the op runs; None or negative for every time.
        summarize: how many elements of each tensor to write (3 when None).
        name: the op's name.

    Returns:
        A tensor equal to `input_`. Gradient: d Print(x) = dx.

    Examples:
        loss = gf.Print(loss, [loss, step], "loss and step: ")
    """
    return print_op(
        input_,
        *data,
        message="" if message is None else str(message),
        first_n=-1 if first_n is None else int(first_n),
        summarize=3 if summarize is None else int(summarize),
        printed=[0],  # how many times it has written: the op's own count, as in TF-1
        name=name,
    )


def _nothing(*input_dtypes, **attrs):
    return None


@defop("PrintV2", dtype=_nothing)
def print_v2_op(*inputs, texts, sep, end, summarize, stream):
    parts = [
        text
        if value is None
        else np.array2string(
            np.asarray(value), threshold=summarize, edgeitems=summarize, formatter={"float_kind": _number}
        )
        for text, value in _merged(texts, inputs)
    ]
    (sys.stdout if stream == "stdout" else sys.stderr).write(sep.join(parts) + end)


def _merged(texts, inputs):
    values = iter(inputs)
    return [(text, None) if text is not None else (None, next(values)) for text in texts]


def print_v2(*inputs, output_stream=sys.stderr, summarize=3, sep=" ", end="\n", name=None):
    """An op that writes `inputs` (strings as they are, tensors' values) when it runs (TF-1.13+'s `tf.print`).

    In graph mode the op must be run, e.g. fetched or made a control dependency, as in TF-1.

    Args:
        *inputs: strings and tensors, written separated by `sep`.
        output_stream: `sys.stderr` (default) or `sys.stdout`.
        summarize: how many elements of each tensor to write.
        sep, end: what goes between inputs and after the last one.
        name: the op's name.

    Returns:
        An op with no value (fetching it gives None).

    Examples:
        with gf.control_dependencies([gf.print("loss:", loss)]): train = optimizer.minimize(loss)
    """
    if output_stream not in (sys.stdout, sys.stderr):
        raise ValueError("print's output_stream must be sys.stdout or sys.stderr")
    texts = tuple(x if isinstance(x, str) else None for x in inputs)
    tensors = [x for x in inputs if not isinstance(x, str)]
    stream = "stdout" if output_stream is sys.stdout else "stderr"
    return print_v2_op(*tensors, texts=texts, sep=sep, end=end, summarize=int(summarize), stream=stream, name=name)
