"""Dtypes and conversion to and from numpy and Python."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..backends import common
from .core import Tensor, backend, dtype_of


# dtype names (mlbook passes dtypes around as these strings)
float16, float32, float64 = "float16", "float32", "float64"


int32, int64, uint8, bool_ = "int32", "int64", "uint8", "bool"


def dtype(x: Tensor) -> str:
    """The dtype of ``x`` as a name: ``"float32"``, ``"int64"``, ``"bool"`` ..."""
    return dtype_of(x)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (a name such as ``"float64"``, or ``mlbook.float64``)."""
    b = backend()
    return b.astype(b.coerce(x), common.dtype_name(dtype))


def is_floating(x: Tensor) -> bool:
    """Whether ``x`` has a floating-point dtype."""
    b = backend()
    return b.is_floating(b.coerce(x))


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor of the active backend."""
    return bool(backend().is_native(x))


def to_numpy(x: Tensor) -> _np.ndarray:
    """``x`` as a numpy array (detached from any gradient computation)."""
    b = backend()
    return _np.asarray(b.to_numpy(b.coerce(x)))


def from_numpy(a: _np.ndarray) -> Tensor:
    """A tensor of the active backend from a numpy array, keeping its dtype."""
    return backend().from_numpy(_np.asarray(a))


def item(x: Tensor) -> bool | int | float:
    """The single value of a one-element tensor as a Python scalar."""
    a = to_numpy(x)
    if a.size != 1:
        raise ValueError(f"item() needs a tensor with one element, got shape {a.shape}")
    return a.item()


def tolist(x: Tensor) -> Any:
    """``x`` as (nested) Python lists."""
    return to_numpy(x).tolist()
