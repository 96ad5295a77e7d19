"""Indexing: take, gather, masks, functional updates."""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as _np

from .. import config as _config
from ..backends import common
from .. import backends as _backends
from .core import Tensor, as_bool, backend


def _no(_: Any) -> bool:
    return False


def _indices(b: Any, indices: Any) -> Tensor:
    idx = b.coerce(indices)
    if b.is_floating(idx):
        raise TypeError(f"indices must be integers, got {b.dtype_name(idx)}")
    return idx if b.dtype_name(idx) == "int64" else b.astype(idx, "int64")


def take(x: Tensor, indices: Any, axis: int | None = None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None), as
    ``numpy.take`` and ``tf.gather``: ``take(x, [2, 0], axis=1)``.

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.take(x, [2, 0], axis=1))
    tensor([[2, 0],
            [5, 3]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.take(x, [0, -1]))       # flattened; negative indices count from the end
    tensor([0, 5], shape=(2,), dtype=int64)
    >>> mb.take(x, [3], axis=1)
    Traceback (most recent call last):
    IndexError: take: index 3 is out of range for axis 1 with length 3
    """
    b = backend()
    x = b.coerce(x)
    if axis is None:
        x, axis = b.reshape(x, (-1,)), 0
    n = len(b.shape(x))
    axis = common.norm_axis(axis, n, "take")
    idx = _indices(b, indices)
    length = b.shape(x)[axis]
    if getattr(b, "is_symbolic", _no)(idx):      # being traced: no value to check on the host;
        wrapped = b.where(b.less(idx, b.zeros((), "int64")), idx + length, idx)  # the kernel
        return b.take(x, wrapped, axis)          # checks the range, negatives count from the end
    host = b.to_numpy(idx)
    if host.size and (host.max() >= length or host.min() < -length):
        raise IndexError(f"take: index {int(host.max() if host.max() >= length else host.min())}"
                         f" is out of range for axis {axis} with length {length}")
    if host.size and host.min() < 0:
        idx = b.from_numpy(host % length)
    return b.take(x, idx, axis)


def gather(x: Tensor, indices: Any, axis: int = 0) -> Tensor:
    """TensorFlow's name for :func:`take`: slices of ``x`` at ``indices`` along ``axis``.

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.gather(x, [1, 1, 0]))    # rows: axis 0 by default
    tensor([[3, 4, 5],
            [3, 4, 5],
            [0, 1, 2]], shape=(3, 3), dtype=int64)
    """
    return take(x, indices, axis)


def take_along_axis(x: Tensor, indices: Any, axis: int) -> Tensor:
    """Pick one element per position along ``axis``, as ``numpy.take_along_axis`` (and
    ``torch.gather``): for ``y_hat`` (n, q) and labels ``y`` (n,),
    ``take_along_axis(y_hat, expand_dims(y, 1), 1)`` is ``y_hat[i, y[i]]``.

    >>> y_hat = mb.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    >>> y = mb.array([0, 2])
    >>> mb.show(mb.take_along_axis(y_hat, mb.expand_dims(y, 1), 1))
    tensor([[0.1],
            [0.5]], shape=(2, 1), dtype=float32)
    >>> mb.take_along_axis(y_hat, y, 1)
    Traceback (most recent call last):
    ValueError: take_along_axis: x (2, 3) and indices (2,) need the same number of axes
    """
    b = backend()
    x = b.coerce(x)
    idx = _indices(b, indices)
    sx, si = b.shape(x), b.shape(idx)
    if len(sx) != len(si):
        raise ValueError(f"take_along_axis: x {sx} and indices {si} need the same number of "
                         "axes")
    return b.take_along_axis(x, idx, common.norm_axis(axis, len(sx), "take_along_axis"))


def one_hot(indices: Any, depth: int, dtype: Any = None) -> Tensor:
    """One-hot encoding: a new last axis of length ``depth`` with 1 at each index (float32).

    >>> mb.show(mb.one_hot(mb.array([0, 2, 1]), 3))
    tensor([[1., 0., 0.],
            [0., 0., 1.],
            [0., 1., 0.]], shape=(3, 3), dtype=float32)
    >>> mb.show(mb.one_hot([1, 3], 3, dtype="int64"))     # an index >= depth gives a zero row
    tensor([[0, 1, 0],
            [0, 0, 0]], shape=(2, 3), dtype=int64)
    """
    b = backend()
    idx = _indices(b, indices)
    hot = b.equal(b.expand_dims(idx, -1), b.from_numpy(_np.arange(depth, dtype="int64")))
    return b.astype(hot, common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def boolean_mask(x: Tensor, mask: Any) -> Tensor:
    """The elements of ``x`` where ``mask`` (same leading shape) is true, as ``x[mask]``.

    >>> x = mb.reshape(mb.arange(6), (3, 2))
    >>> mb.show(mb.boolean_mask(x, mb.array([True, False, True])))     # rows 0 and 2
    tensor([[0, 1],
            [4, 5]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.boolean_mask(x, mb.greater(x, 2)))      # a full-shape mask: a flat result
    tensor([3, 4, 5], shape=(3,), dtype=int64)
    """
    b = backend()
    x, m = b.coerce(x), as_bool(b, mask)
    sx, sm = b.shape(x), b.shape(m)
    if sx[:len(sm)] != sm:
        raise ValueError(f"boolean_mask: mask shape {sm} must match the leading axes of {sx}")
    return b.boolean_mask(x, m)


def index_update(x: Tensor, index: Any, value: Any) -> Tensor:
    """A copy of ``x`` with ``x[index] = value`` applied, on every backend (TensorFlow tensors
    are immutable, so mlbook never assigns in place).  ``index`` is anything numpy accepts
    (ints, slices, lists, bool masks, tuples of these); ``value`` broadcasts to the selection.
    Gradients flow to both ``x`` and ``value``.

    >>> x = mb.zeros((2, 3))
    >>> mb.show(mb.index_update(x, (0, slice(1, None)), 5.0))      # x[0, 1:] = 5
    tensor([[0., 5., 5.],
            [0., 0., 0.]], shape=(2, 3), dtype=float32)
    >>> mb.show(mb.index_update(mb.arange(5), mb.greater(mb.arange(5), 2), 0))
    tensor([0, 1, 2, 0, 0], shape=(5,), dtype=int64)
    >>> f = lambda x, v: mb.sum(mb.index_update(x, [0, 2], v) * mb.array([1.0, 2.0, 3.0]))
    >>> mb.show(mb.grad(f, argnums=(0, 1))(mb.zeros(3), mb.array(1.0)))   # 0 where overwritten
    (tensor([0., 2., 0.], shape=(3,), dtype=float32),
     tensor(4., shape=(), dtype=float32))
    """
    b = backend()
    x = b.coerce(x)
    shp = b.shape(x)
    n = _math.prod(shp)
    host_index = _host_index(b, index)
    positions = _np.arange(n).reshape(shp)[host_index]
    selected = _np.shape(positions)
    positions = _np.ravel(positions)
    if positions.size == 0:
        return x
    v = b.coerce(value) if not common.is_python_scalar(value) else b.full((), value,
                                                                         b.dtype_name(x))
    if b.dtype_name(v) != b.dtype_name(x):
        v = b.astype(v, b.dtype_name(x))
    try:
        v = b.reshape(b.broadcast_to(v, selected), (-1,))
    except Exception as err:
        raise ValueError(f"index_update: value of shape {b.shape(v)} cannot be broadcast to the "
                         f"selection of shape {selected}") from err
    source = _np.zeros(n, dtype="int64")
    source[positions] = _np.arange(positions.size)           # later writes win, as in numpy
    mask = _np.zeros(n, dtype=bool)
    mask[positions] = True
    scattered = b.reshape(b.take(v, b.from_numpy(source), 0), shp)
    return b.where(b.from_numpy(mask.reshape(shp)), scattered, x)


def _host_index(b: Any, index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_host_index(b, i) for i in index)
    if b.is_native(index) or _backends.backend_of(index) is not None:
        return _np.asarray(b.to_numpy(b.coerce(index)))
    return index
