"""The gradient machinery of the active backend, for :mod:`mlbook.autograd` (which readers use).

Each backend computes gradients its own way (HIPS autograd's tracing, ``torch.autograd``,
``GradientTape``, ``mxnet.autograd``, ``jax.vjp``); these functions are all
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


def head_like(head: Any, target: Any) -> Any:
    """``head`` as a tensor of ``target``'s shape and dtype, for :meth:`Tape.gradient`'s
    ``output_gradient``; a clear error when the shapes differ."""
    b = backend()
    head = b.coerce(head)
    if tuple(b.shape(head)) != tuple(b.shape(target)):
        raise ValueError(f"output_gradient has shape {tuple(b.shape(head))} but the target has "
                         f"shape {tuple(b.shape(target))}: give one weight per element of "
                         "the target")
    return b.stop_gradient(b.astype(head, b.dtype_name(target)))


def new_tape(persistent: bool) -> Any:
    """A fresh backend tape: a context manager with ``watch(x)`` and
    ``gradient(y, sources, head)`` (``head``: the gradient flowing into ``y``, a tensor of its
    shape, or None for ones); a tape that is not ``persistent`` may free its graph after its
    first ``gradient``."""
    return backend().Tape(persistent)
