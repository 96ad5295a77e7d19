"""Parameters: tensors an optimiser updates, on mutable and immutable arrays alike.

:func:`make_parameter` gives the backend's mutable form of a tensor (the tensor itself on numpy,
PyTorch and MXNet, a ``tf.Variable`` on TensorFlow, a ``Variable`` holder on JAX, whose arrays
are immutable).  :func:`assign` and :func:`assign_sub` update it; a parameter keeps its identity
through updates, so a module, an optimiser and the reader's own reference all see the new
values.  Computing with a parameter gives the framework's own tensor type.
"""

from __future__ import annotations

from typing import Any, Callable

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


def value_of(param: Any) -> Tensor:
    """The tensor a parameter holds now (itself on numpy, PyTorch and MXNet)."""
    return backend().coerce(param)


# ----------------------------------------------------------------------------- fused updates
def optimizer_kernel(kind: str) -> Callable[..., None] | None:
    """The active backend's fused kernel for optimiser ``kind`` (``"sgd"``, ``"adam"``,
    ``"rmsprop"``, ``"adagrad"``), or None.  A kernel is called as ``kernel(params, grads,
    states, lrs, decays, t, **hyper)`` and updates the parameters and their state dicts in
    place, computing the same update as the optimiser's reference :meth:`delta`."""
    return getattr(backend(), "OPTIMIZER_KERNELS", {}).get(kind)


def can_compile() -> bool:
    """Whether the active backend compiles a function of tensors (``jax.jit``,
    ``tf.function``)."""
    return hasattr(backend(), "compile_function")


def compiles_exactly() -> bool:
    """Whether the active backend's compiled functions compute bit for bit what the same code
    computes eagerly (TensorFlow: ``tf.function`` runs the eager kernels, Grappler off; not JAX,
    whose XLA fuses operations and rounds differently)."""
    return bool(getattr(backend(), "COMPILES_EXACTLY", False))


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled by the active backend; Python floats among its arguments are passed as
    traced scalars (changing a learning rate does not compile again)."""
    return backend().compile_function(fn)
