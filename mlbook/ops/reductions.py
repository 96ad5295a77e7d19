"""Reductions over axes."""

from __future__ import annotations

import math as _math
from typing import Any

from ..backends import common
from .core import Tensor, as_float, backend
from .elementwise import sqrt


def _reduction(op: str, x: Tensor, axis: Any, keepdims: bool, floating: bool = False) -> Tensor:
    b = backend()
    x = as_float(b, x) if floating else b.coerce(x)
    return getattr(b, op)(x, axis=common.norm_axes(axis, len(b.shape(x)), op),
                          keepdims=bool(keepdims))


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes by default): ``sum(x, axis=(1, 3), keepdims=True)``."""
    return _reduction("sum", x, axis, keepdims)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (integers are averaged as float32)."""
    return _reduction("mean", x, axis, keepdims, floating=True)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest value over ``axis``."""
    return _reduction("max", x, axis, keepdims)


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest value over ``axis``."""
    return _reduction("min", x, axis, keepdims)


def prod(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``."""
    return _reduction("prod", x, axis, keepdims)


def any(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is true (non-zero)."""
    return _reduction("any", x, axis, keepdims)


def all(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is true (non-zero)."""
    return _reduction("all", x, axis, keepdims)


def _arg(op: str, x: Tensor, axis: int | None, keepdims: bool) -> Tensor:
    b = backend()
    x = b.coerce(x)
    if axis is not None:
        axis = common.norm_axis(axis, len(b.shape(x)), op)
    return getattr(b, op)(x, axis, bool(keepdims))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest value along ``axis`` (of the flattened tensor if None)."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest value along ``axis`` (of the flattened tensor if None)."""
    return _arg("argmin", x, axis, keepdims)


def var(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    r"""Variance :math:`\frac{1}{n - \mathrm{ddof}}\sum_i (x_i - \bar x)^2` (numpy's ``ddof=0``
    by default; PyTorch's default is ``ddof=1``)."""
    b = backend()
    x = as_float(b, x)
    shp = b.shape(x)
    axes = common.norm_axes(axis, len(shp), "var")
    n = _math.prod(shp) if axes is None else _math.prod(shp[a] for a in axes)
    centred = x - b.mean(x, axis=axes, keepdims=True)
    return b.sum(centred * centred, axis=axes, keepdims=bool(keepdims)) / (n - ddof)


def std(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation, the square root of :func:`var`."""
    return sqrt(var(x, axis, keepdims, ddof))


def cumsum(x: Tensor, axis: int | None = None) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor when None)."""
    b = backend()
    x = b.coerce(x)
    if axis is None:
        return b.cumsum(b.reshape(x, (-1,)), 0)
    return b.cumsum(x, common.norm_axis(axis, len(b.shape(x)), "cumsum"))


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    r""":math:`\log \sum_i e^{x_i}` over ``axis``, computed stably as
    :math:`m + \log \sum_i e^{x_i - m}` with :math:`m = \max_i x_i` (no overflow for large x)."""
    b = backend()
    x = as_float(b, x)
    axes = common.norm_axes(axis, len(b.shape(x)), "logsumexp")
    native = getattr(b, "logsumexp", None)
    if native is not None:
        return native(x, axes, bool(keepdims))
    top = b.stop_gradient(b.max(x, axis=axes, keepdims=True))
    # a shift that is not finite (all -inf, an inf, a NaN) is replaced by 0, as SciPy does:
    # then logsumexp is -inf, inf and NaN there, not inf - inf
    zero = b.full(b.shape(top), 0.0, b.dtype_name(top))
    m = b.where(b.equal(top - top, zero), top, zero)
    out = b.log(b.sum(b.exp(x - m), axis=axes, keepdims=True)) + m
    if getattr(b, "SUM_OF_INF_IS_NAN", False):    # MXNet's compensated sum: inf + 1 is NaN
        out = b.where(b.equal(top, b.full(b.shape(top), float("inf"), b.dtype_name(top))),
                      top, out)
    return out if keepdims else b.squeeze(out, axes if axes is not None
                                          else tuple(range(len(b.shape(x)))))
