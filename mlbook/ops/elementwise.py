"""Elementwise functions."""

from __future__ import annotations

from ..backends import common
from .core import Tensor, as_float, backend, binary, broadcast_error, pair, scalar_dtype


def exp(x: Tensor) -> Tensor:
    """Elementwise :math:`e^x`."""
    b = backend()
    return b.exp(as_float(b, x))


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    b = backend()
    return b.log(as_float(b, x))


def log1p(x: Tensor) -> Tensor:
    """Elementwise :math:`\\log(1 + x)`, accurate for small ``x``."""
    b = backend()
    return b.log1p(as_float(b, x))


def sqrt(x: Tensor) -> Tensor:
    """Elementwise square root."""
    b = backend()
    return b.sqrt(as_float(b, x))


def sin(x: Tensor) -> Tensor:
    """Elementwise sine."""
    b = backend()
    return b.sin(as_float(b, x))


def cos(x: Tensor) -> Tensor:
    """Elementwise cosine."""
    b = backend()
    return b.cos(as_float(b, x))


def tanh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    b = backend()
    return b.tanh(as_float(b, x))


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic function :math:`1 / (1 + e^{-x})`."""
    b = backend()
    return b.sigmoid(as_float(b, x))


def relu(x: Tensor) -> Tensor:
    """Elementwise :math:`\\max(x, 0)`; its gradient at 0 is 0 on every backend."""
    b = backend()
    return b.relu(b.coerce(x))


def abs(x: Tensor) -> Tensor:
    """Elementwise absolute value."""
    b = backend()
    return b.abs(b.coerce(x))


def sign(x: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1."""
    b = backend()
    return b.sign(b.coerce(x))


def floor(x: Tensor) -> Tensor:
    """Elementwise floor."""
    b = backend()
    return b.floor(as_float(b, x))


def round(x: Tensor) -> Tensor:
    """Round to the nearest integer, halves to even (``round(2.5) == 2``), as numpy does."""
    b = backend()
    return b.round(as_float(b, x))


def maximum(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a scalar), broadcasting."""
    return binary("maximum", x, y)


def minimum(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise minimum, broadcasting."""
    return binary("minimum", x, y)


def power(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise :math:`x^y`, broadcasting."""
    return binary("power", x, y)


def clip(x: Tensor, min: float | Tensor | None, max: float | Tensor | None) -> Tensor:
    """Limit values to ``[min, max]`` (either bound may be None)."""
    b = backend()
    x = b.coerce(x)
    if (min is None or common.is_python_scalar(min)) and \
            (max is None or common.is_python_scalar(max)):
        for bound in (min, max):                  # an int tensor with a float bound: float32
            if bound is not None:
                d = scalar_dtype(bound, b.dtype_name(x))
                x = x if b.dtype_name(x) == d else b.astype(x, d)
        return b.clip(x, min, max)
    if min is not None:
        x = maximum(x, min)
    return x if max is None else minimum(x, max)


def where(condition: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """``x`` where ``condition`` is true, else ``y`` (all three broadcast)."""
    b = backend()
    c = b.coerce(condition)
    if b.dtype_name(c) != "bool":
        c = b.astype(c, "bool")
    x, y = pair(b, x, y)
    try:
        return b.where(c, x, y)
    except Exception as err:
        raise broadcast_error("where", err, b.shape(c), b.shape(x), b.shape(y)) from err
