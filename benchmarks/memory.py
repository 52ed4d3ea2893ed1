"""Peak memory of one workload in a process of its own: resident set size, and optionally tracemalloc's peak."""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import common


def measure(prepare: Callable[[], Any], train: Callable[[Any], Any]) -> dict:
    """Runs `train(prepare())` and reports the process's peak RSS and the RSS before training (MiB).

    With BENCH_TRACEMALLOC=1 in the environment it also reports tracemalloc's peak during `train`: the memory numpy
    (and Python) allocated beyond the data, without the interpreter and libraries. It slows the run down, so the
    caller starts a separate process for it.
    """
    data = prepare()
    gc.collect()
    # Start the peak afresh, so reading the files (whose peak depends on the loader, not the framework) is not counted.
    reset = _reset_peak()
    baseline = common.rss_mib()
    trace = os.environ.get("BENCH_TRACEMALLOC") == "1"
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    train(data)
    seconds = time.perf_counter() - start
    peak = common.status_mib("VmHWM") if reset else common.peak_rss_mib()
    result = {"seconds": seconds, "peak_rss_mib": peak, "baseline_rss_mib": baseline, "peak_reset": reset}
    if trace:
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def _reset_peak() -> bool:
    """Resets the kernel's peak RSS of this process to its current RSS (Linux >= 4.0); False where that fails."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
