"""Dtypes and conversion to and from numpy and Python."""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..backends import common
from .core import Tensor, backend, dtype_of


# dtype names: mlbook passes dtypes around as these strings

#: Half precision (2 bytes), for storage and accelerator arithmetic.
#:
#: >>> mb.dtype(mb.astype(mb.array([1.0, 2.0]), mb.float16))
#: 'float16'
float16 = "float16"

#: Single precision, mlbook's default floating type on every backend.
#:
#: >>> mb.dtype(mb.array([1.0, 2.0])), mb.float32
#: ('float32', 'float32')
float32 = "float32"

#: Double precision: ask for it explicitly (numpy would default to it; mlbook does not).
#:
#: >>> mb.show(mb.array([1 / 3], dtype=mb.float64))
#: tensor([0.33333333], shape=(1,), dtype=float64)
float64 = "float64"

#: 32-bit integers.
#:
#: >>> mb.show(mb.astype(mb.array([1.7, -1.7]), mb.int32))   # truncates toward zero
#: tensor([ 1, -1], shape=(2,), dtype=int32)
int32 = "int32"

#: 64-bit integers, what Python ints become.
#:
#: >>> mb.dtype(mb.array([1, 2])) == mb.int64
#: True
int64 = "int64"

#: Unsigned bytes, how images are stored.
#:
#: >>> mb.show(mb.astype(mb.array([0, 128, 255]), mb.uint8))
#: tensor([  0, 128, 255], shape=(3,), dtype=uint8)
uint8 = "uint8"

#: Booleans, what comparisons return (the name is ``"bool"``).
#:
#: >>> mb.dtype(mb.greater(mb.array([1, 2]), 1)), mb.bool_
#: ('bool', 'bool')
bool_ = "bool"


def dtype(x: Tensor) -> str:
    """The dtype of ``x`` as a name: ``"float32"``, ``"int64"``, ``"bool"`` ...

    >>> x = mb.array([1, 2, 3])
    >>> mb.dtype(x), mb.dtype(mb.array([1.5])), mb.dtype(mb.greater(x, 1))
    ('int64', 'float32', 'bool')
    >>> mb.dtype(x) == mb.int64
    True
    """
    return dtype_of(x)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (a name such as ``"float64"``, or ``mlbook.float64``).

    >>> mb.show(mb.astype(mb.array([1, 2, 3]), "float64"))
    tensor([1., 2., 3.], shape=(3,), dtype=float64)
    >>> mb.show(mb.astype(mb.array([1.7, -1.7]), mb.int64))   # truncates toward zero
    tensor([ 1, -1], shape=(2,), dtype=int64)
    >>> mb.show(mb.astype(mb.array([0.0, 0.5, 2.0]), mb.bool_))   # non-zero is True
    tensor([False,  True,  True], shape=(3,), dtype=bool)
    """
    b = backend()
    return b.astype(b.coerce(x), common.dtype_name(dtype))


def is_floating(x: Tensor) -> bool:
    """Whether ``x`` has a floating-point dtype.

    >>> mb.is_floating(mb.array([1.0, 2.0])), mb.is_floating(mb.array([1, 2]))
    (True, False)
    >>> mb.is_floating(mb.array([True])), mb.is_floating(mb.astype(mb.array([1]), mb.float16))
    (False, True)
    """
    b = backend()
    return b.is_floating(b.coerce(x))


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor of the active backend.

    >>> mb.is_tensor(mb.array([1, 2])), mb.is_tensor([1, 2]), mb.is_tensor(3.0)
    (True, False, False)
    """
    return bool(backend().is_native(x))


def to_numpy(x: Tensor) -> _np.ndarray:
    """``x`` as a numpy array (detached from any gradient computation).

    >>> a = mb.to_numpy(mb.array([[1.0, 2.0]]))
    >>> type(a).__name__, a.dtype.name, a.shape
    ('ndarray', 'float32', (1, 2))
    >>> a
    array([[1., 2.]], dtype=float32)
    """
    b = backend()
    return _np.asarray(b.to_numpy(b.coerce(x)))


def from_numpy(a: _np.ndarray) -> Tensor:
    """A tensor of the active backend from a numpy array, keeping its dtype.

    >>> x = mb.from_numpy(np.array([[1, 2], [3, 4]], dtype=np.int32))
    >>> mb.is_tensor(x)
    True
    >>> mb.show(x)
    tensor([[1, 2],
            [3, 4]], shape=(2, 2), dtype=int32)
    """
    return backend().from_numpy(_np.asarray(a))


def item(x: Tensor) -> bool | int | float:
    """The single value of a one-element tensor as a Python scalar.

    >>> mb.item(mb.sum(mb.array([1, 2, 3])))
    6
    >>> mb.item(mb.array([[2.5]])), mb.item(mb.array([True]))
    (2.5, True)
    >>> mb.item(mb.array([1, 2]))
    Traceback (most recent call last):
    ValueError: item() needs a tensor with one element, got shape (2,)
    """
    a = to_numpy(x)
    if a.size != 1:
        raise ValueError(f"item() needs a tensor with one element, got shape {a.shape}")
    return a.item()


def tolist(x: Tensor) -> Any:
    """``x`` as (nested) Python lists.

    >>> mb.tolist(mb.array([[1, 2], [3, 4]]))
    [[1, 2], [3, 4]]
    >>> mb.tolist(mb.array([True, False])), mb.tolist(mb.array([0.5, 0.25]))
    ([True, False], [0.5, 0.25])
    >>> mb.tolist(mb.array(7))      # a 0-d tensor gives a scalar
    7
    """
    return to_numpy(x).tolist()


#: numpy's default print options, fixed here so that what :func:`show` prints does not depend
#: on settings a reader or a library changed with ``numpy.set_printoptions``.
_PRINT_OPTIONS = dict(precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False,
                      nanstr="nan", infstr="inf", sign="-", floatmode="maxprec", legacy=False)


def _text(x: Any, decimals: int | None, indent: str) -> str:
    if isinstance(x, tuple):
        inner = ",\n".join(indent + " " + _text(v, decimals, indent + " ") for v in x)
        return "(" + inner.lstrip() + ("," if len(x) == 1 else "") + ")"
    if isinstance(x, dict):
        pad = indent + " "
        return "{" + ",\n".join(
            (pad if i else "") + f"{k!r}: " + _text(v, decimals, pad + " " * (len(repr(k)) + 2))
            for i, (k, v) in enumerate(x.items())) + "}"
    a = to_numpy(x)
    if decimals is not None and a.dtype.kind == "f":
        a = _np.round(a, decimals) + a.dtype.type(0)    # + 0 turns -0.0 into 0.0
    prefix = indent + "tensor("
    with _np.printoptions(**_PRINT_OPTIONS):
        body = _np.array2string(a, separator=", ", prefix=prefix)
    return f"tensor({body}, shape={tuple(a.shape)}, dtype={a.dtype.name})"


def show(x: Any, decimals: int | None = None) -> None:
    """Print ``x``'s values, shape and dtype the same way on every backend.

    Each framework prints its tensors its own way (``tensor([1., 2.])``, ``[1. 2.]``,
    ``tf.Tensor(...)``, ``Array(...)``); ``show`` prints the values through numpy, with numpy's
    default print options whatever the reader set, followed by the shape and the dtype's
    name (numpy's, which is mlbook's: ``float32``, ``int64``, ``bool`` ...), so that a line
    printed on one backend can be compared with another's.  Floats print with as many digits
    as tell them apart in their dtype; ``decimals`` rounds them first (and
    prints ``-0.0`` as ``0.0``), for values that differ in the last digit between backends.
    A tuple or dict of tensors (what :func:`grad` with several ``argnums`` returns, a state
    dict) prints as one, a tensor per entry; a list is converted as :func:`array` would.

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(x)
    tensor([[0, 1, 2],
            [3, 4, 5]], shape=(2, 3), dtype=int64)
    >>> mb.show(mb.array([0.5, 1 / 3]))
    tensor([0.5       , 0.33333334], shape=(2,), dtype=float32)
    >>> mb.show(mb.exp(mb.array([0.0, 1.0])), decimals=4)   # numpy's float32 exp(1) differs
    tensor([1.    , 2.7183], shape=(2,), dtype=float32)
    >>> mb.show((mb.ones(()), mb.array([True, False])))
    (tensor(1., shape=(), dtype=float32),
     tensor([ True, False], shape=(2,), dtype=bool))
    """
    print(_text(x, decimals, ""))
