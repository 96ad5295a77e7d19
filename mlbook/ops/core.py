"""What the topic modules share: the one accessor for the active backend and the dtype
rules of binary operations."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as _np

from .. import backends as _backends
from .. import config as _config
from ..backends import common


Tensor = Any


def backend() -> Any:
    """The active backend's module (imported on first use): the one accessor the rest of
    mlbook reaches the backend through, by way of the ops package."""
    return _backends.current()


def as_float(b: Any, x: Tensor) -> Tensor:
    """``x`` as a tensor of a floating type (int and bool become float32)."""
    x = b.coerce(x)
    return x if b.is_floating(x) else b.astype(x, _config.DEFAULT_FLOAT)


def promote(dx: str, dy: str) -> str:
    if dx == dy:
        return dx
    fx, fy = dx.startswith("float"), dy.startswith("float")
    if fx != fy:                                  # int/bool with float: the float's type
        return dx if fx else dy
    return _np.result_type(dx, dy).name


def dtype_of(x: Tensor) -> str:
    b = backend()
    return b.dtype_name(b.coerce(x))


def pair(b: Any, x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Two operands of a binary function as tensors of one dtype (Python scalars adapt)."""
    xs, ys = common.is_python_scalar(x), common.is_python_scalar(y)
    if xs and not ys:
        y = b.coerce(y)
        d = scalar_dtype(x, b.dtype_name(y))       # an int tensor with a float: float32
        return b.full((), x, d), (y if b.dtype_name(y) == d else b.astype(y, d))
    if ys and not xs:
        x = b.coerce(x)
        d = scalar_dtype(y, b.dtype_name(x))
        return (x if b.dtype_name(x) == d else b.astype(x, d)), b.full((), y, d)
    x, y = b.coerce(x), b.coerce(y)
    dx, dy = b.dtype_name(x), b.dtype_name(y)
    if dx != dy:
        d = promote(dx, dy)
        x = x if dx == d else b.astype(x, d)
        y = y if dy == d else b.astype(y, d)
    return x, y


def scalar_dtype(value: Any, other: str) -> str:
    """The dtype a Python scalar and a tensor of dtype ``other`` compute in: the tensor's,
    unless the scalar is a float and the tensor is not (then mlbook's default float, float32,
    as in PyTorch and JAX; numpy would take float64)."""
    own = common.scalar_dtype(value)
    if own == "bool":
        return other
    if own.startswith("int"):
        return other if other != "bool" else own
    return other if other.startswith("float") else own


def broadcast_error(op: str, err: Exception, *shapes: tuple[int, ...]) -> Exception:
    """A clear ValueError when ``shapes`` do not broadcast, else the original error."""
    try:
        _np.broadcast_shapes(*shapes)
    except ValueError:
        return ValueError(f"{op}: shapes {', '.join(map(str, shapes))} cannot be broadcast "
                          "together (each axis must match or be 1)")
    return err


def binary(op: str, x: Any, y: Any) -> Tensor:
    b = backend()
    x, y = pair(b, x, y)
    try:
        return getattr(b, op)(x, y)
    except Exception as err:
        raise broadcast_error(op, err, b.shape(x), b.shape(y)) from err


def same_dtype(b: Any, xs: Sequence[Tensor]) -> list[Tensor]:
    xs = [b.coerce(x) for x in xs]
    if not xs:
        raise ValueError("need at least one tensor")
    names = [b.dtype_name(x) for x in xs]
    target = names[0]
    for n in names[1:]:
        target = promote(target, n)
    return [x if n == target else b.astype(x, target) for x, n in zip(xs, names)]


def as_bool(b: Any, x: Tensor) -> Tensor:
    x = b.coerce(x)
    return x if b.dtype_name(x) == "bool" else b.astype(x, "bool")
