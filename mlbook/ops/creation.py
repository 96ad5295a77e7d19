"""Creating tensors: from data, ranges, constants."""

from __future__ import annotations

import builtins as _bi
from typing import Any, Sequence

import numpy as _np

from .. import config as _config
from ..backends import common
from .. import backends as _backends
from .core import Tensor, backend, dtype_of
from .shape import shape


def array(data: Any, dtype: Any = None) -> Tensor:
    """A new tensor holding ``data`` (nested lists, scalars, a numpy array or a tensor).

    Without ``dtype``: Python floats give float32, ints int64, bools bool; numpy arrays and
    tensors keep their dtype.  The data is copied.

    >>> mb.show(mb.array([[1, 2], [3, 4]]))
    tensor([[1, 2],
            [3, 4]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.array([1, 2.5]))        # one Python float makes it float32
    tensor([1. , 2.5], shape=(2,), dtype=float32)
    >>> mb.dtype(mb.array(np.zeros(2)))    # a numpy array keeps its dtype
    'float64'
    >>> mb.show(mb.tensor([1, 2], dtype=mb.float32))   # mb.tensor is the same function
    tensor([1., 2.], shape=(2,), dtype=float32)
    """
    b = backend()
    if b.is_native(data):
        x = b.from_numpy(b.to_numpy(data))
        return x if dtype is None else b.astype(x, common.dtype_name(dtype))
    if _backends.backend_of(data) not in (None, "numpy"):
        raise _backends.foreign_error(data, b.NAME)
    return b.from_numpy(common.host_array(data, dtype))


tensor = array


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``: ``arange(4)`` is ``[0, 1, 2, 3]`` (int64).

    Integer arguments give int64, any float argument float32 (as ``arange(4.0)``).  The values
    are computed by numpy and converted, so they are identical on every backend.

    >>> mb.show(mb.arange(4))
    tensor([0, 1, 2, 3], shape=(4,), dtype=int64)
    >>> mb.show(mb.arange(1, 2, 0.25))     # a float argument gives float32
    tensor([1.  , 1.25, 1.5 , 1.75], shape=(4,), dtype=float32)
    >>> mb.show(mb.arange(4.0))
    tensor([0., 1., 2., 3.], shape=(4,), dtype=float32)
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = _bi.all(isinstance(v, (int, _np.integer)) for v in (start, stop, step))
        dtype = _config.DEFAULT_INT if ints else _config.DEFAULT_FLOAT
    return backend().from_numpy(_np.arange(start, stop, step, dtype=common.dtype_name(dtype)))


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise).

    >>> mb.show(mb.zeros((2, 3)))
    tensor([[0., 0., 0.],
            [0., 0., 0.]], shape=(2, 3), dtype=float32)
    >>> mb.show(mb.zeros(3, dtype=mb.int64))
    tensor([0, 0, 0], shape=(3,), dtype=int64)
    """
    return backend().zeros(common.shape_tuple(shape), common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def ones(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise).

    >>> mb.show(mb.ones(3))
    tensor([1., 1., 1.], shape=(3,), dtype=float32)
    >>> mb.show(mb.ones((2, 2), dtype=mb.bool_))
    tensor([[ True,  True],
            [ True,  True]], shape=(2, 2), dtype=bool)
    """
    return backend().ones(common.shape_tuple(shape), common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def full(shape: int | Sequence[int], fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; dtype from the value (float32/int64/bool) by default.

    >>> mb.show(mb.full((2, 3), 7))
    tensor([[7, 7, 7],
            [7, 7, 7]], shape=(2, 3), dtype=int64)
    >>> mb.show(mb.full(2, 0.5))
    tensor([0.5, 0.5], shape=(2,), dtype=float32)
    >>> mb.show(mb.full(2, 1, dtype=mb.float32))   # dtype overrides the value's int64
    tensor([1., 1.], shape=(2,), dtype=float32)
    """
    d = common.dtype_name(dtype) if dtype is not None else common.scalar_dtype(fill_value)
    return backend().full(common.shape_tuple(shape), fill_value, d)


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    """The ``n``×``m`` identity matrix (``m`` defaults to ``n``), float32 by default.

    >>> mb.show(mb.eye(3))
    tensor([[1., 0., 0.],
            [0., 1., 0.],
            [0., 0., 1.]], shape=(3, 3), dtype=float32)
    >>> mb.show(mb.eye(2, 3, dtype=mb.int64))
    tensor([[1, 0, 0],
            [0, 1, 0]], shape=(2, 3), dtype=int64)
    """
    d = common.dtype_name(dtype or _config.DEFAULT_FLOAT)
    return backend().from_numpy(_np.eye(n, m, dtype=d))


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (float32 by default).

    >>> mb.show(mb.linspace(0, 1, 5))
    tensor([0.  , 0.25, 0.5 , 0.75, 1.  ], shape=(5,), dtype=float32)
    >>> mb.show(mb.linspace(-1, 1, 3, dtype=mb.float64))
    tensor([-1.,  0.,  1.], shape=(3,), dtype=float64)
    """
    d = common.dtype_name(dtype or _config.DEFAULT_FLOAT)
    return backend().from_numpy(_np.linspace(start, stop, num).astype(d))


def zeros_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Zeros with the shape of ``x`` and its dtype (or ``dtype``).

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.zeros_like(x))
    tensor([[0, 0, 0],
            [0, 0, 0]], shape=(2, 3), dtype=int64)
    >>> mb.show(mb.zeros_like(x, dtype=mb.float32))
    tensor([[0., 0., 0.],
            [0., 0., 0.]], shape=(2, 3), dtype=float32)
    """
    return zeros(shape(x), dtype or dtype_of(x))


def ones_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Ones with the shape of ``x`` and its dtype (or ``dtype``).

    >>> x = mb.array([[0.5, 1.5]])
    >>> mb.show(mb.ones_like(x))
    tensor([[1., 1.]], shape=(1, 2), dtype=float32)
    >>> mb.show(mb.ones_like(x, dtype=mb.int64))
    tensor([[1, 1]], shape=(1, 2), dtype=int64)
    """
    return ones(shape(x), dtype or dtype_of(x))


def full_like(x: Tensor, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` everywhere, with the shape of ``x`` and its dtype (or ``dtype``).

    >>> x = mb.array([1.5, 2.5, 3.5])
    >>> mb.show(mb.full_like(x, 2))        # x's float32, not the int64 of 2
    tensor([2., 2., 2.], shape=(3,), dtype=float32)
    >>> mb.show(mb.full_like(x, 2, dtype=mb.int64))
    tensor([2, 2, 2], shape=(3,), dtype=int64)
    """
    return full(shape(x), fill_value, dtype or dtype_of(x))
