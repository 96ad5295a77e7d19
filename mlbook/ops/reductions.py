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
    shape = tuple(b.shape(x))
    axes = common.norm_axes(axis, len(shape), op)
    if None in shape or _math.prod(shape):           # (None: a traced graph's unknown size)
        return getattr(b, op)(x, axis=axes, keepdims=bool(keepdims))
    return _of_empty(op, x, shape, axes, axis, bool(keepdims))


#: A reduction over an empty axis, as in numpy: the operation's identity (NaN for a mean)
_OF_NOTHING = {"sum": 0, "prod": 1, "mean": float("nan"), "any": False, "all": True,
               "logsumexp": float("-inf")}


def _of_empty(op: str, x: Tensor, shape: tuple[int, ...], axes: tuple[int, ...] | None,
              axis: Any, keepdims: bool) -> Tensor:
    """A reduction of a tensor without elements, as numpy computes it, on every backend
    (MXNet's prod and mean of nothing are 0, its sum to an empty result fails; TensorFlow's max
    of nothing is -inf): the identity over an empty axis; for max and min, which have none, a
    ValueError.  The backend is not called."""
    reduced = tuple(range(len(shape))) if axes is None else axes
    out_shape = tuple(1 if i in reduced else n for i, n in enumerate(shape)
                      if keepdims or i not in reduced)
    if op in ("max", "min") and not _math.prod(shape[a] for a in reduced):
        raise ValueError(f"{op} over an empty axis (a tensor of shape {shape}, axis={axis}) has "
                         f"no value, as in numpy; reduce a tensor with at least one element "
                         f"there")
    b = backend()
    dtype = b.dtype_name(x)
    if op in ("any", "all"):
        dtype = "bool"
    elif op in ("sum", "prod") and (dtype == "bool" or dtype.startswith(("int", "uint"))):
        dtype = "int64"                      # numpy's accumulator for booleans and integers
    fill = _OF_NOTHING.get(op, 0)           # (max, min: an empty result, any value)
    return b.full(out_shape, bool(fill) if dtype == "bool" else fill, dtype)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes by default): ``sum(x, axis=(1, 3), keepdims=True)``.

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.sum(x))
    tensor(15, shape=(), dtype=int64)
    >>> mb.show(mb.sum(x, axis=0))
    tensor([3, 5, 7], shape=(3,), dtype=int64)
    >>> mb.show(mb.sum(x, axis=1, keepdims=True))
    tensor([[ 3],
            [12]], shape=(2, 1), dtype=int64)
    """
    return _reduction("sum", x, axis, keepdims)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (integers are averaged as float32).

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.mean(x))
    tensor(2.5, shape=(), dtype=float32)
    >>> mb.show(mb.mean(x, axis=1))
    tensor([1., 4.], shape=(2,), dtype=float32)
    >>> mb.show(mb.mean(x, axis=0, keepdims=True))
    tensor([[1.5, 2.5, 3.5]], shape=(1, 3), dtype=float32)
    """
    return _reduction("mean", x, axis, keepdims, floating=True)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest value over ``axis``.

    >>> x = mb.array([[1, 5, 2], [7, 0, 3]])
    >>> mb.show(mb.max(x))
    tensor(7, shape=(), dtype=int64)
    >>> mb.show(mb.max(x, axis=0))
    tensor([7, 5, 3], shape=(3,), dtype=int64)
    >>> mb.show(mb.max(x, axis=-1, keepdims=True))
    tensor([[5],
            [7]], shape=(2, 1), dtype=int64)
    >>> mb.max(mb.zeros((0, 3)), axis=0)        # nothing to take the largest of
    Traceback (most recent call last):
    ValueError: max over an empty axis (a tensor of shape (0, 3), axis=0) has no value, as in numpy; reduce a tensor with at least one element there
    """
    return _reduction("max", x, axis, keepdims)


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest value over ``axis``.

    >>> x = mb.array([[1, 5, 2], [7, 0, 3]])
    >>> mb.show(mb.min(x))
    tensor(0, shape=(), dtype=int64)
    >>> mb.show(mb.min(x, axis=1))
    tensor([1, 0], shape=(2,), dtype=int64)
    """
    return _reduction("min", x, axis, keepdims)


def prod(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``.

    >>> x = mb.array([[1, 2], [3, 4]])
    >>> mb.show(mb.prod(x))
    tensor(24, shape=(), dtype=int64)
    >>> mb.show(mb.prod(x, axis=1))
    tensor([ 2, 12], shape=(2,), dtype=int64)
    >>> mb.show(mb.prod(mb.zeros((0, 2)), axis=0))   # the empty product is 1, as in numpy
    tensor([1., 1.], shape=(2,), dtype=float32)
    """
    return _reduction("prod", x, axis, keepdims)


def any(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is true (non-zero).

    >>> x = mb.array([[0, 0], [0, 3]])
    >>> mb.show(mb.any(x))
    tensor(True, shape=(), dtype=bool)
    >>> mb.show(mb.any(x, axis=1))
    tensor([False,  True], shape=(2,), dtype=bool)
    """
    return _reduction("any", x, axis, keepdims)


def all(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is true (non-zero).

    >>> x = mb.array([[1, 2], [0, 3]])
    >>> mb.show(mb.all(x))
    tensor(False, shape=(), dtype=bool)
    >>> mb.show(mb.all(x, axis=0))
    tensor([False,  True], shape=(2,), dtype=bool)
    """
    return _reduction("all", x, axis, keepdims)


def _arg(op: str, x: Tensor, axis: int | None, keepdims: bool) -> Tensor:
    b = backend()
    x = b.coerce(x)
    if axis is not None:
        axis = common.norm_axis(axis, len(b.shape(x)), op)
    return getattr(b, op)(x, axis, bool(keepdims))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest value along ``axis`` (of the flattened tensor if None).

    >>> x = mb.array([[1, 5, 2], [7, 0, 3]])
    >>> mb.show(mb.argmax(x))   # the index into the flattened x
    tensor(3, shape=(), dtype=int64)
    >>> mb.show(mb.argmax(x, axis=1))
    tensor([1, 0], shape=(2,), dtype=int64)
    >>> mb.show(mb.argmax(x, axis=0, keepdims=True))
    tensor([[1, 0, 1]], shape=(1, 3), dtype=int64)
    """
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest value along ``axis`` (of the flattened tensor if None).

    >>> x = mb.array([[1, 5, 2], [7, 0, 3]])
    >>> mb.show(mb.argmin(x))   # the index into the flattened x
    tensor(4, shape=(), dtype=int64)
    >>> mb.show(mb.argmin(x, axis=-1))
    tensor([0, 1], shape=(2,), dtype=int64)
    """
    return _arg("argmin", x, axis, keepdims)


def var(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    r"""Variance :math:`\frac{1}{n - \mathrm{ddof}}\sum_i (x_i - \bar x)^2` (numpy's ``ddof=0``
    by default; PyTorch's default is ``ddof=1``).

    >>> x = mb.array([1.0, 2.0, 3.0, 4.0])
    >>> mb.show(mb.var(x))
    tensor(1.25, shape=(), dtype=float32)
    >>> mb.show(mb.var(x, ddof=1), decimals=4)   # as torch.var
    tensor(1.6667, shape=(), dtype=float32)
    >>> mb.show(mb.var(mb.array([[1, 3], [2, 2]]), axis=1))
    tensor([1., 0.], shape=(2,), dtype=float32)
    """
    b = backend()
    x = as_float(b, x)
    shp = b.shape(x)
    axes = common.norm_axes(axis, len(shp), "var")
    n = _math.prod(shp) if axes is None else _math.prod(shp[a] for a in axes)
    centred = x - b.mean(x, axis=axes, keepdims=True)
    return b.sum(centred * centred, axis=axes, keepdims=bool(keepdims)) / (n - ddof)


def std(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation, the square root of :func:`var`.

    >>> x = mb.array([1.0, 2.0, 3.0, 4.0])
    >>> mb.show(mb.std(x), decimals=4)
    tensor(1.118, shape=(), dtype=float32)
    >>> mb.show(mb.std(x, ddof=1), decimals=4)   # as torch.std
    tensor(1.291, shape=(), dtype=float32)
    >>> mb.show(mb.std(mb.array([[1, 3], [2, 2]]), axis=1))
    tensor([1., 0.], shape=(2,), dtype=float32)
    """
    return sqrt(var(x, axis, keepdims, ddof))


def cumsum(x: Tensor, axis: int | None = None) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor when None).

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.cumsum(x, axis=1))
    tensor([[ 0,  1,  3],
            [ 3,  7, 12]], shape=(2, 3), dtype=int64)
    >>> mb.show(mb.cumsum(x))
    tensor([ 0,  1,  3,  6, 10, 15], shape=(6,), dtype=int64)
    """
    b = backend()
    x = b.coerce(x)
    if axis is None:
        return b.cumsum(b.reshape(x, (-1,)), 0)
    return b.cumsum(x, common.norm_axis(axis, len(b.shape(x)), "cumsum"))


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    r""":math:`\log \sum_i e^{x_i}` over ``axis``, computed stably as
    :math:`m + \log \sum_i e^{x_i - m}` with :math:`m = \max_i x_i` (no overflow for large x).

    >>> mb.show(mb.logsumexp(mb.array([0.0, 0.0])), decimals=4)
    tensor(0.6931, shape=(), dtype=float32)
    >>> mb.show(mb.logsumexp(mb.array([1000.0, 1000.0])), decimals=4)   # exp(1000) would overflow
    tensor(1000.6932, shape=(), dtype=float32)
    >>> mb.show(mb.logsumexp(mb.array([[0.0, np.log(3.0)], [1.0, 1.0]]), axis=1), decimals=4)
    tensor([1.3863, 1.6931], shape=(2,), dtype=float32)
    """
    b = backend()
    x = as_float(b, x)
    shape = tuple(b.shape(x))
    axes = common.norm_axes(axis, len(shape), "logsumexp")
    if None not in shape and not _math.prod(shape):   # log(0): -inf, as numpy's logaddexp
        return _of_empty("logsumexp", x, shape, axes, axis, bool(keepdims))
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
