"""The processes of a data-parallel job and how their collectives run: MPI through mpi4py, or a world of one.

`init()` joins the job `mpiexec` started (it finds the launcher's variables in the environment) and otherwise makes
a world of one process, where every collective returns its input, so the same script runs anywhere. mpi4py is
imported only then, never by `import graphflow`.

A data-parallel job must never hang because one process is gone. Three things end the whole job instead:

* A rank killed by a signal: mpiexec (MPICH's hydra) notices the lost process and ends the others.
* A rank that raises: the exception hook `init()` installs prints the traceback, then a line naming the rank, and
  calls MPI Abort, which ends every process with a non-zero exit.
* A rank whose Python exits while the others still need it (a `sys.exit()`, or the end of its script): on its way
  out it tells every other rank that it left. A rank waiting in a collective polls for such notices, and when the
  collective has still not completed a grace period after one came (`GRACE_SECONDS`), it names the rank that left
  and aborts the job.

So each collective runs in two parts. First a small non-blocking allreduce (of the tensor's shape and dtype, or of
the row counts for an allgather), completed by `wait`, which looks for such notices while it waits: when it
completes, every rank has entered the collective, with matching tensors. Then the data moves with a blocking MPI
call, which cannot hang any more: every rank is there (a rank killed now is mpiexec's to handle). Blocking calls
busy-poll inside MPI, while `wait` sleeps once a wait grows long, and a transfer of the benchmark MLP's 814 KB of
gradients goes at the pace of the rank that wakes last.

Every rank must run the same collectives in the same order (one plan step each, in plan order), as with Horovod.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray

Average = "Average"
Sum = "Sum"
REDUCE_OPS = (Average, Sum)

# Variables a launcher sets in each process it starts: MPICH's hydra and Intel MPI (PMI_*), Open MPI, PMIx.
LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")
GRACE_SECONDS = 2.0  # how long a collective may still take after a rank it waits for announced that it left
POLL_SECONDS = 0.05  # how often a waiting rank looks for such announcements
SPIN_SECONDS = 0.002  # a wait spins this long, then sleeps between tests so it leaves the core to others
LEFT_TAG = 7
# MPI_THREAD_MULTIPLE (mpi4py's default) makes MPICH lock and yield inside every call: on a busy machine a step's two
# collectives then took 3-18 ms instead of 0.3 ms. Serialized suffices, as one thread at a time runs collectives.
THREAD_LEVEL = "serialized"


@dataclass
class World:
    """The job as this process sees it. `comm` is None in a world of one."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1
    comm: Any = None
    control: Any = None  # a duplicate of comm that carries only "I left" notices
    left: dict[int, float] = field(default_factory=dict)  # rank -> when its notice was seen
    threads_supported: bool = False
    pending: list = field(default_factory=list)  # the "I left" sends, kept alive until the process ends


_world: World | None = None
_hooks_installed = False


def launched_by_mpi() -> bool:
    """Whether an MPI launcher (mpiexec, mpirun, srun) started this process."""
    return any(v in os.environ for v in LAUNCHER_VARIABLES)


def init(comm: Any = None) -> None:
    """Joins the job: under an MPI launcher (or with an mpi4py communicator `comm`) every process of it, else a
    world of one. Calling it again does nothing, as in Horovod.

    Args:
        comm: an `mpi4py.MPI.Comm` whose processes form the job; `MPI.COMM_WORLD` when None and launched by MPI.

    Raises:
        ImportError: the process was started by mpiexec but mpi4py is not installed (running on alone would train
            one independent model per process).
        TypeError: `comm` is not an mpi4py communicator.
    """
    global _world
    if _world is not None:
        return
    if comm is None and not launched_by_mpi():
        _world = World()
        return
    try:
        import mpi4py

        if "mpi4py.MPI" not in sys.modules and "MPI4PY_RC_THREAD_LEVEL" not in os.environ:
            mpi4py.rc.thread_level = THREAD_LEVEL
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            "graphflow.distribute: this process was started by an MPI launcher but mpi4py is not installed; "
            "install it with `pip install graphflow[distributed]` (mpi4py and the mpich runtime)"
        ) from e
    if comm is None:
        comm = MPI.COMM_WORLD
    if not isinstance(comm, MPI.Comm):
        raise TypeError(f"init(comm=...) takes an mpi4py communicator, got {type(comm).__name__}")
    local = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.rank)
    _world = World(
        rank=comm.rank,
        size=comm.size,
        local_rank=local.rank,
        local_size=local.size,
        comm=comm,
        control=comm.Dup(),
        threads_supported=MPI.Query_thread() == MPI.THREAD_MULTIPLE,
    )
    local.Free()
    _install_hooks()


def shutdown() -> None:
    """Leaves the job: tells the other ranks so, after which collectives need `init()` again."""
    global _world
    if _world is not None:
        _announce_leaving(_world)
    _world = None


def is_initialized() -> bool:
    return _world is not None


def world() -> World:
    """The current world.

    Raises:
        ValueError: `init()` has not been called (the message says so, as Horovod's does).
    """
    if _world is None:
        raise ValueError("graphflow.distribute has not been initialized; call hvd.init() first")
    return _world


# --------------------------------------------------------------------------------------------------------------------
# Ending the job instead of hanging


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def abort_on_uncaught(exc_type, exc, tb):
        w = _world
        if w is None or w.comm is None or w.size == 1:
            previous(exc_type, exc, tb)
            return
        # The one line naming the rank goes out first: the job may be ended while the traceback is still printing.
        reason = f"rank {w.rank} of {w.size} raised {exc_type.__name__}: {exc}"
        sys.stderr.write(f"graphflow.distribute: {reason}\n")
        sys.stderr.flush()
        previous(exc_type, exc, tb)
        abort(w, reason)

    sys.excepthook = abort_on_uncaught
    # Registered after mpi4py's import, so it runs before mpi4py finalizes MPI at exit.
    atexit.register(_leave_at_exit)


def _leave_at_exit() -> None:
    """A rank that exits without `shutdown()` says so itself (the job may end before a waiting rank can), then tells
    the others, so that none of them waits for it for ever."""
    w = _world
    if w is None or w.control is None:
        return
    if w.size > 1:
        sys.stderr.write(f"graphflow.distribute: rank {w.rank} of {w.size} left the job without hvd.shutdown()\n")
        sys.stderr.flush()
    _announce_leaving(w)


def abort(w: World, reason: str) -> None:
    """Prints why, then ends every process of the job with exit code 1."""
    sys.stderr.write(f"graphflow.distribute: {reason}; ending the whole job (MPI Abort)\n")
    sys.stderr.flush()
    w.comm.Abort(1)


def _announce_leaving(w: World) -> bool:
    if w.control is None:
        return False
    note = np.array([w.rank], dtype=np.int64)
    # Sent eagerly (a few bytes); nothing waits for the sends to be received, since a peer may have left too.
    w.pending = [w.control.Isend(note, dest=r, tag=LEFT_TAG) for r in range(w.size) if r != w.rank]
    w.control = None
    return True


def _notices(w: World) -> None:
    from mpi4py import MPI

    status = MPI.Status()
    while w.control is not None and w.control.Iprobe(source=MPI.ANY_SOURCE, tag=LEFT_TAG, status=status):
        note = np.empty(1, dtype=np.int64)
        w.control.Recv(note, source=status.Get_source(), tag=LEFT_TAG)
        w.left.setdefault(int(note[0]), time.perf_counter())


def wait(w: World, request: Any, what: str) -> None:
    """Completes a non-blocking MPI call; ends the job if a rank it needs has left.

    Spins on the request for `SPIN_SECONDS` (the usual wait for a peer still computing), then sleeps 0.2 ms between
    tests, so a rank that waits long does not take a core from the ranks it waits for.
    """
    start = time.perf_counter()
    next_look = start + POLL_SECONDS
    while not request.Test():
        now = time.perf_counter()
        if now >= next_look:
            next_look = now + POLL_SECONDS
            _notices(w)
            overdue = [r for r, seen in sorted(w.left.items()) if now - seen > GRACE_SECONDS]
            if overdue:
                names = ", ".join(map(str, overdue))
                abort(w, f"rank {names} left the job while rank {w.rank} of {w.size} waits for it in {what}")
        if now - start > SPIN_SECONDS:
            time.sleep(0.0002)


# --------------------------------------------------------------------------------------------------------------------
# The collectives, on numpy arrays


def _mpi_dtype(x: Array, what: str) -> Array:
    if x.dtype == np.float16:  # MPI has no half-precision type: reduce in float32
        return x.astype(np.float32)
    if x.dtype.kind not in "iuf" and x.dtype.kind != "c":
        raise TypeError(f"{what} needs a numeric tensor, got dtype {x.dtype}")
    return x if x.flags.c_contiguous else x.copy(order="C")  # not ascontiguousarray: it makes 0-d arrays 1-d


def _check_same(w: World, x: Array, what: str) -> None:
    """Raises on every rank at once when the ranks' tensors differ in shape or dtype (one small allreduce)."""
    from mpi4py import MPI

    key = np.array([x.size, x.ndim, x.dtype.num, *x.shape[:4]], dtype=np.int64)
    key = np.pad(key, (0, 7 - len(key)))
    both = np.concatenate([key, -key])
    out = np.empty_like(both)
    wait(w, w.comm.Iallreduce(both, out, op=MPI.MAX), what)
    if not (np.array_equal(out[:7], key) and np.array_equal(out[7:], -key)):
        raise ValueError(
            f"{what}: the ranks hold tensors of different shapes or dtypes (rank {w.rank} has {x.dtype} "
            f"{list(x.shape)}); every rank must pass the same shape and dtype"
        )


def _checked(w: World, x: Array, what: str) -> Array:
    """`x` as MPI sends it, once every rank is known to pass the same shape and dtype."""
    send = _mpi_dtype(np.asarray(x), what)
    _check_same(w, send, what)
    return send


def allreduce(x: Array, reduce_op: str, what: str = "allreduce") -> Array:
    """The sum (or mean) of `x` over every rank; `x` itself in a world of one."""
    w = world()
    if w.size == 1:
        return x
    from mpi4py import MPI

    send = _checked(w, x, what)
    out = np.empty_like(send)
    w.comm.Allreduce(send, out, op=MPI.SUM)
    if reduce_op == Average:
        np.divide(out, w.size, out=out, casting="unsafe")
    return out.astype(x.dtype, copy=False)


def broadcast(x: Array, root_rank: int, what: str = "broadcast") -> Array:
    """Rank `root_rank`'s `x`, on every rank."""
    w = world()
    if w.size == 1:
        return x
    send = _checked(w, x, what)
    out = send.copy() if w.rank == root_rank else np.empty_like(send)
    w.comm.Bcast(out, root=root_rank)
    return out.astype(x.dtype, copy=False)


def row_counts(n: int, what: str) -> Array:
    """Every rank's number of rows, in rank order."""
    w = world()
    if w.size == 1:
        return np.array([n], dtype=np.int64)
    counts = np.empty(w.size, dtype=np.int64)
    wait(w, w.comm.Iallgather(np.array([n], dtype=np.int64), counts), what)
    return counts


def allgather(x: Array, what: str = "allgather") -> Array:
    """The ranks' `x` concatenated along the first axis, in rank order (the first dimensions may differ)."""
    w = world()
    if w.size == 1:
        return x
    send = _mpi_dtype(np.asarray(x), what)
    if send.ndim == 0:
        raise ValueError(f"{what} needs a tensor of rank 1 or more (it concatenates along axis 0), got a scalar")
    # Checks the trailing shape and dtype: a row of one rank must be a row of every other.
    _check_same(w, send[:0].reshape(0, *send.shape[1:]), what)
    counts = row_counts(len(send), what)
    row = int(np.prod(send.shape[1:], dtype=np.int64))
    out = np.empty((int(counts.sum()), *send.shape[1:]), dtype=send.dtype)
    w.comm.Allgatherv(send, (out, counts * row))
    return out.astype(x.dtype, copy=False)
