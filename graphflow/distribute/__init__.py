"""Data-parallel training over MPI with Horovod's TF-1 API: `import graphflow.distribute as hvd`.

    hvd.init()
    opt = hvd.DistributedOptimizer(gf.train.AdamOptimizer(1e-3 * hvd.size()))
    train_op = opt.minimize(loss)
    bcast = hvd.broadcast_global_variables(0)
    ...  sess.run(init); sess.run(bcast); then train, each rank on its own part of the data

Run it with `mpiexec -n 2 python train.py`. Without an MPI launcher, `hvd.init()` makes a world of one process
and the same script trains alone. mpi4py is imported by `init()`, not by `import graphflow`. See docs/distributed.md.
"""

from graphflow.distribute.ops import Compression, allgather, allreduce, broadcast
from graphflow.distribute.optimizer import DistributedOptimizer, broadcast_global_variables, broadcast_variables
from graphflow.distribute.world import Average, Sum, init, is_initialized, shutdown
from graphflow.distribute.world import world as _world


def size() -> int:
    """The number of processes in the job."""
    return _world().size


def rank() -> int:
    """This process's index in the job, 0 to size() - 1."""
    return _world().rank


def local_size() -> int:
    """The number of processes of the job on this machine."""
    return _world().local_size


def local_rank() -> int:
    """This process's index among the job's processes on this machine."""
    return _world().local_rank


def mpi_enabled() -> bool:
    """Whether this process talks to others through MPI (False in a world of one)."""
    return _world().comm is not None


def mpi_threads_supported() -> bool:
    """Whether MPI allows calls from several threads at once (MPI_THREAD_MULTIPLE)."""
    return _world().threads_supported


__all__ = [
    "Average",
    "Compression",
    "DistributedOptimizer",
    "Sum",
    "allgather",
    "allreduce",
    "broadcast",
    "broadcast_global_variables",
    "broadcast_variables",
    "init",
    "is_initialized",
    "local_rank",
    "local_size",
    "mpi_enabled",
    "mpi_threads_supported",
    "rank",
    "shutdown",
    "size",
]
