"""Every compiled kernel in graphflow/kernels against its numpy reference, by one test over the registry.

Each kernel in `KERNELS` runs on its example in float32 and float64: into a new array, into a given `out`, and into
each input that may be its `out`, and must give its reference's values (bit for bit unless it states a tolerance)
without writing into any other input. The loops are counted as they run, so a driver that fell back to numpy, and
compared numpy with itself, fails; a second test fails if a loop is run by no registered kernel.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow.kernels
from graphflow.kernels import KERNELS, LOOPS, Kernel

for _module in pkgutil.iter_modules(graphflow.kernels.__path__, "graphflow.kernels."):
    importlib.import_module(_module.name)  # so that LOOPS holds the loops of a module the package does not import

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _ways(kernel: Kernel) -> list[Any]:
    """How a kernel may write its result: "new", "out", and the position of each input that may be `out`."""
    return ["new", *(["out"] if kernel.out else []), *kernel.in_place]


def _case_id(kernel: Kernel, dtype: np.dtype, way: Any) -> str:
    if isinstance(way, int):
        way = "into " + list(inspect.signature(kernel.fast).parameters)[way]
    return f"{kernel.name}-{dtype}-{way}"


CASES = [
    pytest.param(name, dtype, way, id=_case_id(kernel, dtype, way))
    for name, kernel in KERNELS.items()
    for dtype in DTYPES
    for way in _ways(kernel)
]


@pytest.fixture
def loop_calls(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts the calls of every `jit` loop. Each loop is replaced in its module, where the drivers look it up."""
    calls: Counter = Counter()

    def counted(loop: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            calls[loop] += 1
            return loop(*args)

        return call

    for loop in LOOPS:
        module = sys.modules[loop.__module__]
        assert getattr(module, loop.__name__) is loop, f"{loop.__qualname__} must be a name of its module"
        monkeypatch.setattr(module, loop.__name__, counted(loop))
    return calls


def _arrays(result: Any) -> tuple[np.ndarray, ...]:
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("name, dtype, way", CASES)
def test_every_kernel_gives_its_numpy_reference(name, dtype, way, loop_calls):
    kernel = KERNELS[name]
    inputs = list(kernel.example(np.random.default_rng(0), dtype))  # as drawn: a copy could change the layout
    example = kernel.example(np.random.default_rng(0), dtype)  # the same values, which nothing writes into
    with np.errstate(all="ignore"):  # inf · 0, NaN and overflow are part of some examples
        want = kernel.reference(*example)
        if way == "new":
            out = None
            got = kernel.fast(*inputs)
        else:
            if way == "out":
                out = tuple(np.full_like(w, np.nan) for w in _arrays(want))
                out = out if isinstance(want, tuple) else out[0]
            else:
                out = inputs[way]
            got = kernel.fast(*inputs, out=out)
    assert sum(loop_calls.values()) > 0, f"{name}'s compiled loop did not run: the example is not what it takes"
    assert type(got) is type(want) and len(_arrays(got)) == len(_arrays(want))
    if out is not None:
        assert all(g is o for g, o in zip(_arrays(got), _arrays(out), strict=True)), "not written into out"
    for i, (a, before) in enumerate(zip(inputs, example, strict=True)):
        if isinstance(a, np.ndarray) and a is not out:
            np.testing.assert_array_equal(a, before, err_msg=f"input {i} was written into")
    tolerance = kernel.tolerance * np.finfo(dtype).eps
    for g, w in zip(_arrays(got), _arrays(want), strict=True):
        assert g.dtype == w.dtype == (kernel.result_dtype or dtype) and g.shape == w.shape
        if tolerance:
            np.testing.assert_allclose(g, w, rtol=tolerance, atol=tolerance)
        else:
            np.testing.assert_array_equal(g, w)
            np.testing.assert_array_equal(np.signbit(g), np.signbit(w))  # -0.0 and 0.0 too


def test_every_compiled_loop_is_run_by_a_registered_kernel(loop_calls):
    for kernel in KERNELS.values():
        for dtype in DTYPES:
            with np.errstate(all="ignore"):
                kernel.fast(*kernel.example(np.random.default_rng(0), dtype))
    unreached = [loop.__qualname__ for loop in LOOPS if not loop_calls[loop]]
    assert unreached == [], "register a Kernel whose example runs each of these loops"
