"""The compiled kernels: the few loops compiled with numba (`base.jit`), the drivers that hand them flat arrays, and
`KERNELS`, which registers each driver with the numpy equations it must agree with and inputs to try it on. This
package is plain array code: it imports numpy (and numba, lazily, when a loop first runs) and nothing else of
graphflow; the ops in graphflow/ops call it, and fall back to numpy for inputs a driver does not take.

Importing the package imports every kernel module, so `KERNELS` is complete.
"""

from graphflow.kernels import activation, histogram, updates, xent
from graphflow.kernels.base import KERNEL_DTYPES, KERNELS, LOOPS, Kernel, compute_dtype, elementwise, jit, out_for

__all__ = [
    "KERNELS", "KERNEL_DTYPES", "LOOPS", "Kernel", "activation", "compute_dtype", "elementwise", "histogram", "jit",
    "out_for", "updates", "xent",
]  # fmt: skip
