"""How many threads a session's matrix products use: as many as there are cores that no other program keeps busy.

BLAS (OpenBLAS under numpy) splits each large product into equal parts, one per thread, and the product ends when the
last part does. On an idle 2-core machine two threads run the benchmark MLP's step 1.3-1.9x faster than one at batch 128
and 1024; at batch 32 the gain is smaller, and at times reversed (docs/architecture.md, section 5). When another program
keeps a core busy, the thread that shares its core gets a time slice now and then, and every product waits for it: on
average the same step takes 2.5-4x its idle time, against 1-1.9x on one thread (`benchmarks/thread_counts.py`). After a
product OpenBLAS's worker also spins, waiting for the next one, and takes a time slice from whatever else wants that
core. So the policy counts the cores this process may run on (`os.sched_getaffinity`) and how much of them other
processes used lately (from /proc/stat's per-core busy time minus this process's own CPU time, so the spinning of our
own BLAS worker does not count against us), and gives BLAS one thread per core that others left free.

It looks at the machine at most every `WINDOW` seconds, from `Session.run`: each run decrements a counter, and only
when it reaches zero does the policy read /proc/stat; the counter is then set to about the number of runs that fill
the next window. It measures the machine while this process runs: a pause of more than `GAP` seconds between two runs
starts the measurement afresh and keeps the count chosen before. A program that ran only in the pause (a build, a
test, another framework's benchmark block) says little about the runs to come; counted, it took half the threads
from the next 0.2 s of runs (the tutorial's full-batch iteration took 1.4x its time after another program's block).

Changing BLAS's thread count is one call into the library (about 1 µs, through `threadpoolctl`'s library controller;
`threadpoolctl.threadpool_limits` as a context manager costs about 200 µs, so it is not used per run), made only when
the count changes. numba's compiled loops (graphflow/kernels) run on the calling thread: split over two threads, the
step was slower (docs/architecture.md, section 5).

Why the policy counts free cores instead of timing both counts and keeping the faster: under load two threads can give
the step the better median (at batch 32 and 128), but one step in 7-92 then waits tens of milliseconds for the thread
that shares the busy program's core, so the mean, which a training loop's time follows, is 1.7-3.0x one thread's. A
per-plan trial of both counts was built and timed: it chose one thread, after about a second of runs per trial
(docs/architecture.md has the figures).

`Session(config=gf.ConfigProto(intra_op_parallelism_threads=N))` fixes the count at N for that session's runs.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

# Another process using more than this fraction of a core makes it not free: with two BLAS threads sharing a core
# with a busy process a step takes 3-4x its time, with one thread about 1.2x, so a core busy a quarter of the time
# already costs more than it gives.
SLACK = 0.25
WINDOW = 0.2  # seconds between looks at the machine
GAP = 0.05  # seconds without a run after which the measurement starts afresh
FIRST_WINDOW = 0.05  # the first look comes sooner, so a busy machine is noticed within the first steps
MAX_PERIOD = 1 << 16  # runs between reading the clock, at most
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user, nice, system, irq, softirq, steal (idle and iowait are free)


def blas_threads(cores: int, others_busy: float, override: int = 0, cap: int | None = None) -> int:
    """The number of threads a product gets.

    Args:
        cores: The cores this process may run on.
        others_busy: How many cores' worth of CPU time other processes used lately (e.g. 0.9).
        override: A session's `intra_op_parallelism_threads`: when positive, the answer regardless of the rest.
        cap: The most threads to use (BLAS's own setting, e.g. from OPENBLAS_NUM_THREADS); `cores` when None.

    Returns:
        `override` if set; else one thread per core that others keep busy less than `SLACK` of the time, at least
        one and at most `cap`.
    """
    if override > 0:
        return override
    limit = cores if cap is None else min(cores, cap)
    taken = max(0, math.ceil(others_busy - SLACK))
    return max(1, min(limit, cores - taken))


def session_threads(config: Any) -> tuple[int, int]:
    """`(intra_op, inter_op)` thread counts from a session's `config` (a `gf.ConfigProto`, or None): 0 means "let
    graphflow choose".

    Raises:
        ValueError: a count is not a non-negative integer.
    """
    counts = []
    for field in ("intra_op_parallelism_threads", "inter_op_parallelism_threads"):
        value = getattr(config, field, 0) if config is not None else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(
                f"Session(config=...): {field} must be a non-negative integer (0: graphflow chooses), got {value!r}"
            )
        counts.append(value)
    return counts[0], counts[1]


def affinity_cores() -> tuple[int, ...]:
    """The CPUs this process may run on."""
    try:
        return tuple(sorted(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return tuple(range(os.cpu_count() or 1))


class CpuSampler:
    """CPU time that other processes used on our cores between two calls to `others_busy`, in cores."""

    def __init__(self, cores: tuple[int, ...], stat_path: str = "/proc/stat") -> None:
        self.names = {f"cpu{c}".encode() for c in cores}
        self.path = stat_path
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.restart()

    def restart(self) -> None:
        """Starts the next measurement now: what happened since the previous call is not counted."""
        self.last = self._sample()

    def _busy_seconds(self) -> float | None:
        try:
            with open(self.path, "rb") as f:
                text = f.read()
        except OSError:
            return None
        ticks = 0
        for line in text.split(b"\n")[1:]:
            if not line.startswith(b"cpu"):
                break
            fields = line.split()
            if fields[0] in self.names:
                ticks += sum(int(fields[1 + i]) for i in _BUSY_FIELDS if 1 + i < len(fields))
        return ticks / self.hz

    def _sample(self) -> tuple[float, float | None, float]:
        return time.monotonic(), self._busy_seconds(), time.process_time()

    def others_busy(self) -> float:
        """Cores' worth of CPU time used by other processes since the previous call (0 where /proc/stat is absent)."""
        now = self._sample()
        (t0, busy0, own0), (t1, busy1, own1) = self.last, now
        self.last = now
        if busy0 is None or busy1 is None or t1 <= t0:
            return 0.0
        return max(0.0, ((busy1 - busy0) - (own1 - own0)) / (t1 - t0))


class ThreadPolicy:
    """The process's BLAS thread count, chosen by `blas_threads` and applied before each `Session.run`."""

    def __init__(self) -> None:
        self.cores = affinity_cores()
        self.countdown = 1
        self.period = 1
        self.runs = 0  # runs since the last look at the machine
        self.window = FIRST_WINDOW
        self.chosen = 0  # the count the machine's load asks for (0: not yet known)
        self.current = 0  # the count last given to BLAS (0: BLAS's own)
        self.others = 0.0  # the last measurement, kept for reports
        self.last_end = 0.0  # when the last run ended (time.monotonic)
        self._sampler: CpuSampler | None = None
        self._libraries: list[Any] | None = None
        self._cap: int | None = None
        self._lock = threading.Lock()

    def before_run(self, override: int) -> None:
        """Called by `Session.run` before each run: a counter check, and a look at the machine when it is due."""
        if override:
            if self.current != override:
                self._apply(override)
            return
        if time.monotonic() - self.last_end > GAP and self._sampler is not None:
            # After a pause: measure from now, over runs to come, whose length is not known yet, so the counter
            # starts again at one run and grows as the first look's did.
            self._sampler.restart()
            self.runs, self.countdown, self.period = 0, 1, 1
        self.countdown -= 1
        if self.countdown <= 0:
            self._look()
        if self.current != self.chosen:
            self._apply(self.chosen)

    def after_run(self) -> None:
        """Called by `Session.run` when a run ends: the start of a pause, if the next run is long in coming."""
        self.last_end = time.monotonic()

    def _look(self) -> None:
        with self._lock:
            if self._sampler is None:  # the first run: start measuring, with BLAS's own count until the first look
                self._sampler = CpuSampler(self.cores)
                self.countdown = self.period = 1
                self.chosen = self.cap() or 0
                if self.current == 0:  # BLAS's own count is the one chosen: nothing to set
                    self.current = self.chosen
                return
            self.runs += self.period
            elapsed = time.monotonic() - self._sampler.last[0]
            if elapsed < self.window:  # too soon: wait about as many runs as fill the window, at most twice as many
                more = min(2 * self.runs, self.runs * (self.window - elapsed) / max(elapsed, 1e-6))
                self.countdown = self.period = int(min(MAX_PERIOD, max(1, more)))
                return
            self.others = self._sampler.others_busy()
            self.countdown = self.period = int(min(MAX_PERIOD, max(1, self.runs * WINDOW / elapsed)))
            self.runs = 0
            self.window = WINDOW
            self.chosen = blas_threads(len(self.cores), self.others, cap=self.cap())

    def cap(self) -> int | None:
        """BLAS's own thread count when graphflow first looked (OPENBLAS_NUM_THREADS, or the cores it found)."""
        self.libraries()
        return self._cap

    def libraries(self) -> list[Any]:
        """threadpoolctl's controllers of the BLAS libraries loaded in this process (none without threadpoolctl)."""
        if self._libraries is None:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:
                log.info("threadpoolctl is not installed: BLAS keeps its own thread count")
                self._libraries = []
            else:
                self._libraries = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
            counts = [c.num_threads for c in self._libraries]
            self._cap = max(counts) if counts else None
        return self._libraries

    def _apply(self, threads: int) -> None:
        libraries = self.libraries()
        if threads <= 0:  # not yet chosen: BLAS's own count
            threads = self._cap or 0
        if threads > 0:
            for library in libraries:
                library.set_num_threads(threads)
        self.current = threads


POLICY = ThreadPolicy()
