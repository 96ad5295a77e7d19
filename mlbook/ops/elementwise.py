"""Elementwise functions."""

from __future__ import annotations

from ..backends import common
from .core import Tensor, as_float, backend, binary, broadcast_error, pair, scalar_dtype


def exp(x: Tensor) -> Tensor:
    """Elementwise :math:`e^x`.

    >>> mb.show(mb.exp(mb.array([0.0, 1.0, -1.0])), decimals=4)
    tensor([1.    , 2.7183, 0.3679], shape=(3,), dtype=float32)
    >>> mb.show(mb.exp(mb.array([0, 2])), decimals=4)   # integers are computed in float32
    tensor([1.    , 7.3891], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.exp(as_float(b, x))


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm.

    >>> mb.show(mb.log(mb.array([1.0, np.e, 10.0])), decimals=4)
    tensor([0.    , 1.    , 2.3026], shape=(3,), dtype=float32)
    >>> mb.show(mb.log(mb.array([1, 100])), decimals=4)   # integers are computed in float32
    tensor([0.    , 4.6052], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.log(as_float(b, x))


def log1p(x: Tensor) -> Tensor:
    """Elementwise :math:`\\log(1 + x)`, accurate for small ``x``.

    >>> x = mb.array([1e-8, 1.0])
    >>> mb.show(mb.log(1 + x))   # 1 + 1e-8 rounds to 1 in float32
    tensor([0.       , 0.6931472], shape=(2,), dtype=float32)
    >>> mb.show(mb.log1p(x))
    tensor([1.000000e-08, 6.931472e-01], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.log1p(as_float(b, x))


def sqrt(x: Tensor) -> Tensor:
    """Elementwise square root.

    >>> mb.show(mb.sqrt(mb.array([0.0, 4.0, 2.0])), decimals=4)
    tensor([0.    , 2.    , 1.4142], shape=(3,), dtype=float32)
    >>> mb.show(mb.sqrt(mb.array([9, 16])))   # integers give float32
    tensor([3., 4.], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.sqrt(as_float(b, x))


def sin(x: Tensor) -> Tensor:
    """Elementwise sine.

    >>> mb.show(mb.sin(mb.array([0.0, np.pi / 6, np.pi / 2, np.pi])), decimals=4)
    tensor([0. , 0.5, 1. , 0. ], shape=(4,), dtype=float32)
    >>> dsin = mb.grad(lambda x: mb.sum(mb.sin(x)))   # the derivative of sin is cos
    >>> mb.show(dsin(mb.array([0.0, np.pi])), decimals=4)
    tensor([ 1., -1.], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.sin(as_float(b, x))


def cos(x: Tensor) -> Tensor:
    """Elementwise cosine.

    >>> mb.show(mb.cos(mb.array([0.0, np.pi / 3, np.pi / 2, np.pi])), decimals=4)
    tensor([ 1. ,  0.5,  0. , -1. ], shape=(4,), dtype=float32)
    >>> dcos = mb.grad(lambda x: mb.sum(mb.cos(x)))   # the derivative of cos is -sin
    >>> mb.show(dcos(mb.array([0.0, np.pi / 2])), decimals=4)
    tensor([ 0., -1.], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.cos(as_float(b, x))


def tanh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent.

    >>> mb.show(mb.tanh(mb.array([-20.0, 0.0, 0.5, 20.0])), decimals=4)
    tensor([-1.    ,  0.    ,  0.4621,  1.    ], shape=(4,), dtype=float32)
    >>> dtanh = mb.grad(lambda x: mb.sum(mb.tanh(x)))   # the derivative is 1 - tanh(x)**2
    >>> mb.show(dtanh(mb.array([0.0, 1.0])), decimals=4)
    tensor([1.  , 0.42], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.tanh(as_float(b, x))


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic function :math:`1 / (1 + e^{-x})`.

    >>> mb.show(mb.sigmoid(mb.array([-100.0, 0.0, 2.0, 100.0])), decimals=4)
    tensor([0.    , 0.5   , 0.8808, 1.    ], shape=(4,), dtype=float32)
    >>> dsigmoid = mb.grad(lambda x: mb.sum(mb.sigmoid(x)))   # sigmoid(x) * (1 - sigmoid(x))
    >>> mb.show(dsigmoid(mb.array([0.0])))
    tensor([0.25], shape=(1,), dtype=float32)
    """
    b = backend()
    return b.sigmoid(as_float(b, x))


def relu(x: Tensor) -> Tensor:
    """Elementwise :math:`\\max(x, 0)`; its gradient at 0 is 0 on every backend.

    >>> x = mb.array([-2.0, 0.0, 3.0])
    >>> mb.show(mb.relu(x))
    tensor([0., 0., 3.], shape=(3,), dtype=float32)
    >>> mb.show(mb.grad(lambda x: mb.sum(mb.relu(x)))(x))
    tensor([0., 0., 1.], shape=(3,), dtype=float32)
    >>> mb.show(mb.relu(mb.array([-2, 5])))   # integers stay integers
    tensor([0, 5], shape=(2,), dtype=int64)
    """
    b = backend()
    return b.relu(b.coerce(x))


def abs(x: Tensor) -> Tensor:
    """Elementwise absolute value.

    >>> mb.show(mb.abs(mb.array([-2, 0, 3])))
    tensor([2, 0, 3], shape=(3,), dtype=int64)
    >>> mb.show(mb.abs(mb.array([-1.5, 2.0])))
    tensor([1.5, 2. ], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.abs(b.coerce(x))


def sign(x: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1.

    >>> mb.show(mb.sign(mb.array([-2.5, 0.0, 3.0])))
    tensor([-1.,  0.,  1.], shape=(3,), dtype=float32)
    >>> mb.show(mb.sign(mb.array([-7, 0, 2])))
    tensor([-1,  0,  1], shape=(3,), dtype=int64)
    """
    b = backend()
    return b.sign(b.coerce(x))


def floor(x: Tensor) -> Tensor:
    """Elementwise floor.

    >>> mb.show(mb.floor(mb.array([-1.5, 0.5, 2.0])))
    tensor([-2.,  0.,  2.], shape=(3,), dtype=float32)
    >>> mb.show(mb.floor(mb.array([3, -2])))   # integers give float32
    tensor([ 3., -2.], shape=(2,), dtype=float32)
    """
    b = backend()
    return b.floor(as_float(b, x))


def round(x: Tensor) -> Tensor:
    """Round to the nearest integer, halves to even (``round(2.5) == 2``), as numpy does.

    >>> mb.show(mb.round(mb.array([0.4, 0.5, 1.5, 2.5, 2.6])))
    tensor([0., 0., 2., 2., 3.], shape=(5,), dtype=float32)
    """
    b = backend()
    return b.round(as_float(b, x))


def maximum(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a scalar), broadcasting.

    >>> x = mb.array([[1, 5], [3, 2]])
    >>> mb.show(mb.maximum(x, 2))
    tensor([[2, 5],
            [3, 2]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.maximum(x, mb.array([4, 0])))   # the row broadcasts over both rows
    tensor([[4, 5],
            [4, 2]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.maximum(x, 2.5))   # a float bound gives float32
    tensor([[2.5, 5. ],
            [3. , 2.5]], shape=(2, 2), dtype=float32)
    """
    return binary("maximum", x, y)


def minimum(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise minimum, broadcasting.

    >>> x = mb.array([[1, 5], [3, 2]])
    >>> mb.show(mb.minimum(x, 2))
    tensor([[1, 2],
            [2, 2]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.minimum(x, mb.array([[0], [4]])))   # the column broadcasts over both columns
    tensor([[0, 0],
            [3, 2]], shape=(2, 2), dtype=int64)
    """
    return binary("minimum", x, y)


def power(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise :math:`x^y`, broadcasting.

    >>> mb.show(mb.power(mb.array([1, 2, 3]), 2))
    tensor([1, 4, 9], shape=(3,), dtype=int64)
    >>> mb.show(mb.power(mb.array([4.0, 9.0]), 0.5))
    tensor([2., 3.], shape=(2,), dtype=float32)
    >>> mb.show(mb.power(mb.array([[2], [3]]), mb.array([1, 2, 3])))
    tensor([[ 2,  4,  8],
            [ 3,  9, 27]], shape=(2, 3), dtype=int64)
    """
    return binary("power", x, y)


def clip(x: Tensor, min: float | Tensor | None, max: float | Tensor | None) -> Tensor:
    """Limit values to ``[min, max]`` (either bound may be None).

    >>> x = mb.array([-2, 0, 5])
    >>> mb.show(mb.clip(x, 0, 3))
    tensor([0, 0, 3], shape=(3,), dtype=int64)
    >>> mb.show(mb.clip(x, None, 1))
    tensor([-2,  0,  1], shape=(3,), dtype=int64)
    >>> mb.show(mb.clip(x, 0.5, None))   # a float bound gives float32
    tensor([0.5, 0.5, 5. ], shape=(3,), dtype=float32)
    >>> mb.show(mb.clip(x, mb.array([-1, 1, 1]), 4))   # a bound per element
    tensor([-1,  1,  4], shape=(3,), dtype=int64)
    """
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
    """``x`` where ``condition`` is true, else ``y`` (all three broadcast).

    >>> x = mb.array([-1.0, 2.0, -3.0])
    >>> mb.show(mb.where(x > 0, x, 0.0))
    tensor([0., 2., 0.], shape=(3,), dtype=float32)
    >>> mb.show(mb.where(mb.array([True, False]), mb.array([[1], [2]]), 0))
    tensor([[1, 0],
            [2, 0]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.where(mb.array([1, 0, 2]), 1, -1))   # a non-zero condition is true
    tensor([ 1, -1,  1], shape=(3,), dtype=int64)
    """
    b = backend()
    c = b.coerce(condition)
    if b.dtype_name(c) != "bool":
        c = b.astype(c, "bool")
    x, y = pair(b, x, y)
    try:
        return b.where(c, x, y)
    except Exception as err:
        raise broadcast_error("where", err, b.shape(c), b.shape(x), b.shape(y)) from err
