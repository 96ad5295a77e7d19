"""Parameters: tensors an optimiser updates, on mutable and immutable arrays alike.

:func:`make_parameter` gives the backend's mutable form of a tensor (the tensor itself on numpy,
PyTorch and MXNet, a ``tf.Variable`` on TensorFlow, a ``Variable`` holder on JAX, whose arrays
are immutable).  :func:`assign` and :func:`assign_sub` update it; a parameter keeps its identity
through updates, so a module, an optimiser and the reader's own reference all see the new
values.  Computing with a parameter gives the framework's own tensor type.
"""

from __future__ import annotations

from typing import Any

from .core import Tensor, backend


def make_parameter(x: Tensor) -> Any:
    """A trainable parameter holding ``x`` (a copy)."""
    b = backend()
    return b.make_parameter(b.coerce(x))


def assign(param: Any, value: Tensor) -> None:
    """Overwrite ``param`` with ``value`` (same shape; converted to the parameter's dtype)."""
    b = backend()
    value = b.coerce(value)
    dtype = b.dtype_name(b.coerce(param))
    if b.dtype_name(value) != dtype:
        value = b.astype(value, dtype)
    b.assign(param, value)


def assign_sub(param: Any, delta: Tensor) -> None:
    """``param -= delta``: the optimisers' one update."""
    backend().assign_sub(param, delta)
