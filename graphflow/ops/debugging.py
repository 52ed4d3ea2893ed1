"""check_numerics: passes a tensor through unchanged, or stops the run when it holds NaN or Inf."""

from __future__ import annotations

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
