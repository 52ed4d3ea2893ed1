"""CPU-bound processes that load the machine while a benchmark runs (`run.py --busy N`), and always stop.

Each process spins in pure Python (no memory traffic, no threads), like a second experiment or a test suite would
keep one core busy. They are bounded three ways: `stop()` kills them (run.py calls it from `finally`, so also on
Ctrl-C and on SIGTERM, which run.py turns into KeyboardInterrupt); each exits by itself at its deadline; and each exits
once its parent is gone (killed with SIGKILL, say): on Linux the kernel kills it with its parent, paused or not,
and elsewhere it checks its parent's pid every 50 ms while it runs. The kernel ties that to the thread that called
`start()`, so call it from the thread that outlives the load (the main thread).
`pause()` and `resume()` stop and continue them (SIGSTOP, SIGCONT), so idle and loaded timings can alternate with the
same processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The loop each process runs: spin for about 50 ms at a time, then check the deadline and the parent. On Linux it
# first asks the kernel for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG): a process stopped by `pause()`
# runs no code, so only the kernel can end it then. It says "ready" once it has asked, and `start()` waits for that,
# so that a `pause()` right after `start()` cannot stop it before.
SPIN = """
import ctypes, os, signal, sys, time
deadline, parent = float(sys.argv[1]), int(sys.argv[2])
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
print("ready", flush=True)
while time.time() < deadline and os.getppid() == parent:
    t = time.perf_counter() + 0.05
    while time.perf_counter() < t:
        pass
"""


class BusyLoad:
    """`n` CPU-bound processes, started on `start()` (or entering `with`) and killed on `stop()` (or leaving it).

    Args:
        n: How many processes (0: none, and every method does nothing).
        limit: Seconds after which each process exits by itself, whatever happens to this one.
    """

    def __init__(self, n: int, limit: float = 3 * 3600) -> None:
        if n < 0:
            raise ValueError(f"--busy takes a number of processes >= 0, got {n}")
        self.n, self.limit = n, limit
        self.procs: list[subprocess.Popen] = []
        self.paused = False

    def start(self) -> BusyLoad:
        """Starts the processes and returns once each is running, or raises RuntimeError if one could not start."""
        deadline = time.time() + self.limit
        for _ in range(self.n):
            proc = subprocess.Popen(
                [sys.executable, "-c", SPIN, repr(deadline), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            self.procs.append(proc)
            ready = proc.stdout.readline()
            proc.stdout.close()
            if ready != "ready\n":
                self.stop()
                raise RuntimeError(f"a busy process did not start (exit code {proc.wait()})")
        return self

    def _signal(self, sig: int) -> None:
        for p in self.procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, sig)

    def pause(self) -> None:
        """Stops the processes where they are (no CPU), until `resume`."""
        if self.procs and not self.paused:
            self._signal(signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.procs and self.paused:
            self._signal(signal.SIGCONT)
            self.paused = False

    def cpu_seconds(self) -> float:
        """CPU seconds the processes have used so far (from /proc/<pid>/stat; 0 where that is unreadable), so that a
        report can say how much load was there: a paused, dead or starved process adds nothing."""
        seconds = 0.0
        for p in self.procs:
            try:
                fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        return seconds

    def running(self) -> list[int]:
        """The pids of the processes still alive."""
        return [p.pid for p in self.procs if p.poll() is None]

    def stop(self) -> None:
        """Kills every process and waits for it; safe to call more than once."""
        self._signal(signal.SIGKILL)  # SIGKILL works on stopped processes too
        for p in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=10)
        self.procs = []
        self.paused = False

    def __enter__(self) -> BusyLoad:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
