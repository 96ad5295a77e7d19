"""Linear algebra."""

from __future__ import annotations

import math as _math
from typing import Any, Sequence

import numpy as _np

from ..backends import common
from .core import Tensor, as_float, backend, pair, same_dtype
from .shape import shape


def _contract_error(op: str, err: Exception, sa: tuple[int, ...], sb: tuple[int, ...],
                    ka: int | None, kb: int | None) -> Exception:
    if ka is not None and kb is not None and ka != kb:
        return ValueError(f"{op}: shapes {sa} and {sb} do not align: {ka} (last axis of the "
                          f"first) != {kb} (contracted axis of the second)")
    return err


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with numpy's rules (1-D operands, batched leading axes): ``a @ b``.

    >>> A = mb.reshape(mb.arange(6.0), (2, 3))
    >>> mb.show(mb.matmul(A, mb.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])))
    tensor([[2., 3.],
            [8., 9.]], shape=(2, 2), dtype=float32)
    >>> mb.show(mb.matmul(A, mb.array([1.0, 0.0, -1.0])))   # a vector is a column
    tensor([-2., -2.], shape=(2,), dtype=float32)
    >>> mb.shape(mb.matmul(mb.ones((5, 2, 3)), mb.ones((3, 4))))   # a batch of 5 products
    (5, 2, 4)
    >>> mb.matmul(A, A)
    Traceback (most recent call last):
    ValueError: matmul: shapes (2, 3) and (2, 3) do not align: 3 (last axis of the first) != 2 (contracted axis of the second)
    """
    bk = backend()
    a, b = pair(bk, a, b)
    try:
        return bk.matmul(a, b)
    except Exception as err:
        sa, sb = bk.shape(a), bk.shape(b)
        ka = sa[-1] if sa else None
        kb = (sb[0] if len(sb) == 1 else sb[-2]) if sb else None
        raise _contract_error("matmul", err, sa, sb, ka, kb) from err


def dot(a: Tensor, b: Tensor) -> Tensor:
    """``numpy.dot``: the inner product of two vectors :math:`\\sum_i a_i b_i`, a matrix-vector or
    matrix-matrix product, and for N-D tensors a sum over the last axis of ``a`` and the
    second-to-last of ``b``.

    >>> mb.show(mb.dot(mb.array([1.0, 2.0, 3.0]), mb.array([4.0, 5.0, 6.0])))
    tensor(32., shape=(), dtype=float32)
    >>> mb.show(mb.dot(mb.array([[1.0, 2.0], [3.0, 4.0]]), mb.array([1.0, -1.0])))
    tensor([-1., -1.], shape=(2,), dtype=float32)
    >>> mb.shape(mb.dot(mb.ones((2, 3, 4)), mb.ones((5, 4, 6))))
    (2, 3, 5, 6)
    """
    bk = backend()
    a, b = pair(bk, a, b)
    na, nb = len(bk.shape(a)), len(bk.shape(b))
    if na == 0 or nb == 0:
        return a * b
    if na <= 2 and nb <= 2 or nb == 1:
        return matmul(a, b)
    return tensordot(a, b, ([na - 1], [nb - 2]))


def mv(A: Tensor, x: Tensor) -> Tensor:
    """Matrix-vector product :math:`A x` for a matrix ``A`` (m, n) and a vector ``x`` (n,).

    >>> A = mb.reshape(mb.arange(6.0), (2, 3))
    >>> mb.show(mb.mv(A, mb.array([1.0, 0.0, -1.0])))
    tensor([-2., -2.], shape=(2,), dtype=float32)
    >>> mb.mv(A, A)
    Traceback (most recent call last):
    ValueError: mv needs a matrix and a vector, got shapes (2, 3) and (2, 3)
    """
    sa, sx = shape(A), shape(x)
    if len(sa) != 2 or len(sx) != 1:
        raise ValueError(f"mv needs a matrix and a vector, got shapes {sa} and {sx}")
    return matmul(A, x)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """Outer product :math:`a_i b_j` of two vectors (flattened first, as ``numpy.outer``).

    >>> mb.show(mb.outer(mb.array([1, 2, 3]), mb.array([1, 10])))
    tensor([[ 1, 10],
            [ 2, 20],
            [ 3, 30]], shape=(3, 2), dtype=int64)
    """
    bk = backend()
    a, b = pair(bk, a, b)
    return bk.reshape(a, (-1, 1)) * bk.reshape(b, (1, -1))


def tensordot(a: Tensor, b: Tensor, axes: int | Sequence[Sequence[int]] = 2) -> Tensor:
    """Sum products over the given axes, as ``numpy.tensordot``.

    >>> A = mb.reshape(mb.arange(6.0), (2, 3))
    >>> mb.show(mb.tensordot(A, A, axes=([1], [1])))   # A @ A.T
    tensor([[ 5., 14.],
            [14., 50.]], shape=(2, 2), dtype=float32)
    >>> mb.show(mb.tensordot(A, A))   # axes=2: the sum of all A * A
    tensor(55., shape=(), dtype=float32)
    >>> mb.shape(mb.tensordot(mb.ones((2, 3, 4)), mb.ones((3, 4, 5))))
    (2, 5)
    >>> mb.shape(mb.tensordot(mb.ones((2, 3)), mb.ones((4, 5)), axes=0))   # the outer product
    (2, 3, 4, 5)
    """
    bk = backend()
    a, b = pair(bk, a, b)
    if not isinstance(axes, (int, _np.integer)):
        axes = [list(common.shape_tuple(axes[0])), list(common.shape_tuple(axes[1]))]
    return bk.tensordot(a, b, axes)


def einsum(subscripts: str, *operands: Tensor) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", A, B)``.

    >>> A = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.einsum("ij->j", A))
    tensor([3, 5, 7], shape=(3,), dtype=int64)
    >>> mb.show(mb.einsum("ij,ij->i", A, A))
    tensor([ 5, 50], shape=(2,), dtype=int64)
    >>> mb.show(mb.einsum("ii", mb.array([[1, 2], [3, 4]])))   # the trace
    tensor(5, shape=(), dtype=int64)
    >>> mb.shape(mb.einsum("bij,bjk->bik", mb.ones((5, 2, 3)), mb.ones((5, 3, 4))))
    (5, 2, 4)
    """
    b = backend()
    return b.einsum(subscripts, *same_dtype(b, operands))


def norm(x: Tensor, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    r"""Vector norm of ``x`` over ``axis`` (all elements by default, so a matrix gives its
    Frobenius norm).

    ``ord=None``, ``2`` or ``"fro"``: :math:`\sqrt{\sum_i x_i^2}` (L2 / Frobenius);
    ``ord=1``: :math:`\sum_i |x_i|` (L1); ``ord=inf``: :math:`\max_i |x_i|`.

    >>> mb.show(mb.norm(mb.array([3.0, 4.0])))
    tensor(5., shape=(), dtype=float32)
    >>> mb.show(mb.norm(mb.array([3, -4]), ord=1))
    tensor(7., shape=(), dtype=float32)
    >>> mb.show(mb.norm(mb.array([3, -4]), ord=np.inf))
    tensor(4., shape=(), dtype=float32)
    >>> mb.show(mb.norm(mb.array([[3.0, 4.0], [6.0, 8.0]]), axis=1))
    tensor([ 5., 10.], shape=(2,), dtype=float32)
    >>> mb.norm(mb.array([1.0]), ord=3)
    Traceback (most recent call last):
    ValueError: norm: unsupported ord 3; use None/2/'fro' (L2), 1 (L1) or inf
    """
    b = backend()
    x = as_float(b, x)
    axes = common.norm_axes(axis, len(b.shape(x)), "norm")
    if ord in (None, 2, "fro"):
        out = b.sqrt(b.sum(x * x, axis=axes, keepdims=bool(keepdims)))
        if getattr(b, "SUM_OF_INF_IS_NAN", False) and _math.prod(b.shape(x)):
            # MXNet's compensated sum: inf + 1 is NaN; the largest |x| puts the inf back
            top = b.stop_gradient(b.max(b.abs(x), axis=axes, keepdims=bool(keepdims)))
            out = b.where(b.equal(top, b.full(b.shape(top), float("inf"), b.dtype_name(top))),
                          top, out)
        return out
    if ord == 1:
        return b.sum(b.abs(x), axis=axes, keepdims=bool(keepdims))
    if ord == _math.inf:
        return b.max(b.abs(x), axis=axes, keepdims=bool(keepdims))
    raise ValueError(f"norm: unsupported ord {ord!r}; use None/2/'fro' (L2), 1 (L1) or inf")
