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
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = _bi.all(isinstance(v, (int, _np.integer)) for v in (start, stop, step))
        dtype = _config.DEFAULT_INT if ints else _config.DEFAULT_FLOAT
    return backend().from_numpy(_np.arange(start, stop, step, dtype=common.dtype_name(dtype)))


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return backend().zeros(common.shape_tuple(shape), common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def ones(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return backend().ones(common.shape_tuple(shape), common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def full(shape: int | Sequence[int], fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; dtype from the value (float32/int64/bool) by default."""
    d = common.dtype_name(dtype) if dtype is not None else common.scalar_dtype(fill_value)
    return backend().full(common.shape_tuple(shape), fill_value, d)


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    """The ``n``×``m`` identity matrix (``m`` defaults to ``n``), float32 by default."""
    d = common.dtype_name(dtype or _config.DEFAULT_FLOAT)
    return backend().from_numpy(_np.eye(n, m, dtype=d))


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (float32 by default)."""
    d = common.dtype_name(dtype or _config.DEFAULT_FLOAT)
    return backend().from_numpy(_np.linspace(start, stop, num).astype(d))


def zeros_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Zeros with the shape of ``x`` and its dtype (or ``dtype``)."""
    return zeros(shape(x), dtype or dtype_of(x))


def ones_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Ones with the shape of ``x`` and its dtype (or ``dtype``)."""
    return ones(shape(x), dtype or dtype_of(x))


def full_like(x: Tensor, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` everywhere, with the shape of ``x`` and its dtype (or ``dtype``)."""
    return full(shape(x), fill_value, dtype or dtype_of(x))
