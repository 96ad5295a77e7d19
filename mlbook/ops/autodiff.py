"""The gradient machinery of the active backend, for :mod:`mlbook.autograd` (which readers use).

Each backend computes gradients its own way (HIPS autograd's tracing, ``torch.autograd``,
``GradientTape``, ``mxnet.autograd``, ``jax.vjp``); these three functions are all
:mod:`mlbook.autograd` needs from it.
"""

from __future__ import annotations

from typing import Any, Callable

from .core import Tensor, backend


def stop_gradient(x: Tensor) -> Tensor:
    """``x`` cut off from gradient computation."""
    b = backend()
    return b.stop_gradient(b.coerce(x))


def value_and_grad_flat(fun: Callable[[list[Any]], Any], leaves: list[Any],
                        has_aux: bool) -> tuple[Any, Any, list[Any]]:
    """``(fun(leaves), aux, gradients)`` for a function of a flat list of tensors with a scalar
    output (``aux`` is None unless ``has_aux``, when ``fun`` returns ``(value, aux)``)."""
    b = backend()
    return b.value_and_grad(fun, [b.coerce(leaf) for leaf in leaves], has_aux)


def new_tape() -> Any:
    """A fresh backend tape: a context manager with ``watch(x)`` and ``gradient(y, sources)``."""
    return backend().Tape()
